/**
 * The supervision rule document (docs/supervision.md#rules): what a regulator publishes on the
 * `supervision` module. A rule is JSON; its conditions, keys and amounts are CEL expressions
 * (expr.ts) over one committed transaction (observation.ts). Plain data and zod schemas only.
 */
import { z } from '../codec/schemas.ts';
import { CHAIN_ID_RE } from '../codec/index.ts';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * - `match`: every committed tx for which `when` holds.
 * - `window`: per chain and per value of `by`, the count (or the sum of `sum`) of txs for which
 *   `when` holds within the last `windowMs` of block time; raised when it goes above `over`.
 * - `sequence`: a tx for which `first` holds, then, on the same chain within `withinBlocks`
 *   blocks, a tx for which `then` holds, both with the same value of `by`.
 * - `deploy`: an EVM contract deployed whose init code no regulator approved.
 * - `template`: a lex contract drafted from a template no regulator approved.
 */
export const RULE_KINDS = ['match', 'window', 'sequence', 'deploy', 'template'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** Bounds of what a rule may ask for (docs/supervision.md#bounds). */
export const RULE_LIMITS = {
  /** Characters of one expression. */
  exprChars: 1_000,
  /** AST nodes of one expression (macros expanded). */
  exprNodes: 200,
  /** Nesting depth of one expression. */
  exprDepth: 24,
  /** Longest window: seven days of block time. */
  windowMs: 7 * 24 * 3_600_000,
  /** Most blocks between the two txs of a sequence. */
  withinBlocks: 100_000,
  /** A count window's threshold stays below what one key's window holds (window.ts). */
  countOver: 9_999,
  /** Chains or modules one rule names. */
  scopeItems: 64,
} as const;

const RULE_ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const ruleIdSchema = z.string().regex(RULE_ID_RE, 'a rule id: 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit');
const expr = (what: string) => z.string().min(1, `${what} is empty`).max(RULE_LIMITS.exprChars, `${what} is longer than ${RULE_LIMITS.exprChars} characters`);
const chainOrAll = z.string().refine((s) => s === '*' || CHAIN_ID_RE.test(s), 'a chain id, or "*" for every chain in the regulator\'s scope');
const moduleName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a module name');

export const ruleScopeSchema = z.strictObject({
  chains: z.array(chainOrAll).min(1).max(RULE_LIMITS.scopeItems),
  /** Only txs calling these modules; all when absent. */
  modules: z.array(moduleName).min(1).max(RULE_LIMITS.scopeItems).optional(),
});
export type RuleScope = z.infer<typeof ruleScopeSchema>;

const common = {
  id: ruleIdSchema,
  title: z.string().min(1).max(200),
  titleZh: z.string().min(1).max(200).optional(),
  description: z.string().max(2_000).optional(),
  severity: z.enum(SEVERITIES, `severity must be one of ${SEVERITIES.join(', ')}`),
  scope: ruleScopeSchema,
};

export const ruleSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...common, kind: z.literal('match'), when: expr('when') }),
  z.strictObject({
    ...common, kind: z.literal('window'), when: expr('when'), by: expr('by'), sum: expr('sum').optional(),
    over: z.string().regex(/^(0|[1-9][0-9]{0,30})$/, 'over is a whole number written in decimal digits (minor units for sums)'),
    windowMs: z.number().int().min(1_000, 'windowMs is at least 1000 (one second)').max(RULE_LIMITS.windowMs, `windowMs is at most ${RULE_LIMITS.windowMs} (seven days)`),
  }),
  z.strictObject({
    ...common, kind: z.literal('sequence'), first: expr('first'), then: expr('then'), by: expr('by'),
    withinBlocks: z.number().int().min(1).max(RULE_LIMITS.withinBlocks),
  }),
  z.strictObject({ ...common, kind: z.literal('deploy') }),
  z.strictObject({ ...common, kind: z.literal('template') }),
], { error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of ${RULE_KINDS.join(', ')}` : undefined) });

export type RuleSpec = z.infer<typeof ruleSpecSchema>;
export type WindowSpec = Extract<RuleSpec, { kind: 'window' }>;
export type SequenceSpec = Extract<RuleSpec, { kind: 'sequence' }>;

/** Names of regulator-kept lists (sanctioned DIDs…), read by rules as `lists.<name>`. */
export const LIST_NAME_RE = /^[a-z][a-z0-9_]{0,31}$/;
/** Most items one list holds. */
export const MAX_LIST_ITEMS = 1_000;
