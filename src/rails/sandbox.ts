/**
 * The SANDBOX rail: a tiny payment system with its own ledger, for tests and demos. Its money is
 * not real. It runs as a separate process (scripts/sandbox-rail.ts) serving HTTP:
 *
 *   POST /v1/sandbox/deposits {account, currency, amount}   a customer pays in (cash in): the
 *        rail books it and sends a signed webhook `deposit.succeeded` to its webhook URL,
 *        retrying until the watcher answers 2xx
 *   POST /v1/sandbox/payouts  {ref, account, currency, amount}  pay a withdrawal out (idempotent on ref)
 *   GET  /v1/sandbox/ledger    its books: deposits, payouts, webhook deliveries, omnibus balances
 *   GET  /v1/health
 *
 * Webhooks are signed by the rail's DID key (SM2 over SM3, src/crypto): headers
 * x-shulian-rail-did, x-shulian-rail-time (ms) and x-shulian-rail-signature (hex) over the bytes
 * of `<time>.<body>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { foreign, ShulianError, fromHex, toHex, DID_RE } from '../codec/index.ts';
import { didFromPublicKey, sign, verify, type KeyPair } from '../crypto/index.ts';
import { AMOUNT_RE, CURRENCY_RE } from '../modules/settlement/types.ts';
import type { RailAdapter, RailDeposit, RailEvent, RailPayout } from './types.ts';

export const SANDBOX_LABEL = 'SANDBOX';
export const SANDBOX_NOTICE = 'SANDBOX rail: test money only, not real funds';
const MAX_SKEW_MS = 5 * 60_000;

const enc = new TextEncoder();

export function signWebhook(key: KeyPair, body: string, time: number): Record<string, string> {
  const sig = sign(key.suite, key.privateKey, enc.encode(`${time}.${body}`));
  return { 'x-shulian-rail-did': didFromPublicKey(key.publicKey), 'x-shulian-rail-time': String(time), 'x-shulian-rail-signature': toHex(sig) };
}

interface SandboxLedger {
  rail: 'sandbox';
  sandbox: true;
  did: string;
  deposits: Array<RailDeposit & { delivered: boolean; attempts: number }>;
  payouts: Array<RailPayout & { id: string; time: number }>;
  /** Per currency: what customers paid in minus what was paid out (backs what the issuer issued on chain). */
  omnibus: Record<string, string>;
  /** Per currency and customer: paid out to them (their sandbox bank account). */
  customers: Record<string, Record<string, string>>;
}

export interface SandboxRailOptions {
  key: KeyPair;
  dataDir: string;
  port: number;
  host?: string;
  /** Where deposit webhooks go (the deposit watcher). */
  webhookUrl: string;
  /** Retry delays for webhooks, ms (default 50 ms doubling to 2 s, for ever). */
  retryMs?: number;
}

