/**
 * The service market through the SDK (docs/market.md): publish API products, subscribe with a
 * signed api-subscription contract, read products, subscriptions, usage and settled periods from
 * the signing chain, settle a period; and call a product through a metering gateway, signing
 * each request or with a short-lived token obtained by one signature.
 */
import { foreign, resultAs, ShulianError, toHex, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, sign, type KeyPair } from '../crypto/index.ts';
import { marketStateKey } from '../modules/market/keys.ts';
import { lexFullKey } from '../modules/lexcontract/keys.ts';
import type { LexInstance, SettlementRecord } from '../modules/lexcontract/types.ts';
import {
  MARKET_HEADERS, bpText, requestMessage, subscriptionParams, subscriptionParties, type BatchRecord, type PeriodUsage, type Plan, type ProductInput,
  type ProductRecord, type ReceiptLine, type SettledPeriod, type SubscriptionRecord,
} from '../modules/market/types.ts';
import type { ShulianClient } from './client.ts';
import type { ShulianHttp } from './http.ts';
import type { CommittedTx, SendOptions, WaitOptions } from './types.ts';

export type { BatchRecord, PeriodUsage, Plan, ProductInput, ProductRecord, ReceiptLine, SettledPeriod, SubscriptionRecord };
export { bpText, subscriptionParams, subscriptionParties };
export const DEFAULT_MARKET_CHAIN = 'sign';

export type MarketSendOptions = { chain?: string } & SendOptions & WaitOptions;
type Reader = Pick<ShulianHttp, 'state'>;

/** Sends a call and waits for its block; throws the module's error code if it was refused. */
async function sendMarket<T>(client: ShulianClient, key: KeyPair, module: string, method: string, args: JsonValue, o: MarketSendOptions): Promise<{ tx: CommittedTx; result: T }> {
  const chain = o.chain ?? DEFAULT_MARKET_CHAIN;
  const hash = await client.send(chain, key, { module, method, args }, o);
  const inc = await client.waitForTx(hash, o);
  if (inc.receipt.status !== 'ok') {
    const code = foreign(inc.receipt.code) ?? 'TX_FAILED';
    throw new ShulianError(code, `${module}.${method} was refused at height ${inc.height} of chain ${chain}: ${inc.receipt.message ?? code}`, { tx: hash, height: inc.height });
  }
  return { tx: inc, result: resultAs<T>(inc.receipt.result) };
}

const read = async <T>(c: Reader, key: string, chain = DEFAULT_MARKET_CHAIN): Promise<T | null> => (await c.state(chain, key)).value as T | null;

// ---- writes ----

export const publishProduct = (c: ShulianClient, provider: KeyPair, product: ProductInput, o: MarketSendOptions = {}) =>
  sendMarket<{ id: string; version: number }>(c, provider, 'market', 'publish', { product: product as unknown as JsonValue }, o);
export const delistProduct = (c: ShulianClient, provider: KeyPair, id: string, o: MarketSendOptions = {}) =>
  sendMarket<{ id: string; status: string }>(c, provider, 'market', 'delist', { id }, o);

/**
 * The buyer's first step: drafts the plan's api-subscription contract on the plan's terms, from
 * `start` (ms, default now), with the product's parties. Every party then signs it
 * (lexcontract.sign with the returned fingerprint), and the buyer calls `subscribe`.
 */
export async function draftSubscription(c: ShulianClient, buyer: KeyPair, productId: string, planId: string, o: MarketSendOptions & { start?: number } = {}): Promise<{ id: string; fingerprint: string; parties: Record<string, string> }> {
  const p = await getProduct(c, productId, o);
  const plan = p.plans.find((x) => x.id === planId);
  if (!plan) throw new ShulianError('NOT_FOUND', `product ${productId} has no plan "${planId}"; it has ${p.plans.map((x) => x.id).join(', ')}`);
  const parties = subscriptionParties(p, plan, didFromPublicKey(buyer.publicKey));
  const { result } = await sendMarket<{ id: string; fingerprint: string }>(c, buyer, 'lexcontract', 'draft', { template: plan.template, params: subscriptionParams(plan, o.start ?? Date.now()), parties }, o);
  return { ...result, parties };
}

export const signSubscription = (c: ShulianClient, party: KeyPair, id: string, fingerprint: string, o: MarketSendOptions = {}) =>
  sendMarket<{ id: string; party: string; status: string }>(c, party, 'lexcontract', 'sign', { id, fingerprint }, o);
export const subscribe = (c: ShulianClient, buyer: KeyPair, a: { product: string; plan: string; contract: string }, o: MarketSendOptions = {}) =>
  sendMarket<SubscriptionRecord>(c, buyer, 'market', 'subscribe', a, o);
