import { asJson, resultAs, type JsonValue, type StateKey } from '../../codec/index.ts';
import { actionName, parsePolicy, purposeName, type Policy } from '../../odrl/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { datasetIri } from '../catalog/types.ts';
import type { ConsentCheck } from '../consent/types.ts';
import { MIN_LIST_SIZE } from '../vcstatus/types.ts';
import {
  DATAAUTH, decideArgs, grantListId, offerArgs, requestArgs, revokeArgs, useArgs, useForArgs, type UseArgs,
  type GrantRecord, type OfferRecord, type RequestRecord, type UsageRecord,
} from './types.ts';
import { dataauthKey } from './keys.ts';
import { agreementFor, decideUse, grantUid, offerDecision } from './decide.ts';

export * from './types.ts';
export { dataauthKey, dataauthStateKey } from './keys.ts';

interface DatasetSummary { id: string; owner: string; version: number; status: 'active' | 'withdrawn'; sensitivity: 'public' | 'conditional' | 'closed' }

const stamp = (ctx: ModuleContext) => ({ height: ctx.height, time: ctx.time, tx: ctx.txHash });
const dataset = (ctx: ModuleContext, id: string): DatasetSummary => resultAs<DatasetSummary>(ctx.call('catalog', 'dataset', { id }));
const POLICY_GAS = 4;

function request(ctx: ModuleContext, id: number): RequestRecord {
  const r = ctx.read(dataauthKey.request(id));
  if (!r) throw new ModuleError('DATAAUTH_REQUEST_NOT_FOUND', `no data request ${id} on chain ${ctx.chain}`);
  return r;
}
function grantOf(ctx: ModuleContext, id: number): GrantRecord {
  const g = ctx.read(dataauthKey.grant(id));
  if (!g) throw new ModuleError('DATAAUTH_GRANT_NOT_FOUND', `no grant ${id} on chain ${ctx.chain}`);
  return g;
}
function append(ctx: ModuleContext, count: StateKey<number>, item: (n: number) => StateKey<number>, value: number): void {
  const n = (ctx.read(count) ?? 0) + 1;
  ctx.write(count, n);
  ctx.write(item(n), value);
}

/** Creates the grant: its Agreement, its entry in the owner's revocation list (created on first use). */
function grant(ctx: ModuleContext, r: RequestRecord, by: 'owner' | 'offer', make: (uid: string, target: string) => Policy): GrantRecord {
  const id = (ctx.read(dataauthKey.grants()) ?? 0) + 1;
  const listId = grantListId(r.owner);
  const index = ctx.read(dataauthKey.nextIndex(r.owner)) ?? 0;
  if (index >= MIN_LIST_SIZE) throw new ModuleError('DATAAUTH_LIST_FULL', `${r.owner}'s grant revocation list ${listId} is full (${MIN_LIST_SIZE} grants)`);
  // The owner's list: created here when the owner approves, or when they set their offer (an
  // offer's grant is sent by the requester, who must not become the list's issuer).
  if (by === 'owner') ctx.call('vcstatus', 'ensureList', { listId });
  const target = datasetIri(ctx.chain, r.dataset);
  const policy = make(grantUid(ctx.chain, id), target);
  ctx.charge(POLICY_GAS * JSON.stringify(policy).length, 'storing the grant policy');
  const g: GrantRecord = { id, request: r.id, dataset: r.dataset, target, owner: r.owner, grantee: r.requester, policy, purpose: r.purpose, status: { listId, index }, granted: { ...stamp(ctx), by } };
  if (r.consents) g.consents = r.consents;
  ctx.write(dataauthKey.grant(id), g);
  ctx.write(dataauthKey.grants(), id);
  ctx.write(dataauthKey.nextIndex(r.owner), index + 1);
  ctx.write(dataauthKey.request(r.id), { ...r, status: 'granted', decided: { ...stamp(ctx), by }, grant: id } satisfies RequestRecord);
  ctx.emit('Granted', { request: r.id, grant: id, dataset: r.dataset, owner: r.owner, grantee: r.requester, by });
  return g;
}

