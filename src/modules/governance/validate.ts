import { routeSchema } from '../xchain/types.ts';
/**
 * Pure checks of what a governance transaction proposes: shapes (zod) and the rules a business
 * chain's genesis and validator sets must follow. Every failure is a ModuleError whose message
 * names the field and says what it must be.
 */
import { fromHex } from '../../codec/index.ts';
import { didFromPublicKey, type Suite } from '../../crypto/index.ts';
import { CHAIN_ID_RE, didSchema, HEX_RE, NAME_RE, z } from '../../codec/schemas.ts';
import type { ChainParams, Genesis, ValidatorInfo } from '../../ledger/index.ts';
import { ModuleError } from '../../runtime/index.ts';
import { GOVERNANCE_MODULE } from './keys.ts';
import { chainParamsShape, pathOf } from './policy.ts';
import {
  ROLES, type AdmissionPolicy, type FreezeEvidence, type FreezeTarget, type GatewaySpec, type MemberSpec, type RegulatorSpec,
} from './types.ts';

/** tbft tolerates f faulty validators out of 3f + 1: at least 4 to tolerate one. */
export const MIN_TBFT_VALIDATORS = 4;
export const MAX_VALIDATORS = 100;
export const MAX_MODULES = 32;
export const MAX_ALLOWLIST = 1_000;

const did = didSchema;
const chainId = z.string().regex(CHAIN_ID_RE, 'must be a chain id: lowercase letters, digits and dashes, starting with a letter, at most 32');
const name = z.string().min(1, 'must not be empty').max(128, 'at most 128 characters').refine((s) => s.trim() === s && s !== '', 'must not start or end with spaces');
const nameZh = z.string().max(128, 'at most 128 characters');
const safeInt = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int(`must be a whole number`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

export const validatorSchema = z.strictObject({
  did,
  publicKey: z.string().regex(HEX_RE, 'must be lowercase hex'),
  power: safeInt(1, 1_000_000),
});

const paramsShape = chainParamsShape;

const modulesSchema = z.array(z.string().regex(NAME_RE, 'must be a module name such as "notary"')).min(1, 'name at least one module').max(MAX_MODULES);

/** The routing chain a chain follows (trust root of xchain.syncRoutes); a routing chain's own genesis adds its first routes. */
const crossChainSchema = z.strictObject({
  routeChain: chainId,
  routeSuite: z.enum(['sm2', 'ed25519']),
  routeConsensus: z.enum(['solo', 'tbft']),
  routeValidators: z.array(validatorSchema).min(1).max(MAX_VALIDATORS),
  routeTracksValidators: z.boolean().optional(),
});

export const genesisDraftSchema = z.strictObject({
  chain: chainId,
  name,
  nameZh: nameZh.optional(),
  alliance: z.string().min(1).max(64).optional(),
  kind: z.literal('business', 'a proposed chain is a business chain: omit kind or set it to "business"').optional(),
  sandbox: z.boolean('sandbox must be true or false').optional(),
  suite: z.enum(['sm2', 'ed25519'], 'must be "sm2" or "ed25519"'),
  consensus: z.strictObject({ type: z.enum(['solo', 'tbft'], 'must be "solo" or "tbft"') }),
  validators: z.array(validatorSchema).max(MAX_VALIDATORS, `at most ${MAX_VALIDATORS} validators`),
  modules: modulesSchema,
  params: z.strictObject(paramsShape).partial().optional(),
  time: safeInt(0).optional(),
  /**
   * A business chain that takes part in cross-chain messages names the routing chain it follows
   * (it still sends and receives only once a register-route proposal registers it there).
   */
  crossChain: crossChainSchema.optional(),
});

/** A complete genesis (chains registered at bootstrap). */
export const genesisSchema = z.strictObject({
  chain: chainId,
  alliance: z.string().min(1).max(64),
  name,
  nameZh,
  kind: z.enum(['governance', 'public-service', 'business']),
  suite: z.enum(['sm2', 'ed25519'], 'must be "sm2" or "ed25519"'),
  consensus: z.strictObject({ type: z.enum(['solo', 'tbft'], 'must be "solo" or "tbft"') }),
  validators: z.array(validatorSchema).max(MAX_VALIDATORS),
  modules: modulesSchema,
  params: z.strictObject(paramsShape),
  time: safeInt(0),
  sandbox: z.literal(true).optional(),
  // Chains in cross-chain messaging follow the routing chain (see modules/xchain); its own genesis lists the first routes.
  crossChain: crossChainSchema.extend({ routes: z.array(z.json()).max(64).optional() }).optional(),
});

export const admissionSchema: z.ZodType<AdmissionPolicy> = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('open') }),
  z.strictObject({ type: z.literal('members') }),
  z.strictObject({
    type: z.literal('allowlist'),
    dids: z.array(did).min(1, 'list at least one DID').max(MAX_ALLOWLIST, `at most ${MAX_ALLOWLIST} DIDs`)
      .refine((a) => new Set(a).size === a.length, 'a DID is listed twice'),
  }),
  z.strictObject({
    type: z.literal('credential'),
    credentialType: z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'must be a credential type such as "AllianceMember"'),
    issuer: did,
  }),
], { error: 'type must be one of "open", "members", "allowlist", "credential"' });

