/**
 * What simulated blocks did, read from their writes (issue #24 item 2): the state diff by
 * module, settlement balance changes per DID and currency, and the cross-chain packets that
 * would be sent.
 */
import type { JsonValue } from '../codec/index.ts';
import type { BalanceChange, SimPacket, StateChange } from '../sdk/index.ts';

/** Keys listed per module in a diff; the rest are counted. */
export const MAX_DIFF_KEYS = 200;

/** A block's writes with what each key held before it. */
export interface BlockWrites {
  chain: string;
  writes: ReadonlyMap<string, string | null>;
  before(key: string): string | undefined;
}

const parse = (json: string | null | undefined): JsonValue | null => (json === null || json === undefined ? null : (JSON.parse(json) as JsonValue));

/** `settlement/acct/<currency>/<account>` */
const ACCOUNT_RE = /^settlement\/acct\/([^/]+)\/(.+)$/;
/** `xchain/out/<dst>/<seq>` */
const PACKET_RE = /^xchain\/out\/([^/]+)\/(\d+)$/;

export interface Effects {
  stateDiff: Record<string, Record<string, { changes: StateChange[]; truncated: number }>>;
  balances: BalanceChange[];
  packets: SimPacket[];
}

/**
 * The effects of a run of blocks on several chains; a key written by several blocks counts once,
 * from its value before the first to its value after the last.
 */
export function effectsOf(blocks: BlockWrites[]): Effects {
  const first = new Map<string, Map<string, string | undefined>>();
  const last = new Map<string, Map<string, string | null>>();
  for (const b of blocks) {
    const f = first.get(b.chain) ?? new Map<string, string | undefined>();
    const l = last.get(b.chain) ?? new Map<string, string | null>();
    first.set(b.chain, f);
    last.set(b.chain, l);
    for (const [k, v] of b.writes) {
      if (!f.has(k)) f.set(k, b.before(k));
      l.set(k, v);
    }
  }
  const out: Effects = { stateDiff: {}, balances: [], packets: [] };
  for (const [chain, l] of last) {
    const f = first.get(chain)!;
    const byModule: Effects['stateDiff'][string] = {};
    for (const [key, after] of [...l].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const before = f.get(key);
      if ((before ?? null) === after) continue;
      const mod = key.split('/')[0]!;
      const entry = (byModule[mod] ??= { changes: [], truncated: 0 });
      if (entry.changes.length < MAX_DIFF_KEYS) entry.changes.push({ key, before: parse(before), after: parse(after) });
      else entry.truncated++;
      const acct = ACCOUNT_RE.exec(key);
      if (acct) {
        const b = balanceOf(before);
        const a = balanceOf(after);
        if (a !== b) out.balances.push({ chain, currency: acct[1]!, did: acct[2]!, before: b.toString(), after: a.toString(), delta: (a - b).toString() });
      }
      const pkt = PACKET_RE.exec(key);
      if (pkt && before === undefined && after !== null) out.packets.push({ chain, dstChain: pkt[1]!, sequence: Number(pkt[2]), packet: parse(after) });
    }
    if (Object.keys(byModule).length > 0) out.stateDiff[chain] = byModule;
  }
  return out;
}

function balanceOf(json: string | null | undefined): bigint {
  const rec = parse(json) as { balance?: unknown } | null;
  return typeof rec?.balance === 'string' && /^-?[0-9]+$/.test(rec.balance) ? BigInt(rec.balance) : 0n;
}
