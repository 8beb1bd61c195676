/**
 * The governance module (以链治链): the alliance governs itself on its own chain. Member
 * organisations, proposals and votes under the alliance policy, the registry of chains with their
 * lifecycle and validator sets, and the registries of regulators and gateways. See
 * docs/governance.md.
 */
import { z } from '../../codec/schemas.ts';
import { canonicalize, ShulianError, asJson, CHAIN_ID_RE, DID_RE } from '../../codec/index.ts';
import { hashJson, type Genesis, type ValidatorInfo } from '../../ledger/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { GOVERNANCE_MODULE, govKey } from './keys.ts';
import { applyPolicyPatch, DEFAULT_POLICY, percent } from './policy.ts';
import { decide } from './tally.ts';
import { describeTarget, emergencyFreeze, freezeClosedUnapproved, freezePayload, planFreeze, registeredRegulator, targetKey } from './freeze.ts';
import {
  PROPOSAL_KINDS, ROLES, VOTE_CHOICES,
  type AdmissionPolicy, type ChainRecord, type ChainStatus, type CloseReason, type Gateway, type GovernanceMeta,
  type Member, type Policy, type PolicyPatch, type Proposal, type ProposalKind, type ProposalPayload, type Regulator,
  type Role, type RouteSpec, type VoteRecord,
} from './types.ts';
import {
  checkSeedGenesis, checkValidatorSet, completeGenesis, emergencyFreezeArgs, parseFields, sameValidators, admissionSchema, type GenesisEnv,
} from './validate.ts';

export * from './types.ts';
export { GOVERNANCE_MODULE, govKey, govStateKey } from './keys.ts';
export { frozenAt, frozenEvmContracts } from './freeze.ts';
export { MAX_ACCESS_DIDS, MAX_ACCESS_RULES, accessRefusal, accessRulesSchema, grantees, ruleFor } from './access.ts';
export { DEFAULT_POLICY, SET_POLICY_FLOOR_BPS, applyPolicyPatch, checkPolicy, percent } from './policy.ts';
export { decide, passes, quorumMet, thresholdMet, type Decision, type Rules } from './tally.ts';
export { MIN_TBFT_VALIDATORS, checkValidatorSet, sameValidators, validatorSchema } from './validate.ts';

/**
 * How a node builds the module for its governance chain. It decides what executes, so it must be
 * the same on every node of that chain: it comes from the governance chain's genesis alone (see
 * governanceConfigFromGenesis). Everything else — the operator, the policy, the alliance's
 * existing chains — is set by the `init` transaction and so recorded on the chain.
 */
export interface GovernanceConfig {
  /** DIDs that may call `init` (once): the governance chain's genesis validators. */
  founders: string[];
  /** The alliance governed; proposed business chains must belong to it. */
  alliance?: string;
}

/**
 * The module configuration for a governance chain, from its genesis: the founders are its
 * genesis validators (the operator's nodes) and the alliance is the genesis' alliance.
 */
export function governanceConfigFromGenesis(genesis: Genesis): GovernanceConfig {
  return { founders: genesis.validators.map((v) => v.did), alliance: genesis.alliance };
}

/** Gas per byte of a proposal's canonical JSON, for checking it (writes are charged by the runtime). */
export const GOV_GAS_PER_BYTE = 4;

const chainId = z.string().regex(CHAIN_ID_RE, 'a chain id');
const proposalId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const initArgs = z.strictObject({
  name: z.string().min(1).max(128),
  nameZh: z.string().max(128).optional(),
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length).optional(),
  policy: z.record(z.string(), z.unknown()).optional(),
  chains: z.array(z.strictObject({ genesis: z.record(z.string(), z.unknown()), admission: z.unknown().optional() })).max(64).optional(),
});

const proposeArgs = z.looseObject({
  kind: z.enum(PROPOSAL_KINDS, `kind must be one of ${PROPOSAL_KINDS.join(', ')}`),
  title: z.string().min(1).max(200).optional(),
  description: z.string().max(4_000).optional(),
});

const voteArgs = z.strictObject({ id: proposalId, choice: z.enum(VOTE_CHOICES, 'choice must be "yes", "no" or "abstain"') });
const closeArgs = z.strictObject({ id: proposalId });
const activateArgs = z.strictObject({ chain: chainId });

function insertSorted(list: string[], item: string): string[] {
  return [...list, item].sort();
}

function requireInit(ctx: ModuleContext): Policy {
  const policy = ctx.read(govKey.policy());
  if (!ctx.read(govKey.meta()) || !policy) {
    throw new ModuleError('GOV_NOT_INITIALIZED', 'governance is not initialised yet: a founder (a genesis validator of this chain) must call governance.init first');
  }
  return policy;
}

function requireMember(ctx: ModuleContext, what: string): Member {
  const m = ctx.read(govKey.member(ctx.sender));
  if (!m) {
    throw new ModuleError('GOV_NOT_MEMBER', `${ctx.sender} is not a member of the alliance; only members may ${what} (to join, ask a member to propose admit-member for you)`);
  }
  return m;
}

function chainRecord(ctx: ModuleContext, id: string): ChainRecord {
  const rec = ctx.read(govKey.chain(id));
  if (!rec) throw new ModuleError('GOV_CHAIN_NOT_FOUND', `no chain "${id}" in the alliance registry; list the chains with \`shulian gov chains\``);
  return rec;
}

