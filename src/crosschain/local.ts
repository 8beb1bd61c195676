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
  /** Submits in nonce order; resolves with a promise of the receipt, so several txs can be in flight. */
  const submit = async (module: string, method: string, args: JsonValue, signal: AbortSignal | undefined): Promise<Promise<Receipt>> => {
    if (signal?.aborted) throw gatewayStopped(chain.id);
    const acct = chain.nonces(did);
    const nonce = Math.max(acct.pendingNonce, next);
    const { tx, hash } = signTx(key, { chain: chain.id, module, method, args, nonce, expires: chain.height() + 100 });
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
    const [r] = await chain.submit([tx]);
    if (!r || !r.accepted) {
      next = 0;
      throw new ShulianError(r?.accepted === false ? r.code : 'TX_REJECTED', `gateway tx on ${chain.id} refused: ${r && !r.accepted ? r.message : 'no answer'}`);
    }
    next = nonce + 1;
    return receipt;
  };
  return {
    id: chain.id,
    height: async () => chain.height(),
    proof: async (height: number, keys: string[]): Promise<ProofBundle> => readProofBundle(chain, height, keys),
    outbox: async (dst: string, from: number, limit: number) => readOutbox(chain, dst, from, limit),
    state: async (k: string) => state(k),
    onBlock: (listener: () => void) => chain.onBlock(() => listener()),
    call(module: string, method: string, args: JsonValue, signal?: AbortSignal) {
      // Submissions one at a time per endpoint, so nonces never collide; commits are awaited in parallel.
      const submitted = queue.then(() => submit(module, method, args, signal));
      queue = submitted.catch(() => undefined);
      return submitted.then((receipt) => receipt).then((r) => ({ status: r.status, ...(r.code ? { code: r.code } : {}), ...(r.message ? { message: r.message } : {}), ...(r.result !== undefined ? { result: r.result } : {}) }));
    },
  };
}
