import { ShulianError, canonicalize, fromHex, toHex, CHAIN_ID_RE, DID_RE, HEX_RE, NAME_RE, type JsonValue } from '../codec/index.ts';
import { jsonSchema, z } from '../codec/schemas.ts';
import { didFromPublicKey, hashFor, sign, verify, type KeyPair, type Suite } from '../crypto/index.ts';
import { canonicalBody, txHashOf } from './hashing.ts';
import type { Tx, TxBody } from './types.ts';

const SIG_RE = /^[0-9a-f]{128}$/;

const txSchema = z.strictObject({
  chain: z.string().regex(CHAIN_ID_RE, 'a chain id: lowercase letters, digits and dashes, starting with a letter'),
  from: z.string().regex(DID_RE, 'a did:shulian DID'),
  pubkey: z.string().regex(HEX_RE, 'lowercase hex'),
  nonce: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  module: z.string().regex(NAME_RE, 'a module name such as "notary"'),
  method: z.string().regex(NAME_RE, 'a method name such as "put"'),
  args: jsonSchema,
  expires: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sig: z.string().regex(SIG_RE, '64 bytes of lowercase hex'),
});

/** Maximum nesting of a tx's args: keeps canonicalisation and validation bounded. */
const MAX_DEPTH = 16;

function depthOf(v: unknown, d = 0): number {
  if (d > MAX_DEPTH) return d;
  if (Array.isArray(v)) return v.reduce<number>((m, x) => Math.max(m, depthOf(x, d + 1)), d + 1);
  if (v !== null && typeof v === 'object') return Object.values(v).reduce<number>((m, x) => Math.max(m, depthOf(x, d + 1)), d + 1);
  return d;
}

function hasProtoKey(v: unknown, d = 0): boolean {
  if (d > MAX_DEPTH || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => hasProtoKey(x, d + 1));
  return Object.keys(v).some((k) => k === '__proto__' || hasProtoKey((v as Record<string, unknown>)[k], d + 1));
}

const TX_FIELDS = 9;

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER;

/** Whether `v` is JSON data as jsonSchema takes it, made of plain objects and arrays only (depth is bounded by the caller). */
function isPlainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || !isPlainJson(v[i])) return false;
    return Object.getPrototypeOf(v) === Array.prototype;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k in v) if (!Object.hasOwn(v, k) || !isPlainJson((v as Record<string, unknown>)[k])) return false;
  return Object.getOwnPropertySymbols(v).length === 0;
}

/**
 * The common case of decodeTx without zod (issue #20: the schema walk cost more per tx than
 * hashing it): a plain object holding exactly the nine fields, each as txSchema takes it. It
 * returns what txSchema would (the fields in the schema's order); anything else, even what
 * txSchema might accept, is left to txSchema, which also words the error.
 */
function wellFormedTx(input: unknown): Tx | undefined {
  if (input === null || typeof input !== 'object' || Object.getPrototypeOf(input) !== Object.prototype) return undefined;
  const o = input as Record<string, unknown>;
  if (Object.keys(o).length !== TX_FIELDS) return undefined;
  const { chain, from, pubkey, nonce, module, method, args, expires, sig } = o;
  if (typeof chain !== 'string' || !CHAIN_ID_RE.test(chain) || typeof from !== 'string' || !DID_RE.test(from)) return undefined;
  if (typeof pubkey !== 'string' || !HEX_RE.test(pubkey) || !isCount(nonce) || !isCount(expires)) return undefined;
  if (typeof module !== 'string' || !NAME_RE.test(module) || typeof method !== 'string' || !NAME_RE.test(method)) return undefined;
  if (typeof sig !== 'string' || !SIG_RE.test(sig) || !Object.hasOwn(o, 'args') || !isPlainJson(args)) return undefined;
  return { chain, from, pubkey, nonce, module, method, args: args as JsonValue, expires, sig };
}