/** A metering gateway's batch of receipts (the gateway does this itself; see src/market). */
export const commitUsageBatch = (c: ShulianClient, gateway: KeyPair, a: { product: string; receipts: ReceiptLine[]; root: string }, o: MarketSendOptions = {}) =>
  sendMarket<BatchRecord>(c, gateway, 'market', 'commitUsage', a as unknown as JsonValue, o);
export const settlePeriod = (c: ShulianClient, key: KeyPair, a: { subscription: string; period: number }, o: MarketSendOptions = {}) =>
  sendMarket<SettledPeriod>(c, key, 'market', 'settle', a, o);

// ---- reads (the chain's state; any node's API) ----

export async function getProduct(c: Reader, id: string, o: { chain?: string; version?: number } = {}): Promise<ProductRecord> {
  const p = await read<ProductRecord>(c, o.version ? marketStateKey.version(id, o.version) : marketStateKey.product(id), o.chain);
  if (!p) throw new ShulianError('NOT_FOUND', `no product "${id}"${o.version ? ` version ${o.version}` : ''} on the market`);
  return p;
}

export interface ProductQuery {
  category?: string;
  provider?: string;
  /** Products with a plan whose unit price (or base fee) is at most this, in minor units. */
  maxPrice?: number;
  text?: string;
  includeDelisted?: boolean;
  limit?: number;
  chain?: string;
}

/** The catalog, newest first, filtered by category, provider, price and text (read from state; at most `limit`, default 100). */
export async function listProducts(c: Reader, q: ProductQuery = {}): Promise<ProductRecord[]> {
  const n = (await read<number>(c, marketStateKey.productCount(), q.chain)) ?? 0;
  const limit = Math.min(q.limit ?? 100, 1_000);
  const out: ProductRecord[] = [];
  const text = q.text?.toLowerCase();
  for (let i = n; i >= 1 && out.length < limit; i--) {
    const id = await read<string>(c, marketStateKey.productSeq(i), q.chain);
    if (!id) continue;
    const p = await read<ProductRecord>(c, marketStateKey.product(id), q.chain);
    if (!p) continue;
    if (!q.includeDelisted && p.status !== 'listed') continue;
    if (q.category && p.category !== q.category) continue;
    if (q.provider && p.provider !== q.provider) continue;
    if (q.maxPrice !== undefined && !p.plans.some((x) => Math.max(x.unitPrice, x.baseFee) <= q.maxPrice!)) continue;
    if (text && !`${p.id} ${p.title} ${p.titleZh ?? ''} ${p.description ?? ''}`.toLowerCase().includes(text)) continue;
    out.push(p);
  }
  return out;
}

export async function getSubscription(c: Reader, id: string, o: { chain?: string } = {}): Promise<SubscriptionRecord> {
  const s = await read<SubscriptionRecord>(c, marketStateKey.subscription(id), o.chain);
  if (!s) throw new ShulianError('NOT_FOUND', `no subscription ${id} on the market`);
  return s;
}

/** A buyer's subscriptions, or a product's. */
export async function listSubscriptions(c: Reader, who: { buyer?: string; product?: string }, o: { chain?: string; limit?: number } = {}): Promise<SubscriptionRecord[]> {
  const [countKey, at] = who.buyer
    ? [marketStateKey.byBuyerCount(who.buyer), (n: number) => marketStateKey.byBuyer(who.buyer!, n)]
    : who.product ? [marketStateKey.byProductCount(who.product), (n: number) => marketStateKey.byProduct(who.product!, n)] : (() => { throw new ShulianError('BAD_ARGUMENT', 'listSubscriptions needs a buyer or a product'); })();
  const n = (await read<number>(c, countKey, o.chain)) ?? 0;
  const out: SubscriptionRecord[] = [];
  for (let i = 0; i < n && out.length < (o.limit ?? 100); i++) {
    const id = await read<string>(c, at(i), o.chain);
    if (id) out.push(await getSubscription(c, id, o));
  }
  return out;
}

export interface PeriodReport {
  period: number;
  usage: PeriodUsage;
  settled: SettledPeriod | null;
}

/** Usage committed per period of a subscription, and the settlement of each period settled. */
export async function subscriptionUsage(c: Reader, id: string, o: { chain?: string } = {}): Promise<{ subscription: SubscriptionRecord; periods: PeriodReport[] }> {
  const sub = await getSubscription(c, id, o);
  const periods: PeriodReport[] = [];
  for (let p = 1; p <= sub.periods; p++) {
    const usage = (await read<PeriodUsage>(c, marketStateKey.usage(id, p), o.chain)) ?? { calls: 0, units: 0 };
    const settled = await read<SettledPeriod>(c, marketStateKey.settled(id, p), o.chain);
    if (usage.calls === 0 && !settled && p > sub.settled + 1) break;
    periods.push({ period: p, usage, settled });
  }
  return { subscription: sub, periods };
}

