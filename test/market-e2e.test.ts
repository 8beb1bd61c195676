/**
 * Issue #23's "done when", on a running alliance (a real `shulian up` process) with a real
 * metering gateway process (`shulian market gateway`) in front of a real upstream: a provider with
 * data, algorithm and compute contributors publishes an API product relying on a data grant; two
 * buyers subscribe on different plans by signing the plan's contract; calls through the gateway
 * are metered (signed calls and tokens; bad signatures, forged tokens, replays, no subscription,
 * past quota, an upstream that times out or fails, a revoked grant — refused, nothing charged);
 * the gateway is killed with SIGKILL under load and restarted: every answered call's receipt
 * reaches the chain, none twice; at period end the contracts settle, the settlement chain pays
 * each contributor its share with tax withheld and issues invoices, and every figure reconciles
 * with the receipts on chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, sm3, writeKeystore, type KeyPair } from '../src/crypto/index.ts';
import { marketStateKey } from '../src/modules/market/keys.ts';
import { MARKET_HEADERS, type Plan, type ProductInput } from '../src/modules/market/types.ts';
import {
  ShulianClient, approveRequest, callProduct, callProductWithToken, draftSubscription, gatewayToken, getContract, getSubscription, providerRevenue,
  publishDataset, publishProduct, requestData, revokeGrant, settleBalances, settleGrantMandate, settleInstructionByKey, settleInvoices, settleMint,
  settlePeriod, settleRegisterIssuer, settleTotals, signSubscription, signedCallHeaders, subscribe, subscriptionUsage, gatewayDid,
} from '../src/sdk/index.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { cli, json } from './helpers/cli.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const PERIOD_S = 90;
const GRACE_S = 3;

interface Gw { url: string; proc: ChildProcess; out(): string; kill9(): Promise<void>; stop(): Promise<void> }

async function startGateway(args: string[], env: Record<string, string>): Promise<Gw> {
  const proc = spawn(process.execPath, [cliPath, 'market', 'gateway', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let stdout = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exit = new Promise<void>((r) => proc.once('exit', () => r()));
  const line = await waitFor(() => (stdout.includes('\n') ? stdout.slice(0, stdout.indexOf('\n')) : proc.exitCode !== null ? 'exit' : undefined), 'the gateway to listen', 90_000);
  if (line === 'exit') throw new Error(`the gateway exited:\n${out}`);
  const info = JSON.parse(line) as { url: string };
  return {
    url: info.url, proc, out: () => out,
    kill9: async () => { if (proc.exitCode === null) proc.kill('SIGKILL'); await exit; },
    stop: async () => { if (proc.exitCode === null) proc.kill('SIGTERM'); await exit; },
  };
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** The trivial upstream: /score answers JSON, /slow answers after 3 s (the gateway waits 500 ms), /fail answers 500, /echo its path, the body and the 256 byte values. */
function upstream(): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url?.startsWith('/slow')) return void setTimeout(() => { res.writeHead(200); res.end('late'); }, 3_000);
    if (req.url?.startsWith('/fail')) { res.writeHead(500); return void res.end('boom'); }
    if (req.url?.startsWith('/echo')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      return void req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.concat([Buffer.from(`${req.url}\n`), ...chunks, ALL_BYTES]));
      });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ score: 720, caller: req.headers['x-shulian-caller'] }));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ok({ url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, server, hits: () => hits });
  }));
}

/** lex's split: each part rounded down, the remainder one fen at a time in the order listed. */
function split(total: number, bps: number[]): number[] {
  const parts = bps.map((b) => Math.floor((total * b) / 10_000));
  let left = total - parts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % parts.length) if (bps[i]! > 0) { parts[i]! += 1; left--; }
  return parts;
}
const halfUp = (num: number, den: number): number => Math.floor((2 * num + den) / (2 * den));

