/**
 * Browser stand-in for src/crypto/keystore.ts: the same format, checks and bounds — the code is
 * src/crypto/keystore-format.ts, shared — with scrypt from @noble/hashes and HMAC-SM3 in plain
 * TypeScript (SM4 comes in through the sm4 stand-in). Decryption is async so the page stays
 * responsive during scrypt. Files are read and written with the file picker, not here.
 */
import { scrypt, scryptAsync } from '@noble/hashes/scrypt.js';
import { ShulianError } from '../../src/codec/index.ts';
import {
  checkKeyPair, checkPassword, openKeystore, parseKeystore, scryptNFor, sealKeystore, SCRYPT_P, SCRYPT_R,
  type KeystoreFile, type KeystoreOptions,
} from '../../src/crypto/keystore-format.ts';
import type { KeyPair } from '../../src/crypto/types.ts';
import { hmacSm3 } from './sm3.ts';

export type { KeystoreFile, KeystoreOptions } from '../../src/crypto/keystore-format.ts';
export { LIGHT_SCRYPT_N } from '../../src/crypto/keystore-format.ts';

const nfkc = (password: string): string => password.normalize('NFKC');

export function decryptKeystore(file: unknown, password: string): KeyPair {
  checkPassword(password);
  const ks = parseKeystore(file);
  return openKeystore(ks, scrypt(nfkc(password), ks.salt, { N: ks.n, r: ks.r, p: ks.p, dkLen: 32 }), hmacSm3);
}

export async function decryptKeystoreAsync(file: unknown, password: string): Promise<KeyPair> {
  checkPassword(password);
  const ks = parseKeystore(file);
  return openKeystore(ks, await scryptAsync(nfkc(password), ks.salt, { N: ks.n, r: ks.r, p: ks.p, dkLen: 32, asyncTick: 20 }), hmacSm3);
}

export function encryptKeystore(kp: KeyPair, password: string, opts: KeystoreOptions = {}): KeystoreFile {
  checkPassword(password);
  checkKeyPair(kp);
  const n = scryptNFor(opts);
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return sealKeystore(kp, scrypt(nfkc(password), salt, { N: n, r: SCRYPT_R, p: SCRYPT_P, dkLen: 32 }), { n, salt, iv }, hmacSm3);
}

function unavailable(): never {
  throw new ShulianError('KEYSTORE_UNAVAILABLE', 'keystore files are read with the file picker in the browser console');
}
export const writeKeystore = unavailable;
export const readKeystore = unavailable;
