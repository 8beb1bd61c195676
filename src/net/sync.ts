/**
 * Block sync over the `sync` topic (request/response): `status` and `blocks`. The serving side
 * answers from a SyncSource; BlockSyncer catches a SyncTarget up from several peers, verifying
 * every block (with its commit) through the target, strictly in height order.
 */
import { ShulianError, asJson, type JsonValue, isJsonObject } from '../codec/index.ts';
import type { Block } from '../ledger/index.ts';
import type { PeerStatus, SyncBlock, SyncSource, SyncTarget } from './types.ts';

export const SYNC_TOPIC = 'sync';
/** Most blocks one `blocks` request may ask for. */
export const MAX_BLOCKS_PER_REQUEST = 512;

/** What BlockSyncer and serveSync need from the network (PeerNetwork has it). */
export interface SyncTransport {
  /** The link's frame cap; sync answers are kept below it. */
  readonly maxFrameBytes?: number;
  peers(chain?: string): string[];
  request(did: string, chain: string, topic: string, body: JsonValue, opts?: { timeoutMs?: number }): Promise<JsonValue>;
  onRequest(chain: string, topic: string, handler: (body: JsonValue, fromDid: string) => JsonValue | Promise<JsonValue>): () => void;
}

function isHeight(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Serves `status` and `blocks` for one chain from `source`. Answers are trimmed to fit
 * `maxResponseBytes` (keep it below the network's frame cap). Returns the unregister function.
 */
export function serveSync(net: SyncTransport, chain: string, source: SyncSource, opts: { maxResponseBytes?: number } = {}): () => void {
  const maxBytes = opts.maxResponseBytes ?? (net.maxFrameBytes ?? 4 * 1024 * 1024) - 4096;
  return net.onRequest(chain, SYNC_TOPIC, async (body): Promise<JsonValue> => {
    if (!isJsonObject(body)) throw new ShulianError('BAD_SYNC_REQUEST', 'a sync request is an object');
    if (body.op === 'status') {
      return { height: source.height(), head: source.headHash?.() ?? null };
    }
    if (body.op === 'blocks') {
      const { from, max } = body;
      if (!isHeight(from) || from < 1 || !isHeight(max) || max < 1) throw new ShulianError('BAD_SYNC_REQUEST', 'blocks needs integer from >= 1 and max >= 1');
      const items = await source.getBlocks(from, Math.min(max, MAX_BLOCKS_PER_REQUEST));
      const out: JsonValue[] = [];
      let size = 64;
      for (const it of items) {
        const n = Buffer.byteLength(JSON.stringify(it)) + 1;
        if (size + n > maxBytes) {
          if (out.length > 0) break;
          throw new ShulianError('BLOCK_TOO_LARGE', `block ${from} does not fit one sync answer`);
        }
        size += n;
        out.push(asJson(it));
      }
      return { blocks: out };
    }
    throw new ShulianError('BAD_SYNC_REQUEST', `unknown sync op ${JSON.stringify(body.op)}`);
  });
}

/** Asks one peer for its status on a chain. */
export async function requestStatus(net: SyncTransport, did: string, chain: string, timeoutMs?: number): Promise<PeerStatus> {
  const r = await net.request(did, chain, SYNC_TOPIC, { op: 'status' }, timeoutMs === undefined ? {} : { timeoutMs });
  if (!isJsonObject(r) || !isHeight(r.height) || !(r.head === null || typeof r.head === 'string')) throw new ShulianError('BAD_SYNC_RESPONSE', `${did} sent a malformed status`);
  return { did, height: r.height, head: r.head };
}

/** Asks one peer for blocks [from, from+max); checks the shape, not the content. */
export async function requestBlocks(net: SyncTransport, did: string, chain: string, from: number, max: number, timeoutMs?: number): Promise<SyncBlock[]> {
  const r = await net.request(did, chain, SYNC_TOPIC, { op: 'blocks', from, max }, timeoutMs === undefined ? {} : { timeoutMs });
  if (!isJsonObject(r) || !Array.isArray(r.blocks)) throw new ShulianError('BAD_SYNC_RESPONSE', `${did} sent a malformed blocks answer`);
  return r.blocks.map((it, i) => {
    const h = from + i;
    if (!isJsonObject(it) || !isJsonObject(it.block) || !isJsonObject(it.block.header) || !('commit' in it)) {
      throw new ShulianError('BAD_SYNC_RESPONSE', `${did} sent a malformed block for height ${h}`);
    }
    const header = it.block.header;
    if (header.height !== h || header.chain !== chain) {
      throw new ShulianError('BAD_SYNC_RESPONSE', `${did} answered height ${h} with block ${String(header.chain)}/${String(header.height)}`);
    }
    return { block: it.block as unknown as Block, commit: it.commit ?? null };
  });
}

export interface BlockSyncerOptions {
  chain: string;
  target: SyncTarget;
  /** Blocks per request. Default 32. */
  batchSize?: number;
  /** Requests in flight at once; blocks held but not applied stay below window × batchSize. Default 8. */
  window?: number;
  /** Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Default 2000 ms. */
  statusTimeoutMs?: number;
  /** How long a peer that served a bad block is ignored. Default 10 minutes. */
  badPeerMs?: number;
  /** Failed requests (timeout, error, empty answer) before a peer is skipped for this pass. Default 3. */
  maxPeerFailures?: number;
  onBadPeer?: (did: string, reason: string) => void;
}

export interface SyncResult {
  startHeight: number;
  height: number;
  applied: number;
  /** Blocks applied per serving peer. */
  fromPeers: Record<string, number>;
  /** Peers marked bad during this pass. */
  badPeers: string[];
  /** Highest height a peer reported in the last status round (≥ height when caught up). */
  bestPeerHeight: number;
}

interface Range {
  start: number;
  end: number;
}

interface InFlight extends Range {
  did: string;
  cancelled: boolean;
}

/**
 * Catches a chain up from its peers. `syncToTip()` asks every peer sharing the chain for its
 * status, downloads the missing heights in batches from the peers that have them (several
 * requests in flight), and hands the blocks to `target.verifyAndApply` one by one in height
 * order. A block that fails verification gets its peer marked bad: everything else that peer
 * sent is discarded and fetched again from others. Repeats until no peer is ahead.
 */
export class BlockSyncer {
  private readonly bad = new Map<string, number>();
  private running = false;
  private stopped = false;

  constructor(private readonly net: SyncTransport, private readonly opts: BlockSyncerOptions) {}

  /** Peers currently ignored for serving bad blocks. */
  badPeers(): string[] {
    const now = Date.now();
    return [...this.bad].filter(([, until]) => until > now).map(([d]) => d).sort();
  }

  /** Ends a running syncToTip after the block being applied. */
  stop(): void {
    this.stopped = true;
  }

  async status(timeoutMs?: number): Promise<PeerStatus[]> {
    const t = timeoutMs ?? this.opts.statusTimeoutMs ?? 2000;
    const peers = this.net.peers(this.opts.chain).filter((d) => !this.isBad(d));
    const rs = await Promise.allSettled(peers.map((d) => requestStatus(this.net, d, this.opts.chain, t)));
    return rs.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  async syncToTip(): Promise<SyncResult> {
    if (this.running) throw new ShulianError('SYNC_RUNNING', `a sync of ${this.opts.chain} is already running`);
    this.running = true;
    this.stopped = false;
    const startHeight = this.opts.target.height();
    const result: SyncResult = { startHeight, height: startHeight, applied: 0, fromPeers: {}, badPeers: [], bestPeerHeight: startHeight };
    try {
      for (;;) {
        const local = this.opts.target.height();
        const statuses = await this.status();
        result.bestPeerHeight = Math.max(local, ...statuses.map((s) => s.height));
        const ahead = statuses.filter((s) => s.height > local);
        if (ahead.length === 0 || this.stopped) break;
        const before = result.applied;
        await this.fetch(ahead, result);
        if (result.applied === before) break; // nobody could give us anything more
      }
    } finally {
      this.running = false;
      result.height = this.opts.target.height();
    }
    return result;
  }

  private isBad(did: string): boolean {
    const until = this.bad.get(did);
    return until !== undefined && until > Date.now();
  }

  private async fetch(ahead: PeerStatus[], result: SyncResult): Promise<void> {
    const o = this.opts;
    const batch = Math.max(1, Math.min(o.batchSize ?? 32, MAX_BLOCKS_PER_REQUEST));
    const window = Math.max(1, o.window ?? 8);
    const timeoutMs = o.requestTimeoutMs ?? 5000;
    const maxFailures = o.maxPeerFailures ?? 3;
    const heights = new Map(ahead.map((s) => [s.did, s.height]));
    const failures = new Map<string, number>();
    const load = new Map<string, number>();
    const goal = Math.max(...ahead.map((s) => s.height));
    let nextApply = o.target.height() + 1;
    let nextRequest = nextApply;
    const retry: Range[] = [];
    const received = new Map<number, { item: SyncBlock; did: string }>();
    const inflight = new Set<InFlight>();
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };

    const usable = (did: string): boolean => !this.isBad(did) && (failures.get(did) ?? 0) < maxFailures && this.net.peers(o.chain).includes(did);
    const requeue = (r: Range): void => {
      if (r.end < nextApply) return;
      retry.push({ start: Math.max(r.start, nextApply), end: r.end });
      retry.sort((a, b) => a.start - b.start);
    };
    const markBad = (did: string, reason: string): void => {
      if (!this.isBad(did)) {
        this.bad.set(did, Date.now() + (o.badPeerMs ?? 600_000));
        result.badPeers.push(did);
        o.onBadPeer?.(did, reason);
      }
      for (const [h, r] of received) {
        if (r.did === did) {
          received.delete(h);
          requeue({ start: h, end: h });
        }
      }
      for (const f of inflight) {
        if (f.did === did && !f.cancelled) {
          f.cancelled = true;
          requeue(f);
        }
      }
      this.mergeRetry(retry);
    };
    const pickPeer = (start: number): string | null => {
      let best: string | null = null;
      for (const [did, h] of heights) {
        if (h < start || !usable(did)) continue;
        if (best === null || (load.get(did) ?? 0) < (load.get(best) ?? 0)) best = did;
      }
      return best;
    };
    const launch = (r: Range, did: string): void => {
      const f: InFlight = { ...r, did, cancelled: false };
      inflight.add(f);
      load.set(did, (load.get(did) ?? 0) + 1);
      requestBlocks(this.net, did, o.chain, r.start, r.end - r.start + 1, timeoutMs).then(
        (items) => {
          inflight.delete(f);
          load.set(did, (load.get(did) ?? 1) - 1);
          if (f.cancelled) return notify();
          if (items.length === 0) {
            failures.set(did, (failures.get(did) ?? 0) + 1);
            requeue(f);
          } else {
            items.forEach((item, i) => {
              const h = f.start + i;
              if (h >= nextApply && !received.has(h)) received.set(h, { item, did });
            });
            if (f.start + items.length <= f.end) requeue({ start: f.start + items.length, end: f.end });
          }
          notify();
        },
        (err: unknown) => {
          inflight.delete(f);
          load.set(did, (load.get(did) ?? 1) - 1);
          if (!f.cancelled) {
            if (err instanceof ShulianError && err.code === 'BAD_SYNC_RESPONSE') markBad(did, err.message);
            else failures.set(did, (failures.get(did) ?? 0) + 1);
            requeue(f);
            this.mergeRetry(retry);
          }
          notify();
        },
      );
    };

    while (!this.stopped) {
      // Someone else (consensus) may have moved the target on.
      const h = o.target.height();
      if (h + 1 > nextApply) {
        for (const k of received.keys()) if (k <= h) received.delete(k);
        nextApply = h + 1;
        nextRequest = Math.max(nextRequest, nextApply);
      }
      if (nextApply > goal) return;

      // Apply whatever is next in line.
      const r = received.get(nextApply);
      if (r) {
        received.delete(nextApply);
        try {
          await o.target.verifyAndApply(r.item.block, r.item.commit);
        } catch (err) {
          markBad(r.did, `block ${nextApply} failed verification: ${err instanceof Error ? err.message : String(err)}`);
          requeue({ start: nextApply, end: nextApply });
          this.mergeRetry(retry);
          continue;
        }
        result.applied++;
        result.fromPeers[r.did] = (result.fromPeers[r.did] ?? 0) + 1;
        nextApply++;
        continue;
      }

      // Keep the window full, never asking beyond nextApply + window × batch.
      const horizon = Math.min(goal, nextApply + window * batch - 1);
      let stuck = false;
      while (inflight.size < window) {
        let range: Range | undefined;
        let fresh = false;
        while (retry.length > 0 && retry[0]!.end < nextApply) retry.shift();
        if (retry.length > 0) {
          range = retry[0]!;
          if (range.end - range.start + 1 > batch) range = { start: range.start, end: range.start + batch - 1 };
        } else if (nextRequest <= horizon) {
          range = { start: nextRequest, end: Math.min(horizon, nextRequest + batch - 1) };
          fresh = true;
        }
        if (!range) break;
        const did = pickPeer(range.start);
        if (!did) {
          stuck = true;
          break;
        }
        // Trim to what that peer has.
        const top = heights.get(did)!;
        if (range.end > top) range = { start: range.start, end: top };
        if (fresh) nextRequest = range.end + 1;
        else {
          const head = retry[0]!;
          if (range.end >= head.end) retry.shift();
          else retry[0] = { start: range.end + 1, end: head.end };
        }
        launch(range, did);
      }
      if (inflight.size === 0 && !received.has(nextApply)) {
        if (stuck || (retry.length === 0 && nextRequest > goal)) return; // no usable peer has what is missing
      }
      if (received.has(nextApply)) continue;
      if (inflight.size === 0) return; // nothing will arrive
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  /** Keeps the retry list sorted and without overlaps. */
  private mergeRetry(retry: Range[]): void {
    retry.sort((a, b) => a.start - b.start);
    const out: Range[] = [];
    for (const r of retry) {
      const last = out[out.length - 1];
      if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
      else out.push({ ...r });
    }
    retry.splice(0, retry.length, ...out);
  }
}
