/**
 * The tbft driver: runs the pure core (core.ts) for one chain — through the chain's
 * ConsensusHost, the peer network's TbftTransport (wired by src/node) and a FileWal — and
 * catches the chain up from peers when it falls behind. docs/consensus.md#wiring-it-to-a-chain.
 */
import { ShulianError, asJson, type JsonValue } from '../../codec/index.ts';
import type { KeyPair } from '../../crypto/index.ts';
import type { Block } from '../../ledger/index.ts';
import type { Candidate, ConsensusEngine, ConsensusHost } from '../types.ts';
import { TbftCore } from './core.ts';
import { keySigner, suiteVerifier, verifyCommit } from './messages.ts';
import { FileWal } from './wal.ts';
import type { TbftTrace } from './trace.ts';
import type { Commit, Evidence, TbftAction, TbftMessage, TbftStatus, TimeoutConfig } from './types.ts';

/** Consensus messages kept while syncing; the core ignores those for heights it passed. */
const MAX_HELD = 10_000;
/**
 * WAL records kept before the log is rewritten without the decided heights. Compacting after every
 * block cost three fsyncs and a rename per block and chain; records of decided heights are
 * ignored on restart (TbftCore.start), so keeping some for a while changes nothing but the size.
 */
const WAL_COMPACT_RECORDS = 256;

/**
 * The peer network as the driver of one chain uses it. node/ wires it over src/net: messages on
 * the chain's `consensus` topic, block sync on its `sync` topic.
 */
export interface TbftTransport {
  /** Offers the chain to peers and serves its blocks to those syncing; returns how to stop serving. */
  join(): () => void;
  /** Connected peers that share the chain. */
  peers(): string[];
  /** One consensus message to one peer (not forwarded). */
  send(peer: string, message: TbftMessage): void;
  /** Consensus messages from peers, as they arrive (unchecked); returns the unsubscribe function. */
  onMessage(handler: (message: JsonValue, from: string) => void): () => void;
  /** Who may connect for the chain changed (a validator set was scheduled): ask again. */
  refreshPeers(): void;
  /** A block syncer that catches `target` up from the peers. */
  syncer(target: CatchUpTarget): BlockCatchUp;
}

/** What block sync applies blocks to. */
export interface CatchUpTarget {
  height(): number;
  /** Verifies a block and its commit, then commits it; throws if invalid. */
  verifyAndApply(block: Block, commit: JsonValue): Promise<void>;
}

/** Catching up from peers (src/net's BlockSyncer). */
export interface BlockCatchUp {
  /** The heights the peers that answered report. */
  peerHeights(): Promise<number[]>;
  syncToTip(): Promise<{ applied: number; height: number }>;
  /** Ends a running syncToTip after the block being applied. */
  stop(): void;
}

export interface TbftDriverOptions<C extends Candidate = Candidate> {
  chain: ConsensusHost<C>;
  net: TbftTransport;
  /** This node's key when it is one of the chain's validators. */
  key?: KeyPair;
  walPath: string;
  log: (line: string) => void;
  /** Called with each piece of evidence of equivocation (a validator writes it on chain). */
  reportEvidence?: (evidence: Evidence) => Promise<void>;
  timeouts?: Partial<TimeoutConfig>;
  /** With an empty mempool the proposer waits this long for txs before proposing an empty block. */
  emptyBlockWaitMs?: number;
  /** How often to compare heights with peers and sync when far behind. */
  catchUpCheckMs?: number;
  clock?: () => number;
  /** Records each step of a height (trace.ts; on when SHULIAN_TBFT_TRACE is set). */
  trace?: TbftTrace;
}

export interface TbftDriverStatus extends TbftStatus {
  proposer: string;
  lastCommitTime: number;
  evidence: number;
  syncing: boolean;
}

/**
 * Connects a chain to the tbft core and the p2p network. The core is a pure state machine: its
 * actions are carried out here, in order, through one queue, so a decision is committed before
 * the next height's proposal or validation starts. Proposals carry the whole block; validators
 * check it by re-executing it (ConsensusHost.validateBlock) before prevoting for it. Blocks may
 * be empty, so that rounds and heights keep moving.
 */
export class TbftDriver<C extends Candidate = Candidate> implements ConsensusEngine {
  readonly type = 'tbft' as const;
  private core: TbftCore;
  private wal!: FileWal;
  /** Bumped when the core is rebuilt after a sync; actions of an older core are dropped. */
  private generation = 0;
  private catchUpTimer: NodeJS.Timeout | undefined;
  /** Consensus messages received before the core (re)started. */
  private readonly held: Array<{ message: TbftMessage; from: string }> = [];
  private started = false;
  private readonly candidates = new Map<string, C>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly syncer: BlockCatchUp;
  private readonly evidence: Evidence[] = [];
  private queue: Promise<void> = Promise.resolve();
  private running = false;
  private syncing = false;
  private lastCommitTime = 0;
  private txWaiter: (() => void) | undefined;

