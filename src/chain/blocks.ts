/**
 * Block execution: a chain's next block proposed from its mempool, a proposed block validated by
 * re-execution, a decided block committed. Consensus engines decide which of these happen and
 * when (src/consensus, ConsensusHost); this file decides what a valid block is
 * (docs/consensus.md#block-validity).
 */
import { ShulianError, fromHex, toHex, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, sign, type KeyPair, type Suite } from '../crypto/index.ts';
import {
  headerHashOf, txHashOf, verifyProposerSignature,
  type Block, type BlockHeader, type Genesis, type ValidatorInfo,
} from '../ledger/index.ts';
import type { ChainStore } from '../ledger/store/index.ts';
import type { Mempool, MempoolEntry } from './mempool.ts';
import type { AdmitParams } from './admission/admit.ts';
import type { Gate } from './admission/gate.ts';
import type { AdmissionPool } from './admission/pool.ts';
import { runBlock, type BlockRun, type ParentState, type RunContext } from './execute.ts';
import { effectiveRefs, refsEqual, type Refs, type Verdict } from './refs.ts';

/** A block built or checked by this node, ready to commit. */
export interface BlockCandidate {
  block: Block;
  receiptHashes: string[];
  writes: Map<string, string | null>;
  values: Map<string, string>;
}

/** What block execution needs from its chain. */
export interface BlockHost {
  readonly id: string;
  readonly suite: Suite;
  readonly genesis: Genesis;
  readonly store: ChainStore;
  readonly mempool: Mempool;
  readonly gate: Gate;
  readonly admission: AdmissionPool;
  readonly run: RunContext;
  /** This node's validator key, when it validates the chain. */
  readonly validatorKey: KeyPair | undefined;
  /** How long validating waits for this node to reach the heights of other chains a block names. */
  readonly refWaitMs: number;
  admitParams(): AdmitParams;
  /** The refs in force after the head. */
  headRefs(): Refs;
  committedNonce(did: string): number;
  validatorsAt(height: number): ValidatorInfo[];
  /** Tells listeners of a block once it is durable. */
  announce(block: Block): void;
}

export class BlockExecution {
  constructor(private readonly c: BlockHost) {}

  /**
   * Builds and signs the next block from ready mempool txs, executed on top of the head, without
   * committing it. Consensus decides whether it commits (commit) or is dropped. The block names
   * the latest heights of the chains whose state judges its senders (Block.refs); txs refused at
   * those heights leave the mempool.
   */
  async propose(now: number, opts: { allowEmpty?: boolean } = {}): Promise<BlockCandidate | null> {
    const c = this.c;
    if (!c.validatorKey) throw new ShulianError('NOT_VALIDATOR', `this node does not validate chain ${c.id}`);
    const head = c.store.head()!;
    const height = head.height + 1;
    const parentRefs = c.headRefs();
    let entries = c.mempool.reap(c.genesis.params.maxBlockTxs, height, (did) => c.committedNonce(did));
    let refs = parentRefs;
    if (entries.length > 0) {
      refs = c.gate.latest(parentRefs);
      // This node lags behind a height an earlier block named: wait a little, else propose no txs.
      const missing = await c.gate.available(refs, c.refWaitMs);
      entries = missing ? [] : this.screen(entries, refs);
      if (entries.length === 0) refs = parentRefs;
    }
    if (entries.length === 0 && !opts.allowEmpty) {
      c.store.removePending(c.mempool.prune(height, (did) => c.committedNonce(did)));
      return null;
    }
    const time = Math.max(now, head.time + 1);
    const proposer = didFromPublicKey(c.validatorKey.publicKey);
    const named = refsEqual(refs, parentRefs) ? undefined : refs;
    const run = await this.run(height, time, entries, refs, named);
    const header: BlockHeader = {
      chain: c.id, height, prev: head.hash, time, txCount: entries.length, txRoot: run.txRoot, receiptRoot: run.receiptRoot,
      stateRoot: run.stateRoot, proposer,
    };
    const hash = headerHashOf(c.suite, header);
    const sig = toHex(sign(c.suite, c.validatorKey.privateKey, fromHex(hash)));
    const block: Block = { header, hash, sig, txs: entries.map((e) => e.tx), receipts: run.receipts };
    if (named) block.refs = named;
    c.store.prewriteNodes();
    return { block, receiptHashes: run.receiptHashes, writes: run.writes, values: run.values };
  }

  /**
   * Re-judges reaped txs at the block's refs. A refused tx leaves the mempool; the sender's later
   * txs stay out of this block (their nonces would not follow) and wait as gapped.
   */
  private screen(entries: MempoolEntry[], refs: Refs): MempoolEntry[] {
    const c = this.c;
    const verdicts = new Map<string, Verdict>();
    const blocked = new Set<string>();
    const refused: string[] = [];
    const out: MempoolEntry[] = [];
    for (const e of entries) {
      if (blocked.has(e.tx.from)) continue;
      if (c.gate.judge(e.tx, e.selfCertified, refs, verdicts).ok) {
        out.push(e);
      } else {
        blocked.add(e.tx.from);
        refused.push(e.hash);
      }
    }
    for (const h of refused) c.mempool.remove(h);
    c.store.removePending(refused);
    return out;
  }

