/**
 * The value shapes every part of Shulian agrees on, defined once: what a DID, a chain id, a
 * digest, bytes and an amount look like in args, packets, state and wire types, as patterns for
 * plain checks (browser-safe, no zod). Their zod schemas, for args and payloads, are in
 * ./schemas.ts (codec's second face).
 */

/** A did:shulian DID: base58btc of the key's multicodec hash, 20 to 40 characters (docs/did-method.md). */
export const DID_RE = /^did:shulian:[1-9A-HJ-NP-Za-km-z]{20,40}$/;
/** A chain id — also the shape of a cross-chain port, which is a module name: lowercase letters, digits and dashes, a letter first, at most 32. */
export const CHAIN_ID = '[a-z][a-z0-9-]{0,31}';
export const CHAIN_ID_RE = new RegExp(`^${CHAIN_ID}$`);
/** A module or method name as a transaction names it. */
export const NAME_RE = /^[a-z][a-zA-Z0-9_]{0,31}$/;
/** A 32-byte digest (SM3 or SHA-256), a tx hash or a state root: 64 lowercase hex digits. */
export const HEX64_RE = /^[0-9a-f]{64}$/;
/** Bytes as lowercase hex, at least one byte. */
export const HEX_RE = /^(?:[0-9a-f]{2})+$/;
/** A public key as transactions carry it, lowercase hex: SM2 65 bytes 04‖X‖Y, or Ed25519 32 bytes. */
export const PUBKEY_HEX_RE = /^(?:[0-9a-f]{64}|04[0-9a-f]{128})$/;
/** A positive amount of a token in integer minor units, as a decimal string (no sign, no leading zero, at most 38 digits). */
export const AMOUNT_RE = /^[1-9][0-9]{0,37}$/;