const roles = z.array(z.enum(ROLES, `must be one of ${ROLES.join(', ')}`)).min(1, 'name at least one role').max(ROLES.length)
  .refine((a) => new Set(a).size === a.length, 'a role is listed twice');

export const memberSpecSchema: z.ZodType<MemberSpec> = z.strictObject({ did, name, nameZh: nameZh.optional(), roles });

const regulatorSchema: z.ZodType<RegulatorSpec> = z.strictObject({
  did, name, nameZh: nameZh.optional(),
  chains: z.array(z.union([chainId, z.literal('*')])).min(1, 'name at least one chain, or "*" for all').max(1_000)
    .refine((a) => new Set(a).size === a.length, 'a chain is listed twice')
    .refine((a) => !a.includes('*') || a.length === 1, '"*" (every chain) must be alone'),
  modules: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a module name')).min(1, 'name at least one module, or leave modules out for all').max(64)
    .refine((a) => new Set(a).size === a.length, 'a module is listed twice').optional(),
  orgs: z.array(did).min(1, 'name at least one organisation, or leave orgs out for all').max(1_000)
    .refine((a) => new Set(a).size === a.length, 'an organisation is listed twice').optional(),
});

const gatewaySchema: z.ZodType<GatewaySpec> = z.strictObject({
  did, name,
  chains: z.array(chainId).min(1, 'name at least one chain the gateway relays for').max(1_000)
    .refine((a) => new Set(a).size === a.length, 'a chain is listed twice'),
});

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const freezeName = (what: string) => z.string().min(1, `${what} must not be empty`).max(128, `${what}: at most 128 characters`).regex(/^[^/\s]+$/, `${what} may not contain "/" or spaces`);

export const freezeTargetSchema: z.ZodType<FreezeTarget> = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('did'), did }),
  z.strictObject({ type: z.literal('account'), chain: chainId, did, currency: freezeName('currency') }),
  z.strictObject({ type: z.literal('contract'), chain: chainId, id: freezeName('id') }),
  z.strictObject({ type: z.literal('token'), chain: z.union([chainId, z.literal('*')]), denom: freezeName('denom') }),
  z.strictObject({
    type: z.literal('evm-contract'), chain: chainId,
    address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'address must be an EVM address: 0x and 40 hex digits').transform((a) => a.toLowerCase()),
  }),
], { error: 'target.type must be one of "did", "account", "contract", "token", "evm-contract"' });

export const freezeEvidenceSchema: z.ZodType<FreezeEvidence> = z.strictObject({
  alert: hex64,
  rule: z.string().max(64).optional(),
  version: safeInt(1).optional(),
  txs: z.array(z.strictObject({ chain: chainId, hash: hex64, height: safeInt(0) })).max(20, 'at most 20 txs').optional(),
});

const freezeReason = z.string().min(1, 'say why').max(1_000, 'at most 1000 characters');

/** Kind-specific fields of `governance.propose` (everything but kind, title and description). */
export const payloadSchemas = {
  'admit-member': z.strictObject({ member: memberSpecSchema }),
  'remove-member': z.strictObject({ did }),
  'create-chain': z.strictObject({
    genesis: genesisDraftSchema, admission: admissionSchema.optional(), owner: did.optional(),
    reads: z.enum(['public', 'members'], 'reads must be "public" or "members"').optional(),
  }),
  'suspend-chain': z.strictObject({ chain: chainId }),
  'resume-chain': z.strictObject({ chain: chainId }),
  'retire-chain': z.strictObject({ chain: chainId }),
  'promote-chain': z.strictObject({ chain: chainId }),
  'change-validators': z.strictObject({
    chain: chainId,
    validators: z.array(validatorSchema).max(MAX_VALIDATORS, `at most ${MAX_VALIDATORS} validators`),
    effectiveHeight: safeInt(1),
  }),
  // The patch itself is checked by applyPolicyPatch, which names the policy field that is wrong.
  'set-policy': z.strictObject({ policy: z.record(z.string(), z.unknown()) }),
  'register-regulator': z.strictObject({ regulator: regulatorSchema }),
  'register-gateway': z.strictObject({ gateway: gatewaySchema }),
  'register-route': z.strictObject({ route: routeSchema }),
  'freeze': z.strictObject({ target: freezeTargetSchema, reason: freezeReason, evidence: freezeEvidenceSchema.optional() }),
  'unfreeze': z.strictObject({ target: freezeTargetSchema, reason: freezeReason }),
} as const;

