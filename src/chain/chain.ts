import { EventEmitter } from 'node:events';
import { ShulianError, canonicalize, fromHex, toHex, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, hashFor, sign, type KeyPair, type Suite } from '../crypto/index.ts';
import type { AdmissionPool } from './admission/pool.ts';
import type { AdmitOutcome, AdmitParams } from './admission/admit.ts';
import { CallCheck } from './admission/call.ts';
import { Gate } from './admission/gate.ts';
import {
  REFS_KEY, effectiveRefs, parseRefs, refsEqual, type AdmissionRule, type Refs, type SenderAuthority, type Verdict,
} from './refs.ts';
import { ChainStore, SparseMerkleTree, type SmtUpdate } from '../ledger/store/index.ts';
import {
  EMPTY_ROOT, hashJson, headerHashOf, merkleProof, merkleRoot, receiptHashOf, stateKeyHash, txHashOf, verifyHeader,
  type Block, type BlockHeader, type Genesis, type Receipt, type Tx, type ValidatorInfo, type StateLookup,
  type TxInclusion,
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
}


/**
 * A chain hosted by a node: its store, state tree, mempool and executor. Consensus drives it
 * through produceBlock(); everything else reads through the ChainView interface.
 */
export class Chain implements ChainView {
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
  private readonly validatorKey: KeyPair | undefined;
  private readonly refWaitMs: number;
  /** Arrival order of persisted mempool txs. */
  private seq = 0;
  private txListener: (() => void) | undefined;
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
    this.gate = new Gate(this, opts.senderAuthority, opts.admissionRule);
    this.callCheck = opts.checkCalls ? new CallCheck(this.id, opts.modules, opts.genesis.modules) : undefined;
    this.validatorKey = opts.validatorKey;
    this.refWaitMs = opts.refWaitMs ?? 5_000;
    this.events.setMaxListeners(0);
  }

  /** Opens a chain's store, writing the genesis block on first start and checking it after. */
  static async open(opts: ChainOptions): Promise<Chain> {
    const store = new ChainStore(opts.dir);
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
      const results = await this.submit(chunk.map((r) => r.rec.tx));
      results.forEach((r, j) => {
        if (r.accepted) restored++;
        else refused.push(chunk[j]!.hash);
      });
    }
    this.store.removePending(refused);
    await this.store.flushed();
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

  getTx(hash: string): TxInclusion | undefined {
    const loc = this.store.txLocation(hash);
    if (!loc) return undefined;
    const meta = this.store.getMeta(loc.height);
    const at = this.store.getTxAt(loc);
    if (!meta || !at) return undefined;
    return {
      tx: at.tx, receipt: at.receipt, hash, height: loc.height, index: loc.index,
      header: meta.header, blockHash: meta.hash, blockSig: meta.sig,
      proof: {
        tx: merkleProof(meta.txHashes.map((h) => fromHex(h)), loc.index, this.hash),
        receipt: merkleProof(meta.receiptHashes.map((h) => fromHex(h)), loc.index, this.hash),
      },
    };
  }

  getState(key: string, opts: { height?: number; proof?: boolean } = {}): StateLookup {
    const head = this.store.head()!;
    const height = opts.height ?? head.height;
    if (!Number.isSafeInteger(height) || height < 0 || height > head.height) {
      throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${this.id} is at height ${head.height}; height ${height} does not exist`);
    }
    const block = height === head.height && !opts.proof ? undefined : this.store.getMeta(height)!;
    const stateRoot = block ? block.header.stateRoot : head.stateRoot;
    const keyHash = stateKeyHash(this.suite, key);
    let json: string | undefined;
    // While a commit waits for its flush, the latest-state table is a block ahead of the head.
    if (height === head.height && !this.store.stateAhead) {
      json = this.store.getState(key);
    } else {
      const vh = this.tree.get(fromHex(stateRoot), keyHash);
      json = vh ? this.store.getValue(vh) : undefined;
    }
    const out: StateLookup = { key, value: json === undefined ? null : (JSON.parse(json) as JsonValue), height, stateRoot };
    if (opts.proof && block) {
      out.proof = this.tree.prove(fromHex(stateRoot), keyHash);
      out.header = block.header;
      out.blockHash = block.hash;
      out.blockSig = block.sig;
    }
    return out;
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
    const answer = await this.admission.admitTxs(this.admitParams(), raw);
    return answer.kind === 'invalid' ? raw.map(() => ({ accepted: false, code: answer.code, message: answer.message })) : this.accept(answer.outcomes, false);
  }

  /** Admits a raw POST body (one tx, or {"txs": [...]}) without parsing it on this thread. */
  async submitBody(body: string): Promise<SubmitAnswer> {
    const answer = await this.admission.admitBody(this.admitParams(), body);
    if (answer.kind === 'invalid') return answer;
    return { kind: answer.kind, results: await this.accept(answer.outcomes, true) };
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
  private async accept(outcomes: AdmitOutcome[], local: boolean): Promise<SubmitResult[]> {
    const accepted: Tx[] = [];
    const results: SubmitResult[] = [];
    const dropped: string[] = [];
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
        const entry: MempoolEntry = { tx: o.tx, hash: o.hash, bytes: o.bytes, selfCertified: o.selfCertified };
        dropped.push(...this.mempool.add(entry, { committedNonce: this.committedNonce(o.tx.from), nextHeight: this.height() + 1 }));
        this.store.putPending(o.hash, { seq: this.seq++, tx: o.tx });
        accepted.push(o.tx);
        results.push({ accepted: true, hash: o.hash });
      } catch (err) {
        results.push(rejection(err, o.hash));
      }
    }
    if (dropped.length > 0) this.store.removePending(dropped);
    if (accepted.length > 0) {
      this.txListener?.();
      await this.store.flushed();
    }
    if (local && accepted.length > 0) this.acceptedListener?.(accepted);
    return results;
  }

  /**
   * Solo block production: propose a block from the mempool and commit it at once.
   * Returns null when there is nothing to do.
   */
  async produceBlock(now: number): Promise<Block | null> {
    const candidate = await this.proposeBlock(now);
    if (!candidate) return null;
    return this.commitCandidate(candidate);
  }

  /**
   * Builds and signs the next block from ready mempool txs, executed on top of the head, without
   * committing it. Consensus decides whether it commits (commitCandidate) or is dropped. The
   * block names the latest heights of the chains whose state judges its senders (Block.refs);
   * txs refused at those heights leave the mempool.
   */
  async proposeBlock(now: number, opts: { allowEmpty?: boolean } = {}): Promise<BlockCandidate | null> {
    if (!this.validatorKey) throw new ShulianError('NOT_VALIDATOR', `this node does not validate chain ${this.id}`);
    const head = this.store.head()!;
    const height = head.height + 1;
    const parentRefs = this.headRefs();
    let entries = this.mempool.reap(this.genesis.params.maxBlockTxs, height, (did) => this.committedNonce(did));
    let refs = parentRefs;
    if (entries.length > 0) {
      refs = this.gate.latest(parentRefs);
      // This node lags behind a height an earlier block named: wait a little, else propose no txs.
      const missing = await this.gate.available(refs, this.refWaitMs);
      entries = missing ? [] : this.screen(entries, refs);
      if (entries.length === 0) refs = parentRefs;
    }
    if (entries.length === 0 && !opts.allowEmpty) {
      this.store.removePending(this.mempool.prune(height, (did) => this.committedNonce(did)));
      return null;
    }
    const time = Math.max(now, head.time + 1);
    const proposer = didFromPublicKey(this.validatorKey.publicKey);
    const named = refsEqual(refs, parentRefs) ? undefined : refs;
    const run = await this.run(height, time, entries, named);
    const header: BlockHeader = {
      chain: this.id, height, prev: head.hash, time, txCount: entries.length, txRoot: run.txRoot, receiptRoot: run.receiptRoot,
      stateRoot: run.stateRoot, proposer,
    };
    const hash = headerHashOf(this.suite, header);
    const sig = toHex(sign(this.suite, this.validatorKey.privateKey, fromHex(hash)));
    const block: Block = { header, hash, sig, txs: entries.map((e) => e.tx), receipts: run.receipts };
    if (named) block.refs = named;
    return { block, receiptHashes: run.receiptHashes, writes: run.writes, values: run.values };
  }

  /**
   * Re-judges reaped txs at the block's refs. A refused tx leaves the mempool; the sender's later
   * txs stay out of this block (their nonces would not follow) and wait as gapped.
   */
  private screen(entries: MempoolEntry[], refs: Refs): MempoolEntry[] {
    const verdicts = new Map<string, Verdict>();
    const blocked = new Set<string>();
    const refused: string[] = [];
    const out: MempoolEntry[] = [];
    for (const e of entries) {
      if (blocked.has(e.tx.from)) continue;
      if (this.gate.judge(e.tx, e.selfCertified, refs, verdicts).ok) {
        out.push(e);
      } else {
        blocked.add(e.tx.from);
        refused.push(e.hash);
      }
    }
    for (const h of refused) this.mempool.remove(h);
    this.store.removePending(refused);
    return out;
  }

  /**
   * Checks a block proposed by another validator, as a function of the block, this chain's state
   * at its parent and the other chains' state at the heights it names: header fields, proposer
   * signature, its refs (never behind the parent's), each tx's signature (checked here only if
   * this node has not already admitted it), each sender's key and admission at those refs, then
   * re-executes it and compares every root and receipt. Throws BLOCK_INVALID saying what differs.
   * Never consulted: this node's mempool policy or its latest view of other chains.
   */
  async validateBlock(block: Block, now: number, maxClockDriftMs = 10_000): Promise<BlockCandidate> {
    const head = this.store.head()!;
    const h = block.header;
    const bad = (why: string): never => {
      throw new ShulianError('BLOCK_INVALID', `block ${h?.height} of chain ${this.id}: ${why}`);
    };
    if (h.chain !== this.id) bad(`it is for chain ${h.chain}`);
    if (h.height !== head.height + 1) bad(`expected height ${head.height + 1}`);
    if (h.prev !== head.hash) bad('it does not extend this node\'s head');
    if (h.time <= head.time || h.time > now + maxClockDriftMs) bad(`block time ${h.time} is not after ${head.time} or is too far ahead of this node's clock`);
    if (h.txCount !== block.txs.length || block.receipts.length !== block.txs.length) bad('tx count does not match');
    // Solo never makes empty blocks; BFT chains do, so that rounds and heights keep moving.
    if (block.txs.length === 0 && this.genesis.consensus.type === 'solo') bad('it has no transactions');
    if (block.txs.length > this.genesis.params.maxBlockTxs) bad(`it has more than ${this.genesis.params.maxBlockTxs} transactions`);
    const check = verifyHeader(this.suite, h, block.hash, block.sig, this.validatorsAt(h.height));
    if (!check.ok) bad(check.reason!);
    const parentRefs = this.headRefs();
    let refs: Refs = parentRefs;
    try {
      refs = effectiveRefs(block.refs, parentRefs, this.gate.consulted);
    } catch (err) {
      bad((err as Error).message);
    }
    if (block.refs !== undefined && refsEqual(refs, parentRefs)) bad('its refs repeat its parent\'s (a block names refs only to move them)');
    if (block.txs.length > 0) {
      const missing = await this.gate.available(refs, this.refWaitMs);
      if (missing) bad(`it names ${missing}`);
    }
    // Signatures of txs this node admitted were checked then; the others are checked now, once.
    const hashes = block.txs.map((tx) => txHashOf(this.suite, tx));
    const unknown = block.txs.filter((_, i) => !this.mempool.has(hashes[i]!));
    const admitted = new Map<string, MempoolEntry>();
    if (unknown.length > 0) {
      const answer = await this.admission.admitTxs(this.admitParams(), unknown);
      if (answer.kind === 'invalid') bad(answer.message);
      else for (const o of answer.outcomes) {
        if (!o.ok) bad(`tx ${o.hash ?? '?'} is not acceptable: ${o.message}`);
        else admitted.set(o.hash, { tx: o.tx, hash: o.hash, bytes: o.bytes, selfCertified: o.selfCertified });
      }
    }
    const verdicts = new Map<string, Verdict>();
    const entries = block.txs.map((_, i) => {
      const hash = hashes[i]!;
      const e = this.mempool.get(hash) ?? admitted.get(hash);
      if (!e) bad(`tx ${hash} could not be admitted`);
      if (e!.tx.expires < h.height) bad(`tx ${hash} expired at height ${e!.tx.expires}`);
      // Every tx, pooled or not: a key or policy may have changed since this node admitted it.
      const v = this.gate.judge(e!.tx, e!.selfCertified, refs, verdicts);
      if (!v.ok) bad(`tx ${hash}: ${v.message} (${v.code})`);
      return e!;
    });
    let run: BlockRun;
    try {
      run = await this.run(h.height, h.time, entries, block.refs === undefined ? undefined : refs);
    } catch (err) {
      throw err instanceof ShulianError && err.code === 'BLOCK_INVALID' ? err : new ShulianError('BLOCK_INVALID', `block ${h.height}: ${(err as Error).message}`);
    }
    const differs = run.txRoot !== h.txRoot ? 'tx root' : run.receiptRoot !== h.receiptRoot ? 'receipt root' : run.stateRoot !== h.stateRoot ? 'state root' : undefined;
    if (differs) bad(`its ${differs} differs from this node's execution`);
    return { block: { ...block, receipts: run.receipts }, receiptHashes: run.receiptHashes, writes: run.writes, values: run.values };
  }

  /**
   * Commits a proposed or validated block, with the commit certificate consensus produced.
   * Resolves once the block is durable; only then is it visible and announced.
   */
  async commitCandidate(c: BlockCandidate, commit?: JsonValue): Promise<Block> {
    const { block } = c;
    await this.store.commitBlock({ block, receiptHashes: c.receiptHashes, state: c.writes, values: c.values, ...(commit === undefined ? {} : { commit }) });
    for (const r of block.receipts) this.mempool.remove(r.tx);
    this.store.removePending(this.mempool.prune(block.header.height + 1, (did) => this.committedNonce(did)));
    this.events.emit('block', block);
    return block;
  }

  /** The commit certificate stored with a block, when its consensus produces one. */
  getCommit(height: number): JsonValue | undefined {
    return this.store.getMeta(height)?.commit;
  }

  /**
   * Executes txs at (height, time) on top of the head and computes the roots; `refs`, when the
   * block moves them, is written to REFS_KEY so the state root commits to it. Long work runs in
   * slices with yields so the node keeps serving reads; none of it changes the result.
   */
  private async run(height: number, time: number, entries: MempoolEntry[], refs?: Refs): Promise<BlockRun> {
    const head = this.store.head()!;
    const executed = await this.executor.executeBlock(
      { get: (k) => this.store.getState(k) },
      { chain: this.id, height, time, maxTxGas: this.genesis.params.maxTxGas },
      entries, yieldToEventLoop,
    );
    if (refs) executed.writes.set(REFS_KEY, canonicalize(refs as JsonValue));
    const updates: SmtUpdate[] = [];
    const values = new Map<string, string>();
    let n = 0;
    for (const [key, json] of executed.writes) {
      if (++n % HASH_SLICE === 0) await yieldToEventLoop();
      if (json === null) {
        updates.push({ key: stateKeyHash(this.suite, key), value: null });
      } else {
        const vh = this.hash(Buffer.from(json, 'utf8'));
        values.set(toHex(vh), json);
        updates.push({ key: stateKeyHash(this.suite, key), value: vh });
      }
    }
    // In slices: the root is the same as one batch (it depends only on the final key set), at
    // the cost of rehashing the few shared upper nodes once per slice.
    // Tree nodes of candidates that never commit stay pending and are written, unreferenced,
    // with the next committed block: content-addressed, so they harm nothing, and no candidate
    // can lose a node another still needs.
    let stateRoot = fromHex(head.stateRoot);
    for (let i = 0; i < updates.length; i += SMT_SLICE) {
      if (i > 0) await yieldToEventLoop();
      stateRoot = this.tree.update(stateRoot, updates.slice(i, i + SMT_SLICE));
    }
    const receiptHashes: string[] = [];
    for (let i = 0; i < executed.receipts.length; i++) {
      if (i > 0 && i % HASH_SLICE === 0) await yieldToEventLoop();
      receiptHashes.push(receiptHashOf(this.suite, executed.receipts[i]!));
    }
    const txRoot = toHex(merkleRoot(entries.map((e) => fromHex(e.hash)), this.hash));
    await yieldToEventLoop();
    const receiptRoot = toHex(merkleRoot(receiptHashes.map((h) => fromHex(h)), this.hash));
    return { receipts: executed.receipts, receiptHashes, writes: executed.writes, values, stateRoot: toHex(stateRoot), txRoot, receiptRoot };
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** A block built or checked by this node, ready to commit. */
export interface BlockCandidate {
  block: Block;
  receiptHashes: string[];
  writes: Map<string, string | null>;
  values: Map<string, string>;
}

interface BlockRun {
  receipts: Receipt[];
  receiptHashes: string[];
  writes: Map<string, string | null>;
  values: Map<string, string>;
  stateRoot: string;
  txRoot: string;
  receiptRoot: string;
}

/** Where the `validators` module keeps its schedule of validator sets. */
const VALIDATOR_SCHEDULE_KEY = 'validators/schedule';

/** Most txs in one request. */
export const MAX_BATCH = 1000;

/** State updates per tree slice (see produceBlock). */
const SMT_SLICE = 128;
/** Longest run of tx admission checks before the event loop gets a turn (see accept). */
const ACCEPT_SLICE_MS = 2;
/** Hashes per slice of a block's other hashing work. */
const HASH_SLICE = 250;

/** Lets pending I/O (API requests) run between slices of long work. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function rejection(err: unknown, hash: string | undefined): SubmitResult {
  const code = err instanceof ShulianError ? err.code : 'TX_REJECTED';
  const message = err instanceof Error ? err.message : String(err);
  return hash === undefined ? { accepted: false, code, message } : { accepted: false, hash, code, message };
}

