import { createHash, hash as oneShotHash } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import { ownBytes } from './bytes.ts';
import type { Suite } from './types.ts';

/**
 * Node's one-shot crypto.hash (20.12+) skips the Hash object and is about a third faster on
 * the short inputs a state tree hashes; createHash is the fallback on older releases.
 */
const hasOneShot = typeof oneShotHash === 'function';

function digest(alg: string, data: Uint8Array): Uint8Array {
  if (hasOneShot) return ownBytes(oneShotHash(alg, data, 'buffer') as unknown as Buffer);
  return ownBytes(createHash(alg).update(data).digest());
}

/** SM3 (GB/T 32905), through Node's bundled OpenSSL. */
export function sm3(data: Uint8Array): Uint8Array {
  return digest('sm3', data);
}

export function sha256(data: Uint8Array): Uint8Array {
  return digest('sha256', data);
}

/** The chain hash of a suite: SM3 for SM2 chains, SHA-256 for Ed25519 chains. */
export function hashFor(suite: Suite): (data: Uint8Array) => Uint8Array {
  if (suite === 'sm2') return sm3;
  if (suite === 'ed25519') return sha256;
  throw new ShulianError('BAD_SUITE', `unknown signature suite ${JSON.stringify(suite)} (expected "sm2" or "ed25519")`);
}
