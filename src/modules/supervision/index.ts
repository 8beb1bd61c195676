/**
 * The supervision module (监管, white paper §5.2.2; docs/supervision.md), on the governance
 * chain: regulators publish rules — versioned, so anyone can see which rules applied at which
 * height —, keep the lists rules read (sanctioned DIDs…), and approve lex templates and EVM init
 * code (contract audit). A rule that does not parse or could run unbounded is refused here, when
 * it is published (src/rules). It runs beside `governance`, whose regulator registry (and each
 * regulator's scope) it asks through the `governance.regulator` export.
 */
import { canonicalize, ShulianError, type JsonValue } from '../../codec/index.ts';
import { checkRule, type RuleSpec } from '../../rules/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import type { Regulator } from '../governance/types.ts';
import { SUPERVISION, supKey } from './keys.ts';
import {
  SUPERVISION_LIMITS, approveArgs, publishArgs, retireArgs, revokeApprovalArgs, setListArgs,
  type ApprovalRecord, type ListRecord, type RuleRecord,
} from './types.ts';

export * from './types.ts';
export { SUPERVISION, supKey, supStateKey } from './keys.ts';

/** Gas per byte of a rule document, for parsing and bounding its expressions. */
export const RULE_GAS_PER_BYTE = 20;


function regulatorOf(ctx: ModuleContext, what: string): Regulator {
  // governance.regulator answers with its registry record (governance/types.ts), or null.
  const reg = ctx.call('governance', 'regulator', { did: ctx.sender }) as Regulator & JsonValue | null;
  if (!reg) throw new ModuleError('SUP_NOT_REGULATOR', `${ctx.sender} is not a registered regulator; only regulators may ${what} (governance registers them: a register-regulator proposal)`);
  return reg;
}

/** The rule's chains and modules lie within the regulator's scope ("*" in a rule = the regulator's whole scope). */
function checkScope(reg: Regulator, spec: RuleSpec): void {
  if (!reg.chains.includes('*')) {
    const outside = spec.scope.chains.filter((c) => c !== '*' && !reg.chains.includes(c));
    if (outside.length > 0) throw new ModuleError('SUP_OUT_OF_SCOPE', `rule.scope.chains names ${outside.join(', ')}, outside the scope of ${reg.did} (${reg.chains.join(', ')})`);
  }
  if (reg.modules && spec.scope.modules) {
    const outside = spec.scope.modules.filter((m) => !reg.modules!.includes(m));
    if (outside.length > 0) throw new ModuleError('SUP_OUT_OF_SCOPE', `rule.scope.modules names ${outside.join(', ')}, outside the modules ${reg.did} observes (${reg.modules.join(', ')})`);
  }
}

function insertSorted(list: string[], item: string): string[] {
  return list.includes(item) ? list : [...list, item].sort();
}

/** Rule document codes pass through as the rules folder names them (RULE_INVALID, RULE_EXPR_INVALID, RULE_UNBOUNDED). */
function checked(raw: unknown): RuleSpec {
  try {
    return checkRule(raw).spec;
  } catch (err) {
    if (err instanceof ShulianError && (err.code === 'RULE_INVALID' || err.code === 'RULE_EXPR_INVALID' || err.code === 'RULE_UNBOUNDED')) {
      throw new ModuleError(err.code, err.message);
    }
    throw err;
  }
}

