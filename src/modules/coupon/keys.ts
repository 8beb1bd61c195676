/** State keys of the coupon module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { COUPON, type CampaignRecord, type CouponRecord } from './types.ts';

export const couponKey = {
  campaign: (id: string) => stateKey<CampaignRecord>(`campaign/${id}`),
  coupon: (id: string) => stateKey<CouponRecord>(`coupon/${id}`),
  /** How many coupons of a campaign a DID received (perHolder). */
  received: (campaign: string, holder: string) => stateKey<number>(`received/${campaign}/${holder}`),
  /** How many campaigns the chain has, and the id of the n-th (1-based, creation order): for listings. */
  campaigns: () => stateKey<number>('campaigns'),
  campaignAt: (n: number) => stateKey<string>(`campaigns/${n}`),
};

/** Full chain-state keys (`coupon/…`), for readers. */
export const couponStateKey = fullKeys(COUPON, couponKey);
