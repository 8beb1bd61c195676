import { ShulianError } from '../codec/index.ts';
import type { Tx } from '../ledger/index.ts';

export interface MempoolEntry {
  tx: Tx;
  hash: string;
  bytes: number;
  /** `from` is the DID of `pubkey` itself (known from admission). */
  selfCertified?: boolean;
  /**
   * A client's tx, admitted but not yet on disk, so not yet gossiped to the other validators
   * either: a block does not take it yet. Otherwise a proposal could reach a validator before the
   * tx's gossip and make it fetch the tx from the proposer, a round trip on the critical path.
   * A tx from a peer is never held: the peer gossiped it to every validator once it was on disk.
   */
  held?: boolean;
}

export interface MempoolLimits {
  maxTxs: number;
  maxBytes: number;
  /** A tx's nonce may be at most this far past the sender's next executable nonce. */
  maxNonceGap: number;
  /** A tx's `expires` may be at most this many blocks past the next height. */
  maxExpiryBlocks: number;
  /** Bytes of pending txs one sender may hold. */
  maxSenderBytes: number;
  /** Gapped txs (not executable until an earlier nonce arrives) one sender may hold. */
  maxSenderGapped: number;
}

/** What the chain knows when a tx is offered: the sender's committed nonce and the next height. */
export interface AdmitContext {
  committedNonce: number;
  nextHeight: number;
}

/**
 * One sender's pending txs. Invariant (outside a commit): every nonce is ≥ `base` (the committed
 * nonce last seen), every nonce in [base, runEnd) is present and runEnd is not, so the txs at
 * nonces > runEnd are the gapped ones.
 */
interface SenderQueue {
  txs: Map<number, MempoolEntry>;
  bytes: number;
  base: number;
  runEnd: number;
}

/** Share of the limits an eviction frees beyond what the incoming tx needs, so scans are rare. */
const EVICT_SLACK = 1 / 32;

/**
 * Pending transactions, ordered per sender by nonce. Senders are served in the order they
 * first arrived, so one busy sender cannot starve the rest. What an outsider can put here is
 * bounded: expiry at most `maxExpiryBlocks` ahead, per-sender quotas of bytes and of gapped txs,
 * and when the pool is full an executable tx evicts expired then gapped txs (the sender holding
 * the most gapped bytes first, its highest nonces first); a gapped tx evicts only expired ones.
 * Rejections carry codes the API maps to HTTP statuses: TX_DUPLICATE, TX_NONCE_STALE,
 * TX_NONCE_TAKEN, TX_NONCE_GAP, TX_EXPIRED, TX_EXPIRES_TOO_FAR, MEMPOOL_SENDER_QUOTA, MEMPOOL_FULL.
 */
export class Mempool {
  private readonly byHash = new Map<string, MempoolEntry>();
  private readonly bySender = new Map<string, SenderQueue>();
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

  /** Every pending entry (for persistence checks and tests). */
  entries(): IterableIterator<MempoolEntry> {
    return this.byHash.values();
  }

  /**
   * The pending entries whose hashes start with each short id (compact proposals,
   * src/node/compact-proposals.ts): one pass over the pool. Undefined where no entry or more than
   * one matches; the caller fetches those.
   */
  byShortIds(ids: readonly string[], length: number): Array<MempoolEntry | undefined> {
    const wanted = new Map<string, MempoolEntry | null>();
    for (const id of ids) wanted.set(id, null);
    const ambiguous = new Set<string>();
    for (const [hash, e] of this.byHash) {
      const id = hash.slice(0, length);
      const seen = wanted.get(id);
      if (seen === undefined) continue;
      if (seen === null) wanted.set(id, e);
      else ambiguous.add(id);
    }
    return ids.map((id) => (ambiguous.has(id) ? undefined : wanted.get(id) ?? undefined));
  }

  /** Next nonce a sender should use: committed nonce plus the contiguous run already pending. */
  pendingNonce(sender: string, committedNonce: number): number {
    const q = this.bySender.get(sender);
    if (!q) return committedNonce;
    if (committedNonce >= q.base && committedNonce <= q.runEnd) return q.runEnd;
    let n = committedNonce;
    while (q.txs.has(n)) n++;
    return n;
  }

