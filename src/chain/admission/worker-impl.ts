/** Admission worker body: answers AdmitJob messages with admitBody / admitTxs results. */
import { parentPort } from 'node:worker_threads';
import { admitBody, admitTxs, type AdmitAnswer, type AdmitParams } from './admit.ts';

export type AdmitJob = { id: number; params: AdmitParams } & ({ body: string } | { txs: unknown[] });

export interface AdmitReply {
  id: number;
  answer: AdmitAnswer;
}

export function startAdmissionWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('admission worker must run in a worker thread');
  port.on('message', (job: AdmitJob) => {
    const answer: AdmitAnswer = 'body' in job ? admitBody(job.params, job.body) : { kind: 'batch', outcomes: admitTxs(job.params, job.txs) };
    const reply: AdmitReply = { id: job.id, answer };
    port.postMessage(reply);
  });
}
