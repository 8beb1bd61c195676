import type { RouteRecord } from '../xchain/types.ts';
/**
 * Types of the governance module (以链治链): what it keeps in state, what its transactions carry
 * and what its events say. Plain data only, so the SDK, the CLI and off-chain readers can import
 * this file without pulling in execution code.
 */
import type { ChainParams, Genesis, ValidatorInfo } from '../../ledger/index.ts';

/** Roles an organisation may hold in the alliance. */
export const ROLES = ['operator', 'member', 'regulator', 'gateway-operator', 'service-provider'] as const;
export type Role = (typeof ROLES)[number];

export const PROPOSAL_KINDS = [
  'admit-member', 'remove-member',
  'create-chain', 'suspend-chain', 'resume-chain', 'retire-chain', 'change-validators',
  'set-policy', 'register-regulator', 'register-gateway', 'register-route',
  'freeze', 'unfreeze', 'promote-chain',
] as const;
export type ProposalKind = (typeof PROPOSAL_KINDS)[number];

export const VOTE_CHOICES = ['yes', 'no', 'abstain'] as const;
export type VoteChoice = (typeof VOTE_CHOICES)[number];

/** Shares are integers in basis points: 10 000 = 100 %. */
export const BPS = 10_000;

/** The rules for one kind of proposal. */
export interface KindPolicy {
  /** Roles whose holders may make this kind of proposal. */
  proposers: Role[];
  /** Roles whose holders may vote on it: the electorate is fixed when the proposal is made. */
  voters: Role[];
  /** Share of the electorate that must vote (yes, no or abstain), in basis points, 1..10000. */
  quorumBps: number;
  /** Approved when yes × 10000 > thresholdBps × (yes + no); abstentions count only for quorum. 0..9999. */
  thresholdBps: number;
  /** Votes are taken while the chain height ≤ proposal height + votingPeriod (blocks). */
  votingPeriod: number;
}

/** The alliance policy (联盟策略). */
export interface Policy {
  kinds: Record<ProposalKind, KindPolicy>;
  /** Least number of blocks between a validator change's approval height and its effective height. */
  validatorChangeDelay: number;
  /** Most open proposals one proposer may have at a time. */
  maxOpenProposals: number;
  /** Modules a business chain may run (never "governance"). */
  modules: string[];
  /** Chain parameters a create-chain proposal may leave out. */
  chainParams: ChainParams;
  /**
   * Chains (or "*" for all) that accept only lex templates a regulator approved (contract
   * audit, docs/supervision.md#contract-audit). Absent: none.
   */
  templateAudit?: string[];
  /** Emergency freezes by regulators (docs/supervision.md#emergency-freezes). Absent: EMERGENCY_DEFAULTS. */
  emergency?: EmergencyPolicy;
  /**
   * Who may call what on business chains, by chain id (docs/permissions.md). A chain absent:
   * every admitted sender calls every method.
   */
  access?: Record<string, AccessRule[]>;
}

/**
 * One access rule of a business chain (docs/permissions.md): a call of `module`.`method` ("*" for
 * any) is allowed to a sender listed in `dids`, to any member organisation (`members`), or to a
 * member holding one of `roles`. The most specific rule matching a call decides; a rule naming no
 * one closes the call to everyone; a call no rule matches is open.
 */
export interface AccessRule {
  module: string;
  method: string;
  dids?: string[];
  members?: boolean;
  roles?: Role[];
}

/** How registered regulators freeze without a vote, for a bounded time. */
export interface EmergencyPolicy {
  /** Share of the registered regulators that must ask, in basis points (1..10000). */
  quorumBps: number;
  /** Governance blocks the freeze lasts unless a vote confirms it (1..100000). */
  maxBlocks: number;
}

/** A change to the policy: any subset of fields; kinds and chainParams are merged field by field, modules replaced. */
export interface PolicyPatch {
  templateAudit?: string[];
  /** Replaces the rules of each chain named; an empty list removes the chain's rules. */
  access?: Record<string, AccessRule[]>;
  emergency?: Partial<EmergencyPolicy>;
  kinds?: Partial<Record<ProposalKind, Partial<KindPolicy>>>;
  validatorChangeDelay?: number;
  maxOpenProposals?: number;
  modules?: string[];
  chainParams?: Partial<ChainParams>;
}

