import { asJson, stateValue, type JsonValue, type StateKey } from '../codec/index.ts';
import type { BlockHeader, SmtProof } from '../ledger/index.ts';
import type { HeaderProof, Packet, SendStatus } from '../modules/xchain/types.ts';
import { xchainStateKey } from '../modules/xchain/keys.ts';

/** A final header with state proofs of some keys at its height (GET …/xchain/proof). */
export interface ProofBundle {
  chain: string;
  height: number;
  header: BlockHeader;
  hash: string;
  sig: string;
  commit?: JsonValue;
  proofs: Array<{ key: string; value: JsonValue | null; proof: SmtProof }>;
}

/** What a gateway needs of one chain: reads with proofs, and a way to send its own txs. */
export interface ChainEndpoint {
  readonly id: string;
  height(): Promise<number>;
  proof(height: number, keys: string[]): Promise<ProofBundle>;
  outbox(dst: string, from: number, limit: number): Promise<{ lastSequence: number; packets: Array<{ packet: Packet; status: SendStatus }> }>;
  state(key: string): Promise<JsonValue | null>;
  /**
   * Signs and submits a call as the gateway; resolves when committed, with its receipt status.
   * Once `signal` aborts, it stops waiting for the commit and rejects (GATEWAY_STOPPED), so a
   * gateway stops at once even while its txs cannot commit (a chain whose validators are
   * stopping with it).
   */
  call(module: string, method: string, args: JsonValue, signal?: AbortSignal): Promise<{ status: 'ok' | 'failed'; code?: string; message?: string; result?: JsonValue }>;
  /**
   * Calls `listener` after each block the chain commits; returns the unsubscribe. Optional: a
   * gateway whose two chains both announce blocks sleeps between them instead of polling.
   */
  onBlock?(listener: () => void): () => void;
}

/** A record of an endpoint's chain state under its typed full key; undefined when absent. */
export async function readState<T>(ep: Pick<ChainEndpoint, 'state'>, key: StateKey<T>): Promise<T | undefined> {
  return stateValue(key, await ep.state(key));
}

export const SCHEDULE_KEY = 'validators/schedule';
/**
 * Packets a relay round reads from the source's outbox: wider than one block's worth, so one
 * round delivers (and acknowledges) what several source blocks committed, in one block per chain.
 */
export const BATCH = 1_000;
/** Keys per proof request and packets per outbox read: what a node's API serves in one request (src/api/routes/xchain.ts). */
export const PROOF_KEYS = 256;
export const OUTBOX_PAGE = 500;
/** Bytes of packets and proofs per relay tx: well inside a chain's default maxTxBytes (64 KiB). */
export const MAX_TX_PAYLOAD = 40 * 1024;

