/**
 * rules — the supervision rule language (docs/supervision.md#rules): rule documents whose
 * conditions are bounded CEL expressions over one committed transaction. Pure: the
 * `supervision` module checks rules with it when they are published, the rule engine
 * (src/supervision) evaluates them, the console can check a draft before signing it.
 */
export { RULES_ERRORS, type RulesErrorCode } from './errors.ts';
export {
  LIST_NAME_RE, MAX_LIST_ITEMS, RULE_KINDS, RULE_LIMITS, SEVERITIES, ruleIdSchema, ruleScopeSchema, ruleSpecSchema,
  type RuleKind, type RuleScope, type RuleSpec, type SequenceSpec, type Severity, type WindowSpec,
} from './spec.ts';
export { compileExpr, type Expr } from './expr.ts';
export { checkRule, parseRuleSpec, type CompiledRule } from './check.ts';
export { VARIABLES, activation, observationsOf, type ListMaps, type Observation } from './observation.ts';
