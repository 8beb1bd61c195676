/**
 * Freezes by vote, and emergency freezes by a quorum of regulators (docs/supervision.md#freezes):
 * what a freeze or unfreeze proposal may name and who may make it, what approving it writes, and
 * the emergency path. Every chain reads the records this writes (`governance/freeze/<key>`) at
 * the governance height its blocks name, so a freeze applies on all of them from their next block.
 */
import { asJson, type JsonValue } from '../../codec/index.ts';
import { ModuleError, freezeKey, type Frozen, type ModuleContext } from '../../runtime/index.ts';
import { govKey, govStateKey } from './keys.ts';
import { emergencyOf } from './policy.ts';
import type {
  ChainRecord, EmergencyRequest, FreezeEvidence, FreezeRecord, FreezeTarget, Member, Policy, Proposal, ProposalPayload, Regulator,
} from './types.ts';
import { parseFields } from './validate.ts';

/** The record key of a target (runtime freezeKey: what executing chains look up). */
export function targetKey(t: FreezeTarget): string {
  switch (t.type) {
    case 'did': return freezeKey.did(t.did);
    case 'account': return freezeKey.account(t.chain, t.did, t.currency);
    case 'contract': return freezeKey.contract(t.chain, t.id);
    case 'token': return freezeKey.token(t.chain, t.denom);
    case 'evm-contract': return freezeKey.evmContract(t.chain, t.address);
  }
}

export function describeTarget(t: FreezeTarget): string {
  switch (t.type) {
    case 'did': return t.did;
    case 'account': return `the ${t.currency} account of ${t.did} on ${t.chain}`;
    case 'contract': return `contract ${t.id} on ${t.chain}`;
    case 'token': return `token ${t.denom} on ${t.chain === '*' ? 'every chain' : t.chain}`;
    case 'evm-contract': return `EVM contract ${t.address} on ${t.chain}`;
  }
}

/** The freeze in force at governance `height`: an emergency freeze lapses after its `until`. */
export function inForce(rec: FreezeRecord | undefined, height: number): FreezeRecord | undefined {
  if (!rec) return undefined;
  return rec.until !== undefined && height > rec.until ? undefined : rec;
}

/** A stored record as the runtime's Frozen, when in force at governance `height`. */
export function frozenAt(key: string, rec: FreezeRecord | null | undefined, height: number): Frozen | undefined {
  const r = inForce(rec ?? undefined, height);
  return r ? { key, proposal: r.proposal, how: r.how, reason: r.reason, since: r.since, ...(r.until !== undefined ? { until: r.until } : {}) } : undefined;
}

/** At most this many EVM freezes of one chain are read for a dry run (each is a governance vote). */
const MAX_EVM_FREEZES = 10_000;

/**
 * The EVM contracts of `chain` frozen in a governance state at `height`, by 0x address: what
 * eth_call refuses as a transaction would (docs/engines.md#freezing-an-evm-contract).
 */
export function frozenEvmContracts(read: (key: string) => JsonValue | null, height: number, chain: string): Record<string, Frozen> {
  const prefix = freezeKey.evmContract(chain, '');
  const out: Record<string, Frozen> = {};
  let n = 0;
  for (const k of (read(govStateKey.freezes()) as string[] | null) ?? []) {
    if (!k.startsWith(prefix)) continue;
    if (++n > MAX_EVM_FREEZES) break;
    const f = frozenAt(k, read(govStateKey.freeze(k)) as FreezeRecord | null, height);
    if (f) out[k.slice(prefix.length)] = f;
  }
  return out;
}

/** Whether a regulator's scope covers a target: alliance-wide parties need an alliance-wide regulator. */
export function covers(reg: Regulator, t: FreezeTarget): boolean {
  if (reg.chains.includes('*')) return true;
  if (t.type === 'did' || (t.type === 'token' && t.chain === '*')) return false;
  return reg.chains.includes(t.chain);
}

function outOfScope(reg: Regulator, t: FreezeTarget): ModuleError {
  return new ModuleError('GOV_OUT_OF_SCOPE', `${reg.did} regulates ${reg.chains.join(', ')}; ${describeTarget(t)} is outside that scope${t.type === 'did' || (t.type === 'token' && t.chain === '*') ? ' (a freeze on every chain needs a regulator of every chain, "*")' : ''}`);
}

export function registeredRegulator(ctx: ModuleContext, did: string): Regulator | undefined {
  return ctx.read(govKey.regulator(did));
}

