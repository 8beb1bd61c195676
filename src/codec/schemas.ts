import { z } from './zod.ts';
import type { JsonValue } from './canonical.ts';
import { AMOUNT_RE, CHAIN_ID_RE, DID_RE, HEX64_RE, HEX_RE } from './patterns.ts';

/**
 * The shared zod schemas (args, packets, payloads): a DID, an account, a chain id, a digest,
 * bytes, an amount, any JSON. Their patterns are in ./patterns.ts (exported by codec's index.ts,
 * re-exported here for modules that use both); this file is codec's second face because it loads zod.
 */
/** zod with its JIT off (./zod.ts): every schema in src/ takes `z` from here. */
export { z };
export { AMOUNT_RE, CHAIN_ID, CHAIN_ID_RE, DID_RE, HEX64_RE, HEX_RE, NAME_RE, PUBKEY_HEX_RE } from './patterns.ts';

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
