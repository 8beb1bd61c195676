/** Cross-chain off-chain side: gateways (relayers) and what they relay with. */
export { relayOnce, syncRoutes, headerProofOf, SCHEDULE_KEY, type ChainEndpoint, type ProofBundle, type RelayCursor, type RelayReport } from './relay.ts';
export { httpEndpoint } from './endpoint.ts';
export { localEndpoint } from './local.ts';
export { Gateway, type GatewayOptions, type GatewayStats } from './gateway.ts';
