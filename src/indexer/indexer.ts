/**
 * `shulian indexer` (docs/explorer.md): follows the chains of one or more nodes over their HTTP
 * API and writes every committed block into PostgreSQL (store.ts), in order, each exactly once.
 * A block is checked before it is written: its hash is the hash of its header under the chain's
 * suite and its `prev` is the hash indexed before it, so a node serving another chain (or a
 * tampered block) stops that chain's indexing with INDEXER_CHAIN_BROKEN instead of mixing
 * histories. A chain hosted by several of the nodes is read from the first that answers.
 */
import type { Suite } from '../crypto/index.ts';
import { headerHashOf, type Block } from '../ledger/index.ts';
import type { ShulianHttp } from '../sdk/index.ts';
import { rowsOf } from './rows.ts';
import type { PgIndex } from './store.ts';

export interface IndexerOptions {
  index: PgIndex;
  /** The nodes read from, in order of preference. */
  sources: ShulianHttp[];
  /** How often each chain's head is looked at when idle (ms, default 500). */
  pollMs?: number;
  /** How often the nodes' chain lists are read again (ms, default 5000). */
  discoverMs?: number;
  /** Blocks fetched ahead of the one being written (default 8). */
  prefetch?: number;
  log?: (line: string) => void;
}

export interface IndexerStatus {
  chains: Record<string, { indexed: number; head: number; lag: number; error?: string }>;
  blocks: number;
  txs: number;
}

interface Follow {
  chain: string;
  suite: Suite;
  indexed: number;
  head: number;
  busy: boolean;
  /**
   * `indexed` is to be read again from PostgreSQL before the next block: after a failed write,
   * or when another indexer had written the block first. Otherwise it is kept in memory.
   */
  reread: boolean;
  error?: string;
}

export class Indexer {
  private readonly follows = new Map<string, Follow>();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private counts = { blocks: 0, txs: 0 };

  constructor(private readonly opts: IndexerOptions) {}

  async start(): Promise<void> {
    await this.discover();
    const poll = setInterval(() => {
      for (const f of this.follows.values()) this.kick(f);
    }, this.opts.pollMs ?? 500);
    const discover = setInterval(() => void this.discover().catch((err: unknown) => this.log(`reading the chain lists: ${(err as Error).message}`)), this.opts.discoverMs ?? 5_000);
    poll.unref();
    discover.unref();
    this.timers.push(poll, discover);
    for (const f of this.follows.values()) this.kick(f);
  }

  status(): IndexerStatus {
    const chains: IndexerStatus['chains'] = {};
    for (const f of this.follows.values()) chains[f.chain] = { indexed: f.indexed, head: f.head, lag: Math.max(0, f.head - f.indexed), ...(f.error ? { error: f.error } : {}) };
    return { chains, ...this.counts };
  }

  /** Resolves once every followed chain is indexed up to the head it had when called (tests, bench). */
  async caughtUp(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const targets = await Promise.all([...this.follows.values()].map(async (f) => ({ f, head: await this.head(f.chain).catch(() => f.head) })));
    for (const { f, head } of targets) {
      while (f.indexed < head) {
        if (Date.now() > deadline) throw new Error(`indexer: chain ${f.chain} indexed to ${f.indexed}, not ${head}, within ${timeoutMs} ms${f.error ? ` (${f.error})` : ''}`);
        this.kick(f);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const deadline = Date.now() + 10_000;
    while ([...this.follows.values()].some((f) => f.busy) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  private log(line: string): void {
    this.opts.log?.(`indexer: ${line}`);
  }

  private async discover(): Promise<void> {
    for (const s of this.opts.sources) {
      let chains;
      try {
        chains = await s.chains();
      } catch (err) {
        this.log(`${s.baseUrl}: ${(err as Error).message}`);
        continue;
      }
      for (const c of chains) {
        if (this.follows.has(c.id)) continue;
        const cur = await this.opts.index.cursor(c.id);
        this.follows.set(c.id, { chain: c.id, suite: c.suite, indexed: cur?.height ?? -1, head: c.height, busy: false, reread: false });
      }
    }
  }

  private kick(f: Follow): void {
    if (f.busy || this.closed) return;
    f.busy = true;
    void this.follow(f)
      .then(() => void delete f.error, (err: unknown) => {
        f.reread = true;
        const msg = (err as Error).message;
        if (f.error !== msg) this.log(`chain ${f.chain}: ${msg}`);
        f.error = msg;
      })
      .finally(() => (f.busy = false));
  }

  /** The chain's height at the first node that answers. */
  private async head(chain: string): Promise<number> {
    let last: unknown;
    for (const s of this.opts.sources) {
      try {
        return (await s.chain(chain)).height;
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(`no node serves chain ${chain}`);
  }

  private async block(chain: string, height: number): Promise<{ block: Block; source: string }> {
    let last: unknown;
    for (const s of this.opts.sources) {
      try {
        return { block: await s.block(chain, height), source: s.baseUrl };
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(`no node serves block ${height} of chain ${chain}`);
  }

  private async follow(f: Follow): Promise<void> {
    // The cursor in the database is the truth; it is read when the chain is found and again only
    // when a write failed or found the block indexed already (another indexer moved it).
    if (f.reread) {
      const cur = await this.opts.index.cursor(f.chain);
      f.indexed = cur?.height ?? -1;
      f.reread = false;
    }
    f.head = await this.head(f.chain);
    const window = Math.max(1, this.opts.prefetch ?? 8);
    const ahead = new Map<number, Promise<{ block: Block; source: string }>>();
    const fetchAt = (h: number): void => {
      if (h <= f.head && !ahead.has(h)) {
        const p = this.block(f.chain, h);
        p.catch(() => undefined);
        ahead.set(h, p);
      }
    };
    while (f.indexed < f.head && !this.closed) {
      const next = f.indexed + 1;
      for (let h = next; h < next + window; h++) fetchAt(h);
      const { block, source } = await ahead.get(next)!;
      ahead.delete(next);
      if (block.header.height !== next || block.header.chain !== f.chain) {
        throw new Error(`${source} answered block ${block.header.chain}/${block.header.height} for ${f.chain}/${next}`);
      }
      if (headerHashOf(f.suite, block.header) !== block.hash) {
        throw new Error(`${source}: block ${f.chain}/${next}'s hash is not the hash of its header; not indexed`);
      }
      const rows = rowsOf(block);
      if ((await this.opts.index.write(rows, source)) === 'already-indexed') {
        f.reread = true;
        return;
      }
      f.indexed = next;
      this.counts.blocks++;
      this.counts.txs += rows.txs.length;
    }
  }
}