/** dataauth.use, for the grantee `user`: the checks, the usage record and the counter. */
function recordUse(ctx: ModuleContext, user: string, a: UseArgs): JsonValue {
  const g = grantOf(ctx, a.grant);
  const uses = ctx.read(dataauthKey.uses(g.id)) ?? 0;
  const revoked = ctx.call('vcstatus', 'status', { listId: g.status.listId, index: g.status.index }) === true;
  const datasetActive = dataset(ctx, g.dataset).status === 'active';
  const purpose = a.purpose ?? g.purpose;
  const digests = [...(g.consents ?? []), ...(a.consent ? [a.consent] : [])];
  const consents = checkConsents(ctx, digests, a.recipient ?? g.grantee, purpose);
  const v = decideUse({ grant: g, uses, revoked, datasetActive, consents, time: ctx.time }, { user, action: a.action, purpose, ...(a.recipient ? { recipient: a.recipient } : {}) });
  if (!v.ok) throw new ModuleError(v.code as never, v.message);
  const rec: UsageRecord = { grant: g.id, n: v.count, user, action: actionName(a.action)!, requestHash: a.requestHash, purpose: v.purpose, recipient: v.recipient, height: ctx.height, time: ctx.time, tx: ctx.txHash };
  if (a.consent) rec.consent = a.consent;
  ctx.write(dataauthKey.use(g.id, v.count), rec);
  ctx.write(dataauthKey.uses(g.id), v.count);
  ctx.emit('Used', { grant: g.id, n: v.count, user, action: rec.action });
  return { grant: g.id, n: v.count, duties: asJson(v.duties) };
}

function checkConsents(ctx: ModuleContext, digests: string[], controller: string, purpose: string): Array<{ digest: string; check: ConsentCheck }> {
  return digests.map((digest) => ({ digest, check: resultAs<ConsentCheck>(ctx.call('consent', 'activeAt', { digest, height: ctx.height, controller, purpose })) }));
}

/**
 * dataauth — requests for catalogued datasets, decided by the owner or by the owner's standing
 * ODRL offer; grants carry an ODRL Agreement and an entry in the owner's revocation list, so a
 * revocation is one write; every use is judged by the same evaluator and recorded.
 */