/**
 * The alliance keeps carbon points on one chain at most (docs/tokens.md#one-carbon-registry): the
 * `carbon` module credits each activity digest once on its chain, so one registry chain makes it
 * once across the alliance — as a city's 碳普惠 platform is one registry. A second chain running
 * `carbon` would need a cross-chain claim registry (a 2PC per issuance) first. Retired chains no
 * longer count; sandbox chains do (their points would be claimed twice as well).
 */
function checkCarbonRegistryFree(ctx: ModuleContext, genesis: { chain: string; modules: readonly string[] }): void {
  if (!genesis.modules.includes('carbon')) return;
  for (const id of ctx.read(govKey.chains()) ?? []) {
    const rec = ctx.read(govKey.chain(id));
    if (!rec || rec.id === genesis.chain || rec.status === 'retired' || !rec.genesis.modules.includes('carbon')) continue;
    throw new ModuleError('GOV_CARBON_REGISTRY_EXISTS', `chain "${id}" already keeps the alliance's carbon points (status ${rec.status}); each reduction is credited once across the alliance because one chain keeps them — run the carbon methodologies there, or retire "${id}" first`);
  }
}

/**
 * Access rules name business chains of the registry, and modules those chains run
 * (docs/permissions.md): a rule for a module the chain does not run would never apply.
 */
function checkAccessChains(ctx: ModuleContext, access: PolicyPatch['access']): void {
  for (const [id, rules] of Object.entries(access ?? {})) {
    const rec = chainRecord(ctx, id);
    if (rec.genesis.kind !== 'business') {
      throw new ModuleError('GOV_POLICY_INVALID', `policy.access.${id}: chain ${id} is a ${rec.genesis.kind ?? 'system'} chain; access rules are for business chains`);
    }
    rules.forEach((r, i) => {
      if (r.module !== '*' && !rec.genesis.modules.includes(r.module)) {
        throw new ModuleError('GOV_POLICY_INVALID', `policy.access.${id}[${i}].module: chain ${id} runs no module "${r.module}" (it runs ${rec.genesis.modules.join(', ')})`);
      }
    });
  }
}

/** The latest approved validator set, and the one before it (which validates until the change takes effect). */
function activeValidators(rec: ChainRecord): ValidatorInfo[] {
  const sets = rec.validators.slice(-2);
  return dedupe(sets.flatMap((s) => s.validators));
}

function everyValidator(rec: ChainRecord): ValidatorInfo[] {
  return dedupe(rec.validators.flatMap((s) => s.validators));
}

function dedupe(vs: ValidatorInfo[]): ValidatorInfo[] {
  const seen = new Set<string>();
  const out: ValidatorInfo[] = [];
  for (let i = vs.length - 1; i >= 0; i--) {
    const v = vs[i]!;
    if (!seen.has(v.did)) {
      seen.add(v.did);
      out.push(v);
    }
  }
  return out.reverse();
}

/** What a proposal is about: at most one open proposal per subject. */
export function subjectOf(p: ProposalPayload): string {
  switch (p.kind) {
    case 'admit-member': return `member:${p.member.did}`;
    case 'remove-member': return `member:${p.did}`;
    case 'create-chain': return `chain:${p.genesis.chain}`;
    case 'suspend-chain':
    case 'resume-chain':
    case 'retire-chain':
    case 'promote-chain':
    case 'change-validators': return `chain:${p.chain}`;
    case 'set-policy': return 'policy';
    case 'register-regulator': return `regulator:${p.regulator.did}`;
    case 'register-gateway': return `gateway:${p.gateway.did}`;
    case 'register-route': return `route:${p.route.chain}`;
    case 'freeze':
    case 'unfreeze': return `freeze:${targetKey(p.target)}`;
  }
}

function statusEntry(ctx: ModuleContext, status: ChainStatus, proposal: number): ChainRecord['history'][number] {
  return { status, height: ctx.height, time: ctx.time, proposal };
}

/**
 * Builds the governance module. `config` must be identical on every node of the governance
 * chain; build it with governanceConfigFromGenesis.
 */
