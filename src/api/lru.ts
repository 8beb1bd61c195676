/**
 * A bounded cache that forgets the least recently used entry first (a Map keeps insertion order:
 * a hit is moved to the end, the oldest is at the front). For answers the API computes from
 * content that never changes under their key, so nothing here is ever stale, only forgotten.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`an LRU cache holds at least one entry, not ${max}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const v = this.#entries.get(key)!;
    this.#entries.delete(key);
    this.#entries.set(key, v);
    return v;
  }

  /** The entry without counting it as used. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }
}
