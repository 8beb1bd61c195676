/**
 * State snapshots for state sync (issue #21 item 4; the shape follows CometBFT's state sync: a
 * manifest of chunk hashes, chunks fetched one by one and checked against it, the whole bound by
 * the app hash of a light-client-verified header).
 *
 * A snapshot of chain C at height H is the chain's whole latest state at H — every (key,
 * canonical JSON) pair, sorted by key — cut into chunks of at most SNAPSHOT_CHUNK_BYTES. The
 * manifest lists each chunk's hash (hashJson of the chunk, the chain's suite). Three things bind
 * it, in the order a receiver checks them:
 *   1. the header of H is final under the validator set the receiver's light client holds for
 *      H (verifyHeaderProof: solo signature or > 2/3 precommits, and the proven schedule on
 *      chains that track validators) — so H's state root is the chain's. On a chain whose set
 *      changed since genesis the offer carries the header before each change, and the client
 *      follows them one set to the next first (snapshot-headers.ts);
 *   2. each chunk hashes to its manifest entry (a tampered chunk is caught as it arrives);
 *   3. the entries rebuild exactly H's state root (the manifest itself is not signed: this is
 *      what makes a manifest that lists the wrong chunks fail).
 * Then the store starts at H (ChainStore.importSnapshot) and block sync applies H + 1 onwards.
 */
import { ShulianError, canonicalize, toHex, type JsonValue } from '../../codec/index.ts';
import { hashFor, type Suite } from '../../crypto/index.ts';
import { hashJson, stateKeyHash } from '../hashing.ts';
import type { HeaderProof, LightState } from '../light/index.ts';
import type { Genesis } from '../types.ts';
import type { LedgerErrorCode } from '../errors.ts';
import { SparseMerkleTree, type NodeStore } from '../smt/index.ts';
import { ChainStore, type BlockMeta, type ChainHead } from './chain-store.ts';
import { verifySnapshotHeaders } from './snapshot-headers.ts';

export const SNAPSHOT_FORMAT = 1;
/** Bytes of entries (keys + JSON) in one chunk; a chunk travels as one request's answer. */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
/** Most chunks a receiver accepts in a manifest (64 GiB of state at the chunk size). */
export const MAX_SNAPSHOT_CHUNKS = 65_536;

/** One chunk: [key, canonical JSON] pairs, keys strictly increasing across the whole snapshot. */
export type SnapshotChunk = Array<[string, string]>;

export interface SnapshotManifest {
  format: number;
  chain: string;
  height: number;
  blockHash: string;
  stateRoot: string;
  entries: number;
  /** hashJson(suite, chunk) of each chunk, in order. */
  chunks: string[];
}

/** What a node offers: the manifest and the header that makes its root the chain's. */
export interface SnapshotOffer {
  manifest: SnapshotManifest;
  header: HeaderProof;
  /**
   * On chains that track validators: the header just before each validator change up to the
   * snapshot height, in height order, that carry the receiver's light client from the genesis set
   * to the set that signed `header` (snapshot-headers.ts). Absent or empty when there was none.
   */
  changes?: HeaderProof[];
}

/** A snapshot as the exporting node holds it. */
export interface Snapshot extends SnapshotOffer {
  chunks: SnapshotChunk[];
}

const fail = (code: LedgerErrorCode, msg: string): never => {
  throw new ShulianError(code, msg);
};

