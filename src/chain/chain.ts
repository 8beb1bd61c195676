import { EventEmitter } from 'node:events';
import { ShulianError, stateValue, toHex, type JsonValue } from '../codec/index.ts';
import { hashFor, type KeyPair, type Suite } from '../crypto/index.ts';
import type { ConsensusHost } from '../consensus/index.ts';
import type { AdmissionPool } from './admission/pool.ts';
import type { AdmitOutcome, AdmitParams } from './admission/admit.ts';
import { CallCheck } from './admission/call.ts';
import { Gate } from './admission/gate.ts';
import { BlockExecution, type BlockCandidate } from './blocks.ts';
import { yieldToEventLoop } from './execute.ts';
import { stateLookup, txInclusion, type ProofSource } from './proofs.ts';
import { forkBase, type ForkBase } from './fork.ts';
import { REFS_KEY, parseRefs, type AdmissionRule, type AllianceRule, type Refs, type SenderAuthority, type Verdict } from './refs.ts';
import { ChainStore, SparseMerkleTree, exportSnapshot, type Snapshot } from '../ledger/store/index.ts';
import {
  EMPTY_ROOT, SCHEDULE_STATE_KEY, changeHeights, hashJson, headerHashOf, merkleRoot,
  type Block, type BlockHeader, type Genesis, type HeaderProof, type Tx, type ValidatorInfo, type StateLookup, type TxInclusion,
} from '../ledger/index.ts';
import { Mempool, type MempoolEntry } from './mempool.ts';
import { Executor, NONCE_PREFIX, type ModuleDef } from '../runtime/index.ts';
import type { BlockSummary, ChainInfo, ChainView, SubmitAnswer, SubmitResult } from './types.ts';

/** A node's own mempool policy (not consensus: nodes may differ). docs/operations.md#limits */
export interface MempoolPolicy {
  /** A tx's `expires` may be at most this many blocks past the next height. */
  maxExpiryBlocks: number;
  /** Bytes of pending txs one sender may hold. */
  maxSenderBytes: number;
  /** Gapped txs (waiting for an earlier nonce) one sender may hold. */
  maxSenderGapped: number;
}

export const DEFAULT_MEMPOOL_POLICY: MempoolPolicy = {
  maxExpiryBlocks: 1_000_000,
  maxSenderBytes: 4 * 1024 * 1024,
  maxSenderGapped: 256,
};

export interface ChainOptions {
  genesis: Genesis;
  dir: string;
  modules: ModuleDef[];
  admission: AdmissionPool;
  /**
   * Whether `pubkey` may sign for `did` (its DID document on the identity chain, at the height a
   * block names). Without it only a DID's self-certifying key is accepted.
   */
  senderAuthority?: SenderAuthority;
  /** The chain's admission policy (business chains: set by governance); absent = open. */
  admissionRule?: AdmissionRule;
  /** Freezes and template approvals from the governance chain (every chain of an alliance); absent = none. */
  allianceRule?: AllianceRule;
  /** This node's validator key, when it validates this chain. */
  validatorKey?: KeyPair;
  /** Mempool policy beyond the genesis limits; defaults DEFAULT_MEMPOOL_POLICY. */
  mempool?: Partial<MempoolPolicy>;
  /**
   * Refuse at admission txs whose module, method or args execution would refuse (a node does).
   * Off by default so tests can put such txs in blocks and check their failed receipts.
   */
  checkCalls?: boolean;
  /** Re-admit the persisted mempool when opening (default true; a node does it once all its chains are open). */
  restoreMempool?: boolean;
  /** How long validating a block waits for this node to reach the heights of other chains it names (default 5 s). */
  refWaitMs?: number;
  /** Free disk space the store keeps in reserve: below it, submissions and blocks are refused (STORE_DISK_FULL). */
  minFreeBytes?: number;
}

/**
 * A chain hosted by a node: its store, state tree, mempool and executor. A consensus engine
 * drives it through the ConsensusHost interface (block execution: blocks.ts); everything else
 * reads through the ChainView interface (proofs: proofs.ts).
 */
