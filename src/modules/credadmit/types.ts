/**
 * Credentials presented for admission to a business chain (issue #17 item 4): a holder presents a
 * verifiable presentation once, on the identity chain, for one chain; the chain's `credential`
 * admission policy (set by governance) then admits the holder while the presentation's proofs
 * hold under the DID documents and its credential's status entry is clear, judged at the
 * identity height each block names (src/node/credential-admission.ts).
 */
import { chainIdSchema, jsonObjectSchema, z } from '../../codec/schemas.ts';
import type { JsonValue } from '../../codec/index.ts';

export const CREDADMIT = 'credadmit';
/** Largest presentation kept (canonical JSON bytes). */
export const MAX_PRESENTATION_BYTES = 16_384;
export const MAX_CREDENTIALS = 4;

/** What the chain keeps for a holder and a chain. */
export interface PresentationRecord {
  chain: string;
  holder: string;
  presentation: { [key: string]: JsonValue };
  height: number;
  time: number;
  tx: string;
}

export const presentArgs = z.strictObject({ chain: chainIdSchema, presentation: jsonObjectSchema });
export const withdrawArgs = z.strictObject({ chain: chainIdSchema });
