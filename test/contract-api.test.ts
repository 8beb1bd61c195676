import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { compileSource, readSample } from '../src/lex/index.ts';
import { buildApi } from '../src/api/index.ts';
import { RenderPool } from '../src/api/render-pool.ts';
import { instanceFingerprint, lexStateKey, TEMPLATE_COUNT_KEY, templateKey } from '../src/modules/lexcontract/index.ts';
import { startNode, type RunningNode } from '../src/node/index.ts';
import { ShulianClient } from '../src/sdk/client.ts';
import {
  compileContract, contractTemplatePdf, deployContractTemplate, draftContract, getContract, getContractFingerprint, getContractTemplate,
  listContracts, listContractTemplates, renderContractPdf, signContract, submitContractEvent, testContractTemplate,
} from '../src/sdk/index.ts';
import { repoRoot } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

let node: RunningNode;
let tmp: { dir: string; cleanup: () => void };
let client: ShulianClient;
/** The contract drafted by the lifecycle test. */
let drafted: { id: string; fingerprint: string } | undefined;
const DIR = join(repoRoot, 'contracts/late-delivery');
const SOURCE = readFileSync(join(DIR, 'contract.lex'), 'utf8');
const SAMPLE = readSample(DIR);

before(async () => {
  tmp = tempDir();
  node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { rateLimitPerMinute: 100_000 } });
  client = new ShulianClient({ baseUrl: node.url });
});
after(async () => {
  await node.close();
  tmp.cleanup();
});

