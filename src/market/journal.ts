/**
 * The gateway's receipt journal: every answered call's usage receipt is on disk (written and
 * fsynced) before the caller sees the answer, so a gateway killed at any moment loses no receipt
 * of a call that was answered (issue #23). Receipts are written in groups (group commit: one
 * write and one fsync for all the receipts that arrived meanwhile); each group line carries the
 * Merkle root of its receipts and `head`, SM3 of the previous head and that root (a hash chain).
 * The gateway signs the head at most every SIGN_EVERY_MS, on close and, after a crash, on open —
 * an SM2 signature per group would cost more than the group — so every receipt is signed by the
 * gateway through the first signed head at or after it (with its inclusion path). `committed.json` counts the receipts committed on
 * chain, from the front; a crash between a chain commit and that count re-sends a batch, and
 * the chain counts a receipt id once.
 *
 *   receipts.jsonl   {"head", "root", "events": [CloudEvent…], "sig"?} one group per line; {"head", "sig"} a signature alone
 *   committed.json   {"receipts": N}
 *   rejected.jsonl   receipts the chain refused, with its reason
 */
import { appendFileSync, closeSync, existsSync, fdatasync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ShulianError, toHex } from '../codec/index.ts';
import { sign, sm3, type KeyPair } from '../crypto/index.ts';
import { merkleRoot } from '../ledger/index.ts';
import { canonicalBytes } from '../codec/index.ts';
import type { ReceiptLine } from '../modules/market/types.ts';

/** A usage receipt as a CloudEvents 1.0 event (JSON format), signed by the gateway through its group. */
export interface UsageEvent {
  specversion: '1.0';
  id: string;
  /** The gateway's DID. */
  source: string;
  type: 'org.shulian.market.usage';
  /** The subscription. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: {
    product: string; caller: string; period: number; units: number; result: string; timeMs: number; status: number;
    /** A component's receipt: the composite call's receipt id, and how deep the component sits (1: a direct component). */
    parent?: string; level?: number;
  };
}

export const lineOf = (e: UsageEvent): ReceiptLine => ({
  id: e.id, subscription: e.subject, period: e.data.period, units: e.data.units, time: e.data.timeMs, result: e.data.result,
  ...(e.data.parent !== undefined ? { parent: e.data.parent } : {}),
});

/** How often the journal's head is signed at most (and always on close and after a crash). */
const SIGN_EVERY_MS = 200;
const ZERO_HEAD = '00'.repeat(32);

/** The head after a group: SM3 of the previous head and the group's Merkle root. */
export const nextHead = (prev: string, root: string): string => toHex(sm3(canonicalBytes({ prev, root })));
/** What the gateway signs: the journal's head. */
export const headMessage = (head: string): Uint8Array => canonicalBytes({ type: 'org.shulian.market.receipts', head });

/** Receipts waiting for their fsync, at most: past it, calls are refused (GATEWAY_BUSY) rather than queued without bound. */
const MAX_QUEUE = 20_000;

export class ReceiptJournal {
  readonly #dir: string;
  readonly #key: KeyPair;
  #fd: number;
  #queue: Array<{ e: UsageEvent; done: () => void; fail: (err: Error) => void }> = [];
  #scheduled = false;
  #syncing = false;
  #closed = false;
  #bytes = 0;
  #head = ZERO_HEAD;
  #signedAt = 0;
  #unsigned = false;
  /** Receipts journaled but not yet committed on chain, in order. */
  #pending: UsageEvent[] = [];
  #committed = 0;
  #journaled = 0;
  #rejected = 0;

