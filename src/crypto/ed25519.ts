/**
 * Ed25519 (RFC 8032) through Node's OpenSSL: raw 32-byte seeds and public keys are wrapped
 * in fixed PKCS#8 / SPKI DER prefixes (RFC 8410) to make KeyObjects.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import { ownBytes } from './bytes.ts';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new ShulianError('ED25519_BAD_KEY', 'Ed25519 private key must be a 32-byte seed');
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length)); // copy
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new ShulianError('BAD_MESSAGE', 'message must be a Uint8Array');
  return ownBytes(nodeSign(null, message, privateKeyObject(seed)));
}

// Importing a key costs about as much as verifying with it, and signers repeat: keep the
// most recent KeyObjects (insertion-ordered Map, oldest evicted first).
const KEY_CACHE_MAX = 1024;
const keyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
  let key = keyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(id, key);
  }
  return key;
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
    if (!(message instanceof Uint8Array)) return false;
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