export class Chain implements ChainView, ConsensusHost<BlockCandidate> {
  readonly id: string;
  readonly suite: Suite;
  readonly genesis: Genesis;
  readonly genesisHash: string;
  private readonly store: ChainStore;
  private readonly tree: SparseMerkleTree;
  private readonly mempool: Mempool;
  private readonly executor: Executor;
  private readonly hash: (d: Uint8Array) => Uint8Array;
  private readonly events = new EventEmitter();
  private readonly admission: AdmissionPool;
  private readonly gate: Gate;
  private readonly callCheck: CallCheck | undefined;
  private readonly execution: BlockExecution;
  private readonly proofs: ProofSource;
  /** Arrival order of persisted mempool txs. */
  private seq = 0;
  private txListener: (() => void) | undefined;
  /** Admissions running now, each settled once its txs are in the mempool (or refused): see admissionsSettled. */
  private readonly admitting = new Set<Promise<void>>();
  private acceptedListener: ((txs: Tx[]) => void) | undefined;

  private constructor(opts: ChainOptions, store: ChainStore) {
    this.genesis = opts.genesis;
    this.id = opts.genesis.chain;
    this.suite = opts.genesis.suite;
    this.genesisHash = hashJson(this.suite, opts.genesis);
    this.store = store;
    this.hash = hashFor(this.suite);
    this.tree = new SparseMerkleTree(store.nodeStore, this.hash, { cacheSize: 200_000 });
    const p = opts.genesis.params;
    this.mempool = new Mempool({ maxTxs: p.mempoolMaxTxs, maxBytes: p.mempoolMaxBytes, maxNonceGap: p.maxNonceGap, ...DEFAULT_MEMPOOL_POLICY, ...opts.mempool });
    const known = new Set(opts.modules.map((m) => m.name));
    for (const m of opts.genesis.modules) {
      if (!known.has(m)) throw new ShulianError('GENESIS_MODULE_UNKNOWN', `chain ${this.id}: genesis names module "${m}", which this build does not have`);
    }
    this.executor = new Executor(opts.modules, new Set(opts.genesis.modules));
    this.admission = opts.admission;
    this.gate = new Gate(this, opts.senderAuthority, opts.admissionRule, opts.allianceRule);
    this.callCheck = opts.checkCalls ? new CallCheck(this.id, opts.modules, opts.genesis.modules) : undefined;
    this.execution = new BlockExecution({
      id: this.id, suite: this.suite, genesis: this.genesis, store, mempool: this.mempool, gate: this.gate, admission: this.admission,
      run: { chain: this.id, suite: this.suite, maxTxGas: p.maxTxGas, executor: this.executor, tree: this.tree, hash: this.hash },
      validatorKey: opts.validatorKey, refWaitMs: opts.refWaitMs ?? 5_000,
      admitParams: () => this.admitParams(),
      headRefs: () => this.headRefs(),
      committedNonce: (did) => this.committedNonce(did),
      validatorsAt: (height) => this.validatorsAt(height),
      announce: (block) => this.events.emit('block', block),
    });
    this.proofs = { id: this.id, suite: this.suite, store, tree: this.tree, hash: this.hash };
    this.events.setMaxListeners(0);
  }

  /** Opens a chain's store, writing the genesis block on first start and checking it after. */
  static async open(opts: ChainOptions): Promise<Chain> {
    const store = new ChainStore(opts.dir, opts.minFreeBytes === undefined ? {} : { minFreeBytes: opts.minFreeBytes });
    const chain = new Chain(opts, store);
    const stored = store.genesis();
    if (stored) {
      const storedHash = hashJson(chain.suite, stored);
      if (storedHash !== chain.genesisHash) {
        await store.close();
        throw new ShulianError('GENESIS_MISMATCH', `chain ${chain.id}: data in ${opts.dir} belongs to genesis ${storedHash}, not ${chain.genesisHash}`);
      }
    } else {
      await store.putGenesis(opts.genesis);
    }
    if (!store.head()) await chain.writeGenesisBlock();
    if (opts.restoreMempool !== false) await chain.restoreMempool();
    return chain;
  }

