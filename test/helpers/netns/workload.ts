import { randomBytes } from 'node:crypto';
import { generateKeyPair, didFromPublicKey, type KeyPair } from '../../../src/crypto/index.ts';
import { signTx, type Block } from '../../../src/ledger/index.ts';
import type { FinalChain, History, TxOp } from './checker.ts';
import { getJson } from './cluster.ts';

/**
 * Clients and a sampler that record a history for checkHistory while faults run. Each client
 * signs notary puts with its own key, one at a time (a closed loop): it submits to a node, and
 * once accepted reads the tx back from that node until it is committed; when no commit comes in
 * `retryMs` it submits the same tx to the next node (a real client's retry: same tx, same hash).
 * Client c starts at node c, so every node takes writes. The sampler polls every node's latest
 * block and the clients' nonces once a second.
 */
export class Workload {
  readonly ops: TxOp[] = [];
  readonly blocks: History['blocks'] = [];
  readonly nonces: History['nonces'] = [];
  private readonly keys: KeyPair[];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly apis: string[], clients: number, private readonly o: { chain?: string; retryMs?: number } = {}) {
    this.keys = Array.from({ length: clients }, () => generateKeyPair('sm2'));
  }

  get clients(): string[] {
    return this.keys.map((k) => didFromPublicKey(k.publicKey));
  }

  private get chain(): string {
    return this.o.chain ?? 'notary';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = [...this.keys.map((k, c) => this.client(k, c)), this.sampler()];
  }

  /** Stops the clients and the sampler (a tx in flight keeps its last answer). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Acknowledged commits so far. */
  committedCount(): number {
    return this.ops.filter((o) => o.committed).length;
  }

  private async client(key: KeyPair, c: number): Promise<void> {
    const did = didFromPublicKey(key.publicKey);
    let nonce = 0;
    let node = c % this.apis.length;
    while (this.running) {
      const { tx, hash: txHash } = signTx(key, { chain: this.chain, module: 'notary', method: 'put', args: { hash: randomBytes(32).toString('hex') }, nonce, expires: 500_000 });
      let done = false;
      while (!done && this.running) {
        const op: TxOp = { hash: txHash, from: did, nonce, node, submittedAt: Date.now(), answer: { kind: 'error', message: 'no answer' } };
        this.ops.push(op);
        op.answer = await submit(this.apis[node]!, this.chain, tx);
        if (op.answer.kind === 'rejected' && op.answer.code === 'TX_NONCE_STALE') {
          // Stale: an earlier attempt of this very tx (or the tx itself) is committed already.
          const found = await getJson<{ status: string; height: number; receipt: { status: 'ok' | 'failed' } }>(`${this.apis[node]}/v1/txs/${txHash}`);
          if (found?.status === 'committed') op.committed = { height: found.height, status: found.receipt.status, node, at: Date.now() };
          done = true;
          break;
        }
        if (op.answer.kind === 'accepted' || (op.answer.kind === 'rejected' && op.answer.code === 'TX_DUPLICATE')) {
          const deadline = Date.now() + (this.o.retryMs ?? 15_000);
          while (this.running && Date.now() < deadline) {
            const found = await getJson<{ status: string; height: number; receipt: { status: 'ok' | 'failed' } }>(`${this.apis[node]}/v1/txs/${txHash}`, 2000);
            if (found?.status === 'committed') {
              op.committed = { height: found.height, status: found.receipt.status, node, at: Date.now() };
              done = true;
              break;
            }
            await sleepUnlessStopped(100, () => this.running);
          }
        } else {
          await sleepUnlessStopped(200, () => this.running);
        }
        node = (node + 1) % this.apis.length;
      }
      if (done) nonce++;
    }
  }

  private async sampler(): Promise<void> {
    const dids = this.clients;
    while (this.running) {
      await Promise.all(this.apis.map(async (api, node) => {
        const b = await getJson<Block>(`${api}/v1/chains/${this.chain}/blocks/latest`, 2000);
        if (b && b.header.height > 0) this.blocks.push({ node, height: b.header.height, hash: b.hash, stateRoot: b.header.stateRoot, at: Date.now() });
        await Promise.all(dids.map(async (did) => {
          const a = await getJson<{ nonce: number }>(`${api}/v1/chains/${this.chain}/accounts/${did}`, 2000);
          if (a) this.nonces.push({ node, did, nonce: a.nonce, at: Date.now() });
        }));
      }));
      await sleepUnlessStopped(1000, () => this.running);
    }
  }

  /** Reads every block of each listed node's chain and returns the history for the checker. */
  async history(honest: number[]): Promise<History> {
    const finals: FinalChain[] = [];
    for (const node of honest) finals.push(await readChain(this.apis[node]!, node, this.chain));
    return { clients: this.clients, ops: this.ops, blocks: this.blocks, nonces: this.nonces, finals };
  }
}

async function submit(api: string, chain: string, tx: unknown): Promise<TxOp['answer']> {
  try {
    const res = await fetch(`${api}/v1/chains/${chain}/txs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx), signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (res.status === 202) return { kind: 'accepted' };
    const code = body.error?.code;
    // A 5xx says nothing about whether the tx got in: indeterminate, like a timeout.
    if (res.status >= 500 || !code) return { kind: 'error', message: `${res.status} ${code ?? ''} ${body.error?.message ?? ''}` };
    return { kind: 'rejected', code };
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
}

async function readChain(api: string, node: number, chain: string): Promise<FinalChain> {
  const top = (await getJson<{ height: number }>(`${api}/v1/chains/${chain}`, 10_000))?.height;
  if (top === undefined) throw new Error(`node ${node} (${api}) did not answer for its height`);
  const blocks: FinalChain['blocks'] = [];
  for (let height = 1; height <= top; height++) {
    const b = await getJson<Block>(`${api}/v1/chains/${chain}/blocks/${height}`, 10_000);
    if (!b) throw new Error(`node ${node} (${api}) did not give block ${height} of ${top}`);
    blocks.push({
      height: b.header.height, hash: b.hash, stateRoot: b.header.stateRoot,
      txs: b.txs.map((t, k) => ({ hash: b.receipts[k]!.tx, from: t.from, nonce: t.nonce, status: b.receipts[k]!.status })),
    });
  }
  return { node, blocks };
}

async function sleepUnlessStopped(ms: number, running: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (running() && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(50, end - Date.now())));
}
