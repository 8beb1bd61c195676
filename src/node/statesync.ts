/**
 * State sync on a node (docs/operations.md#state-sync): serving snapshots of the chains it hosts
 * on the `snapshot` topic, and starting an empty chain from a peer's snapshot — the offer checked
 * by the light client rooted at the chain's genesis (through the validator-change headers the
 * offer carries, when the set changed since genesis), each chunk against the manifest, the
 * entries against the signed state root (src/ledger/store/snapshot.ts) — after which block sync
 * applies only the blocks above it.
 */
import { ShulianError, asJson, type JsonValue } from '../codec/index.ts';
import type { Chain } from '../chain/index.ts';
import { lightStateFromGenesis, type Genesis, type LightState } from '../ledger/index.ts';
import {
  importSnapshot, verifyChunk, verifyOffer, type Snapshot, type SnapshotChunk, type SnapshotOffer,
} from '../ledger/store/index.ts';
import { requestChunk, requestOffer, serveSnapshots, type SnapshotSource, type SyncTransport } from '../net/index.ts';

/** Snapshots a node keeps per chain: a fetch in progress can finish while a newer one is taken. */
const KEEP = 2;

/**
 * Serves a chain's snapshots. A snapshot is taken when a peer asks and the latest is more than
 * `interval` blocks behind the head (or there is none), so an idle node spends nothing on it.
 */
export class SnapshotServer implements SnapshotSource {
  private readonly held: Snapshot[] = [];
  private taking: Promise<Snapshot> | undefined;

  constructor(private readonly chain: () => Chain | undefined, private readonly interval: number, private readonly maxChunkBytes?: number) {}

  async offer(): Promise<JsonValue | null> {
    const c = this.chain();
    if (!c || c.height() < 1) return null;
    const latest = this.held[this.held.length - 1];
    let snap = latest;
    if (!latest || c.height() - latest.manifest.height >= this.interval) {
      this.taking ??= c.exportSnapshot(this.maxChunkBytes).finally(() => (this.taking = undefined));
      snap = await this.taking;
      if (this.held[this.held.length - 1]?.manifest.height !== snap.manifest.height) this.held.push(snap);
      while (this.held.length > KEEP) this.held.shift();
    }
    return asJson({ manifest: snap!.manifest, header: snap!.header, ...(snap!.changes ? { changes: snap!.changes } : {}) });
  }

  chunk(height: number, index: number): JsonValue {
    const snap = this.held.find((s) => s.manifest.height === height);
    if (!snap) throw new ShulianError('SNAPSHOT_GONE', `no snapshot at height ${height} is held any more; ask for the offer again`);
    const chunk = snap.chunks[index];
    if (!chunk) throw new ShulianError('BAD_SYNC_REQUEST', `the snapshot at height ${height} has ${snap.chunks.length} chunks, not ${index + 1}`);
    return chunk;
  }
}

export function serveChainSnapshots(net: SyncTransport, chainId: string, chain: () => Chain | undefined, interval: number): () => void {
  return serveSnapshots(net, chainId, new SnapshotServer(chain, interval));
}

/**
 * The chains a node state-syncs: those `only` names (config `stateSync.chains`), else every tbft
 * chain. A name that is no tbft chain of the alliance is CONFIG_INVALID.
 */
export function stateSyncChains(only: readonly string[] | undefined, bft: readonly Genesis[]): Genesis[] {
  const unknown = only?.filter((c) => !bft.some((g) => g.chain === c)) ?? [];
  if (unknown.length) {
    throw new ShulianError('CONFIG_INVALID', `stateSync.chains names ${unknown.join(', ')}, which ${unknown.length > 1 ? 'are not tbft chains' : 'is not a tbft chain'} of the alliance (${bft.map((g) => g.chain).join(', ')}); fix the node config`);
  }
  return bft.filter((g) => !only || only.includes(g.chain));
}

export interface StateSyncOptions {
  net: SyncTransport;
  genesis: Genesis;
  /** The empty directory the chain's store is written to. */
  dir: string;
  /** Refuse snapshots below this height (default 1). */
  minHeight?: number;
  /** The light client to verify with (default: rooted at the genesis). */
  light?: LightState;
  requestTimeoutMs?: number;
  /** Chunk requests in flight at once (default 4). */
  window?: number;
  log?: (line: string) => void;
}