  /**
   * Re-admits the txs that were pending when the node stopped, in arrival order and through every
   * check a new submission passes (signatures included). Those refused now (committed meanwhile,
   * expired, key rotated out) are forgotten. Returns how many came back and how many did not.
   */
  async restoreMempool(): Promise<{ restored: number; dropped: number }> {
    const records = this.store.pendingRecords();
    if (records.length === 0) return { restored: 0, dropped: 0 };
    this.seq = Math.max(this.seq, records[records.length - 1]!.rec.seq + 1);
    const refused: string[] = [];
    let restored = 0;
    for (let i = 0; i < records.length; i += MAX_BATCH) {
      const chunk = records.slice(i, i + MAX_BATCH);
      let results: SubmitResult[];
      try {
        results = await this.submit(chunk.map((r) => r.rec.tx));
      } catch (err) {
        // A full disk: the rest stay persisted, for the next start.
        if (err instanceof ShulianError && err.code === 'STORE_DISK_FULL') break;
        throw err;
      }
      results.forEach((r, j) => {
        if (r.accepted) restored++;
        else refused.push(chunk[j]!.hash);
      });
    }
    this.store.removePending(refused);
    await this.store.pendingFlushed([]);
    return { restored, dropped: refused.length };
  }

  /**
   * Height 0 is derived from the genesis document alone (no signature), so every node computes
   * the same block; its `prev` is the genesis hash, anchoring the chain to its genesis.
   */
  private async writeGenesisBlock(): Promise<void> {
    const empty = toHex(merkleRoot([], this.hash));
    const header: BlockHeader = {
      chain: this.id, height: 0, prev: this.genesisHash, time: this.genesis.time, txCount: 0,
      txRoot: empty, receiptRoot: empty, stateRoot: toHex(EMPTY_ROOT), proposer: 'genesis',
    };
    const block: Block = { header, hash: headerHashOf(this.suite, header), sig: '', txs: [], receipts: [] };
    await this.store.commitBlock({ block, receiptHashes: [], state: new Map(), values: new Map() });
  }

  // ---- reads -------------------------------------------------------------------------------

  height(): number {
    return this.store.head()!.height;
  }

  info(): ChainInfo {
    const head = this.store.head()!;
    const g = this.genesis;
    return {
      id: this.id, name: g.name, nameZh: g.nameZh, kind: g.kind, suite: g.suite, consensus: g.consensus.type,
      modules: g.modules, validators: this.validatorsAt(head.height + 1), height: head.height, headHash: head.hash, stateRoot: head.stateRoot,
      lastBlockTime: head.time, genesisHash: this.genesisHash, mempool: { txs: this.mempool.size, bytes: this.mempool.bytes },
    };
  }

  getBlock(height: number): Block | undefined {
    return this.store.getBlock(height);
  }

  blocks(opts: { before?: number; limit: number }): BlockSummary[] {
    const out: BlockSummary[] = [];
    const top = Math.min(this.height(), (opts.before ?? Infinity) - 1);
    for (let h = top; h >= 0 && out.length < opts.limit; h--) {
      const m = this.store.getMeta(h);
      if (m) out.push({ height: h, hash: m.hash, time: m.header.time, txCount: m.header.txCount, proposer: m.header.proposer });
    }
    return out;
  }

  isPending(hash: string): boolean {
    return this.mempool.has(hash);
  }

  /** Pending txs by the first `length` hex digits of their hashes; undefined where none or several match (compact proposals). */
  pendingByShortIds(ids: readonly string[], length: number): Array<{ hash: string; tx: Tx } | undefined> {
    return this.mempool.byShortIds(ids, length).map((e) => (e ? { hash: e.hash, tx: e.tx } : undefined));
  }

  getTx(hash: string): TxInclusion | undefined {
    return txInclusion(this.proofs, hash);
  }

  getState(key: string, opts: { height?: number; proof?: boolean } = {}): StateLookup {
    return stateLookup(this.proofs, key, opts);
  }

