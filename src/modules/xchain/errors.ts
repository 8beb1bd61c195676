/** Codes the xchain module (packets, light clients, attestations) rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const XCHAIN_MODULE_ERRORS = {
  BAD_PACKET: 'a packet delivered to a port does not carry what that port expects',
  XCHAIN_BAD_ACK: 'an acknowledgement is not {ok: true, result} or {ok: false, code, message}',
  XCHAIN_BAD_ATTESTATION: 'a gateway attestation does not verify over the message',
  XCHAIN_BAD_HEADER: 'the relayed header does not verify through the light client',
  XCHAIN_BAD_PROOF: 'the relayed state proof does not verify against the header',
  XCHAIN_BAD_ROUTE: 'the routing chain\'s record of a chain is malformed',
  XCHAIN_BAD_TIMEOUT: 'the packet\'s timeout is already past',
  XCHAIN_NOT_ATTESTED: 'the chain is verified by light client; relay its proofs instead of attestations',
  XCHAIN_FORBIDDEN: 'the channel policy does not let that sender send to that port (an error ack)',
  XCHAIN_NOT_A_PORT: 'the module declares no port, so it cannot send packets',
  XCHAIN_NOT_CONFIGURED: 'the chain\'s genesis names no routing chain',
  XCHAIN_NOT_GATEWAY: 'the sender is not a gateway registered for that chain',
  XCHAIN_NO_HANDLER: 'the destination port is not a port of any module here, so it takes no packets',
  XCHAIN_NOT_REGISTERED: 'the chain is not registered on the routing chain as synced here',
  XCHAIN_NOT_TIMED_OUT: 'the packet has not timed out yet',
  XCHAIN_NO_CLIENT: 'this chain has no light client of that chain yet',
  XCHAIN_PORT_MISMATCH: 'the source port is not bound to that destination port',
  XCHAIN_QUORUM: 'too few gateways attested',
  XCHAIN_SANDBOX_PATH: 'a packet would pass between a sandbox chain and a production chain (refused when sent; an error ack when received)',
  XCHAIN_SELF: 'a packet must go to another chain',
  XCHAIN_SUSPENDED: 'the chain is suspended on the routing chain',
  XCHAIN_UNKNOWN_PACKET: 'this chain sent no such packet',
  XCHAIN_WRONG_PATH: 'the packet is not from that chain to this one',
} as const satisfies ErrorList;

export type XchainModuleErrorCode = keyof typeof XCHAIN_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof XCHAIN_MODULE_ERRORS, 'modules/xchain'> {}
}