function checkTargetExists(ctx: ModuleContext, t: FreezeTarget): void {
  if (t.type === 'did' || (t.type === 'token' && t.chain === '*')) return;
  const chain = ctx.read(govKey.chain(t.chain));
  if (!chain) {
    throw new ModuleError('GOV_CHAIN_NOT_FOUND', `no chain "${t.chain}" in the alliance registry; a freeze names a chain of the alliance`);
  }
  // The registry knows the chain's modules, not its EVM state: whether code lives at the address
  // is for the proposal's voters to check (docs/engines.md#freezing-an-evm-contract).
  if (t.type === 'evm-contract' && !chain.genesis.modules.includes('evm')) {
    throw new ModuleError('GOV_PAYLOAD_INVALID', `chain ${t.chain} runs no evm module, so it has no EVM contract ${t.address} to freeze; name a chain whose genesis lists "evm"`);
  }
}

/** An alert backs one freeze at a time: refused while a proposal citing it is open or approved. */
function checkEvidence(ctx: ModuleContext, ev: FreezeEvidence | undefined): void {
  if (!ev) return;
  const prior = ctx.read(govKey.evidence(ev.alert));
  if (prior === undefined) return;
  const p = ctx.read(govKey.proposal(prior));
  if (p && (p.status === 'voting' || p.status === 'approved')) {
    throw new ModuleError('GOV_EVIDENCE_USED', `alert ${ev.alert} already backs proposal #${prior} (${p.status}); a replayed freeze proposal is refused — cite a new alert`);
  }
}

/**
 * The payload of a freeze or unfreeze proposal, checked now: the target's chain exists, the
 * proposer's scope covers it (unless it is an operator), the target is (un)frozen as needed, its
 * evidence is not already used.
 */
export function freezePayload(ctx: ModuleContext, kind: 'freeze' | 'unfreeze', fields: unknown, proposer: { member?: Member; regulator?: Regulator }): ProposalPayload {
  const f = parseFields(kind, fields);
  const t = f.target;
  checkTargetExists(ctx, t);
  if (!proposer.member?.roles.includes('operator')) {
    if (!proposer.regulator) {
      if (kind === 'freeze') throw new ModuleError('GOV_NOT_REGULATOR', `${ctx.sender} is not a registered regulator; freezes are proposed by regulators (within their scope) or the operator`);
    } else if (!covers(proposer.regulator, t)) {
      throw outOfScope(proposer.regulator, t);
    }
  }
  const current = inForce(ctx.read(govKey.freeze(targetKey(t))), ctx.height);
  if (kind === 'freeze') {
    if (current) throw new ModuleError('GOV_ALREADY_FROZEN', `${describeTarget(t)} is already frozen (${current.how}, proposal #${current.proposal}, since governance height ${current.since})`);
    const evidence = 'evidence' in f ? f.evidence : undefined;
    checkEvidence(ctx, evidence);
    return { kind, target: t, reason: f.reason, ...(evidence ? { evidence } : {}) };
  }
  if (!current) throw new ModuleError('GOV_NOT_FROZEN', `${describeTarget(t)} is not frozen; nothing to unfreeze`);
  return { kind, target: t, reason: f.reason };
}

/** Writes an approved freeze or unfreeze; throws (before writing) when it no longer applies. */
export function planFreeze(ctx: ModuleContext, p: Proposal): () => void {
  const pl = p.payload;
  if (pl.kind !== 'freeze' && pl.kind !== 'unfreeze') throw new ModuleError('GOV_PAYLOAD_INVALID', 'not a freeze proposal');
  const key = targetKey(pl.target);
  const current = inForce(ctx.read(govKey.freeze(key)), ctx.height);
  if (pl.kind === 'unfreeze') {
    if (!current) throw new ModuleError('GOV_NOT_FROZEN', `${describeTarget(pl.target)} is no longer frozen`);
    return () => {
      lift(ctx, key);
      ctx.emit('Unfrozen', { key, target: asJson(pl.target), proposal: p.id });
    };
  }
  // A vote confirming an emergency freeze turns it into a freeze by vote; otherwise a new one.
  if (current && !(current.how === 'emergency' && current.proposal === p.id)) {
    throw new ModuleError('GOV_ALREADY_FROZEN', `${describeTarget(pl.target)} is already frozen by proposal #${current.proposal}`);
  }
  return () => {
    const rec: FreezeRecord = {
      key, target: pl.target, reason: pl.reason, proposal: p.id, how: 'vote', since: current?.since ?? ctx.height,
      by: current?.by ?? [p.proposer], ...(pl.evidence ? { evidence: pl.evidence } : {}),
    };
    ctx.write(govKey.freeze(key), rec);
    if (!current) addIndex(ctx, key);
    ctx.emit('Frozen', { key, target: asJson(pl.target), proposal: p.id, how: 'vote', since: rec.since });
  };
}

