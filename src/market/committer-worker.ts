/**
 * The committer's thread (committer.ts): builds each batch's Merkle root, signs the
 * market.commitUsage tx and waits for its block, off the thread that answers calls. That work
 * is a few to tens of milliseconds per 500-receipt batch (issue #23: it showed in the gateway's
 * p99), and needs nothing of the gateway but the node's address and the gateway's key.
 */
import { parentPort } from 'node:worker_threads';
import { ShulianError } from '../codec/index.ts';
import { lowerThreadPriority } from '../codec/worker.ts';
import type { KeyPair } from '../crypto/index.ts';
import { usageRoot, type ReceiptLine } from '../modules/market/types.ts';
import { ShulianClient, commitUsageBatch, type ClientOptions } from '../sdk/index.ts';

/** The first message: where the chain is and who signs. */
export interface CommitterSetup {
  connection: Pick<ClientOptions, 'baseUrl' | 'timeoutMs' | 'token'>;
  key: KeyPair;
  chain: string;
}

/** One product's receipts, to be committed as one market.commitUsage. */
export interface CommitJob {
  id: number;
  product: string;
  receipts: ReceiptLine[];
}

export type CommitReply = { id: number; ok: true } | { id: number; ok: false; code: string; message: string };

/**
 * The committer yields the core to the thread answering calls (2-core machines run the gateway,
 * the upstream and the load tool together); it has a period's worth of time to commit a batch.
 */
const COMMITTER_NICE = 5;

export function startCommitterWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('the committer must run in a worker thread');
  lowerThreadPriority(COMMITTER_NICE);
  let setup: { client: ShulianClient; key: KeyPair; chain: string } | undefined;
  port.on('message', async (m: CommitterSetup | CommitJob) => {
    if (!('id' in m)) {
      setup = { client: new ShulianClient({ ...m.connection, onFirstUse: () => undefined }), key: m.key, chain: m.chain };
      return;
    }
    let reply: CommitReply;
    try {
      if (!setup) throw new ShulianError('INTERNAL', 'the committer was given a batch before its setup');
      await commitUsageBatch(setup.client, setup.key, { product: m.product, receipts: m.receipts, root: usageRoot(m.receipts) }, { chain: setup.chain });
      reply = { id: m.id, ok: true };
    } catch (err) {
      reply = { id: m.id, ok: false, code: err instanceof ShulianError ? err.code : '', message: (err as Error).message };
    }
    port.postMessage(reply);
  });
}
