/**
 * The supervision service (监管服务, white paper §5.2.2; docs/supervision.md): follows every
 * chain's committed blocks, applies the rules published on the governance chain, keeps alerts
 * with inclusion proofs and statistics in its store, pushes new alerts to subscribers and
 * webhooks. Embedded in a node (`shulian up`) or on its own (`shulian supervise`).
 *
 * Exactly once: per chain a cursor (the last height processed) is written with what the block
 * produced; after a restart the chain is replayed from far enough back to rebuild its windows
 * and sequences, and alerts of heights at or below the cursor are not raised again (their ids
 * are the same anyway, and the store keeps one alert per id).
 */
import { EventEmitter } from 'node:events';
import type { Block, TxInclusion } from '../ledger/index.ts';
import { observationsOf } from '../rules/index.ts';
import type { Alert } from '../sdk/index.ts';
import { RuleEngine, type AlertDraft } from './engine.ts';
import type { Feed, FeedChain } from './feed.ts';
import { loadRules, type LoadedRules } from './loader.ts';
import { blockStats } from './stats.ts';
import type { SupervisionStore } from './store.ts';
import { WebhookSender, type Webhook, type WebhookRetry } from './webhooks.ts';

export interface SupervisionOptions {
  feed: Feed;
  store: SupervisionStore;
  /** The governance chain (rules, lists, approvals, regulators). Default "gov". */
  govChain?: string;
  webhooks?: Webhook[];
  /** Retry schedule of webhook deliveries (tests shorten it). */
  webhookRetry?: Partial<WebhookRetry>;
  /** How often chains without in-process notifications are polled (ms, default 1000). */
  pollMs?: number;
  /** How often the list of chains is looked at again, for governed chains that started (ms, default 5000). */
  discoverMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

/** Counters for /v1/supervision/status and the bench. */
export interface SupervisionStatus {
  running: boolean;
  govHeight: number;
  rules: number;
  skippedRules: Array<{ id: string; reason: string }>;
  chains: Record<string, { height: number; lag: number }>;
  txs: number;
  evaluations: number;
  errors: number;
  alerts: number;
  webhooks: { delivered: number; failed: number; gaveUp: number; waiting: number; dropped: number };
}

interface Follower {
  chain: FeedChain;
  busy: boolean;
  again: boolean;
  height: number;
  head: number;
  /** The height of the cursor in the store (it may trail `height` by blocks that brought nothing). */
  stored: number;
  unsubscribe?: () => void;
}

/**
 * A block with no txs (a tbft chain's empty blocks, about one a second per idle chain) changes
 * nothing in the store but the cursor, and writing that cost a synced store transaction per
 * block. Such a block's cursor is written once this many blocks have passed since the last one
 * stored: after a restart they are processed again, and bring nothing again.
 */
const CURSOR_LAG_BLOCKS = 256;

export class SupervisionService {
  readonly engine = new RuleEngine();
  private readonly events = new EventEmitter();
  private readonly followers = new Map<string, Follower>();
  private readonly govChain: string;
  private readonly webhooks: WebhookSender;
  private loaded: LoadedRules | undefined;
  private loading: Promise<void> | undefined;
  /** The last attempt to read the rules failed: blocks wait until a retry succeeds. */
  private rulesStale = true;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private started = false;

  constructor(private readonly opts: SupervisionOptions) {
    this.govChain = opts.govChain ?? 'gov';
    this.webhooks = new WebhookSender(opts.store, opts.webhooks ?? [], {
      withProofs: (a) => this.withProofs(a),
      ...(opts.now ? { now: opts.now } : {}), ...(opts.log ? { log: opts.log } : {}), ...(opts.webhookRetry ? { retry: opts.webhookRetry } : {}),
    });
    this.events.setMaxListeners(0);
  }

  get store(): SupervisionStore {
    return this.opts.store;
  }

