/**
 * The ecosystem service market (生态服务市场, white paper §1.4, §7.2): API products published by a
 * provider DID, their plans, the subscriptions (each a signed lex contract) and the usage the
 * metering gateways commit. This file is the module's face for clients: records, the zod
 * schemas of what clients send, and the pure helpers the chain, the gateway, the SDK and the CLI
 * compute the same way (a plan's lex parameters, a receipt's Merkle leaf, a period's bounds).
 */
import { canonicalBytes, toHex, type JsonValue } from '../../codec/index.ts';
import { didSchema, digestSchema, z } from '../../codec/schemas.ts';
import { sm3 } from '../../crypto/index.ts';
import { merkleRoot } from '../../ledger/index.ts';

export const MARKET = 'market';

export const MARKET_LIMITS = {
  plans: 8, gateways: 16, components: 8, datasets: 16, grants: 16, title: 200, description: 4_000,
  /** Receipts in one `commitUsage`. */
  batch: 200,
  /** Units one call may count (a call that returns many results). */
  unitsPerReceipt: 1_000,
  periods: 120,
  /** How deep composite products may nest. */
  compositeDepth: 4,
  /** Any amount of money in a plan, in minor units: 10^12 fen = 10 billion CNY. */
  money: 1_000_000_000_000,
  units: 1_000_000_000,
} as const;

export const PRODUCT_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const PLAN_ID_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Kinds of API product the white paper names (§7.2): data source, data authorisation, computation, feedback; composite: several APIs composed. */
export const CATEGORIES = ['data-source', 'data-authorisation', 'computation', 'feedback', 'composite'] as const;
export type Category = (typeof CATEGORIES)[number];
export const PLAN_KINDS = ['per-call', 'tiered', 'subscription', 'per-result'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];
/** Shares and tax rates are basis points: 10 000 = 100 %. */
export const SHARE_TOTAL = 10_000;

export interface Stamp {
  height: number;
  time: number;
  tx: string;
}

export interface Shares {
  provider: number;
  dataSource: number;
  algorithm: number;
  compute: number;
}

/** A pricing plan. Amounts are integer minor units of `currency`; shares basis points. */
export interface Plan {
  id: string;
  kind: PlanKind;
  /** What a unit of use is: a call answered (2xx), or for per-result plans a result (the upstream's `x-shulian-units`). */
  unit: 'call' | 'result';
  currency: 'CNY';
  /** The lex template (source hash on the signing chain) every subscription to this plan signs. */
  template: string;
  baseFee: number;
  includedUnits: number;
  unitPrice: number;
  tierUnits: number;
  tierPrice: number;
  /** Most units a subscription may use in a period (0: no quota). */
  quota: number;
  /** Calls per second a subscription may make through one gateway. */
  rateLimit: number;
  periodSeconds: number;
  periods: number;
  /** After a period ends, how long gateways have to commit its usage before it may be settled. */
  graceSeconds: number;
  shares: Shares;
  withholdingBp: number;
  taxAuthority: string;
}

export interface Contributors {
  dataSource: string;
  algorithm: string;
  compute: string;
}

export interface ProductInput {
  id: string;
  title: string;
  titleZh?: string;
  description?: string;
  category: Category;
  /** SM3 of the product's OpenAPI document. */
  openapi: string;
  /** Catalog datasets (data chain) the product serves from, and the grants (dataauth) it relies on: gateways refuse calls while a grant is revoked. */
  datasets: string[];
  grants: number[];
  contributors: Contributors;
  plans: Plan[];
  /** Composite products: the component products, each with the provider's own subscription to it (paid by its own contract). */
  components: Array<{ product: string; subscription: string }>;
  /** DIDs of the metering gateways allowed to commit usage for it. */
  gateways: string[];
}

export interface ProductRecord extends ProductInput {
  version: number;
  provider: string;
  status: 'listed' | 'delisted';
  published: Stamp;
  updated: Stamp;
}

