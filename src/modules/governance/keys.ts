import { fullKeys, stateKey } from '../../codec/index.ts';
import type { RouteSpec, ChainRecord, EmergencyRequest, FreezeRecord, Gateway, GovernanceMeta, Member, OpenEntry, Policy, Proposal, Regulator, VoteRecord } from './types.ts';

/**
 * State layout of the governance module, each key with the record it holds. `govKey` gives keys
 * inside the module's namespace (what the module itself reads and writes); `govStateKey` gives
 * full chain state keys (`governance/…`), what readers pass to a chain's getState.
 */
export const GOVERNANCE_MODULE = 'governance';

export const govKey = {
  meta: () => stateKey<GovernanceMeta>('meta'),
  policy: () => stateKey<Policy>('policy'),
  /** Sorted array of member DIDs. */
  members: () => stateKey<string[]>('members'),
  member: (did: string) => stateKey<Member>(`member/${did}`),
  /** Highest proposal id so far (ids start at 1). */
  proposalCount: () => stateKey<number>('proposal-count'),
  proposal: (id: number) => stateKey<Proposal>(`proposal/${id}`),
  /** Proposals still voting, ascending by id. */
  open: () => stateKey<OpenEntry[]>('open'),
  vote: (id: number, did: string) => stateKey<VoteRecord>(`vote/${id}/${did}`),
  /** The open proposal holding a subject (a chain, a member, the policy…); see subjectOf. */
  lock: (subject: string) => stateKey<number>(`lock/${subject}`),
  /** Sorted array of registered chain ids. */
  chains: () => stateKey<string[]>('chains'),
  chain: (id: string) => stateKey<ChainRecord>(`chain/${id}`),
  regulators: () => stateKey<string[]>('regulators'),
  regulator: (did: string) => stateKey<Regulator>(`regulator/${did}`),
  gateways: () => stateKey<string[]>('gateways'),
  gateway: (did: string) => stateKey<Gateway>(`gateway/${did}`),
  /** A freeze in force, by its key (runtime freezeKey). */
  freeze: (key: string) => stateKey<FreezeRecord>(`freeze/${key}`),
  /** Sorted keys of the freezes in force (emergency ones may have lapsed). */
  freezes: () => stateKey<string[]>('freezes'),
  /** Regulators asking for an emergency freeze. */
  emergency: (key: string) => stateKey<EmergencyRequest>(`emergency/${key}`),
  /** The last route approved for a chain (a promotion re-issues it without the sandbox label). */
  route: (chain: string) => stateKey<RouteSpec>(`route/${chain}`),
  /** The proposal that cited an alert as evidence (an alert backs one freeze at a time). */
  evidence: (alert: string) => stateKey<number>(`evidence/${alert}`),
};

/** Full state keys: `governance/<key>`. */
export const govStateKey = fullKeys(GOVERNANCE_MODULE, govKey);
