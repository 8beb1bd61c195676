/**
 * The keystore file format and its checks, shared by Node (keystore.ts) and the browser console
 * (console/shims/keystore.ts), which differ only in where scrypt, HMAC-SM3 and random bytes come
 * from. scrypt derives 32 bytes: the first 16 are the SM4 key, the last 16 the MAC key. The
 * private key is SM4-CBC encrypted (GB/T 32907, PKCS#7, random IV) and MAC =
 * HMAC-SM3(macKey, iv || ciphertext) is checked, in constant time, before any decryption — so a
 * wrong password is told apart from a malformed file without a padding oracle.
 */
import { bytesEqual, fromHex, isHex, ShulianError, toHex } from '../codec/index.ts';
import { didFromPublicKey, publicKeyFromPrivate } from './keys.ts';
import { sm4Decrypt, sm4Encrypt } from './sm4.ts';
import { isSuite, PUBLIC_KEY_BYTES, type KeyPair, type Suite } from './types.ts';

export interface KeystoreCrypto {
  cipher: 'sm4-cbc';
  kdf: 'scrypt';
  /** scrypt cost parameters (RFC 7914): N (a power of two), r, p; dklen is always 32. */
  n: number;
  r: number;
  p: number;
  dklen: 32;
  salt: string; // hex
  iv: string; // hex, 16 bytes
  ciphertext: string; // hex
  macAlg: 'hmac-sm3';
  mac: string; // hex, 32 bytes: HMAC-SM3(macKey, iv || ciphertext)
}

export interface KeystoreFile {
  version: 1;
  suite: Suite;
  did: string;
  publicKey: string; // hex
  crypto: KeystoreCrypto;
}

export interface KeystoreOptions {
  /** scrypt N; default 2^17. Tests may use a smaller power of two. */
  scryptN?: number;
}

/**
 * scrypt cost for new files: N = 2^17, r = 8, p = 1, the OWASP Password Storage Cheat Sheet's
 * recommendation (128 MiB of memory per derivation). Files written with 2^15 still open.
 */
export const DEFAULT_SCRYPT_N = 1 << 17;
/**
 * scrypt N for keystores written under SHULIAN_LIGHT_KDF=1 (throwaway development and test
 * alliances, like geth's `--lightkdf`, which uses the same N): about 4 ms instead of 0.4 s per
 * derivation. The file records its N, so it opens anywhere; never for keys that guard value.
 */
export const LIGHT_SCRYPT_N = 1 << 12;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
/**
 * The most a file may ask for, checked before anything is allocated: scrypt needs 128·N·r bytes
 * and time ∝ N·r·p, all chosen by whoever wrote the file, so a crafted one could ask for
 * gigabytes (N = 2^24, r = 8 is 16 GiB). N ≤ 2^20, r ≤ 16, p ≤ 16, and 128·N·r ≤ 1 GiB.
 */
export const MAX_SCRYPT_N = 1 << 20;
export const MAX_SCRYPT_R = 16;
export const MAX_SCRYPT_P = 16;
export const MAX_SCRYPT_MEMORY = 1 << 30;

/** HMAC-SM3 as the platform gives it (Node's OpenSSL, or SM3 in TypeScript in the browser). */
export type HmacSm3 = (key: Uint8Array, data: Uint8Array) => Uint8Array;

function invalid(what: string): ShulianError {
  return new ShulianError('KEYSTORE_INVALID', `invalid keystore: ${what}`);
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

export function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string') throw new ShulianError('BAD_ARGUMENT', 'keystore password must be a string');
}

/** The scrypt N for a new file: the default, or a power of two up to 2^20. */
export function scryptNFor(opts: KeystoreOptions): number {
  const n = opts.scryptN ?? DEFAULT_SCRYPT_N;
  if (!isPowerOfTwo(n) || n > MAX_SCRYPT_N) throw new ShulianError('BAD_ARGUMENT', `scryptN must be a power of two in [2, 2^20]`);
  return n;
}

/** A key pair fit to encrypt: the right shape, and a public key that is its private key's. */
export function checkKeyPair(kp: KeyPair): void {
  if (!kp || !isSuite(kp.suite) || !(kp.privateKey instanceof Uint8Array) || !(kp.publicKey instanceof Uint8Array)) {
    throw new ShulianError('BAD_ARGUMENT', 'encryptKeystore needs a KeyPair { suite, privateKey, publicKey }');
  }
  // The pair must be consistent, or the file would decrypt to a key that is not its own.
  if (!bytesEqual(publicKeyFromPrivate(kp.suite, kp.privateKey), kp.publicKey)) {
    throw new ShulianError('BAD_KEY', 'public key does not match the private key');
  }
}

const macInput = (iv: Uint8Array, ciphertext: Uint8Array): Uint8Array => {
  const out = new Uint8Array(iv.length + ciphertext.length);
  out.set(iv);
  out.set(ciphertext, iv.length);
  return out;
};

/** The file for a key pair, from the derived key `dk` (32 bytes of scrypt, wiped here). */
export function sealKeystore(kp: KeyPair, dk: Uint8Array, params: { n: number; salt: Uint8Array; iv: Uint8Array }, hmacSm3: HmacSm3): KeystoreFile {
  try {
    const ciphertext = sm4Encrypt(dk.subarray(0, 16), params.iv, kp.privateKey);
    const tag = hmacSm3(dk.subarray(16, 32), macInput(params.iv, ciphertext));
    return {
      version: 1,
      suite: kp.suite,
      did: didFromPublicKey(kp.publicKey),
      publicKey: toHex(kp.publicKey),
      crypto: {
        cipher: 'sm4-cbc', kdf: 'scrypt', n: params.n, r: SCRYPT_R, p: SCRYPT_P, dklen: 32,
        salt: toHex(params.salt), iv: toHex(params.iv), ciphertext: toHex(ciphertext), macAlg: 'hmac-sm3', mac: toHex(tag),
      },
    };
  } finally {
    dk.fill(0);
  }
}

