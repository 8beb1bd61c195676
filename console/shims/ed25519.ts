/** Browser stand-in for src/crypto/ed25519.ts: RFC 8032 Ed25519 from @noble/curves. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { ShulianError } from '../../src/codec/index.ts';

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new ShulianError('ED25519_BAD_KEY', 'Ed25519 private key must be a 32-byte seed');
  }
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  checkSeed(seed);
  return ed25519.getPublicKey(seed);
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  checkSeed(seed);
  return ed25519.sign(message, seed);
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
