/**
 * Packets between chains of one fork (issue #24 item 1: "a fork of several chains together so
 * cross-chain packets between them are simulated too"). A simulated block has no light-client
 * proof, so a fork's chains get a simulation-only relay: the fork's executor runs xchain with
 * two extra methods that take packets straight from the other fork's state — `simDeliver` runs
 * xchain's own receive (port binding, sandbox path, channel policy, freezes, the port's
 * onRecvPacket) and `simSettle` its own settle (onAcknowledgementPacket / onTimeoutPacket).
 *
 * Only the relay blocks of a simulation run on that executor. The chain's executor, and so every
 * real tx and every simulated tx of a caller, has no such methods (METHOD_NOT_FOUND), and the
 * sender of relay txs is a name no DID can have.
 */
import { asJson, type JsonValue } from '../codec/index.ts';
import { chainIdSchema, z } from '../codec/schemas.ts';
import type { Executor, ModuleDef } from '../runtime/index.ts';
import { method } from '../runtime/index.ts';
import {
  MAX_BATCH, XCHAIN, deliverVerifiedPacket, isAck, packetSchema, portsOf, recvStateKey, settleSentPacket, xchainStateKey,
  type Ack, type Packet, type RecvRecord, type SendStatus,
} from '../modules/xchain/index.ts';
import type { SimDelivery } from '../sdk/index.ts';

/** The sender of relay txs: not a DID (no key, no admission), so nothing real can sign as it. */
export const SIM_RELAY = 'simulation:relay';
/** Relay rounds: packets the txs send, then packets their handlers send, … */
export const MAX_RELAY_ROUNDS = 4;
/** Packets delivered in one simulation, over all rounds. */
export const MAX_RELAYED = 256;

/** `xchain/out/<dst>/<seq>` */
const OUT_RE = /^xchain\/out\/([^/]+)\/(\d+)$/;

const settleItem = z.strictObject({
  sequence: z.number().int().min(1),
  ack: z.unknown().optional(),
  timeout: z.literal(true).optional(),
});

const relays = new WeakMap<Executor, Executor>();

/** The chain's executor with the relay methods added to its xchain module (cached per executor). */
export function relayExecutor(base: Executor): Executor {
  let ex = relays.get(base);
  if (!ex) {
    ex = base.withModules((mods) => mods.map((m) => (m.name === XCHAIN ? withRelay(m, mods) : m)));
    relays.set(base, ex);
  }
  return ex;
}

function withRelay(xchain: ModuleDef, mods: readonly ModuleDef[]): ModuleDef {
  const ports = portsOf(mods);
  return {
    ...xchain,
    methods: {
      ...xchain.methods,
      simDeliver: method({
        doc: 'Simulation only: receive packets of another chain of the same fork (no proof exists for a simulated block).',
        args: z.strictObject({ packets: z.array(packetSchema).min(1).max(MAX_BATCH) }),
        gas: 5_000,
        run: (ctx, a): JsonValue => (a.packets as Packet[]).map((p) => ({ sequence: p.sequence, result: deliverVerifiedPacket(ctx, ports, p, 0) })),
      }),
      simSettle: method({
        doc: 'Simulation only: acknowledgements or timeouts of packets this chain sent to another chain of the same fork.',
        args: z.strictObject({ dst: chainIdSchema, items: z.array(settleItem).min(1).max(MAX_BATCH) }),
        gas: 5_000,
        run: (ctx, a): JsonValue => a.items.map((it) => ({
          sequence: it.sequence,
          result: settleSentPacket(ctx, a.dst, it.sequence, it.timeout ? { timeout: true } : { ack: it.ack as Ack }, 0),
        })),
      }),
    },
  };
}

/** Packets a block sent: new `xchain/out/` keys in its writes. */
export function packetsSent(writes: ReadonlyMap<string, string | null>, before: (key: string) => string | undefined): Packet[] {
  const out: Packet[] = [];
  for (const [key, v] of writes) {
    if (v === null || !OUT_RE.test(key) || before(key) !== undefined) continue;
    out.push(JSON.parse(v) as Packet);
  }
  return out.sort((a, b) => (a.dstChain < b.dstChain ? -1 : a.dstChain > b.dstChain ? 1 : a.sequence - b.sequence));
}

