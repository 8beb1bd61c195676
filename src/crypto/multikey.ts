/**
 * Multikey public keys (W3C Controlled Identifiers / Data Integrity "Multikey"): multibase
 * base58btc ('z') of a multicodec varint prefix followed by the key bytes.
 *
 * - Ed25519: prefix 0xed 0x01 (multicodec `ed25519-pub`, 0xed), then the 32-byte key.
 * - SM2: prefix 0x86 0x24 (multicodec `sm2-pub`, 0x1206, a draft entry), then the point.
 *   Shulian writes the 33-byte compressed point (0x02/0x03 ‖ X), as Multikey does for other
 *   elliptic-curve keys; it reads compressed or 65-byte uncompressed (0x04 ‖ X ‖ Y). Chain
 *   transactions and DIDs always use the 65-byte uncompressed form, so decoding returns that.
 *
 * Decoding checks the key really is a point of its curve (and, for Ed25519, not of small order),
 * so a document never carries a key nobody can sign with. Depends only on codec/ and crypto/.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { ShulianError, fromBase58, toBase58, toHex } from '../codec/index.ts';
import type { Suite } from './types.ts';

export const MULTICODEC_ED25519_PUB = 0xed;
export const MULTICODEC_SM2_PUB = 0x1206;
/** Varint prefixes of the two codecs. */
export const ED25519_PREFIX: readonly number[] = [0xed, 0x01];
export const SM2_PREFIX: readonly number[] = [0x86, 0x24];

/** Longest publicKeyMultibase accepted (far above any key here; bounds the base58 decode). */
export const MAX_MULTIBASE_LENGTH = 128;

export interface DecodedMultikey {
  suite: Suite;
  /** As chain txs carry it: SM2 65 bytes 0x04‖X‖Y, Ed25519 32 bytes. */
  publicKey: Uint8Array;
  /** Lowercase hex of `publicKey`. */
  publicKeyHex: string;
  /** The canonical multibase (SM2 compressed), which may differ from the input. */
  publicKeyMultibase: string;
}

export class MultikeyError extends ShulianError {
  constructor(code: 'INVALID_PUBLIC_KEY' | 'INVALID_PUBLIC_KEY_TYPE' | 'INVALID_PUBLIC_KEY_LENGTH', message: string) {
    super(code, message);
    this.name = 'MultikeyError';
  }
}

// ---- SM2 curve arithmetic for point checks (GB/T 32918.5 recommended curve) -------------------

const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;

