/**
 * The gateway's cache of chain reads (subscriptions, products, usage, grants): bounded, with a
 * time to live, so a call does not wait on the chain once a value is known (issue #23: no
 * per-call chain round trip). Concurrent misses share one read; a value past its time to live is
 * still answered while one read refreshes it in the background, so a revocation, a delisting or
 * usage committed elsewhere takes effect within the time to live plus one read. A refresh that
 * fails keeps the old value and is tried again at the next get.
 */
export class TtlCache<V> {
  readonly #m = new Map<string, { v: V; at: number; refreshing?: Promise<void> }>();
  readonly #loading = new Map<string, Promise<V>>();
  constructor(
    private readonly ttl: number,
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(k: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#m.get(k);
    if (hit) {
      if (this.now() - hit.at >= this.ttl && !hit.refreshing) {
        hit.refreshing = load().then(
          (v) => this.#set(k, v),
          () => { hit.refreshing = undefined; },
        );
      }
      return hit.v;
    }
    const pending = this.#loading.get(k);
    if (pending) return pending;
    const p = load().then((v) => { this.#set(k, v); return v; }).finally(() => this.#loading.delete(k));
    this.#loading.set(k, p);
    return p;
  }

  /** Forgets a key: the next get reads the chain again (and waits for it). */
  delete(k: string): void {
    this.#m.delete(k);
  }

  #set(k: string, v: V): void {
    this.#m.delete(k);
    if (this.#m.size >= this.max) this.#m.delete(this.#m.keys().next().value!);
    this.#m.set(k, { v, at: this.now() });
  }
}