  /**
   * Checks a block proposed by another validator, as a function of the block, this chain's state
   * at its parent and the other chains' state at the heights it names: header fields, proposer
   * signature, its refs (never behind the parent's), each tx's signature (checked here only if
   * this node has not already admitted it), each sender's key and admission at those refs, then
   * re-executes it and compares every root and receipt. Throws BLOCK_INVALID saying what differs.
   * Never consulted: this node's mempool policy or its latest view of other chains. Whether a
   * block may be empty is the engine's rule (`allowEmpty`): solo never makes empty blocks, tbft
   * does, so that rounds and heights keep moving.
   */
  async validate(block: Block, now: number, opts: { allowEmpty?: boolean; maxClockDriftMs?: number } = {}): Promise<BlockCandidate> {
    const c = this.c;
    const maxClockDriftMs = opts.maxClockDriftMs ?? 10_000;
    const head = c.store.head()!;
    const h = block.header;
    const bad = (why: string): never => {
      throw new ShulianError('BLOCK_INVALID', `block ${h?.height} of chain ${c.id}: ${why}`);
    };
    if (h.chain !== c.id) bad(`it is for chain ${h.chain}`);
    if (h.height !== head.height + 1) bad(`expected height ${head.height + 1}`);
    if (h.prev !== head.hash) bad('it does not extend this node\'s head');
    if (h.time <= head.time || h.time > now + maxClockDriftMs) bad(`block time ${h.time} is not after ${head.time} or is too far ahead of this node's clock`);
    // The receipts a proposer sends, if any, are not used: this node's execution makes them, and
    // the header's receipt root is checked below (a compact proposal carries none).
    if (h.txCount !== block.txs.length) bad('tx count does not match');
    if (block.txs.length === 0 && !opts.allowEmpty) bad('it has no transactions');
    if (block.txs.length > c.genesis.params.maxBlockTxs) bad(`it has more than ${c.genesis.params.maxBlockTxs} transactions`);
    const check = verifyProposerSignature(c.suite, h, block.hash, block.sig, c.validatorsAt(h.height));
    if (!check.ok) bad(check.reason!);
    const parentRefs = c.headRefs();
    let refs: Refs = parentRefs;
    try {
      refs = effectiveRefs(block.refs, parentRefs, c.gate.consulted);
    } catch (err) {
      bad((err as Error).message);
    }
    if (block.refs !== undefined && refsEqual(refs, parentRefs)) bad('its refs repeat its parent\'s (a block names refs only to move them)');
    if (block.txs.length > 0) {
      const missing = await c.gate.available(refs, c.refWaitMs);
      if (missing) bad(`it names ${missing}`);
    }
    // Signatures of txs this node admitted were checked then; the others are checked now, once.
    const hashes = block.txs.map((tx) => txHashOf(c.suite, tx));
    const unknown = block.txs.filter((_, i) => !c.mempool.has(hashes[i]!));
    const admitted = new Map<string, MempoolEntry>();
    if (unknown.length > 0) {
      const answer = await c.admission.admitTxs(c.admitParams(), unknown);
      if (answer.kind === 'invalid') bad(answer.message);
      else for (const o of answer.outcomes) {
        if (!o.ok) bad(`tx ${o.hash ?? '?'} is not acceptable: ${o.message}`);
        else admitted.set(o.hash, { tx: o.tx, hash: o.hash, bytes: o.bytes, selfCertified: o.selfCertified });
      }
    }
    const verdicts = new Map<string, Verdict>();
    const entries = block.txs.map((_, i) => {
      const hash = hashes[i]!;
      const e = c.mempool.get(hash) ?? admitted.get(hash);
      if (!e) bad(`tx ${hash} could not be admitted`);
      if (e!.tx.expires < h.height) bad(`tx ${hash} expired at height ${e!.tx.expires}`);
      // Every tx, pooled or not: a key or policy may have changed since this node admitted it.
      const v = c.gate.judge(e!.tx, e!.selfCertified, refs, verdicts);
      if (!v.ok) bad(`tx ${hash}: ${v.message} (${v.code})`);
      return e!;
    });
    let run: BlockRun;
    try {
      run = await this.run(h.height, h.time, entries, refs, block.refs === undefined ? undefined : refs);
    } catch (err) {
      throw err instanceof ShulianError && err.code === 'BLOCK_INVALID' ? err : new ShulianError('BLOCK_INVALID', `block ${h.height}: ${(err as Error).message}`);
    }
    const differs = run.txRoot !== h.txRoot ? 'tx root' : run.receiptRoot !== h.receiptRoot ? 'receipt root' : run.stateRoot !== h.stateRoot ? 'state root' : undefined;
    if (differs) bad(`its ${differs} differs from this node's execution`);
    c.store.prewriteNodes();
    return { block: { ...block, receipts: run.receipts }, receiptHashes: run.receiptHashes, writes: run.writes, values: run.values };
  }

  /**
   * Commits a proposed or validated block, with the commit certificate consensus produced.
   * Resolves once the block is durable; only then is it visible and announced.
   */
  async commit(candidate: BlockCandidate, commit?: JsonValue): Promise<Block> {
    const c = this.c;
    const { block } = candidate;
    await c.store.commitBlock({ block, receiptHashes: candidate.receiptHashes, state: candidate.writes, values: candidate.values, ...(commit === undefined ? {} : { commit }) });
    for (const r of block.receipts) c.mempool.remove(r.tx);
    c.store.removePending(c.mempool.prune(block.header.height + 1, (did) => c.committedNonce(did)));
    c.announce(block);
    return block;
  }

  /**
   * Runs a block on the committed head (see execute.ts for where a pipelined parent would come
   * in), at its effective refs (`refs`: what its senders were judged at, and what freezes its
   * execution reads); `named` when the block moves them.
   */
  private run(height: number, time: number, entries: MempoolEntry[], refs: Refs, named?: Refs): Promise<BlockRun> {
    const { store } = this.c;
    const parent: ParentState = { stateRoot: store.head()!.stateRoot, get: (k) => store.getState(k) };
    const alliance = entries.length > 0 ? this.c.gate.allianceView(refs) : undefined;
    return runBlock(this.c.run, parent, height, time, entries, named, alliance);
  }
}
