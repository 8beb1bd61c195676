/**
 * ODRL 2.2 for Shulian: policy checking and one deterministic evaluator, shared by the chain's
 * dataauth module, the API and the console (browser-safe: no Node APIs). See docs/data.md.
 */
export { ODRL_ERRORS, type OdrlErrorCode } from './errors.ts';
export {
  parsePolicy, parseDateTimeMs, ODRL_CONTEXT, POLICY_LIMITS,
  type Policy, type PolicyType, type Rule, type Duty, type Constraint, type AtomicConstraint, type LogicalConstraint, type Operand, type ConflictStrategy,
} from './policy.ts';
export { evaluate, satisfied, countLimit, type UseRequest, type Decision, type DenyCode } from './evaluate.ts';
export {
  ACTION_PARENT, OPERATORS, LEFT_OPERANDS, DPV_PURPOSES, DPV_NS, ODRL_NS, actionName, actionCovers, purposeName, purposeIsA,
  type Operator, type LeftOperand,
} from './vocab.ts';