/**
 * Checks the shape of an untrusted transaction (from the API, a peer or a file) and returns it
 * typed. Throws ShulianError TX_MALFORMED naming the first field that is wrong. Does not check
 * the signature (that is batched, see verifyTxSignature) nor chain state.
 */
export function decodeTx(input: unknown, maxBytes = 65536): Tx {
  return decode(input, true);
}

/** decodeTx through the schema alone, never the fast path: for tests that hold the two to the same answers. */
export function decodeTxBySchema(input: unknown): Tx {
  return decode(input, false);
}

function decode(input: unknown, fastPath: boolean): Tx {
  if (depthOf(input) > MAX_DEPTH) {
    throw new ShulianError('TX_MALFORMED', `transaction is nested deeper than ${MAX_DEPTH} levels`);
  }
  if (hasProtoKey(input)) {
    // JSON allows it, but a JavaScript object cannot hold it as data: the signed bytes and the executed args would differ.
    throw new ShulianError('TX_MALFORMED', 'transaction uses the object key "__proto__", which Shulian does not accept; rename that field');
  }
  const fast = fastPath ? wellFormedTx(input) : undefined;
  if (fast) return fast;
  const parsed = txSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'transaction';
    throw new ShulianError('TX_MALFORMED', `${where}: ${issue.message}`);
  }
  return parsed.data as Tx;
}

/**
 * Decodes an untrusted tx and computes its hash and canonical size with one canonicalisation:
 * `sig` sorts last among the fields, so the canonical tx is the canonical body plus
 * `,"sig":"…"` (RFC 8785 §3.2.3 ordering).
 */
export function prepareTx(suite: Suite, input: unknown, maxBytes = 65536): { tx: Tx; hash: string; bytes: number } {
  const tx = decodeTx(input, maxBytes);
  const body = canonicalBody(tx);
  const bytes = Buffer.byteLength(body) + 9 + tx.sig.length;
  if (bytes > maxBytes) {
    throw new ShulianError('TX_TOO_LARGE', `transaction is ${bytes} bytes; this chain accepts at most ${maxBytes}`);
  }
  return { tx, hash: toHex(hashFor(suite)(Buffer.from(body, 'utf8'))), bytes };
}

/** Checks that the public key fits the chain's suite. */
export function checkPubkeySuite(suite: Suite, pubkeyHex: string): void {
  const len = pubkeyHex.length / 2;
  const want = suite === 'sm2' ? 65 : 32;
  if (len !== want || (suite === 'sm2' && !pubkeyHex.startsWith('04'))) {
    throw new ShulianError('TX_BAD_KEY', `this chain uses ${suite}; pubkey must be ${suite === 'sm2' ? '65 bytes (04‖X‖Y)' : '32 bytes'}`);
  }
}

/** The message a sender signs: the tx hash bytes. */
export function txSigningMessage(hashHex: string): Uint8Array {
  return fromHex(hashHex, 32, 'tx hash');
}

export function verifyTxSignature(suite: Suite, tx: Tx, hash = txHashOf(suite, tx)): boolean {
  return verify(suite, fromHex(tx.pubkey), txSigningMessage(hash), fromHex(tx.sig));
}

export interface TxDraft {
  chain: string;
  /** Sender DID; default the key's self-certifying DID. Set it to sign with a rotated-in key. */
  from?: string;
  module: string;
  method: string;
  args: JsonValue;
  nonce: number;
  expires: number;
}

/** Builds and signs a tx with a local key; the sender DID is the key's self-certifying DID. */
export function signTx(key: KeyPair, draft: TxDraft): { tx: Tx; hash: string } {
  const body: TxBody = {
    chain: draft.chain,
    from: draft.from ?? didFromPublicKey(key.publicKey),
    pubkey: toHex(key.publicKey),
    nonce: draft.nonce,
    module: draft.module,
    method: draft.method,
    args: draft.args,
    expires: draft.expires,
  };
  const hash = txHashOf(key.suite, body);
  const sig = toHex(sign(key.suite, key.privateKey, txSigningMessage(hash)));
  return { tx: { ...body, sig }, hash };
}
