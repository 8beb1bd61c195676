import { asJson, type JsonValue } from '../../codec/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { couponKey as k } from './keys.ts';
import {
  COUPON, COUPON_EXPORTS, authorizeArgs, couponArgs, couponId, createCampaignArgs, discountOf, exchangeArgs, issueArgs, maxOffOf, redeemArgs,
  type CampaignRecord, type CouponRecord, type ExchangeResult,
} from './types.ts';

export * from './types.ts';
export { couponKey, couponStateKey } from './keys.ts';

function campaignOf(ctx: ModuleContext, id: string): CampaignRecord {
  const c = ctx.read(k.campaign(id));
  if (!c) throw new ModuleError('COUPON_NOT_FOUND', `no coupon campaign "${id}" on chain ${ctx.chain}`);
  return c;
}
function couponOf(ctx: ModuleContext, id: string): CouponRecord {
  const c = ctx.read(k.coupon(id));
  if (!c) throw new ModuleError('COUPON_NOT_FOUND', `no coupon "${id}" on chain ${ctx.chain}`);
  return c;
}
const add = (a: string, b: bigint): string => (BigInt(a) + b).toString();
const iso = (t: number): string => new Date(t).toISOString();

/** Issues one coupon, reserving its largest discount of the budget (types.ts: reserved + spent ≤ budget). */
function issueOne(ctx: ModuleContext, c: CampaignRecord, to: string): CouponRecord {
  if (ctx.time >= c.validUntil) throw new ModuleError('COUPON_NOT_VALID', `campaign ${c.id} ended at ${iso(c.validUntil)}`);
  const off = BigInt(maxOffOf(c.rule));
  const committed = BigInt(c.reserved) + BigInt(c.spent);
  if (committed + off > BigInt(c.budget)) throw new ModuleError('COUPON_BUDGET', `campaign ${c.id} has ${BigInt(c.budget) - committed} of its budget ${c.budget} left, less than the ${off} a coupon may take off`);
  const got = ctx.read(k.received(c.id, to)) ?? 0;
  if (c.perHolder !== undefined && got >= c.perHolder) throw new ModuleError('COUPON_HOLDER_LIMIT', `${to} received ${got} coupons of campaign ${c.id}, the most it allows`);
  const rec: CouponRecord = { id: couponId(c.id, c.issued + 1), campaign: c.id, holder: to, status: 'issued', maxOff: off.toString(), issuedAt: ctx.time };
  ctx.write(k.campaign(c.id), { ...c, issued: c.issued + 1, reserved: add(c.reserved, off) });
  ctx.write(k.coupon(rec.id), rec);
  ctx.write(k.received(c.id, to), got + 1);
  ctx.emit('CouponIssued', { coupon: rec.id, campaign: c.id, to });
  return rec;
}

/**
 * coupon — campaigns, coupons and their redemption by merchants with the holder's consent
 * (types.ts). A holder authorises one merchant for a coupon with a signed transaction; the
 * merchant redeems with the purchase amount; stacking, thresholds, windows and the budget are
 * checked on chain, and a coupon's status moves only forward (issued → redeemed → refunded, or
 * issued → expired), so it is never redeemed twice.
 */
