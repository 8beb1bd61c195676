import { z } from '../../codec/schemas.ts';
import { NAME_RE } from '../../codec/index.ts';
import type { ChainParams } from '../../ledger/index.ts';
import { ModuleError } from '../../runtime/index.ts';
import { GOVERNANCE_MODULE } from './keys.ts';
import { accessSchema } from './access.ts';
import { BPS, PROPOSAL_KINDS, ROLES, type EmergencyPolicy, type KindPolicy, type Policy, type PolicyPatch, type ProposalKind, type Role } from './types.ts';

const kind = (proposers: Role[], voters: Role[], quorumBps: number, thresholdBps: number): KindPolicy => ({
  proposers, voters, quorumBps, thresholdBps, votingPeriod: 1_000,
});

const OPS_MEMBERS: Role[] = ['operator', 'member'];

/**
 * The default alliance policy. Admission, policy and registries are voted by the operator and the
 * member organisations; business chains (create, suspend, resume, retire, validator changes) by
 * the member organisations, since they own and run them. A simple majority of votes cast with half
 * the electorate voting decides, except removal, retirement and policy changes, which need more
 * than two thirds of votes cast (policy changes also two thirds of the electorate voting).
 */
export const DEFAULT_POLICY: Policy = {
  kinds: {
    'admit-member': kind(OPS_MEMBERS, OPS_MEMBERS, 5_000, 5_000),
    'remove-member': kind(OPS_MEMBERS, OPS_MEMBERS, 5_000, 6_666),
    'create-chain': kind(OPS_MEMBERS, ['member'], 5_000, 5_000),
    'suspend-chain': kind(['operator', 'member', 'regulator'], ['member'], 5_000, 5_000),
    'resume-chain': kind(OPS_MEMBERS, ['member'], 5_000, 5_000),
    'retire-chain': kind(OPS_MEMBERS, ['member'], 5_000, 6_666),
    'change-validators': kind(OPS_MEMBERS, ['member'], 5_000, 5_000),
    'set-policy': kind(OPS_MEMBERS, OPS_MEMBERS, 6_666, 6_666),
    'register-regulator': kind(['operator'], OPS_MEMBERS, 5_000, 5_000),
    'register-gateway': kind(OPS_MEMBERS, OPS_MEMBERS, 5_000, 5_000),
    'register-route': kind(OPS_MEMBERS, OPS_MEMBERS, 5_000, 5_000),
    // Regulators propose freezes from their alerts; the operator and members decide (docs/supervision.md#freezes).
    'freeze': kind(['operator', 'regulator'], OPS_MEMBERS, 5_000, 5_000),
    'unfreeze': kind(['operator', 'member', 'regulator'], OPS_MEMBERS, 5_000, 5_000),
    // A sandbox chain goes live with real money and cross-chain paths: voted like create-chain.
    'promote-chain': kind(OPS_MEMBERS, ['member'], 5_000, 5_000),
  },
  validatorChangeDelay: 10,
  maxOpenProposals: 10,
  modules: ['notary'],
  // The node's DEFAULT_PARAMS (src/node/alliance.ts); test/governance.test.ts checks they agree.
  // A node bootstrapping governance passes its own in init's policy, so the chain records them.
  chainParams: {
    maxBlockTxs: 1_000, maxTxBytes: 64 * 1024, maxTxGas: 2_000_000, mempoolMaxTxs: 50_000, mempoolMaxBytes: 64 * 1024 * 1024, maxNonceGap: 1_000,
  },
};

/** Emergency freezes when the policy has none recorded: two thirds of the regulators, for 100 blocks. */
export const EMERGENCY_DEFAULTS: EmergencyPolicy = { quorumBps: 6_666, maxBlocks: 100 };

export const emergencyOf = (p: Policy): EmergencyPolicy => p.emergency ?? EMERGENCY_DEFAULTS;

/** Whether chain `id` accepts only approved lex templates under `p`. */
export const auditsTemplates = (p: Policy, id: string): boolean => (p.templateAudit ?? []).some((c) => c === '*' || c === id);

const safeInt = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** Bounds of each chain parameter, for genesis documents and the policy's defaults. */
export const chainParamsShape = {
  maxBlockTxs: safeInt(1, 1_000_000),
  maxTxBytes: safeInt(256, 16 * 1024 * 1024),
  maxTxGas: safeInt(10_000, 1_000_000_000_000),
  mempoolMaxTxs: safeInt(1, 10_000_000),
  mempoolMaxBytes: safeInt(1_024, 16 * 1024 * 1024 * 1024),
  maxNonceGap: safeInt(1, 1_000_000),
};

const chainParamsSchema: z.ZodType<ChainParams> = z.strictObject(chainParamsShape);

const modulesSchema = z.array(z.string().regex(NAME_RE, 'must be a module name such as "notary"')).max(64)
  .refine((a) => new Set(a).size === a.length, 'a module is listed twice')
  .refine((a) => !a.includes(GOVERNANCE_MODULE), `business chains cannot run "${GOVERNANCE_MODULE}"`);

/** Policy changes cannot lower their own rules below this: a majority of the electorate voting and of votes cast. */
export const SET_POLICY_FLOOR_BPS = 5_000;

const roleSet = z.array(z.enum(ROLES)).min(1, 'name at least one role').max(ROLES.length)
  .refine((a) => new Set(a).size === a.length, 'a role is listed twice');