export interface SubscriptionRecord {
  /** The lex contract's instance id on this chain. */
  id: string;
  product: string;
  version: number;
  plan: string;
  buyer: string;
  provider: string;
  /** Start of period 1 (ms); period p is [start + (p-1)·length, start + p·length). */
  start: number;
  periodMs: number;
  periods: number;
  quota: number;
  /** Periods settled so far. */
  settled: number;
  created: Stamp;
}

/** Usage committed for one subscription and period. */
export interface PeriodUsage {
  calls: number;
  units: number;
}

export interface BatchRecord {
  n: number;
  product: string;
  gateway: string;
  root: string;
  /** Receipts in the batch, receipts counted (new ids), and the units they counted. */
  count: number;
  counted: number;
  /** Receipts past the subscription's quota for the period: not counted, not charged. */
  overQuota: number;
  units: number;
  stamp: Stamp;
}

export interface SettledPeriod {
  period: number;
  units: number;
  calls: number;
  contract: string;
  stamp: Stamp;
  result: JsonValue;
}

/**
 * A usage receipt as committed on chain (the CloudEvents data of the gateway's signed event):
 * `id` the receipt id (SM3 of the caller's signed request, so one request is one receipt on any
 * gateway), the subscription, its period, the units counted, the call's time (ms) and the SM3
 * of the response body.
 */
export interface ReceiptLine {
  id: string;
  subscription: string;
  period: number;
  units: number;
  time: number;
  result: string;
  /**
   * A component's receipt: the receipt id of the call to the composite that paid this component
   * (its `id` is then componentReceiptId(parent, subscription)); absent for a direct call.
   */
  parent?: string;
}

// ---- schemas ----

const minor = z.number().int().min(0).max(MARKET_LIMITS.money);
const bp = z.number().int().min(0).max(SHARE_TOTAL);
const count = (max: number) => z.number().int().min(0).max(max);

export const planSchema = z.strictObject({
  id: z.string().regex(PLAN_ID_RE, 'a plan id is 1-32 lowercase letters, digits, "_" or "-"'),
  kind: z.enum(PLAN_KINDS),
  unit: z.enum(['call', 'result']),
  currency: z.literal('CNY', 'plans are priced in CNY'),
  template: digestSchema,
  baseFee: minor,
  includedUnits: count(MARKET_LIMITS.units),
  unitPrice: minor,
  tierUnits: count(MARKET_LIMITS.units),
  tierPrice: minor,
  quota: count(MARKET_LIMITS.units),
  rateLimit: z.number().int().min(1).max(100_000),
  periodSeconds: z.number().int().min(1).max(366 * 86_400),
  periods: z.number().int().min(1).max(MARKET_LIMITS.periods),
  graceSeconds: z.number().int().min(0).max(30 * 86_400),
  shares: z.strictObject({ provider: bp, dataSource: bp, algorithm: bp, compute: bp }),
  withholdingBp: bp,
  taxAuthority: didSchema,
});

export const productInputSchema = z.strictObject({
  id: z.string().regex(PRODUCT_ID_RE, 'a product id is 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit'),
  title: z.string().min(1).max(MARKET_LIMITS.title),
  titleZh: z.string().min(1).max(MARKET_LIMITS.title).optional(),
  description: z.string().max(MARKET_LIMITS.description).optional(),
  category: z.enum(CATEGORIES),
  openapi: digestSchema,
  datasets: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a catalog dataset id')).max(MARKET_LIMITS.datasets),
  grants: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(MARKET_LIMITS.grants),
  contributors: z.strictObject({ dataSource: didSchema, algorithm: didSchema, compute: didSchema }),
  plans: z.array(planSchema).min(1).max(MARKET_LIMITS.plans),
  components: z.array(z.strictObject({ product: z.string().regex(PRODUCT_ID_RE), subscription: digestSchema })).max(MARKET_LIMITS.components),
  gateways: z.array(didSchema).min(1).max(MARKET_LIMITS.gateways),
});