export interface MemberSpec {
  did: string;
  name: string;
  nameZh?: string;
  roles: Role[];
}

/** A member organisation, at state key `governance/member/<did>`. */
export interface Member extends MemberSpec {
  /** Height (on the governance chain) at which it was admitted. */
  admittedAt: number;
  admittedTime: number;
  /** The admitting proposal; 0 for the founding operator. */
  proposal: number;
}

/** Who may transact on a business chain. */
export type AdmissionPolicy =
  | { type: 'open' }
  | { type: 'members' }
  | { type: 'allowlist'; dids: string[] }
  | { type: 'credential'; credentialType: string; issuer: string };

export type ChainStatus = 'approved' | 'active' | 'suspended' | 'retired';

export type ChainReads = 'public' | 'members';

export interface ChainStatusEntry {
  status: ChainStatus;
  height: number;
  time: number;
  /** Proposal that caused it; 0 for a status not decided by vote (registration at init, activation). */
  proposal: number;
  /** The DID that reported an activation. */
  by?: string;
}

export interface ValidatorSetEntry {
  validators: ValidatorInfo[];
  /** Height on the chain itself from which this set validates (0 for the genesis set). */
  effectiveHeight: number;
  /** Governance-chain height at which the set was approved. */
  approvedHeight: number;
  proposal: number;
}

/** A chain in the alliance registry, at state key `governance/chain/<id>`. */
export interface ChainRecord {
  id: string;
  genesis: Genesis;
  /** The chain's own hash (SM3 on sm2 chains, SHA-256 on ed25519 chains) of the RFC 8785 canonical genesis: Chain.genesisHash. */
  genesisHash: string;
  owner: string;
  admission: AdmissionPolicy;
  /**
   * Who may read the chain through the API (docs/supervision.md#who-reads-a-chain): `public`
   * (absent) anyone; `members` its members by its admission policy, its owner and validators, its
   * gateways, the regulators whose scope covers it, and console operators.
   */
  reads?: ChainReads;
  status: ChainStatus;
  /** The create-chain proposal; 0 for a chain registered at bootstrap. */
  proposal: number;
  approvedAt: number;
  approvedTime: number;
  activatedAt?: number;
  /**
   * A sandbox chain (docs/governance.md#sandbox-chains): labelled everywhere, sandbox money only,
   * no cross-chain path to production chains. Removed by an approved `promote-chain` proposal.
   */
  sandbox?: true;
  /** The promote-chain proposal that made a sandbox chain a production chain, and when. */
  promoted?: { proposal: number; height: number; time: number };
  history: ChainStatusEntry[];
  /** Validator sets, oldest first; the last is the latest approved. */
  validators: ValidatorSetEntry[];
}

export interface RegulatorSpec {
  did: string;
  name: string;
  nameZh?: string;
  /** Chain ids the regulator observes, or ["*"] for every chain. */
  chains: string[];
  /** Modules whose txs it observes; absent = every module (docs/supervision.md#regulators). */
  modules?: string[];
  /**
   * Member organisations (DIDs) it observes: their txs, and the business chains they own.
   * Absent = every organisation.
   */
  orgs?: string[];
}

export interface Regulator extends RegulatorSpec {
  registeredAt: number;
  proposal: number;
}

/**
 * A chain's registration on the routing chain for cross-chain messages (see modules/xchain
 * RouteRecord): applied there by the routing chain's validators once approved here.
 */
export type RouteSpec = RouteRecord;

export interface GatewaySpec {
  did: string;
  name: string;
  /** Chain ids the gateway may relay for. */
  chains: string[];
}

export interface Gateway extends GatewaySpec {
  registeredAt: number;
  proposal: number;
}

/**
 * What a freeze names (docs/supervision.md#freezes): a DID (refused on every chain), an account on
 * a settlement chain (a DID's balance in one currency), a lex contract instance on a chain, or a
 * token (a settlement currency or xtransfer denomination) on a chain or on every chain ("*"), or an
 * EVM contract address on a chain running the `evm` module (docs/engines.md#freezing-an-evm-contract).
 */
