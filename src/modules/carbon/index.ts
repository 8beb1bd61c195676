import { z } from '../../codec/schemas.ts';
import type { JsonValue, StateKey } from '../../codec/index.ts';
import type { Genesis } from '../../ledger/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { COUPON_EXPORTS, type ExchangeResult } from '../coupon/types.ts';
import { carbonKey as k } from './keys.ts';
import {
  CARBON, activityDigest, approveArgs, exchangeArgs, issueArgs, paramDigestOf, pointsFor, proposeArgs, retireArgs, transferArgs,
  type MethodologyRecord, type ProposalRecord,
} from './types.ts';

export * from './types.ts';
export { carbonKey, carbonStateKey } from './keys.ts';

const get = (ctx: ModuleContext, key: StateKey<string>): bigint => BigInt(ctx.read(key) ?? '0');
const put = (ctx: ModuleContext, key: StateKey<string>, v: bigint): void => {
  if (v === 0n) ctx.delete(key);
  else ctx.write(key, v.toString());
};
function move(ctx: ModuleContext, from: string, to: string, n: bigint): void {
  const have = get(ctx, k.balance(from));
  if (have < n) throw new ModuleError('CARBON_INSUFFICIENT', `${from} holds ${have} carbon points, less than ${n}`);
  put(ctx, k.balance(from), have - n);
  put(ctx, k.balance(to), get(ctx, k.balance(to)) + n);
}
const exchangeResult = z.object({ coupon: z.string(), issuer: z.string(), price: z.string().regex(/^[1-9][0-9]*$/) });

/**
 * carbon — carbon points from registered methodologies (types.ts). Governance: the chain's genesis
 * validators (as for settlement's issuers) vote a methodology in; a majority registers it, and a
 * registered id and version never changes — new factors are a new version, voted again.
 */
