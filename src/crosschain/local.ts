import { ShulianError, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import { signTx, type Receipt } from '../ledger/index.ts';
import type { ChainView } from '../chain/index.ts';
import type { ChainEndpoint, ProofBundle } from './relay.ts';
import { readOutbox, readProofBundle } from './readers.ts';
import { gatewayStopped } from './abort.ts';

/**
 * A chain hosted in this process, for a node's own gateway: the same reads and proofs as the
 * HTTP endpoint, without going through the API (so it uses none of the API's rate limit).
 * Nothing is trusted more for being local: the receiving module verifies every proof.
 */
export function localEndpoint(chain: ChainView, key: KeyPair, opts: { waitMs?: number } = {}): ChainEndpoint {
  const did = didFromPublicKey(key.publicKey);
  let queue: Promise<unknown> = Promise.resolve();
  let next = 0;
  const state = (k: string): JsonValue | null => chain.getState(k).value;
  /** A tx's receipt once a block commits it; rejects on abort (GATEWAY_STOPPED) or after waitMs (TX_TIMEOUT). */
  const receiptOf = (hash: string, signal: AbortSignal | undefined): Promise<Receipt> => {
    const receipt = new Promise<Receipt>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', onAbort);
      };
      // A stopping gateway stops waiting at once: no timer or block listener outlives it.
      const onAbort = (): void => {
        done();
        reject(gatewayStopped(chain.id));
      };
      const timer = setTimeout(() => {
        done();
        reject(new ShulianError('TX_TIMEOUT', `gateway tx ${hash} on ${chain.id} was not committed within ${opts.waitMs ?? 30_000} ms`));
      }, opts.waitMs ?? 30_000);
      const off = chain.onBlock((b) => {
        const r = b.receipts.find((x) => x.tx === hash);
        if (r) {
          done();
          resolve(r);
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // It may end (stopped) before the caller takes it; the caller still sees the rejection.
    receipt.catch(() => undefined);
    return receipt;
  };
  interface Pending {
    module: string;
    method: string;
    args: JsonValue;
    signal: AbortSignal | undefined;
    resolve: (r: Promise<Receipt>) => void;
    reject: (err: unknown) => void;
  }
  /**
   * Signs the calls gathered since the last submission with consecutive nonces and submits them
   * in one go, so they wait in the mempool together and the next block takes them all (one
   * block per relay round, not one per tx). Each call still gets its own receipt.
   */
  const submitAll = async (calls: Pending[]): Promise<void> => {
    const live: Pending[] = [];
    for (const c of calls) {
      if (c.signal?.aborted) c.reject(gatewayStopped(chain.id));
      else live.push(c);
    }
    if (!live.length) return;
    const acct = chain.nonces(did);
    let nonce = Math.max(acct.pendingNonce, next);
    const signed = live.map((c) => signTx(key, { chain: chain.id, module: c.module, method: c.method, args: c.args, nonce: nonce++, expires: chain.height() + 100 }));
    const receipts = signed.map(({ hash }, i) => receiptOf(hash, live[i]!.signal));
    let results: Awaited<ReturnType<typeof chain.submit>>;
    try {
      results = await chain.submit(signed.map((s) => s.tx));
    } catch (err) {
      next = 0;
      for (const c of live) c.reject(err);
      return;
    }
    next = nonce;
    live.forEach((c, i) => {
      const r = results[i];
      if (r && r.accepted) {
        c.resolve(receipts[i]!);
        return;
      }
      next = 0;
      c.reject(new ShulianError(r?.accepted === false ? r.code : 'TX_REJECTED', `gateway tx on ${chain.id} refused: ${r && !r.accepted ? r.message : 'no answer'}`));
    });
  };
  let gathering: Pending[] | undefined;
  return {
    id: chain.id,
    height: async () => chain.height(),
    proof: async (height: number, keys: string[]): Promise<ProofBundle> => readProofBundle(chain, height, keys),
    outbox: async (dst: string, from: number, limit: number) => readOutbox(chain, dst, from, limit),
    state: async (k: string) => state(k),
    onBlock: (listener: () => void) => chain.onBlock(() => listener()),
    call(module: string, method: string, args: JsonValue, signal?: AbortSignal) {
      // Submissions one batch at a time per endpoint, so nonces never collide; calls made
      // together (before the previous batch is submitted) go out as one batch; commits are awaited in parallel.
      const submitted = new Promise<Promise<Receipt>>((resolve, reject) => {
        const call: Pending = { module, method, args, signal, resolve, reject };
        if (gathering) {
          gathering.push(call);
          return;
        }
        const calls = [call];
        gathering = calls;
        queue = queue.then(() => {
          gathering = undefined;
          return submitAll(calls);
        }).catch(() => undefined);
      });
      return submitted.then((receipt) => receipt).then((r) => ({ status: r.status, ...(r.code ? { code: r.code } : {}), ...(r.message ? { message: r.message } : {}), ...(r.result !== undefined ? { result: r.result } : {}) }));
    },
  };
}