  /**
   * The validator set of `height`: the genesis set, changed by the `validators` module's schedule
   * as committed at height − 1 (a change is scheduled at least two blocks ahead, so every node
   * knows the set of a height once the height before it is final).
   */
  validatorsAt(height: number): ValidatorInfo[] {
    if (!this.genesis.modules.includes('validators')) return this.genesis.validators;
    const head = this.height();
    const at = Math.min(height - 1, head);
    if (at < 0) return this.genesis.validators;
    const sched = this.getState(VALIDATOR_SCHEDULE_KEY, at === head ? {} : { height: at }).value as Array<{ height: number; validators: ValidatorInfo[] }> | null;
    let current = this.genesis.validators;
    for (const e of sched ?? []) if (e.height <= height) current = e.validators;
    return current;
  }

  /** Every validator this chain has had or has scheduled: who may connect for it. */
  knownValidators(): ValidatorInfo[] {
    const sched = this.genesis.modules.includes('validators')
      ? (this.getState(VALIDATOR_SCHEDULE_KEY).value as Array<{ validators: ValidatorInfo[] }> | null) ?? [] : [];
    const all = new Map<string, ValidatorInfo>();
    for (const v of [this.genesis.validators, ...sched.map((e) => e.validators)].flat()) all.set(v.did, v);
    return [...all.values()];
  }

  nonces(did: string): { nonce: number; pendingNonce: number } {
    const nonce = this.committedNonce(did);
    return { nonce, pendingNonce: this.mempool.pendingNonce(did, nonce) };
  }

  txsByDid(did: string, limit: number): Array<{ hash: string; height: number; index: number }> {
    return this.store.txsByDid(did, limit);
  }

  onBlock(listener: (block: Block) => void): () => void {
    this.events.on('block', listener);
    return () => this.events.off('block', listener);
  }

  /** Consensus registers here to hear that txs arrived. */
  onTxs(listener: () => void): void {
    this.txListener = listener;
  }

  /** Whether some pending tx could go in the next block (gapped ones cannot). */
  hasPendingTxs(): boolean {
    return this.mempool.hasExecutable();
  }

  private committedNonce(did: string): number {
    const v = this.store.getState(NONCE_PREFIX + did);
    return v === undefined ? 0 : Number(v);
  }

  // ---- writes ------------------------------------------------------------------------------

  /** Admission parameters: plain data handed to the admission workers. */
  private admitParams(): AdmitParams {
    return { chain: this.id, suite: this.suite, maxTxBytes: this.genesis.params.maxTxBytes, maxBatch: MAX_BATCH };
  }

  /**
   * Admits txs to the mempool. Shape, size, chain, key suite, sender and signature are checked
   * on the admission workers; the call, the sender's key and the chain's admission policy,
   * expiry, nonce and mempool limits here, against chain state. Each tx gets its own result;
   * one bad tx does not affect the others.
   */
  async submit(raw: unknown[]): Promise<SubmitResult[]> {
    const added = this.trackAdmission();
    try {
      await this.store.ensureWritable();
      const answer = await this.admission.admitTxs(this.admitParams(), raw);
      return answer.kind === 'invalid' ? raw.map(() => ({ accepted: false, code: answer.code, message: answer.message })) : await this.accept(answer.outcomes, false, added);
    } finally {
      added();
    }
  }

  /** Admits a raw POST body (one tx, or {"txs": [...]}) without parsing it on this thread. */
  async submitBody(body: string): Promise<SubmitAnswer> {
    const added = this.trackAdmission();
    try {
      await this.store.ensureWritable();
      const answer = await this.admission.admitBody(this.admitParams(), body);
      if (answer.kind === 'invalid') return answer;
      return { kind: answer.kind, results: await this.accept(answer.outcomes, true, added) };
    } finally {
      added();
    }
  }

  /** Registers an admission as running; the function returned marks it settled (idempotent). */
  private trackAdmission(): () => void {
    let settle!: () => void;
    const p = new Promise<void>((resolve) => (settle = resolve));
    this.admitting.add(p);
    return () => {
      this.admitting.delete(p);
      settle();
    };
  }