export interface StateSyncResult {
  height: number;
  chunks: number;
  entries: number;
  /** Peers whose offer or chunks failed a check, with why. */
  refused: Array<{ did: string; code: string; reason: string }>;
}

const codeOf = (err: unknown): string => (err instanceof ShulianError ? err.code : 'HANDLER_ERROR');

/**
 * Fetches the highest snapshot of `genesis.chain` that verifies from the peers sharing it and
 * starts the store in `dir` from it. A peer whose offer, chunk or state root fails a check is
 * left out (its reason in `refused`); another peer with the same offer serves its chunks. Throws
 * SNAPSHOT_NONE when no offer verifies end to end.
 */
export async function stateSyncChain(o: StateSyncOptions): Promise<StateSyncResult> {
  const chainId = o.genesis.chain;
  const light = o.light ?? lightStateFromGenesis(o.genesis);
  const timeoutMs = o.requestTimeoutMs ?? 10_000;
  const refused: StateSyncResult['refused'] = [];
  const refuse = (did: string, err: unknown): void => {
    refused.push({ did, code: codeOf(err), reason: err instanceof Error ? err.message : String(err) });
    o.log?.(`state sync of ${chainId}: ${did} refused: ${err instanceof Error ? err.message : String(err)}`);
  };
  const offers: Array<{ did: string; offer: SnapshotOffer }> = [];
  await Promise.all(o.net.peers(chainId).map(async (did) => {
    try {
      const raw = await requestOffer(o.net, did, chainId, timeoutMs);
      if (raw === null) return;
      const offer = raw as unknown as SnapshotOffer;
      verifyOffer(light, offer, o.minHeight ?? 1);
      offers.push({ did, offer });
    } catch (err) {
      refuse(did, err);
    }
  }));
  // Highest first; peers offering the same manifest share the work.
  const groups = new Map<string, { offer: SnapshotOffer; dids: string[] }>();
  for (const { did, offer } of offers) {
    const k = JSON.stringify(offer.manifest);
    const g = groups.get(k) ?? { offer, dids: [] };
    g.dids.push(did);
    groups.set(k, g);
  }
  for (const g of [...groups.values()].sort((a, b) => b.offer.manifest.height - a.offer.manifest.height)) {
    const chunks = await fetchChunks(o, g.offer, g.dids, timeoutMs, refuse);
    if (!chunks) continue;
    try {
      await importSnapshot(o.dir, o.genesis, g.offer, chunks);
    } catch (err) {
      if (codeOf(err) === 'SNAPSHOT_STORE_NOT_EMPTY') throw err;
      for (const did of g.dids) refuse(did, err);
      continue;
    }
    const m = g.offer.manifest;
    return { height: m.height, chunks: m.chunks.length, entries: m.entries, refused };
  }
  throw new ShulianError('SNAPSHOT_NONE', `no peer offered a snapshot of ${chainId} at or above height ${o.minHeight ?? 1} that verifies (${offers.length} offers checked, ${refused.length} refusals${refused.length ? `: ${refused.map((r) => `${r.did} ${r.code}`).join('; ')}` : ''})`, { refused, offers: offers.length });
}

/** Every chunk of `offer`, each verified; peers that serve a bad chunk are dropped. Null if none could. */
async function fetchChunks(o: StateSyncOptions, offer: SnapshotOffer, dids: string[], timeoutMs: number, refuse: (did: string, err: unknown) => void): Promise<SnapshotChunk[] | null> {
  const { manifest } = offer;
  const chunks: Array<SnapshotChunk | undefined> = new Array(manifest.chunks.length);
  const live = [...dids];
  let next = 0;
  let turn = 0;
  const worker = async (): Promise<boolean> => {
    for (;;) {
      const i = next++;
      if (i >= chunks.length) return true;
      for (;;) {
        if (live.length === 0) return false;
        const did = live[turn++ % live.length]!;
        try {
          const raw = await requestChunk(o.net, did, manifest.chain, manifest.height, i, timeoutMs);
          chunks[i] = verifyChunk(o.genesis.suite, manifest, i, raw);
          break;
        } catch (err) {
          const at = live.indexOf(did);
          if (at >= 0) live.splice(at, 1);
          refuse(did, err);
        }
      }
    }
  };
  const done = await Promise.all(Array.from({ length: Math.max(1, o.window ?? 4) }, worker));
  return done.every(Boolean) && chunks.every((c) => c !== undefined) ? (chunks as SnapshotChunk[]) : null;
}
