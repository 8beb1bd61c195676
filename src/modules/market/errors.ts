/** Codes the market module rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const MARKET_MODULE_ERRORS = {
  MARKET_BAD_PLAN: 'a plan\'s shares do not add up to 100%, or its prices do not fit its kind',
  MARKET_BAD_PRODUCT: 'the product names itself, a missing or delisted component, or nests too deep',
  MARKET_NOT_PROVIDER: 'only the provider that published the product may change it',
  MARKET_PRODUCT_NOT_FOUND: 'no product with that id',
  MARKET_DELISTED: 'the product is delisted: it takes no new subscriptions or usage',
  MARKET_PLAN_NOT_FOUND: 'the product has no plan with that id',
  MARKET_BAD_CONTRACT: 'the contract is not the plan\'s, between these parties, on these terms, signed by all',
  MARKET_SUBSCRIBED: 'that contract already backs a subscription',
  MARKET_SUBSCRIPTION_NOT_FOUND: 'no subscription with that id',
  MARKET_NOT_GATEWAY: 'the sender is not a metering gateway of the product',
  MARKET_BAD_RECEIPT: 'a receipt names another product\'s subscription, a period its time is not in, or a time after the block',
  MARKET_BAD_ROOT: 'the Merkle root is not the root of the receipts sent',
  MARKET_PERIOD_SETTLED: 'the period is already settled: its usage can no longer change',
  MARKET_PERIOD_OPEN: 'the period (and its grace for late receipts) has not ended yet',
  MARKET_PERIOD_ORDER: 'periods are settled in order, each once',
} as const satisfies ErrorList;

export type MarketModuleErrorCode = keyof typeof MARKET_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof MARKET_MODULE_ERRORS, 'modules/market'> {}
}
