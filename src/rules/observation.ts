/**
 * What a rule looks at: one committed transaction with its receipt, as the variables its CEL
 * expressions see (docs/supervision.md#what-a-rule-sees).
 */
import type { JsonValue } from '../codec/index.ts';
import type { Block } from '../ledger/index.ts';

export interface Observation {
  chain: string;
  height: number;
  /** Block time, ms. */
  time: number;
  /** Position of the tx in its block. */
  index: number;
  hash: string;
  from: string;
  module: string;
  method: string;
  args: JsonValue;
  nonce: number;
  ok: boolean;
  /** The failure code of a failed tx; "" when it succeeded. */
  code: string;
  events: Array<{ module: string; type: string; data: JsonValue }>;
  result: JsonValue | null;
}

/** The observations of a committed block, in tx order. */
export function observationsOf(block: Block): Observation[] {
  const h = block.header;
  return block.txs.map((tx, i) => {
    const r = block.receipts[i]!;
    return {
      chain: h.chain, height: h.height, time: h.time, index: i, hash: r.tx, from: tx.from, module: tx.module, method: tx.method,
      args: tx.args, nonce: tx.nonce, ok: r.status === 'ok', code: r.code ?? '', events: r.events.map((e) => ({ module: e.module, type: e.type, data: e.data })),
      result: r.result ?? null,
    };
  });
}

/** Lists as rules see them: name → set of items (CEL `x in lists.name` is a key lookup). */
export type ListMaps = Record<string, Record<string, true>>;

/**
 * CEL values of an observation: whole JSON numbers become CEL ints (so `tx.nonce > 3` compares
 * ints), other numbers doubles; amounts written as strings stay strings (`int(tx.args.amount)`).
 */
export function activation(o: Observation, lists: ListMaps): Record<string, unknown> {
  return {
    chain: o.chain,
    height: BigInt(o.height),
    time: BigInt(o.time),
    index: BigInt(o.index),
    tx: { hash: o.hash, from: o.from, module: o.module, method: o.method, args: toCel(o.args), nonce: BigInt(o.nonce) },
    ok: o.ok,
    code: o.code,
    events: o.events.map((e) => ({ module: e.module, type: e.type, data: toCel(e.data) })),
    result: toCel(o.result),
    lists,
  };
}

function toCel(v: JsonValue | null | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x);
    return out;
  }
  return v;
}

/** The variables an expression may name. */
export const VARIABLES = ['chain', 'height', 'time', 'index', 'tx', 'ok', 'code', 'events', 'result', 'lists'] as const;
