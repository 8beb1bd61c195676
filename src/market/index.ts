/** The service market's metering gateway (docs/market.md): the proxy, its receipt journal, its error codes. */
export { MeteringGateway, type GatewayOptions, type GatewayStatus, type UpstreamConfig } from './gateway.ts';
export { ReceiptJournal, lineOf, type UsageEvent } from './journal.ts';
export { MARKET_GATEWAY_ERRORS, GATEWAY_STATUS, type MarketGatewayErrorCode } from './errors.ts';
