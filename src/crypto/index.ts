/**
 * Shulian crypto (DESIGN §4 "Crypto"): SM2/SM3/SM4 (GB/T 32918, 32905, 32907) and Ed25519
 * (RFC 8032); DIDs from public keys and their syntax (docs/did-method.md), Multikey encodings;
 * password-protected keystores; a worker-thread verification pool. X.509 certificate parsing and
 * chain checks are a face of their own, ./x509/index.ts (they load @peculiar/x509).
 */
import type { Sm2Impl } from './types.ts';
import { sm2js as sm2jsImpl } from './sm2js.ts';
import { sm2native as sm2nativeImpl } from './sm2native.ts';

export type { Suite, KeyPair, Sm2Impl, VerifyItem } from './types.ts';
export { sm3, sha256, hashFor } from './hash.ts';
export { deriveKeyPair, generateKeyPair, publicKeyFromPrivate, sign, verify, didFromPublicKey, sm2Backend } from './keys.ts';
/** Both SM2 backends, for cross-tests and benches; sign/verify use the one named by sm2Backend. */
export const sm2js: Sm2Impl = sm2jsImpl;
export const sm2native: Sm2Impl | null = sm2nativeImpl;
export { sm4Encrypt, sm4Decrypt } from './sm4.ts';
export { VerifyPool } from './pool.ts';
export type { KeystoreFile, KeystoreOptions } from './keystore.ts';
export { encryptKeystore, decryptKeystore, writeKeystore, readKeystore, LIGHT_SCRYPT_N } from './keystore.ts';
export {
  parseDid, formatDid, parseShulianDid, parseShulianId, shulianDidOf, isShulianDid, shulianDidFromIdBytes,
  DidSyntaxError, SHULIAN_METHOD, SHULIAN_ID_BYTES, MAX_DID_URL_LENGTH,
  type ParsedDid, type ShulianDid,
} from './did-syntax.ts';
export {
  encodeMultikey, decodeMultikey, multikeyDecodes, checkRawPublicKey, compressSm2, decompressSm2, MultikeyError,
  MULTICODEC_ED25519_PUB, MULTICODEC_SM2_PUB, type DecodedMultikey,
} from './multikey.ts';