/** A proposal closed without approval: an emergency freeze it would have confirmed is lifted at once. */
export function freezeClosedUnapproved(ctx: ModuleContext, p: Proposal): void {
  if (p.payload.kind !== 'freeze' || !p.payload.emergency) return;
  const key = targetKey(p.payload.target);
  const rec = ctx.read(govKey.freeze(key));
  if (rec && rec.how === 'emergency' && rec.proposal === p.id) {
    lift(ctx, key);
    ctx.emit('Unfrozen', { key, target: asJson(p.payload.target), proposal: p.id, emergencyNotConfirmed: true });
  }
}

function addIndex(ctx: ModuleContext, key: string): void {
  const all = ctx.read(govKey.freezes()) ?? [];
  if (!all.includes(key)) ctx.write(govKey.freezes(), [...all, key].sort());
}

function lift(ctx: ModuleContext, key: string): void {
  ctx.delete(govKey.freeze(key));
  ctx.write(govKey.freezes(), (ctx.read(govKey.freezes()) ?? []).filter((k) => k !== key));
}

/**
 * One regulator's request for an emergency freeze. Once the policy's share of the registered
 * regulators asked (within maxBlocks), the target is frozen until governance height
 * now + maxBlocks, and a freeze proposal to confirm it is opened by `openConfirmation`; if that
 * vote does not approve it in time, it lapses (or is lifted when the vote rejects it).
 */
export function emergencyFreeze(
  ctx: ModuleContext, policy: Policy, args: { target: FreezeTarget; reason: string; evidence?: FreezeEvidence },
  openConfirmation: (payload: ProposalPayload) => number,
): JsonValue {
  const reg = registeredRegulator(ctx, ctx.sender);
  if (!reg) throw new ModuleError('GOV_NOT_REGULATOR', `${ctx.sender} is not a registered regulator; only registered regulators may freeze without a vote`);
  const t = args.target;
  if (!covers(reg, t)) throw outOfScope(reg, t);
  checkTargetExists(ctx, t);
  const key = targetKey(t);
  const current = inForce(ctx.read(govKey.freeze(key)), ctx.height);
  if (current) throw new ModuleError('GOV_ALREADY_FROZEN', `${describeTarget(t)} is already frozen (${current.how}, proposal #${current.proposal})`);
  const lock = ctx.read(govKey.lock(`freeze:${key}`));
  if (lock !== undefined) throw new ModuleError('GOV_SUBJECT_BUSY', `proposal #${lock} about ${describeTarget(t)} is open; vote on it instead`);
  checkEvidence(ctx, args.evidence);
  const e = emergencyOf(policy);
  let req = ctx.read(govKey.emergency(key));
  if (!req || ctx.height > req.expiresAt) {
    req = { key, target: t, reason: args.reason, regulators: [], startedAt: ctx.height, expiresAt: ctx.height + e.maxBlocks, ...(args.evidence ? { evidence: args.evidence } : {}) };
  }
  if (req.regulators.includes(ctx.sender)) {
    throw new ModuleError('GOV_ALREADY_VOTED', `${ctx.sender} already asked for this emergency freeze at this request (started at governance height ${req.startedAt})`);
  }
  req = { ...req, regulators: [...req.regulators, ctx.sender].sort() };
  const registered = (ctx.read(govKey.regulators()) ?? []).length;
  const asked = req.regulators.length;
  if (asked * 10_000 < e.quorumBps * registered) {
    ctx.write(govKey.emergency(key), req);
    ctx.emit('EmergencyFreezeAsked', { key, by: ctx.sender, asked, regulators: registered });
    return { key, frozen: false, asked, needed: Math.ceil((e.quorumBps * registered) / 10_000) };
  }
  ctx.delete(govKey.emergency(key));
  const payload: ProposalPayload = { kind: 'freeze', target: t, reason: req.reason, emergency: true, ...(req.evidence ? { evidence: req.evidence } : {}) };
  const proposal = openConfirmation(payload);
  const until = ctx.height + e.maxBlocks;
  const rec: FreezeRecord = {
    key, target: t, reason: req.reason, proposal, how: 'emergency', since: ctx.height, until, by: req.regulators, ...(req.evidence ? { evidence: req.evidence } : {}),
  };
  ctx.write(govKey.freeze(key), rec);
  addIndex(ctx, key);
  ctx.emit('Frozen', { key, target: asJson(t), proposal, how: 'emergency', since: ctx.height, until });
  return { key, frozen: true, proposal, until };
}
