/** Codes the coupon module rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const COUPON_MODULE_ERRORS = {
  COUPON_EXISTS: 'a campaign with that id exists',
  COUPON_NOT_FOUND: 'no campaign or coupon with that id',
  COUPON_NOT_ISSUER: 'only the campaign\'s issuer may issue its coupons',
  COUPON_BUDGET: 'the campaign\'s budget cannot cover another coupon',
  COUPON_HOLDER_LIMIT: 'the holder received as many coupons of the campaign as it allows',
  COUPON_NOT_HOLDER: 'the coupon belongs to another DID',
  COUPON_MERCHANT: 'the merchant is not on the campaign\'s list, or not the one the holder authorised',
  COUPON_NOT_AUTHORIZED: 'the holder has not authorised this merchant to redeem the coupon',
  COUPON_USED: 'the coupon was redeemed, expired or refunded already',
  COUPON_NOT_VALID: 'the campaign is outside its validity window',
  COUPON_NOT_EXPIRED: 'the campaign is still valid: its coupons cannot be expired yet',
  COUPON_THRESHOLD: 'the purchase does not reach a threshold coupon\'s minimum',
  COUPON_STACKING: 'the coupons may not be used together (same group, or an exclusive one)',
  COUPON_NOT_REDEEMED: 'only a redeemed coupon is refunded, by the merchant that redeemed it',
  COUPON_NOT_FOR_POINTS: 'the campaign offers no coupons for carbon points',
} as const satisfies ErrorList;

export type CouponModuleErrorCode = keyof typeof COUPON_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof COUPON_MODULE_ERRORS, 'modules/coupon'> {}
}
