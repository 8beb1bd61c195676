/**
 * The `snapshot` topic (request/response) of state sync: `offer` answers a node's latest
 * snapshot offer (manifest + header) of a chain, `chunk` one chunk of a snapshot it still holds.
 * Content is opaque here: the receiver checks it (src/ledger/store/snapshot.ts) and the node
 * drives the fetch (src/node/statesync.ts).
 */
import { ShulianError, type JsonValue, isJsonObject } from '../codec/index.ts';
import type { SyncTransport } from './sync.ts';

export const SNAPSHOT_TOPIC = 'snapshot';

/** What a node serves snapshots from. */
export interface SnapshotSource {
  /** The latest offer, or null when the node has none to give. */
  offer(): Promise<JsonValue | null>;
  /** Chunk `index` of the snapshot at `height`; SNAPSHOT_GONE when no longer held. */
  chunk(height: number, index: number): JsonValue;
}

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

export function serveSnapshots(net: SyncTransport, chain: string, source: SnapshotSource): () => void {
  return net.onRequest(chain, SNAPSHOT_TOPIC, async (body): Promise<JsonValue> => {
    if (!isJsonObject(body)) throw new ShulianError('BAD_SYNC_REQUEST', 'a snapshot request is an object');
    if (body.op === 'offer') return { offer: await source.offer() };
    if (body.op === 'chunk') {
      if (!isIndex(body.height) || !isIndex(body.index)) throw new ShulianError('BAD_SYNC_REQUEST', 'chunk needs integer height and index >= 0');
      return { chunk: source.chunk(body.height, body.index) };
    }
    throw new ShulianError('BAD_SYNC_REQUEST', `unknown snapshot op ${JSON.stringify(body.op)}`);
  });
}

/** A peer's latest snapshot offer of `chain` (null: it has none); the shape is the caller's to check. */
export async function requestOffer(net: SyncTransport, did: string, chain: string, timeoutMs?: number): Promise<JsonValue | null> {
  const r = await net.request(did, chain, SNAPSHOT_TOPIC, { op: 'offer' }, timeoutMs === undefined ? {} : { timeoutMs });
  if (!isJsonObject(r) || !('offer' in r)) throw new ShulianError('BAD_SYNC_RESPONSE', `${did} sent a malformed snapshot offer`);
  return r.offer ?? null;
}

export async function requestChunk(net: SyncTransport, did: string, chain: string, height: number, index: number, timeoutMs?: number): Promise<JsonValue> {
  const r = await net.request(did, chain, SNAPSHOT_TOPIC, { op: 'chunk', height, index }, timeoutMs === undefined ? {} : { timeoutMs });
  if (!isJsonObject(r) || !('chunk' in r)) throw new ShulianError('BAD_SYNC_RESPONSE', `${did} sent a malformed snapshot chunk`);
  return r.chunk!;
}
