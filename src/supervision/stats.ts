/**
 * Statistics per hour and per UTC day of block time (docs/supervision.md#statistics): txs per
 * chain, module and member organisation, failed txs, active DIDs, settled volume per currency,
 * cross-chain packets per route, alerts per severity. Computed from the same committed txs the
 * rules see, in the block's store transaction, so a block is counted once.
 */
import type { Observation } from '../rules/index.ts';
import type { Alert } from '../sdk/index.ts';

export const PERIODS = { hour: 3_600_000, day: 86_400_000 } as const;
export type Period = keyof typeof PERIODS;

export const bucketOf = (period: Period, time: number): number => Math.floor(time / PERIODS[period]) * PERIODS[period];
const pad = (n: number): string => String(n).padStart(15, '0');
export const statKey = (period: Period, bucket: number, series: string): string => `${period}|${pad(bucket)}|${series}`;

/** What one block adds: series deltas and the senders seen (active DIDs). */
export interface BlockStats {
  deltas: Map<string, bigint>;
  active: string[];
}

const MINOR_RE = /^[0-9]{1,38}$/;

export function blockStats(obs: Observation[], alerts: Alert[], members: ReadonlySet<string>, time: number): BlockStats {
  const deltas = new Map<string, bigint>();
  const active = new Set<string>();
  const add = (series: string, n: bigint): void => {
    for (const p of Object.keys(PERIODS) as Period[]) {
      const k = statKey(p, bucketOf(p, time), series);
      deltas.set(k, (deltas.get(k) ?? 0n) + n);
    }
  };
  for (const o of obs) {
    add(`tx|${o.chain}`, 1n);
    add(`module|${o.chain}|${o.module}`, 1n);
    if (!o.ok) add(`failed|${o.chain}`, 1n);
    if (members.has(o.from)) add(`org|${o.from}`, 1n);
    active.add(o.from);
    if (!o.ok) continue;
    if (o.module === 'settlement' && o.method === 'transfer') {
      const a = o.args as { currency?: unknown; amount?: unknown };
      if (typeof a.currency === 'string' && typeof a.amount === 'string' && MINOR_RE.test(a.amount)) add(`volume|${a.currency}`, BigInt(a.amount));
    }
    for (const e of o.events) {
      const d = e.data as Record<string, unknown> | null;
      if (e.module === 'settlement' && e.type === 'InstructionSettled' && d && typeof d.currency === 'string' && typeof d.total === 'string' && MINOR_RE.test(d.total)) {
        add(`volume|${d.currency}`, BigInt(d.total));
      } else if (e.module === 'xchain' && e.type === 'PacketSent' && d && typeof d.dstChain === 'string') {
        add(`xchain|${o.chain}|${d.dstChain.slice(0, 64)}`, 1n);
      }
    }
  }
  for (const a of alerts) add(`alerts|${a.severity}`, 1n);
  const out: string[] = [];
  for (const did of active) for (const p of Object.keys(PERIODS) as Period[]) out.push(`${p}|${pad(bucketOf(p, time))}|${did}`);
  return { deltas, active: out };
}