/** Splits items into runs whose JSON stays under `maxBytes` (an item larger than that goes alone). */
export function chunksByBytes<T>(items: T[], maxBytes = MAX_TX_PAYLOAD): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let size = 0;
  for (const it of items) {
    const n = JSON.stringify(it).length + 1;
    if (cur.length && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(it);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** A HeaderProof (as xchain takes it) from a bundle; the schedule proof rides along when asked for. */
export function headerProofOf(b: ProofBundle, withSchedule: boolean): HeaderProof {
  const hp: HeaderProof = { header: b.header, hash: b.hash, sig: b.sig };
  if (b.commit !== undefined) hp.commit = b.commit;
  if (withSchedule) {
    const s = b.proofs.find((p) => p.key === SCHEDULE_KEY);
    if (s) hp.schedule = { value: s.value, proof: s.proof };
  }
  return hp;
}

/** The outbox from `from` on, up to `limit` packets, read in pages an API serves. */
async function outboxOf(ep: ChainEndpoint, dst: string, from: number, limit: number): ReturnType<ChainEndpoint['outbox']> {
  const first = await ep.outbox(dst, from, Math.min(limit, OUTBOX_PAGE));
  const packets = [...first.packets];
  let lastSequence = first.lastSequence;
  while (packets.length < limit) {
    const after = packets.at(-1)?.packet.sequence;
    if (after === undefined || after >= lastSequence) break;
    const page = await ep.outbox(dst, after + 1, Math.min(limit - packets.length, OUTBOX_PAGE));
    if (!page.packets.length) break;
    packets.push(...page.packets);
    lastSequence = Math.max(lastSequence, page.lastSequence);
  }
  return { lastSequence, packets };
}

/**
 * State proofs of `keys` at one height, asked for in requests of at most PROOF_KEYS keys: one
 * header for all of them, so each chunk of packets a round sends carries the same header proof.
 */
export async function proofAt(ep: Pick<ChainEndpoint, 'proof'>, height: number, keys: string[]): Promise<ProofBundle> {
  if (keys.length <= PROOF_KEYS) return ep.proof(height, keys);
  const parts: ProofBundle[] = [];
  for (let i = 0; i < keys.length; i += PROOF_KEYS) parts.push(await ep.proof(height, keys.slice(i, i + PROOF_KEYS)));
  const first = parts[0]!;
  for (const p of parts) {
    if (p.hash !== first.hash) throw new Error(`${first.chain}: proofs of one height ${height} came under two headers (${first.hash}, ${p.hash})`);
  }
  return { ...first, proofs: parts.flatMap((p) => p.proofs) };
}

const timedOutAt = (p: Packet, h: BlockHeader): boolean =>
  (p.timeoutHeight !== undefined && h.height >= p.timeoutHeight) || (p.timeoutTime !== undefined && h.time >= p.timeoutTime);

export interface RelayReport {
  received: number;
  acknowledged: number;
  timedOut: number;
  errors: string[];
  /**
   * Packets committed on the source for this destination and not yet settled there (not
   * acknowledged nor timed out) when the round looked: the gateway's backlog on this route.
   */
  backlog: number;
}

export interface RelayCursor {
  /** Lowest sequence not yet settled on the source (acknowledged or timed out). */
  from: number;
}

/**
 * One round of relaying from `src` to `dst`, as an untrusted relayer (ICS-18): nothing it sends
 * is believed without the proofs inside. Packets still 'sent' on the source are looked up on the
 * destination with one proof request: received ones are acknowledged back, ones past their
 * timeout are proven absent to the source, and the rest are delivered with a state proof each.
 */
export async function relayOnce(src: ChainEndpoint, dst: ChainEndpoint, cursor: RelayCursor, opts: { batch?: number; signal?: AbortSignal } = {}): Promise<RelayReport> {
  const { signal } = opts;
  const batch = opts.batch ?? BATCH;
  const out = await outboxOf(src, dst.id, cursor.from, batch);
  const pending = out.packets.filter((p) => p.status.status === 'sent');
  // Past the batch read, every packet counts as unsettled (the next rounds read them).
  const lastRead = out.packets.at(-1)?.packet.sequence ?? cursor.from - 1;
  const report: RelayReport = { received: 0, acknowledged: 0, timedOut: 0, errors: [], backlog: pending.length + Math.max(0, out.lastSequence - lastRead) };
  // Settled packets at the front need no more work: move past them.
  let next = cursor.from;
  for (const p of out.packets) {
    if (p.status.status !== 'sent' && p.packet.sequence === next) next++;
    else break;
  }
  if (!pending.length) {
    cursor.from = out.packets.length ? next : cursor.from;
    return report;
  }
  const dstRoute = await readState(src, xchainStateKey.route(dst.id));
  const srcRoute = await readState(dst, xchainStateKey.route(src.id));
  if (!dstRoute || !srcRoute) {
    report.errors.push(`routes not synced (${src.id} knows ${dst.id}: ${!!dstRoute}; ${dst.id} knows ${src.id}: ${!!srcRoute}); run syncRoutes first`);
    return report;
  }
  const dstHeight = await dst.height();
  const recvKeys = pending.map((p) => `xchain/recv/${src.id}/${p.packet.sequence}`);
  const there = await proofAt(dst, dstHeight, dstRoute.tracksValidators ? [...recvKeys, SCHEDULE_KEY] : recvKeys);
  const byKey = new Map(there.proofs.map((p) => [p.key, p]));
  const acks: JsonValue[] = [];
  const timeouts: JsonValue[] = [];
  const toDeliver: Packet[] = [];
  for (const { packet } of pending) {
    const p = byKey.get(`xchain/recv/${src.id}/${packet.sequence}`)!;
    if (p.value !== null) acks.push({ sequence: packet.sequence, value: p.value, proof: asJson(p.proof) });
    else if (timedOutAt(packet, there.header)) timeouts.push({ sequence: packet.sequence, proof: asJson(p.proof) });
    else toDeliver.push(packet);
  }
  const hpDst = asJson(headerProofOf(there, dstRoute.tracksValidators));
  // The deliveries' proofs are read before anything is submitted, so the source's txs (acks,
  // timeouts) and the destination's (recv) are in flight at once. On each chain the chunks are
  // submitted together (the endpoint orders their nonces) and commit in as few blocks as they fit.
  let deliveries: { proof: JsonValue; packets: JsonValue[] } | undefined;
  if (toDeliver.length) {
    const srcHeight = await src.height();
    const outKeys = toDeliver.map((p) => `xchain/out/${dst.id}/${p.sequence}`);
    const here = await proofAt(src, srcHeight, srcRoute.tracksValidators ? [...outKeys, SCHEDULE_KEY] : outKeys);
    const proofOf = new Map(here.proofs.map((p) => [p.key, p]));
    deliveries = {
      proof: asJson(headerProofOf(here, srcRoute.tracksValidators)),
      packets: toDeliver.map((packet) => ({ packet: asJson(packet), proof: asJson(proofOf.get(`xchain/out/${dst.id}/${packet.sequence}`)!.proof) })),
    };
  }
  const onSrc = [
    ...chunksByBytes(acks).map(async (chunk) => {
      const r = await src.call('xchain', 'acknowledge', { proof: hpDst, acks: chunk }, signal);
      if (r.status === 'ok') report.acknowledged += chunk.length;
      else report.errors.push(`acknowledge on ${src.id}: ${r.code}: ${r.message}`);
    }),
    ...chunksByBytes(timeouts).map(async (chunk) => {
      const r = await src.call('xchain', 'timeout', { proof: hpDst, items: chunk }, signal);
      if (r.status === 'ok') report.timedOut += chunk.length;
      else report.errors.push(`timeout on ${src.id}: ${r.code}: ${r.message}`);
    }),
  ];
  const onDst = deliveries ? chunksByBytes(deliveries.packets).map(async (chunk) => {
    const r = await dst.call('xchain', 'recv', { proof: deliveries.proof, packets: chunk }, signal);
    if (r.status === 'ok') report.received += (r.result as Array<{ result: string }>).filter((x) => x.result === 'received').length;
    else report.errors.push(`recv on ${dst.id}: ${r.code}: ${r.message}`);
  }) : [];
  await Promise.all([...onSrc, ...onDst]);
  cursor.from = next;
  return report;
}

/**
 * Brings registrations from the routing chain to `target` when the routing chain holds a newer
 * version than the target has synced. Returns the chains updated.
 */
export async function syncRoutes(xroute: ChainEndpoint, target: ChainEndpoint, tracksValidators = false, signal?: AbortSignal): Promise<string[]> {
  const chains = (await xroute.state('xroute/chains') as string[] | null) ?? [];
  const stale: string[] = [];
  for (const c of chains) {
    const theirs = await xroute.state(`xroute/routes/${c}`) as { version?: number } | null;
    const mine = await target.state(`xchain/route/${c}`) as { version?: number } | null;
    if (theirs && (!mine || (mine.version ?? 0) < (theirs.version ?? 0))) stale.push(c);
  }
  if (!stale.length) return [];
  const h = await xroute.height();
  const keys = stale.map((c) => `xroute/routes/${c}`);
  const b = await xroute.proof(h, tracksValidators ? [...keys, SCHEDULE_KEY] : keys);
  const routes = stale.map((c) => {
    const p = b.proofs.find((x) => x.key === `xroute/routes/${c}`)!;
    return { chain: c, value: p.value, proof: asJson(p.proof) };
  });
  const r = await target.call('xchain', 'syncRoutes', { proof: asJson(headerProofOf(b, tracksValidators)), routes }, signal);
  if (r.status !== 'ok') throw new Error(`syncRoutes on ${target.id}: ${r.code}: ${r.message}`);
  return stale;
}
