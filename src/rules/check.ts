/**
 * A rule document checked whole: its shape (spec.ts), then each expression parsed and bounded
 * (expr.ts). The `supervision` module runs this when a rule is published, so a rule that does
 * not parse or could run unbounded never reaches the chain; the rule engine runs it again to get
 * the compiled expressions.
 */
import { ShulianError } from '../codec/index.ts';
import { compileExpr, type Expr } from './expr.ts';
import { RULE_LIMITS, ruleSpecSchema, type RuleSpec } from './spec.ts';

export type CompiledRule = {
  spec: RuleSpec;
} & (
  | { kind: 'match'; when: Expr }
  | { kind: 'window'; when: Expr; by: Expr; sum?: Expr; over: bigint; windowMs: number }
  | { kind: 'sequence'; first: Expr; then: Expr; by: Expr; withinBlocks: number }
  | { kind: 'deploy' }
  | { kind: 'template' }
);

/** Parses a rule document; RULE_INVALID names the field that is wrong and what it must be. */
export function parseRuleSpec(raw: unknown): RuleSpec {
  const r = ruleSpecSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length > 0 ? `rule.${issue.path.join('.')}` : 'rule';
  throw new ShulianError('RULE_INVALID', `${at}: ${issue.message}`);
}

/** Checks a rule document and compiles its expressions; throws RULE_INVALID, RULE_EXPR_INVALID or RULE_UNBOUNDED. */
export function checkRule(raw: unknown): CompiledRule {
  const spec = parseRuleSpec(raw);
  switch (spec.kind) {
    case 'match':
      return { spec, kind: 'match', when: compileExpr(spec.when, 'rule.when') };
    case 'window': {
      const over = BigInt(spec.over);
      if (spec.sum === undefined && over > BigInt(RULE_LIMITS.countOver)) {
        throw new ShulianError('RULE_UNBOUNDED', `rule.over: a count window goes up to ${RULE_LIMITS.countOver} txs per key; use a threshold below that, or a shorter window`);
      }
      return {
        spec, kind: 'window', when: compileExpr(spec.when, 'rule.when'), by: compileExpr(spec.by, 'rule.by'),
        ...(spec.sum !== undefined ? { sum: compileExpr(spec.sum, 'rule.sum') } : {}), over, windowMs: spec.windowMs,
      };
    }
    case 'sequence':
      return {
        spec, kind: 'sequence', first: compileExpr(spec.first, 'rule.first'), then: compileExpr(spec.then, 'rule.then'),
        by: compileExpr(spec.by, 'rule.by'), withinBlocks: spec.withinBlocks,
      };
    case 'deploy':
      return { spec, kind: 'deploy' };
    case 'template':
      return { spec, kind: 'template' };
  }
}