export const couponModule: ModuleDef = {
  name: COUPON,
  description: 'Coupon campaigns with a budget: threshold (满减), percentage and fixed discounts, stacking groups, exclusivity, validity windows and merchant lists; issue, redeem, expire, refund.',
  methods: {
    createCampaign: method({
      doc: 'Create a campaign; the sender is its issuer and pays its discounts up to the budget.',
      args: createCampaignArgs,
      gas: 3_000,
      run(ctx, a): JsonValue {
        if (ctx.has(k.campaign(a.id))) throw new ModuleError('COUPON_EXISTS', `campaign "${a.id}" already exists on chain ${ctx.chain}`);
        const rec: CampaignRecord = {
          id: a.id, issuer: ctx.sender, name: a.name, budget: a.budget, reserved: '0', spent: '0', issued: 0, redeemed: 0, rule: a.rule, group: a.group,
          exclusive: a.exclusive, validFrom: a.validFrom, validUntil: a.validUntil, merchants: a.merchants, height: ctx.height,
          ...(a.perHolder !== undefined ? { perHolder: a.perHolder } : {}), ...(a.pointsPrice !== undefined ? { pointsPrice: a.pointsPrice } : {}),
        };
        ctx.write(k.campaign(a.id), rec);
        const n = (ctx.read(k.campaigns()) ?? 0) + 1;
        ctx.write(k.campaigns(), n);
        ctx.write(k.campaignAt(n), a.id);
        ctx.emit('CampaignCreated', { id: a.id, issuer: ctx.sender, budget: a.budget });
        return { id: a.id };
      },
    }),
    issue: method({
      doc: 'Issue one coupon of a campaign to a DID (the campaign\'s issuer only); refused when the budget cannot cover its largest discount.',
      args: issueArgs,
      gas: 2_000,
      run(ctx, a): JsonValue {
        const c = campaignOf(ctx, a.campaign);
        if (c.issuer !== ctx.sender) throw new ModuleError('COUPON_NOT_ISSUER', `campaign ${c.id} is issued by ${c.issuer}; ${ctx.sender} may not issue its coupons`);
        return { coupon: issueOne(ctx, c, a.to).id };
      },
    }),
    authorize: method({
      doc: 'As the holder, authorise one merchant of the campaign\'s list to redeem a coupon (the holder\'s signature on the redemption).',
      args: authorizeArgs,
      gas: 1_500,
      run(ctx, a) {
        const cp = couponOf(ctx, a.coupon);
        if (cp.holder !== ctx.sender) throw new ModuleError('COUPON_NOT_HOLDER', `coupon ${cp.id} belongs to ${cp.holder}, not ${ctx.sender}`);
        if (cp.status !== 'issued') throw new ModuleError('COUPON_USED', `coupon ${cp.id} is ${cp.status}`);
        const c = campaignOf(ctx, cp.campaign);
        if (!c.merchants.includes(a.merchant)) throw new ModuleError('COUPON_MERCHANT', `${a.merchant} is not a merchant of campaign ${c.id}`);
        ctx.write(k.coupon(cp.id), { ...cp, authorized: a.merchant });
        ctx.emit('CouponAuthorized', { coupon: cp.id, merchant: a.merchant });
      },
    }),
    redeem: method({
      doc: 'As a merchant, redeem the holder\'s coupons on a purchase: each authorised for the sender, valid now, stackable together; the discounts apply in the order given, each on what is still to pay.',
      args: redeemArgs,
      gas: 3_000,
      run(ctx, a): JsonValue {
        const amount = BigInt(a.amount);
        let due = amount;
        const groups = new Set<string>();
        const plan: Array<{ cp: CouponRecord; c: CampaignRecord; off: bigint }> = [];
        for (const id of a.coupons) {
          const cp = couponOf(ctx, id);
          if (cp.holder !== a.holder) throw new ModuleError('COUPON_NOT_HOLDER', `coupon ${id} belongs to ${cp.holder}, not ${a.holder}`);
          if (cp.status !== 'issued') throw new ModuleError('COUPON_USED', `coupon ${id} is ${cp.status}${cp.redemption ? ` (by ${cp.redemption.merchant} at ${iso(cp.redemption.time)})` : ''}; a coupon is used once`);
          const c = campaignOf(ctx, cp.campaign);
          if (!c.merchants.includes(ctx.sender)) throw new ModuleError('COUPON_MERCHANT', `${ctx.sender} is not a merchant of campaign ${c.id}`);
          if (cp.authorized !== ctx.sender) throw new ModuleError('COUPON_NOT_AUTHORIZED', `the holder of coupon ${id} has ${cp.authorized ? `authorised ${cp.authorized}, not ${ctx.sender}` : 'not authorised a merchant'}; they send coupon.authorize first`);
          if (ctx.time < c.validFrom || ctx.time >= c.validUntil) throw new ModuleError('COUPON_NOT_VALID', `campaign ${c.id} is valid from ${iso(c.validFrom)} until ${iso(c.validUntil)}, not at ${iso(ctx.time)}`);
          if ((c.exclusive && a.coupons.length > 1) || groups.has(c.group)) throw new ModuleError('COUPON_STACKING', c.exclusive && a.coupons.length > 1 ? `coupon ${id} is exclusive: it is redeemed alone` : `two coupons of stacking group "${c.group}" cannot be used together`);
          groups.add(c.group);
          const off = discountOf(c.rule, due);
          if (off === undefined) throw new ModuleError('COUPON_THRESHOLD', `coupon ${id} needs at least ${c.rule.kind === 'threshold' ? c.rule.min : '?'} still to pay; ${due} is`);
          due -= off;
          plan.push({ cp, c, off });
        }
        const redemption = { merchant: ctx.sender, amount: a.amount, time: ctx.time, tx: ctx.txHash };
        for (const { cp, off } of plan) {
          // Re-read: two coupons of one campaign in one redemption are refused by the group check, but the record is current either way.
          const c = campaignOf(ctx, cp.campaign);
          ctx.write(k.campaign(c.id), { ...c, reserved: add(c.reserved, -BigInt(cp.maxOff)), spent: add(c.spent, off), redeemed: c.redeemed + 1 });
          ctx.write(k.coupon(cp.id), { ...cp, status: 'redeemed', redemption: { ...redemption, discount: off.toString() } });
          ctx.emit('CouponRedeemed', { coupon: cp.id, campaign: c.id, holder: a.holder, merchant: ctx.sender, discount: off.toString() });
        }
        return { amount: a.amount, discount: (amount - due).toString(), due: due.toString(), coupons: plan.map((p) => ({ coupon: p.cp.id, discount: p.off.toString() })) };
      },
    }),
    expire: method({
      doc: 'Expire an unredeemed coupon of a campaign that has ended (anyone may); its reservation returns to the budget.',
      args: couponArgs,
      gas: 1_500,
      run(ctx, a) {
        const cp = couponOf(ctx, a.coupon);
        if (cp.status !== 'issued') throw new ModuleError('COUPON_USED', `coupon ${cp.id} is ${cp.status}`);
        const c = campaignOf(ctx, cp.campaign);
        if (ctx.time < c.validUntil) throw new ModuleError('COUPON_NOT_EXPIRED', `campaign ${c.id} is valid until ${iso(c.validUntil)}`);
        ctx.write(k.campaign(c.id), { ...c, reserved: add(c.reserved, -BigInt(cp.maxOff)) });
        ctx.write(k.coupon(cp.id), { ...cp, status: 'expired' });
        ctx.emit('CouponExpired', { coupon: cp.id, campaign: c.id });
      },
    }),
    refund: method({
      doc: 'As the merchant that redeemed a coupon, refund the purchase: the discount returns to the budget and the coupon is spent (status refunded).',
      args: couponArgs,
      gas: 1_500,
      run(ctx, a) {
        const cp = couponOf(ctx, a.coupon);
        if (cp.status !== 'redeemed' || !cp.redemption || cp.redemption.merchant !== ctx.sender) {
          throw new ModuleError('COUPON_NOT_REDEEMED', `coupon ${cp.id} is ${cp.status}${cp.redemption ? `, redeemed by ${cp.redemption.merchant}` : ''}; only the merchant that redeemed it refunds it`);
        }
        const c = campaignOf(ctx, cp.campaign);
        ctx.write(k.campaign(c.id), { ...c, spent: add(c.spent, -BigInt(cp.redemption.discount)) });
        ctx.write(k.coupon(cp.id), { ...cp, status: 'refunded' });
        ctx.emit('CouponRefunded', { coupon: cp.id, campaign: c.id, merchant: ctx.sender, discount: cp.redemption.discount });
      },
    }),
  },
  exports: {
    [COUPON_EXPORTS.exchange]: exported({
      doc: 'For `carbon.exchange`: issue a coupon of a campaign offered for points to {to}; answers the coupon, the issuer (who receives the points) and the price.',
      gas: 2_000,
      callers: ['carbon'],
      args: exchangeArgs,
      run(ctx, a): JsonValue {
        const c = campaignOf(ctx, a.campaign);
        if (c.pointsPrice === undefined) throw new ModuleError('COUPON_NOT_FOR_POINTS', `campaign ${c.id} is not offered for carbon points`);
        const r: ExchangeResult = { coupon: issueOne(ctx, c, a.to).id, issuer: c.issuer, price: c.pointsPrice };
        return asJson(r);
      },
    }),
  },
};
