/** Codes the metering gateway answers callers with (docs/market.md#gateway-errors); each maps to an HTTP status in GATEWAY_STATUS. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const MARKET_GATEWAY_ERRORS = {
  GATEWAY_AUTH_MISSING: 'the call carries neither a signature nor a token',
  GATEWAY_BAD_SIGNATURE: 'the signature, key or DID of the call does not check',
  GATEWAY_WRONG_GATEWAY: 'the call is signed for another gateway',
  GATEWAY_TOKEN_EXPIRED: 'the token has expired or is not one this gateway issued',
  GATEWAY_CLOCK_SKEW: 'the call\'s time is too far from the gateway\'s clock',
  GATEWAY_REPLAY: 'the nonce was already used: a call is answered (and charged) once',
  GATEWAY_UNKNOWN_PRODUCT: 'this gateway does not serve that product',
  GATEWAY_NO_SUBSCRIPTION: 'the caller holds no subscription to the product in force now',
  GATEWAY_QUOTA_EXCEEDED: 'the subscription\'s quota for the period is used up',
  GATEWAY_RATE_LIMITED: 'the subscription calls faster than its plan allows',
  GATEWAY_GRANT_REVOKED: 'a data grant the product relies on is revoked or missing',
  GATEWAY_UPSTREAM_TIMEOUT: 'the provider\'s service did not answer in time (not charged)',
  GATEWAY_UPSTREAM_FAILED: 'the provider\'s service failed (not charged)',
  GATEWAY_TOO_LARGE: 'the request or the upstream\'s response is larger than the gateway takes',
  GATEWAY_BUSY: 'the gateway is at its limit of calls in flight or remembered nonces; retry',
} as const satisfies ErrorList;

export type MarketGatewayErrorCode = keyof typeof MARKET_GATEWAY_ERRORS;

export const GATEWAY_STATUS: Record<MarketGatewayErrorCode, number> = {
  GATEWAY_AUTH_MISSING: 401, GATEWAY_BAD_SIGNATURE: 401, GATEWAY_WRONG_GATEWAY: 421, GATEWAY_TOKEN_EXPIRED: 401, GATEWAY_CLOCK_SKEW: 401, GATEWAY_REPLAY: 409,
  GATEWAY_UNKNOWN_PRODUCT: 404, GATEWAY_NO_SUBSCRIPTION: 403, GATEWAY_QUOTA_EXCEEDED: 429, GATEWAY_RATE_LIMITED: 429, GATEWAY_GRANT_REVOKED: 403,
  GATEWAY_UPSTREAM_TIMEOUT: 504, GATEWAY_UPSTREAM_FAILED: 502, GATEWAY_TOO_LARGE: 413, GATEWAY_BUSY: 503,
};

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof MARKET_GATEWAY_ERRORS, 'market'> {}
}