  /** Whether any sender has a tx at its next nonce that a block could take now (not held, as reap). */
  hasExecutable(): boolean {
    for (const q of this.bySender.values()) if (q.runEnd > q.base && !q.txs.get(q.base)!.held) return true;
    return false;
  }

  /** How many of a sender's pending txs are gapped. */
  gappedOf(sender: string): number {
    const q = this.bySender.get(sender);
    return q ? q.txs.size - (q.runEnd - q.base) : 0;
  }

  /**
   * Adds `entry` or throws saying why not; a refused tx changes nothing but may drop txs that were
   * already void (used nonces of its sender). Returns the hashes dropped to make room or as void.
   */
  add(entry: MempoolEntry, ctx: AdmitContext): string[] {
    const { tx, hash } = entry;
    const { maxNonceGap, maxExpiryBlocks, maxSenderBytes, maxSenderGapped } = this.limits;
    if (this.byHash.has(hash)) throw new ShulianError('TX_DUPLICATE', `transaction ${hash} is already pending`);
    const dropped = this.rebase(tx.from, ctx.committedNonce);
    if (tx.nonce < ctx.committedNonce) {
      throw new ShulianError('TX_NONCE_STALE', `nonce ${tx.nonce} was already used by ${tx.from}; the next nonce is ${this.pendingNonce(tx.from, ctx.committedNonce)}`);
    }
    const q = this.bySender.get(tx.from);
    if (q?.txs.has(tx.nonce)) {
      throw new ShulianError('TX_NONCE_TAKEN', `another pending transaction of ${tx.from} already uses nonce ${tx.nonce}`);
    }
    const next = this.pendingNonce(tx.from, ctx.committedNonce);
    if (tx.nonce > next + maxNonceGap) {
      throw new ShulianError('TX_NONCE_GAP', `nonce ${tx.nonce} is too far ahead; the next nonce of ${tx.from} is ${next}`);
    }
    if (tx.expires < ctx.nextHeight) {
      throw new ShulianError('TX_EXPIRED', `transaction expired at height ${tx.expires}; the chain is at ${ctx.nextHeight - 1}`);
    }
    if (tx.expires > ctx.nextHeight + maxExpiryBlocks) {
      throw new ShulianError('TX_EXPIRES_TOO_FAR', `expires ${tx.expires} is more than ${maxExpiryBlocks} blocks past the next height ${ctx.nextHeight}; set it to at most ${ctx.nextHeight + maxExpiryBlocks}`);
    }
    const gapped = tx.nonce > next;
    if (gapped && this.gappedOf(tx.from) >= maxSenderGapped) {
      throw new ShulianError('MEMPOOL_SENDER_QUOTA', `${tx.from} already has ${maxSenderGapped} pending transactions waiting for nonce ${next}; send nonce ${next} first`);
    }
    if ((q?.bytes ?? 0) + entry.bytes > maxSenderBytes) {
      throw new ShulianError('MEMPOOL_SENDER_QUOTA', `${tx.from} already has ${q?.bytes ?? 0} bytes pending; one sender may hold ${maxSenderBytes}; retry after the next block`);
    }
    if (!this.fits(entry.bytes)) dropped.push(...this.makeRoom(entry.bytes, ctx.nextHeight, gapped));
    if (!this.fits(entry.bytes)) {
      throw new ShulianError('MEMPOOL_FULL', gapped
        ? `the mempool is full (${this.byHash.size} txs, ${this.totalBytes} bytes) and nonce ${tx.nonce} is not executable yet (the next nonce of ${tx.from} is ${next}); send nonce ${next} first or retry after the next block`
        : `the mempool is full (${this.byHash.size} txs, ${this.totalBytes} bytes) of executable transactions; retry after the next block`);
    }
    this.insert(entry, ctx.committedNonce);
    return dropped;
  }

  /**
   * Picks up to `max` executable txs: for each sender, the contiguous run starting at its
   * committed nonce, up to a tx that expires before `height` or is still held.
   */
  reap(max: number, height: number, nonceOf: (sender: string) => number): MempoolEntry[] {
    const out: MempoolEntry[] = [];
    for (const [sender, q] of this.bySender) {
      if (out.length >= max) break;
      let n = nonceOf(sender);
      for (let e = q.txs.get(n); e && out.length < max; e = q.txs.get(++n)) {
        if (e.tx.expires < height || e.held) break;
        out.push(e);
      }
    }
    return out;
  }