  constructor(private readonly o: TbftDriverOptions<C>) {
    const { chain } = o;
    this.core = this.newCore();
    this.syncer = o.net.syncer({ height: () => chain.height(), verifyAndApply: (block, commit) => this.applySynced(block, commit) });
    chain.onTxs(() => {
      const w = this.txWaiter;
      this.txWaiter = undefined;
      w?.();
    });
  }

  /** A core over the chain's WAL, for the first undecided height (the WAL restores its votes). */
  private newCore(): TbftCore {
    const o = this.o;
    const { chain } = o;
    (this.wal as FileWal | undefined)?.close();
    return new TbftCore({
      chainId: chain.id,
      validatorsAt: (h) => chain.validatorsAt(h),
      verify: suiteVerifier(chain.suite),
      // No repair: a record corrupted in the middle stops the node rather than let it forget
      // votes it already sent (a torn tail from a crash is tolerated).
      wal: (this.wal = new FileWal(o.walPath)),
      ...(o.key ? { signer: keySigner(o.key.suite, o.key.privateKey) } : {}),
      timeouts: { proposeMs: 3000, proposeDeltaMs: 500, prevoteMs: 1000, prevoteDeltaMs: 500, precommitMs: 1000, precommitDeltaMs: 500, commitMs: 0, rebroadcastMs: 2000, ...o.timeouts },
      decisionAt: (h) => {
        const block = chain.getBlock(h);
        const commit = chain.getCommit(h) as Commit | undefined;
        return block && commit ? { value: { hash: block.hash, payload: block }, commit } : undefined;
      },
    });
  }

  status(): TbftDriverStatus {
    const s = this.core.status();
    return { ...s, proposer: this.core.proposer(s.height, s.round), lastCommitTime: this.lastCommitTime, evidence: this.evidence.length, syncing: this.syncing };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { net } = this.o;
    this.unsubscribe.push(
      net.join(),
      net.onMessage((body, from) => {
        // The network delivers each gossip message once: what arrives while syncing is kept
        // and handed to the core that starts afterwards, not dropped.
        if (this.syncing || !this.started) {
          this.held.push({ message: body as unknown as TbftMessage, from });
          if (this.held.length > MAX_HELD) this.held.shift();
        } else {
          const m = body as unknown as TbftMessage;
          this.o.trace?.('recv', m.height, { type: m.type, round: 'round' in m ? m.round : undefined, from });
          this.enqueue(this.core.receive(m, from));
        }
      }),
    );
    // Catch up from peers first (waiting briefly for the first of them), then join consensus at
    // the first undecided height. Later, a node found more than a couple of heights behind its
    // peers (it was partitioned or stalled) syncs again and restarts its core at the new height.
    void (async () => {
      await this.waitForPeers(5000);
      await this.catchUp();
      if (!this.running) return;
      this.startCore();
      this.scheduleCatchUpCheck();
    })();
  }

  private scheduleCatchUpCheck(): void {
    this.catchUpTimer = setTimeout(() => void this.checkBehind().finally(() => {
      if (this.running) this.scheduleCatchUpCheck();
    }), this.o.catchUpCheckMs ?? 3000);
  }

  private async checkBehind(): Promise<void> {
    if (!this.running || this.syncing) return;
    const heights = await this.syncer.peerHeights().catch(() => []);
    const best = Math.max(0, ...heights);
    if (best <= this.o.chain.height() + 2) return;
    this.syncing = true;
    this.started = false;
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.queue;
    await this.catchUp();
    if (!this.running) return;
    this.candidates.clear();
    this.core = this.newCore();
    this.startCore();
  }

  private startCore(): void {
    this.started = true;
    this.enqueue(this.core.start(this.o.chain.height() + 1));
    const held = this.held.splice(0);
    for (const h of held) this.enqueue(this.core.receive(h.message, h.from));
  }