const post = (path: string, body: string) => fetch(node.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

test('contract API: the template library, one template with its texts and summary, its scenario tests and PDF', async () => {
  const list = await listContractTemplates(client);
  // every folder of contracts/ that holds a template, and nothing else
  const folders = readdirSync(join(repoRoot, 'contracts')).filter((d) => existsSync(join(repoRoot, 'contracts', d, 'contract.lex')));
  assert.ok(folders.length >= 13);
  assert.deepEqual(list.library.map((t) => t.name).sort(), folders.sort());
  const ld = list.library.find((t) => t.name === 'late-delivery')!;
  assert.equal(ld.sourceHash, compileSource(SOURCE).contract.sourceHash);
  assert.equal(ld.deployed, false);
  assert.ok(list.library.every((t) => !t.error && (t.scenarios ?? 0) > 0));

  const t = await getContractTemplate(client, 'late-delivery');
  assert.equal(t.source, SOURCE);
  assert.deepEqual(t.summary.parties.map((p) => p.name), ['seller', 'buyer']);
  assert.deepEqual(t.summary.events.map((e) => [e.name, e.from]), [['Delivered', ['seller']], ['ForceMajeure', ['seller']], ['Terminate', ['buyer']]]);
  assert.equal(t.summary.params.find((p) => p.name === 'goodsValue')?.type, 'Money');
  assert.match(t.texts['zh-CN'].markdown, /人民币100,000\.00元/);
  assert.match(t.texts.en.html, /^<!DOCTYPE html>/);
  assert.equal(t.fingerprint, instanceFingerprint(compileSource(SOURCE).contract, SAMPLE));

  const report = await testContractTemplate(client, 'late-delivery');
  assert.equal(report.ok, true);
  assert.ok(report.passed >= 6);

  const pdf = await contractTemplatePdf(client, 'late-delivery', { lang: 'en' });
  assert.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');
  const res = await fetch(`${node.url}/v1/contracts/templates/late-delivery/pdf?lang=zh-CN&blank=true`);
  assert.equal(res.headers.get('content-type'), 'application/pdf');

  for (const bad of ['nope', '..%2F..%2Fetc', 'a'.repeat(64)]) {
    await assert.rejects(getContractTemplate(client, bad), (e: Error & { code?: string }) => e.code === 'NOT_FOUND', bad);
  }
  await assert.rejects(testContractTemplate(client, 'nope'), { code: 'NOT_FOUND' });
});

test('contract API: compile and render a source without writing to the chain (the editor preview)', async () => {
  const sign = node.node.chain('sign')!;
  const height = sign.height();
  const lexState = () => [sign.getState(lexStateKey(TEMPLATE_COUNT_KEY)).value, sign.getState(lexStateKey(templateKey(compileSource(SOURCE).contract.sourceHash))).value];
  const lexBefore = lexState();
  const good = await compileContract(client, { source: SOURCE, params: SAMPLE });
  assert.equal(good.ok, true);
  if (!good.ok) return;
  assert.equal(good.fingerprint, instanceFingerprint(compileSource(SOURCE).contract, SAMPLE));
  assert.match(good.texts.en.markdown, /any part of a day counting as a full day/);

  // An error points at line and column.
  const broken = await compileContract(client, { source: SOURCE.replace('done when delivered', 'done when deliverd') });
  assert.equal(broken.ok, false);
  const d = broken.diagnostics.find((x) => x.severity === 'error')!;
  assert.equal(d.code, 'LEX_UNDEFINED_NAME');
  assert.ok(d.line > 1 && d.column > 1);
  assert.match(d.message, /delivered/, 'did you mean');

  // Parameters that do not fit: the blank texts and the reason.
  const badParams = await compileContract(client, { source: SOURCE, params: { ...SAMPLE, goodsValue: 'lots' } });
  assert.equal(badParams.ok && badParams.paramsError?.code, 'BAD_PARAMS');

  const pdf = await renderContractPdf(client, { source: SOURCE, params: SAMPLE, lang: 'zh-CN' });
  assert.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');
  await assert.rejects(renderContractPdf(client, { source: 'contract x' }), { code: 'LEX_COMPILE' });
  // Nothing was written: the contract module's state is as it was, and every tx committed since is
  // the node's own embedded gateway relaying cross-chain (its xchain txs may land meanwhile).
  assert.deepEqual(lexState(), lexBefore, 'the preview deployed nothing');
  assert.deepEqual(lexBefore, [null, null]);
  for (let h = height + 1; h <= sign.height(); h++) {
    for (const tx of sign.getBlock(h)!.txs) assert.deepEqual([tx.module, tx.from], ['xchain', node.did], `block ${h} holds a ${tx.module}.${tx.method} tx from ${tx.from}`);
  }

  // Malformed bodies get 400 with a reason.
  for (const body of ['[]', '"x"', '{"source": 7}', '{"source": "contract x", "params": []}', '{"source": "x", "lang": "fr"}']) {
    const r = await post('/v1/contracts/compile', body);
    assert.equal(r.status, 400, body);
    const j = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(j.error.code, 'BAD_REQUEST');
  }
});

test('contract API: compile survives arbitrary input (fuzz)', async () => {
  const lines = fc.constantFrom('contract x', 'version 1.0.0', 'title "A" | "甲"', 'party a "A" | "甲"', 'party b "B" | "乙"', 'param p: Money "P" | "价"', 'clause c "C" | "条"', '  en: {a} pays {p}.', '  zh: {a}支付{p}。', '  on E "E" | "事" from a', '    pay p from a to b for "x" | "x"', '\t', '  define d "D" | "定" = p * 1.5', 'state s: Int "S" | "状" = 0', '');
  await fc.assert(fc.asyncProperty(
    fc.oneof(
      fc.array(fc.oneof(lines, fc.string()), { maxLength: 20 }).map((ls) => JSON.stringify({ source: ls.join('\n') || 'x' })),
      fc.json().map((j) => j),
      fc.record({ source: fc.string({ minLength: 1 }), params: fc.dictionary(fc.string(), fc.jsonValue()) }).map((b) => JSON.stringify(b)),
    ),
    async (body) => {
      const r = await post('/v1/contracts/compile', body);
      assert.ok(r.status === 200 || r.status === 400, `status ${r.status} for ${body.slice(0, 200)}`);
      const j = (await r.json()) as { ok?: boolean; error?: { code: string } };
      if (r.status === 200) assert.equal(typeof j.ok, 'boolean');
      else assert.equal(typeof j.error?.code, 'string');
    },
  ), { numRuns: 60 });
});

test('contract API and SDK: deploy, draft, sign and drive a contract; read it by party, with its fingerprint', async () => {
  const [seller, buyer] = [generateKeyPair('sm2'), generateKeyPair('sm2')];
  const parties = { seller: didFromPublicKey(seller.publicKey), buyer: didFromPublicKey(buyer.publicKey) };
  const terms = Object.fromEntries(Object.entries(SAMPLE).filter(([k]) => k !== 'seller' && k !== 'buyer'));
  const { result: { template } } = await deployContractTemplate(client, seller, SOURCE);
  assert.equal((await listContractTemplates(client)).library.find((t) => t.name === 'late-delivery')?.deployed, true);
  assert.deepEqual((await listContractTemplates(client)).deployed.map((t) => t.template), [template]);
  assert.equal((await getContractTemplate(client, template)).deployed, true);

  const { result: { id, fingerprint } } = await draftContract(client, buyer, { template, params: terms, parties });
  drafted = { id, fingerprint };
  const fp = await getContractFingerprint(client, id);
  assert.equal(fp.fingerprint, fingerprint);
  assert.equal(fp.matches, true);
  assert.match(fp.texts['zh-CN']!, /迟延交付与违约金/);
  await assert.rejects(signContract(client, buyer, id, 'f'.repeat(64)), { code: 'LEX_FINGERPRINT_MISMATCH' });
  assert.equal((await signContract(client, seller, id, fingerprint)).result.status, 'signing');
  assert.equal((await signContract(client, buyer, id, fingerprint)).result.status, 'active');
  // The agreed delivery (2024) is long past: delivery now pays the capped penalty.
  const ev = await submitContractEvent(client, seller, id, 'Delivered');
  assert.equal(ev.result.status, 'active');
  assert.deepEqual(ev.result.response.penalty, { currency: 'CNY', minor: 5_500_000 });
  await assert.rejects(submitContractEvent(client, buyer, id, 'Delivered'), { code: 'NOT_AUTHORISED' });

  const view = await getContract(client, id);
  assert.equal(view.state?.seq, 1);
  assert.deepEqual(view.history.slice(0, 5).map((h) => h.action), ['drafted', 'signed', 'signed', 'activated', 'event']);
  // The node's signing chain runs xchain: the settlement chain's answer may already be back.
  assert.ok(view.history.slice(5).every((h) => h.action === 'paymentConfirmed' || h.action === 'paymentFailed'));
  assert.equal(view.settlements.length, 1);
  assert.equal(view.settlements[0]!.instruction.kind, 'pay');
  const listing = await listContracts(client, parties.seller);
  assert.deepEqual(listing.instances.map((x) => [x.id, x.role, x.status]), [[id, 'seller', 'active']]);
  assert.deepEqual((await listContracts(client, 'did:shulian:nobody')).instances, []);
  await assert.rejects(getContract(client, 'a'.repeat(64)), { code: 'NOT_FOUND' });
  await assert.rejects(getContract(client, 'xyz'), { code: 'BAD_REQUEST' });
  await assert.rejects(getContract(client, id, { chain: 'notary' }), { code: 'CHAIN_NOT_FOUND' });
});

test('an instance\'s fingerprint is rendered once on a render worker, then served from the cache', async () => {
  assert.ok(drafted, 'the lifecycle test drafted a contract');
  // [1] counts tasks started on the pool's workers ([0] = 0: none is held).
  const counter = new Int32Array(new SharedArrayBuffer(8));
  const pool = new RenderPool({ workers: 1, queue: 2, hold: counter });
  const app = await buildApi(node.node, { rateLimitPerMinute: 1_000_000, render: pool });
  try {
    const get = async () => {
      const r = await app.inject({ method: 'GET', url: `/v1/contracts/instances/${drafted!.id}/fingerprint` });
      assert.equal(r.statusCode, 200, r.body);
      return r.json<{ fingerprint: string; recomputed: string; matches: boolean; texts: Record<string, string> }>();
    };
    const first = await get();
    assert.deepEqual([first.recomputed, first.matches], [drafted!.fingerprint, true]);
    assert.match(first.texts['zh-CN']!, /迟延交付与违约金/);
    assert.equal(Atomics.load(counter, 1), 1, 'rendered once, on a worker');
    for (let i = 0; i < 5; i++) assert.deepEqual(await get(), first);
    assert.equal(Atomics.load(counter, 1), 1, 'later reads come from the cache');
    // A missing contract is still NOT_FOUND, and renders nothing.
    assert.equal((await app.inject({ method: 'GET', url: `/v1/contracts/instances/${'c'.repeat(64)}/fingerprint` })).statusCode, 404);
    assert.equal(Atomics.load(counter, 1), 1);
  } finally {
    await app.close();
    await pool.close();
  }
});
