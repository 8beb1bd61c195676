/**
 * Multikey public keys (Controlled Identifiers v1.0 §2.2.2): multibase base58btc ('z') of a
 * multicodec varint prefix and the raw key. Ed25519 is `ed25519-pub` (0xed → 0xed 0x01) with the
 * 32-byte key; SM2 is the draft `sm2-pub` (0x1206 → 0x86 0x24) with the SEC1 compressed point
 * (33 bytes, as the multicodec table specifies). Shulian keeps SM2 keys uncompressed (65 bytes),
 * so SM2 points are compressed on encoding and decompressed on decoding; an uncompressed point
 * after the prefix is accepted too.
 */
import { ShulianError, fromBase58, toBase58 } from '../../codec/index.ts';
import type { Suite } from '../../crypto/index.ts';

const ED25519_PUB = Uint8Array.of(0xed, 0x01);
const SM2_PUB = Uint8Array.of(0x86, 0x24);
/** `ed25519-priv` (0x1300): only decoded, for test vectors that publish a secret key this way. */
const ED25519_PRIV = Uint8Array.of(0x80, 0x26);

// SM2 recommended curve (GB/T 32918.5): y² = x³ + ax + b over F_p, a = p − 3.
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = P - 3n;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;

function mod(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

function powMod(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function toBig(bytes: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
}

function to32(n: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
}

function bad(message: string): ShulianError {
  return new ShulianError('BAD_MULTIKEY', message);
}

/** SEC1 compressed form (0x02/0x03 ‖ X) of a 65-byte uncompressed SM2 point. */
export function compressSm2(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw bad('an SM2 public key is 65 bytes starting with 0x04');
  const out = new Uint8Array(33);
  out[0] = (publicKey[64]! & 1) === 1 ? 0x03 : 0x02;
  out.set(publicKey.subarray(1, 33), 1);
  return out;
}

/** The 65-byte uncompressed SM2 point for a compressed one; throws if X is not on the curve. */
export function decompressSm2(compressed: Uint8Array): Uint8Array {
  if (compressed.length !== 33 || (compressed[0] !== 0x02 && compressed[0] !== 0x03)) {
    throw bad('a compressed SM2 point is 33 bytes starting with 0x02 or 0x03');
  }
  const x = toBig(compressed.subarray(1));
  if (x >= P) throw bad('SM2 point X is not a field element');
  const rhs = mod(x * x * x + A * x + B);
  // p ≡ 3 (mod 4): the square root is rhs^((p+1)/4) when one exists.
  let y = powMod(rhs, (P + 1n) / 4n);
  if (mod(y * y) !== rhs) throw bad('SM2 point X is not on the curve');
  if ((y & 1n) !== BigInt(compressed[0]! & 1)) y = P - y;
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(compressed.subarray(1), 1);
  out.set(to32(y), 33);
  return out;
}

/** True when a 65-byte uncompressed point lies on the SM2 curve. */
export function isSm2Point(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) return false;
  const x = toBig(publicKey.subarray(1, 33));
  const y = toBig(publicKey.subarray(33));
  if (x >= P || y >= P) return false;
  return mod(y * y) === mod(x * x * x + A * x + B);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** `publicKeyMultibase` of a key: 32-byte Ed25519, or 65-byte SM2 (encoded compressed). */
export function encodeMultikey(suite: Suite, publicKey: Uint8Array): string {
  if (suite === 'ed25519') {
    if (publicKey.length !== 32) throw bad('an Ed25519 public key is 32 bytes');
    return 'z' + toBase58(Buffer.concat([ED25519_PUB, publicKey]));
  }
  if (suite === 'sm2') return 'z' + toBase58(Buffer.concat([SM2_PUB, compressSm2(publicKey)]));
  throw bad(`no multicodec for suite ${String(suite)}`);
}

export interface DecodedMultikey {
  suite: Suite;
  /** Ed25519: 32 bytes. SM2: 65 bytes uncompressed, as the crypto layer takes it. */
  publicKey: Uint8Array;
}

/** Decodes a `publicKeyMultibase`; throws BAD_MULTIKEY for anything but Ed25519 or SM2. */
export function decodeMultikey(multibase: string): DecodedMultikey {
  if (typeof multibase !== 'string' || !multibase.startsWith('z') || multibase.length > 200) {
    throw bad('publicKeyMultibase must be base58btc multibase (a string starting with "z")');
  }
  const bytes = fromBase58(multibase.slice(1), 'publicKeyMultibase');
  if (startsWith(bytes, ED25519_PUB)) {
    if (bytes.length !== 34) throw bad('an Ed25519 Multikey is 0xed01 followed by 32 bytes');
    return { suite: 'ed25519', publicKey: bytes.slice(2) };
  }
  if (startsWith(bytes, SM2_PUB)) {
    const key = bytes.slice(2);
    if (key.length === 33) return { suite: 'sm2', publicKey: decompressSm2(key) };
    if (key.length === 65 && isSm2Point(key)) return { suite: 'sm2', publicKey: key };
    throw bad('an SM2 Multikey is 0x8624 followed by a 33-byte compressed (or 65-byte uncompressed) point on the curve');
  }
  throw bad('publicKeyMultibase names a key type other than Ed25519 (0xed01) or SM2 (sm2-pub, 0x8624)');
}

/** The 32-byte Ed25519 seed of a multibase `ed25519-priv` secret key (as in the W3C test vectors). */
export function decodeEd25519SecretMultibase(multibase: string): Uint8Array {
  if (typeof multibase !== 'string' || !multibase.startsWith('z')) throw bad('secretKeyMultibase must start with "z"');
  const bytes = fromBase58(multibase.slice(1), 'secretKeyMultibase');
  if (!startsWith(bytes, ED25519_PRIV) || bytes.length !== 34) throw bad('an Ed25519 secret Multikey is 0x8026 followed by a 32-byte seed');
  return bytes.slice(2);
}

/** Multibase base58btc ('z…') of raw bytes, as proofValue uses. */
export function toMultibase58(bytes: Uint8Array): string {
  return 'z' + toBase58(bytes);
}

/** Bytes of a multibase base58btc value; throws BAD_MULTIBASE otherwise. */
export function fromMultibase58(value: string, what = 'value'): Uint8Array {
  if (typeof value !== 'string' || !value.startsWith('z') || value.length < 2) {
    throw new ShulianError('BAD_MULTIBASE', `${what} must be multibase base58btc (a string starting with "z")`);
  }
  try {
    return fromBase58(value.slice(1), what);
  } catch {
    throw new ShulianError('BAD_MULTIBASE', `${what} is not valid base58btc after its "z" prefix`);
  }
}