  /**
   * Resolves once every admission running now has put its txs in the mempool or refused them
   * (not waiting for their disk write), or after `timeoutMs`. A compact proposal that arrives
   * right behind the gossip of its txs finds them here instead of fetching them across the
   * network (src/node/compact-proposals.ts).
   */
  async admissionsSettled(timeoutMs: number): Promise<void> {
    if (this.admitting.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    try {
      await Promise.race([Promise.all([...this.admitting]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Called with the txs a client gave this node (not those from peers), once admitted. */
  onAccepted(listener: (txs: Tx[]) => void): void {
    this.acceptedListener = listener;
  }

  /** The refs in force after the head: what the head block and its ancestors named. */
  private headRefs(): Refs {
    return parseRefs(this.getState(REFS_KEY).value);
  }

  /**
   * Checks admitted txs against chain state and adds them to the mempool, in order. A large
   * batch is checked in slices of at most ACCEPT_SLICE_MS with yields between them, so reads
   * are served meanwhile; each tx is checked against the state of the moment it is added, as
   * it would be had the txs come in separate requests. Accepted txs are persisted and the
   * answer waits until they are on disk: an accepted tx survives a restart (restoreMempool).
   */
  private async accept(outcomes: AdmitOutcome[], local: boolean, added: () => void): Promise<SubmitResult[]> {
    const accepted: Tx[] = [];
    const results: SubmitResult[] = [];
    const dropped: string[] = [];
    const writes: Array<Promise<unknown>> = [];
    const held: MempoolEntry[] = [];
    let refs = this.gate.latest(this.headRefs());
    let verdicts = new Map<string, Verdict>();
    let sliceStart = performance.now();
    for (const o of outcomes) {
      if (performance.now() - sliceStart > ACCEPT_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
        refs = this.gate.latest(this.headRefs());
        verdicts = new Map();
      }
      if (!o.ok) {
        results.push(o.hash === undefined ? { accepted: false, code: o.code, message: o.message } : { accepted: false, hash: o.hash, code: o.code, message: o.message });
        continue;
      }
      try {
        this.callCheck?.check(o.tx);
        const v = this.gate.judge(o.tx, o.selfCertified, refs, verdicts);
        if (!v.ok) throw new ShulianError(v.code, v.message);
        const a = this.gate.judgeAccess(o.tx, refs, this.executor.namedParties(o.tx));
        if (!a.ok) throw new ShulianError(a.code, a.message);
        // A client's tx waits for the disk, and so for its gossip, before a block may take it
        // (MempoolEntry.held); a peer's was on the peer's disk before the peer gossiped it.
        const entry: MempoolEntry = { tx: o.tx, hash: o.hash, bytes: o.bytes, selfCertified: o.selfCertified, held: local };
        dropped.push(...this.mempool.add(entry, { committedNonce: this.committedNonce(o.tx.from), nextHeight: this.height() + 1 }));
        held.push(entry);
        writes.push(this.store.putPending(o.hash, { seq: this.seq++, tx: o.tx }));
        accepted.push(o.tx);
        results.push({ accepted: true, hash: o.hash });
      } catch (err) {
        results.push(rejection(err, o.hash));
      }
    }
    added();
    if (dropped.length > 0) this.store.removePending(dropped);
    if (accepted.length > 0) {
      try {
        await this.store.pendingFlushed(writes);
        for (const e of held) e.held = false;
      } catch (err) {
        // Not durable, so not accepted: they leave the mempool and the whole answer is the error.
        for (const r of results) if (r.accepted) this.mempool.remove(r.hash);
        throw err;
      }
      this.txListener?.();
    }
    if (local && accepted.length > 0) this.acceptedListener?.(accepted);
    return results;
  }

  // ---- block execution (blocks.ts) ---------------------------------------------------------

  /**
   * Proposes a block from the mempool and commits it at once, as solo does: for driving a chain
   * by hand (tests, tools). Returns null when there is nothing to do.
   */
  async produceBlock(now: number): Promise<Block | null> {
    const candidate = await this.proposeBlock(now);
    if (!candidate) return null;
    return this.commitCandidate(candidate);
  }

  /** The next block from the mempool, executed and signed, not committed (BlockExecution.propose). */
  proposeBlock(now: number, opts: { allowEmpty?: boolean } = {}): Promise<BlockCandidate | null> {
    return this.execution.propose(now, opts);
  }

  /** Another validator's block, checked by re-execution (BlockExecution.validate). Throws BLOCK_INVALID. */
  validateBlock(block: Block, now: number, opts: { allowEmpty?: boolean; maxClockDriftMs?: number } = {}): Promise<BlockCandidate> {
    return this.execution.validate(block, now, opts);
  }

  /** Commits a proposed or validated block with its commit certificate; resolves once durable. */
  commitCandidate(c: BlockCandidate, commit?: JsonValue): Promise<Block> {
    return this.execution.commit(c, commit);
  }

  /**
   * A read-only base for a simulation fork at a committed height (src/sandbox): reads that
   * height's state through the tree; never writes to the store.
   */
  forkAt(height: number): ForkBase {
    return forkBase({ id: this.id, suite: this.suite, genesis: this.genesis, store: this.store, tree: this.tree, hash: this.hash, executor: this.executor, gate: this.gate }, height);
  }

  /**
   * A snapshot of the latest state for state sync (src/ledger/store/snapshot.ts), checked against
   * the head's state root, with the head's header proof (commit; proven schedule on chains that
   * track validators).
   */
  exportSnapshot(maxChunkBytes?: number): Promise<Snapshot> {
    return exportSnapshot(this.suite, this.store, (head) => ({ header: this.headerProof(head.height), changes: this.changeHeaders(head.height) }), maxChunkBytes);
  }

  /**
   * The headers that carry a light client rooted at the genesis across every validator change up
   * to `height` (the header just before each change; `changeHeights`). Those at or below a
   * state-synced store's base come from the snapshot it started from.
   */
  changeHeaders(height: number): HeaderProof[] {
    if (!this.genesis.modules.includes('validators') || height < 1) return [];
    const schedule = stateValue(SCHEDULE_STATE_KEY, this.getState(VALIDATOR_SCHEDULE_KEY, { height }).value) ?? [];
    const base = this.store.base();
    const kept = base > 0 ? this.store.baseChanges() : [];
    return changeHeights(schedule, 0, height).map((h) => (h <= base ? kept.find((c) => c.header.height === h) : undefined) ?? this.headerProof(h));
  }

  /** Height of the snapshot this chain's store started from (0: it holds every block). */
  baseHeight(): number {
    return this.store.base();
  }

  /** A committed header with its signature, commit and (chains that track validators) proven schedule. */
  headerProof(height: number): HeaderProof {
    const meta = this.store.getMeta(height);
    if (!meta) throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${this.id} has no block ${height}`);
    const hp: HeaderProof = { header: meta.header, hash: meta.hash, sig: meta.sig };
    if (meta.commit !== undefined) hp.commit = meta.commit;
    if (this.genesis.modules.includes('validators')) {
      const s = this.getState(VALIDATOR_SCHEDULE_KEY, { height, proof: true });
      hp.schedule = { value: s.value, proof: s.proof! };
    }
    return hp;
  }

  /** The commit certificate stored with a block, when its consensus produces one. */
  getCommit(height: number): JsonValue | undefined {
    return this.store.getMeta(height)?.commit;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** Where the `validators` module keeps its schedule of validator sets. */
const VALIDATOR_SCHEDULE_KEY = 'validators/schedule';

/** Most txs in one request. */
export const MAX_BATCH = 1000;

/** Longest run of tx admission checks before the event loop gets a turn (see accept). */
const ACCEPT_SLICE_MS = 2;

function rejection(err: unknown, hash: string | undefined): SubmitResult {
  const code = err instanceof ShulianError ? err.code : 'TX_REJECTED';
  const message = err instanceof Error ? err.message : String(err);
  return hash === undefined ? { accepted: false, code, message } : { accepted: false, hash, code, message };
}

