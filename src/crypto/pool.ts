/**
 * VerifyPool: signature verification across worker threads — the node's hot path.
 *
 * A batch is split into one chunk per worker; each chunk travels as one packed, transferred
 * ArrayBuffer (see batch.ts) and comes back as one result byte per item. Small batches are
 * verified inline. Idle workers are unref'd so the pool never keeps the process alive; a
 * worker is ref'd only while it holds work, so an awaited batch always completes.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ShulianError } from '../codec/index.ts';
import { spawnWorker } from '../codec/worker.ts';
import { isWellFormed, packBatch } from './batch.ts';
import { verify } from './keys.ts';
import type { VerifyItem } from './types.ts';
import type { VerifyRequest, VerifyResponse } from './verify-worker-impl.ts';

const WORKER_BODY = new URL('./verify-worker-impl.ts', import.meta.url);
/** Below this many items, posting to workers costs more than it saves. */
const INLINE_MAX = 64;
const MIN_CHUNK = 32;
const MAX_CHUNK = 8192;

interface Job {
  resolve(results: Uint8Array): void;
  reject(err: Error): void;
  /** Recomputes the chunk on this thread if its worker dies. */
  fallback(): Uint8Array;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
  dead: boolean;
}

export interface VerifyPoolOptions {
  /** Worker count; default os.availableParallelism(). */
  threads?: number;
}

function verifyInline(items: readonly VerifyItem[], indices: readonly number[], from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  for (let i = from; i < to; i++) {
    const it = items[indices[i]!]!;
    out[i - from] = verify(it.suite, it.publicKey, it.message, it.signature) ? 1 : 0;
  }
  return out;
}

export class VerifyPool {
  readonly threads: number;
  #slots: Slot[] = [];
  #nextJob = 1;
  #closed = false;
  #failures = 0;
  #inlineOnly = false;

  constructor(opts: VerifyPoolOptions = {}) {
    const t = opts.threads ?? availableParallelism();
    if (!Number.isInteger(t) || t < 1 || t > 1024) {
      throw new ShulianError('BAD_ARGUMENT', `VerifyPool threads must be an integer in [1, 1024], got ${String(opts.threads)}`);
    }
    this.threads = t;
  }

  /** Same answers as verify() for every item, in order; malformed items are false. */
  async verifyBatch(items: VerifyItem[]): Promise<boolean[]> {
    if (this.#closed) throw new ShulianError('POOL_CLOSED', 'VerifyPool is closed');
    if (!Array.isArray(items)) throw new ShulianError('BAD_ARGUMENT', 'verifyBatch expects an array of VerifyItem');
    const out = new Array<boolean>(items.length).fill(false);
    const idx: number[] = [];
    for (let i = 0; i < items.length; i++) if (isWellFormed(items[i])) idx.push(i);

    if (idx.length < INLINE_MAX || this.#inlineOnly) {
      const res = verifyInline(items, idx, 0, idx.length);
      for (let k = 0; k < idx.length; k++) out[idx[k]!] = res[k] === 1;
      return out;
    }

    this.#spawn();
    const perWorker = Math.ceil(idx.length / this.threads);
    const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, perWorker));
    const tasks: Promise<void>[] = [];
    for (let from = 0; from < idx.length; from += chunk) {
      const to = Math.min(idx.length, from + chunk);
      const buf = packBatch(items, idx, from, to);
      tasks.push(this.#submit(buf, () => verifyInline(items, idx, from, to)).then((res) => {
        for (let k = 0; k < res.length; k++) out[idx[from + k]!] = res[k] === 1;
      }));
    }
    await Promise.all(tasks);
    return out;
  }

  /** Terminates the workers; pending batches reject with POOL_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const slots = this.#slots;
    this.#slots = [];
    const err = new ShulianError('POOL_CLOSED', 'VerifyPool was closed while verifying');
    for (const s of slots) {
      s.dead = true;
      for (const job of s.jobs.values()) job.reject(err);
      s.jobs.clear();
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #spawn(): void {
    this.#slots = this.#slots.filter((s) => !s.dead);
    while (this.#slots.length < this.threads) this.#slots.push(this.#newSlot());
  }

  #newSlot(): Slot {
    const worker = spawnWorker(WORKER_BODY, 'startVerifyWorker');
    const slot: Slot = { worker, jobs: new Map(), dead: false };
    worker.unref();
    worker.on('message', (msg: VerifyResponse | { ready: true }) => {
      if (!('id' in msg)) return;
      const job = slot.jobs.get(msg.id);
      if (!job) return;
      slot.jobs.delete(msg.id);
      if (slot.jobs.size === 0) worker.unref();
      job.resolve(msg.results);
    });
    const fail = (reason: string): void => {
      if (slot.dead) return;
      slot.dead = true;
      if (this.#closed) return;
      this.#failures++;
      if (this.#failures >= 2 * this.threads && !this.#inlineOnly) {
        this.#inlineOnly = true;
        process.emitWarning(`VerifyPool: workers keep failing (${reason}); verifying on the calling thread from now on`);
      }
      // Finish this worker's chunks here so callers still get correct answers.
      for (const job of slot.jobs.values()) {
        try {
          job.resolve(job.fallback());
        } catch (e) {
          job.reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
      slot.jobs.clear();
      void worker.terminate();
    };
    worker.on('error', (e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    worker.on('exit', (code) => fail(`worker exited with code ${code}`));
    return slot;
  }

  #submit(buf: ArrayBuffer, fallback: () => Uint8Array): Promise<Uint8Array> {
    // Least-loaded live worker.
    let slot: Slot | undefined;
    for (const s of this.#slots) if (!s.dead && (!slot || s.jobs.size < slot.jobs.size)) slot = s;
    if (!slot) return Promise.resolve(fallback());
    const id = this.#nextJob++;
    const s = slot;
    return new Promise<Uint8Array>((resolve, reject) => {
      s.jobs.set(id, { resolve, reject, fallback });
      if (s.jobs.size === 1) s.worker.ref();
      const req: VerifyRequest = { id, buf };
      s.worker.postMessage(req, [buf]);
    });
  }
}