  /** Removes one tx; a hole in a sender's run makes the txs after it gapped. */
  remove(hash: string): void {
    const e = this.byHash.get(hash);
    if (!e) return;
    this.byHash.delete(hash);
    this.totalBytes -= e.bytes;
    const q = this.bySender.get(e.tx.from);
    if (!q) return;
    q.txs.delete(e.tx.nonce);
    q.bytes -= e.bytes;
    if (e.tx.nonce >= q.base && e.tx.nonce < q.runEnd) q.runEnd = e.tx.nonce;
    if (q.txs.size === 0) this.bySender.delete(e.tx.from);
  }

  /**
   * Drops txs whose nonce is used or that expire before `height` (call after each commit, with
   * the next height). Returns their hashes.
   */
  prune(height: number, nonceOf: (sender: string) => number): string[] {
    const dropped: string[] = [];
    for (const sender of [...this.bySender.keys()]) {
      dropped.push(...this.rebase(sender, nonceOf(sender)));
      const q = this.bySender.get(sender);
      if (!q) continue;
      const expired = [...q.txs.values()].filter((e) => e.tx.expires < height);
      for (const e of expired) {
        this.remove(e.hash);
        dropped.push(e.hash);
      }
    }
    return dropped;
  }

  private fits(bytes: number): boolean {
    return this.byHash.size < this.limits.maxTxs && this.totalBytes + bytes <= this.limits.maxBytes;
  }

  private insert(entry: MempoolEntry, committedNonce: number): void {
    this.byHash.set(entry.hash, entry);
    let q = this.bySender.get(entry.tx.from);
    if (!q) this.bySender.set(entry.tx.from, (q = { txs: new Map(), bytes: 0, base: committedNonce, runEnd: committedNonce }));
    q.txs.set(entry.tx.nonce, entry);
    q.bytes += entry.bytes;
    this.totalBytes += entry.bytes;
    while (q.txs.has(q.runEnd)) q.runEnd++;
  }

  /** Moves a sender's base to its committed nonce, dropping the txs whose nonces are used. */
  private rebase(sender: string, committedNonce: number): string[] {
    const q = this.bySender.get(sender);
    if (!q || committedNonce === q.base) return [];
    const used = [...q.txs.values()].filter((e) => e.tx.nonce < committedNonce);
    for (const e of used) this.remove(e.hash);
    const after = this.bySender.get(sender);
    if (!after) return used.map((e) => e.hash);
    after.base = committedNonce;
    after.runEnd = committedNonce;
    while (after.txs.has(after.runEnd)) after.runEnd++;
    return used.map((e) => e.hash);
  }

  /**
   * Frees room for `bytes` plus a little slack: expired txs first, then (only for an executable
   * newcomer) gapped txs, the sender with the most gapped bytes first, its highest nonces first.
   */
  private makeRoom(bytes: number, nextHeight: number, newcomerGapped: boolean): string[] {
    const slackTxs = Math.ceil(this.limits.maxTxs * EVICT_SLACK);
    const slackBytes = Math.ceil(this.limits.maxBytes * EVICT_SLACK);
    const enough = (): boolean => this.byHash.size + 1 + slackTxs <= this.limits.maxTxs && this.totalBytes + bytes + slackBytes <= this.limits.maxBytes;
    const dropped: string[] = [];
    const evict = (e: MempoolEntry): void => {
      this.remove(e.hash);
      dropped.push(e.hash);
    };
    for (const e of [...this.byHash.values()]) if (e.tx.expires < nextHeight) evict(e);
    if (enough() || newcomerGapped) return dropped;
    const victims: Array<{ e: MempoolEntry; senderGapped: number }> = [];
    for (const q of this.bySender.values()) {
      const gapped = [...q.txs.values()].filter((e) => e.tx.nonce > q.runEnd);
      const senderGapped = gapped.reduce((s, e) => s + e.bytes, 0);
      for (const e of gapped) victims.push({ e, senderGapped });
    }
    victims.sort((a, b) => b.senderGapped - a.senderGapped || (a.e.tx.from < b.e.tx.from ? -1 : a.e.tx.from > b.e.tx.from ? 1 : 0) || b.e.tx.nonce - a.e.tx.nonce);
    for (const v of victims) {
      if (enough()) break;
      evict(v.e);
    }
    return dropped;
  }
}
