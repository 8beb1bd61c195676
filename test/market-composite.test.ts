/**
 * Composite metering on a running alliance (issue #23: "a call to a composite pays each component
 * by its own contract, recursively"): onboarding (provider 3) is composed of kyc (provider 2),
 * itself composed of ocr (provider 1); each composite provider holds its own subscription to its
 * component. A buyer's calls through one metering gateway — which is not a gateway of kyc or ocr —
 * write a receipt for the buyer's subscription and one for each component subscription, in the
 * call's journal group (one fsync); the gateway commits them, parents first; the chain counts each
 * once; a component out of quota refuses the composite call uncharged, as does a failed upstream;
 * each subscription settles under its own contract, its own payer paying.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, type KeyPair } from '../src/crypto/index.ts';
import { MeteringGateway, type UsageEvent } from '../src/market/index.ts';
import { lexStateKey, settlementKey, type SettlementRecord } from '../src/modules/lexcontract/index.ts';
import { periodAt, type Plan, type ProductInput } from '../src/modules/market/types.ts';
import { ShulianClient, callProduct, draftSubscription, publishProduct, settlePeriod, signSubscription, subscribe, subscriptionUsage } from '../src/sdk/index.ts';
import { repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const PERIOD_S = 60;
const GRACE_S = 2;

test('a call to a composite pays each component by its own contract, recursively: receipts per component, committed, counted once, settled', { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  let hits = 0;
  const up = createServer((req, res) => {
    hits++;
    if (req.url?.startsWith('/fail')) { res.writeHead(500); return void res.end('boom'); }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((ok) => up.listen(0, '127.0.0.1', () => ok()));
  const a = up.address();
  const upstream = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  let gw: MeteringGateway | undefined;
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const names = ['prov1', 'prov2', 'prov3', 'dataSource', 'algorithm', 'compute', 'tax', 'buyer', 'gateway', 'otherGateway', 'stranger'] as const;
    type Name = (typeof names)[number];
    const k = Object.fromEntries(names.map((n) => [n, generateKeyPair('sm2')])) as Record<Name, KeyPair>;
    const did = (n: Name): string => didFromPublicKey(k[n].publicKey);

    const h = await c.send('sign', k.prov1, { module: 'lexcontract', method: 'deploy', args: { source: readFileSync(join(repoRoot, 'contracts/api-subscription/contract.lex'), 'utf8') } });
    const dep = await c.waitForTx(h);
    assert.equal(dep.receipt.status, 'ok', dep.receipt.message ?? '');
    const template = (dep.receipt.result as { template: string }).template;
    const common = { currency: 'CNY' as const, template, rateLimit: 1_000, periodSeconds: PERIOD_S, periods: 3, graceSeconds: GRACE_S, withholdingBp: 300, taxAuthority: did('tax'), shares: { provider: 5000, dataSource: 2000, algorithm: 2000, compute: 1000 } };
    const plans: Plan[] = [
      { ...common, id: 'metered', kind: 'per-call', unit: 'call', baseFee: 0, includedUnits: 0, unitPrice: 37, tierUnits: 0, tierPrice: 37, quota: 0 },
      { ...common, id: 'pro', kind: 'subscription', unit: 'call', baseFee: 9_999, includedUnits: 4, unitPrice: 0, tierUnits: 0, tierPrice: 0, quota: 4 },
    ];
    const product = (id: string, over: Partial<ProductInput>): ProductInput => ({
      id, title: id, category: 'computation', openapi: toHex(sm3(new TextEncoder().encode(`openapi ${id}`))), datasets: [], grants: [],
      contributors: { dataSource: did('dataSource'), algorithm: did('algorithm'), compute: did('compute') }, plans, components: [], gateways: [did('otherGateway')], ...over,
    });
    // Every subscription starts at the same time, so a call falls in the same period of each.
    const start = Date.now();
    const sub = async (buyer: Name, provider: Name, productId: string, plan: string): Promise<string> => {
      const d = await draftSubscription(c, k[buyer], productId, plan, { start });
      await Promise.all(([provider, buyer, 'dataSource', 'algorithm', 'compute', 'tax'] as const).map((n) => signSubscription(c, k[n], d.id, d.fingerprint)));
      return (await subscribe(c, k[buyer], { product: productId, plan, contract: d.id })).result.id;
    };
    await publishProduct(c, k.prov1, product('ocr', {}));
    const ocrSub = await sub('prov2', 'prov1', 'ocr', 'pro'); // quota 4: the fifth call to onboarding is refused
    await publishProduct(c, k.prov2, product('kyc', { category: 'composite', components: [{ product: 'ocr', subscription: ocrSub }] }));
    const kycSub = await sub('prov3', 'prov2', 'kyc', 'metered');
    await publishProduct(c, k.prov3, product('onboarding', { category: 'composite', components: [{ product: 'kyc', subscription: kycSub }], gateways: [did('gateway')] }));
    const buyerSub = await sub('buyer', 'prov3', 'onboarding', 'metered');

    gw = new MeteringGateway({ client: c, key: k.gateway, dataDir: join(tmp.dir, 'gw'), products: { onboarding: { upstream } }, commitIntervalMs: 200, cacheMs: 0 });
    const url = await gw.listen();
    const call = (path = '/check') => callProduct(url, k.buyer, { product: 'onboarding', subscription: buyerSub, path });

    // A failed upstream: not charged, and so no component is.
    const failed = await call('/fail');
    assert.equal(failed.status, 502);
    const answered: string[] = [];
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      times.push(Date.now());
      const r = await call();
      assert.equal(r.status, 200, await r.text());
      answered.push(r.headers.get('x-shulian-receipt')!);
    }
    // The component two levels down has used its quota (4): the composite call is refused before the upstream, uncharged.
    const before = hits;
    const over = await call();
    const body = (await over.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'GATEWAY_QUOTA_EXCEEDED');
    assert.match(body.error.message, /component ocr of kyc/);
    assert.equal(hits, before, 'the upstream was not called');

    // The journal: each answered call's receipts — its own, kyc's, ocr's — in one group (one write, one fsync), parents first.
    const groups = readFileSync(join(tmp.dir, 'gw', 'receipts.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { events?: UsageEvent[] }).events ?? []);
    for (const id of answered) {
      const g = groups.find((es) => es.some((e) => e.id === id))!;
      const mine = g.filter((e) => e.id === id || e.data.parent === id || g.some((p) => p.data.parent === id && e.data.parent === p.id));
      assert.deepEqual(mine.map((e) => [e.subject, e.data.product, e.data.level ?? 0]), [[buyerSub, 'onboarding', 0], [kycSub, 'kyc', 1], [ocrSub, 'ocr', 2]]);
    }

    // Committed by the composite's gateway, though it is no gateway of kyc or ocr: four units on each subscription, once.
    await gw.commitNow();
    await waitFor(() => (gw!.status().pending === 0 ? true : undefined), 'the gateway to commit its receipts', 120_000);
    assert.deepEqual([gw.status().committed, gw.status().rejected], [12, 0]);
    await gw.commitNow(); // nothing left: nothing sent twice
    const period = periodAt({ start, periodMs: PERIOD_S * 1000, periods: 3 }, times[0]!);
    assert.equal(periodAt({ start, periodMs: PERIOD_S * 1000, periods: 3 }, times[3]!), period, 'the test ran its calls within one period');
    for (const s of [buyerSub, kycSub, ocrSub]) {
      const use = (await subscriptionUsage(c, s)).periods.find((p) => p.period === period)!.usage;
      assert.deepEqual(use, { calls: 4, units: 4 }, `subscription ${s}`);
    }

    // Each settles under its own contract, paid by its own buyer: the buyer pays onboarding 4 × 0.37,
    // provider 3 pays kyc 4 × 0.37, provider 2 pays ocr's base fee (4 calls within its quota).
    const closes = start + period * PERIOD_S * 1000 + GRACE_S * 1000;
    await waitFor(() => (Date.now() > closes + 1_000 ? true : undefined), 'the period and its grace to end', PERIOD_S * 3 * 1000);
    for (let p = 1; p <= period; p++) {
      for (const s of [buyerSub, kycSub, ocrSub]) {
        const r = await settlePeriod(c, k.stranger, { subscription: s, period: p });
        assert.equal(r.result.units, p === period ? 4 : 0);
      }
    }
    const first = async (s: string) => {
      const v = (await c.state('sign', lexStateKey(settlementKey(s, 0)))).value as SettlementRecord | null;
      assert.ok(v, `subscription ${s} emitted a settlement`);
      return v!.instruction;
    };
    if (period === 1) {
      const [x, y, z] = [await first(buyerSub), await first(kycSub), await first(ocrSub)];
      assert.deepEqual([x.kind, x.from, Number(x.amount.minor)], ['split', did('buyer'), 4 * 37]);
      assert.deepEqual([y.kind, y.from, Number(y.amount.minor)], ['split', did('prov3'), 4 * 37]);
      assert.deepEqual([z.kind, z.from, Number(z.amount.minor)], ['split', did('prov2'), 9_999]);
    }
  } finally {
    await gw?.close();
    up.close();
    await node.stop();
    tmp.cleanup();
  }
});
