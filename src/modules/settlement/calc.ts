/**
 * Pure money arithmetic of the settlement module, shared with the off-chain side (invoices,
 * statements, the SDK): integer minor units as bigint, amounts in state and JSON as strings of
 * decimal digits. No floats anywhere.
 */
import { canonicalize } from '../../codec/index.ts';
import { sm3 } from '../../crypto/index.ts';
import { toHex } from '../../codec/index.ts';

/** A non-negative amount in minor units as written in args and state: decimal digits, no sign, no leading zeros. */
export const AMOUNT_RE = /^(0|[1-9][0-9]{0,30})$/;
/** A signed balance in minor units. */
export const SIGNED_RE = /^(0|-?[1-9][0-9]{0,31})$/;
/** ISO 4217 alphabetic code. */
export const CURRENCY_RE = /^[A-Z]{3}$/;
/** 10 000 basis points = 100 %. */
export const BP_WHOLE = 10_000n;

export function parseAmount(v: string | number, what = 'amount'): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative whole number of minor units`);
    return BigInt(v);
  }
  if (!AMOUNT_RE.test(v)) throw new RangeError(`${what} must be decimal digits of minor units, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** a / b rounded half up (a ≥ 0, b > 0). */
export function divHalfUp(a: bigint, b: bigint): bigint {
  return (2n * a + b) / (2n * b);
}

/**
 * Splits `total` by integer shares (basis points or plain units): each part is total × share /
 * Σshares rounded down; the remainder (fewer minor units than there are parts) goes one minor unit
 * at a time to the parts with a non-zero share, in the order listed. The parts always add up to
 * the total. The same rule as a lex `split`.
 */
export function splitByShares(total: bigint, shares: bigint[]): bigint[] {
  const sum = shares.reduce((a, b) => a + b, 0n);
  if (sum <= 0n) throw new RangeError('the shares add up to zero');
  const parts = shares.map((s) => (total * s) / sum);
  let left = total - parts.reduce((a, b) => a + b, 0n);
  for (let i = 0; left > 0n; i = (i + 1) % shares.length) {
    if (shares[i] === 0n) continue;
    parts[i] = parts[i]! + 1n;
    left--;
  }
  return parts;
}

/**
 * Progressive tiers: the part of `total` in each band (above the previous band's `upTo`, up to
 * this band's `upTo`; the last band may be open) is split by that band's shares.
 * Returns per band the amounts of its shares.
 */
export function splitByTiers(total: bigint, tiers: Array<{ upTo?: bigint; shares: bigint[] }>): bigint[][] {
  let prev = 0n;
  return tiers.map((t, i) => {
    const top = t.upTo ?? (i === tiers.length - 1 ? total : prev);
    const band = total > prev ? (total < top ? total : top) - prev : 0n;
    prev = top;
    return band > 0n ? splitByShares(band, t.shares) : t.shares.map(() => 0n);
  });
}

/**
 * Tax in a tax-inclusive gross amount at `bp` basis points of the net: net = gross × 10000 /
 * (10000 + bp) rounded half up, tax = gross − net. So net + tax = gross exactly, and tax equals
 * net × rate to within one minor unit (what an invoice's TaxSubtotal states).
 */
export function taxIn(gross: bigint, bp: bigint): { net: bigint; tax: bigint } {
  if (bp === 0n) return { net: gross, tax: 0n };
  const net = divHalfUp(gross * BP_WHOLE, BP_WHOLE + bp);
  return { net, tax: gross - net };
}

/** Period id of a block time: its UTC calendar day, YYYY-MM-DD. */
export function periodOf(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

export const PERIOD_RE = /^\d{4}-\d{2}-\d{2}$/;

/** First ms after a period (UTC day). */
export function periodEnd(period: string): number {
  const t = Date.parse(`${period}T00:00:00.000Z`);
  if (!PERIOD_RE.test(period) || Number.isNaN(t)) throw new RangeError(`period must be a UTC day YYYY-MM-DD, got ${JSON.stringify(period)}`);
  return t + 86_400_000;
}

export const ZERO_HASH = '0'.repeat(64);

export function sm3Hex(s: string): string {
  return toHex(sm3(new TextEncoder().encode(s)));
}

/**
 * The running hash of an account's entries within a period: each entry the account takes part
 * in extends it with the entry number and the account's signed change in that entry.
 */
export function chainEntryHash(prev: string, n: number, delta: bigint): string {
  return sm3Hex(`${prev}:${n}:${delta.toString()}`);
}

/** Hash of a statement summary (canonical JSON, SM3): what the chain records and a proof shows. */
export function statementHash(summary: object): string {
  return sm3Hex(canonicalize(summary as never));
}

/**
 * Id of an instruction: its idempotency key is scoped by payer and by where it came from (the
 * payer itself, or one contract on one chain and port), so the same key from the same place is
 * the same instruction.
 */
export function instructionIdOf(origin: { chain: string; port: string; contract: string } | undefined, payer: string, key: string): string {
  const scope = origin ? `xchain:${origin.chain}/${origin.port}/${origin.contract}` : 'direct';
  return sm3Hex(canonicalize([scope, payer, key]));
}