/** Cuts sorted entries into chunks of at most `maxBytes` (an entry larger than that gets a chunk alone). */
export function chunkEntries(entries: ReadonlyArray<[string, string]>, maxBytes = SNAPSHOT_CHUNK_BYTES): SnapshotChunk[] {
  const chunks: SnapshotChunk[] = [];
  let cur: SnapshotChunk = [];
  let size = 0;
  for (const e of entries) {
    const n = JSON.stringify(e).length + 1;
    if (cur.length > 0 && size + n > maxBytes) {
      chunks.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(e);
    size += n;
  }
  if (cur.length > 0 || chunks.length === 0) chunks.push(cur);
  return chunks;
}

export function chunkHash(suite: Suite, chunk: SnapshotChunk): string {
  return hashJson(suite, chunk);
}

/** A tree node store that keeps what it is given, for writing to a chain store afterwards. */
class CollectingNodeStore implements NodeStore {
  readonly nodes = new Map<string, Uint8Array>();
  get(hash: Uint8Array): Uint8Array | undefined {
    return this.nodes.get(Buffer.from(hash).toString('latin1'));
  }
  put(hash: Uint8Array, node: Uint8Array): void {
    this.nodes.set(Buffer.from(hash).toString('latin1'), node);
  }
}

/** The state tree over `entries`: its root, its nodes and the values by hash. */
export function buildState(suite: Suite, entries: ReadonlyArray<readonly [string, string]>): { root: string; nodes: Map<string, Uint8Array>; values: Map<string, string> } {
  const hash = hashFor(suite);
  const store = new CollectingNodeStore();
  const tree = new SparseMerkleTree(store, hash, { cacheSize: 0 });
  const values = new Map<string, string>();
  const updates = entries.map(([k, v]) => {
    const vh = hash(Buffer.from(v, 'utf8'));
    values.set(toHex(vh), v);
    return { key: stateKeyHash(suite, k), value: vh };
  });
  let root: Uint8Array = new Uint8Array(32);
  // Slices keep the batch's sort small; the root depends only on the set of pairs.
  for (let i = 0; i < updates.length; i += 50_000) root = tree.update(root, updates.slice(i, i + 50_000));
  return { root: toHex(root), nodes: store.nodes, values };
}

/** The snapshot of a store's latest state; checks its own entries against the head's root. */
export async function exportSnapshot(
  suite: Suite, store: ChainStore, header: (head: ChainHead) => { header: HeaderProof; changes: HeaderProof[] }, maxChunkBytes = SNAPSHOT_CHUNK_BYTES,
): Promise<Snapshot> {
  const { head, entries } = await store.stateAtHead();
  const { header: hp, changes } = header(head);
  const built = buildState(suite, entries);
  if (built.root !== head.stateRoot) {
    throw new ShulianError('SNAPSHOT_STATE_ROOT', `the state read at height ${head.height} rebuilds root ${built.root}, not the head's ${head.stateRoot}; try again`);
  }
  const chunks = chunkEntries(entries, maxChunkBytes);
  const manifest: SnapshotManifest = {
    format: SNAPSHOT_FORMAT, chain: hp.header.chain, height: head.height, blockHash: head.hash, stateRoot: head.stateRoot,
    entries: entries.length, chunks: chunks.map((c) => chunkHash(suite, c)),
  };
  return { manifest, header: hp, ...(changes.length ? { changes } : {}), chunks };
}

const isHash = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

/**
 * Step 1: checks an offer against the receiver's light client and returns the advanced client.
 * `minHeight`: the receiver refuses older snapshots (SNAPSHOT_WRONG_HEIGHT).
 */
export function verifyOffer(light: LightState, offer: SnapshotOffer, minHeight = 0): LightState {
  const m = offer?.manifest;
  if (!m || typeof m !== 'object' || m.format !== SNAPSHOT_FORMAT || typeof m.chain !== 'string' || !Number.isSafeInteger(m.height) || m.height < 1
    || !isHash(m.blockHash) || !isHash(m.stateRoot) || !Number.isSafeInteger(m.entries) || m.entries < 0 || !Array.isArray(m.chunks) || !m.chunks.every(isHash)) {
    fail('SNAPSHOT_MALFORMED', 'the snapshot manifest is malformed (format, chain, height, block hash, state root, entries, chunk hashes)');
  }
  if (m.chunks.length === 0 || m.chunks.length > MAX_SNAPSHOT_CHUNKS) fail('SNAPSHOT_TOO_LARGE', `the manifest lists ${m.chunks.length} chunks; 1 to ${MAX_SNAPSHOT_CHUNKS} are accepted`);
  if (m.chain !== light.chain) fail('SNAPSHOT_WRONG_CHAIN', `the snapshot is of chain ${m.chain}, not ${light.chain}`);
  const h = offer.header?.header;
  if (!h || typeof h !== 'object') fail('SNAPSHOT_MALFORMED', 'the snapshot comes without its header');
  if (h.chain !== light.chain) fail('SNAPSHOT_WRONG_CHAIN', `the snapshot's header is of chain ${String(h.chain)}, not ${light.chain}`);
  if (h.height !== m.height || offer.header.hash !== m.blockHash || h.stateRoot !== m.stateRoot) {
    fail('SNAPSHOT_WRONG_HEIGHT', `the manifest names block ${m.height} (${m.blockHash}, root ${m.stateRoot}) but its header is block ${String(h.height)} (${String(offer.header.hash)}, root ${String(h.stateRoot)})`);
  }
  if (m.height < minHeight) fail('SNAPSHOT_WRONG_HEIGHT', `the snapshot is at height ${m.height}, below the ${minHeight} asked for`);
  return verifySnapshotHeaders(light, offer.changes, offer.header);
}

/** Step 2: a chunk must hash to its manifest entry and be well formed. */
export function verifyChunk(suite: Suite, manifest: SnapshotManifest, index: number, chunk: unknown): SnapshotChunk {
  if (!Array.isArray(chunk) || !chunk.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string')) {
    fail('SNAPSHOT_MALFORMED', `chunk ${index} of ${manifest.chain}@${manifest.height} is not a list of [key, JSON] pairs`);
  }
  const c = chunk as SnapshotChunk;
  let got: string;
  try {
    got = chunkHash(suite, c);
  } catch {
    return fail('SNAPSHOT_MALFORMED', `chunk ${index} cannot be hashed`);
  }
  if (got !== manifest.chunks[index]) fail('SNAPSHOT_CHUNK_HASH', `chunk ${index} of ${manifest.chain}@${manifest.height} hashes to ${got}, not the manifest's ${String(manifest.chunks[index])}`);
  return c;
}

/**
 * Step 3 and the import: the verified chunks' entries (strictly increasing keys, canonical JSON)
 * must rebuild the header's state root; then an empty store at `dir` starts at the snapshot.
 */
export async function importSnapshot(dir: string, genesis: Genesis, offer: SnapshotOffer, chunks: SnapshotChunk[]): Promise<void> {
  const { manifest } = offer;
  const entries: Array<[string, string]> = [];
  let prev: string | undefined;
  for (const c of chunks) {
    for (const e of c) {
      if (prev !== undefined && !(e[0] > prev)) fail('SNAPSHOT_MALFORMED', `snapshot keys are not strictly increasing at ${JSON.stringify(e[0])}`);
      let canon: string;
      try {
        canon = canonicalize(JSON.parse(e[1]) as JsonValue);
      } catch {
        return fail('SNAPSHOT_MALFORMED', `the value of ${JSON.stringify(e[0])} is not JSON`);
      }
      if (canon !== e[1]) fail('SNAPSHOT_MALFORMED', `the value of ${JSON.stringify(e[0])} is not canonical JSON`);
      prev = e[0];
      entries.push(e);
    }
  }
  if (entries.length !== manifest.entries) fail('SNAPSHOT_MALFORMED', `the chunks hold ${entries.length} entries, the manifest says ${manifest.entries}`);
  const built = buildState(genesis.suite, entries);
  if (built.root !== offer.header.header.stateRoot) {
    fail('SNAPSHOT_STATE_ROOT', `the snapshot's entries rebuild state root ${built.root}, not ${offer.header.header.stateRoot} of the signed header at ${manifest.chain}@${manifest.height}`);
  }
  const h = offer.header;
  const meta: BlockMeta = { header: h.header, hash: h.hash, sig: h.sig, txHashes: [], receiptHashes: [] };
  if (h.commit !== undefined) meta.commit = h.commit as JsonValue;
  const store = new ChainStore(dir);
  try {
    await store.importSnapshot(genesis, meta, entries, built.nodes, built.values, offer.changes ?? []);
  } finally {
    await store.close();
  }
}
