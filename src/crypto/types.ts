/** Signature suites. A chain's genesis fixes one (DESIGN §4 "Crypto"). */
export type Suite = 'sm2' | 'ed25519';

/**
 * SM2: private key 32 bytes (d in [1, n-2]), public key 65 bytes 0x04||X||Y.
 * Ed25519: 32-byte seed (RFC 8032 §5.1.5), 32-byte public key.
 */
export interface KeyPair {
  suite: Suite;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** One SM2 implementation. `id` is the signer's distinguishing ID (default "1234567812345678"). */
export interface Sm2Impl {
  sign(privateKey: Uint8Array, message: Uint8Array, id?: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, id?: Uint8Array): boolean;
}

export interface VerifyItem {
  suite: Suite;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export const SUITES: readonly Suite[] = ['sm2', 'ed25519'];

export function isSuite(x: unknown): x is Suite {
  return x === 'sm2' || x === 'ed25519';
}

/** Public key length per suite. */
export const PUBLIC_KEY_BYTES: Readonly<Record<Suite, number>> = { sm2: 65, ed25519: 32 };
export const PRIVATE_KEY_BYTES: Readonly<Record<Suite, number>> = { sm2: 32, ed25519: 32 };
export const SIGNATURE_BYTES = 64;
