/** Cross-chain off-chain side: gateways (relayers) and what they relay with. */
export { relayOnce, syncRoutes, headerProofOf, proofAt, readState, SCHEDULE_KEY, BATCH, PROOF_KEYS, OUTBOX_PAGE, type ChainEndpoint, type ProofBundle, type RelayCursor, type RelayReport } from './relay.ts';
export { httpEndpoint } from './endpoint.ts';
export { localEndpoint } from './local.ts';
export { readOutbox, readProofBundle } from './readers.ts';
export { BLOCK_WAIT_MS, Gateway, type GatewayOptions, type GatewayStats, type RouteBacklog } from './gateway.ts';
export { txBody, txDigest, txStatus, listTxs, driveTx, isDone, type StateRead, type TxView, type ParticipantView, type LockView, type DriveOptions, type DriveResult } from './tpc.ts';
// EVM chains (XEndpoint and its k-of-n gateways) are in ./evm/index.ts, like ./adapters: kept out of
// this face so that ethers is loaded only where an EVM chain is used.