/** `governance.emergencyFreeze` args. */
export const emergencyFreezeArgs = z.strictObject({ target: freezeTargetSchema, reason: freezeReason, evidence: freezeEvidenceSchema.optional() });

export type PayloadFields = { [K in keyof typeof payloadSchemas]: z.infer<(typeof payloadSchemas)[K]> };

/** Parses a kind's fields; the error code says which part was wrong. */
export function parseFields<K extends keyof typeof payloadSchemas>(kind: K, fields: unknown): PayloadFields[K] {
  const r = payloadSchemas[kind].safeParse(fields);
  if (r.success) return r.data as PayloadFields[K];
  const issue = r.error.issues[0]!;
  const head = issue.path[0];
  const code = head === 'genesis' ? 'GOV_GENESIS_INVALID'
    : head === 'admission' ? 'GOV_ADMISSION_INVALID'
    : head === 'policy' ? 'GOV_POLICY_INVALID'
    : 'GOV_PAYLOAD_INVALID';
  const where = pathOf('', issue.path);
  throw new ModuleError(code, `${kind} proposal: ${where ? `${where}: ` : ''}${issue.message}`);
}

export interface GenesisEnv {
  /** The alliance the governance chain governs; a proposed genesis must name it (or omit it). */
  alliance?: string;
  /** Modules the alliance policy lets business chains run. */
  knownModules: ReadonlySet<string>;
  /** Parameters a proposal may leave out (the policy's chainParams). */
  defaultParams: ChainParams;
}

type GenesisDraftParsed = z.infer<typeof genesisDraftSchema>;

/**
 * Completes and checks a proposed business-chain genesis: kind "business", the alliance, default
 * parameters and time filled in; validators and modules checked. The result is exactly what
 * voters approve and what the named nodes will start.
 */
export function completeGenesis(draft: GenesisDraftParsed, env: GenesisEnv, time: number): Genesis {
  const alliance = draft.alliance ?? env.alliance;
  if (alliance === undefined) {
    throw new ModuleError('GOV_GENESIS_INVALID', 'create-chain proposal: genesis.alliance: must be given (this governance chain was configured without an alliance name)');
  }
  if (env.alliance !== undefined && alliance !== env.alliance) {
    throw new ModuleError('GOV_ALLIANCE_MISMATCH', `create-chain proposal: genesis.alliance is "${alliance}", but this governance chain governs alliance "${env.alliance}"; omit the field or use that name`);
  }
  const params: ChainParams = { ...env.defaultParams, ...definedParams(draft.params ?? {}) };
  checkParams(params);
  checkValidatorSet(draft.validators, draft.suite, draft.consensus.type, 'genesis.validators');
  checkModules(draft.modules, env.knownModules);
  return {
    chain: draft.chain, alliance, name: draft.name, nameZh: draft.nameZh ?? '', kind: 'business',
    suite: draft.suite, consensus: { type: draft.consensus.type }, validators: draft.validators.map(copyValidator),
    modules: [...draft.modules], params, time: draft.time ?? time, ...(draft.sandbox === true ? { sandbox: true as const } : {}),
    ...(draft.crossChain ? { crossChain: { ...draft.crossChain, routeValidators: draft.crossChain.routeValidators.map(copyValidator) } } : {}),
  };
}

/**
 * Checks a complete genesis registered at bootstrap: an existing chain of the alliance, so its
 * modules are whatever it runs (the policy's module list is for new business chains).
 */
export function checkSeedGenesis(input: unknown, index: number, env: { alliance?: string }): Genesis {
  const r = genesisSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ModuleError('GOV_GENESIS_INVALID', `init: ${pathOf(`chains[${index}].genesis`, issue.path)}: ${issue.message}`);
  }
  const g = r.data;
  if (env.alliance !== undefined && g.alliance !== env.alliance) {
    throw new ModuleError('GOV_ALLIANCE_MISMATCH', `init: chains[${index}].genesis.alliance is "${g.alliance}", not "${env.alliance}"`);
  }
  checkParams(g.params);
  checkValidatorSet(g.validators, g.suite, g.consensus.type, `chains[${index}].genesis.validators`);
  if (new Set(g.modules).size !== g.modules.length) throw new ModuleError('GOV_MODULE_DUPLICATE', `init: chains[${index}].genesis.modules lists a module twice`);
  return { ...g, validators: g.validators.map(copyValidator), modules: [...g.modules], params: { ...g.params }, consensus: { type: g.consensus.type } };
}

