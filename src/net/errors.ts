/** Errors of node-to-node links, request/response and block sync. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const NET_ERRORS = {
  BAD_CHAIN_ID: 'a chain id is not lowercase letters, digits and dashes',
  BAD_PEER_ADDRESS: 'a peer address is not ws://host:port',
  BAD_TOPIC: 'a topic name is not one the network carries',
  BAD_SYNC_REQUEST: 'a peer sent a malformed sync request',
  BAD_SYNC_RESPONSE: 'a peer answered a sync request with something malformed',
  BLOCK_TOO_LARGE: 'a block does not fit one sync answer',
  CHAIN_NOT_REGISTERED: 'the chain is not registered on this node\'s network',
  CHAIN_NOT_SHARED: 'the peer does not share that chain on this link',
  FRAME_TOO_LARGE: 'a frame is larger than the link\'s cap',
  NET_HANDLER_EXISTS: 'a request handler for that chain and topic is already registered',
  NET_STARTED: 'the network was started twice',
  NO_HANDLER: 'the peer has no service for that topic on that chain',
  PEER_BACKPRESSURE: 'the link to the peer is backed up; the request was not queued',
  PEER_DISCONNECTED: 'the link closed before the answer came',
  PEER_NOT_CONNECTED: 'no link to that peer',
  REQUEST_TIMEOUT: 'the peer did not answer in time',
  RESPONSE_TOO_LARGE: 'the answer is larger than a frame may be',
  HANDLER_ERROR: 'the peer\'s handler failed with an unexpected error',
  REMOTE_ERROR: 'the peer answered with an error that named no code',
  SNAPSHOT_NONE: 'no peer offered a snapshot of the chain that verifies (at or above the height asked for)',
  SNAPSHOT_GONE: 'the peer no longer holds the snapshot height asked for; ask for its manifest again',
  SYNC_RUNNING: 'a sync of that chain is already running',
} as const satisfies ErrorList;

export type NetErrorCode = keyof typeof NET_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof NET_ERRORS, 'net'> {}
}