export const getUsageBatch = (c: Reader, n: number, o: { chain?: string } = {}): Promise<BatchRecord | null> => read<BatchRecord>(c, marketStateKey.batch(n), o.chain);

export interface RevenueLine {
  /** Minor units paid (or to be paid) to this DID by the contracts' splits, and withheld from it as tax. */
  received: number;
  withheld: number;
  /** Instruction lines the settlement chain confirmed paid, and those not yet (pending, sent, waiting, failed). */
  paid: number;
  open: number;
}

export interface RevenueReport {
  provider: string;
  products: string[];
  subscriptions: number;
  /** What buyers were charged, in minor units (the splits' totals). */
  gross: number;
  byRecipient: Record<string, RevenueLine>;
  settlements: Array<{ subscription: string; kind: string; amount: number; status: string; idempotencyKey: string }>;
}

/**
 * A provider's revenue from its contracts' own settlement records (signing chain): every split
 * of a period's charge among the provider and contributors, and every tax withheld, with the
 * payment status the settlement chain acknowledged. Reads at most `limit` subscriptions per product.
 */
export async function providerRevenue(c: Reader, provider: string, o: { chain?: string; limit?: number } = {}): Promise<RevenueReport> {
  const products = (await listProducts(c, { provider, includeDelisted: true, limit: 1_000, ...(o.chain ? { chain: o.chain } : {}) })).map((p) => p.id);
  const r: RevenueReport = { provider, products, subscriptions: 0, gross: 0, byRecipient: {}, settlements: [] };
  const line = (did: string): RevenueLine => (r.byRecipient[did] ??= { received: 0, withheld: 0, paid: 0, open: 0 });
  for (const product of products) {
    for (const sub of await listSubscriptions(c, { product }, { ...o, limit: o.limit ?? 1_000 })) {
      r.subscriptions += 1;
      const inst = await read<LexInstance>(c, lexFullKey.instance(sub.id), o.chain);
      for (let n = 0; n < (inst?.settlements ?? 0); n++) {
        const rec = await read<SettlementRecord>(c, lexFullKey.settlement(sub.id, n), o.chain);
        if (!rec) continue;
        const ins = rec.instruction;
        const paid = rec.status === 'paid';
        const amount = Number(ins.amount.minor);
        r.settlements.push({ subscription: sub.id, kind: ins.kind, amount, status: rec.status, idempotencyKey: ins.idempotencyKey });
        if (ins.kind === 'split') {
          r.gross += amount;
          for (const sh of ins.shares) {
            const l = line(sh.to);
            l.received += Number(sh.amount.minor);
            if (paid) l.paid += 1;
            else l.open += 1;
          }
        } else {
          if (ins.kind === 'withhold') line(ins.from).withheld += amount;
          else r.gross += amount;
          const l = line(ins.to);
          l.received += amount;
          if (paid) l.paid += 1;
          else l.open += 1;
        }
      }
    }
  }
  return r;
}

// ---- calling a product through a gateway ----

export interface GatewayCall {
  product: string;
  subscription: string;
  /** The path under the product, e.g. "/score?id=42". */
  path: string;
  method?: string;
  body?: Uint8Array | string;
  /** A nonce used once; default: random. */
  nonce?: string;
  headers?: Record<string, string>;
  /** The DID of the gateway called (a signed call is made for it); default: read from its /_gateway/status once. */
  gateway?: string;
}

const randomNonce = (): string => toHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));

/** The headers of a call signed by `key` for the gateway whose DID is `gateway` (see requestMessage). */
export function signedCallHeaders(key: KeyPair, call: { gateway: string; method: string; path: string; subscription: string; body: Uint8Array; nonce?: string; time?: number }): Record<string, string> {
  const nonce = call.nonce ?? randomNonce();
  const time = call.time ?? Date.now();
  const sig = sign(key.suite, key.privateKey, requestMessage({ ...call, nonce, time }));
  return {
    [MARKET_HEADERS.did]: didFromPublicKey(key.publicKey), [MARKET_HEADERS.key]: toHex(key.publicKey), [MARKET_HEADERS.gateway]: call.gateway,
    [MARKET_HEADERS.nonce]: nonce, [MARKET_HEADERS.time]: String(time), [MARKET_HEADERS.subscription]: call.subscription, [MARKET_HEADERS.signature]: toHex(sig),
  };
}

