/**
 * Sliding windows of a `window` rule on one chain: per key (the value of the rule's `by`), the
 * txs of the last `windowMs` of block time and their running total. Memory is bounded: at most
 * MAX_KEYS keys (the least recently active is dropped first) and MAX_ENTRIES txs per key (the two
 * oldest are merged, keeping the later time, so a total is never understated).
 */
import type { TxRef } from '../sdk/index.ts';

export const WINDOW_LIMITS = { maxKeys: 50_000, maxEntries: 10_000, evidence: 20 } as const;

interface Entry {
  time: number;
  value: bigint;
  ref: TxRef;
}

interface KeyWindow {
  entries: Entry[];
  /** Index of the oldest live entry (entries before it have left the window). */
  head: number;
  total: bigint;
}

/** What adding one tx did to its key's window. */
export interface WindowStep {
  before: bigint;
  after: bigint;
  /** The txs now in the window, newest last, at most WINDOW_LIMITS.evidence. */
  evidence: TxRef[];
  count: number;
}

export class SlidingWindows {
  private readonly keys = new Map<string, KeyWindow>();

  constructor(private readonly windowMs: number, private readonly limits: { maxKeys: number; maxEntries: number; evidence: number } = WINDOW_LIMITS) {}

  get size(): number {
    return this.keys.size;
  }

  add(key: string, time: number, value: bigint, ref: TxRef): WindowStep {
    let w = this.keys.get(key);
    if (w) {
      this.keys.delete(key); // re-inserted below: Map order is least recently active first
    } else {
      w = { entries: [], head: 0, total: 0n };
      if (this.keys.size >= this.limits.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(key, w);
    // A tx leaves the window once its block time is windowMs or more before the newest.
    const from = time - this.windowMs;
    while (w.head < w.entries.length && w.entries[w.head]!.time <= from) {
      w.total -= w.entries[w.head]!.value;
      w.head++;
    }
    if (w.head > 1024 && w.head * 2 > w.entries.length) {
      w.entries = w.entries.slice(w.head);
      w.head = 0;
    }
    const before = w.total;
    if (w.entries.length - w.head >= this.limits.maxEntries) {
      const a = w.entries[w.head]!;
      const b = w.entries[w.head + 1]!;
      w.entries[w.head + 1] = { time: b.time, value: a.value + b.value, ref: b.ref };
      w.head++;
    }
    w.entries.push({ time, value, ref });
    w.total += value;
    const live = w.entries.length - w.head;
    const evidence = w.entries.slice(Math.max(w.head, w.entries.length - this.limits.evidence)).map((e) => e.ref);
    return { before, after: w.total, evidence, count: live };
  }
}