  /** What the rules in force are, and who may see what (for the API). */
  get rules(): LoadedRules | undefined {
    return this.loaded;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.reloadRules();
    await this.discover();
    this.webhooks.start();
    const poll = setInterval(() => {
      if (this.rulesStale) void this.reloadRules();
      for (const f of this.followers.values()) if (!f.unsubscribe) this.kick(f);
    }, this.opts.pollMs ?? 1_000);
    const discover = setInterval(() => void this.discover().catch((err: unknown) => this.log(`looking for chains: ${(err as Error).message}`)), this.opts.discoverMs ?? 5_000);
    poll.unref();
    discover.unref();
    this.timers.push(poll, discover);
  }

  /** Calls `listener` with each new alert once it is stored; returns an unsubscribe. */
  onAlert(listener: (a: Alert) => void): () => void {
    this.events.on('alert', listener);
    return () => this.events.off('alert', listener);
  }

  /** Resolves once every followed chain is processed up to the height it had when called (tests, bench). */
  async settled(timeoutMs = 30_000): Promise<void> {
    const targets = await Promise.all([...this.followers.values()].map(async (f) => ({ f, h: await f.chain.height() })));
    const deadline = Date.now() + timeoutMs;
    for (const { f, h } of targets) {
      while (f.height < h) {
        if (Date.now() > deadline) throw new Error(`supervision: chain ${f.chain.id} processed to ${f.height}, not ${h}, within ${timeoutMs} ms`);
        this.kick(f);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  status(): SupervisionStatus {
    const chains: SupervisionStatus['chains'] = {};
    for (const [id, f] of this.followers) chains[id] = { height: f.height, lag: Math.max(0, f.head - f.height) };
    const s = this.engine.stats;
    return {
      running: this.started && !this.closed, govHeight: this.loaded?.ctx.govHeight ?? -1, rules: this.engine.ruleCount,
      skippedRules: this.loaded?.skipped ?? [], chains, txs: s.txs, evaluations: s.evaluations, errors: s.errors, alerts: s.alerts,
      webhooks: { ...this.webhooks.stats, ...this.opts.store.outboxSize() },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.webhooks.close();
    for (const f of this.followers.values()) f.unsubscribe?.();
    // Let a block being processed finish its store transaction.
    const deadline = Date.now() + 5_000;
    while ([...this.followers.values()].some((f) => f.busy) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  private log(line: string): void {
    this.opts.log?.(`supervision: ${line}`);
  }

  /** Reads the rules in force at the governance chain's latest height. */
  private reloadRules(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const h = await this.opts.feed.chain(this.govChain).height();
        if (h < 0) return;
        const loaded = await loadRules(this.opts.feed, this.govChain, h);
        this.loaded = loaded;
        this.rulesStale = false;
        this.engine.setRules(loaded.rules, loaded.ctx);
        for (const s of loaded.skipped) this.log(`rule ${s.id} not applied: ${s.reason}`);
      } catch (err) {
        this.rulesStale = true;
        this.log(`could not load the rules (retrying): ${(err as Error).message}`);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Follows chains that appeared (governed business chains start after the node). */
  private async discover(): Promise<void> {
    if (this.closed) return;
    for (const id of await this.opts.feed.chains()) {
      if (this.followers.has(id)) continue;
      const chain = this.opts.feed.chain(id);
      const cursor = this.opts.store.cursor(id);
      const f: Follower = { chain, busy: false, again: false, height: cursor?.height ?? 0, head: 0, stored: cursor?.height ?? 0 };
      this.followers.set(id, f);
      await this.replay(f, cursor?.height ?? 0, cursor?.time);
      if (chain.onBlock) f.unsubscribe = chain.onBlock(() => this.kick(f));
      this.kick(f);
    }
  }

  /**
   * Rebuilds a chain's windows and sequences after a restart: processes the blocks that can
   * still matter to the next one (the longest window of block time, the longest sequence in
   * blocks) without raising alerts or counting statistics again.
   */
  private async replay(f: Follower, cursor: number, cursorTime: number | undefined): Promise<void> {
    if (cursor <= 0 || cursorTime === undefined) return;
    const { windowMs, withinBlocks } = lookback(this.loaded);
    let from = cursor + 1;
    if (withinBlocks > 0) from = Math.max(1, cursor - withinBlocks);
    if (windowMs > 0) {
      // The first block whose time is still inside the longest window, by binary search.
      let lo = 1;
      let hi = cursor;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const b = await f.chain.block(mid);
        if (!b || b.header.time > cursorTime - windowMs) hi = mid;
        else lo = mid + 1;
      }
      from = Math.min(from, lo);
    }
    this.engine.resetChain(f.chain.id);
    for (let h = from; h <= cursor && !this.closed; h++) {
      const b = await f.chain.block(h);
      if (!b) break;
      for (const o of observationsOf(b)) this.engine.observe(o);
    }
  }

  private kick(f: Follower): void {
    if (this.closed) return;
    if (f.busy) {
      f.again = true;
      return;
    }
    f.busy = true;
    void this.follow(f)
      .catch((err: unknown) => this.log(`chain ${f.chain.id}: ${(err as Error).message}`))
      .finally(() => {
        f.busy = false;
        if (f.again && !this.closed) {
          f.again = false;
          this.kick(f);
        }
      });
  }

  /** Processes a chain's blocks from its cursor to its head, in order. */
  private async follow(f: Follower): Promise<void> {
    // A block processed without the rules in force would never be looked at again: wait for them.
    if (this.rulesStale) await this.reloadRules();
    if (this.rulesStale) return;
    f.head = await f.chain.height();
    while (f.height < f.head && !this.closed) {
      const b = await f.chain.block(f.height + 1);
      if (!b) break;
      await this.process(f, b);
      f.height = b.header.height;
    }
  }

  private async process(f: Follower, b: Block): Promise<void> {
    // No txs: no observation, so no alert and no statistic (CURSOR_LAG_BLOCKS).
    if (b.txs.length === 0 && b.header.height - f.stored < CURSOR_LAG_BLOCKS) return;
    if (this.loading) await this.loading;
    const obs = observationsOf(b);
    const drafts: AlertDraft[] = [];
    for (const o of obs) drafts.push(...this.engine.observe(o));
    const fresh = new Map<string, AlertDraft>();
    for (const d of drafts) if (!fresh.has(d.id) && !this.opts.store.hasAlert(d.id)) fresh.set(d.id, d);
    const now = (this.opts.now ?? Date.now)();
    const alerts: Alert[] = [];
    // Proofs are made when an alert is read or delivered (withProofs), not here: building Merkle
    // proofs for every alert's evidence would slow the node the service watches.
    for (const d of fresh.values()) alerts.push({ ...d, raisedAt: now, status: 'open', history: [{ at: now, by: 'supervision', status: 'open' }] });
    const stats = blockStats(obs, alerts, this.loaded?.members ?? new Set(), b.header.time);
    f.stored = b.header.height;
    const stored = this.opts.store.commitBlock(f.chain.id, { height: b.header.height, time: b.header.time }, alerts, stats.deltas, stats.active, this.webhooks.ids);
    for (const a of stored) this.events.emit('alert', a);
    if (stored.length > 0) this.webhooks.wake();
    // Rules, lists, approvals and regulators change on the governance chain.
    if (f.chain.id === this.govChain && b.txs.some((t) => t.module === 'supervision' || t.module === 'governance')) await this.reloadRules();
  }

  /** The alert with the inclusion proofs of its txs, read from their chains now. */
  async withProofs(a: Alert): Promise<Alert & { proofs: TxInclusion[] }> {
    const proofs: TxInclusion[] = [];
    for (const t of a.txs) {
      const inc = await this.opts.feed.chain(t.chain).inclusion(t.hash);
      if (inc) proofs.push(inc);
    }
    return { ...a, proofs };
  }
}

/** How far back a chain's state reaches: the longest window (block time) and sequence (blocks) of the rules. */
function lookback(loaded: LoadedRules | undefined): { windowMs: number; withinBlocks: number } {
  let windowMs = 0;
  let withinBlocks = 0;
  for (const r of loaded?.rules ?? []) {
    if (r.compiled.kind === 'window') windowMs = Math.max(windowMs, r.compiled.windowMs);
    if (r.compiled.kind === 'sequence') withinBlocks = Math.max(withinBlocks, r.compiled.withinBlocks);
  }
  return { windowMs, withinBlocks };
}
