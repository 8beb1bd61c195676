import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checkRule, type Observation } from '../rules/index.ts';
import { RuleEngine, type ActiveRule, type RuleContext } from './engine.ts';
import { SlidingWindows } from './window.ts';

const T0 = 1_700_000_000_000;
const ctx: RuleContext = { lists: {}, templates: new Set(), codes: new Set(), govHeight: 7 };
let n = 0;
const obs = (over: Partial<Observation> = {}): Observation => ({
  chain: 'settle', height: 1, time: T0, index: 0, hash: (n++).toString(16).padStart(64, '0'), from: 'did:shulian:alice', module: 'settlement', method: 'transfer',
  args: { to: 'did:shulian:bob', currency: 'CNY', amount: '1000' }, nonce: 0, ok: true, code: '', events: [], result: null, ...over,
});
const rule = (spec: Record<string, unknown>, over: Partial<ActiveRule> = {}): ActiveRule => ({
  id: String(spec.id), version: 1, owner: 'did:shulian:reg', chains: '*',
  compiled: checkRule({ title: 'T', severity: 'high', scope: { chains: ['*'] }, ...spec }), ...over,
});

const burst = rule({
  id: 'burst', kind: 'window', when: 'tx.module == "settlement" && tx.method == "transfer" && ok', by: 'tx.from', sum: 'int(tx.args.amount)', over: '5000', windowMs: 60_000,
});

test('a windowed sum raises one alert per burst, with the window\'s txs, and again only after it fell back', () => {
  const e = new RuleEngine();
  e.setRules([burst], ctx);
  const raised = [];
  for (let i = 0; i < 10; i++) raised.push(...e.observe(obs({ height: 1 + i, time: T0 + i * 1_000 })));
  assert.equal(raised.length, 1);
  const a = raised[0]!;
  assert.equal(a.value, '6000');
  assert.equal(a.key, 'did:shulian:alice');
  assert.equal(a.txs.length, 6);
  assert.equal(a.govHeight, 7);
  assert.match(a.detail, /sum 6000 > 5000/);
  // Another sender has its own window; alice's window empties after a minute, then a new burst alerts again.
  assert.equal(e.observe(obs({ from: 'did:shulian:carol', time: T0 + 11_000 })).length, 0);
  const later = [];
  for (let i = 0; i < 6; i++) later.push(...e.observe(obs({ time: T0 + 200_000 + i }))); 
  assert.equal(later.length, 1);
  assert.notEqual(later[0]!.id, a.id);
});

test('the same stream gives the same alerts with the same ids (replay after a restart)', () => {
  const stream = Array.from({ length: 30 }, (_, i) => obs({ height: i + 1, time: T0 + i * 5_000, from: i % 2 ? 'did:shulian:a' : 'did:shulian:b' }));
  const run = () => {
    const e = new RuleEngine();
    e.setRules([burst], ctx);
    return stream.flatMap((o) => e.observe(o)).map((x) => x.id);
  };
  const first = run();
  assert.ok(first.length >= 2);
  assert.deepEqual(run(), first);
});

test('sequences, lists, deployments and templates; evaluation errors are counted, never alerted', () => {
  const e = new RuleEngine();
  const code = 'aabb';
  const codeHash = createHash('sha256').update(Buffer.from(code, 'hex')).digest('hex');
  e.setRules([
    rule({ id: 'seq', kind: 'sequence', first: 'tx.method == "mint"', then: 'tx.method == "withdraw"', by: 'tx.from', withinBlocks: 3 }),
    rule({ id: 'sanctioned', kind: 'match', when: 'tx.from in lists.sanctioned || (has(tx.args.to) && tx.args.to in lists.sanctioned)' }),
    rule({ id: 'deploy', kind: 'deploy' }),
    rule({ id: 'tpl', kind: 'template' }),
    rule({ id: 'broken', kind: 'match', when: 'int(tx.args.memo) > 3' }),
  ], { ...ctx, lists: { sanctioned: { 'did:shulian:evil': true } }, templates: new Set(['11'.repeat(32)]) });
  assert.deepEqual(e.observe(obs({ method: 'mint', height: 10 })).map((a) => a.rule), []);
  assert.deepEqual(e.observe(obs({ method: 'withdraw', height: 12 })).map((a) => a.rule), ['seq']);
  // Consumed: a second withdraw does not pair with the same mint; one too late does not pair at all.
  assert.deepEqual(e.observe(obs({ method: 'withdraw', height: 12 })).map((a) => a.rule), []);
  e.observe(obs({ method: 'mint', height: 20 }));
  assert.deepEqual(e.observe(obs({ method: 'withdraw', height: 24 })).map((a) => a.rule), []);
  assert.deepEqual(e.observe(obs({ args: { to: 'did:shulian:evil', amount: '1' } })).map((a) => a.rule), ['sanctioned']);
  assert.deepEqual(e.observe(obs({ module: 'evm', method: 'deploy', args: { code } })).map((a) => a.rule), ['deploy']);
  assert.deepEqual(e.observe(obs({ module: 'lexcontract', method: 'draft', args: { template: '22'.repeat(32) } })).map((a) => a.rule), ['tpl']);
  assert.deepEqual(e.observe(obs({ module: 'lexcontract', method: 'draft', args: { template: '11'.repeat(32) } })).map((a) => a.rule), []);
  e.setRules([rule({ id: 'deploy', kind: 'deploy' })], { ...ctx, codes: new Set([codeHash]) });
  assert.deepEqual(e.observe(obs({ module: 'evm', method: 'deploy', args: { code } })).map((a) => a.rule), []);
  assert.ok(e.stats.errors > 0, 'the broken rule failed on txs without a memo');
});

test('scope: chains, modules and senders of the regulator', () => {
  const e = new RuleEngine();
  e.setRules([rule({ id: 'all', kind: 'match', when: 'true' }, { chains: new Set(['settle']), modules: new Set(['settlement']), senders: new Set(['did:shulian:org']), ownedChains: new Set(['trade']) })], ctx);
  assert.equal(e.observe(obs({ chain: 'sign' })).length, 0);
  assert.equal(e.observe(obs({ module: 'notary', from: 'did:shulian:org' })).length, 0);
  assert.equal(e.observe(obs({ from: 'did:shulian:someone' })).length, 0);
  assert.equal(e.observe(obs({ from: 'did:shulian:org' })).length, 1);
});

test('windows are bounded: keys least recently active go first; a key\'s entries merge without understating', () => {
  const w = new SlidingWindows(1_000_000, { maxKeys: 3, maxEntries: 4, evidence: 2 });
  for (const k of ['a', 'b', 'c', 'd']) w.add(k, T0, 1n, { chain: 'c', hash: k, height: 1, index: 0 });
  assert.equal(w.size, 3);
  let step;
  for (let i = 0; i < 10; i++) step = w.add('x', T0 + i, 5n, { chain: 'c', hash: `x${i}`, height: 1, index: i });
  assert.equal(step!.after, 50n);
  assert.equal(step!.count, 4);
  assert.deepEqual(step!.evidence.map((r) => r.hash), ['x8', 'x9']);
});