export interface SandboxRail {
  url: string;
  did: string;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new ShulianError('BODY_TOO_LARGE', `request body over ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-shulian-rail': SANDBOX_LABEL });
  res.end(JSON.stringify(body));
}

/** Starts the sandbox rail's HTTP server (what scripts/sandbox-rail.ts runs in its own process). */
export async function startSandboxRail(o: SandboxRailOptions): Promise<SandboxRail> {
  const did = didFromPublicKey(o.key.publicKey);
  const file = join(o.dataDir, 'sandbox-ledger.json');
  const ledger: SandboxLedger = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as SandboxLedger)
    : { rail: 'sandbox', sandbox: true, did, deposits: [], payouts: [], omnibus: {}, customers: {} };
  const save = (): void => {
    writeFileSync(file + '.tmp', JSON.stringify(ledger, null, 1));
    renameSync(file + '.tmp', file);
  };
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  const deliver = (d: SandboxLedger['deposits'][number], delay: number): void => {
    if (closed || d.delivered) return;
    const { delivered: _d, attempts: _a, ...event } = d;
    void _d;
    void _a;
    const body = JSON.stringify(event);
    const t = Date.now();
    d.attempts++;
    fetch(o.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook(o.key, body, t) }, body, signal: AbortSignal.timeout(30_000) })
      .then(async (r) => {
        await r.arrayBuffer();
        if (r.ok) {
          d.delivered = true;
          save();
          return;
        }
        throw new Error(`HTTP ${r.status}`);
      })
      .catch(() => {
        if (closed) return;
        const next = Math.min(delay * 2, 2_000);
        const timer = setTimeout(() => { timers.delete(timer); deliver(d, next); }, delay);
        timers.add(timer);
      });
  };
  const add = (m: Record<string, string>, k: string, v: bigint): void => {
    m[k] = (BigInt(m[k] ?? '0') + v).toString();
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://x');
        if (req.method === 'GET' && url.pathname === '/v1/health') return send(res, 200, { status: 'ok', rail: 'sandbox', sandbox: true, did, notice: SANDBOX_NOTICE });
        if (req.method === 'GET' && url.pathname === '/v1/sandbox/ledger') return send(res, 200, { ...ledger, notice: SANDBOX_NOTICE });
        if (req.method === 'POST' && url.pathname === '/v1/sandbox/deposits') {
          const b = JSON.parse(await bodyOf(req)) as { account?: unknown; currency?: unknown; amount?: unknown };
          if (typeof b.account !== 'string' || !DID_RE.test(b.account)) return send(res, 400, { error: { code: 'BAD_REQUEST', message: 'account must be a DID' } });
          if (typeof b.currency !== 'string' || !CURRENCY_RE.test(b.currency)) return send(res, 400, { error: { code: 'BAD_REQUEST', message: 'currency must be an ISO 4217 code such as CNY' } });
          if (typeof b.amount !== 'string' || !AMOUNT_RE.test(b.amount) || b.amount === '0') return send(res, 400, { error: { code: 'BAD_REQUEST', message: 'amount must be positive minor units as decimal digits, e.g. "10000" for 100.00' } });
          const d: SandboxLedger['deposits'][number] = {
            type: 'deposit.succeeded', id: `sbx-dep-${ledger.deposits.length + 1}`, account: b.account, currency: b.currency, amount: b.amount,
            time: Date.now(), rail: 'sandbox', sandbox: true, delivered: false, attempts: 0,
          };
          ledger.deposits.push(d);
          add(ledger.omnibus, d.currency, BigInt(d.amount));
          save();
          deliver(d, o.retryMs ?? 50);
          return send(res, 201, { id: d.id, status: 'succeeded', sandbox: true, notice: SANDBOX_NOTICE });
        }
        if (req.method === 'POST' && url.pathname === '/v1/sandbox/payouts') {
          const b = JSON.parse(await bodyOf(req)) as Partial<RailPayout>;
          if (typeof b.ref !== 'string' || typeof b.account !== 'string' || typeof b.currency !== 'string' || typeof b.amount !== 'string' || !AMOUNT_RE.test(b.amount)) {
            return send(res, 400, { error: { code: 'BAD_REQUEST', message: 'a payout needs ref, account, currency and amount (minor units)' } });
          }
          const prior = ledger.payouts.find((p) => p.ref === b.ref);
          if (prior) return send(res, 200, { id: prior.id, status: 'paid', duplicate: true, sandbox: true });
          const have = BigInt(ledger.omnibus[b.currency] ?? '0');
          if (have < BigInt(b.amount)) return send(res, 409, { error: { code: 'RAIL_FUNDS', message: `the sandbox omnibus holds ${have} ${b.currency}` } });
          const p = { ref: b.ref, account: b.account, currency: b.currency, amount: b.amount, id: `sbx-pay-${ledger.payouts.length + 1}`, time: Date.now() };
          ledger.payouts.push(p);
          add(ledger.omnibus, p.currency, -BigInt(p.amount));
          ledger.customers[p.currency] ??= {};
          add(ledger.customers[p.currency]!, p.account, BigInt(p.amount));
          save();
          return send(res, 201, { id: p.id, status: 'paid', duplicate: false, sandbox: true });
        }
        send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${url.pathname}` } });
      } catch (e) {
        send(res, 400, { error: { code: e instanceof ShulianError ? e.code : 'BAD_REQUEST', message: (e as Error).message } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  // Redeliver what was not acknowledged before a restart.
  for (const d of ledger.deposits) if (!d.delivered) deliver(d, o.retryMs ?? 50);
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    did,
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The institution's side of the sandbox rail: verifies its webhooks, asks it for payouts. */
export class SandboxRailAdapter implements RailAdapter {
  readonly name = 'sandbox';
  readonly sandbox = true;
  readonly did: string;
  readonly #pub: Uint8Array;
  constructor(readonly url: string, publicKeyHex: string, private readonly now: () => number = Date.now) {
    this.#pub = fromHex(publicKeyHex);
    this.did = didFromPublicKey(this.#pub);
  }

  verifyWebhook(headers: Record<string, string | string[] | undefined>, rawBody: string): RailEvent {
    const h = (n: string): string => {
      const v = headers[n];
      if (typeof v !== 'string') throw new ShulianError('RAIL_SIGNATURE_INVALID', `the webhook has no ${n} header`);
      return v;
    };
    if (h('x-shulian-rail-did') !== this.did) throw new ShulianError('RAIL_SIGNATURE_INVALID', `the webhook is from ${h('x-shulian-rail-did')}, not the sandbox rail ${this.did}`);
    const time = Number(h('x-shulian-rail-time'));
    if (!Number.isSafeInteger(time) || Math.abs(this.now() - time) > MAX_SKEW_MS) throw new ShulianError('RAIL_SIGNATURE_INVALID', 'the webhook time is missing or more than 5 minutes off');
    const sigHex = h('x-shulian-rail-signature');
    let ok = false;
    try {
      ok = /^[0-9a-f]{128,160}$/.test(sigHex) && verify('sm2', this.#pub, enc.encode(`${time}.${rawBody}`), fromHex(sigHex));
    } catch {
      ok = false;
    }
    if (!ok) throw new ShulianError('RAIL_SIGNATURE_INVALID', 'the webhook signature does not verify with the sandbox rail\'s key');
    let b: Partial<RailDeposit>;
    try {
      b = JSON.parse(rawBody) as Partial<RailDeposit>;
    } catch {
      throw new ShulianError('RAIL_WEBHOOK_INVALID', 'the webhook body is not JSON');
    }
    if (b.type !== 'deposit.succeeded' || typeof b.id !== 'string' || !/^[A-Za-z0-9._:\-]{1,128}$/.test(b.id) || typeof b.account !== 'string' || !DID_RE.test(b.account)
      || typeof b.currency !== 'string' || !CURRENCY_RE.test(b.currency) || typeof b.amount !== 'string' || !AMOUNT_RE.test(b.amount) || b.amount === '0') {
      throw new ShulianError('RAIL_WEBHOOK_INVALID', 'the webhook is not a deposit.succeeded event with id, account (DID), currency and amount');
    }
    return { type: 'deposit.succeeded', id: b.id, account: b.account, currency: b.currency, amount: b.amount, time: Number(b.time ?? time), rail: 'sandbox', sandbox: true };
  }

  async payout(p: RailPayout): Promise<{ id: string; status: 'paid'; duplicate: boolean }> {
    const r = await fetch(`${this.url}/v1/sandbox/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p), signal: AbortSignal.timeout(10_000) });
    const j = (await r.json()) as { id?: string; duplicate?: boolean; error?: { code: string; message: string } };
    if (!r.ok) throw new ShulianError(foreign(j.error?.code ?? `HTTP_${r.status}`), `sandbox payout failed: ${j.error?.message ?? r.status}`);
    return { id: j.id!, status: 'paid', duplicate: j.duplicate === true };
  }
}