export const dataauthModule: ModuleDef = {
  name: DATAAUTH,
  description: 'Data authorisation: requests, owner or offer decisions, grants as ODRL Agreements with revocation entries, usage records judged by one ODRL evaluator.',
  methods: {
    setOffer: method({
      doc: 'The dataset\'s owner sets (or with null clears) a standing ODRL Offer that decides requests without them; also creates their grant revocation list.',
      args: offerArgs,
      gas: 3_000,
      run(ctx, a): JsonValue {
        const d = dataset(ctx, a.dataset);
        if (d.owner !== ctx.sender) throw new ModuleError('DATAAUTH_NOT_OWNER', `dataset ${a.dataset} is ${d.owner}'s; ${ctx.sender} may not set its offer`);
        if (a.policy === null) {
          ctx.delete(dataauthKey.offer(a.dataset));
          ctx.emit('OfferCleared', { dataset: a.dataset });
          return { dataset: a.dataset, offer: null };
        }
        const policy = parsePolicy(a.policy);
        const target = datasetIri(ctx.chain, a.dataset);
        if (policy['@type'] !== 'Offer' || policy.assigner !== ctx.sender || (policy.target !== undefined && policy.target !== target)) {
          throw new ModuleError('DATAAUTH_POLICY_MISMATCH', `a standing offer is an ODRL Offer whose assigner is ${ctx.sender} and whose target (if given) is ${target}`);
        }
        ctx.charge(POLICY_GAS * JSON.stringify(policy).length, 'storing the offer');
        ctx.call('vcstatus', 'ensureList', { listId: grantListId(ctx.sender) });
        ctx.write(dataauthKey.offer(a.dataset), { dataset: a.dataset, owner: ctx.sender, policy: { ...policy, target }, height: ctx.height } satisfies OfferRecord);
        ctx.emit('OfferSet', { dataset: a.dataset, uid: policy.uid });
        return { dataset: a.dataset, uid: policy.uid };
      },
    }),
    request: method({
      doc: 'Ask for a dataset: DPV purpose, ODRL actions, and optionally a use count, an end time, a recipient and subjects\' consents. A standing offer decides at once; otherwise the owner does.',
      args: requestArgs,
      gas: 4_000,
      run(ctx, a): JsonValue {
        const p = purposeName(a.purpose);
        if (!p) throw new ModuleError('ODRL_UNKNOWN_PURPOSE', `dataauth.request args.purpose: "${a.purpose}" is not a DPV purpose (e.g. dpv:AcademicResearch, dpv:ServiceProvision)`);
        a.actions.forEach((x, i) => {
          if (!actionName(x)) throw new ModuleError('ODRL_UNKNOWN_ACTION', `dataauth.request args.actions[${i}]: "${x}" is not an ODRL 2.2 action (read, use, aggregate, derive, distribute, …)`);
        });
        const d = dataset(ctx, a.dataset);
        if (d.status !== 'active') throw new ModuleError('DATAAUTH_DATASET_WITHDRAWN', `dataset ${a.dataset} was withdrawn from the catalog`);
        if (d.sensitivity === 'closed') throw new ModuleError('DATAAUTH_CLOSED', `dataset ${a.dataset} is 不予开放 (closed): it is listed in the catalog but not open to requests`);
        const controller = a.recipient ?? ctx.sender;
        for (const c of checkConsents(ctx, a.consents ?? [], controller, `dpv:${p}`)) {
          if (!c.check.active) throw new ModuleError(c.check.code, c.check.message);
        }
        const id = (ctx.read(dataauthKey.requests()) ?? 0) + 1;
        const r: RequestRecord = { id, dataset: a.dataset, datasetVersion: d.version, owner: d.owner, requester: ctx.sender, purpose: `dpv:${p}`, actions: a.actions.map((x) => actionName(x)!), status: 'pending', requested: stamp(ctx) };
        if (a.count !== undefined) r.count = a.count;
        if (a.notAfter !== undefined) r.notAfter = a.notAfter;
        if (a.recipient !== undefined) r.recipient = a.recipient;
        if (a.consents?.length) r.consents = a.consents;
        ctx.write(dataauthKey.request(id), r);
        ctx.write(dataauthKey.requests(), id);
        append(ctx, dataauthKey.requesterCount(ctx.sender), (n) => dataauthKey.byRequester(ctx.sender, n), id);
        append(ctx, dataauthKey.ownerCount(d.owner), (n) => dataauthKey.byOwner(d.owner, n), id);
        ctx.emit('Requested', { request: id, dataset: a.dataset, owner: d.owner, requester: ctx.sender });
        const offer = ctx.read(dataauthKey.offer(a.dataset));
        if (!offer) return { request: id, status: 'pending' };
        const verdict = offerDecision(offer.policy, r, datasetIri(ctx.chain, a.dataset), ctx.time);
        if (!verdict.ok) {
          ctx.write(dataauthKey.request(id), { ...r, status: 'refused', decided: { ...stamp(ctx), by: 'offer', reason: verdict.message } } satisfies RequestRecord);
          ctx.emit('Refused', { request: id, by: 'offer' });
          return { request: id, status: 'refused', reason: verdict.message };
        }
        const g = grant(ctx, r, 'offer', (uid, target) => agreementFor(r, uid, target, { policy: offer.policy, rules: verdict.rules }));
        return { request: id, status: 'granted', grant: g.id };
      },
    }),
    approve: method({
      doc: 'The owner grants a pending request: the Agreement the request implies, or the one given (same assigner, assignee and target).',
      args: decideArgs,
      gas: 4_000,
      run(ctx, a) {
        const r = request(ctx, a.request);
        if (r.owner !== ctx.sender) throw new ModuleError('DATAAUTH_NOT_OWNER', `request ${r.id} is for ${r.owner}'s dataset ${r.dataset}; ${ctx.sender} may not decide it`);
        if (r.status !== 'pending') throw new ModuleError('DATAAUTH_DECIDED', `request ${r.id} was already ${r.status} at height ${r.decided?.height}`);
        const d = dataset(ctx, r.dataset);
        if (d.status !== 'active') throw new ModuleError('DATAAUTH_DATASET_WITHDRAWN', `dataset ${r.dataset} was withdrawn from the catalog`);
        const g = grant(ctx, r, 'owner', (uid, target) => {
          if (a.policy === undefined) return agreementFor(r, uid, target);
          const p = parsePolicy(a.policy);
          if (p['@type'] !== 'Agreement' || p.assigner !== r.owner || p.assignee !== r.requester || p.target !== target) {
            throw new ModuleError('DATAAUTH_POLICY_MISMATCH', `the policy must be an ODRL Agreement with assigner ${r.owner}, assignee ${r.requester} and target ${target}`);
          }
          return { ...p, uid };
        });
        return { request: r.id, grant: g.id, statusIndex: g.status.index };
      },
    }),
    refuse: method({
      doc: 'The owner refuses a pending request, with a reason.',
      args: decideArgs,
      gas: 2_000,
      run(ctx, a) {
        const r = request(ctx, a.request);
        if (r.owner !== ctx.sender) throw new ModuleError('DATAAUTH_NOT_OWNER', `request ${r.id} is for ${r.owner}'s dataset; ${ctx.sender} may not decide it`);
        if (r.status !== 'pending') throw new ModuleError('DATAAUTH_DECIDED', `request ${r.id} was already ${r.status}`);
        const decided: NonNullable<RequestRecord['decided']> = { ...stamp(ctx), by: 'owner' };
        if (a.reason !== undefined) decided.reason = a.reason;
        ctx.write(dataauthKey.request(r.id), { ...r, status: 'refused', decided } satisfies RequestRecord);
        ctx.emit('Refused', { request: r.id, by: 'owner' });
        return { request: r.id, status: 'refused' };
      },
    }),
    revoke: method({
      doc: 'The owner revokes a grant: one write, its entry in the owner\'s revocation list (vcstatus); uses are refused from then on.',
      args: revokeArgs,
      gas: 2_000,
      run(ctx, a) {
        const g = grantOf(ctx, a.grant);
        if (g.owner !== ctx.sender) throw new ModuleError('DATAAUTH_NOT_OWNER', `grant ${g.id} was made by ${g.owner}; ${ctx.sender} may not revoke it`);
        const r = ctx.call('vcstatus', 'setStatus', { listId: g.status.listId, index: g.status.index, value: true }) as { changed: boolean };
        if (!r.changed) throw new ModuleError('DATAAUTH_REVOKED', `grant ${g.id} is already revoked`);
        ctx.emit('Revoked', { grant: g.id, ...(a.reason ? { reason: a.reason } : {}) });
        return { grant: g.id, revoked: true };
      },
    }),
    use: method({
      doc: 'The grantee records a use (action, digest of what was asked); refused — and nothing written — when revoked, when a consent no longer holds, or when the ODRL policy says no.',
      args: useArgs,
      gas: 3_000,
      run: (ctx, a) => recordUse(ctx, ctx.sender, a),
    }),
  },
  exports: {
    useFor: exported({
      doc: 'The privacy module records a use of a grant on behalf of the run\'s requester (its grantee): the same checks and usage counter as dataauth.use (docs/privacy.md).',
      gas: 3_000,
      callers: ['privacy'],
      args: useForArgs,
      run(ctx, { user, ...a }) {
        const g = grantOf(ctx, a.grant);
        return { ...(recordUse(ctx, user, a) as Record<string, JsonValue>), dataset: g.dataset, owner: g.owner };
      },
    }),
  },
};
