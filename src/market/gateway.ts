/**
 * The metering gateway (`shulian market gateway`, docs/market.md#the-metering-gateway): an HTTP
 * proxy in front of providers' upstream services. For each call it authenticates the caller by
 * DID (a signed request, or a short-lived token obtained with one signature), refuses a replayed
 * nonce, checks the subscription on the signing chain, the period, the rate limit, the quota and
 * the data grants the product relies on (data chain), proxies the call, and — for an answer the
 * plan charges (2xx) — writes a usage receipt to its journal, fsynced before the answer leaves.
 * A committer, on a thread of its own, sends the journal's receipts to the chain in batches
 * (market.commitUsage: counts and a Merkle root); the chain counts each receipt id once, whichever
 * gateway sends it.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ShulianError, fromHex, toHex } from '../codec/index.ts';
import { didFromPublicKey, sm3, verify, type KeyPair } from '../crypto/index.ts';
import { marketStateKey } from '../modules/market/keys.ts';
import {
  MARKET_HEADERS as H, MARKET_LIMITS, NONCE_RE, PRODUCT_ID_RE, componentReceiptId, periodAt, receiptId, requestMessage, type PeriodUsage, type Plan, type ProductRecord,
  type SubscriptionRecord,
} from '../modules/market/types.ts';
import type { ShulianClient } from '../sdk/index.ts';
import { getGrant } from '../sdk/index.ts';
import { UsageCommitter } from './committer.ts';
import { GATEWAY_STATUS, type MarketGatewayErrorCode } from './errors.ts';
import { lineOf, ReceiptJournal, type UsageEvent } from './journal.ts';
import { TtlCache } from './cache.ts';
import { TokenIssuer } from './tokens.ts';

export interface UpstreamConfig {
  /** Base URL of the provider's service; the path after /p/<product> is appended. */
  upstream: string;
  /** How long the upstream may take to answer (default 10 s); past it the call fails, not charged. */
  timeoutMs?: number;
}

export interface GatewayOptions {
  client: ShulianClient;
  key: KeyPair;
  dataDir: string;
  products: Record<string, UpstreamConfig>;
  port?: number;
  host?: string;
  /** The chain the market runs on (default sign) and the data chain of grants (default data). */
  chain?: string;
  dataChain?: string;
  maxBodyBytes?: number;
  maxResponseBytes?: number;
  maxInFlight?: number;
  maxNonces?: number;
  skewMs?: number;
  tokenTtlMs?: number;
  /** How long a read of the chain (subscription, product, usage, grant) is reused. */
  cacheMs?: number;
  commitIntervalMs?: number;
  log?: (line: string) => void;
}

export interface GatewayStatus {
  did: string;
  products: string[];
  journaled: number;
  committed: number;
  pending: number;
  rejected: number;
  inFlight: number;
  lastCommitError?: string;
}

class Refusal extends ShulianError {
  constructor(readonly gcode: MarketGatewayErrorCode, message: string) {
    super(gcode, message);
  }
}
const refuse = (code: MarketGatewayErrorCode, message: string): never => {
  throw new Refusal(code, message);
};

/** Token buckets per subscription: `rate` calls per second, bursts up to `rate`. */
class RateLimiter {
  readonly #b = new Map<string, { tokens: number; at: number }>();
  take(k: string, rate: number): boolean {
    const now = Date.now();
    const b = this.#b.get(k) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    if (!this.#b.has(k) && this.#b.size >= 100_000) this.#b.delete(this.#b.keys().next().value!);
    this.#b.set(k, b);
    return true;
  }
}

interface ComponentCall { product: string; subscription: string; period: number; level: number; parent: number }

const PATH_RE = /^\/p\/([^/?]+)([/?].*)?$/;

/** A product's upstream, parsed once: where a call's path is appended. */
interface UpstreamTarget { base: URL; host: string; port: number; path: string; timeoutMs: number }

