/**
 * Shulian node-to-node network (DESIGN §3–4, docs/network.md): authenticated WebSocket links,
 * one per peer pair carrying every shared chain; gossip, direct messages, request/response;
 * block sync.
 */
export { PeerNetwork, CLOSE } from './peer-network.ts';
export { BlockSyncer, serveSync, requestStatus, requestBlocks, SYNC_TOPIC, MAX_BLOCKS_PER_REQUEST } from './sync.ts';
export type { BlockSyncerOptions, SyncResult, SyncTransport } from './sync.ts';
export { serveSnapshots, requestOffer, requestChunk, SNAPSHOT_TOPIC, type SnapshotSource } from './snapshots.ts';
export type {
  MessageHandler, RequestHandler, TopicPriority, NetLogger, NetLogLevel, PeerAddress, PeerNetworkOptions, PeerEvent,
  DropCounters, PeerCounters, PeerStats, DialerStats, NetworkStats, SyncBlock, SyncTarget, SyncSource, PeerStatus,
} from './types.ts';
/** Protocol pieces, for tools and tests that speak the wire protocol directly. */
export { encodeFrame, decodeFrame, FRAME_KIND, CHAIN_RE, TOPIC_RE, MAX_JSON_DEPTH, type DecodedFrame, type FrameKind } from './frame.ts';
export {
  Handshake, authTranscript, buildAuth, parseHandshakeMessage, normalizeChains, PROTOCOL_TAG, PROTOCOL_VERSION,
  CHALLENGE_BYTES, MAX_HANDSHAKE_BYTES, MAX_CHAINS,
  type HelloMessage, type AuthMessage, type HandshakeMessage, type AuthenticatedPeer, type HandshakeConfig, type HandshakeStep, type HandshakeFailure,
} from './handshake.ts';
export { SecureSession, generateEphemeral, sharedSecret, deriveRecordKeys, TAG_BYTES, type EphemeralKey } from './session.ts';
export { packFrame, unpackFrame, COMPRESS_MIN_BYTES, COMPRESS_MAX_BYTES, type PackedFrame } from './compress.ts';
