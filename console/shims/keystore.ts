/**
 * Browser stand-in for src/crypto/keystore.ts: the same file format (scrypt -> SM4-CBC key +
 * HMAC-SM3 MAC, see that file), with scrypt from @noble/hashes and SM3/SM4 in plain TypeScript.
 * Decryption is async so the page stays responsive during scrypt.
 */
import { scrypt, scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesEqual, fromHex, isHex, ShulianError, toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, publicKeyFromPrivate } from '../../src/crypto/keys.ts';
import { isSuite, PUBLIC_KEY_BYTES, type KeyPair } from '../../src/crypto/types.ts';
import { hmacSm3 } from './sm3.ts';
import { sm4Decrypt, sm4Encrypt } from './sm4.ts';

export interface KeystoreFile {
  version: 1;
  suite: KeyPair['suite'];
  did: string;
  publicKey: string;
  crypto: {
    cipher: 'sm4-cbc'; kdf: 'scrypt'; n: number; r: number; p: number; dklen: 32;
    salt: string; iv: string; ciphertext: string; macAlg: 'hmac-sm3'; mac: string;
  };
}

const invalid = (what: string): ShulianError => new ShulianError('KEYSTORE_INVALID', `invalid keystore: ${what}`);
const pow2 = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0;

function parse(file: unknown): KeystoreFile {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw invalid('not a JSON object');
  const f = file as Record<string, unknown>;
  if (f.version !== 1) throw invalid(`unsupported version ${JSON.stringify(f.version)} (expected 1)`);
  if (!isSuite(f.suite)) throw invalid(`unknown suite ${JSON.stringify(f.suite)}`);
  if (!isHex(f.publicKey, PUBLIC_KEY_BYTES[f.suite])) throw invalid(`publicKey must be ${PUBLIC_KEY_BYTES[f.suite]} bytes of lowercase hex`);
  if (typeof f.did !== 'string') throw invalid('did must be a string');
  const k = f.crypto as Record<string, unknown> | null;
  if (typeof k !== 'object' || k === null) throw invalid('crypto must be an object');
  if (k.cipher !== 'sm4-cbc' || k.kdf !== 'scrypt' || k.macAlg !== 'hmac-sm3' || k.dklen !== 32) throw invalid('unsupported cipher, kdf or mac');
  if (!pow2(k.n) || k.n > 1 << 22) throw invalid('crypto.n must be a power of two');
  if (typeof k.r !== 'number' || k.r < 1 || k.r > 32 || typeof k.p !== 'number' || k.p < 1 || k.p > 16) throw invalid('crypto.r / crypto.p out of range');
  if (!isHex(k.salt) || !isHex(k.iv, 16) || !isHex(k.ciphertext) || !isHex(k.mac, 32)) throw invalid('salt, iv, ciphertext and mac must be lowercase hex');
  return file as KeystoreFile;
}

function finish(ks: KeystoreFile, dk: Uint8Array): KeyPair {
  const encKey = dk.subarray(0, 16);
  const macKey = dk.subarray(16, 32);
  const iv = fromHex(ks.crypto.iv);
  const ct = fromHex(ks.crypto.ciphertext);
  const tag = new Uint8Array(16 + ct.length);
  tag.set(iv);
  tag.set(ct, 16);
  try {
    if (!bytesEqual(hmacSm3(macKey, tag), fromHex(ks.crypto.mac))) throw new ShulianError('KEYSTORE_BAD_PASSWORD', 'wrong keystore password');
    let privateKey: Uint8Array;
    try {
      privateKey = sm4Decrypt(encKey, iv, ct);
    } catch {
      throw invalid('ciphertext does not decrypt to a padded key');
    }
    if (privateKey.length !== 32) throw invalid(`decrypted private key is ${privateKey.length} bytes, expected 32`);
    const publicKey = publicKeyFromPrivate(ks.suite, privateKey);
    if (toHex(publicKey) !== ks.publicKey) throw invalid('publicKey does not match the encrypted private key');
    if (ks.did !== didFromPublicKey(publicKey)) throw invalid('did does not match the public key');
    return { suite: ks.suite, privateKey, publicKey };
  } finally {
    dk.fill(0);
  }
}

export function decryptKeystore(file: unknown, password: string): KeyPair {
  const ks = parse(file);
  const c = ks.crypto;
  return finish(ks, scrypt(password.normalize('NFKC'), fromHex(c.salt), { N: c.n, r: c.r, p: c.p, dkLen: 32 }));
}

export async function decryptKeystoreAsync(file: unknown, password: string): Promise<KeyPair> {
  const ks = parse(file);
  const c = ks.crypto;
  return finish(ks, await scryptAsync(password.normalize('NFKC'), fromHex(c.salt), { N: c.n, r: c.r, p: c.p, dkLen: 32, asyncTick: 20 }));
}

export function encryptKeystore(kp: KeyPair, password: string, opts: { scryptN?: number } = {}): KeystoreFile {
  const n = opts.scryptN ?? 1 << 15;
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const dk = scrypt(password.normalize('NFKC'), salt, { N: n, r: 8, p: 1, dkLen: 32 });
  const ciphertext = sm4Encrypt(dk.subarray(0, 16), iv, kp.privateKey);
  const tagIn = new Uint8Array(16 + ciphertext.length);
  tagIn.set(iv);
  tagIn.set(ciphertext, 16);
  const mac = hmacSm3(dk.subarray(16, 32), tagIn);
  dk.fill(0);
  return {
    version: 1, suite: kp.suite, did: didFromPublicKey(kp.publicKey), publicKey: toHex(kp.publicKey),
    crypto: { cipher: 'sm4-cbc', kdf: 'scrypt', n, r: 8, p: 1, dklen: 32, salt: toHex(salt), iv: toHex(iv), ciphertext: toHex(ciphertext), macAlg: 'hmac-sm3', mac: toHex(mac) },
  };
}

function unavailable(): never {
  throw new ShulianError('KEYSTORE_UNAVAILABLE', 'keystore files are read with the file picker in the browser console');
}
export const writeKeystore = unavailable;
export const readKeystore = unavailable;