test('done when: a product with three contributors, two buyers on two plans, metered calls through a gateway killed mid-load, settled by contract with tax and invoices, reconciled', { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  const up = await upstream();
  const gws: Gw[] = [];
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const nodeDir = join(tmp.dir, 'node', 'node');
    const validator = readKeystore(join(nodeDir, 'key.json'), process.env.SHULIAN_NODE_PASSWORD ?? readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
    const names = ['provider', 'dataSource', 'algorithm', 'compute', 'tax', 'buyer1', 'buyer2', 'bank', 'gateway', 'gateway2', 'stranger'] as const;
    const k = Object.fromEntries(names.map((n) => [n, generateKeyPair('sm2')])) as Record<(typeof names)[number], KeyPair>;
    const did = (n: (typeof names)[number]): string => didFromPublicKey(k[n].publicKey);

    // The data the product serves from: the data source's dataset, granted to the provider.
    await publishDataset(c, k.dataSource, {
      id: 'enterprise-credit', title: { zh: '企业信用', en: 'Enterprise credit' }, description: { zh: '企业信用记录', en: 'Enterprise credit records' }, keywords: [],
      themes: ['ECON'], frequency: 'DAILY', sensitivity: 'conditional', distributions: [{ id: 'api', mediaType: 'application/json', accessUrl: 'https://data.example.cn/credit' }], services: [],
    });
    const req = await requestData(c, k.provider, { dataset: 'enterprise-credit', purpose: 'dpv:ServiceProvision', actions: ['use'] } as never);
    const { result: granted } = await approveRequest(c, k.dataSource, req.result.request);

    // The product: two plans over the api-subscription template, shares 50/20/20/10, 3 % tax on the data share.
    const { result: dep } = await (async () => {
      const h = await c.send('sign', k.provider, { module: 'lexcontract', method: 'deploy', args: { source: readFileSync(join(repoRoot, 'contracts/api-subscription/contract.lex'), 'utf8') } });
      const tx = await c.waitForTx(h);
      assert.equal(tx.receipt.status, 'ok', tx.receipt.message ?? '');
      return { result: tx.receipt.result as { template: string } };
    })();
    const common = { currency: 'CNY' as const, template: dep.template, rateLimit: 1_000, periodSeconds: PERIOD_S, periods: 2, graceSeconds: GRACE_S, withholdingBp: 300, taxAuthority: did('tax'), shares: { provider: 5000, dataSource: 2000, algorithm: 2000, compute: 1000 } };
    const plans: Plan[] = [
      { ...common, id: 'metered', kind: 'per-call', unit: 'call', baseFee: 0, includedUnits: 0, unitPrice: 37, tierUnits: 0, tierPrice: 37, quota: 0 },
      { ...common, id: 'pro', kind: 'subscription', unit: 'call', baseFee: 9_999, includedUnits: 5, unitPrice: 0, tierUnits: 0, tierPrice: 0, quota: 5 },
    ];
    const product: ProductInput = {
      id: 'credit-score', title: 'Enterprise credit score', titleZh: '企业信用评分', category: 'computation', openapi: toHex(sm3(new TextEncoder().encode('openapi: 3.1.0'))),
      datasets: ['enterprise-credit'], grants: [granted.grant], contributors: { dataSource: did('dataSource'), algorithm: did('algorithm'), compute: did('compute') },
      plans, components: [], gateways: [did('gateway')],
    };
    assert.equal((await publishProduct(c, k.provider, product)).result.version, 1);

    // Two buyers subscribe on different plans; every party signs each contract.
    const start = Date.now();
    const subs: Record<'buyer1' | 'buyer2', string> = { buyer1: '', buyer2: '' };
    for (const [buyer, plan] of [['buyer1', 'metered'], ['buyer2', 'pro']] as const) {
      const d = await draftSubscription(c, k[buyer], product.id, plan, { start });
      await Promise.all((['provider', buyer, 'dataSource', 'algorithm', 'compute', 'tax'] as const).map((n) => signSubscription(c, k[n], d.id, d.fingerprint)));
      subs[buyer] = (await subscribe(c, k[buyer], { product: product.id, plan, contract: d.id })).result.id;
    }

    // Money and mandates on the settlement chain: each buyer lets its contract pay (an invoiced
    // service); the data source lets each contract withhold the tax on its share.
    await settleRegisterIssuer(c, validator, { issuer: did('bank'), name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    for (const b of ['buyer1', 'buyer2'] as const) {
      await settleMint(c, k.bank, { to: did(b), currency: 'CNY', amount: '1000000', ref: `wire-${b}` });
      const grantee = { chain: 'sign', port: 'lexcontract', contract: subs[b] };
      await settleGrantMandate(c, k[b], { grantee, currency: 'CNY', cap: '1000000', service: { description: 'Enterprise credit score API' } } as never);
      await settleGrantMandate(c, k.dataSource, { grantee, currency: 'CNY', cap: '100000' });
    }

    // The gateway, its own process with its own key.
    const gwDir = join(tmp.dir, 'gw');
    const keyFile = join(tmp.dir, 'gateway.json');
    writeKeystore(keyFile, k.gateway, 'gw-pass');
    const keyFile2 = join(tmp.dir, 'gateway2.json');
    writeKeystore(keyFile2, k.gateway2, 'gw-pass');
    const cfg = join(tmp.dir, 'gw.json');
    writeFileSync(cfg, JSON.stringify({ products: { 'credit-score': { upstream: up.url, timeoutMs: 500 } } }));
    const gwArgs = ['--config', cfg, '--data-dir', gwDir, '--key', keyFile, '--password-env', 'GW_PASS', '--api', node.url];
    let gw = await startGateway(gwArgs, { GW_PASS: 'gw-pass' });
    gws.push(gw);
    const call = (key: KeyPair, sub: string, path = '/score', over: { nonce?: string; gateway?: string } = {}) => callProduct(gw.url, key, { product: product.id, subscription: sub, path, ...over });
    const refusedWith = async (res: Response, status: number, code: string): Promise<void> => {
      const body = await res.json() as { error?: { code: string; message: string } };
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(body.error?.code, code, body.error?.message ?? '');
    };
    const answered = new Set<string>();
    const ok = async (res: Response): Promise<void> => {
      assert.equal(res.status, 200, await res.clone().text());
      const id = res.headers.get('x-shulian-receipt');
      assert.ok(id && !answered.has(id), 'each answered call has its own receipt');
      answered.add(id);
      assert.equal(((await res.json()) as { score: number }).score, 720);
    };

    // Buyer 2 (pro: quota 5) with signed calls: five pass, the sixth is past the quota.
    for (let i = 0; i < 5; i++) await ok(await call(k.buyer2, subs.buyer2));
    await refusedWith(await call(k.buyer2, subs.buyer2), 429, 'GATEWAY_QUOTA_EXCEEDED');

    // Bad input, each refused and not charged.
    const hitsBefore = up.hits();
    const h = signedCallHeaders(k.buyer1, { gateway: did('gateway'), method: 'GET', path: '/p/credit-score/score', subscription: subs.buyer1, body: new Uint8Array(0) });
    await refusedWith(await fetch(`${gw.url}/p/credit-score/score?x=1`, { headers: h }), 401, 'GATEWAY_BAD_SIGNATURE'); // signed another path
    await refusedWith(await fetch(`${gw.url}/p/credit-score/score`, { headers: { ...h, 'x-shulian-did': did('buyer2') } }), 401, 'GATEWAY_BAD_SIGNATURE');
    await refusedWith(await fetch(`${gw.url}/p/credit-score/score`, { headers: { ...h, 'x-shulian-time': String(Date.now() - 3_600_000) } }), 401, 'GATEWAY_CLOCK_SKEW');
    await refusedWith(await fetch(`${gw.url}/p/credit-score/score`), 401, 'GATEWAY_AUTH_MISSING');
    const { [MARKET_HEADERS.gateway]: _, ...unbound } = h;
    await refusedWith(await fetch(`${gw.url}/p/credit-score/score`, { headers: unbound }), 401, 'GATEWAY_AUTH_MISSING'); // signed for no gateway
    // From the wrong gateway: a second gateway serving the same product (its own process and key)
    // refuses a call signed for the first, and one whose header is rewritten to name it does not
    // check; a token request is answered once, by the gateway it is signed for.
    const gw2 = await startGateway(['--config', cfg, '--data-dir', join(tmp.dir, 'gw2'), '--key', keyFile2, '--password-env', 'GW_PASS', '--api', node.url], { GW_PASS: 'gw-pass' });
    gws.push(gw2);
    await refusedWith(await fetch(`${gw2.url}/p/credit-score/score`, { headers: h }), 421, 'GATEWAY_WRONG_GATEWAY');
    await refusedWith(await fetch(`${gw2.url}/p/credit-score/score`, { headers: { ...h, [MARKET_HEADERS.gateway]: did('gateway2') } }), 401, 'GATEWAY_BAD_SIGNATURE');
    const tokenReq = signedCallHeaders(k.buyer1, { gateway: did('gateway'), method: 'POST', path: '/_auth/token', subscription: '-', body: new Uint8Array(0) });
    assert.equal((await fetch(`${gw.url}/_auth/token`, { method: 'POST', headers: tokenReq })).status, 200);
    await refusedWith(await fetch(`${gw.url}/_auth/token`, { method: 'POST', headers: tokenReq }), 409, 'GATEWAY_REPLAY');
    await refusedWith(await fetch(`${gw2.url}/_auth/token`, { method: 'POST', headers: tokenReq }), 421, 'GATEWAY_WRONG_GATEWAY');
    assert.equal(await gatewayDid(gw2.url), did('gateway2'));
    await refusedWith(await call(k.buyer1, subs.buyer1, '/score', { gateway: did('gateway2') }), 421, 'GATEWAY_WRONG_GATEWAY'); // the SDK, told the wrong DID
    // Another gateway (another key) now answers at the second's URL: the SDK, which read the DID
    // there before, is refused once (421), reads it again and is let through authentication.
    await gw2.stop();
    const gw3 = await startGateway(['--config', cfg, '--data-dir', join(tmp.dir, 'gw3'), '--key', keyFile, '--password-env', 'GW_PASS', '--api', node.url, '--port', new URL(gw2.url).port], { GW_PASS: 'gw-pass' });
    gws.push(gw3);
    assert.equal(gw3.url, gw2.url);
    await refusedWith(await callProduct(gw3.url, k.buyer1, { product: product.id, subscription: subs.buyer2, path: '/score' }), 403, 'GATEWAY_NO_SUBSCRIPTION');
    assert.equal(await gatewayDid(gw3.url), did('gateway'));
    await gw3.stop();
    await refusedWith(await callProductWithToken(gw.url, 'eyJkaWQiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5OTk5fQ.forged', { product: product.id, subscription: subs.buyer1, path: '/score' }), 401, 'GATEWAY_TOKEN_EXPIRED');
    await refusedWith(await call(k.stranger, subs.buyer1), 403, 'GATEWAY_NO_SUBSCRIPTION'); // someone else's subscription
    await refusedWith(await call(k.buyer1, subs.buyer2), 403, 'GATEWAY_NO_SUBSCRIPTION');
    assert.equal(up.hits(), hitsBefore, 'nothing refused reached the provider');
    await ok(await call(k.buyer1, subs.buyer1, '/score', { nonce: 'nonce-once-1' }));
    await refusedWith(await call(k.buyer1, subs.buyer1, '/score', { nonce: 'nonce-once-1' }), 409, 'GATEWAY_REPLAY');
    // Bytes pass the proxy unchanged both ways (a body of every byte value, written in one socket
    // write), on a plain path and on one the gateway resolves with the URL parser.
    for (const path of ['/echo?q=1', '/echo/x.json?q=a.b']) {
      const body = Buffer.concat([ALL_BYTES, Buffer.from('数链')]);
      const r = await callProduct(gw.url, k.buyer1, { product: product.id, subscription: subs.buyer1, path, method: 'POST', body });
      assert.equal(r.status, 200, path);
      const id = r.headers.get('x-shulian-receipt')!;
      assert.ok(id && !answered.has(id));
      answered.add(id);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.concat([Buffer.from(`${path}\n`), body, ALL_BYTES]), path);
    }
    await refusedWith(await call(k.buyer1, subs.buyer1, '/slow'), 504, 'GATEWAY_UPSTREAM_TIMEOUT');
    await refusedWith(await call(k.buyer1, subs.buyer1, '/fail'), 502, 'GATEWAY_UPSTREAM_FAILED');
    const big = await fetch(`${gw.url}/p/credit-score/score`, { method: 'POST', body: new Uint8Array(2 << 20), headers: { 'x-shulian-subscription': subs.buyer1 } });
    await refusedWith(big, 413, 'GATEWAY_TOO_LARGE');

    // Buyer 1 with a token, under load; the gateway is killed with SIGKILL in the middle.
    const { token } = await gatewayToken(gw.url, k.buyer1);
    for (let i = 0; i < 10; i++) await ok(await callProductWithToken(gw.url, token, { product: product.id, subscription: subs.buyer1, path: '/score' }));
    const load = Array.from({ length: 200 }, () => callProductWithToken(gw.url, token, { product: product.id, subscription: subs.buyer1, path: '/score' }).then(async (r) => {
      if (r.status === 200) await ok(r);
    }, () => undefined));
    await waitFor(() => answered.size >= 40, 'calls answered under load', 60_000);
    await gw.kill9();
    await Promise.all(load);
    gw = await startGateway(gwArgs, { GW_PASS: 'gw-pass' });
    gws.push(gw);
    // A token of the killed process is not honoured by the new one; a signed call is.
    await refusedWith(await callProductWithToken(gw.url, token, { product: product.id, subscription: subs.buyer1, path: '/score' }), 401, 'GATEWAY_TOKEN_EXPIRED');
    for (let i = 0; i < 3; i++) await ok(await call(k.buyer1, subs.buyer1));

    // Every answered call's receipt is on chain once: none lost across the kill, none counted twice.
    const status = async () => (await (await fetch(`${gw.url}/_gateway/status`)).json()) as { pending: number; rejected: number; lastCommitError?: string };
    await waitFor(async () => (await status()).pending === 0, 'the gateway to commit its journal', 120_000);
    assert.equal((await status()).rejected, 0);
    const lost = [];
    for (const id of answered) if ((await c.state('sign', marketStateKey.receipt(id))).value === null) lost.push(id);
    assert.deepEqual(lost, [], 'lost receipts');
    const usage1 = await subscriptionUsage(c, subs.buyer1);
    const usage2 = await subscriptionUsage(c, subs.buyer2);
    let units1 = usage1.periods[0]!.usage.units;
    assert.equal(usage2.periods[0]!.usage.units, 5);
    // The chain counts exactly the receipts the gateway journaled, each once: the answered calls,
    // and those whose answer the SIGKILL cut off after their receipt was on disk (the provider
    // did answer them; at least once, never twice).
    const journaled = new Map<string, string>();
    for (const l of readFileSync(join(gwDir, 'receipts.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      for (const e of (JSON.parse(l) as { events?: Array<{ id: string; subject: string }> }).events ?? []) {
        assert.equal(journaled.has(e.id), false, `receipt ${e.id} journaled twice`);
        journaled.set(e.id, e.subject);
      }
    }
    for (const id of answered) assert.ok(journaled.has(id), `answered call ${id} has its receipt in the journal`);
    assert.equal(units1, [...journaled.values()].filter((s) => s === subs.buyer1).length, 'buyer 1: every journaled receipt counted once');
    assert.equal(5, [...journaled.values()].filter((s) => s === subs.buyer2).length);

    // A revoked grant stops the product's calls.
    await revokeGrant(c, k.dataSource, granted.grant);
    // Calls answered until the revocation's block reaches the gateway are charged like any other.
    await waitFor(async () => {
      const r = await call(k.buyer1, subs.buyer1);
      await r.text();
      if (r.status === 200) units1++;
      return r.status === 403;
    }, 'calls refused after the grant is revoked', 30_000);
    await refusedWith(await call(k.buyer1, subs.buyer1), 403, 'GATEWAY_GRANT_REVOKED');

    // Period end (block time): settle both subscriptions through their contracts.
    const closes = start + (PERIOD_S + GRACE_S) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, closes - Date.now())));
    for (const b of ['buyer1', 'buyer2'] as const) {
      await waitFor(async () => {
        try {
          return await settlePeriod(c, k.stranger, { subscription: subs[b], period: 1 });
        } catch (e) {
          if ((e as { code?: string }).code === 'MARKET_PERIOD_OPEN') return undefined; // the next block's time is past the end
          throw e;
        }
      }, `period 1 of ${b} to settle`, 60_000);
    }
    let resent = Date.now();
    const views = await waitFor(async () => {
      const vs = await Promise.all([getContract(c, subs.buyer1), getContract(c, subs.buyer2)]);
      if (vs.some((v) => v.settlements.some((s) => s.status === 'pending')) && Date.now() - resent > 1_000) {
        resent = Date.now();
        for (const v of vs) await c.waitForTx(await c.send('sign', k.stranger, { module: 'lexcontract', method: 'settle', args: { id: v.instance.id } as JsonValue }));
      }
      return vs.every((v) => v.settlements.length === 2 && v.settlements.every((s) => s.status === 'paid' || s.status === 'failed')) ? vs : undefined;
    }, 'the settlement acknowledgements', 180_000);
    for (const v of views) assert.deepEqual(v.settlements.map((s) => [s.status, s.note ?? '']), [['paid', ''], ['paid', '']]);

    // Reconcile: charges from the receipts on chain, splits to the fen, tax, balances, invoices.
    const charge1 = 37 * units1;
    const charge2 = 9_999;
    const bps = [5000, 2000, 2000, 1000];
    const s1 = split(charge1, bps);
    const s2 = split(charge2, bps);
    assert.equal(s1.reduce((a, b) => a + b, 0), charge1);
    const tax1 = halfUp(Math.floor((charge1 * 2000) / 10_000) * 300, 10_000);
    const tax2 = halfUp(Math.floor((charge2 * 2000) / 10_000) * 300, 10_000);
    const bal = async (n: (typeof names)[number]): Promise<number> => Number((await settleBalances(c, did(n), { verified: true })).balances.find((b) => b.currency === 'CNY')?.available ?? '0');
    assert.equal(await bal('buyer1'), 1_000_000 - charge1);
    assert.equal(await bal('buyer2'), 1_000_000 - charge2);
    assert.equal(await bal('provider'), s1[0]! + s2[0]!);
    assert.equal(await bal('dataSource'), s1[1]! + s2[1]! - tax1 - tax2);
    assert.equal(await bal('algorithm'), s1[2]! + s2[2]!);
    assert.equal(await bal('compute'), s1[3]! + s2[3]!);
    assert.equal(await bal('tax'), tax1 + tax2);
    assert.equal((await settleTotals(c)).balanced, true);
    for (const [b, parts] of [['buyer1', s1], ['buyer2', s2]] as const) {
      const v = views.find((x) => x.instance.id === subs[b])!;
      const grantee = { chain: 'sign', port: 'lexcontract', contract: subs[b] };
      const ins = await settleInstructionByKey(c, did(b), v.settlements[0]!.instruction.idempotencyKey, grantee, { verified: true });
      assert.equal(ins?.status, 'settled');
      const invs = await settleInvoices(c, ins!.id, { verified: true });
      assert.deepEqual(invs.map((i) => [i.supplier.did, i.totals.payable]), [[did('provider'), String(parts[0])], [did('dataSource'), String(parts[1])], [did('algorithm'), String(parts[2])], [did('compute'), String(parts[3])]]);
    }
    const settled1 = (await subscriptionUsage(c, subs.buyer1)).periods[0]!.settled!;
    assert.equal(settled1.units, units1);
    assert.equal((await getSubscription(c, subs.buyer1)).settled, 1);
    const rev = await providerRevenue(c, did('provider'));
    assert.equal(rev.gross, charge1 + charge2);
    assert.equal(rev.byRecipient[did('dataSource')]!.withheld, tax1 + tax2);
    assert.equal(rev.byRecipient[did('provider')]!.received, s1[0]! + s2[0]!);
    // The same figures through the CLI.
    const listed = json<{ products: Array<{ id: string }> }>(await cli(['market', 'list', '--category', 'computation', '--api', node.url, '--json']));
    assert.deepEqual(listed.products.map((p) => p.id), ['credit-score']);
    const cliRev = json<{ gross: number; byRecipient: Record<string, { received: number; withheld: number; paid: number; open: number }> }>(await cli(['market', 'revenue', '--provider', did('provider'), '--api', node.url, '--json']));
    assert.equal(cliRev.gross, charge1 + charge2);
    assert.deepEqual(cliRev.byRecipient[did('tax')], { received: tax1 + tax2, withheld: 0, paid: 2, open: 0 });
    const cliUse = json<{ periods: Array<{ usage: { units: number } }> }>(await cli(['market', 'usage', subs.buyer1, '--api', node.url, '--json']));
    assert.equal(cliUse.periods[0]!.usage.units, units1);
  } finally {
    for (const g of gws) await g.stop().catch(() => undefined);
    up.server.close();
    await node.stop();
    tmp.cleanup();
  }
});