/** Gateways' DIDs by URL, as their status gave them (a few; the oldest forgotten first). */
const gatewayDids = new Map<string, string>();
const MAX_GATEWAY_DIDS = 64;

/**
 * The DID of the gateway at `gatewayUrl`, from its GET /_gateway/status (once per URL). A call is
 * signed for it; check it against the product's `gateways` on chain where the network between
 * is not trusted.
 */
export async function gatewayDid(gatewayUrl: string, o: { fresh?: boolean } = {}): Promise<string> {
  const known = o.fresh ? undefined : gatewayDids.get(gatewayUrl);
  if (known) return known;
  const res = await fetch(`${gatewayUrl}/_gateway/status`);
  const j = await res.json().catch(() => ({})) as { did?: unknown };
  if (!res.ok || typeof j.did !== 'string') throw new ShulianError('TX_FAILED', `${gatewayUrl}/_gateway/status answered ${res.status} without the gateway's DID; is it a metering gateway?`);
  if (gatewayDids.size >= MAX_GATEWAY_DIDS) gatewayDids.delete(gatewayDids.keys().next().value!);
  gatewayDids.set(gatewayUrl, j.did);
  return j.did;
}

const bytesOf = (b: Uint8Array | string | undefined): Uint8Array => (typeof b === 'string' ? new TextEncoder().encode(b) : b ?? new Uint8Array(0));

/**
 * Sends a request signed for the gateway at `gatewayUrl`. With its DID read from the gateway (no
 * `gateway` given), a GATEWAY_WRONG_GATEWAY answer (421: another gateway now answers at that URL,
 * one restarted with another key) reads the DID again and signs once more: a 421 is given before
 * anything is called or charged.
 */
async function sendSigned(gatewayUrl: string, gateway: string | undefined, send: (gateway: string) => Promise<Response>): Promise<Response> {
  if (gateway !== undefined) return send(gateway);
  const res = await send(await gatewayDid(gatewayUrl));
  if (res.status !== 421) return res;
  await res.body?.cancel();
  return send(await gatewayDid(gatewayUrl, { fresh: true }));
}

/** Calls a product through a gateway with a request signed for it; the response as fetch gives it. */
export function callProduct(gatewayUrl: string, key: KeyPair, call: GatewayCall): Promise<Response> {
  const method = call.method ?? 'GET';
  const path = `/p/${call.product}${call.path.startsWith('/') ? call.path : `/${call.path}`}`;
  const body = bytesOf(call.body);
  return sendSigned(gatewayUrl, call.gateway, (gateway) => {
    const headers = { ...call.headers, ...signedCallHeaders(key, { gateway, method, path, subscription: call.subscription, body, ...(call.nonce ? { nonce: call.nonce } : {}) }) };
    return fetch(`${gatewayUrl}${path}`, { method, headers, ...(body.length ? { body: new Uint8Array(body) as Uint8Array<ArrayBuffer> } : {}) });
  });
}

/** A short-lived token for `key` from a gateway (one signature; then calls carry `authorization: Bearer …`). */
export async function gatewayToken(gatewayUrl: string, key: KeyPair, o: { gateway?: string } = {}): Promise<{ token: string; expires: number }> {
  const path = '/_auth/token';
  const res = await sendSigned(gatewayUrl, o.gateway, (gateway) =>
    fetch(`${gatewayUrl}${path}`, { method: 'POST', headers: signedCallHeaders(key, { gateway, method: 'POST', path, subscription: '-', body: new Uint8Array(0) }) }));
  const j = await res.json() as { token?: string; expires?: number; error?: { code: string; message: string } };
  if (!res.ok || !j.token) throw new ShulianError(foreign(j.error?.code) ?? 'TX_FAILED', j.error?.message ?? `the gateway answered ${res.status}`);
  return { token: j.token, expires: j.expires! };
}

/** Calls a product with a token from `gatewayToken`. */
export function callProductWithToken(gatewayUrl: string, token: string, call: GatewayCall): Promise<Response> {
  const path = `/p/${call.product}${call.path.startsWith('/') ? call.path : `/${call.path}`}`;
  const body = bytesOf(call.body);
  return fetch(`${gatewayUrl}${path}`, {
    method: call.method ?? 'GET',
    headers: { ...call.headers, authorization: `Bearer ${token}`, [MARKET_HEADERS.nonce]: call.nonce ?? randomNonce(), [MARKET_HEADERS.subscription]: call.subscription },
    ...(body.length ? { body: new Uint8Array(body) as Uint8Array<ArrayBuffer> } : {}),
  });
}