export function createCarbonModule(genesis: Pick<Genesis, 'validators'>): ModuleDef {
  const governors = genesis.validators.map((v) => v.did);
  const governor = (ctx: ModuleContext, what: string): void => {
    if (!governors.includes(ctx.sender)) throw new ModuleError('CARBON_NOT_GOVERNOR', `${ctx.sender} is not a governor of chain ${ctx.chain} (its validators ${governors.join(', ')}); only they ${what}`);
  };
  /** Registers the proposal's methodology once more than half the governors approved it. */
  const settle = (ctx: ModuleContext, p: ProposalRecord): ProposalRecord => {
    if (p.approvals.length * 2 <= governors.length) return p;
    const m = p.methodology;
    const rec: MethodologyRecord = { ...m, paramDigest: p.paramDigest, proposal: p.n, registeredAt: ctx.height };
    ctx.write(k.methodology(m.id, m.version), rec);
    ctx.write(k.stats(m.id, m.version), { records: 0, issued: '0' });
    ctx.emit('MethodologyRegistered', { id: m.id, version: m.version, paramDigest: p.paramDigest, proposal: p.n });
    return { ...p, status: 'registered' };
  };

  return {
    name: CARBON,
    description: 'Carbon points (碳普惠): methodologies voted in by the chain\'s governors, points issued once per activity from platform-signed records, transfer, exchange for coupons, irrevocable retirement.',
    methods: {
      propose: method({
        doc: 'As a governor, propose a methodology version with the SM3 digest of its params; registered once more than half the governors approved (the proposer approves).',
        args: proposeArgs,
        gas: 3_000,
        run(ctx, a): JsonValue {
          governor(ctx, 'propose methodologies');
          const m = a.methodology;
          if (a.paramDigest !== paramDigestOf(m.params)) throw new ModuleError('CARBON_DIGEST_MISMATCH', `paramDigest ${a.paramDigest} is not the SM3 of the canonical params (${paramDigestOf(m.params)})`);
          const n = (ctx.read(k.proposals()) ?? 0) + 1;
          for (let i = 1; i < n; i++) {
            const q = ctx.read(k.proposal(i));
            if (q && q.methodology.id === m.id && q.methodology.version === m.version) {
              throw new ModuleError('CARBON_METHOD_EXISTS', `methodology ${m.id} v${m.version} is ${q.status} (proposal #${q.n}); propose version ${m.version + 1} to change it`);
            }
          }
          ctx.charge(100 * n, 'checking earlier proposals');
          const p = settle(ctx, { n, methodology: m, paramDigest: a.paramDigest, proposer: ctx.sender, approvals: [ctx.sender], status: 'open', height: ctx.height });
          ctx.write(k.proposals(), n);
          ctx.write(k.proposal(n), p);
          ctx.emit('MethodologyProposed', { proposal: n, id: m.id, version: m.version, paramDigest: a.paramDigest });
          return { proposal: n, status: p.status };
        },
      }),
      approve: method({
        doc: 'As a governor, approve an open methodology proposal.',
        args: approveArgs,
        gas: 2_000,
        run(ctx, a): JsonValue {
          governor(ctx, 'approve methodologies');
          const p = ctx.read(k.proposal(a.proposal));
          if (!p || p.status !== 'open') throw new ModuleError('CARBON_PROPOSAL_NOT_FOUND', `no open methodology proposal #${a.proposal} on chain ${ctx.chain}`);
          if (p.approvals.includes(ctx.sender)) throw new ModuleError('CARBON_ALREADY_APPROVED', `${ctx.sender} approved proposal #${p.n} already`);
          const next = settle(ctx, { ...p, approvals: [...p.approvals, ctx.sender] });
          ctx.write(k.proposal(p.n), next);
          return { proposal: p.n, status: next.status, approvals: next.approvals.length };
        },
      }),
      issue: method({
        doc: 'As a platform the methodology names, issue carbon points to the citizen of an activity record; each reduction is credited once.',
        args: issueArgs,
        gas: 3_000,
        run(ctx, a): JsonValue {
          const m = ctx.read(k.methodology(a.methodology, a.version));
          if (!m) throw new ModuleError('CARBON_METHOD_NOT_FOUND', `no methodology ${a.methodology} v${a.version} is registered on chain ${ctx.chain}`);
          if (!m.recorders.includes(ctx.sender)) throw new ModuleError('CARBON_NOT_RECORDER', `${ctx.sender} is not a platform of methodology ${m.id} v${m.version} (${m.recorders.join(', ')})`);
          const act = a.activity;
          const digest = activityDigest(act);
          const prior = ctx.read(k.activity(digest));
          if (prior) throw new ModuleError('CARBON_DOUBLE_CLAIM', `activity ${digest} was issued at height ${prior.height} (ref ${prior.ref}, tx ${prior.tx})`);
          const points = pointsFor(m.params, act);
          if (typeof points === 'string') throw new ModuleError('CARBON_NO_REDUCTION', points);
          if (points === 0n) throw new ModuleError('CARBON_NO_REDUCTION', `the activity reduces less than 1 g CO2e under ${m.id} v${m.version}`);
          if (act.kind === 'travel') {
            const last = ctx.read(k.lastTrip(act.citizen));
            if (last !== undefined && act.start < last) throw new ModuleError('CARBON_DOUBLE_CLAIM', `${act.citizen} has a trip credited until ${new Date(last).toISOString()}; a trip starting at ${new Date(act.start).toISOString()} overlaps it`);
            ctx.write(k.lastTrip(act.citizen), act.end);
          } else {
            const had = ctx.read(k.period(act.citizen, act.period));
            if (had) throw new ModuleError('CARBON_DOUBLE_CLAIM', `${act.citizen}'s electricity for ${act.period} was credited (activity ${had})`);
            ctx.write(k.period(act.citizen, act.period), digest);
          }
          const stats = ctx.read(k.stats(m.id, m.version)) ?? { records: 0, issued: '0' };
          const issued = BigInt(stats.issued) + points;
          if (issued > BigInt(m.cap)) throw new ModuleError('CARBON_CAP', `methodology ${m.id} v${m.version} has issued ${stats.issued} of its cap ${m.cap}; ${points} more would exceed it`);
          ctx.write(k.stats(m.id, m.version), { ...stats, records: stats.records + 1, issued: issued.toString() });
          ctx.write(k.activity(digest), { digest, methodology: m.id, version: m.version, recorder: ctx.sender, citizen: act.citizen, ref: act.ref, points: points.toString(), height: ctx.height, tx: ctx.txHash });
          put(ctx, k.balance(act.citizen), get(ctx, k.balance(act.citizen)) + points);
          put(ctx, k.supply(), get(ctx, k.supply()) + points);
          ctx.emit('CarbonIssued', { digest, methodology: m.id, version: m.version, to: act.citizen, points: points.toString() });
          return { digest, points: points.toString() };
        },
      }),
      transfer: method({
        doc: 'Give carbon points to another DID.',
        args: transferArgs,
        gas: 1_500,
        run(ctx, a) {
          move(ctx, ctx.sender, a.to, BigInt(a.amount));
          ctx.emit('CarbonTransferred', { from: ctx.sender, to: a.to, amount: a.amount });
        },
      }),
      retire: method({
        doc: 'Retire carbon points for good (offsetting); there is no way back.',
        args: retireArgs,
        gas: 2_000,
        run(ctx, a): JsonValue {
          const n = BigInt(a.amount);
          const have = get(ctx, k.balance(ctx.sender));
          if (have < n) throw new ModuleError('CARBON_INSUFFICIENT', `${ctx.sender} holds ${have} carbon points, less than ${n}`);
          put(ctx, k.balance(ctx.sender), have - n);
          put(ctx, k.supply(), get(ctx, k.supply()) - n);
          put(ctx, k.retired(), get(ctx, k.retired()) + n);
          const i = (ctx.read(k.retirements()) ?? 0) + 1;
          ctx.write(k.retirements(), i);
          ctx.write(k.retirement(i), { n: i, holder: ctx.sender, amount: a.amount, purpose: a.purpose, height: ctx.height, time: ctx.time, tx: ctx.txHash });
          ctx.emit('CarbonRetired', { n: i, holder: ctx.sender, amount: a.amount });
          return { retirement: i };
        },
      }),
      exchange: method({
        doc: 'Buy a coupon of a campaign offered for carbon points: the price goes to the campaign\'s issuer, the coupon to the sender.',
        args: exchangeArgs,
        gas: 2_000,
        run(ctx, a): JsonValue {
          const r: ExchangeResult = exchangeResult.parse(ctx.call('coupon', COUPON_EXPORTS.exchange, { campaign: a.campaign, to: ctx.sender }));
          move(ctx, ctx.sender, r.issuer, BigInt(r.price));
          ctx.emit('CarbonExchanged', { holder: ctx.sender, campaign: a.campaign, coupon: r.coupon, points: r.price, to: r.issuer });
          return { coupon: r.coupon, points: r.price };
        },
      }),
    },
  };
}

