import { fullKeys, stateKey } from '../../codec/index.ts';
import type { HoldRecord } from './types.ts';

/** State layout of the xtransfer module. Amounts are decimal strings of minor units; a zero amount is no key. */
export const XTRANSFER = 'xtransfer';

export const xferKey = {
  /** The DID that issued a native token (the only one who may mint it). */
  issuer: (denom: string) => stateKey<string>(`issuer/${denom}`),
  balance: (who: string, denom: string) => stateKey<string>(`bal/${who}/${denom}`),
  /** Native tokens escrowed for vouchers on another chain. */
  escrow: (chain: string, denom: string) => stateKey<string>(`escrow/${chain}/${denom}`),
  /** Supply here of a token or voucher. */
  supply: (denom: string) => stateKey<string>(`supply/${denom}`),
  hold: (hold: string) => stateKey<HoldRecord>(`hold/${hold}`),
};

export const xferStateKey = fullKeys(XTRANSFER, xferKey);
