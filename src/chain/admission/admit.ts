import { ShulianError, fromHex, type ErrorCode } from '../../codec/index.ts';
import { didFromPublicKey, verify, type Suite } from '../../crypto/index.ts';
import { checkPubkeySuite, prepareTx, txSigningMessage, type Tx } from '../../ledger/index.ts';

/** What admission needs to know of a chain; plain data, so it can cross to a worker. */
export interface AdmitParams {
  chain: string;
  suite: Suite;
  maxTxBytes: number;
  maxBatch: number;
}

export type AdmitOutcome =
  /** selfCertified: `from` is the DID of `pubkey` itself; otherwise the chain asks the identity chain. */
  | { ok: true; tx: Tx; hash: string; bytes: number; selfCertified: boolean }
  | { ok: false; hash?: string; code: ErrorCode; message: string };

/** The answer for one request body: a single tx, a batch, or a body that is not usable at all. */
export type AdmitAnswer =
  | { kind: 'single' | 'batch'; outcomes: AdmitOutcome[] }
  | { kind: 'invalid'; code: ErrorCode; message: string };

const didCache = new Map<string, string>();

function didOf(pubkeyHex: string): string {
  let did = didCache.get(pubkeyHex);
  if (did === undefined) {
    did = didFromPublicKey(fromHex(pubkeyHex));
    if (didCache.size >= 100_000) didCache.clear();
    didCache.set(pubkeyHex, did);
  }
  return did;
}

function failure(err: unknown, hash?: string): AdmitOutcome {
  const code = err instanceof ShulianError ? err.code : 'TX_REJECTED';
  const message = err instanceof Error ? err.message : String(err);
  return hash === undefined ? { ok: false, code, message } : { ok: false, hash, code, message };
}

/**
 * The stateless half of admitting txs: shape, size, chain, key suite, sender DID, duplicates
 * within the batch, and the signature. What needs chain state (expiry, nonce, mempool) is
 * checked by the chain afterwards. Runs in admission workers, or inline as a fallback.
 */
export function admitTxs(p: AdmitParams, raws: unknown[]): AdmitOutcome[] {
  const seen = new Set<string>();
  return raws.map((raw) => {
    let hash: string | undefined;
    try {
      const prepared = prepareTx(p.suite, raw, p.maxTxBytes);
      const tx = prepared.tx;
      hash = prepared.hash;
      if (tx.chain !== p.chain) throw new ShulianError('TX_WRONG_CHAIN', `transaction is for chain "${tx.chain}", sent to chain "${p.chain}"`);
      checkPubkeySuite(p.suite, tx.pubkey);
      // A key that is not the sender's self-certifying one may still be a current key of its DID
      // document (after a rotation): the chain decides that against the identity chain.
      const selfCertified = didOf(tx.pubkey) === tx.from;
      if (seen.has(hash)) throw new ShulianError('TX_DUPLICATE', `transaction ${hash} appears twice in the batch`);
      seen.add(hash);
      if (!verify(p.suite, fromHex(tx.pubkey), txSigningMessage(hash), fromHex(tx.sig))) {
        throw new ShulianError('TX_BAD_SIGNATURE', `signature does not verify under pubkey ${tx.pubkey.slice(0, 16)}… for tx ${hash}`);
      }
      return { ok: true, tx, hash, bytes: prepared.bytes, selfCertified };
    } catch (err) {
      return failure(err, hash);
    }
  });
}

/** Admits a request body as sent to POST /v1/chains/:chain/txs: one tx, or {"txs": [...]}. */
export function admitBody(p: AdmitParams, body: string): AdmitAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return { kind: 'invalid', code: 'BAD_REQUEST', message: `body is not valid JSON (${(err as Error).message})` };
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'txs' in parsed) {
    const txs = (parsed as { txs: unknown }).txs;
    if (!Array.isArray(txs)) return { kind: 'invalid', code: 'BAD_REQUEST', message: 'txs must be an array of signed transactions' };
    if (txs.length === 0 || txs.length > p.maxBatch) {
      return { kind: 'invalid', code: 'BAD_REQUEST', message: `a batch holds 1 to ${p.maxBatch} transactions, got ${txs.length}` };
    }
    return { kind: 'batch', outcomes: admitTxs(p, txs) };
  }
  return { kind: 'single', outcomes: admitTxs(p, [parsed]) };
}
