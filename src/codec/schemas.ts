import { z } from 'zod';
import type { JsonValue } from './canonical.ts';

/**
 * The value shapes every part of Shulian agrees on, defined once: what a DID, a chain id, a
 * digest, bytes, an amount and a JSON value look like in args, packets, state and wire types.
 * Each comes as a pattern (for plain checks) and a zod schema (for args and payloads).
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
/** A positive amount of a token in integer minor units, as a decimal string (no sign, no leading zero, at most 38 digits). */
export const AMOUNT_RE = /^[1-9][0-9]{0,37}$/;

/** A did:shulian DID: anyone who signs a transaction, holds a role or is named as a party. */
export const didSchema = z.string().regex(DID_RE, 'a did:shulian DID');
/**
 * Who holds something that may cross chains (tokens, documents): a DID on a Shulian chain, or an
 * account of another engine (an EVM 0x address) on the far side of a gateway; 1 to 128 characters.
 */
export const accountSchema = z.string().min(1, 'an account: a DID, or an address on another chain').max(128, 'an account is at most 128 characters');
export const chainIdSchema = z.string().regex(CHAIN_ID_RE, 'a chain id or module name: lowercase letters, digits and dashes');
export const digestSchema = z.string().regex(HEX64_RE, '64 lowercase hex digits');
export const hexSchema = z.string().regex(HEX_RE, 'lowercase hex');
export const amountSchema = z.string().regex(AMOUNT_RE, 'a positive integer amount in minor units, as a decimal string');

/** Any JSON value (finite numbers only). Bound its size where it comes from: a tx's bytes, a packet's. */
export const jsonSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonSchema), z.record(z.string(), jsonSchema)]),
);
export const jsonObjectSchema = z.record(z.string(), jsonSchema);
