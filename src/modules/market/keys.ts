/** State keys of the market module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import type { BatchRecord, PeriodUsage, ProductRecord, SettledPeriod, SubscriptionRecord } from './types.ts';

export const marketKey = {
  /** The current version of a product. */
  product: (id: string) => stateKey<ProductRecord>(`prod/${id}`),
  /** Every version of a product, kept (a subscription names the version it signed). */
  version: (id: string, version: number) => stateKey<ProductRecord>(`prodv/${id}/${version}`),
  /** Products ever published, and the n-th one's id (n from 1): what the catalog lists. */
  productCount: () => stateKey<number>('nprod'),
  productSeq: (n: number) => stateKey<string>(`pseq/${n}`),
  subscription: (id: string) => stateKey<SubscriptionRecord>(`sub/${id}`),
  /** A buyer's subscriptions, and a product's (n from 0). */
  byBuyerCount: (did: string) => stateKey<number>(`nbb/${did}`),
  byBuyer: (did: string, n: number) => stateKey<string>(`bb/${did}/${n}`),
  byProductCount: (id: string) => stateKey<number>(`nbp/${id}`),
  byProduct: (id: string, n: number) => stateKey<string>(`bp/${id}/${n}`),
  /** Usage committed for a subscription's period. */
  usage: (sub: string, period: number) => stateKey<PeriodUsage>(`use/${sub}/${period}`),
  /** A receipt id counted, with the batch that counted it: an id is counted once, whichever gateway sends it. */
  receipt: (id: string) => stateKey<number>(`rc/${id}`),
  batchCount: () => stateKey<number>('nbatch'),
  batch: (n: number) => stateKey<BatchRecord>(`batch/${n}`),
  /** A period settled through the subscription's contract. */
  settled: (sub: string, period: number) => stateKey<SettledPeriod>(`st/${sub}/${period}`),
};

/** Full chain-state keys (`market/…`), for readers (the gateway, the SDK, the API). */
export const marketStateKey = fullKeys('market', marketKey);
