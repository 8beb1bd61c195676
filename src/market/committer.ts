/**
 * UsageCommitter: sends the gateway's receipt batches to the chain from a worker thread
 * (committer-worker.ts), so that a batch's Merkle root, its signature and the tx's encoding never
 * hold up a call being answered. One batch at a time, in the order given. If the thread dies, the
 * batch it held fails (the gateway keeps it and sends it again: the chain counts an id once) and
 * the next batch starts a new thread.
 */
import type { Worker } from 'node:worker_threads';
import { ShulianError, foreign } from '../codec/index.ts';
import { spawnWorker } from '../codec/worker.ts';
import type { ReceiptLine } from '../modules/market/types.ts';
import type { CommitJob, CommitReply, CommitterSetup } from './committer-worker.ts';

const WORKER_BODY = new URL('./committer-worker.ts', import.meta.url);

interface Waiting {
  resolve(): void;
  reject(err: ShulianError): void;
}

export class UsageCommitter {
  readonly #setup: CommitterSetup;
  #worker?: Worker;
  readonly #jobs = new Map<number, Waiting>();
  #next = 1;
  #closed = false;

  constructor(setup: CommitterSetup) {
    this.#setup = setup;
  }

  /** Commits one product's receipts as one market.commitUsage; throws the chain's or the node's error. */
  commit(product: string, receipts: ReceiptLine[]): Promise<void> {
    if (this.#closed) return Promise.reject(new ShulianError('INTERNAL', 'the committer is closed'));
    const job: CommitJob = { id: this.#next++, product, receipts };
    const worker = this.#thread();
    return new Promise<void>((resolve, reject) => {
      this.#jobs.set(job.id, { resolve, reject });
      worker.ref();
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    this.#failAll('the gateway is stopping');
    await w?.terminate();
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = spawnWorker(WORKER_BODY, 'startCommitterWorker');
    worker.unref();
    worker.postMessage(this.#setup);
    worker.on('message', (r: CommitReply) => {
      const w = this.#jobs.get(r.id);
      if (!w) return;
      this.#jobs.delete(r.id);
      if (this.#jobs.size === 0) worker.unref();
      if (r.ok) w.resolve();
      else w.reject(new ShulianError(r.code ? foreign(r.code) : 'INTERNAL', r.message));
    });
    const dead = (why: string): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failAll(`the committer thread stopped (${why})`);
    };
    worker.on('error', (e: Error) => dead(e.message));
    worker.on('exit', (code) => dead(`exit code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #failAll(why: string): void {
    for (const w of this.#jobs.values()) w.reject(new ShulianError('INTERNAL', `${why}; its batch is sent again`));
    this.#jobs.clear();
  }
}
