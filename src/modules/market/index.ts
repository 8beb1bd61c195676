import { asJson, canonicalize, type JsonValue } from '../../codec/index.ts';
import { method, ModuleError, refuseFrozen, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { marketKey as k } from './keys.ts';
import {
  commitUsageArgs, componentReceiptId, delistArgs, MARKET, MARKET_LIMITS, periodAt, periodEnd, planProblems, publishArgs, settleArgs, subscribeArgs,
  subscriptionParams, subscriptionParties, usageRoot, type BatchRecord, type ProductInput, type ProductRecord, type SettledPeriod,
  type Stamp, type SubscriptionRecord,
} from './types.ts';

export * from './types.ts';
export { marketKey, marketStateKey } from './keys.ts';

/**
 * market — the ecosystem service market (生态服务市场, white paper §1.4, §7.2) on the signing chain,
 * beside the lex contracts its subscriptions are (docs/market.md):
 *
 *   publish     {product}                     the provider (sender) lists an API product; again: a new version
 *   delist      {id}                          the provider takes it off the market (no new subscriptions or usage)
 *   subscribe   {product, plan, contract}     the buyer (sender) names the api-subscription contract every party signed
 *   commitUsage {product, receipts, root}     a gateway of the product commits a batch of receipts; an id counts once
 *   settle      {subscription, period}        anyone, after the period and its grace: the contract gets the usage
 *                                              (lexcontract.meteredEvent) and emits payment, split, tax and invoices
 *
 * It lives on the signing chain because a subscription is a lex contract there: subscribing reads
 * the signed instance and settling runs its `MeteredUsage` event in the same transaction, with no
 * cross-chain hop between the usage and the contract that prices it. Data grants stay on the data
 * chain; gateways check them at call time (at the height they read).
 */

const stamp = (ctx: ModuleContext): Stamp => ({ height: ctx.height, time: ctx.time, tx: ctx.txHash });

function productOf(ctx: ModuleContext, id: string): ProductRecord {
  const p = ctx.read(k.product(id));
  if (!p) throw new ModuleError('MARKET_PRODUCT_NOT_FOUND', `no product "${id}" on the market of chain ${ctx.chain}`);
  return p;
}

function subscriptionOf(ctx: ModuleContext, id: string): SubscriptionRecord {
  const s = ctx.read(k.subscription(id));
  if (!s) throw new ModuleError('MARKET_SUBSCRIPTION_NOT_FOUND', `no subscription ${id} on the market of chain ${ctx.chain}`);
  return s;
}

/** Plans must be well formed, components listed, held by the provider's own subscriptions, and not nest too deep. */
function checkProduct(ctx: ModuleContext, p: ProductInput): void {
  const problems = p.plans.flatMap(planProblems);
  const ids = p.plans.map((x) => x.id);
  if (new Set(ids).size !== ids.length) problems.push('two plans have the same id');
  if (problems.length) throw new ModuleError('MARKET_BAD_PLAN', `product ${p.id}: ${problems.join('; ')}`);
  if (new Set(p.gateways).size !== p.gateways.length) throw new ModuleError('MARKET_BAD_PRODUCT', `product ${p.id} lists a gateway twice`);
  if ((p.category === 'composite') !== (p.components.length > 0)) {
    throw new ModuleError('MARKET_BAD_PRODUCT', `product ${p.id}: a composite product lists its components, and only a composite product does`);
  }
  for (const c of p.components) {
    if (c.product === p.id) throw new ModuleError('MARKET_BAD_PRODUCT', `product ${p.id} cannot be a component of itself`);
    const comp = productOf(ctx, c.product);
    if (comp.status !== 'listed') throw new ModuleError('MARKET_BAD_PRODUCT', `component ${c.product} of ${p.id} is delisted`);
    const sub = ctx.read(k.subscription(c.subscription));
    if (!sub || sub.product !== c.product || sub.buyer !== ctx.sender) {
      throw new ModuleError('MARKET_BAD_PRODUCT', `component ${c.product} of ${p.id}: ${c.subscription} is not the provider's own subscription to it (each component is paid by its own contract)`);
    }
    if (depth(ctx, comp, 1) >= MARKET_LIMITS.compositeDepth) throw new ModuleError('MARKET_BAD_PRODUCT', `product ${p.id} nests composites more than ${MARKET_LIMITS.compositeDepth} deep`);
  }
}

function depth(ctx: ModuleContext, p: ProductRecord, d: number): number {
  if (d > MARKET_LIMITS.compositeDepth) return d;
  let max = d;
  for (const c of p.components) {
    const comp = ctx.read(k.product(c.product));
    if (comp) max = Math.max(max, depth(ctx, comp, d + 1));
  }
  return max;
}

/**
 * A component's receipt (issue #23: "a call to a composite pays each component by its own
 * contract, recursively"): its id is derived from the composite call's receipt, that receipt is
 * counted on chain, was committed by this same gateway, and its product lists this product with
 * this subscription (the composite provider's own) as a component. A refused or over-quota
 * composite call pays no component.
 */
function checkComponentReceipt(ctx: ModuleContext, product: string, parent: string, subscription: string, id: string, i: number): void {
  const bad = (why: string): never => { throw new ModuleError('MARKET_BAD_RECEIPT', `receipts[${i}]: ${why}`); };
  if (id !== componentReceiptId(parent, subscription)) bad(`a component's receipt id is componentReceiptId(parent, subscription) = ${componentReceiptId(parent, subscription)}, not ${id}`);
  const n = ctx.read(k.receipt(parent));
  if (n === undefined) bad(`its composite call ${parent} is not counted on chain (commit the composite's receipt first; a call not charged pays no component)`);
  const via = ctx.read(k.batch(n!))!;
  if (via.gateway !== ctx.sender) throw new ModuleError('MARKET_NOT_GATEWAY', `receipts[${i}]: composite call ${parent} was metered by gateway ${via.gateway}; only it commits the components' receipts, not ${ctx.sender}`);
  const composite = ctx.read(k.product(via.product));
  if (!composite?.components.some((c) => c.product === product && c.subscription === subscription)) {
    bad(`product ${via.product} (of composite call ${parent}) does not list ${product} with subscription ${subscription} as a component`);
  }
}

function index(ctx: ModuleContext, count: ReturnType<typeof k.byBuyerCount>, at: (n: number) => ReturnType<typeof k.byBuyer>, id: string): void {
  const n = ctx.read(count) ?? 0;
  ctx.write(at(n), id);
  ctx.write(count, n + 1);
}

interface InstanceView {
  id: string;
  template: string;
  params: Record<string, JsonValue>;
  parties: Record<string, string>;
  status: string;
}

export const marketModule: ModuleDef = {
  name: MARKET,
  description: 'The ecosystem service market: API products by provider DIDs, plans, subscriptions as signed lex contracts, usage committed by metering gateways, period settlement through the contract.',
  methods: {
    publish: method({
      doc: 'Publish an API product {product} as its provider (the sender); publishing an existing id again (same provider) is its next version and lists it.',
      args: publishArgs,
      gas: 5_000,
      run(ctx, { product }) {
        refuseFrozen(ctx, { type: 'did', did: ctx.sender });
        const prior = ctx.read(k.product(product.id));
        if (prior && prior.provider !== ctx.sender) throw new ModuleError('MARKET_NOT_PROVIDER', `product ${product.id} is published by ${prior.provider}; ${ctx.sender} may not change it`);
        checkProduct(ctx, product);
        const version = (prior?.version ?? 0) + 1;
        const rec: ProductRecord = { ...product, version, provider: ctx.sender, status: 'listed', published: prior?.published ?? stamp(ctx), updated: stamp(ctx) };
        ctx.charge(2 * canonicalize(asJson(rec)).length, 'storing the product');
        ctx.write(k.product(product.id), rec);
        ctx.write(k.version(product.id, version), rec);
        if (!prior) {
          const n = (ctx.read(k.productCount()) ?? 0) + 1;
          ctx.write(k.productCount(), n);
          ctx.write(k.productSeq(n), product.id);
        }
        ctx.emit('ProductPublished', { id: product.id, version, provider: ctx.sender, category: product.category });
        return { id: product.id, version };
      },
    }),

    delist: method({
      doc: 'Delist a product {id}: its provider only; new subscriptions and new usage are refused (gateways stop serving it); periods already metered can still be settled.',
      args: delistArgs,
      gas: 2_000,
      run(ctx, { id }) {
        const p = productOf(ctx, id);
        if (p.provider !== ctx.sender) throw new ModuleError('MARKET_NOT_PROVIDER', `product ${id} is published by ${p.provider}; ${ctx.sender} may not delist it`);
        if (p.status === 'delisted') return { id, status: p.status };
        const rec: ProductRecord = { ...p, status: 'delisted', updated: stamp(ctx) };
        ctx.write(k.product(id), rec);
        ctx.write(k.version(id, p.version), rec);
        ctx.emit('ProductDelisted', { id });
        return { id, status: rec.status };
      },
    }),

    subscribe: method({
      doc: 'Subscribe {product, plan, contract} as the buyer (the sender): contract is an active api-subscription lex contract drafted with the plan\'s template, terms and parties, signed by every party.',
      args: subscribeArgs,
      gas: 5_000,
      run(ctx, args) {
        refuseFrozen(ctx, { type: 'did', did: ctx.sender });
        const p = productOf(ctx, args.product);
        if (p.status !== 'listed') throw new ModuleError('MARKET_DELISTED', `product ${p.id} is delisted; it takes no new subscriptions`);
        const plan = p.plans.find((x) => x.id === args.plan);
        if (!plan) throw new ModuleError('MARKET_PLAN_NOT_FOUND', `product ${p.id} has no plan "${args.plan}"; it has ${p.plans.map((x) => x.id).join(', ')}`);
        if (ctx.read(k.subscription(args.contract))) throw new ModuleError('MARKET_SUBSCRIBED', `contract ${args.contract} already backs a subscription`);
        const inst = ctx.call('lexcontract', 'instanceView', { id: args.contract }) as InstanceView | null;
        const bad = (why: string): never => { throw new ModuleError('MARKET_BAD_CONTRACT', `contract ${args.contract} ${why}`); };
        if (!inst) bad('is not a contract on this chain (draft it with lexcontract.draft and have every party sign it)');
        const c = inst!;
        if (c.template !== plan.template) bad(`is drafted from template ${c.template}, not plan ${plan.id}'s ${plan.template}`);
        const want = subscriptionParties(p, plan, ctx.sender);
        if (canonicalize(c.parties) !== canonicalize(want)) bad(`names parties ${canonicalize(c.parties)}; a subscription of ${ctx.sender} to ${p.id} names ${canonicalize(want)}`);
        const start = c.params.firstPeriod;
        if (typeof start !== 'number' || !Number.isSafeInteger(start)) bad('gives firstPeriod as text; the market drafts it as milliseconds (subscriptionParams)');
        const terms = { ...subscriptionParams(plan, start as number), ...want };
        if (canonicalize(c.params) !== canonicalize(terms)) bad(`is not on plan ${plan.id}'s terms: it says ${canonicalize(c.params)}, the plan gives ${canonicalize(terms)}`);
        if (c.status !== 'active') bad(`is ${c.status}: every party signs before the subscription starts`);
        const sub: SubscriptionRecord = {
          id: args.contract, product: p.id, version: p.version, plan: plan.id, buyer: ctx.sender, provider: p.provider,
          start: start as number, periodMs: plan.periodSeconds * 1000, periods: plan.periods, quota: plan.quota, settled: 0, created: stamp(ctx),
        };
        ctx.write(k.subscription(sub.id), sub);
        index(ctx, k.byBuyerCount(ctx.sender), (n) => k.byBuyer(ctx.sender, n), sub.id);
        index(ctx, k.byProductCount(p.id), (n) => k.byProduct(p.id, n), sub.id);
        ctx.emit('Subscribed', { id: sub.id, product: p.id, plan: plan.id, buyer: ctx.sender });
        return asJson(sub);
      },
    }),

    commitUsage: method({
      doc: `A metering gateway of the product commits up to ${MARKET_LIMITS.batch} usage receipts {product, receipts, root}: root is their Merkle root; a receipt id already counted (by any gateway) is skipped, never counted twice.`,
      args: commitUsageArgs,
      gas: 2_000,
      run(ctx, args) {
        const p = productOf(ctx, args.product);
        // A component's receipt is committed by the gateway that metered the composite call
        // (checked below); every other receipt by a gateway of the product itself.
        if (!p.gateways.includes(ctx.sender) && args.receipts.some((r) => r.parent === undefined)) {
          throw new ModuleError('MARKET_NOT_GATEWAY', `${ctx.sender} is not a metering gateway of product ${p.id} (its gateways: ${p.gateways.join(', ')})`);
        }
        if (p.status !== 'listed') throw new ModuleError('MARKET_DELISTED', `product ${p.id} is delisted; it takes no usage`);
        const root = usageRoot(args.receipts);
        ctx.charge(20 * args.receipts.length, 'hashing the receipts');
        if (root !== args.root) throw new ModuleError('MARKET_BAD_ROOT', `the receipts' Merkle root is ${root}, not ${args.root}`);
        const subs = new Map<string, SubscriptionRecord>();
        for (const [i, r] of args.receipts.entries()) {
          const sub = subs.get(r.subscription) ?? ctx.read(k.subscription(r.subscription));
          if (!sub || sub.product !== p.id) throw new ModuleError('MARKET_BAD_RECEIPT', `receipts[${i}]: ${r.subscription} is not a subscription to ${p.id}`);
          subs.set(sub.id, sub);
          if (periodAt(sub, r.time) !== r.period) throw new ModuleError('MARKET_BAD_RECEIPT', `receipts[${i}]: time ${r.time} is not in period ${r.period} of subscription ${sub.id}`);
          if (r.time > ctx.time) throw new ModuleError('MARKET_BAD_RECEIPT', `receipts[${i}]: time ${r.time} is after this block's time ${ctx.time}`);
          if (r.period <= sub.settled) throw new ModuleError('MARKET_PERIOD_SETTLED', `receipts[${i}]: period ${r.period} of subscription ${sub.id} is already settled`);
          if (r.parent !== undefined) checkComponentReceipt(ctx, p.id, r.parent, r.subscription, r.id, i);
        }
        const n = (ctx.read(k.batchCount()) ?? 0) + 1;
        const seen = new Set<string>();
        let counted = 0;
        let units = 0;
        let overQuota = 0;
        for (const r of args.receipts) {
          if (seen.has(r.id) || ctx.has(k.receipt(r.id))) continue; // counted before: never twice
          seen.add(r.id);
          const u = ctx.read(k.usage(r.subscription, r.period)) ?? { calls: 0, units: 0 };
          const quota = subs.get(r.subscription)!.quota;
          if (quota > 0 && u.units + r.units > quota) {
            overQuota += 1; // past the plan's quota: never charged, whatever a gateway let through
            continue;
          }
          ctx.write(k.receipt(r.id), n);
          ctx.write(k.usage(r.subscription, r.period), { calls: u.calls + 1, units: u.units + r.units });
          counted += 1;
          units += r.units;
        }
        const batch: BatchRecord = { n, product: p.id, gateway: ctx.sender, root, count: args.receipts.length, counted, overQuota, units, stamp: stamp(ctx) };
        ctx.write(k.batchCount(), n);
        ctx.write(k.batch(n), batch);
        ctx.emit('UsageCommitted', { batch: n, product: p.id, gateway: ctx.sender, root, count: batch.count, counted, overQuota, units });
        return asJson(batch);
      },
    }),

    settle: method({
      doc: 'Settle a subscription\'s period {subscription, period} once it and its grace have ended (anyone may send it): the committed usage goes to the contract as MeteredUsage, which emits the payment, the split, the tax and so the invoices.',
      args: settleArgs,
      gas: 3_000,
      run(ctx, args) {
        const sub = subscriptionOf(ctx, args.subscription);
        if (args.period !== sub.settled + 1) throw new ModuleError('MARKET_PERIOD_ORDER', `subscription ${sub.id} has settled ${sub.settled} period(s); the next to settle is ${sub.settled + 1}, not ${args.period}`);
        if (args.period > sub.periods) throw new ModuleError('MARKET_PERIOD_ORDER', `subscription ${sub.id} has ${sub.periods} period(s)`);
        const product = ctx.read(k.version(sub.product, sub.version))!;
        const plan = product.plans.find((x) => x.id === sub.plan)!;
        const closes = periodEnd(sub, args.period) + plan.graceSeconds * 1000;
        if (ctx.time < closes) throw new ModuleError('MARKET_PERIOD_OPEN', `period ${args.period} of subscription ${sub.id} can be settled from ${new Date(closes).toISOString()} (its end plus ${plan.graceSeconds} s for late receipts); the block time is ${new Date(ctx.time).toISOString()}`);
        const use = ctx.read(k.usage(sub.id, args.period)) ?? { calls: 0, units: 0 };
        const result = ctx.call('lexcontract', 'meteredEvent', { id: sub.id, event: 'MeteredUsage', input: { period: args.period, units: use.units } }) ?? null;
        const rec: SettledPeriod = { period: args.period, units: use.units, calls: use.calls, contract: sub.id, stamp: stamp(ctx), result };
        ctx.write(k.settled(sub.id, args.period), rec);
        ctx.write(k.subscription(sub.id), { ...sub, settled: args.period });
        ctx.emit('PeriodSettled', { subscription: sub.id, period: args.period, units: use.units, calls: use.calls });
        return asJson(rec);
      },
    }),
  },
};
