/**
 * State layout of the governance module. `govKey` gives keys inside the module's namespace (what
 * the module itself reads and writes); `govStateKey` gives full chain state keys
 * (`governance/…`), what readers pass to a chain's getState.
 */
export const GOVERNANCE_MODULE = 'governance';

export const govKey = {
  meta: (): string => 'meta',
  policy: (): string => 'policy',
  /** Sorted array of member DIDs. */
  members: (): string => 'members',
  member: (did: string): string => `member/${did}`,
  /** Highest proposal id so far (ids start at 1). */
  proposalCount: (): string => 'proposal-count',
  proposal: (id: number): string => `proposal/${id}`,
  /** Ids of proposals still voting, ascending. */
  open: (): string => 'open',
  vote: (id: number, did: string): string => `vote/${id}/${did}`,
  /** The open proposal holding a subject (a chain, a member, the policy…); see subjectOf. */
  lock: (subject: string): string => `lock/${subject}`,
  /** Sorted array of registered chain ids. */
  chains: (): string => 'chains',
  chain: (id: string): string => `chain/${id}`,
  regulators: (): string => 'regulators',
  regulator: (did: string): string => `regulator/${did}`,
  gateways: (): string => 'gateways',
  gateway: (did: string): string => `gateway/${did}`,
  /** A freeze in force (FreezeRecord), by its key (runtime freezeKey). */
  freeze: (key: string): string => `freeze/${key}`,
  /** Sorted keys of the freezes in force (emergency ones may have lapsed). */
  freezes: (): string => 'freezes',
  /** Regulators asking for an emergency freeze (EmergencyRequest). */
  emergency: (key: string): string => `emergency/${key}`,
  /** The proposal that cited an alert as evidence (an alert backs one freeze at a time). */
  evidence: (alert: string): string => `evidence/${alert}`,
} as const;

const full = (k: string): string => `${GOVERNANCE_MODULE}/${k}`;

/** Full state keys: `governance/<key>`. */
export const govStateKey = {
  meta: (): string => full(govKey.meta()),
  policy: (): string => full(govKey.policy()),
  members: (): string => full(govKey.members()),
  member: (did: string): string => full(govKey.member(did)),
  proposalCount: (): string => full(govKey.proposalCount()),
  proposal: (id: number): string => full(govKey.proposal(id)),
  open: (): string => full(govKey.open()),
  vote: (id: number, did: string): string => full(govKey.vote(id, did)),
  lock: (subject: string): string => full(govKey.lock(subject)),
  chains: (): string => full(govKey.chains()),
  chain: (id: string): string => full(govKey.chain(id)),
  regulators: (): string => full(govKey.regulators()),
  regulator: (did: string): string => full(govKey.regulator(did)),
  gateways: (): string => full(govKey.gateways()),
  gateway: (did: string): string => full(govKey.gateway(did)),
  freeze: (key: string): string => full(govKey.freeze(key)),
  freezes: (): string => full(govKey.freezes()),
  emergency: (key: string): string => full(govKey.emergency(key)),
  evidence: (alert: string): string => full(govKey.evidence(alert)),
} as const satisfies { [K in keyof typeof govKey]: (typeof govKey)[K] };