/** What the relay needs of a simulation: run a relay tx as a block on a chain of the fork. */
export interface RelayHost {
  /** Whether the fork holds `chain` and it runs xchain. */
  holds(chain: string): boolean;
  /** Runs one relay call as a block on `chain`; its receipt and writes. */
  run(chain: string, method: 'simDeliver' | 'simSettle', args: JsonValue): Promise<{ height: number; status: 'ok' | 'failed'; error?: string; writes: ReadonlyMap<string, string | null>; before: (key: string) => string | undefined }>;
  timedOut(): boolean;
}

/**
 * Delivers `first` (and what their handlers send in turn, up to MAX_RELAY_ROUNDS) between the
 * fork's chains: per round, one receiving block on each destination, then one settling block on
 * each source. Packets to chains outside the fork are left as sent.
 */
export async function relayPackets(host: RelayHost, first: Packet[]): Promise<SimDelivery[]> {
  const done: SimDelivery[] = [];
  let pending = first.filter((p) => host.holds(p.dstChain) && host.holds(p.srcChain));
  for (let round = 1; round <= MAX_RELAY_ROUNDS && pending.length > 0; round++) {
    if (host.timedOut()) break;
    const next: Packet[] = [];
    const byDst = group(pending.slice(0, MAX_RELAYED - done.length), (p) => p.dstChain);
    const toSettle = new Map<string, Map<string, Array<{ sequence: number; ack?: JsonValue; timeout?: true; d: SimDelivery }>>>();
    for (const [dst, packets] of byDst) {
      for (let i = 0; i < packets.length; i += MAX_BATCH) {
        const batch = packets.slice(i, i + MAX_BATCH);
        const r = await host.run(dst, 'simDeliver', { packets: batch.map((p) => asJson(p)) });
        next.push(...packetsSent(r.writes, r.before).filter((p) => host.holds(p.dstChain)));
        for (const p of batch) {
          const d: SimDelivery = { srcChain: p.srcChain, dstChain: dst, sequence: p.sequence, srcPort: p.srcPort, dstPort: p.dstPort, round, status: 'failed' };
          done.push(d);
          if (r.status !== 'ok') {
            d.error = r.error ?? 'the receiving block failed';
            continue;
          }
          d.receivedAt = r.height;
          const rec = r.writes.get(recvStateKey(p.srcChain, p.sequence));
          const ack = rec ? (JSON.parse(rec) as RecvRecord).ack : undefined;
          const item = ack && isAck(ack) ? { sequence: p.sequence, ack: ack as JsonValue, d } : { sequence: p.sequence, timeout: true as const, d };
          d.status = 'ack' in item ? 'received' : 'expired';
          if ('ack' in item) d.ack = item.ack;
          const bySrc = toSettle.get(p.srcChain) ?? new Map();
          toSettle.set(p.srcChain, bySrc);
          bySrc.set(dst, [...(bySrc.get(dst) ?? []), item]);
        }
      }
    }
    for (const [src, byDst2] of toSettle) {
      for (const [dst, items] of byDst2) {
        const r = await host.run(src, 'simSettle', { dst, items: items.map(({ d: _d, ...it }) => it as JsonValue) });
        next.push(...packetsSent(r.writes, r.before).filter((p) => host.holds(p.dstChain)));
        for (const { sequence, d } of items) {
          if (r.status !== 'ok') {
            d.error = r.error ?? 'the settling block failed';
            continue;
          }
          d.settledAt = r.height;
          const st = r.writes.get(xchainStateKey.st(dst, sequence));
          const cb = st ? (JSON.parse(st) as SendStatus).callbackError : undefined;
          if (cb) d.error = cb;
        }
      }
    }
    pending = next;
  }
  return done;
}

function group<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}