  private constructor(dir: string, key: KeyPair) {
    this.#dir = dir;
    this.#key = key;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'receipts.jsonl');
    this.#fd = openSync(file, 'a+');
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    // A last line without its newline was being written when the process died: its fsync never
    // returned, so no caller was answered for it. Cut it off.
    const end = text.lastIndexOf('\n') + 1;
    if (end < Buffer.byteLength(text)) {
      ftruncateSync(this.#fd, Buffer.byteLength(text.slice(0, end)));
      fsyncSync(this.#fd);
    }
    const all: UsageEvent[] = [];
    let signed = true;
    for (const l of text.slice(0, end).split('\n')) {
      if (!l) continue;
      const line = JSON.parse(l) as { head: string; events?: UsageEvent[]; sig?: string };
      all.push(...(line.events ?? []));
      this.#head = line.head;
      signed = line.sig !== undefined;
    }
    // The process died before it signed its last groups: sign them now.
    if (!signed) {
      writeSync(this.#fd, this.#signature());
      fsyncSync(this.#fd);
    }
    const c = join(dir, 'committed.json');
    this.#committed = existsSync(c) ? (JSON.parse(readFileSync(c, 'utf8')) as { receipts: number }).receipts : 0;
    this.#journaled = all.length;
    this.#pending = all.slice(this.#committed);
    const r = join(dir, 'rejected.jsonl');
    this.#rejected = existsSync(r) ? readFileSync(r, 'utf8').split('\n').filter(Boolean).length : 0;
  }

  static open(dir: string, key: KeyPair): ReceiptJournal {
    return new ReceiptJournal(dir, key);
  }

  /** Resolves once the receipt is on disk (fsynced); only then may the call be answered. */
  append(e: UsageEvent): Promise<void> {
    if (this.#closed) return Promise.reject(new ShulianError('GATEWAY_BUSY', 'the gateway is stopping'));
    if (this.#queue.length >= MAX_QUEUE) return Promise.reject(new ShulianError('GATEWAY_BUSY', `${MAX_QUEUE} receipts are waiting to be written; retry`));
    return new Promise((done, fail) => {
      this.#queue.push({ e, done, fail });
      if (!this.#syncing && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /**
   * Group commit: writes every queued receipt as one signed line and fsyncs it off the event
   * loop; receipts arriving meanwhile wait for the next group, written when this sync returns.
   */
  #flush(): void {
    this.#scheduled = false;
    if (this.#syncing) return;
    const group = this.#queue;
    this.#queue = [];
    if (!group.length) return;
    const events = group.map((g) => g.e);
    const failAll = (err: Error): void => { for (const g of group) g.fail(err); };
    try {
      writeSync(this.#fd, this.#line(events));
    } catch (err) {
      return failAll(err as Error);
    }
    this.#syncing = true;
    fdatasync(this.#fd, (err) => {
      this.#syncing = false;
      if (err) failAll(err);
      else {
        this.#pending.push(...events);
        this.#journaled += events.length;
        for (const g of group) g.done();
      }
      if (this.#queue.length) this.#flush();
    });
  }

  #line(events: UsageEvent[], signNow = false): string {
    const root = toHex(merkleRoot(events.map((e) => canonicalBytes({ ...e, data: { ...e.data } })), sm3));
    this.#head = nextHead(this.#head, root);
    const now = Date.now();
    const sig = signNow || now - this.#signedAt >= SIGN_EVERY_MS ? this.#sign(now) : undefined;
    if (!sig) this.#unsigned = true;
    return `${JSON.stringify({ head: this.#head, root, events, ...(sig ? { sig } : {}) })}\n`;
  }

  #sign(now = Date.now()): string {
    this.#signedAt = now;
    this.#unsigned = false;
    return toHex(sign(this.#key.suite, this.#key.privateKey, headMessage(this.#head)));
  }

  /** A line with the signature of the current head alone. */
  #signature(): string {
    return `${JSON.stringify({ head: this.#head, sig: this.#sign() })}\n`;
  }

  /** Receipts not yet committed on chain, oldest first. */
  pending(): readonly UsageEvent[] {
    return this.#pending;
  }

  /**
   * The first `n` pending receipts are committed on chain (or refused by it and set aside).
   * The count is written off the event loop (a synchronous fsync here stalled every call in
   * flight): a crash before it is on disk only re-sends receipts the chain counts once.
   */
  async committed(n: number): Promise<void> {
    this.#pending.splice(0, n);
    this.#committed += n;
    const tmp = join(this.#dir, 'committed.json.tmp');
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(JSON.stringify({ receipts: this.#committed }));
      await f.datasync();
    } finally {
      await f.close();
    }
    await rename(tmp, join(this.#dir, 'committed.json'));
  }

  /** Sets aside receipts the chain refused (a period already settled, a subscription gone), with why. */
  reject(events: readonly UsageEvent[], code: string, message: string): void {
    for (const e of events) appendFileSync(join(this.#dir, 'rejected.jsonl'), `${JSON.stringify({ code, message, event: e })}\n`);
    this.#rejected += events.length;
  }

  stats(): { journaled: number; committed: number; pending: number; rejected: number; bytes: number } {
    const bytes = this.#closed ? this.#bytes : fstatSync(this.#fd).size;
    return { journaled: this.#journaled, committed: this.#committed, pending: this.#pending.length, rejected: this.#rejected, bytes };
  }

  /** Waits for the group being synced, writes and syncs what is queued, and closes the file. */
  async close(): Promise<void> {
    while (this.#syncing || this.#scheduled) await new Promise((r) => setImmediate(r));
    const rest = this.#queue;
    this.#queue = [];
    this.#closed = true;
    if (rest.length || this.#unsigned) {
      writeSync(this.#fd, rest.length ? this.#line(rest.map((g) => g.e), true) : this.#signature());
      fsyncSync(this.#fd);
      this.#pending.push(...rest.map((g) => g.e));
      this.#journaled += rest.length;
      for (const g of rest) g.done();
    }
    this.#bytes = fstatSync(this.#fd).size;
    closeSync(this.#fd);
  }
}