export type FreezeTarget =
  | { type: 'did'; did: string }
  | { type: 'account'; chain: string; did: string; currency: string }
  | { type: 'contract'; chain: string; id: string }
  | { type: 'token'; chain: string; denom: string }
  /** An EVM contract of a chain running the `evm` module: `address` is 0x and 40 lowercase hex digits. */
  | { type: 'evm-contract'; chain: string; address: string };

/** Why a freeze was asked for: an alert of the supervision service and the txs it points at. */
export interface FreezeEvidence {
  /** The alert id (64 hex digits). */
  alert: string;
  rule?: string;
  version?: number;
  txs?: Array<{ chain: string; hash: string; height: number }>;
}

/** A freeze in force, at `governance/freeze/<key>` (key: runtime freezeKey of the target). */
export interface FreezeRecord {
  key: string;
  target: FreezeTarget;
  reason: string;
  /** The proposal that froze it, or (emergency) the proposal that would confirm it. */
  proposal: number;
  how: 'vote' | 'emergency';
  /** Governance height from which it applies. */
  since: number;
  /** Emergency: the last governance height at which it applies, unless the proposal confirms it. */
  until?: number;
  /** The regulators of an emergency freeze; the proposer of a voted one. */
  by: string[];
  evidence?: FreezeEvidence;
}

/** Regulators asking for an emergency freeze, at `governance/emergency/<key>`, until a quorum asked. */
export interface EmergencyRequest {
  key: string;
  target: FreezeTarget;
  reason: string;
  evidence?: FreezeEvidence;
  regulators: string[];
  startedAt: number;
  /** Requests older than this governance height start over. */
  expiresAt: number;
}

/** A genesis as proposed: fields the module can fill are optional. */
export interface GenesisDraft {
  chain: string;
  name: string;
  nameZh?: string;
  /** Must equal the governance chain's alliance when given. */
  alliance?: string;
  kind?: 'business';
  /** Start the chain in sandbox mode (docs/governance.md#sandbox-chains). */
  sandbox?: boolean;
  suite: Genesis['suite'];
  consensus: Genesis['consensus'];
  validators: ValidatorInfo[];
  modules: string[];
  /** Merged over the alliance's default parameters. */
  params?: Partial<ChainParams>;
  /** Defaults to the time of the block that records the proposal. */
  time?: number;
}

/** What `governance.propose` takes: the kind, an optional title and description, and the kind's fields. */
export type ProposalInput = { title?: string; description?: string } & (
  | { kind: 'admit-member'; member: MemberSpec }
  | { kind: 'remove-member'; did: string }
  | { kind: 'create-chain'; genesis: GenesisDraft; admission?: AdmissionPolicy; owner?: string; reads?: ChainReads }
  | { kind: 'suspend-chain' | 'resume-chain' | 'retire-chain' | 'promote-chain'; chain: string }
  | { kind: 'change-validators'; chain: string; validators: ValidatorInfo[]; effectiveHeight: number }
  | { kind: 'set-policy'; policy: PolicyPatch }
  | { kind: 'register-regulator'; regulator: RegulatorSpec }
  | { kind: 'register-gateway'; gateway: GatewaySpec }
  | { kind: 'register-route'; route: RouteSpec }
  | { kind: 'freeze' | 'unfreeze'; target: FreezeTarget; reason: string; evidence?: FreezeEvidence }
);

