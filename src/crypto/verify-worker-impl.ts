/** VerifyPool worker body: receives packed batches, answers one result byte per item. */
import { parentPort } from 'node:worker_threads';
import { verifyPacked } from './batch.ts';

export interface VerifyRequest {
  id: number;
  buf: ArrayBuffer;
}

export interface VerifyResponse {
  id: number;
  results: Uint8Array;
}

export function startVerifyWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('verify worker must run in a worker thread');
  port.on('message', (req: VerifyRequest) => {
    const results = verifyPacked(req.buf);
    const res: VerifyResponse = { id: req.id, results };
    port.postMessage(res, [results.buffer as ArrayBuffer]);
  });
  port.postMessage({ ready: true });
}
