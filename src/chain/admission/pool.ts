/**
 * AdmissionPool: parses, decodes, hashes and signature-checks incoming txs on worker threads,
 * so the main thread (API, execution, commits) only sees txs that are well formed and signed.
 * Each request goes whole to the least-loaded worker; workers start as concurrent requests need
 * them, up to `threads`. If a worker dies, its requests are
 * answered on the calling thread with the same code, so a caller never loses an answer.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ShulianError } from '../../codec/index.ts';
import { spawnWorker } from '../../codec/worker.ts';
import { admitBody, admitTxs, type AdmitAnswer, type AdmitParams } from './admit.ts';
import type { AdmitJob, AdmitReply } from './worker-impl.ts';

const WORKER_BODY = new URL('./worker-impl.ts', import.meta.url);

interface Pending {
  resolve(a: AdmitAnswer): void;
  fallback(): AdmitAnswer;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Pending>;
  dead: boolean;
}

export class AdmissionPool {
  readonly threads: number;
  private slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: { threads?: number } = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
  }

  /** Worker threads started and alive. */
  get started(): number {
    return this.slots.filter((s) => !s.dead).length;
  }

  /** Admits a raw request body (one tx, or {"txs": [...]}). */
  admitBody(params: AdmitParams, body: string): Promise<AdmitAnswer> {
    return this.run({ id: 0, params, body }, () => admitBody(params, body));
  }

  /** Admits already-parsed txs (tests, peers). */
  admitTxs(params: AdmitParams, txs: unknown[]): Promise<AdmitAnswer> {
    return this.run({ id: 0, params, txs }, () => ({ kind: 'batch', outcomes: admitTxs(params, txs) }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) {
      s.dead = true;
      for (const p of s.jobs.values()) p.resolve(p.fallback());
      s.jobs.clear();
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private run(job: AdmitJob, fallback: () => AdmitAnswer): Promise<AdmitAnswer> {
    if (this.closed) return Promise.reject(new ShulianError('POOL_CLOSED', 'the node is shutting down'));
    this.slots = this.slots.filter((s) => !s.dead);
    let slot = this.slots[0];
    for (const s of this.slots) if (s.jobs.size < slot!.jobs.size) slot = s;
    // A further thread only when every one there is busy: each costs ~0.6 s of CPU to start (its
    // module graph), which a node taking a tx now and then never earns back; under load all start
    // within the first burst.
    if (!slot || (slot.jobs.size > 0 && this.slots.length < this.threads)) {
      slot = this.spawn();
      this.slots.push(slot);
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      slot.jobs.set(id, { resolve, fallback });
      if (slot.jobs.size === 1) slot.worker.ref();
      try {
        slot.worker.postMessage({ ...job, id });
      } catch {
        // Not cloneable (e.g. a BigInt in a test's object): answer here instead.
        slot.jobs.delete(id);
        resolve(fallback());
      }
    });
  }

  private spawn(): Slot {
    const worker = spawnWorker(WORKER_BODY, 'startAdmissionWorker');
    const slot: Slot = { worker, jobs: new Map(), dead: false };
    worker.unref();
    worker.on('message', (reply: AdmitReply) => {
      const p = slot.jobs.get(reply.id);
      if (!p) return;
      slot.jobs.delete(reply.id);
      if (slot.jobs.size === 0) worker.unref();
      p.resolve(reply.answer);
    });
    const fail = (): void => {
      if (slot.dead) return;
      slot.dead = true;
      for (const p of slot.jobs.values()) p.resolve(p.fallback());
      slot.jobs.clear();
      void worker.terminate();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    return slot;
  }
}