  private async waitForPeers(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.running && this.o.net.peers().length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.catchUpTimer);
    this.syncer.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const u of this.unsubscribe) u();
    this.txWaiter?.();
    await this.queue;
    this.wal.close();
  }

  private async catchUp(): Promise<void> {
    this.syncing = true;
    try {
      const r = await this.syncer.syncToTip();
      if (r.applied > 0) this.o.log(`chain ${this.o.chain.id}: synced ${r.applied} blocks from peers, now at ${r.height}`);
    } catch (err) {
      this.o.log(`chain ${this.o.chain.id}: block sync failed: ${(err as Error).message}`);
    } finally {
      this.syncing = false;
    }
  }

  /** A block from sync: its commit must carry >2/3 of the voting power, then it is re-executed. */
  private async applySynced(block: Block, commit: JsonValue): Promise<void> {
    const { chain } = this.o;
    const c = commit as unknown as Commit;
    const check = verifyCommit(c, chain.validatorsAt(block.header?.height ?? 0), chain.id, suiteVerifier(chain.suite));
    if (!check.ok) throw new ShulianError('COMMIT_INVALID', `block ${block.header?.height}: ${check.reason}`);
    if (c.blockHash !== block.hash || c.height !== block.header.height) throw new ShulianError('COMMIT_INVALID', 'the commit is for another block');
    // Past blocks are checked against their own time, not this node's clock.
    const candidate = await chain.validateBlock(block, block.header.time, { allowEmpty: true });
    await chain.commitCandidate(candidate, commit);
  }

  private enqueue(actions: TbftAction[]): void {
    if (actions.length === 0) return;
    const generation = this.generation;
    this.queue = this.queue.then(() => (generation === this.generation ? this.perform(actions) : undefined)).catch((err: unknown) => {
      this.o.log(`chain ${this.o.chain.id}: consensus action failed: ${(err as Error).message}`);
    });
  }

  private async perform(actions: TbftAction[]): Promise<void> {
    const { chain, net } = this.o;
    const clock = this.o.clock ?? Date.now;
    for (const a of actions) {
      if (!this.running) return;
      switch (a.type) {
        case 'broadcast':
          this.o.trace?.('send', a.message.height, { type: a.message.type, round: 'round' in a.message ? a.message.round : undefined });
          // Direct to each validator peer rather than gossip: the core's rebroadcasts repeat a
          // message byte for byte, which gossip's seen-cache would swallow, and validators are
          // connected to each other anyway.
          for (const peer of net.peers()) net.send(peer, a.message);
          break;
        case 'send':
          net.send(a.to, a.message);
          break;
        case 'scheduleTimeout': {
          const generation = this.generation;
          const t = setTimeout(() => {
            this.timers.delete(t);
            if (this.running && generation === this.generation) this.enqueue(this.core.timeout(a.kind, a.height, a.round));
          }, a.ms);
          this.timers.add(t);
          break;
        }
        case 'requestProposal': {
          if (!chain.hasPendingTxs()) await this.waitForTxs(this.o.emptyBlockWaitMs ?? 1000);
          if (!this.running || chain.height() + 1 !== a.height) break;
          this.o.trace?.('propose-start', a.height, { round: a.round });
          const c = await chain.proposeBlock(clock(), { allowEmpty: true });
          this.o.trace?.('propose-end', a.height, { txs: c?.block.txs.length });
          if (!c) break;
          this.candidates.set(c.block.hash, c);
          this.enqueue(this.core.proposalValue(a.height, a.round, { hash: c.block.hash, payload: c.block }));
          break;
        }
        case 'validate':
          this.o.trace?.('validate-start', a.height);
          this.enqueue(this.core.validated(a.height, a.value.hash, await this.validate(a.value.hash, a.value.payload, clock())));
          break;
        case 'decide': {
          this.o.trace?.('decide-start', a.height, { round: a.round });
          let c = this.candidates.get(a.value.hash);
          if (!c) {
            const result = await this.validate(a.value.hash, a.value.payload, clock());
            c = this.candidates.get(a.value.hash);
            if (!c) throw new ShulianError('DECIDED_INVALID', `height ${a.height}: >2/3 of validators committed block ${a.value.hash}, which this node finds ${result}`);
          }
          const committed = await chain.commitCandidate(c, asJson(a.commit));
          this.candidates.clear();
          // A validator-set change was scheduled: who may connect for this chain changed.
          if (committed.receipts.some((r) => r.events.some((e) => e.type === 'ValidatorSetScheduled'))) net.refreshPeers();
          if (this.wal.entries().length >= WAL_COMPACT_RECORDS) this.wal.compact(a.height + 1);
          this.lastCommitTime = Date.now();
          this.o.trace?.('decide-end', a.height, { txs: committed.txs.length });
          break;
        }
        case 'recordEvidence':
          this.evidence.push(a.evidence);
          this.o.log(`chain ${chain.id}: evidence of ${a.evidence.type} by ${a.evidence.validator} at height ${a.evidence.height}`);
          await this.o.reportEvidence?.(a.evidence);
          break;
      }
    }
  }

  private async validate(hash: string, payload: unknown, now: number): Promise<'valid' | 'invalid' | 'mismatch'> {
    if (this.candidates.has(hash)) return 'valid';
    const block = payload as Block;
    if (!block || typeof block !== 'object' || block.hash !== hash) return 'mismatch';
    try {
      const c = await this.o.chain.validateBlock(block, now, { allowEmpty: true });
      this.o.trace?.('validate-end', block.header.height, { txs: block.txs.length });
      this.candidates.set(hash, c);
      return 'valid';
    } catch (err) {
      this.o.log(`chain ${this.o.chain.id}: rejected proposed block ${hash.slice(0, 12)}…: ${(err as Error).message}`);
      return 'invalid';
    }
  }

  private waitForTxs(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(t);
        if (self.txWaiter === done) self.txWaiter = undefined;
        resolve();
      }
      this.txWaiter = done;
    });
  }
}
