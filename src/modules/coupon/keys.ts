/** State keys of the coupon module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { COUPON, type CampaignRecord, type CouponRecord } from './types.ts';

export const couponKey = {
  campaign: (id: string) => stateKey<CampaignRecord>(`campaign/${id}`),
  coupon: (id: string) => stateKey<CouponRecord>(`coupon/${id}`),
  /** How many coupons of a campaign a DID received (perHolder). */
  received: (campaign: string, holder: string) => stateKey<number>(`received/${campaign}/${holder}`),
};

/** Full chain-state keys (`coupon/…`), for readers. */
export const couponStateKey = fullKeys(COUPON, couponKey);