export function createGovernanceModule(config: GovernanceConfig): ModuleDef {
  for (const f of config.founders) {
    if (!DID_RE.test(f)) throw new ShulianError('GOV_CONFIG_INVALID', `governance founder "${f}" is not a did:shulian DID`);
  }
  const founders = new Set(config.founders);
  const alliance = config.alliance;
  const envOf = (policy: Policy): GenesisEnv => ({
    knownModules: new Set(policy.modules), defaultParams: policy.chainParams, ...(alliance !== undefined ? { alliance } : {}),
  });

  /** Throws unless `id` is free: not this chain, not in the registry (open proposals hold a lock). */
  function checkChainIdFree(ctx: ModuleContext, id: string): void {
    if (id === ctx.chain) {
      throw new ModuleError('GOV_CHAIN_EXISTS', `chain id "${id}" is the governance chain's own; choose another id`);
    }
    const rec = ctx.read(govKey.chain(id));
    if (rec) throw new ModuleError('GOV_CHAIN_EXISTS', `chain id "${id}" is taken: it was approved at height ${rec.approvedAt} (status ${rec.status}); choose another id`);
  }

  // ---- proposal validation: kind-specific fields → the completed payload --------------------

  function buildPayload(ctx: ModuleContext, policy: Policy, kind: ProposalKind, fields: unknown, member: Member | undefined, regulator: Regulator | undefined): ProposalPayload {
    switch (kind) {
      case 'admit-member': {
        const f = parseFields(kind, fields);
        if (ctx.read(govKey.member(f.member.did))) {
          throw new ModuleError('GOV_MEMBER_EXISTS', `${f.member.did} is already a member of the alliance`);
        }
        const member = { did: f.member.did, name: f.member.name, roles: [...f.member.roles], ...(f.member.nameZh !== undefined ? { nameZh: f.member.nameZh } : {}) };
        return { kind, member };
      }
      case 'remove-member': {
        const f = parseFields(kind, fields);
        const m = ctx.read(govKey.member(f.did));
        if (!m) throw new ModuleError('GOV_MEMBER_NOT_FOUND', `${f.did} is not a member of the alliance; nothing to remove`);
        checkNotLastOperator(ctx, m);
        return { kind, did: f.did };
      }
      case 'create-chain': {
        const f = parseFields(kind, fields);
        checkChainIdFree(ctx, f.genesis.chain);
        const genesis = completeGenesis(f.genesis, envOf(policy), ctx.time);
        checkCarbonRegistryFree(ctx, genesis);
        const owner = f.owner ?? ctx.sender;
        if (!ctx.read(govKey.member(owner))) {
          throw new ModuleError('GOV_OWNER_NOT_MEMBER', `the chain owner ${owner} is not a member of the alliance; a chain is owned by a member organisation`);
        }
        const admission: AdmissionPolicy = f.admission ?? { type: 'members' };
        return { kind, genesis, genesisHash: hashJson(genesis.suite, genesis), admission, owner, ...(f.reads !== undefined ? { reads: f.reads } : {}) };
      }
      case 'suspend-chain':
      case 'resume-chain':
      case 'retire-chain': {
        const f = parseFields(kind, fields);
        checkLifecycle(chainRecord(ctx, f.chain), kind);
        return { kind, chain: f.chain };
      }
      case 'change-validators': {
        const f = parseFields(kind, fields);
        const rec = chainRecord(ctx, f.chain);
        checkValidatorChange(ctx, policy, rec, f.validators, f.effectiveHeight, 'propose');
        return { kind, chain: f.chain, validators: f.validators.map((v) => ({ did: v.did, publicKey: v.publicKey, power: v.power })), effectiveHeight: f.effectiveHeight };
      }
      case 'set-policy': {
        const f = parseFields(kind, fields);
        const next = applyPolicyPatch(policy, f.policy);
        checkAccessChains(ctx, (f.policy as PolicyPatch).access);
        if (canonicalize(next) === canonicalize(policy)) {
          throw new ModuleError('GOV_POLICY_UNCHANGED', 'the proposed policy is the same as the current one; change at least one field');
        }
        return { kind, policy: next };
      }
      case 'register-regulator': {
        const f = parseFields(kind, fields);
        for (const c of f.regulator.chains) if (c !== '*') chainRecord(ctx, c);
        const r = f.regulator;
        for (const o of r.orgs ?? []) {
          if (!ctx.read(govKey.member(o))) throw new ModuleError('GOV_MEMBER_NOT_FOUND', `regulator.orgs names ${o}, which is not a member organisation of the alliance`);
        }
        return {
          kind, regulator: {
            did: r.did, name: r.name, chains: [...r.chains], ...(r.nameZh !== undefined ? { nameZh: r.nameZh } : {}),
            ...(r.modules !== undefined ? { modules: [...r.modules] } : {}), ...(r.orgs !== undefined ? { orgs: [...r.orgs] } : {}),
          },
        };
      }
      case 'register-gateway': {
        const f = parseFields(kind, fields);
        for (const c of f.gateway.chains) {
          const rec = chainRecord(ctx, c);
          if (rec.status === 'retired') throw new ModuleError('GOV_CHAIN_STATUS', `chain "${c}" is retired; a gateway cannot relay for it`);
        }
        return { kind, gateway: { did: f.gateway.did, name: f.gateway.name, chains: [...f.gateway.chains] } };
      }
      case 'freeze':
      case 'unfreeze':
        return freezePayload(ctx, kind, fields, { ...(member ? { member } : {}), ...(regulator ? { regulator } : {}) });
      case 'register-route': {
        // The route may name a chain outside this registry (an external engine); its contents were checked by the schema.
        const f = parseFields(kind, fields);
        return { kind, route: sandboxRoute(ctx, f.route) };
      }
      case 'promote-chain': {
        const f = parseFields(kind, fields);
        checkPromotable(chainRecord(ctx, f.chain));
        return { kind, chain: f.chain };
      }
    }
  }

  /**
   * The route as governance approves it: labelled `sandbox` exactly when its chain is a sandbox
   * chain, and with no inbound rule naming a chain on the other side of the sandbox line
   * (docs/governance.md#sandbox-chains). Rules with srcChain "*" pass; xchain refuses such packets.
   */
  function sandboxRoute(ctx: ModuleContext, route: RouteSpec): RouteSpec {
    const isSandbox = (id: string): boolean | undefined => {
      const rec = ctx.read(govKey.chain(id));
      return rec ? rec.sandbox === true : undefined;
    };
    const mine = isSandbox(route.chain) ?? false;
    if (route.sandbox === true && !mine) {
      throw new ModuleError('GOV_SANDBOX_ROUTE', `route.sandbox: chain "${route.chain}" is not a sandbox chain in the registry; leave sandbox out (governance sets it)`);
    }
    for (const [i, rule] of route.inbound.entries()) {
      if (rule.srcChain === '*') continue;
      const theirs = isSandbox(rule.srcChain) ?? false;
      if (theirs !== mine) {
        const [sb, prod] = mine ? [route.chain, rule.srcChain] : [rule.srcChain, route.chain];
        throw new ModuleError('GOV_SANDBOX_ROUTE', `route.inbound[${i}].srcChain: "${sb}" is a sandbox chain and "${prod}" a production chain; no cross-chain path joins them until "${sb}" is promoted (promote-chain)`);
      }
    }
    const { sandbox: _drop, ...rest } = route;
    return mine ? { ...rest, sandbox: true } : rest;
  }

  function checkPromotable(rec: ChainRecord): void {
    if (rec.sandbox !== true) {
      throw new ModuleError('GOV_NOT_SANDBOX', `chain "${rec.id}" is not a sandbox chain${rec.promoted ? ` (it was promoted by proposal ${rec.promoted.proposal})` : ''}; only a sandbox chain can be promoted`);
    }
    if (rec.status === 'retired') throw new ModuleError('GOV_CHAIN_STATUS', `chain "${rec.id}" is retired; a retired chain cannot be promoted`);
  }

  function checkNotLastOperator(ctx: ModuleContext, m: Member): void {
    if (!m.roles.includes('operator')) return;
    const members = ctx.read(govKey.members()) ?? [];
    const operators = members.filter((d) => d !== m.did && ctx.read(govKey.member(d))?.roles.includes('operator'));
    if (operators.length === 0) {
      throw new ModuleError('GOV_LAST_OPERATOR', `${m.did} is the alliance's only operator; admit another operator before removing it`);
    }
  }

  function checkLifecycle(rec: ChainRecord, kind: 'suspend-chain' | 'resume-chain' | 'retire-chain'): void {
    const ok = kind === 'suspend-chain' ? rec.status === 'approved' || rec.status === 'active'
      : kind === 'resume-chain' ? rec.status === 'suspended'
      : rec.status !== 'retired';
    if (!ok) {
      const need = kind === 'suspend-chain' ? 'approved or active' : kind === 'resume-chain' ? 'suspended' : 'not yet retired';
      throw new ModuleError('GOV_CHAIN_STATUS', `chain "${rec.id}" is ${rec.status}; ${kind} needs a chain that is ${need}`);
    }
  }

  /**
   * A validator change takes effect at a height of the chain it changes. The governance chain
   * knows its own height, so for itself the height must be at least `validatorChangeDelay` blocks
   * ahead; for other chains it must be that far past the last scheduled change (the governance
   * chain cannot see their heights; their nodes refuse a change whose height they have passed).
   */
  function checkValidatorChange(ctx: ModuleContext, policy: Policy, rec: ChainRecord, validators: ValidatorInfo[], effectiveHeight: number, at: 'propose' | 'execute'): void {
    if (rec.status === 'retired') throw new ModuleError('GOV_CHAIN_STATUS', `chain "${rec.id}" is retired; its validators can no longer change`);
    checkValidatorSet(validators, rec.genesis.suite, rec.genesis.consensus.type, 'validators');
    const last = rec.validators[rec.validators.length - 1]!;
    if (sameValidators(last.validators, validators)) {
      throw new ModuleError('GOV_VALIDATORS_UNCHANGED', `the proposed set is the current validator set of chain "${rec.id}"`);
    }
    const self = rec.id === ctx.chain;
    const base = self ? ctx.height : last.effectiveHeight;
    const min = at === 'propose' ? base + policy.validatorChangeDelay : base + 1;
    if (effectiveHeight < min) {
      const why = self
        ? `this chain is at height ${ctx.height}`
        : `the last validator set of "${rec.id}" takes effect at its height ${last.effectiveHeight}`;
      throw new ModuleError('GOV_EFFECTIVE_HEIGHT_TOO_EARLY', `effectiveHeight ${effectiveHeight} is too early: ${why}${at === 'propose' ? ` and changes need ${policy.validatorChangeDelay} blocks' notice` : ''}; use ${min} or later`);
    }
  }

  // ---- execution of approved proposals -----------------------------------------------------

  /**
   * Checks an approved proposal against the state now and returns the writes that apply it.
   * Throws ModuleError (before writing anything) when it can no longer be applied.
   */
  function plan(ctx: ModuleContext, p: Proposal): () => void {
    const pl = p.payload;
    const policy = ctx.read(govKey.policy())!;
    switch (pl.kind) {
      case 'admit-member': {
        if (ctx.read(govKey.member(pl.member.did))) throw new ModuleError('GOV_MEMBER_EXISTS', `${pl.member.did} is already a member`);
        return () => {
          const m: Member = { ...pl.member, admittedAt: ctx.height, admittedTime: ctx.time, proposal: p.id };
          ctx.write(govKey.member(m.did), m);
          ctx.write(govKey.members(), insertSorted(ctx.read(govKey.members()) ?? [], m.did));
          ctx.emit('MemberAdmitted', { did: m.did, name: m.name, roles: m.roles, proposal: p.id });
        };
      }
      case 'remove-member': {
        const m = ctx.read(govKey.member(pl.did));
        if (!m) throw new ModuleError('GOV_MEMBER_NOT_FOUND', `${pl.did} is no longer a member`);
        checkNotLastOperator(ctx, m);
        return () => {
          ctx.delete(govKey.member(pl.did));
          ctx.write(govKey.members(), (ctx.read(govKey.members()) ?? []).filter((d) => d !== pl.did));
          ctx.emit('MemberRemoved', { did: pl.did, proposal: p.id });
        };
      }
      case 'create-chain': {
        checkChainIdFree(ctx, pl.genesis.chain);
        checkCarbonRegistryFree(ctx, pl.genesis);
        return () => {
          const rec: ChainRecord = {
            id: pl.genesis.chain, genesis: pl.genesis, genesisHash: pl.genesisHash, owner: pl.owner, admission: pl.admission,
            ...(pl.reads !== undefined ? { reads: pl.reads } : {}), ...(pl.genesis.sandbox === true ? { sandbox: true as const } : {}),
            status: 'approved', proposal: p.id, approvedAt: ctx.height, approvedTime: ctx.time,
            history: [statusEntry(ctx, 'approved', p.id)],
            validators: [{ validators: pl.genesis.validators, effectiveHeight: 0, approvedHeight: ctx.height, proposal: p.id }],
          };
          ctx.write(govKey.chain(rec.id), rec);
          ctx.write(govKey.chains(), insertSorted(ctx.read(govKey.chains()) ?? [], rec.id));
          ctx.emit('ChainApproved', asJson({ chain: rec.id, genesis: rec.genesis, genesisHash: rec.genesisHash, admission: rec.admission, owner: rec.owner, proposal: p.id, ...(rec.sandbox ? { sandbox: true } : {}) }));
        };
      }
      case 'suspend-chain':
      case 'resume-chain':
      case 'retire-chain': {
        const rec = chainRecord(ctx, pl.chain);
        checkLifecycle(rec, pl.kind);
        return () => {
          const status: ChainStatus = pl.kind === 'suspend-chain' ? 'suspended'
            : pl.kind === 'retire-chain' ? 'retired'
            : rec.activatedAt !== undefined ? 'active' : 'approved';
          const next: ChainRecord = { ...rec, status, history: [...rec.history, statusEntry(ctx, status, p.id)] };
          ctx.write(govKey.chain(rec.id), next);
          if (pl.kind === 'resume-chain') {
            ctx.emit('ChainResumed', asJson({ chain: rec.id, genesis: rec.genesis, genesisHash: rec.genesisHash, validators: activeValidators(rec), proposal: p.id }));
          } else {
            ctx.emit(pl.kind === 'suspend-chain' ? 'ChainSuspended' : 'ChainRetired', asJson({ chain: rec.id, validators: everyValidator(rec), proposal: p.id }));
          }
        };
      }
      case 'change-validators': {
        const rec = chainRecord(ctx, pl.chain);
        checkValidatorChange(ctx, policy, rec, pl.validators, pl.effectiveHeight, 'execute');
        return () => {
          const previous = rec.validators[rec.validators.length - 1]!.validators;
          const next: ChainRecord = {
            ...rec,
            validators: [...rec.validators, { validators: pl.validators, effectiveHeight: pl.effectiveHeight, approvedHeight: ctx.height, proposal: p.id }],
          };
          ctx.write(govKey.chain(rec.id), next);
          ctx.emit('ValidatorSetChanged', asJson({ chain: rec.id, validators: pl.validators, previous, height: pl.effectiveHeight, proposal: p.id }));
        };
      }
      case 'set-policy':
        return () => {
          ctx.write(govKey.policy(), pl.policy);
          ctx.emit('PolicyChanged', asJson({ policy: pl.policy, proposal: p.id }));
        };
      case 'register-regulator': {
        for (const c of pl.regulator.chains) if (c !== '*') chainRecord(ctx, c);
        return () => {
          const existed = ctx.read(govKey.regulator(pl.regulator.did)) !== undefined;
          const r: Regulator = { ...pl.regulator, registeredAt: ctx.height, proposal: p.id };
          ctx.write(govKey.regulator(r.did), r);
          if (!existed) ctx.write(govKey.regulators(), insertSorted(ctx.read(govKey.regulators()) ?? [], r.did));
          ctx.emit('RegulatorRegistered', { did: r.did, name: r.name, chains: r.chains, proposal: p.id });
        };
      }
      case 'register-gateway': {
        for (const c of pl.gateway.chains) chainRecord(ctx, c);
        return () => {
          const existed = ctx.read(govKey.gateway(pl.gateway.did)) !== undefined;
          const g: Gateway = { ...pl.gateway, registeredAt: ctx.height, proposal: p.id };
          ctx.write(govKey.gateway(g.did), g);
          if (!existed) ctx.write(govKey.gateways(), insertSorted(ctx.read(govKey.gateways()) ?? [], g.did));
          ctx.emit('GatewayRegistered', { did: g.did, name: g.name, chains: g.chains, proposal: p.id });
        };
      }
      case 'register-route': {
        // Labelled again at execution: the chain may have been promoted while this was voted
        // (the label the payload got at proposal time is governance's own, so it is set afresh).
        const { sandbox: _label, ...proposed } = pl.route;
        const route = sandboxRoute(ctx, proposed);
        // Applied on the routing chain by its validators, who follow this event (xroute.approve).
        return () => {
          ctx.write(govKey.route(route.chain), route);
          ctx.emit('RouteApproved', { chain: route.chain, route: asJson(route), proposal: p.id });
        };
      }
      case 'promote-chain': {
        const rec = chainRecord(ctx, pl.chain);
        checkPromotable(rec);
        return () => {
          const { sandbox: _s, ...rest } = rec;
          ctx.write(govKey.chain(rec.id), { ...rest, promoted: { proposal: p.id, height: ctx.height, time: ctx.time } });
          ctx.emit('ChainPromoted', { chain: rec.id, proposal: p.id });
          // The chain's route loses its label on the routing chain, which lifts the packet block.
          const prior = ctx.read(govKey.route(rec.id));
          if (prior) {
            const { sandbox: _r, ...route } = prior;
            ctx.write(govKey.route(rec.id), route);
            ctx.emit('RouteApproved', { chain: rec.id, route: asJson(route), proposal: p.id });
          }
        };
      }
      case 'freeze':
      case 'unfreeze':
        return planFreeze(ctx, p);
    }
  }

  /**
   * Decides the proposal if its outcome is settled (or, `final`, when voting has ended); on
   * approval applies its effect in the same transaction. Mutates `p`; the caller writes it.
   */
  function settle(ctx: ModuleContext, p: Proposal, final: boolean): void {
    const d = decide(p.tally, p.electorate.length, p.rules, final);
    if (d.decision === 'undecided') return;
    const t = p.tally;
    const counts = `${t.yes} yes, ${t.no} no, ${t.abstain} abstain of ${p.electorate.length}`;
    let reason: CloseReason;
    let apply: (() => void) | undefined;
    if (d.decision === 'approved') {
      try {
        apply = plan(ctx, p);
        reason = 'approved';
        p.status = 'approved';
        p.detail = `${counts}: approved`;
      } catch (err) {
        if (!(err instanceof ModuleError)) throw err;
        reason = 'execution';
        p.status = 'failed';
        p.detail = `${counts}: approved, but ${err.message} (${err.code})`;
      }
    } else {
      reason = d.reason;
      p.status = 'rejected';
      p.detail = `${counts}: ${d.reason === 'quorum'
        ? `quorum not reached (needs ${percent(p.rules.quorumBps)} of the electorate to vote)`
        : d.reason === 'threshold'
          ? `yes did not exceed ${percent(p.rules.thresholdBps)} of yes + no`
          : `yes can no longer exceed ${percent(p.rules.thresholdBps)} of yes + no`}`;
    }
    p.reason = reason;
    p.closedAt = ctx.height;
    p.closedTime = ctx.time;
    ctx.write(govKey.open(), (ctx.read(govKey.open()) ?? []).filter((e) => e.id !== p.id));
    ctx.delete(govKey.lock(subjectOf(p.payload)));
    if (p.status === 'approved') {
      ctx.emit('ProposalApproved', asJson({ id: p.id, kind: p.kind, tally: p.tally }));
      apply!();
    } else if (p.status === 'failed') {
      ctx.emit('ProposalFailed', { id: p.id, kind: p.kind, detail: p.detail });
      freezeClosedUnapproved(ctx, p);
    } else {
      ctx.emit('ProposalRejected', asJson({ id: p.id, kind: p.kind, reason, tally: p.tally }));
      freezeClosedUnapproved(ctx, p);
    }
  }

  /**
   * Opens a proposal (checked already): its electorate under the policy now, the proposer's
   * limit of open proposals, the subject's lock. Returns its id.
   */
  function openProposal(ctx: ModuleContext, policy: Policy, payload: ProposalPayload, text: { title?: string; description?: string }): Proposal {
    const kind = payload.kind;
    // A policy recorded before a kind existed takes that kind's default rules.
    const rules = policy.kinds[kind] ?? DEFAULT_POLICY.kinds[kind];
    const subject = subjectOf(payload);
    const holder = ctx.read(govKey.lock(subject));
    if (holder !== undefined) {
      throw new ModuleError('GOV_SUBJECT_BUSY', `proposal #${holder} about ${subject} is still open; wait until it closes (or close it with governance.close once its voting period has ended)`);
    }
    const members = ctx.read(govKey.members()) ?? [];
    const electorate = members.filter((d) => ctx.read(govKey.member(d))!.roles.some((r) => rules.voters.includes(r)));
    if (electorate.length === 0) {
      throw new ModuleError('GOV_NO_ELECTORATE', `no member holds a role that may vote on ${kind} (${rules.voters.join(', ')}); admit such members first`);
    }
    const open = ctx.read(govKey.open()) ?? [];
    const mine = open.filter((e) => e.proposer === ctx.sender).length;
    if (mine >= policy.maxOpenProposals) {
      throw new ModuleError('GOV_TOO_MANY_OPEN', `${ctx.sender} already has ${mine} open proposals, the most the policy allows; wait for some to close`);
    }
    const id = (ctx.read(govKey.proposalCount()) ?? 0) + 1;
    const p: Proposal = {
      id, kind, proposer: ctx.sender, payload, status: 'voting', createdAt: ctx.height, createdTime: ctx.time,
      endHeight: ctx.height + rules.votingPeriod, tx: ctx.txHash, electorate, rules: { ...rules }, tally: { yes: 0, no: 0, abstain: 0 },
      ...(text.title !== undefined ? { title: text.title } : {}),
      ...(text.description !== undefined ? { description: text.description } : {}),
    };
    ctx.write(govKey.proposal(id), p);
    ctx.write(govKey.proposalCount(), id);
    ctx.write(govKey.open(), [...open, { id, proposer: ctx.sender, endHeight: p.endHeight }]);
    ctx.write(govKey.lock(subject), id);
    if (payload.kind === 'freeze' && payload.evidence) ctx.write(govKey.evidence(payload.evidence.alert), id);
    ctx.emit('ProposalCreated', { id, kind, proposer: ctx.sender, endHeight: p.endHeight, electorate: electorate.length });
    return p;
  }

  return {
    name: GOVERNANCE_MODULE,
    description: 'Alliance governance (以链治链): member organisations, proposals and votes under the alliance policy, the chain registry and lifecycle, validator sets, regulators and gateways.',
    methods: {
      init: method({
        doc: 'Bootstrap, once: the sender (a founder: a genesis validator of this chain) becomes the operator; registers the alliance\'s existing chains.',
        args: initArgs,
        gas: 10_000,
        run(ctx, args) {
          if (ctx.has(govKey.meta())) {
            const meta = ctx.read(govKey.meta())!;
            throw new ModuleError('GOV_ALREADY_INITIALIZED', `governance was initialised at height ${meta.initializedAt} by ${meta.operator}; init works only once`);
          }
          if (!founders.has(ctx.sender)) {
            throw new ModuleError('GOV_NOT_FOUNDER', founders.size === 0
              ? 'this node built the governance module without founders; the node must build it with createGovernanceModule(governanceConfigFromGenesis(genesis))'
              : `${ctx.sender} is not a founder of this governance chain; init must be sent by one of its genesis validators (${[...founders].join(', ')})`);
          }
          const roles: Role[] = args.roles ? [...new Set(args.roles)] : ['operator'];
          if (!roles.includes('operator')) throw new ModuleError('GOV_PAYLOAD_INVALID', 'init: roles must include "operator": the founder is the alliance operator');
          ctx.charge(GOV_GAS_PER_BYTE * canonicalize(args).length, 'checking the bootstrap');
          const initialPolicy = applyPolicyPatch(DEFAULT_POLICY, args.policy ?? {});
          const seeds = (args.chains ?? []).map((s, i) => {
            const genesis = checkSeedGenesis(s.genesis, i, alliance !== undefined ? { alliance } : {});
            let admission: AdmissionPolicy = { type: 'members' };
            if (s.admission !== undefined) {
              const a = admissionSchema.safeParse(s.admission);
              if (!a.success) throw new ModuleError('GOV_ADMISSION_INVALID', `init: chains[${i}].admission: ${a.error.issues[0]!.message}`);
              admission = a.data;
            }
            return { genesis, admission };
          });
          const ids = new Set<string>();
          for (const s of seeds) {
            if (ids.has(s.genesis.chain)) throw new ModuleError('GOV_CHAIN_EXISTS', `init: chain "${s.genesis.chain}" is listed twice`);
            ids.add(s.genesis.chain);
          }
          const meta: GovernanceMeta = { version: 1, operator: ctx.sender, initializedAt: ctx.height, initializedTime: ctx.time };
          ctx.write(govKey.meta(), meta);
          ctx.write(govKey.policy(), initialPolicy);
          const founder: Member = {
            did: ctx.sender, name: args.name, roles, admittedAt: ctx.height, admittedTime: ctx.time, proposal: 0,
            ...(args.nameZh !== undefined ? { nameZh: args.nameZh } : {}),
          };
          ctx.write(govKey.member(founder.did), founder);
          ctx.write(govKey.members(), [founder.did]);
          ctx.write(govKey.proposalCount(), 0);
          ctx.write(govKey.open(), []);
          for (const s of seeds) {
            const rec: ChainRecord = {
              id: s.genesis.chain, genesis: s.genesis, genesisHash: hashJson(s.genesis.suite, s.genesis), owner: ctx.sender,
              admission: s.admission, status: 'active', proposal: 0, approvedAt: ctx.height, approvedTime: ctx.time, activatedAt: ctx.height,
              history: [statusEntry(ctx, 'active', 0)],
              validators: [{ validators: s.genesis.validators, effectiveHeight: 0, approvedHeight: ctx.height, proposal: 0 }],
            };
            ctx.write(govKey.chain(rec.id), rec);
          }
          ctx.write(govKey.chains(), [...ids].sort());
          ctx.emit('Initialized', { operator: ctx.sender, name: args.name, chains: [...ids].sort() });
          return { operator: ctx.sender, chains: [...ids].sort() };
        },
      }),

      propose: method({
        doc: 'Make a proposal (admit-member, remove-member, create-chain, suspend-/resume-/retire-chain, change-validators, set-policy, register-regulator, register-gateway, register-route). Returns its id.',
        args: proposeArgs,
        gas: 5_000,
        run(ctx, args) {
          const policy = requireInit(ctx);
          const { kind, title, description, ...fields } = args;
          // Members propose; a registered regulator that is not a member may propose what the
          // policy lets the regulator role propose (freezes), within its scope.
          const member = ctx.read(govKey.member(ctx.sender));
          const regulator = registeredRegulator(ctx, ctx.sender);
          if (!member && !regulator) requireMember(ctx, 'make proposals');
          const roles: Role[] = [...(member?.roles ?? []), ...(regulator && !member?.roles.includes('regulator') ? ['regulator' as const] : [])];
          // A policy recorded before a kind existed takes that kind's default rules.
          const rules = policy.kinds[kind] ?? DEFAULT_POLICY.kinds[kind];
          if (!roles.some((r) => rules.proposers.includes(r))) {
            throw new ModuleError('GOV_ROLE_FORBIDDEN', `the alliance policy lets only ${rules.proposers.join(' or ')} propose ${kind}; ${ctx.sender} holds ${roles.join(', ')}`);
          }
          ctx.charge(GOV_GAS_PER_BYTE * canonicalize(args).length, 'checking the proposal');
          const payload = buildPayload(ctx, policy, kind, fields, member, regulator);
          const p = openProposal(ctx, policy, payload, { ...(title !== undefined ? { title } : {}), ...(description !== undefined ? { description } : {}) });
          return { id: p.id, endHeight: p.endHeight, electorate: p.electorate.length };
        },
      }),

      emergencyFreeze: method({
        doc: 'A registered regulator asks to freeze a party at once (DID, settlement account, lex contract, token) within its scope; once the policy\'s quorum of regulators asked, it is frozen for a bounded number of blocks and a proposal to confirm it is opened.',
        args: emergencyFreezeArgs,
        gas: 5_000,
        run(ctx, args) {
          const policy = requireInit(ctx);
          return emergencyFreeze(ctx, policy, args, (payload) => openProposal(ctx, policy, payload, { title: `Confirm the emergency freeze of ${describeTarget(args.target)}` }).id);
        },
      }),

      vote: method({
        doc: 'Vote yes, no or abstain on an open proposal; one vote per member, final. Executes the proposal as soon as its outcome is settled.',
        args: voteArgs,
        gas: 3_000,
        run(ctx, args) {
          requireInit(ctx);
          requireMember(ctx, 'vote');
          const p = ctx.read(govKey.proposal(args.id));
          if (!p) throw new ModuleError('GOV_PROPOSAL_NOT_FOUND', `no proposal #${args.id}; list proposals with \`shulian gov list\``);
          if (p.status !== 'voting') throw new ModuleError('GOV_PROPOSAL_CLOSED', `proposal #${p.id} is closed (${p.status} at height ${p.closedAt}); votes are no longer taken`);
          if (ctx.height > p.endHeight) {
            throw new ModuleError('GOV_VOTING_ENDED', `voting on proposal #${p.id} ended at height ${p.endHeight} (now ${ctx.height}); close it with governance.close to record the outcome`);
          }
          if (!p.electorate.includes(ctx.sender)) {
            throw new ModuleError('GOV_NOT_ELIGIBLE', `${ctx.sender} may not vote on proposal #${p.id}: its electorate is the members holding ${p.rules.voters.join(' or ')} when it was made, at height ${p.createdAt}`);
          }
          const prior = ctx.read(govKey.vote(p.id, ctx.sender));
          if (prior) {
            throw new ModuleError('GOV_ALREADY_VOTED', `${ctx.sender} already voted ${prior.choice} on proposal #${p.id} at height ${prior.height}; votes are final`);
          }
          const v: VoteRecord = { proposal: p.id, voter: ctx.sender, choice: args.choice, height: ctx.height, time: ctx.time, tx: ctx.txHash };
          ctx.write(govKey.vote(p.id, ctx.sender), v);
          p.tally = { ...p.tally, [args.choice]: p.tally[args.choice] + 1 };
          ctx.emit('Voted', asJson({ id: p.id, voter: ctx.sender, choice: args.choice, tally: p.tally }));
          settle(ctx, p, false);
          ctx.write(govKey.proposal(p.id), p);
          return asJson({ id: p.id, choice: args.choice, status: p.status, tally: p.tally });
        },
      }),

      close: method({
        doc: 'Close a proposal whose voting period has ended: approve and apply it, or reject it (quorum or threshold missed). Anyone may call it.',
        args: closeArgs,
        gas: 3_000,
        run(ctx, args) {
          requireInit(ctx);
          const p = ctx.read(govKey.proposal(args.id));
          if (!p) throw new ModuleError('GOV_PROPOSAL_NOT_FOUND', `no proposal #${args.id}; list proposals with \`shulian gov list\``);
          if (p.status !== 'voting') throw new ModuleError('GOV_PROPOSAL_CLOSED', `proposal #${p.id} is already closed (${p.status} at height ${p.closedAt})`);
          if (ctx.height <= p.endHeight) {
            throw new ModuleError('GOV_VOTING_OPEN', `voting on proposal #${p.id} runs until height ${p.endHeight} (now ${ctx.height}); it can be closed after that`);
          }
          settle(ctx, p, true);
          ctx.write(govKey.proposal(p.id), p);
          return asJson({ id: p.id, status: p.status, ...(p.reason !== undefined ? { reason: p.reason } : {}), tally: p.tally });
        },
      }),

      activate: method({
        doc: 'Report that an approved chain has started: sent by one of its validators (or its owner); the chain becomes active.',
        args: activateArgs,
        gas: 2_000,
        run(ctx, args) {
          requireInit(ctx);
          const rec = chainRecord(ctx, args.chain);
          const mayReport = rec.owner === ctx.sender || activeValidators(rec).some((v) => v.did === ctx.sender);
          if (!mayReport) {
            throw new ModuleError('GOV_NOT_VALIDATOR', `${ctx.sender} is neither a validator nor the owner of chain "${rec.id}"; only they can report that it started`);
          }
          if (rec.status !== 'approved') {
            throw new ModuleError('GOV_CHAIN_STATUS', `chain "${rec.id}" is ${rec.status}${rec.status === 'active' ? ` since height ${rec.activatedAt}` : ''}; only an approved chain can be activated`);
          }
          const entry = { ...statusEntry(ctx, 'active', 0), by: ctx.sender };
          ctx.write(govKey.chain(rec.id), { ...rec, status: 'active', activatedAt: ctx.height, history: [...rec.history, entry] } satisfies ChainRecord);
          ctx.emit('ChainActivated', { chain: rec.id, by: ctx.sender });
          return { chain: rec.id, status: 'active' };
        },
      }),
    },
    exports: {
      regulator: exported({
        doc: 'The registered regulator record of a DID, or null: for the supervision module on this chain (rules are published by regulators, within their scope).',
        gas: 300,
        callers: [SUPERVISION_CALLER],
        args: z.strictObject({ did: z.string().regex(DID_RE, 'a did:shulian DID') }),
        run: (ctx, { did }) => asJson(ctx.read(govKey.regulator(did)) ?? null),
      }),
    },
  };
}

/** The module that may ask governance for regulators (src/modules/supervision). */
const SUPERVISION_CALLER = 'supervision';

/**
 * The module as listed among the build's modules. It has no founders, so on its own it cannot be
 * initialised: a node builds the governance chain's instance with
 * `createGovernanceModule(governanceConfigFromGenesis(genesis, …))`.
 */
export const governanceModule: ModuleDef = createGovernanceModule({ founders: [] });
