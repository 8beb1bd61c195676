/** Admission worker body: answers AdmitJob messages with admitBody / admitTxs results. */
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../codec/worker.ts';
import { admitBody, admitTxs, type AdmitAnswer, type AdmitParams } from './admit.ts';

export type AdmitJob = { id: number; params: AdmitParams } & ({ body: string } | { txs: unknown[] });

export interface AdmitReply {
  id: number;
  answer: AdmitAnswer;
}

export function startAdmissionWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('admission worker must run in a worker thread');
  lowerThreadPriority(ADMISSION_NICE);
  port.on('message', (job: AdmitJob) => {
    const answer: AdmitAnswer = 'body' in job ? admitBody(job.params, job.body) : { kind: 'batch', outcomes: admitTxs(job.params, job.txs) };
    const reply: AdmitReply = { id: job.id, answer };
    port.postMessage(reply);
  });
}

/**
 * Nice value of admission threads. When the cores are oversubscribed (2-core bench: two
 * workers, the main thread, LMDB's writer), the main thread (reads, block production) should
 * get the core first, or a read waits behind signature checks. 10 took ~5 % off solo SM2
 * throughput (verification starved); 5 did not, and brought read p99 down about as much.
 */
const ADMISSION_NICE = 5;
