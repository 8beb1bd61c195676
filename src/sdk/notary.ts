import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { foreign, ShulianError, stateValue, toHex, HEX64_RE as HASH_RE, type JsonValue } from '../codec/index.ts';
import { sm3, type KeyPair } from '../crypto/index.ts';
import type { ShulianClient } from './client.ts';
import type { CommittedTx, SendOptions, VerifiedState, VerifiedTx, WaitOptions } from './types.ts';

/** What the notary module keeps for a file, at state key `notary/rec/<hash>` (type only). */
export type { NotaryRecord } from '../modules/notary/types.ts';
import type { NotaryRecord } from '../modules/notary/types.ts';
import { recordStateKey } from '../modules/notary/keys.ts';

export interface NotaryPutArgs {
  hash: string;
  name?: string;
  size?: number;
  mime?: string;
}

export interface NotaryProof {
  record: NotaryRecord;
  /** The state lookup of the record, its proof checked locally. */
  state: VerifiedState;
  /** The recording transaction, its inclusion proof checked locally. */
  tx: VerifiedTx;
  proofVerified: true;
}

export const DEFAULT_NOTARY_CHAIN = 'notary';

/** The full state key of a notary record (`notary/rec/<hash>`), typed with the record. */
export const notaryKey = recordStateKey;

let nodeSm3: boolean | undefined;

/** SM3 of bytes (OpenSSL when Node has it, the crypto module's implementation otherwise). */
export function sm3Hex(data: Uint8Array): string {
  return toHex(sm3(data));
}

/** SM3 of a file, streamed (so large files need little memory), as 64 lowercase hex digits. */
export async function sm3File(path: string): Promise<{ hash: string; size: number }> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ShulianError('FILE_NOT_FOUND', code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path} (${code ?? String(err)})`);
  }
  if (!st.isFile()) throw new ShulianError('FILE_NOT_FOUND', `${path} is not a regular file`);
  if (nodeSm3 === undefined) {
    try {
      createHash('sm3');
      nodeSm3 = true;
    } catch {
      nodeSm3 = false;
    }
  }
  const h = nodeSm3 ? createHash('sm3') : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      const b = chunk as Buffer;
      size += b.length;
      if (h) h.update(b);
      else chunks.push(b);
    }
  } catch (err) {
    throw new ShulianError('FILE_NOT_FOUND', `cannot read ${path} (${(err as { code?: string }).code ?? String(err)})`);
  }
  const hash = h ? h.digest('hex') : sm3Hex(Buffer.concat(chunks));
  return { hash, size };
}

/** Records a file hash on the notary chain and waits for the block; throws the module's error if it failed. */
export async function notaryPut(
  client: ShulianClient,
  key: KeyPair,
  args: NotaryPutArgs,
  opts: { chain?: string } & SendOptions & WaitOptions = {},
): Promise<CommittedTx> {
  if (!HASH_RE.test(args.hash)) throw new ShulianError('BAD_ARGUMENT', 'notary hash must be 64 lowercase hex digits (SM3 of the file)');
  const chain = opts.chain ?? DEFAULT_NOTARY_CHAIN;
  const a: Record<string, JsonValue> = { hash: args.hash };
  if (args.name !== undefined) a.name = args.name;
  if (args.size !== undefined) a.size = args.size;
  if (args.mime !== undefined) a.mime = args.mime;
  const hash = await client.send(chain, key, { module: 'notary', method: 'put', args: a }, opts);
  const inc = await client.waitForTx(hash, opts);
  if (inc.receipt.status !== 'ok') {
    const code = foreign(inc.receipt.code) ?? 'TX_FAILED';
    throw new ShulianError(code, `the notary chain rejected the record at height ${inc.height}: ${inc.receipt.message ?? code}`, { tx: hash, height: inc.height });
  }
  return inc;
}

/**
 * Looks a file hash up on the notary chain and checks, locally, both the state proof of the
 * record and the inclusion proof of the transaction that wrote it. Throws NOTARY_NOT_RECORDED when
 * a verified non-inclusion proof shows the hash was never recorded, PROOF_INVALID when anything
 * does not check out.
 */
export async function notaryVerify(client: ShulianClient, hash: string, opts: { chain?: string } = {}): Promise<NotaryProof> {
  if (!HASH_RE.test(hash)) throw new ShulianError('BAD_ARGUMENT', 'notary hash must be 64 lowercase hex digits (SM3 of the file)');
  const chain = opts.chain ?? DEFAULT_NOTARY_CHAIN;
  const state = await client.verifiedState(chain, notaryKey(hash));
  if (state.value === null) {
    throw new ShulianError('NOTARY_NOT_RECORDED', `not recorded: ${hash} has no record on chain ${chain} (verified non-inclusion proof at height ${state.height})`, {
      height: state.height, stateRoot: state.stateRoot,
    });
  }
  const bad = (reason: string): never => {
    throw new ShulianError('PROOF_INVALID', `notary record ${hash}: ${reason}`);
  };
  // What the node proved is checked field by field below: a record the module wrote agrees.
  const rec = stateValue(notaryKey(hash), state.value);
  if (rec === undefined || typeof rec !== 'object' || Array.isArray(rec)) return bad('the record is not an object');
  if (rec.hash !== hash) bad(`the record is for ${String(rec.hash)}`);
  if (typeof rec.tx !== 'string' || !HASH_RE.test(rec.tx)) bad('the record names no recording transaction');
  const tx = await client.verifiedTx(rec.tx);
  if (tx.chain !== chain) bad(`the recording transaction is on chain ${tx.chain}`);
  if (tx.tx.module !== 'notary' || tx.tx.method !== 'put') bad(`the recording transaction is ${tx.tx.module}.${tx.tx.method}, not notary.put`);
  const args = tx.tx.args as { hash?: unknown } | null;
  if (args === null || typeof args !== 'object' || args.hash !== hash) bad('the recording transaction is for another hash');
  if (tx.tx.from !== rec.owner) bad('the record owner did not sign the recording transaction');
  if (tx.receipt.status !== 'ok') bad('the recording transaction failed');
  if (tx.height !== rec.height) bad(`the record says height ${rec.height}, the transaction is in block ${tx.height}`);
  if (rec.time !== tx.header.time) bad('the record time is not the time of the block that recorded it');
  if (tx.height > state.height) bad('the recording transaction is newer than the state proof');
  return { record: rec, state, tx, proofVerified: true };
}
