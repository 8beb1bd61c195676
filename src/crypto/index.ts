/**
 * Shulian crypto (DESIGN §4 "Crypto"): SM2/SM3/SM4 (GB/T 32918, 32905, 32907) and Ed25519
 * (RFC 8032); DIDs from public keys; password-protected keystores; a worker-thread
 * verification pool.
 */
import type { Sm2Impl } from './types.ts';
import { sm2js as sm2jsImpl } from './sm2js.ts';
import { sm2native as sm2nativeImpl } from './sm2native.ts';

export type { Suite, KeyPair, Sm2Impl, VerifyItem } from './types.ts';
export { sm3, sha256, hashFor } from './hash.ts';
export { generateKeyPair, publicKeyFromPrivate, sign, verify, didFromPublicKey, sm2Backend } from './keys.ts';
/** Both SM2 backends, for cross-tests and benches; sign/verify use the one named by sm2Backend. */
export const sm2js: Sm2Impl = sm2jsImpl;
export const sm2native: Sm2Impl | null = sm2nativeImpl;
export { sm4Encrypt, sm4Decrypt } from './sm4.ts';
export { VerifyPool } from './pool.ts';
export type { KeystoreFile } from './keystore.ts';
export { encryptKeystore, decryptKeystore, writeKeystore, readKeystore } from './keystore.ts';