export const supervisionModule: ModuleDef = {
  name: SUPERVISION,
  description: 'Supervision (监管): rules regulators publish (versioned), the lists rules read, approved lex templates and EVM code. Runs on the governance chain.',
  methods: {
    publish: method({
      doc: 'Publish a rule (or a new version of your own): checked whole — shape, CEL expressions parsed and bounded, scope within yours. Returns its version.',
      args: publishArgs,
      gas: 5_000,
      run(ctx, args) {
        const reg = regulatorOf(ctx, 'publish rules');
        ctx.charge(RULE_GAS_PER_BYTE * canonicalize(args.rule).length, 'checking the rule');
        const spec = checked(args.rule);
        checkScope(reg, spec);
        const prior = ctx.read(supKey.rule(spec.id));
        if (prior && prior.owner !== ctx.sender) throw new ModuleError('SUP_NOT_OWNER', `rule ${spec.id} belongs to ${prior.owner}; choose another id`);
        if (prior && prior.status === 'active' && canonicalize(prior.spec) === canonicalize(spec)) {
          throw new ModuleError('SUP_UNCHANGED', `rule ${spec.id} version ${prior.version} is this rule already`);
        }
        const ids = ctx.read(supKey.rules()) ?? [];
        if (!prior && ids.length >= SUPERVISION_LIMITS.rules) throw new ModuleError('SUP_TOO_MANY', `the module keeps ${SUPERVISION_LIMITS.rules} rules; retire one first`);
        const rec: RuleRecord = {
          id: spec.id, version: (prior?.version ?? 0) + 1, owner: ctx.sender, spec, status: 'active',
          publishedAt: ctx.height, publishedTime: ctx.time, tx: ctx.txHash,
        };
        ctx.write(supKey.rule(rec.id), rec);
        ctx.write(supKey.ruleVersion(rec.id, rec.version), rec);
        if (!prior) ctx.write(supKey.rules(), insertSorted(ids, rec.id));
        ctx.emit('RulePublished', { id: rec.id, version: rec.version, owner: rec.owner, kind: spec.kind, severity: spec.severity });
        return { id: rec.id, version: rec.version };
      },
    }),

    retire: method({
      doc: 'Retire one of your rules: a new version with status "retired"; it applies no more from this height.',
      args: retireArgs,
      gas: 2_000,
      run(ctx, args) {
        regulatorOf(ctx, 'retire rules');
        const prior = ctx.read(supKey.rule(args.id));
        if (!prior) throw new ModuleError('SUP_RULE_NOT_FOUND', `no rule ${args.id}`);
        if (prior.owner !== ctx.sender) throw new ModuleError('SUP_NOT_OWNER', `rule ${args.id} belongs to ${prior.owner}`);
        if (prior.status === 'retired') throw new ModuleError('SUP_RULE_RETIRED', `rule ${args.id} was retired at version ${prior.version}`);
        const rec: RuleRecord = { ...prior, version: prior.version + 1, status: 'retired', publishedAt: ctx.height, publishedTime: ctx.time, tx: ctx.txHash };
        ctx.write(supKey.rule(rec.id), rec);
        ctx.write(supKey.ruleVersion(rec.id, rec.version), rec);
        ctx.emit('RuleRetired', { id: rec.id, version: rec.version });
        return { id: rec.id, version: rec.version };
      },
    }),

    setList: method({
      doc: 'Set a list rules read as lists.<name> (e.g. sanctioned DIDs): replaces its items; only the regulator that created it may change it.',
      args: setListArgs,
      gas: 2_000,
      run(ctx, args) {
        regulatorOf(ctx, 'keep lists');
        const prior = ctx.read(supKey.list(args.name));
        if (prior && prior.owner !== ctx.sender) throw new ModuleError('SUP_NOT_OWNER', `list ${args.name} belongs to ${prior.owner}`);
        const items = [...new Set(args.items)].sort();
        if (prior && canonicalize(prior.items) === canonicalize(items)) throw new ModuleError('SUP_UNCHANGED', `list ${args.name} holds these items already`);
        const names = ctx.read(supKey.lists()) ?? [];
        if (!prior && names.length >= SUPERVISION_LIMITS.lists) throw new ModuleError('SUP_TOO_MANY', `the module keeps ${SUPERVISION_LIMITS.lists} lists`);
        const rec: ListRecord = { name: args.name, version: (prior?.version ?? 0) + 1, owner: ctx.sender, items, updatedAt: ctx.height, tx: ctx.txHash };
        ctx.write(supKey.list(rec.name), rec);
        if (!prior) ctx.write(supKey.lists(), insertSorted(names, rec.name));
        ctx.emit('ListSet', { name: rec.name, version: rec.version, items: items.length });
        return { name: rec.name, version: rec.version, items: items.length };
      },
    }),

    approve: method({
      doc: 'Approve a lex template (its source hash) or EVM init code (sha256 of the bytes) after review: chains whose policy audits templates accept only approved ones.',
      args: approveArgs,
      gas: 2_000,
      run(ctx, args) {
        regulatorOf(ctx, 'approve contracts');
        const prior = ctx.read(supKey.approval(args.kind, args.hash));
        if (prior && prior.revokedAt === undefined) throw new ModuleError('SUP_APPROVAL_EXISTS', `${args.kind} ${args.hash} was approved by ${prior.by} at height ${prior.at}`);
        const all = ctx.read(supKey.approvals(args.kind)) ?? [];
        if (!prior && all.length >= SUPERVISION_LIMITS.approvals) throw new ModuleError('SUP_TOO_MANY', `the module keeps ${SUPERVISION_LIMITS.approvals} approvals of ${args.kind}`);
        const rec: ApprovalRecord = { kind: args.kind, hash: args.hash, name: args.name, by: ctx.sender, at: ctx.height, tx: ctx.txHash, ...(args.note !== undefined ? { note: args.note } : {}) };
        ctx.write(supKey.approval(args.kind, args.hash), rec);
        ctx.write(supKey.approvals(args.kind), insertSorted(all, args.hash));
        ctx.emit('Approved', { kind: args.kind, hash: args.hash, name: args.name, by: ctx.sender });
        return { kind: args.kind, hash: args.hash };
      },
    }),

    revokeApproval: method({
      doc: 'Withdraw an approval: drafts from that template are refused again where templates are audited.',
      args: revokeApprovalArgs,
      gas: 2_000,
      run(ctx, args) {
        regulatorOf(ctx, 'withdraw approvals');
        const prior = ctx.read(supKey.approval(args.kind, args.hash));
        if (!prior || prior.revokedAt !== undefined) throw new ModuleError('SUP_APPROVAL_NOT_FOUND', `${args.kind} ${args.hash} is not approved`);
        ctx.write(supKey.approval(args.kind, args.hash), { ...prior, revokedAt: ctx.height, revokedBy: ctx.sender });
        ctx.write(supKey.approvals(args.kind), (ctx.read(supKey.approvals(args.kind)) ?? []).filter((h) => h !== args.hash));
        ctx.emit('ApprovalRevoked', { kind: args.kind, hash: args.hash, by: ctx.sender });
        return { kind: args.kind, hash: args.hash };
      },
    }),
  },
};
