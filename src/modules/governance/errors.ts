/** Codes the governance module rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const GOVERNANCE_MODULE_ERRORS = {
  GOV_ADMISSION_INVALID: 'a chain\'s admission policy is not valid',
  GOV_ALLIANCE_MISMATCH: 'the proposed genesis names another alliance than this governance chain\'s',
  GOV_ALREADY_INITIALIZED: 'governance was initialised already; init works once',
  GOV_ALREADY_FROZEN: 'the party is already frozen (by vote or by an emergency freeze)',
  GOV_ALREADY_VOTED: 'the member already voted on the proposal (or the regulator already asked for this emergency freeze); votes are final',
  GOV_CHAIN_EXISTS: 'the chain id is taken (or listed twice)',
  GOV_CHAIN_NOT_FOUND: 'no chain with that id in the alliance registry',
  GOV_CHAIN_STATUS: 'the chain\'s status does not allow this (e.g. it is retired)',
  GOV_CONFIG_INVALID: 'the governance module was built with an invalid configuration',
  GOV_EVIDENCE_USED: 'the alert cited as evidence already backs an open or approved freeze proposal (a replayed proposal)',
  GOV_EFFECTIVE_HEIGHT_TOO_EARLY: 'a change\'s effective height is too early for the policy',
  GOV_GENESIS_INVALID: 'the proposed genesis is not valid',
  GOV_LAST_OPERATOR: 'the alliance\'s only operator cannot be removed',
  GOV_MEMBER_EXISTS: 'the DID is already a member',
  GOV_MEMBER_NOT_FOUND: 'the DID is not a member',
  GOV_MODULE_DUPLICATE: 'a genesis lists a module twice',
  GOV_MODULE_NOT_ALLOWED: 'a business chain cannot run the governance module',
  GOV_MODULE_UNKNOWN: 'the alliance policy does not allow that module on business chains',
  GOV_NOT_ELIGIBLE: 'the member\'s roles do not let it vote on this kind of proposal',
  GOV_NOT_FOUNDER: 'only a configured founder may initialise governance',
  GOV_NOT_INITIALIZED: 'governance is not initialised yet',
  GOV_NOT_FROZEN: 'the party is not frozen; nothing to unfreeze',
  GOV_NOT_MEMBER: 'the sender is not a member of the alliance',
  GOV_NOT_SANDBOX: 'the chain is not a sandbox chain; only a sandbox chain can be promoted',
  GOV_NOT_REGULATOR: 'the sender is not a registered regulator',
  GOV_NOT_VALIDATOR: 'the sender is neither a validator nor the owner of the chain',
  GOV_NO_ELECTORATE: 'no member holds a role that may vote on this kind of proposal',
  GOV_OUT_OF_SCOPE: 'the party is outside the regulator\'s scope (its chains; "*" for alliance-wide parties)',
  GOV_OWNER_NOT_MEMBER: 'the chain owner is not a member of the alliance',
  GOV_PAYLOAD_INVALID: 'a proposal\'s or call\'s payload is not valid',
  GOV_POLICY_FLOOR: 'the policy would lower the set-policy thresholds below their floor',
  GOV_POLICY_INVALID: 'the proposed policy is not valid',
  GOV_POLICY_UNCHANGED: 'the proposed policy is the current one',
  GOV_PROPOSAL_CLOSED: 'the proposal is closed; votes are no longer taken',
  GOV_PROPOSAL_NOT_FOUND: 'no proposal with that number',
  GOV_ROLE_FORBIDDEN: 'the policy does not let the sender\'s roles propose this kind',
  GOV_SANDBOX_ROUTE: 'a route would connect a sandbox chain with a production chain; promote the sandbox chain first',
  GOV_SOLO_VALIDATORS: 'solo consensus runs exactly one validator',
  GOV_SUBJECT_BUSY: 'another open proposal is about the same subject',
  GOV_TBFT_TOO_FEW_VALIDATORS: 'tbft needs at least 4 validators (3f+1)',
  GOV_TOO_MANY_OPEN: 'the sender has as many open proposals as the policy allows',
  GOV_VALIDATORS_EMPTY: 'a chain needs at least one validator',
  GOV_VALIDATORS_UNCHANGED: 'the proposed validator set is the current one',
  GOV_VALIDATOR_DUPLICATE: 'a validator is listed twice',
  GOV_VALIDATOR_KEY_MISMATCH: 'a validator\'s DID is not the DID of its public key',
  GOV_VALIDATOR_KEY_SUITE: 'a validator\'s key is not of the chain\'s signature suite',
  GOV_VOTING_ENDED: 'voting on the proposal has ended; close it',
  GOV_VOTING_OPEN: 'voting on the proposal is still open; it cannot be closed yet',
} as const satisfies ErrorList;

export type GovernanceModuleErrorCode = keyof typeof GOVERNANCE_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof GOVERNANCE_MODULE_ERRORS, 'modules/governance'> {}
}
