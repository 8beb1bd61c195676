import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChainStats, NodeStats } from '../sdk/index.ts';
import { Conditions, breaches } from './rules.ts';

const chain = (o: Partial<ChainStats> = {}): ChainStats => ({
  id: 'notary', height: 5, txsCommitted: 0, blocksCommitted: 0, mempool: { txs: 0, bytes: 0 }, consensus: null, validators: 4, validatorsUp: 4,
  lastBlockTime: 0, blockIntervalMs: null, tps: 0, ...o,
});
const stats = (time: number, chains: ChainStats[], o: Partial<NodeStats> = {}): NodeStats => ({
  node: { did: 'did:shulian:x', version: '0', startedAt: 0, uptimeMs: 0 }, time,
  process: { cpuSeconds: 0, cpuPercent: 0, rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, eventLoopLagMs: 1, eventLoopLagP99Ms: 2 },
  disk: { usedBytes: 10, freeBytes: 30, totalBytes: 100 }, peers: 0, p2p: null, tps: 0, chains, gateway: null, history: { intervalMs: 5_000, samples: [] }, ...o,
});

test('each threshold fires on its own figure, and only past it', () => {
  const c = new Conditions();
  const t = { validatorsDown: 2, mempoolTxs: 10, diskPercent: 70, eventLoopLagMs: 50 };
  assert.deepEqual(breaches(stats(0, [chain({ validatorsUp: 3, mempool: { txs: 9, bytes: 0 } })]), { ...t, diskPercent: 71 }, c.stalledMs), []);
  const b = breaches(stats(0, [chain({ validatorsUp: 2, mempool: { txs: 10, bytes: 0 } })], { process: { cpuSeconds: 0, cpuPercent: 0, rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, eventLoopLagMs: 1, eventLoopLagP99Ms: 50 } }), t, c.stalledMs);
  assert.deepEqual(b.map((x) => x.id).sort(), ['disk-full', 'event-loop-lag', 'mempool-full/notary', 'validators-down/notary']);
  assert.equal(b.find((x) => x.kind === 'disk-full')!.value, 70);
  assert.deepEqual(breaches(stats(0, [chain({ validatorsUp: 0 })]), {}, c.stalledMs), [], 'thresholds absent: nothing');
});

test('a gateway backlog fires per route at the threshold, and not without a gateway', () => {
  const c = new Conditions();
  const gw = (a: number, b: number): NodeStats['gateway'] => ({ backlog: a + b, routes: [{ from: 'notary', to: 'settle', backlog: a }, { from: 'settle', to: 'notary', backlog: b }] });
  const t = { gatewayBacklog: 100 };
  assert.deepEqual(breaches(stats(0, [], { gateway: gw(99, 0) }), t, c.stalledMs), [], 'below the threshold');
  assert.deepEqual(breaches(stats(0, [], { gateway: gw(60, 60) }), t, c.stalledMs), [], 'per route, not the sum');
  const b = breaches(stats(0, [], { gateway: gw(100, 3) }), t, c.stalledMs);
  assert.deepEqual(b.map((x) => [x.id, x.kind, x.chain, x.value, x.threshold]), [['gateway-backlog/notary/settle', 'gateway-backlog', 'notary', 100, 100]]);
  assert.match(b[0]!.message, /100 packets from notary to settle/);
  assert.deepEqual(breaches(stats(0, [], { gateway: null }), t, c.stalledMs), [], 'no gateway: nothing');
  assert.deepEqual(breaches(stats(0, [], { gateway: gw(500, 500) }), {}, c.stalledMs), [], 'threshold off: nothing');
});

test('a stalled height counts only while txs wait, from when the height last moved', () => {
  const c = new Conditions();
  const t = { heightStalledS: 10 };
  const at = (time: number, height: number, txs: number) => breaches(stats(time, [chain({ height, mempool: { txs, bytes: 0 } })]), t, c.stalledMs);
  assert.deepEqual(at(0, 5, 1), []);
  assert.deepEqual(at(9_999, 5, 1), []);
  assert.equal(at(10_000, 5, 1)[0]?.id, 'height-stalled/notary');
  assert.deepEqual(at(20_000, 5, 0), [], 'an idle chain makes no blocks: not stalled');
  assert.deepEqual(at(21_000, 6, 1), [], 'the height moved: the clock starts again');
  assert.equal(at(31_000, 6, 1)[0]?.value, 10);
});

test('an alarm fires once after holding forS, and resolves once when its condition ends', () => {
  const c = new Conditions();
  const b = { id: 'disk-full', kind: 'disk-full' as const, value: 90, threshold: 80, message: 'the data dir\'s file system is 90% full (threshold 80%)' };
  assert.deepEqual(c.step(0, [b], 5), []);
  assert.deepEqual(c.step(4_999, [b], 5), []);
  assert.deepEqual(c.step(5_000, [b], 5).map((x) => x.state), ['firing']);
  assert.deepEqual(c.step(6_000, [b], 5), [], 'fired already');
  const r = c.step(7_000, [], 5);
  assert.deepEqual(r.map((x) => x.state), ['resolved']);
  assert.match(r[0]!.message, /^resolved: the data dir's file system is 90% full no longer holds$/);
  assert.deepEqual(c.step(8_000, [], 5), []);
  // A condition that ends before forS never fires, so it does not resolve either.
  assert.deepEqual(c.step(9_000, [b], 5), []);
  assert.deepEqual(c.step(10_000, [], 5), []);
});
