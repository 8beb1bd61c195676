/**
 * What the parties send each other (docs/privacy.md#wire): JSON bodies, elements as base64 of
 * concatenated 32-byte encodings, Paillier ciphertexts as base64 of 512-byte big-endian blocks.
 * Every body names the run; every batch is bounded. Each request is signed by the sender's DID
 * key over the path and body (`x-psi-*` headers).
 */
import { z } from '../codec/schemas.ts';
import { ShulianError } from '../codec/index.ts';
import { didFromPublicKey, sign, sm3, verify, type KeyPair, type Suite } from '../crypto/index.ts';
import { ELEMENT_BYTES, type Group } from './group.ts';

/** Elements per message (512 KiB of points). */
export const MAX_BATCH = 16_384;
/** Ciphertexts per message (512 KiB). */
export const MAX_CIPHER_BATCH = 1_024;
const CIPHER_BYTES = 512;
/** The largest body a party accepts. */
export const MAX_BODY = 2 * 1024 * 1024;

const b64 = z.string().max(Math.ceil((MAX_BATCH * ELEMENT_BYTES) / 3) * 4 + 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const run = z.number().int().min(1);
export const startBody = z.strictObject({ run, resultUrl: z.string().url().max(512) });
export const openBody = z.strictObject({ run, count: z.number().int().min(0) });
export const maskBody = z.strictObject({ run, from: z.number().int().min(0), elements: b64 });
export const pageBody = z.strictObject({ run, from: z.number().int().min(0), to: z.number().int().min(0) });
export const resultBody = z.strictObject({
  run,
  count: z.number().int().min(0),
  intersection: z.array(z.string().max(64)).max(1_000_000).optional(),
  sum: z.string().regex(/^[0-9a-f]{1,1024}$/).optional(),
});
export const abortBody = z.strictObject({ run, reason: z.string().min(1).max(500) });

export function parseBody<T>(schema: z.ZodType<T>, body: unknown, where: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new ShulianError('PRIVACY_BAD_MESSAGE', `${where}: ${i.path.join('.') || 'body'}: ${i.message}`);
}

export function encodeElements(es: readonly Uint8Array[]): string {
  return Buffer.concat(es).toString('base64');
}
/** Decodes and checks every element (PRIVACY_BAD_POINT); at most MAX_BATCH. */
export function decodeElements(s: string, group: Group, where: string): Uint8Array[] {
  const buf = Buffer.from(s, 'base64');
  if (buf.length % ELEMENT_BYTES) throw new ShulianError('PRIVACY_BAD_MESSAGE', `${where}: ${buf.length} bytes is not a whole number of ${ELEMENT_BYTES}-byte elements`);
  const n = buf.length / ELEMENT_BYTES;
  if (n > MAX_BATCH) throw new ShulianError('PRIVACY_LIMIT', `${where}: ${n} elements; a message carries at most ${MAX_BATCH}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const e = Uint8Array.prototype.slice.call(buf, i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES);
    group.check(e, `${where}[${i}]`);
    out.push(e);
  }
  return out;
}
export function encodeCiphertexts(cs: readonly bigint[]): string {
  return Buffer.concat(cs.map((c) => Buffer.from(c.toString(16).padStart(CIPHER_BYTES * 2, '0'), 'hex'))).toString('base64');
}
export function decodeCiphertexts(s: string, where: string): bigint[] {
  const buf = Buffer.from(s, 'base64');
  if (buf.length % CIPHER_BYTES) throw new ShulianError('PRIVACY_BAD_MESSAGE', `${where}: ${buf.length} bytes is not a whole number of ${CIPHER_BYTES}-byte ciphertexts`);
  const n = buf.length / CIPHER_BYTES;
  if (n > MAX_CIPHER_BATCH) throw new ShulianError('PRIVACY_LIMIT', `${where}: ${n} ciphertexts; a message carries at most ${MAX_CIPHER_BATCH}`);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(BigInt('0x' + buf.subarray(i * CIPHER_BYTES, (i + 1) * CIPHER_BYTES).toString('hex')));
  return out;
}

/** The headers that sign a request: the sender's DID, public key, suite and signature over SM3(path ‖ "\n" ‖ body). */
export function signHeaders(key: KeyPair, path: string, body: string): Record<string, string> {
  const msg = sm3(Buffer.from(`${path}\n${body}`, 'utf8'));
  return {
    'x-psi-did': didFromPublicKey(key.publicKey),
    'x-psi-key': Buffer.from(key.publicKey).toString('hex'),
    'x-psi-suite': key.suite,
    'x-psi-sig': Buffer.from(sign(key.suite, key.privateKey, msg)).toString('hex'),
  };
}

/** The DID that signed a request, checked: the key is the DID's (self-certifying) and the signature verifies. */
export function checkSignature(headers: Record<string, string | string[] | undefined>, path: string, body: string): string {
  const h = (n: string): string => {
    const v = headers[n];
    if (typeof v !== 'string' || !v) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `the request has no ${n} header; parties sign every message with their DID key`);
    return v;
  };
  const did = h('x-psi-did');
  const suite = h('x-psi-suite') as Suite;
  const pub = Buffer.from(h('x-psi-key'), 'hex');
  let owner: string;
  try { owner = didFromPublicKey(pub); } catch { throw new ShulianError('PRIVACY_UNAUTHENTICATED', 'x-psi-key is not a public key'); }
  if (owner !== did) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `x-psi-key is the key of ${owner}, not of ${did}`);
  const msg = sm3(Buffer.from(`${path}\n${body}`, 'utf8'));
  if (!verify(suite, pub, msg, Buffer.from(h('x-psi-sig'), 'hex'))) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `the signature of ${did} does not verify over this path and body`);
  return did;
}
