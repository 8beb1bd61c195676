/**
 * Argument schemas of the settlement module's methods that clients build too: a settlement
 * instruction (what a lex contract or a payer submits) and the fields it is made of.
 */
import { didSchema, z } from '../../codec/schemas.ts';
import { AMOUNT_RE, CURRENCY_RE } from './calc.ts';

export const currencySchema = z.string().regex(CURRENCY_RE, 'an ISO 4217 code such as CNY');
const amountArg = z.union([
  z.string().regex(AMOUNT_RE, 'minor units as decimal digits, e.g. "12500" for 125.00'),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
]).transform((v) => BigInt(v));
/** Minor units, zero allowed (a faucet's allowance closes at "0"). */
export const amountSchema = amountArg;
export const positiveAmountSchema = amountArg.refine((v) => v > 0n, 'must be more than zero');
export const refSchema = z.string().regex(/^[A-Za-z0-9._:\-]{1,128}$/, '1–128 of A–Z a–z 0–9 . _ : -');
export const categorySchema = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a tax category such as "service"');
export const timeSchema = z.number().int().min(0).max(8_640_000_000_000_000);
export const memoSchema = z.string().min(1).max(256);
export const nameSchema = z.string().regex(/^[A-Za-z0-9._\-]{1,64}$/, '1–64 of A–Z a–z 0–9 . _ -');

export const serviceSchema = z.strictObject({
  description: z.string().min(1).max(200),
  quantity: z.number().int().min(1).max(1_000_000_000).optional(),
  unit: z.string().regex(/^[A-Z0-9]{1,3}$/, 'a UN/ECE rec 20 unit code such as C62').optional(),
});
export const shareSchema = z.strictObject({ to: didSchema, share: z.number().int().min(0).max(1_000_000_000), category: categorySchema.optional() });
export const instructionSchema = z.strictObject({
  idempotencyKey: refSchema,
  payer: didSchema,
  currency: currencySchema,
  total: positiveAmountSchema.optional(),
  payments: z.array(z.strictObject({ to: didSchema, amount: positiveAmountSchema, category: categorySchema.optional() })).min(1).max(32).optional(),
  split: z.union([
    z.strictObject({ by: z.enum(['bp', 'units']), shares: z.array(shareSchema).min(1).max(32) }),
    z.strictObject({ by: z.literal('tiers'), tiers: z.array(z.strictObject({ upTo: positiveAmountSchema.optional(), shares: z.array(shareSchema).min(1).max(32) })).min(1).max(8) }),
  ]).optional(),
  taxCategory: categorySchema.optional(),
  onInsufficientFunds: z.enum(['wait', 'fail']).default('fail'),
  waitUntil: timeSchema.optional(),
  service: serviceSchema.optional(),
  memo: memoSchema.optional(),
});
export type InstructionInput = z.input<typeof instructionSchema>;
export type Instruction = z.output<typeof instructionSchema>;
