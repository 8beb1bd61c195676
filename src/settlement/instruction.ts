/**
 * Settlement instructions as clients build them, and the bridge from a lex contract's
 * settlements (src/lex: pay / split / withhold) to the settlement module's instruction.
 */
import { ShulianError } from '../codec/index.ts';
import type { InstructionInput } from '../modules/settlement/types.ts';

export type { InstructionInput } from '../modules/settlement/types.ts';

/** A lex settlement (src/lex Settlement), structurally. */
export type LexSettlement =
  | { kind: 'pay'; from: string; to: string; amount: { currency: string; minor: number }; idempotencyKey: string }
  | { kind: 'split'; from: string; amount: { currency: string; minor: number }; shares: Array<{ to: string; amount: { currency: string; minor: number } }>; idempotencyKey: string }
  | { kind: 'withhold'; from: string; to: string; amount: { currency: string; minor: number }; idempotencyKey: string };

/**
 * The instruction for a lex settlement. The contract already divided a split (with its own
 * rounding), so its parts become explicit payments; tax applies by `taxCategory`.
 */
export function instructionFromLex(s: LexSettlement, opts: { taxCategory?: string; onInsufficientFunds?: 'wait' | 'fail'; service?: InstructionInput['service'] } = {}): InstructionInput {
  const base = {
    idempotencyKey: s.idempotencyKey.replace(/[^A-Za-z0-9._:\-]/g, '_').slice(0, 128),
    payer: s.from,
    currency: s.amount.currency,
    onInsufficientFunds: opts.onInsufficientFunds ?? 'wait',
    ...(opts.taxCategory ? { taxCategory: opts.taxCategory } : {}),
    ...(opts.service ? { service: opts.service } : {}),
  } as const;
  if (s.kind === 'split') {
    const payments = s.shares.filter((x) => x.amount.minor > 0).map((x) => ({ to: x.to, amount: String(x.amount.minor) }));
    if (payments.length === 0) throw new ShulianError('BAD_INSTRUCTION', 'the split pays nobody');
    return { ...base, payments };
  }
  return { ...base, payments: [{ to: s.to, amount: String(s.amount.minor) }] };
}