function checkParams(p: ChainParams): void {
  if (p.mempoolMaxBytes < p.maxTxBytes) {
    throw new ModuleError('GOV_GENESIS_INVALID', `genesis.params.mempoolMaxBytes (${p.mempoolMaxBytes}) must be at least maxTxBytes (${p.maxTxBytes}), or no transaction could wait in the mempool`);
  }
}

/**
 * A validator set fit for a chain: non-empty, no DID twice, keys of the chain's suite, each DID
 * derived from its key, and the size the consensus needs (one for solo, at least four for tbft).
 */
export function checkValidatorSet(validators: ValidatorInfo[], suite: Suite, consensus: 'solo' | 'tbft', where: string): void {
  if (validators.length === 0) {
    throw new ModuleError('GOV_VALIDATORS_EMPTY', `${where}: a chain needs at least one validator`);
  }
  const seen = new Set<string>();
  validators.forEach((v, i) => {
    if (seen.has(v.did)) throw new ModuleError('GOV_VALIDATOR_DUPLICATE', `${where}[${i}]: ${v.did} is listed twice`);
    seen.add(v.did);
    const bytes = v.publicKey.length / 2;
    const want = suite === 'sm2' ? 65 : 32;
    if (bytes !== want || (suite === 'sm2' && !v.publicKey.startsWith('04'))) {
      throw new ModuleError('GOV_VALIDATOR_KEY_SUITE', `${where}[${i}].publicKey: the chain uses ${suite}, so the key must be ${suite === 'sm2' ? '65 bytes (04‖X‖Y)' : '32 bytes'}; got ${bytes} bytes`);
    }
    const derived = didFromPublicKey(fromHex(v.publicKey));
    if (derived !== v.did) {
      throw new ModuleError('GOV_VALIDATOR_KEY_MISMATCH', `${where}[${i}]: ${v.did} is not the DID of its public key (that is ${derived})`);
    }
  });
  if (consensus === 'solo' && validators.length !== 1) {
    throw new ModuleError('GOV_SOLO_VALIDATORS', `${where}: solo consensus runs exactly one validator, got ${validators.length}; use tbft for several`);
  }
  if (consensus === 'tbft' && validators.length < MIN_TBFT_VALIDATORS) {
    throw new ModuleError('GOV_TBFT_TOO_FEW_VALIDATORS', `${where}: tbft needs at least ${MIN_TBFT_VALIDATORS} validators (3f + 1 with f ≥ 1), got ${validators.length}`);
  }
}

function checkModules(modules: string[], known: ReadonlySet<string>): void {
  const seen = new Set<string>();
  modules.forEach((m, i) => {
    if (seen.has(m)) throw new ModuleError('GOV_MODULE_DUPLICATE', `genesis.modules[${i}]: "${m}" is listed twice`);
    seen.add(m);
    if (m === GOVERNANCE_MODULE) {
      throw new ModuleError('GOV_MODULE_NOT_ALLOWED', `genesis.modules[${i}]: a business chain cannot run "${GOVERNANCE_MODULE}"; the alliance has one governance chain`);
    }
    if (!known.has(m)) {
      throw new ModuleError('GOV_MODULE_UNKNOWN', `genesis.modules[${i}]: the alliance policy does not allow module "${m}" on business chains (allowed: ${[...known].sort().join(', ') || 'none'}); a set-policy proposal can add it`);
    }
  });
}

function copyValidator(v: ValidatorInfo): ValidatorInfo {
  return { did: v.did, publicKey: v.publicKey, power: v.power };
}

function definedParams(p: Partial<ChainParams>): Partial<ChainParams> {
  const out: Partial<ChainParams> = {};
  for (const [k, v] of Object.entries(p) as Array<[keyof ChainParams, number | undefined]>) if (v !== undefined) out[k] = v;
  return out;
}

/** Two validator sets are the same when they list the same DIDs, keys and powers in the same order. */
export function sameValidators(a: ValidatorInfo[], b: ValidatorInfo[]): boolean {
  return a.length === b.length && a.every((v, i) => v.did === b[i]!.did && v.publicKey === b[i]!.publicKey && v.power === b[i]!.power);
}