export const receiptLineSchema = z.strictObject({
  id: digestSchema,
  subscription: digestSchema,
  period: z.number().int().min(1).max(MARKET_LIMITS.periods),
  units: z.number().int().min(1).max(MARKET_LIMITS.unitsPerReceipt),
  time: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  result: digestSchema,
  parent: digestSchema.optional(),
});

export const publishArgs = z.strictObject({ product: productInputSchema });
export const delistArgs = z.strictObject({ id: z.string().regex(PRODUCT_ID_RE) });
export const subscribeArgs = z.strictObject({ product: z.string().regex(PRODUCT_ID_RE), plan: z.string().regex(PLAN_ID_RE), contract: digestSchema });
export const commitUsageArgs = z.strictObject({
  product: z.string().regex(PRODUCT_ID_RE),
  receipts: z.array(receiptLineSchema).min(1).max(MARKET_LIMITS.batch),
  root: digestSchema,
});
export const settleArgs = z.strictObject({ subscription: digestSchema, period: z.number().int().min(1).max(MARKET_LIMITS.periods) });

// ---- pure helpers, computed the same way on chain and off ----

/**
 * What is wrong with a plan beyond its shape, one line each (empty: nothing): shares summing to
 * exactly 100 %, and the price fields each kind uses. The chain refuses a product with any.
 */
export function planProblems(p: Plan): string[] {
  const out: string[] = [];
  const sum = p.shares.provider + p.shares.dataSource + p.shares.algorithm + p.shares.compute;
  if (sum !== SHARE_TOTAL) out.push(`plan ${p.id}: the shares add up to ${bpText(sum)}, not 100% (provider ${bpText(p.shares.provider)}, dataSource ${bpText(p.shares.dataSource)}, algorithm ${bpText(p.shares.algorithm)}, compute ${bpText(p.shares.compute)})`);
  if ((p.kind === 'per-result') !== (p.unit === 'result')) out.push(`plan ${p.id}: a per-result plan counts results (unit "result"), every other kind counts calls (unit "call")`);
  if (p.kind === 'per-call' || p.kind === 'per-result') {
    if (p.baseFee !== 0 || p.includedUnits !== 0 || p.unitPrice !== p.tierPrice) out.push(`plan ${p.id}: a ${p.kind} plan has no base fee or included units, and one price (unitPrice = tierPrice)`);
    if (p.unitPrice === 0) out.push(`plan ${p.id}: a ${p.kind} plan needs a unitPrice above 0`);
  }
  if (p.kind === 'tiered' && p.unitPrice === p.tierPrice) out.push(`plan ${p.id}: a tiered plan has a second price (tierPrice) different from unitPrice`);
  if (p.kind === 'subscription') {
    if (p.baseFee === 0) out.push(`plan ${p.id}: a subscription plan has a base fee per period`);
    if (p.quota === 0 || p.quota < p.includedUnits) out.push(`plan ${p.id}: a subscription plan has a quota of at least its included units`);
  }
  return out;
}

