import { setMaxListeners } from 'node:events';
import { relayOnce, syncRoutes, type ChainEndpoint, type RelayCursor, type RelayReport } from './relay.ts';

export interface GatewayOptions {
  /** The chains this gateway relays between (every ordered pair). */
  chains: ChainEndpoint[];
  /** The routing chain, whose registrations the gateway brings to each chain. */
  xroute?: ChainEndpoint;
  /**
   * Idle wait between rounds when there was nothing to relay, ms, for a pair of chains whose
   * endpoints do not announce blocks (onBlock). A pair that does waits for the next block of
   * either chain instead (at most BLOCK_WAIT_MS): packets, receipts and acknowledgements change
   * only when one commits.
   */
  idleMs?: number;
  /** How often registrations are checked, ms. */
  routeSyncMs?: number;
  log?: (line: string) => void;
}

export interface GatewayStats {
  received: number;
  acknowledged: number;
  timedOut: number;
  errors: number;
  lastError?: string;
  rounds: number;
}

/** One route's backlog (docs/alarms.md): packets from `from` to `to` not yet settled, as of the gateway's last round on it. */
export interface RouteBacklog {
  from: string;
  to: string;
  backlog: number;
}

const pause = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  const onAbort = (): void => {
    clearTimeout(t);
    resolve();
  };
  const t = setTimeout(() => {
    signal.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  signal.addEventListener('abort', onAbort, { once: true });
});

/** Longest idle wait for a block before a pair looks again anyway. */
export const BLOCK_WAIT_MS = 2_000;

/** Counts the blocks two chains commit, so an idle pair loop can sleep until the next one. */
class BlockClock {
  #ticks = 0;
  readonly #wake = new Set<() => void>();
  readonly #offs: Array<() => void>;

  constructor(eps: Array<Required<Pick<ChainEndpoint, 'onBlock'>>>) {
    this.#offs = eps.map((ep) => ep.onBlock(() => {
      this.#ticks++;
      for (const w of [...this.#wake]) w();
    }));
  }

  get ticks(): number {
    return this.#ticks;
  }

  /** Resolves at once if a block came after `since` ticks, else at the next block, after `ms`, or on abort. */
  wait(since: number, ms: number, signal: AbortSignal): Promise<void> {
    if (this.#ticks !== since || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.#wake.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wake.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    for (const off of this.#offs) off();
  }
}

/**
 * A gateway (跨链网关): one organisation's relayer. It holds no authority — every packet it
 * carries is checked on arrival against the source's light client — so any number may run side
 * by side, and one honest, live gateway is enough for messages to flow. Each ordered pair of
 * chains is relayed by its own loop, so a slow or stopped chain does not hold up the others.
 */
export class Gateway {
  readonly stats: GatewayStats = { received: 0, acknowledged: 0, timedOut: 0, errors: 0, rounds: 0 };
  #abort = new AbortController();
  #loops: Promise<void>[] = [];
  readonly #backlog = new Map<string, RouteBacklog>();
  readonly #log: (line: string) => void;

  constructor(private readonly opts: GatewayOptions) {
    this.#log = opts.log ?? (() => {});
    // Every pair loop waits on the same stop signal (n·(n−1) + 1 listeners at once).
    setMaxListeners(0, this.#abort.signal);
  }

  start(): void {
    const { chains, xroute } = this.opts;
    if (xroute) this.#loops.push(this.#routeLoop(xroute, chains));
    for (const src of chains) for (const dst of chains) if (src !== dst) this.#loops.push(this.#pairLoop(src, dst));
  }

  /** Stops relaying: no new rounds, and any wait for one of its own txs to commit ends at once (GATEWAY_STOPPED). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#loops);
  }

  /** Per route (ordered pair), the packets waiting as of its last round; a route not yet looked at counts 0. */
  backlog(): RouteBacklog[] {
    const out: RouteBacklog[] = [];
    for (const src of this.opts.chains) {
      for (const dst of this.opts.chains) {
        if (src !== dst) out.push(this.#backlog.get(`${src.id}\n${dst.id}`) ?? { from: src.id, to: dst.id, backlog: 0 });
      }
    }
    return out;
  }

  /** Registrations first: a chain cannot verify packets from a chain it has not synced. */
  async syncAllRoutes(): Promise<void> {
    const { chains, xroute } = this.opts;
    if (!xroute) return;
    for (const c of chains) {
      const updated = await syncRoutes(xroute, c, false, this.#abort.signal);
      if (updated.length) this.#log(`routes synced to ${c.id}: ${updated.join(', ')}`);
    }
  }

  async #routeLoop(xroute: ChainEndpoint, chains: ChainEndpoint[]): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      for (const c of chains) {
        if (signal.aborted) return;
        try {
          const updated = await syncRoutes(xroute, c, false, signal);
          if (updated.length) this.#log(`routes synced to ${c.id}: ${updated.join(', ')}`);
        } catch (err) {
          if (signal.aborted) return;
          this.#error(`route sync to ${c.id}: ${(err as Error).message}`);
        }
      }
      await pause(this.opts.routeSyncMs ?? 2_000, signal);
    }
  }

  async #pairLoop(src: ChainEndpoint, dst: ChainEndpoint): Promise<void> {
    const signal = this.#abort.signal;
    const cursor: RelayCursor = { from: 1 };
    const clock = src.onBlock && dst.onBlock ? new BlockClock([{ onBlock: src.onBlock }, { onBlock: dst.onBlock }]) : undefined;
    try {
      while (!signal.aborted) await this.#pairRound(src, dst, cursor, clock);
    } finally {
      clock?.close();
    }
  }

  async #pairRound(src: ChainEndpoint, dst: ChainEndpoint, cursor: RelayCursor, clock: BlockClock | undefined): Promise<void> {
    const signal = this.#abort.signal;
    // Blocks that land during the round wake the next one at once.
    const since = clock?.ticks ?? 0;
    let r: RelayReport | undefined;
    try {
      r = await relayOnce(src, dst, cursor, { signal });
      this.#backlog.set(`${src.id}\n${dst.id}`, { from: src.id, to: dst.id, backlog: r.backlog });
      this.stats.rounds++;
      this.stats.received += r.received;
      this.stats.acknowledged += r.acknowledged;
      this.stats.timedOut += r.timedOut;
      for (const e of r.errors) this.#error(e);
      if (r.received || r.acknowledged || r.timedOut) this.#log(`${src.id}→${dst.id}: received ${r.received}, acknowledged ${r.acknowledged}, timed out ${r.timedOut}`);
    } catch (err) {
      if (signal.aborted) return;
      this.#error(`${src.id}→${dst.id}: ${(err as Error).message}`);
    }
    if (r && (r.received || r.acknowledged || r.timedOut)) return;
    if (r?.errors.length) await pause(500, signal);
    else if (clock) await clock.wait(since, BLOCK_WAIT_MS, signal);
    else await pause(this.opts.idleMs ?? 50, signal);
  }

  #error(msg: string): void {
    this.stats.errors++;
    this.stats.lastError = msg;
    this.#log(`error: ${msg}`);
  }
}
