/** Browser stand-in for src/crypto/hash.ts: SM3 in plain TypeScript, SHA-256 from @noble/hashes. */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { ShulianError } from '../../src/codec/index.ts';
import type { Suite } from '../../src/crypto/types.ts';
import { sm3js } from './sm3.ts';

export function sm3(data: Uint8Array): Uint8Array {
  return sm3js(data);
}

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function hashFor(suite: Suite): (data: Uint8Array) => Uint8Array {
  if (suite === 'sm2') return sm3;
  if (suite === 'ed25519') return sha256;
  throw new ShulianError('BAD_SUITE', `unknown signature suite ${JSON.stringify(suite)} (expected "sm2" or "ed25519")`);
}
