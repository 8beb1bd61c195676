import { setMaxListeners } from 'node:events';
import { relayOnce, syncRoutes, type ChainEndpoint, type RelayCursor, type RelayReport } from './relay.ts';

export interface GatewayOptions {
  /** The chains this gateway relays between (every ordered pair). */
  chains: ChainEndpoint[];
  /** The routing chain, whose registrations the gateway brings to each chain. */
  xroute?: ChainEndpoint;
  /** Idle wait between rounds when there was nothing to relay, ms. */
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
    while (!signal.aborted) {
      let r: RelayReport | undefined;
      try {
        r = await relayOnce(src, dst, cursor, { signal });
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
      const busy = r && (r.received || r.acknowledged || r.timedOut);
      if (!busy) await pause(r?.errors.length ? 500 : (this.opts.idleMs ?? 50), signal);
    }
  }

  #error(msg: string): void {
    this.stats.errors++;
    this.stats.lastError = msg;
    this.#log(`error: ${msg}`);
  }
}
