/**
 * Multibase helpers of the credential layer: proof values, and the Ed25519 secret-key form of
 * the W3C test vectors. Public-key Multikeys (Controlled Identifiers v1.0 §2.2.2) come from the
 * DID method's codec in src/did/multikey.ts.
 */
import { ShulianError, fromBase58, toBase58 } from '../../codec/index.ts';

/** `ed25519-priv` (0x1300): only decoded, for test vectors that publish a secret key this way. */
const ED25519_PRIV = Uint8Array.of(0x80, 0x26);

// Public-key Multikeys are the DID method's (one codec for documents, proofs and did:key).
export { compressSm2, decompressSm2, decodeMultikey, encodeMultikey, type DecodedMultikey } from '../../crypto/index.ts';

function bad(message: string): ShulianError {
  return new ShulianError('BAD_MULTIKEY', message);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** The 32-byte Ed25519 seed of a multibase `ed25519-priv` secret key (as in the W3C test vectors). */
export function decodeEd25519SecretMultibase(multibase: string): Uint8Array {
  if (typeof multibase !== 'string' || !multibase.startsWith('z')) throw bad('secretKeyMultibase must start with "z"');
  const bytes = fromBase58(multibase.slice(1), 'secretKeyMultibase');
  if (!startsWith(bytes, ED25519_PRIV) || bytes.length !== 34) throw bad('an Ed25519 secret Multikey is 0x8026 followed by a 32-byte seed');
  return bytes.slice(2);
}

/** Multibase base58btc ('z…') of raw bytes, as proofValue uses. */
export function toMultibase58(bytes: Uint8Array): string {
  return 'z' + toBase58(bytes);
}

/** Bytes of a multibase base58btc value; throws BAD_MULTIBASE otherwise. */
export function fromMultibase58(value: string, what = 'value'): Uint8Array {
  if (typeof value !== 'string' || !value.startsWith('z') || value.length < 2) {
    throw new ShulianError('BAD_MULTIBASE', `${what} must be multibase base58btc (a string starting with "z")`);
  }
  try {
    return fromBase58(value.slice(1), what);
  } catch {
    throw new ShulianError('BAD_MULTIBASE', `${what} is not valid base58btc after its "z" prefix`);
  }
}
