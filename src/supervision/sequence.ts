/**
 * Pending first steps of a `sequence` rule on one chain: per key, the txs for which `first`
 * held, waiting for a `then` within `withinBlocks` blocks. Bounded: MAX_KEYS keys (least recently
 * active dropped first) and MAX_PENDING first steps per key (the oldest dropped first).
 */
import type { TxRef } from '../sdk/index.ts';

export const SEQUENCE_LIMITS = { maxKeys: 50_000, maxPending: 64 } as const;

export class PendingSequences {
  private readonly keys = new Map<string, TxRef[]>();

  constructor(private readonly withinBlocks: number, private readonly limits: { maxKeys: number; maxPending: number } = SEQUENCE_LIMITS) {}

  get size(): number {
    return this.keys.size;
  }

  /** The oldest first step of `key` still within reach of a tx at `height`, taken out; or undefined. */
  take(key: string, height: number): TxRef | undefined {
    const list = this.keys.get(key);
    if (!list) return undefined;
    const live = list.filter((r) => height - r.height <= this.withinBlocks);
    const first = live.shift();
    if (live.length === 0) this.keys.delete(key);
    else this.keys.set(key, live);
    return first;
  }

  add(key: string, ref: TxRef): void {
    let list = this.keys.get(key);
    if (list) {
      this.keys.delete(key);
    } else {
      list = [];
      if (this.keys.size >= this.limits.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    }
    list.push(ref);
    if (list.length > this.limits.maxPending) list.shift();
    this.keys.set(key, list);
  }
}