export interface ParsedKeystore {
  suite: Suite;
  did: string;
  publicKey: Uint8Array;
  n: number;
  r: number;
  p: number;
  salt: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  macValue: Uint8Array;
}

/** Checks a file's every field, scrypt's cost within the bounds, before anything is derived. */
export function parseKeystore(file: unknown): ParsedKeystore {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw invalid('not a JSON object');
  const f = file as Record<string, unknown>;
  if (f.version !== 1) throw invalid(`unsupported version ${JSON.stringify(f.version)} (expected 1)`);
  if (!isSuite(f.suite)) throw invalid(`unknown suite ${JSON.stringify(f.suite)}`);
  const suite = f.suite;
  if (!isHex(f.publicKey, PUBLIC_KEY_BYTES[suite])) throw invalid(`publicKey must be ${PUBLIC_KEY_BYTES[suite]} bytes of lowercase hex`);
  if (typeof f.did !== 'string') throw invalid('did must be a string');
  const c = f.crypto;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw invalid('crypto must be an object');
  const k = c as Record<string, unknown>;
  if (k.cipher !== 'sm4-cbc') throw invalid(`unsupported cipher ${JSON.stringify(k.cipher)} (expected "sm4-cbc")`);
  if (k.kdf !== 'scrypt') throw invalid(`unsupported kdf ${JSON.stringify(k.kdf)} (expected "scrypt")`);
  if (k.macAlg !== 'hmac-sm3') throw invalid(`unsupported macAlg ${JSON.stringify(k.macAlg)} (expected "hmac-sm3")`);
  if (k.dklen !== 32) throw invalid('crypto.dklen must be 32');
  const n = k.n, r = k.r, p = k.p;
  // The scrypt cost is the file's to choose: bound it before deriving (and allocating) anything.
  const costly = (what: string): ShulianError => invalid(`${what}; a keystore asking for that much is refused before any memory is allocated (it may be crafted to exhaust this machine). Limits: N ≤ 2^20, r ≤ ${MAX_SCRYPT_R}, p ≤ ${MAX_SCRYPT_P}, 128·N·r ≤ 1 GiB`);
  if (typeof n !== 'number' || !isPowerOfTwo(n)) throw invalid('crypto.n must be a power of two, at least 2');
  if (n > MAX_SCRYPT_N) throw costly(`crypto.n is ${n >= 2 ** 53 ? n : `2^${Math.log2(n)}`}, above 2^20`);
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw invalid('crypto.r must be a whole number, at least 1');
  if (r > MAX_SCRYPT_R) throw costly(`crypto.r is ${r}, above ${MAX_SCRYPT_R}`);
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1) throw invalid('crypto.p must be a whole number, at least 1');
  if (p > MAX_SCRYPT_P) throw costly(`crypto.p is ${p}, above ${MAX_SCRYPT_P}`);
  if (128 * n * r > MAX_SCRYPT_MEMORY) throw costly(`crypto.n and crypto.r ask for ${(128 * n * r) / 2 ** 30} GiB of memory`);
  if (!isHex(k.salt) || k.salt.length < 32 || k.salt.length > 128) throw invalid('crypto.salt must be 16 to 64 bytes of lowercase hex');
  if (!isHex(k.iv, 16)) throw invalid('crypto.iv must be 16 bytes of lowercase hex');
  if (!isHex(k.ciphertext) || k.ciphertext.length === 0 || k.ciphertext.length % 32 !== 0 || k.ciphertext.length > 256) {
    throw invalid('crypto.ciphertext must be whole 16-byte SM4 blocks of lowercase hex');
  }
  if (!isHex(k.mac, 32)) throw invalid('crypto.mac must be 32 bytes of lowercase hex');
  return {
    suite, did: f.did, publicKey: fromHex(f.publicKey), n, r, p,
    salt: fromHex(k.salt), iv: fromHex(k.iv), ciphertext: fromHex(k.ciphertext), macValue: fromHex(k.mac),
  };
}

/** Equal bytes, in time that depends only on the lengths. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The key pair in a parsed file, from the derived key `dk` (wiped here). */
export function openKeystore(ks: ParsedKeystore, dk: Uint8Array, hmacSm3: HmacSm3): KeyPair {
  let privateKey: Uint8Array;
  try {
    if (!constantTimeEqual(hmacSm3(dk.subarray(16, 32), macInput(ks.iv, ks.ciphertext)), ks.macValue)) {
      throw new ShulianError('KEYSTORE_BAD_PASSWORD', 'wrong keystore password');
    }
    // The MAC matched, so the password is right; anything wrong from here on is a bad file.
    try {
      privateKey = sm4Decrypt(dk.subarray(0, 16), ks.iv, ks.ciphertext);
    } catch {
      throw invalid('ciphertext does not decrypt to a padded key');
    }
  } finally {
    dk.fill(0);
  }
  if (privateKey.length !== 32) throw invalid(`decrypted private key is ${privateKey.length} bytes, expected 32`);
  let publicKey: Uint8Array;
  try {
    publicKey = publicKeyFromPrivate(ks.suite, privateKey);
  } catch {
    throw invalid(`decrypted private key is not a valid ${ks.suite} key`);
  }
  if (!bytesEqual(publicKey, ks.publicKey)) throw invalid('publicKey does not match the encrypted private key');
  if (ks.did !== didFromPublicKey(publicKey)) throw invalid('did does not match the public key');
  return { suite: ks.suite, privateKey, publicKey };
}
