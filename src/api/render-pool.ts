/**
 * RenderPool: the API's CPU-heavy work (contract PDFs, template compiles, scenario runs, and on a
 * pool of its own the EVM of eth_call / eth_estimateGas) on worker threads, so a caller asking
 * for many never stalls the thread that serves the node's reads, health and consensus-facing
 * routes (issue #13 item 6). At most `workers` tasks run at once and at most `queue` wait; past
 * that a task is refused at once with BUSY (503, Retry-After) rather than queued without bound.
 * Workers start on first use and are unref'd while idle. A task given a `read` function may read
 * state from this thread while it runs (the worker blocks until the answer is on its port).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { ShulianError, type JsonValue } from '../codec/index.ts';
import { spawnWorker } from '../codec/worker.ts';
import type { ReadReply, RenderRequest, RenderTask, RenderWorkerData, WorkerMessage } from './render-worker-impl.ts';

export type { RenderTask } from './render-worker-impl.ts';

const WORKER_BODY = new URL('./render-worker-impl.ts', import.meta.url);

export interface RenderPoolOptions {
  /** Tasks run at once, each on its own worker thread (default: cores − 1, at least 1, at most 2). */
  workers?: number;
  /** Tasks that may wait for a worker; more are refused with BUSY (default 16). */
  queue?: number;
  /** Seconds a refused caller is told to wait (Retry-After, default 2). */
  retryAfterS?: number;
  /** What the pool's tasks are, for the BUSY message (default "documents rendering"). */
  work?: string;
  /** Tests only: a shared [hold, started] pair; while hold is 1 each task waits at its start in its worker. */
  hold?: Int32Array;
}

interface Pending {
  id: number;
  task: RenderTask;
  read: ((key: string) => JsonValue | undefined) | undefined;
  resolve(r: { pdf?: Uint8Array; json?: unknown }): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
  /** The bridge: state read answers go on `port`, then `signal[0]` = 1 wakes the worker. */
  port: MessagePort;
  signal: Int32Array;
}

export class RenderPool {
  readonly workers: number;
  readonly queueLimit: number;
  readonly retryAfterS: number;
  readonly work: string;
  #slots: Slot[] = [];
  #waiting: Pending[] = [];
  #next = 1;
  #closed = false;
  readonly #hold: Int32Array | undefined;

  constructor(opts: RenderPoolOptions = {}) {
    this.workers = opts.workers ?? Math.max(1, Math.min(2, availableParallelism() - 1));
    this.queueLimit = opts.queue ?? 16;
    this.retryAfterS = opts.retryAfterS ?? 2;
    this.work = opts.work ?? 'documents rendering';
    if (!Number.isInteger(this.workers) || this.workers < 1 || this.workers > 64) throw new ShulianError('BAD_OPTIONS', `render workers must be 1..64, not ${this.workers}`);
    if (!Number.isInteger(this.queueLimit) || this.queueLimit < 0) throw new ShulianError('BAD_OPTIONS', `the render queue bound must be a whole number, not ${this.queueLimit}`);
    this.#hold = opts.hold;
  }

  /** Tasks on a worker now. */
  get running(): number {
    return this.#slots.filter((s) => s.busy).length;
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs a task on a worker; BUSY at once when every worker is busy and the queue is full.
   * `read` answers the task's state reads, on this thread.
   */
  run(task: RenderTask, read?: (key: string) => JsonValue | undefined): Promise<{ pdf?: Uint8Array; json?: unknown }> {
    if (this.#closed) return Promise.reject(new ShulianError('BUSY', 'the node is shutting down', { retryAfterS: this.retryAfterS }));
    const free = this.#freeSlot();
    if (!free && this.#waiting.length >= this.queueLimit) {
      return Promise.reject(new ShulianError('BUSY', `this node has ${this.running} ${this.work} and ${this.#waiting.length} more waiting, the most it takes; retry in ${this.retryAfterS} s`, { retryAfterS: this.retryAfterS }));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { id: this.#next++, task, read, resolve, reject };
      if (free) this.#dispatch(free, p);
      else this.#waiting.push(p);
    });
  }

  #freeSlot(): Slot | undefined {
    const idle = this.#slots.find((s) => !s.busy);
    if (idle) return idle;
    if (this.#slots.length < this.workers) return this.#spawn();
    return undefined;
  }

  #spawn(): Slot {
    const channel = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const data: RenderWorkerData = { ...(this.#hold ? { hold: this.#hold } : {}), bridge: { signal, port: channel.port2 } };
    const worker = spawnWorker(WORKER_BODY, 'startRenderWorker', { workerData: data, transferList: [channel.port2] });
    const slot: Slot = { worker, busy: undefined, port: channel.port1, signal };
    channel.port1.unref();
    worker.unref();
    worker.on('message', (m: WorkerMessage) => {
      if ('ready' in m) return;
      if ('read' in m) return this.#answerRead(slot, m.read.id, m.read.key);
      const p = slot.busy;
      if (!p || p.id !== m.id) return;
      slot.busy = undefined;
      worker.unref();
      if (m.ok) p.resolve({ ...(m.pdf ? { pdf: m.pdf } : {}), ...(m.json !== undefined ? { json: m.json } : {}) });
      else p.reject(new ShulianError(m.code, m.message));
      this.#pump(slot);
    });
    const dead = (why: string) => {
      slot.port.close();
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      const p = slot.busy;
      slot.busy = undefined;
      if (p) p.reject(new ShulianError('INTERNAL', `a render worker stopped (${why}); try again`));
      if (!this.#closed && this.#waiting.length > 0) {
        const next = this.#freeSlot();
        if (next) this.#pump(next);
      }
    };
    worker.on('error', (e: Error) => dead(e.message));
    worker.on('exit', (code) => dead(`exit code ${code}`));
    this.#slots.push(slot);
    return slot;
  }

  /** Answers a worker's state read for its running task, then wakes the worker. */
  #answerRead(slot: Slot, id: number, key: string): void {
    const p = slot.busy;
    let reply: ReadReply;
    if (!p || p.id !== id || !p.read) {
      reply = { ok: false, code: 'INTERNAL', message: `task ${id} may not read state here` };
    } else {
      try {
        reply = { ok: true, value: p.read(key) };
      } catch (e) {
        reply = e instanceof ShulianError ? { ok: false, code: e.code, message: e.message } : { ok: false, code: 'INTERNAL', message: (e as Error).message };
      }
    }
    slot.port.postMessage(reply);
    Atomics.store(slot.signal, 0, 1);
    Atomics.notify(slot.signal, 0);
  }

  #dispatch(slot: Slot, p: Pending): void {
    slot.busy = p;
    slot.worker.ref(); // an awaited task keeps the process alive until it answers
    const req: RenderRequest = { id: p.id, task: p.task };
    slot.worker.postMessage(req);
  }

  #pump(slot: Slot): void {
    const p = this.#waiting.shift();
    if (p) this.#dispatch(slot, p);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#waiting.splice(0)) p.reject(new ShulianError('BUSY', 'the node is shutting down', { retryAfterS: this.retryAfterS }));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots = [];
  }
}
