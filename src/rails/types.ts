/**
 * Funding rails: how money enters and leaves the settlement chain. A payment institution (an
 * issuer registered on chain) runs a rail: when its rail reports a deposit, the institution's
 * deposit watcher mints the amount on chain (idempotent on the rail's deposit id); when a holder
 * withdraws on chain (a `Withdrawal` event naming the issuer), the watcher asks the rail to pay
 * it out. A real rail (a bank's API, UnionPay, CIPS…) implements RailAdapter; this repository
 * ships only a SANDBOX rail, whose money is not real.
 */

/** A deposit the rail confirms: credited to `account` (a DID) on chain. */
export interface RailDeposit {
  type: 'deposit.succeeded';
  /** The rail's deposit id: the `ref` of the mint, so a repeated webhook never mints twice. */
  id: string;
  account: string;
  currency: string;
  /** Minor units, decimal digits. */
  amount: string;
  /** Rail time, ms. */
  time: number;
  rail: string;
  sandbox: boolean;
}

export type RailEvent = RailDeposit;

export interface RailPayout {
  /** Idempotency: the on-chain withdrawal (chain/tx). */
  ref: string;
  account: string;
  currency: string;
  amount: string;
}

export interface RailAdapter {
  /** e.g. "sandbox". */
  readonly name: string;
  /** True for a rail whose money is not real; surfaces must say so. */
  readonly sandbox: boolean;
  /** DID whose key signs the rail's webhooks. */
  readonly did: string;
  /**
   * Checks a webhook's signature (and freshness) and parses it; throws ShulianError
   * RAIL_SIGNATURE_INVALID / RAIL_WEBHOOK_INVALID otherwise.
   */
  verifyWebhook(headers: Record<string, string | string[] | undefined>, rawBody: string): RailEvent;
  /** Pays a withdrawal out on the rail; idempotent on `ref`. */
  payout(p: RailPayout): Promise<{ id: string; status: 'paid'; duplicate: boolean }>;
}
