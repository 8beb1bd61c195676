/** Errors of the crypto layer: keys, signature suites, SM2/SM4, keystores. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const CRYPTO_ERRORS = {
  BAD_KEY: 'a key has the wrong length, or a public key does not match its private key',
  BAD_MESSAGE: 'the message to sign or verify is not bytes',
  BAD_SUITE: 'an unknown signature suite (only "sm2" and "ed25519" exist)',
  ED25519_BAD_KEY: 'an Ed25519 private key is not a 32-byte seed',
  SM2_BAD_ARGS: 'an SM2 operation was given arguments of the wrong type',
  SM2_BAD_ID: 'the SM2 user ID is not bytes, or is too long',
  SM2_BAD_K: 'an SM2 nonce k outside [1, n-1] (test vectors only)',
  SM2_BAD_KEY: 'an SM2 private or public key is malformed or out of range',
  SM2_NATIVE: 'the native SM2 addon failed in a way it did not name',
  SM2_NATIVE_UNAVAILABLE: 'SHULIAN_SM2_BACKEND=native but the SM2 addon cannot be loaded',
  SM2_SIGN_FAILED: 'the native SM2 addon could not make a signature',
  SM4_BAD_KEY: 'an SM4 key is not 16 bytes',
  SM4_BAD_IV: 'an SM4-CBC IV is not 16 bytes',
  SM4_BAD_CIPHERTEXT: 'SM4-CBC ciphertext is empty or not a multiple of 16 bytes',
  SM4_BAD_PADDING: 'SM4-CBC decryption found bad padding (wrong key or corrupted data)',
  KEYSTORE_BAD_PASSWORD: 'the keystore password is wrong',
  KEYSTORE_EXISTS: 'a keystore file already exists where a new one would be written',
  KEYSTORE_INVALID: 'the keystore file is not a valid keystore',
  KEYSTORE_NOT_FOUND: 'no keystore file at the path given',
  KEYSTORE_READ_FAILED: 'the keystore file cannot be read',
  KEYSTORE_WRITE_FAILED: 'the keystore file cannot be written',
  KEYSTORE_UNAVAILABLE: 'keystore files cannot be read this way here (the browser console reads them with the file picker)',
} as const satisfies ErrorList;

export type CryptoErrorCode = keyof typeof CRYPTO_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CRYPTO_ERRORS, 'crypto'> {}
}
