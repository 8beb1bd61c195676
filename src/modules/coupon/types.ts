/**
 * Coupons on chain (issue #19; no standard covers coupon rules): campaigns with a budget, a
 * discount rule (满1500减400 thresholds, percentages with a cap, fixed amounts), a stacking group
 * and exclusivity, a validity window and the merchants that accept them. Amounts are integers in
 * minor units (分) as decimal strings; arithmetic is bigint.
 *
 * The budget bounds what the campaign may ever pay: issuing a coupon reserves its largest
 * discount, redeeming turns the reservation into the actual discount, expiry and refund give it
 * back. `reserved + spent ≤ budget` holds after every transaction.
 */
import { amountSchema, didSchema, z } from '../../codec/schemas.ts';

export const COUPON = 'coupon';
export const COUPON_LIMITS = { merchants: 64, perRedemption: 8, name: 100, perHolder: 1000 } as const;
export const CAMPAIGN_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** A coupon is `<campaign>:<serial>`. */
export const COUPON_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}:[1-9][0-9]{0,8}$/;
export const campaignIdSchema = z.string().regex(CAMPAIGN_ID_RE, 'a campaign id of 1-64 lowercase letters, digits, ".", "_" or "-"');
export const couponIdSchema = z.string().regex(COUPON_ID_RE, 'a coupon id: <campaign>:<serial>, e.g. homestay-2026:17');
export const couponId = (campaign: string, serial: number): string => `${campaign}:${serial}`;

export type DiscountRule =
  /** 满 min 减 off: `off` when the amount still to pay is at least `min`. */
  | { kind: 'threshold'; min: string; off: string }
  /** `bps` basis points of the amount still to pay, at most `maxOff`. */
  | { kind: 'percent'; bps: number; maxOff: string }
  /** `off`, at most the amount still to pay. */
  | { kind: 'fixed'; off: string };

export interface CampaignRecord {
  id: string;
  issuer: string;
  name: string;
  budget: string;
  /** Largest discounts of the coupons issued and not yet redeemed, expired or refunded. */
  reserved: string;
  /** Discounts granted by redemptions not refunded. */
  spent: string;
  issued: number;
  redeemed: number;
  rule: DiscountRule;
  /** Coupons of one group do not stack with each other. */
  group: string;
  /** An exclusive coupon is redeemed alone. */
  exclusive: boolean;
  /** Redeemable while validFrom ≤ block time < validUntil (ms). */
  validFrom: number;
  validUntil: number;
  merchants: string[];
  /** Most coupons of the campaign one DID may receive. */
  perHolder?: number;
  /** Carbon points a citizen pays for one coupon through `carbon.exchange`; absent: not offered for points. */
  pointsPrice?: string;
  height: number;
}

export type CouponStatus = 'issued' | 'redeemed' | 'expired' | 'refunded';
export interface CouponRecord {
  id: string;
  campaign: string;
  holder: string;
  status: CouponStatus;
  /** The most this coupon can take off: what it reserves of the budget. */
  maxOff: string;
  issuedAt: number;
  /** The merchant the holder authorised to redeem it (the holder's signed consent). */
  authorized?: string;
  redemption?: { merchant: string; amount: string; discount: string; time: number; tx: string };
}

const amountStr = amountSchema;
export const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('threshold'), min: amountStr, off: amountStr }).refine((r) => BigInt(r.off) <= BigInt(r.min), { path: ['off'], message: '满减: the discount cannot exceed the threshold' }),
  z.strictObject({ kind: z.literal('percent'), bps: z.number().int().min(1).max(10_000), maxOff: amountStr }),
  z.strictObject({ kind: z.literal('fixed'), off: amountStr }),
]);

export const createCampaignArgs = z.strictObject({
  id: campaignIdSchema,
  name: z.string().min(1).max(COUPON_LIMITS.name),
  budget: amountStr,
  rule: ruleSchema,
  group: campaignIdSchema,
  exclusive: z.boolean().default(false),
  validFrom: z.number().int().min(0).max(8.64e15),
  validUntil: z.number().int().min(1).max(8.64e15),
  merchants: z.array(didSchema).min(1).max(COUPON_LIMITS.merchants).refine((m) => new Set(m).size === m.length, 'a merchant appears twice'),
  perHolder: z.number().int().min(1).max(COUPON_LIMITS.perHolder).optional(),
  pointsPrice: amountStr.optional(),
}).refine((a) => a.validFrom < a.validUntil, { path: ['validUntil'], message: 'validUntil must be after validFrom' })
  .refine((a) => BigInt(maxOffOf(a.rule)) <= BigInt(a.budget), { path: ['budget'], message: 'the budget must cover at least one coupon\'s largest discount' });
export const issueArgs = z.strictObject({ campaign: campaignIdSchema, to: didSchema });
export const authorizeArgs = z.strictObject({ coupon: couponIdSchema, merchant: didSchema });
export const redeemArgs = z.strictObject({
  coupons: z.array(couponIdSchema).min(1).max(COUPON_LIMITS.perRedemption).refine((c) => new Set(c).size === c.length, 'a coupon appears twice in one redemption'),
  holder: didSchema,
  /** The purchase amount, minor units. */
  amount: amountStr,
});
export const couponArgs = z.strictObject({ coupon: couponIdSchema });
export const exchangeArgs = z.strictObject({ campaign: campaignIdSchema, to: didSchema });

/** The most a rule takes off one purchase. */
export function maxOffOf(rule: DiscountRule): string {
  return rule.kind === 'percent' ? rule.maxOff : rule.off;
}

/** The discount a rule gives on `due` still to pay; undefined when a threshold is not met. */
export function discountOf(rule: DiscountRule, due: bigint): bigint | undefined {
  switch (rule.kind) {
    case 'threshold': return due >= BigInt(rule.min) ? BigInt(rule.off) : undefined;
    case 'percent': {
      const d = (due * BigInt(rule.bps)) / 10_000n;
      const cap = BigInt(rule.maxOff);
      return d < cap ? d : cap;
    }
    case 'fixed': {
      const off = BigInt(rule.off);
      return off < due ? off : due;
    }
  }
}

/** The exports `carbon` calls by. */
export const COUPON_EXPORTS = { exchange: 'exchange' } as const;
/** What `coupon.exchange` answers. */
export interface ExchangeResult {
  coupon: string;
  issuer: string;
  price: string;
}