function modP(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

function powP(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = modP(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

const bytesToBig = (b: Uint8Array): bigint => BigInt('0x' + (b.length ? toHex(b) : '0'));
const bigTo32 = (x: bigint): Uint8Array => {
  const hex = x.toString(16).padStart(64, '0');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
};
const rhs = (x: bigint): bigint => modP(x * x * x + A * x + B);

function sm2OnCurve(x: bigint, y: bigint): boolean {
  return x < P && y < P && modP(y * y) === rhs(x);
}

/** 65-byte uncompressed SM2 point → 33-byte compressed. Throws INVALID_PUBLIC_KEY off the curve. */
export function compressSm2(uncompressed: Uint8Array): Uint8Array {
  if (uncompressed.length !== 65 || uncompressed[0] !== 0x04) {
    throw new MultikeyError('INVALID_PUBLIC_KEY_LENGTH', `an uncompressed SM2 public key is 65 bytes starting 0x04, got ${uncompressed.length} bytes`);
  }
  const x = bytesToBig(uncompressed.subarray(1, 33));
  const y = bytesToBig(uncompressed.subarray(33, 65));
  if (!sm2OnCurve(x, y)) throw new MultikeyError('INVALID_PUBLIC_KEY', 'the SM2 public key is not a point on the SM2 curve');
  const out = new Uint8Array(33);
  out[0] = (y & 1n) === 1n ? 0x03 : 0x02;
  out.set(uncompressed.subarray(1, 33), 1);
  return out;
}

/** 33-byte compressed SM2 point → 65-byte uncompressed. Throws INVALID_PUBLIC_KEY off the curve. */
export function decompressSm2(compressed: Uint8Array): Uint8Array {
  if (compressed.length !== 33 || (compressed[0] !== 0x02 && compressed[0] !== 0x03)) {
    throw new MultikeyError('INVALID_PUBLIC_KEY_LENGTH', `a compressed SM2 public key is 33 bytes starting 0x02 or 0x03, got ${compressed.length} bytes`);
  }
  const x = bytesToBig(compressed.subarray(1));
  if (x >= P) throw new MultikeyError('INVALID_PUBLIC_KEY', 'the SM2 public key x-coordinate is not a field element');
  const y2 = rhs(x);
  // P ≡ 3 (mod 4), so a square root of y2 (when one exists) is y2^((P+1)/4).
  let y = powP(y2, (P + 1n) / 4n);
  if (modP(y * y) !== y2) throw new MultikeyError('INVALID_PUBLIC_KEY', 'the SM2 public key is not a point on the SM2 curve');
  const odd = compressed[0] === 0x03;
  if (((y & 1n) === 1n) !== odd) y = P - y;
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(bigTo32(x), 1);
  out.set(bigTo32(y), 33);
  return out;
}

function checkEd25519(key: Uint8Array): void {
  let small: boolean;
  try {
    small = ed25519.Point.fromBytes(key).isSmallOrder();
  } catch {
    throw new MultikeyError('INVALID_PUBLIC_KEY', 'the Ed25519 public key does not decode to a curve point');
  }
  if (small) throw new MultikeyError('INVALID_PUBLIC_KEY', 'the Ed25519 public key is a small-order point, which anyone can forge signatures for');
}

/**
 * Checks a raw public key as chain transactions carry it (SM2 65-byte uncompressed, Ed25519 32
 * bytes) and returns its suite. Throws MultikeyError.
 */
export function checkRawPublicKey(publicKey: Uint8Array, suite?: Suite): Suite {
  const s: Suite | undefined = suite ?? (publicKey.length === 65 ? 'sm2' : publicKey.length === 32 ? 'ed25519' : undefined);
  if (s === 'sm2') {
    compressSm2(publicKey);
    return 'sm2';
  }
  if (s === 'ed25519') {
    if (publicKey.length !== 32) throw new MultikeyError('INVALID_PUBLIC_KEY_LENGTH', `an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
    checkEd25519(publicKey);
    return 'ed25519';
  }
  throw new MultikeyError('INVALID_PUBLIC_KEY_LENGTH', `a public key is 65 bytes (SM2, 04‖X‖Y) or 32 bytes (Ed25519), got ${publicKey.length}`);
}

/** publicKeyMultibase of a raw public key (SM2 uncompressed 65 bytes, or Ed25519 32 bytes). */
export function encodeMultikey(suite: Suite, publicKey: Uint8Array): string {
  checkRawPublicKey(publicKey, suite);
  return multibaseOf(suite, publicKey);
}

/** encodeMultikey of a key already checked. */
function multibaseOf(suite: Suite, publicKey: Uint8Array): string {
  const body = suite === 'sm2' ? compressSm2(publicKey) : publicKey;
  const prefix = suite === 'sm2' ? SM2_PREFIX : ED25519_PREFIX;
  const bytes = new Uint8Array(prefix.length + body.length);
  bytes.set(prefix, 0);
  bytes.set(body, prefix.length);
  return 'z' + toBase58(bytes);
}

/** Reads an unsigned varint (multiformats unsigned-varint, at most 9 bytes, minimal). */
function readVarint(bytes: Uint8Array): { value: number; length: number } | undefined {
  let value = 0;
  for (let i = 0; i < Math.min(bytes.length, 4); i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) return undefined; // not minimal
      return { value, length: i + 1 };
    }
  }
  return undefined;
}

/**
 * Decodes and checks a publicKeyMultibase. Throws MultikeyError: INVALID_PUBLIC_KEY for bad
 * encoding or a point off its curve, INVALID_PUBLIC_KEY_TYPE for a codec other than Ed25519 or
 * SM2, INVALID_PUBLIC_KEY_LENGTH for a key of the wrong size.
 */
export function decodeMultikey(multibase: unknown): DecodedMultikey {
  const hit = typeof multibase === 'string' ? decodedKeys.get(multibase) : undefined;
  const d = hit ?? decodeUncached(multibase);
  if (!hit) {
    decodes++;
    if (decodedKeys.size >= DECODED_KEYS) decodedKeys.delete(decodedKeys.keys().next().value!);
    decodedKeys.set(multibase as string, d);
  }
  // A copy: callers may hold on to (or write into) the key bytes.
  return { ...d, publicKey: new Uint8Array(d.publicKey) };
}

/**
 * Keys already decoded and checked, by multibase: verifiers meet the same few keys again and
 * again, and the curve check is a field exponentiation (most of an Ed25519 verification).
 * Only valid keys are kept (an invalid one throws before it is stored), at most DECODED_KEYS.
 */
const decodedKeys = new Map<string, DecodedMultikey>();
const DECODED_KEYS = 1024;

let decodes = 0;
/** Multikeys decoded and checked so far (cache misses): test/vc-cost.test.ts keeps it at one per key. */
export const multikeyDecodes = (): number => decodes;

function decodeUncached(multibase: unknown): DecodedMultikey {
  if (typeof multibase !== 'string' || multibase.length === 0) throw new MultikeyError('INVALID_PUBLIC_KEY', 'publicKeyMultibase must be a non-empty string');
  if (multibase.length > MAX_MULTIBASE_LENGTH) throw new MultikeyError('INVALID_PUBLIC_KEY', `publicKeyMultibase is longer than ${MAX_MULTIBASE_LENGTH} characters`);
  if (multibase[0] !== 'z') {
    throw new MultikeyError('INVALID_PUBLIC_KEY', `publicKeyMultibase must be multibase base58btc (starting with "z"), got prefix ${JSON.stringify(multibase[0])}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase58(multibase.slice(1), 'publicKeyMultibase');
  } catch {
    throw new MultikeyError('INVALID_PUBLIC_KEY', 'publicKeyMultibase is not valid base58btc after the "z"');
  }
  const v = readVarint(bytes);
  if (!v) throw new MultikeyError('INVALID_PUBLIC_KEY', 'publicKeyMultibase does not start with a multicodec varint');
  const body = bytes.subarray(v.length);
  let publicKey: Uint8Array;
  let suite: Suite;
  if (v.value === MULTICODEC_ED25519_PUB) {
    if (body.length !== 32) throw new MultikeyError('INVALID_PUBLIC_KEY_LENGTH', `an Ed25519 Multikey holds 32 key bytes, got ${body.length}`);
    checkEd25519(body);
    suite = 'ed25519';
    publicKey = new Uint8Array(body);
  } else if (v.value === MULTICODEC_SM2_PUB) {
    suite = 'sm2';
    if (body.length === 33) {
      publicKey = decompressSm2(body);
    } else if (body.length === 65) {
      compressSm2(body);
      publicKey = new Uint8Array(body);
    } else {
      throw new MultikeyError('INVALID_PUBLIC_KEY_LENGTH', `an SM2 Multikey holds a 33-byte compressed or 65-byte uncompressed point, got ${body.length} bytes`);
    }
  } else {
    throw new MultikeyError('INVALID_PUBLIC_KEY_TYPE', `multicodec 0x${v.value.toString(16)} is not a key type did:shulian supports; use Ed25519 (0xed) or SM2 (0x1206)`);
  }
  return { suite, publicKey, publicKeyHex: toHex(publicKey), publicKeyMultibase: multibaseOf(suite, publicKey) };
}
