import { accountSchema, amountSchema, CHAIN_ID, z } from '../../codec/schemas.ts';

/** A token on its own chain (`CNY-T`), or a voucher of one that came from other chains (`trade/CNY-T`). */
export const denomSchema = z.string().regex(new RegExp(`^(?:${CHAIN_ID}/)*[A-Z][A-Z0-9-]{1,15}$`), 'a token name such as CNY-T, or a voucher path such as trade/CNY-T');
/** A token issued here: capitals, digits and dashes. */
export const nativeDenomSchema = z.string().regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'a token name such as CNY-T: capitals, digits and dashes');

/** The payload of a transfer packet (ICS-20's FungibleTokenPacketData). */
export interface TransferPayload {
  denom: string;
  amount: string;
  sender: string;
  receiver: string;
}
export const transferPayloadSchema = z.strictObject({ denom: denomSchema, amount: amountSchema, sender: accountSchema, receiver: accountSchema });

/**
 * A hold for an atomic cross-chain transaction (see the `xlock` module): `amount` of `denom`
 * debited from `from` at prepare, credited to `to` at commit or back to `from` at rollback.
 * Held tokens belong to no balance meanwhile; the supply does not change. The shape of
 * runtime/locks.ts's LockRecord, written out so this face needs nothing of the runtime.
 */
export type HoldRecord = HoldBody & { state: 'held' | 'committed' | 'released'; height: number };
export interface HoldBody {
  from: string;
  to: string;
  denom: string;
  amount: string;
}

/** The exports xlock places, commits and releases holds with, and the name of the hold id in their args. */
export const HOLD_EXPORTS = { place: 'holdLock', commit: 'holdCommit', release: 'holdRelease', idField: 'hold' } as const;