export const kindPolicySchema = z.strictObject({
  proposers: roleSet,
  voters: roleSet,
  quorumBps: z.number().int().min(1, 'at least 1 (basis points)').max(BPS, `at most ${BPS} (basis points)`),
  thresholdBps: z.number().int().min(0).max(BPS - 1, `at most ${BPS - 1}: approval needs yes × 10000 > threshold × (yes + no)`),
  votingPeriod: z.number().int().min(1, 'at least one block').max(10_000_000),
});

const kindsShape = Object.fromEntries(PROPOSAL_KINDS.map((k) => [k, kindPolicySchema])) as Record<ProposalKind, typeof kindPolicySchema>;
const kindPatchSchema = kindPolicySchema.partial().optional();
const kindsPatchShape = Object.fromEntries(PROPOSAL_KINDS.map((k) => [k, kindPatchSchema])) as Record<ProposalKind, typeof kindPatchSchema>;

const templateAuditSchema = z.array(z.string().regex(/^(\*|[a-z][a-z0-9-]{0,31})$/, 'a chain id, or "*" for every chain')).max(1_000)
  .refine((a) => new Set(a).size === a.length, 'a chain is listed twice');
const emergencyShape = {
  quorumBps: z.number().int().min(1, 'at least 1 (basis points)').max(BPS, `at most ${BPS} (basis points)`),
  maxBlocks: z.number().int().min(1, 'at least one block').max(100_000, 'at most 100000 blocks'),
};

export const policySchema: z.ZodType<Policy> = z.strictObject({
  templateAudit: templateAuditSchema.optional(),
  access: accessSchema.optional(),
  emergency: z.strictObject(emergencyShape).optional(),
  kinds: z.strictObject(kindsShape),
  validatorChangeDelay: z.number().int().min(0).max(10_000_000),
  maxOpenProposals: z.number().int().min(1).max(1_000),
  modules: modulesSchema,
  chainParams: chainParamsSchema,
});

export const policyPatchSchema: z.ZodType<PolicyPatch> = z.strictObject({
  templateAudit: templateAuditSchema.optional(),
  access: accessSchema.optional(),
  emergency: z.strictObject(emergencyShape).partial().optional(),
  kinds: z.strictObject(kindsPatchShape).optional(),
  validatorChangeDelay: z.number().int().min(0).max(10_000_000).optional(),
  maxOpenProposals: z.number().int().min(1).max(1_000).optional(),
  modules: modulesSchema.optional(),
  chainParams: z.strictObject(chainParamsShape).partial().optional(),
});

/** "policy.kinds.create-chain.quorumBps" from a zod path. */
export function pathOf(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let s = prefix;
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `${s === '' ? '' : '.'}${String(p)}`;
  return s;
}

/**
 * The policy after a patch, checked: shape (GOV_POLICY_INVALID), the floor on policy changes'
 * own rules (GOV_POLICY_FLOOR). Pure: used by set-policy proposals and the module's configuration.
 */
export function applyPolicyPatch(base: Policy, patch: unknown): Policy {
  const p = policyPatchSchema.safeParse(patch);
  if (!p.success) {
    const issue = p.error.issues[0]!;
    throw new ModuleError('GOV_POLICY_INVALID', `${pathOf('policy', issue.path)}: ${issue.message}`);
  }
  const next: Policy = structuredClone(base);
  // A policy recorded before a kind existed takes that kind's default rules.
  for (const k of PROPOSAL_KINDS) next.kinds[k] ??= structuredClone(DEFAULT_POLICY.kinds[k]);
  for (const k of PROPOSAL_KINDS) {
    const kp = p.data.kinds?.[k];
    if (kp) next.kinds[k] = { ...next.kinds[k], ...definedOnly(kp) };
  }
  if (p.data.templateAudit !== undefined) next.templateAudit = [...p.data.templateAudit];
  if (p.data.access !== undefined) {
    const access = { ...next.access };
    for (const [chain, rules] of Object.entries(p.data.access)) {
      if (rules.length === 0) delete access[chain];
      else access[chain] = structuredClone(rules);
    }
    if (Object.keys(access).length === 0) delete next.access;
    else next.access = access;
  }
  if (p.data.emergency !== undefined) next.emergency = { ...emergencyOf(next), ...definedOnly(p.data.emergency) };
  if (p.data.validatorChangeDelay !== undefined) next.validatorChangeDelay = p.data.validatorChangeDelay;
  if (p.data.maxOpenProposals !== undefined) next.maxOpenProposals = p.data.maxOpenProposals;
  if (p.data.modules !== undefined) next.modules = [...p.data.modules];
  if (p.data.chainParams !== undefined) next.chainParams = { ...next.chainParams, ...definedOnly(p.data.chainParams) };
  checkPolicy(next);
  return next;
}

/** Checks a whole policy; throws GOV_POLICY_INVALID or GOV_POLICY_FLOOR. */
export function checkPolicy(policy: unknown): Policy {
  const p = policySchema.safeParse(policy);
  if (!p.success) {
    const issue = p.error.issues[0]!;
    throw new ModuleError('GOV_POLICY_INVALID', `${pathOf('policy', issue.path)}: ${issue.message}`);
  }
  const sp = p.data.kinds['set-policy'];
  if (sp.quorumBps < SET_POLICY_FLOOR_BPS || sp.thresholdBps < SET_POLICY_FLOOR_BPS) {
    throw new ModuleError('GOV_POLICY_FLOOR', `policy.kinds.set-policy: quorumBps and thresholdBps must stay at least ${SET_POLICY_FLOOR_BPS} (got ${sp.quorumBps} and ${sp.thresholdBps}), so a minority can never rewrite the rules`);
  }
  return p.data;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** "50.00%" from basis points, integer arithmetic only. */
export function percent(bps: number): string {
  return `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`;
}