const upstreamTarget = (u: UpstreamConfig): UpstreamTarget => {
  const base = new URL(u.upstream.endsWith('/') ? u.upstream : `${u.upstream}/`);
  return { base, host: base.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(base.port || 80), path: base.pathname, timeoutMs: u.timeoutMs ?? 10_000 };
};

/**
 * A rest of path that, appended to the upstream's path, means exactly what URL resolution
 * against it would (no dot segment, percent escape, scheme, authority or character URL would
 * rewrite): such a call skips the URL parser; any other takes it (issue #23, per-call work).
 */
const PLAIN_REST = /^(?!\/)[A-Za-z0-9\-_~/?=&+]*$/;

/**
 * Bodies up to this size are written as one latin1 string (byte for byte the same bytes), which
 * Node's HTTP writer joins with the head: one socket write per message instead of a writev.
 */
const ONE_WRITE_BYTES = 64 << 10;
const endWith = (out: { end(chunk?: string | Buffer, encoding?: BufferEncoding): unknown }, body: Buffer): void => {
  if (body.length === 0) out.end();
  else if (body.length <= ONE_WRITE_BYTES) out.end(body.toString('latin1'), 'latin1');
  else out.end(body);
};

export class MeteringGateway {
  readonly did: string;
  readonly #o: Required<Omit<GatewayOptions, 'log' | 'host' | 'port'>> & Pick<GatewayOptions, 'log' | 'host' | 'port'>;
  readonly #journal: ReceiptJournal;
  readonly #committer: UsageCommitter;
  readonly #tokens: TokenIssuer;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #nonces = new Map<string, number>();
  readonly #subs: TtlCache<SubscriptionRecord | null>;
  readonly #products: TtlCache<ProductRecord | null>;
  readonly #usage: TtlCache<PeriodUsage>;
  readonly #grants: TtlCache<boolean>;
  readonly #rates = new RateLimiter();
  /** Each product's upstream, parsed once. */
  readonly #targets = new Map<string, UpstreamTarget>();
  /** Units answered by this gateway per subscription and period (journal included). */
  readonly #local = new Map<string, number>();
  #server?: Server;
  #inFlight = 0;
  #timer?: NodeJS.Timeout;
  #committing?: Promise<void>;
  #closed = false;
  #lastCommitError?: string;

