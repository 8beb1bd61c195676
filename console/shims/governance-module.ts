/**
 * What the governance readers (src/governance/readers.ts) take from the governance module, without
 * the module's execution code (runtime, ledger store): its plain types and state keys.
 */
export * from '../../src/modules/governance/types.ts';
export { GOVERNANCE_MODULE, govKey, govStateKey } from '../../src/modules/governance/keys.ts';
