import { ShulianError } from '../codec/index.ts';
import type { Tx } from './types.ts';

export interface MempoolEntry {
  tx: Tx;
  hash: string;
  bytes: number;
}

export interface MempoolLimits {
  maxTxs: number;
  maxBytes: number;
  /** A tx's nonce may be at most this far past the sender's next executable nonce. */
  maxNonceGap: number;
}

/**
 * Pending transactions, ordered per sender by nonce. Senders are served in the order they
 * first arrived, so one busy sender cannot starve the rest. Rejections carry codes the API maps
 * to HTTP statuses: TX_DUPLICATE, TX_NONCE_STALE, TX_NONCE_TAKEN, TX_NONCE_GAP, MEMPOOL_FULL.
 */
export class Mempool {
  private readonly byHash = new Map<string, MempoolEntry>();
  private readonly bySender = new Map<string, Map<number, MempoolEntry>>();
  private totalBytes = 0;

  constructor(private readonly limits: MempoolLimits) {}

  get size(): number {
    return this.byHash.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  get(hash: string): MempoolEntry | undefined {
    return this.byHash.get(hash);
  }

  /** Next nonce a sender should use: committed nonce plus the contiguous run already pending. */
  pendingNonce(sender: string, committedNonce: number): number {
    const queue = this.bySender.get(sender);
    let n = committedNonce;
    while (queue?.has(n)) n++;
    return n;
  }

  /** Checks whether `entry` could be added, without adding it. */
  check(entry: MempoolEntry, committedNonce: number): void {
    const { tx, hash } = entry;
    if (this.byHash.has(hash)) throw new ShulianError('TX_DUPLICATE', `transaction ${hash} is already pending`);
    if (tx.nonce < committedNonce) {
      throw new ShulianError('TX_NONCE_STALE', `nonce ${tx.nonce} was already used by ${tx.from}; the next nonce is ${this.pendingNonce(tx.from, committedNonce)}`);
    }
    if (this.bySender.get(tx.from)?.has(tx.nonce)) {
      throw new ShulianError('TX_NONCE_TAKEN', `another pending transaction of ${tx.from} already uses nonce ${tx.nonce}`);
    }
    const next = this.pendingNonce(tx.from, committedNonce);
    if (tx.nonce > next + this.limits.maxNonceGap) {
      throw new ShulianError('TX_NONCE_GAP', `nonce ${tx.nonce} is too far ahead; the next nonce of ${tx.from} is ${next}`);
    }
    if (this.byHash.size >= this.limits.maxTxs || this.totalBytes + entry.bytes > this.limits.maxBytes) {
      throw new ShulianError('MEMPOOL_FULL', `the mempool is full (${this.byHash.size} txs, ${this.totalBytes} bytes); retry after the next block`);
    }
  }

  add(entry: MempoolEntry, committedNonce: number): void {
    this.check(entry, committedNonce);
    this.byHash.set(entry.hash, entry);
    let queue = this.bySender.get(entry.tx.from);
    if (!queue) this.bySender.set(entry.tx.from, (queue = new Map()));
    queue.set(entry.tx.nonce, entry);
    this.totalBytes += entry.bytes;
  }

  /**
   * Picks up to `max` executable txs: for each sender, the contiguous run starting at its
   * committed nonce, skipping txs that expire before `height`.
   */
  reap(max: number, height: number, nonceOf: (sender: string) => number): MempoolEntry[] {
    const out: MempoolEntry[] = [];
    for (const [sender, queue] of this.bySender) {
      if (out.length >= max) break;
      let n = nonceOf(sender);
      for (let e = queue.get(n); e && out.length < max; e = queue.get(++n)) {
        if (e.tx.expires < height) break;
        out.push(e);
      }
    }
    return out;
  }

  remove(hash: string): void {
    const e = this.byHash.get(hash);
    if (!e) return;
    this.byHash.delete(hash);
    this.totalBytes -= e.bytes;
    const queue = this.bySender.get(e.tx.from);
    queue?.delete(e.tx.nonce);
    if (queue && queue.size === 0) this.bySender.delete(e.tx.from);
  }

  /** Drops txs whose nonce is used or that can no longer be included. Returns their hashes. */
  prune(height: number, nonceOf: (sender: string) => number): string[] {
    const dropped: string[] = [];
    for (const [sender, queue] of this.bySender) {
      const committed = nonceOf(sender);
      for (const e of queue.values()) {
        if (e.tx.nonce < committed || e.tx.expires < height) dropped.push(e.hash);
      }
    }
    for (const h of dropped) this.remove(h);
    return dropped;
  }
}