/** What a proposal will do, completed at proposal time so voters see exactly what they approve. */
export type ProposalPayload =
  | { kind: 'admit-member'; member: MemberSpec }
  | { kind: 'remove-member'; did: string }
  | { kind: 'create-chain'; genesis: Genesis; genesisHash: string; admission: AdmissionPolicy; owner: string; reads?: ChainReads }
  | { kind: 'suspend-chain' | 'resume-chain' | 'retire-chain' | 'promote-chain'; chain: string }
  | { kind: 'change-validators'; chain: string; validators: ValidatorInfo[]; effectiveHeight: number }
  /** The whole policy as it will be after the change. */
  | { kind: 'set-policy'; policy: Policy }
  | { kind: 'register-regulator'; regulator: RegulatorSpec }
  | { kind: 'register-gateway'; gateway: GatewaySpec }
  | { kind: 'register-route'; route: RouteSpec }
  /** `emergency`: the vote that confirms an emergency freeze by regulators. */
  | { kind: 'freeze'; target: FreezeTarget; reason: string; evidence?: FreezeEvidence; emergency?: boolean }
  | { kind: 'unfreeze'; target: FreezeTarget; reason: string };

export interface Tally {
  yes: number;
  no: number;
  abstain: number;
}

export type ProposalStatus = 'voting' | 'approved' | 'rejected' | 'failed';

/**
 * Why a proposal closed: `approved`; `vote` (rejected early: the threshold can no longer be
 * reached); `quorum` / `threshold` (rejected when the voting period ended); `execution` (approved,
 * but its effect could no longer be applied — status `failed`).
 */
export type CloseReason = 'approved' | 'vote' | 'quorum' | 'threshold' | 'execution';

/** A proposal, at state key `governance/proposal/<id>`. */
export interface Proposal {
  id: number;
  kind: ProposalKind;
  title?: string;
  description?: string;
  proposer: string;
  payload: ProposalPayload;
  status: ProposalStatus;
  createdAt: number;
  createdTime: number;
  /** Last height at which votes are taken. */
  endHeight: number;
  tx: string;
  /** Member DIDs that may vote, sorted: the members holding a voter role when the proposal was made. */
  electorate: string[];
  /** The policy for this kind when the proposal was made; later policy changes do not apply to it. */
  rules: KindPolicy;
  tally: Tally;
  closedAt?: number;
  closedTime?: number;
  reason?: CloseReason;
  /** One line on the outcome, e.g. "2 yes, 0 no, 0 abstain of 3: approved". */
  detail?: string;
}

/** One member's vote, at state key `governance/vote/<id>/<did>`. */
export interface VoteRecord {
  proposal: number;
  voter: string;
  choice: VoteChoice;
  height: number;
  time: number;
  tx: string;
}

/** At state key `governance/meta`: written once by `init`. */
export interface GovernanceMeta {
  version: 1;
  operator: string;
  initializedAt: number;
  initializedTime: number;
}

/** A chain registered at bootstrap (the alliance's existing chains, e.g. the public service chains). */
export interface ChainSeed {
  genesis: Genesis;
  admission?: AdmissionPolicy;
}

export interface InitArgs {
  /** The operator organisation's name; the sender becomes the founding member. */
  name: string;
  nameZh?: string;
  /** Roles of the founding member; must include "operator". Default ["operator"]. */
  roles?: Role[];
  /** The initial alliance policy, as changes to DEFAULT_POLICY. */
  policy?: PolicyPatch;
  /** The alliance's chains that exist already (the governance chain itself, public service chains): registered as active. */
  chains?: ChainSeed[];
}

// ---- events (module "governance") ---------------------------------------------------------

export interface ChainApprovedEvent {
  chain: string;
  genesis: Genesis;
  genesisHash: string;
  admission: AdmissionPolicy;
  owner: string;
  proposal: number;
}

export interface ChainResumedEvent {
  chain: string;
  genesis: Genesis;
  genesisHash: string;
  /** The latest approved set and, while a change may not have taken effect yet, the one before. */
  validators: ValidatorInfo[];
  proposal: number;
}

export interface ChainStoppedEvent {
  chain: string;
  /** Every DID that has validated or will validate the chain: all of them should stop it. */
  validators: ValidatorInfo[];
  proposal: number;
}

export interface ValidatorSetChangedEvent {
  chain: string;
  validators: ValidatorInfo[];
  previous: ValidatorInfo[];
  /** Height on the chain itself at which the new set takes over. */
  height: number;
  proposal: number;
}

/** A proposal still voting, as the `open` list keeps it (for expiry and each proposer's limit). */
export interface OpenEntry {
  id: number;
  proposer: string;
  endHeight: number;
}