/** Basis points as lex's Percent text: 4000 → "40%", 1250 → "12.5%", 5 → "0.05%". */
export function bpText(n: number): string {
  const whole = Math.trunc(n / 100);
  const frac = String(n % 100).padStart(2, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}%` : `${whole}%`;
}

const money = (minorUnits: number): JsonValue => ({ currency: 'CNY', minor: minorUnits });

/**
 * The lex parameters of a subscription to `plan` starting at `start` (ms): what the buyer drafts
 * the contract with (the api-subscription template, contracts/api-subscription) and what the
 * market checks the signed contract against. Parties are given apart, as lexcontract.draft wants.
 */
export function subscriptionParams(plan: Plan, start: number): { [k: string]: JsonValue } {
  return {
    firstPeriod: start,
    periodLength: plan.periodSeconds * 1000,
    periods: plan.periods,
    baseFee: money(plan.baseFee),
    includedUnits: plan.includedUnits,
    unitPrice: money(plan.unitPrice),
    tierUnits: plan.tierUnits,
    tierPrice: money(plan.tierPrice),
    providerShare: bpText(plan.shares.provider),
    dataShare: bpText(plan.shares.dataSource),
    algorithmShare: bpText(plan.shares.algorithm),
    computeShare: bpText(plan.shares.compute),
    withholdingRate: bpText(plan.withholdingBp),
  };
}

/** The contract's parties for a subscription of `buyer` to a product on a plan. */
export function subscriptionParties(product: Pick<ProductRecord, 'provider' | 'contributors'>, plan: Plan, buyer: string): Record<string, string> {
  return {
    provider: product.provider, buyer,
    dataSource: product.contributors.dataSource, algorithm: product.contributors.algorithm, compute: product.contributors.compute,
    taxAuthority: plan.taxAuthority,
  };
}

/** The period (1-based) that time `t` falls in, or 0 before the start / past the last period. */
export function periodAt(sub: Pick<SubscriptionRecord, 'start' | 'periodMs' | 'periods'>, t: number): number {
  if (t < sub.start) return 0;
  const p = Math.floor((t - sub.start) / sub.periodMs) + 1;
  return p > sub.periods ? 0 : p;
}

export const periodEnd = (sub: Pick<SubscriptionRecord, 'start' | 'periodMs'>, p: number): number => sub.start + p * sub.periodMs;

/** The Merkle leaf data of a receipt line: its canonical JSON (the tree hashes it as a leaf). */
export const receiptLeaf = (r: ReceiptLine): Uint8Array => canonicalBytes({ ...r });

/** The Merkle root (SM3, RFC 6962-style tree of src/ledger) of a batch's receipt lines, as hex. */
export const usageRoot = (rs: ReceiptLine[]): string => toHex(merkleRoot(rs.map(receiptLeaf), sm3));

/** The receipt id of a signed request: SM3 over the caller, its nonce and the product. */
export const receiptId = (caller: string, nonce: string, product: string): string => toHex(sm3(canonicalBytes({ caller, nonce, product })));

/**
 * The receipt id of a component's share of a call to a composite: SM3 over the composite call's
 * receipt id and the provider's subscription to the component — one per call and component, so
 * a component is never paid twice for one call, whichever gateway commits it.
 */
export const componentReceiptId = (parent: string, subscription: string): string => toHex(sm3(canonicalBytes({ parent, subscription })));

/**
 * What a caller signs for one call through a metering gateway (docs/market.md#calling): the DID
 * of the gateway it is for, the method, the path as sent (query included), the subscription, a
 * nonce used once, the caller's time (ms) and the SM3 of the body. Canonical JSON; the signature
 * goes in x-shulian-signature. The gateway's DID binds a call to the one gateway it was sent to,
 * as DPoP's `htu` does (RFC 9449 §4.2): several gateways may serve a product, and each remembers
 * only its own nonces, so a call signed without it could be answered again by another.
 */
export function requestMessage(r: { gateway: string; method: string; path: string; subscription: string; nonce: string; time: number; body: Uint8Array }): Uint8Array {
  return canonicalBytes({ gateway: r.gateway, method: r.method.toUpperCase(), path: r.path, subscription: r.subscription, nonce: r.nonce, time: r.time, body: toHex(sm3(r.body)) });
}

/** Headers of a signed call (lowercase, as node:http gives them). */
export const MARKET_HEADERS = {
  did: 'x-shulian-did', key: 'x-shulian-key', nonce: 'x-shulian-nonce', time: 'x-shulian-time', subscription: 'x-shulian-subscription',
  gateway: 'x-shulian-gateway', signature: 'x-shulian-signature', receipt: 'x-shulian-receipt', units: 'x-shulian-units',
} as const;
export const NONCE_RE = /^[A-Za-z0-9._:-]{8,64}$/;
