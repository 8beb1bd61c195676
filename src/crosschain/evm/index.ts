/** Cross-chain with EVM chains: XEndpoint (contracts/solidity/XEndpoint.sol) and its k-of-n gateways. */
export { EvmEndpoint, XENDPOINT_ABI, type EvmEndpointOptions, type EvmOutbound, type EvmTxResult, type OutStatus } from './endpoint.ts';
export { EvmGateway, nativeClientOf, type EvmGatewayOptions, type EvmGatewayStats, type EvmRelayReport } from './gateway.ts';
export {
  ackOfReceipt, evmAckDigest, evmGatewaySetDigest, evmPacketCommitment, evmRecvDigest, evmTimeoutDigest, fromEvmPacket, isEvmAddress,
  PACKET_TUPLE, signDigest, toEvmPacket, type EvmDomain, type EvmPacket,
} from './packets.ts';