  constructor(o: GatewayOptions) {
    this.#o = {
      chain: 'sign', dataChain: 'data', maxBodyBytes: 1 << 20, maxResponseBytes: 4 << 20, maxInFlight: 512, maxNonces: 1_000_000,
      skewMs: 60_000, tokenTtlMs: 300_000, cacheMs: 2_000, commitIntervalMs: 500, ...o,
    };
    this.did = didFromPublicKey(o.key.publicKey);
    for (const id of Object.keys(o.products)) if (!PRODUCT_ID_RE.test(id)) throw new ShulianError('BAD_ARGUMENT', `"${id}" is not a product id`);
    this.#journal = ReceiptJournal.open(o.dataDir, o.key);
    this.#tokens = new TokenIssuer(this.#o.tokenTtlMs);
    this.#committer = new UsageCommitter({ connection: o.client.connection(), key: o.key, chain: this.#o.chain });
    for (const [id, u] of Object.entries(o.products)) this.#targets.set(id, upstreamTarget(u));
    const ttl = this.#o.cacheMs;
    this.#subs = new TtlCache(ttl);
    this.#products = new TtlCache(ttl);
    this.#usage = new TtlCache(ttl);
    this.#grants = new TtlCache(ttl);
    const now = Date.now();
    for (const e of this.#journal.pending()) {
      this.#nonces.set(e.id, now);
      const k = `${e.subject}/${e.data.period}`;
      this.#local.set(k, (this.#local.get(k) ?? 0) + e.data.units);
    }
  }

  async listen(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 60_000;
    await new Promise<void>((ok, fail) => {
      this.#server!.once('error', fail);
      this.#server!.listen(this.#o.port ?? 0, this.#o.host ?? '127.0.0.1', () => ok());
    });
    const a = this.#server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    this.#timer = setInterval(() => void this.commitNow(), this.#o.commitIntervalMs);
    return `http://${this.#o.host ?? '127.0.0.1'}:${port}`;
  }

  status(): GatewayStatus {
    const s = this.#journal.stats();
    return {
      did: this.did, products: Object.keys(this.#o.products), journaled: s.journaled, committed: s.committed, pending: s.pending, rejected: s.rejected,
      inFlight: this.#inFlight, ...(this.#lastCommitError ? { lastCommitError: this.#lastCommitError } : {}),
    };
  }

  /** Commits pending receipts now (one batch after another, until none is left or the chain cannot be reached). */
  commitNow(): Promise<void> {
    if (this.#committing) return this.#committing;
    this.#committing = this.#commitAll().finally(() => (this.#committing = undefined));
    return this.#committing;
  }

  /**
   * Sends the journal's pending receipts in windows of up to a batch: each window's receipts are
   * grouped by level (a composite's call before its components', which the chain needs counted
   * first) and product, one commitUsage per group. The window counts as committed once every
   * group is; a crash or an unreachable chain re-sends the whole window, and the chain counts an
   * id once.
   */
  async #commitAll(): Promise<void> {
    while (!this.#closed && this.#journal.pending().length) {
      const window = this.#journal.pending().slice(0, MARKET_LIMITS.batch);
      const groups = new Map<string, UsageEvent[]>();
      for (const e of window) {
        const g = `${e.data.level ?? 0}/${e.data.product}`;
        const group = groups.get(g);
        if (group) group.push(e);
        else groups.set(g, [e]);
      }
      const order = [...groups.keys()].sort((x, y) => parseInt(x, 10) - parseInt(y, 10));
      for (const g of order) if (!(await this.#commitGroup(groups.get(g)!))) return;
      await this.#journal.committed(window.length);
      this.#lastCommitError = undefined;
    }
  }

  /** Commits one product's receipts; false when the chain could not be reached (nothing to count yet). */
  async #commitGroup(batch: UsageEvent[]): Promise<boolean> {
    const product = batch[0]!.data.product;
    try {
      await this.#send(product, batch);
      return true;
    } catch (err) {
      const code = err instanceof ShulianError ? err.code : '';
      if (!code.startsWith('MARKET_')) {
        // The chain could not be reached or did not decide: keep them, try again next round.
        this.#lastCommitError = `${code || 'unreachable'}: ${(err as Error).message}`;
        return false;
      }
    }
    // The chain refused the batch: find the receipts it refuses, one by one, and set them aside.
    for (const e of batch) {
      try {
        await this.#send(product, [e]);
      } catch (one) {
        const c = one instanceof ShulianError ? one.code : '';
        if (!c.startsWith('MARKET_')) {
          this.#lastCommitError = `${c || 'unreachable'}: ${(one as Error).message}`;
          return false; // the window is re-sent later (what was counted is counted once)
        }
        this.#journal.reject([e], c, (one as Error).message);
        this.#o.log?.(`market gateway: the chain refused receipt ${e.id}: ${c}`);
      }
    }
    return true;
  }

  async #send(product: string, events: readonly UsageEvent[]): Promise<void> {
    await this.#committer.commit(product, events.map(lineOf));
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#server) await new Promise<void>((ok) => { this.#server!.close(() => ok()); this.#server!.closeAllConnections(); });
    await this.#committing;
    this.#closed = true;
    await this.#committer.close();
    await this.#journal.close();
    this.#agent.destroy();
  }

  // ---- one call ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#inFlight >= this.#o.maxInFlight) {
      req.resume();
      return this.#fail(res, new Refusal('GATEWAY_BUSY', `${this.#inFlight} calls are in flight, the most this gateway takes; retry`));
    }
    this.#inFlight++;
    try {
      const url = req.url ?? '/';
      if (req.method === 'GET' && url === '/_gateway/status') return this.#json(res, 200, this.status());
      const body = await this.#body(req);
      if (req.method === 'POST' && url === '/_auth/token') return this.#token(req, res, body);
      await this.#call(req, res, url, body);
    } catch (err) {
      this.#fail(res, err);
    } finally {
      this.#inFlight--;
    }
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  #fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) return void res.destroy();
    if (err instanceof Refusal) return this.#json(res, GATEWAY_STATUS[err.gcode], { error: { code: err.gcode, message: err.message } });
    this.#o.log?.(`market gateway: ${(err as Error).stack ?? String(err)}`);
    this.#json(res, 500, { error: { code: 'INTERNAL', message: 'the gateway failed on this call; it was not charged' } });
  }

  async #body(req: IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.#o.maxBodyBytes) {
      req.resume();
      refuse('GATEWAY_TOO_LARGE', `the request body is ${declared} bytes; this gateway takes at most ${this.#o.maxBodyBytes}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > this.#o.maxBodyBytes) refuse('GATEWAY_TOO_LARGE', `the request body is over ${this.#o.maxBodyBytes} bytes, the most this gateway takes`);
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  #header(req: IncomingMessage, name: string): string | undefined {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  }

  /**
   * The caller's DID from a signed request (headers of MARKET_HEADERS) over `subscription`, made
   * for this gateway: a call signed for another (x-shulian-gateway) is refused before its
   * signature is checked, and the signature is checked over this gateway's DID whatever the
   * header says.
   */
  #verifySigned(req: IncomingMessage, body: Uint8Array, subscription: string): { caller: string; nonce: string } {
    const did = this.#header(req, H.did);
    const keyHex = this.#header(req, H.key);
    const nonce = this.#header(req, H.nonce);
    const time = this.#header(req, H.time);
    const sig = this.#header(req, H.signature);
    const gateway = this.#header(req, H.gateway);
    if (!did || !keyHex || !nonce || !time || !sig || !gateway) refuse('GATEWAY_AUTH_MISSING', `a call is signed (headers ${H.did}, ${H.key}, ${H.gateway}, ${H.nonce}, ${H.time}, ${H.subscription}, ${H.signature}) or carries "authorization: Bearer <token>" from POST /_auth/token`);
    if (gateway !== this.did) refuse('GATEWAY_WRONG_GATEWAY', `this call is signed for gateway ${gateway!.slice(0, 120)}; this is gateway ${this.did} (GET /_gateway/status names it): sign each call for the gateway you send it to`);
    if (!NONCE_RE.test(nonce!)) refuse('GATEWAY_BAD_SIGNATURE', `${H.nonce} is 8-64 letters, digits, ".", "_", ":" or "-"`);
    const t = Number(time);
    if (!Number.isSafeInteger(t) || Math.abs(Date.now() - t) > this.#o.skewMs) refuse('GATEWAY_CLOCK_SKEW', `${H.time} (${time}) is more than ${this.#o.skewMs / 1000} s from the gateway's clock (${Date.now()}); sign with the current time`);
    if (!/^(?:[0-9a-f]{64}|04[0-9a-f]{128})$/.test(keyHex!)) refuse('GATEWAY_BAD_SIGNATURE', `${H.key} is the caller's public key in hex (SM2 65 bytes, Ed25519 32)`);
    const pub = fromHex(keyHex!);
    // The DID is self-certifying from its initial key (docs/did-method.md).
    if (didFromPublicKey(pub) !== did) refuse('GATEWAY_BAD_SIGNATURE', `${H.key} is not the key of ${did}`);
    const msg = requestMessage({ gateway: this.did, method: req.method ?? 'GET', path: req.url ?? '/', subscription, nonce: nonce!, time: t, body });
    let ok = false;
    try {
      ok = /^[0-9a-f]{2,400}$/.test(sig!) && verify(pub.length === 65 ? 'sm2' : 'ed25519', pub, msg, fromHex(sig!));
    } catch {
      ok = false;
    }
    if (!ok) refuse('GATEWAY_BAD_SIGNATURE', `the signature does not check for ${did} over this gateway, method, path, subscription, nonce, time and body`);
    return { caller: did!, nonce: nonce! };
  }

  /** A token for the caller of a signed POST /_auth/token, whose nonce is used once, as a call's is. */
  #token(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const { caller, nonce } = this.#verifySigned(req, body, '-');
    this.#fresh(`token/${caller}/${nonce}`, 'this nonce was already used for this gateway: a token request is answered once');
    const { token, expires } = this.#tokens.issue(caller);
    this.#json(res, 200, { token, expires, did: caller });
  }

  #verifyToken(token: string): string {
    try {
      return this.#tokens.verify(token);
    } catch (err) {
      throw new Refusal('GATEWAY_TOKEN_EXPIRED', (err as Error).message);
    }
  }

  /**
   * Remembers a receipt id (the caller's nonce for a product), or a token request's nonce, until
   * it cannot be replayed; refuses one seen before with `replayed`.
   */
  #fresh(id: string, replayed: string): void {
    const now = Date.now();
    if (this.#nonces.has(id)) refuse('GATEWAY_REPLAY', replayed);
    if (this.#nonces.size >= this.#o.maxNonces) {
      // Forget those old enough that their time cannot pass the skew check again.
      for (const [k, at] of this.#nonces) if (now - at > 2 * Math.max(this.#o.skewMs, this.#o.tokenTtlMs)) this.#nonces.delete(k);
      if (this.#nonces.size >= this.#o.maxNonces) refuse('GATEWAY_BUSY', 'the gateway remembers as many nonces as it may; retry shortly');
    }
    this.#nonces.set(id, now);
  }

  async #call(req: IncomingMessage, res: ServerResponse, url: string, body: Buffer): Promise<void> {
    const m = PATH_RE.exec(url);
    const productId = m?.[1] ?? '';
    const upstream = this.#o.products[productId];
    if (!m || !upstream) refuse('GATEWAY_UNKNOWN_PRODUCT', `this gateway serves ${Object.keys(this.#o.products).map((p) => `/p/${p}/…`).join(', ') || 'no product'}; not ${url.slice(0, 100)}`);
    const subscription = this.#header(req, H.subscription) ?? '';
    const auth = this.#header(req, 'authorization');
    let caller: string;
    let nonce: string;
    if (auth?.startsWith('Bearer ')) {
      caller = this.#verifyToken(auth.slice(7));
      nonce = this.#header(req, H.nonce) ?? '';
      if (!NONCE_RE.test(nonce)) refuse('GATEWAY_AUTH_MISSING', `a call with a token carries ${H.nonce}: 8-64 letters, digits, ".", "_", ":" or "-", used once`);
    } else ({ caller, nonce } = this.#verifySigned(req, body, subscription));
    if (!/^[0-9a-f]{64}$/.test(subscription)) refuse('GATEWAY_NO_SUBSCRIPTION', `${H.subscription} names the subscription (its contract id, 64 hex digits)`);
    const id = receiptId(caller, nonce, productId);
    this.#fresh(id, 'this nonce was already used for this product: a call is answered, and charged, once');

    const time = Date.now();
    const sub = await this.#subs.get(subscription, () => this.#read<SubscriptionRecord>(marketStateKey.subscription(subscription)));
    if (!sub || sub.buyer !== caller || sub.product !== productId) refuse('GATEWAY_NO_SUBSCRIPTION', `${caller} holds no subscription ${subscription} to ${productId}; subscribe on the market first`);
    const period = periodAt(sub!, time);
    if (period === 0) refuse('GATEWAY_NO_SUBSCRIPTION', `subscription ${subscription} is not in force now (from ${new Date(sub!.start).toISOString()}, ${sub!.periods} period(s) of ${sub!.periodMs / 1000} s)`);
    const product = await this.#products.get(productId, () => this.#read<ProductRecord>(marketStateKey.product(productId)));
    if (!product || product.status !== 'listed') refuse('GATEWAY_UNKNOWN_PRODUCT', `product ${productId} is not listed on the market`);
    const version = await this.#products.get(`${productId}@${sub!.version}`, () => this.#read<ProductRecord>(marketStateKey.version(productId, sub!.version)));
    const plan = version?.plans.find((p) => p.id === sub!.plan) as Plan;
    for (const g of product!.grants) {
      const ok = await this.#grants.get(String(g), async () => {
        try {
          return !(await getGrant(this.#o.client, g, { chain: this.#o.dataChain })).grant.revoked;
        } catch {
          return false;
        }
      });
      if (!ok) refuse('GATEWAY_GRANT_REVOKED', `data grant ${g} on chain ${this.#o.dataChain}, which product ${productId} relies on, is revoked or cannot be read`);
    }
    if (!this.#rates.take(`${subscription}`, plan.rateLimit)) refuse('GATEWAY_RATE_LIMITED', `subscription ${subscription} may make ${plan.rateLimit} calls per second (plan ${plan.id})`);
    const key = `${subscription}/${period}`;
    await this.#checkQuota(sub!, period, `subscription ${subscription}`);
    // A composite pays each component by its own contract, recursively: the provider's own
    // subscription to each must be in force with quota left, or the call is refused uncharged.
    const parts = await this.#components(product!, time, 1);
    // Reserve a unit while the call runs, so concurrent calls cannot pass a quota together.
    const reserved = [key, ...parts.map((c) => `${c.subscription}/${c.period}`)];
    for (const r of reserved) this.#local.set(r, (this.#local.get(r) ?? 0) + 1);
    let units = 0;
    try {
      const up = await this.#proxy(req, this.#targets.get(productId)!, m![2] ?? '/', body, caller, subscription);
      if (up.status >= 200 && up.status < 300) {
        units = 1;
        if (plan.unit === 'result') {
          const u = Number(up.headers[H.units] ?? 1);
          units = Number.isSafeInteger(u) && u >= 0 ? Math.min(u, MARKET_LIMITS.unitsPerReceipt) : 1;
        }
      }
      if (units > 0) {
        const result = toHex(sm3(up.body));
        const event = (rid: string, subject: string, data: Partial<UsageEvent['data']> & Pick<UsageEvent['data'], 'product' | 'period' | 'units'>): UsageEvent => ({
          specversion: '1.0', id: rid, source: this.did, type: 'org.shulian.market.usage', subject, time: new Date(time).toISOString(),
          datacontenttype: 'application/json', data: { caller, result, timeMs: time, status: up.status, ...data },
        });
        const events = [event(id, subscription, { product: productId, period, units })];
        const ids = new Map<number, string>([[-1, id]]);
        parts.forEach((c, i) => {
          const parent = ids.get(c.parent)!;
          const rid = componentReceiptId(parent, c.subscription);
          ids.set(i, rid);
          // A component is called once per call to its composite: one unit (docs/market.md#composites).
          events.push(event(rid, c.subscription, { product: c.product, period: c.period, units: 1, parent, level: c.level }));
        });
        // Durable before the answer leaves; appended in one tick, so one group (one line, one fsync).
        await Promise.all(events.map((e) => this.#journal.append(e)));
      }
      const headers: Record<string, string> = { 'content-length': String(up.body.length) };
      const ct = up.headers['content-type'];
      if (typeof ct === 'string') headers['content-type'] = ct;
      if (units > 0) headers[H.receipt] = id;
      res.writeHead(up.status, headers);
      endWith(res, up.body);
    } finally {
      reserved.forEach((r, i) => this.#local.set(r, (this.#local.get(r) ?? 1) - 1 + (units > 0 ? (i === 0 ? units : 1) : 0)));
    }
  }

  /** Refuses a call that would pass the subscription's quota for the period (units committed on chain or answered here). */
  async #checkQuota(sub: SubscriptionRecord, period: number, what: string): Promise<void> {
    if (sub.quota === 0) return;
    const key = `${sub.id}/${period}`;
    const chain = await this.#usage.get(key, async () => (await this.#read<PeriodUsage>(marketStateKey.usage(sub.id, period))) ?? { calls: 0, units: 0 });
    const used = Math.max(this.#local.get(key) ?? 0, chain.units);
    if (used + 1 > sub.quota) refuse('GATEWAY_QUOTA_EXCEEDED', `${what} has used ${used} of its ${sub.quota} units in period ${period}`);
  }

  /**
   * The components a call to `product` pays, depth first (each after the one that calls it):
   * the component product, the provider's own subscription to it, its period now, how deep it
   * sits and the index of its parent in the list (-1: the call itself). Refuses the call when a
   * component's subscription is not in force or out of quota, or the nesting is too deep.
   */
  async #components(product: ProductRecord, time: number, level: number, parent = -1, out: ComponentCall[] = []): Promise<ComponentCall[]> {
    if (product.components.length && level > MARKET_LIMITS.compositeDepth) refuse('GATEWAY_NO_SUBSCRIPTION', `product ${product.id} nests composites more than ${MARKET_LIMITS.compositeDepth} deep`);
    for (const c of product.components) {
      const what = `component ${c.product} of ${product.id} (subscription ${c.subscription})`;
      const sub = await this.#subs.get(c.subscription, () => this.#read<SubscriptionRecord>(marketStateKey.subscription(c.subscription)));
      const period = sub && sub.product === c.product && sub.buyer === product.provider ? periodAt(sub, time) : 0;
      if (period === 0) refuse('GATEWAY_NO_SUBSCRIPTION', `${what} is not a subscription of ${product.provider} in force now: the composite cannot pay it`);
      await this.#checkQuota(sub!, period, what);
      const comp = await this.#products.get(c.product, () => this.#read<ProductRecord>(marketStateKey.product(c.product)));
      if (!comp || comp.status !== 'listed') refuse('GATEWAY_UNKNOWN_PRODUCT', `${what} is not listed on the market`);
      out.push({ product: c.product, subscription: c.subscription, period, level, parent });
      await this.#components(comp!, time, level + 1, out.length - 1, out);
    }
    return out;
  }

  async #read<T>(key: string): Promise<T | null> {
    return (await this.#o.client.state(this.#o.chain, key)).value as T | null;
  }

  #proxy(req: IncomingMessage, up: UpstreamTarget, rest: string, body: Buffer, caller: string, subscription: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    const relative = rest.startsWith('/') ? rest.slice(1) : rest;
    const timeout = up.timeoutMs;
    return new Promise((ok, fail) => {
      const headers: Record<string, string> = { 'x-shulian-caller': caller, 'x-shulian-subscription': subscription, 'content-length': String(body.length) };
      const ct = req.headers['content-type'];
      if (typeof ct === 'string') headers['content-type'] = ct;
      const onAnswer = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.#o.maxResponseBytes) {
            res.destroy();
            fail(new Refusal('GATEWAY_TOO_LARGE', `the provider's answer is over ${this.#o.maxResponseBytes} bytes; not charged`));
          } else chunks.push(c);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 502;
          if (status >= 500) return fail(new Refusal('GATEWAY_UPSTREAM_FAILED', `the provider's service answered ${status}; not charged`));
          ok({ status, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', (e) => fail(new Refusal('GATEWAY_UPSTREAM_FAILED', `the provider's service failed: ${e.message}; not charged`)));
      };
      const options = { method: req.method, headers, agent: this.#agent };
      const r = up.base.protocol === 'http:' && PLAIN_REST.test(relative)
        ? httpRequest({ ...options, host: up.host, port: up.port, path: up.path + relative }, onAnswer)
        : httpRequest(new URL(relative, up.base), options, onAnswer);
      const timer = setTimeout(() => {
        r.destroy();
        fail(new Refusal('GATEWAY_UPSTREAM_TIMEOUT', `the provider's service did not answer within ${timeout} ms; not charged`));
      }, timeout);
      r.on('error', (e) => {
        clearTimeout(timer);
        fail(new Refusal('GATEWAY_UPSTREAM_FAILED', `the provider's service cannot be reached: ${e.message}; not charged`));
      });
      endWith(r, body);
    });
  }
}
