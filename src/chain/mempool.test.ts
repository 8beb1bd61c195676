import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, type MempoolEntry, type MempoolLimits } from './mempool.ts';
import type { Tx } from '../ledger/index.ts';

const entry = (from: string, nonce: number, bytes = 100, expires = 100): MempoolEntry => ({
  tx: { chain: 'c', from, pubkey: '', nonce, module: 'notary', method: 'put', args: {}, expires, sig: '' } as Tx,
  hash: `${from}:${nonce}:${expires}`,
  bytes,
});

const limits = (l: Partial<MempoolLimits> = {}): MempoolLimits => ({
  maxTxs: 100, maxBytes: 1e6, maxNonceGap: 10, maxExpiryBlocks: 1000, maxSenderBytes: 1e6, maxSenderGapped: 100, ...l,
});

/** The code a refused add throws, or 'ok'. */
function codeOf(m: Mempool, e: MempoolEntry, committedNonce: number, nextHeight = 1): string {
  try {
    m.add(e, { committedNonce, nextHeight });
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

test('reaps each sender in nonce order, only the contiguous run from its committed nonce', () => {
  const m = new Mempool(limits());
  for (const [from, nonce] of [['a', 2], ['a', 0], ['b', 0], ['a', 1], ['b', 2]] as const) m.add(entry(from, nonce), { committedNonce: 0, nextHeight: 1 });
  const picked = m.reap(10, 1, () => 0).map((e) => e.hash);
  assert.deepEqual(picked, ['a:0:100', 'a:1:100', 'a:2:100', 'b:0:100']); // b:2 waits for b:1
  assert.equal(m.pendingNonce('a', 0), 3);
  assert.equal(m.pendingNonce('b', 0), 1);
  assert.equal(m.gappedOf('a'), 0);
  assert.equal(m.gappedOf('b'), 1);
  assert.deepEqual(m.reap(2, 1, () => 0).map((e) => e.hash), ['a:0:100', 'a:1:100']);
});

test('rejects duplicates, used and taken nonces, gaps, and a full pool, and changes nothing when it does', () => {
  const m = new Mempool(limits({ maxTxs: 3, maxBytes: 250, maxNonceGap: 2 }));
  m.add(entry('a', 5), { committedNonce: 5, nextHeight: 1 });
  assert.equal(codeOf(m, entry('a', 5), 5), 'TX_DUPLICATE');
  assert.equal(codeOf(m, entry('a', 4), 5), 'TX_NONCE_STALE');
  assert.equal(codeOf(m, entry('a', 5, 100, 99), 5), 'TX_NONCE_TAKEN');
  assert.equal(codeOf(m, entry('a', 9), 5), 'TX_NONCE_GAP');
  assert.equal(codeOf(m, entry('b', 0, 200), 0), 'MEMPOOL_FULL'); // bytes
  assert.equal(m.size, 1);
  assert.equal(m.bytes, 100);
  assert.equal(codeOf(m, entry('b', 0), 0), 'ok');
  assert.equal(codeOf(m, entry('c', 0, 10), 0), 'ok');
  assert.equal(codeOf(m, entry('d', 0, 10), 0), 'MEMPOOL_FULL'); // count: 3 txs already
});

test('expiry: already expired and too far ahead are refused, saying the bound', () => {
  const m = new Mempool(limits({ maxExpiryBlocks: 50 }));
  assert.equal(codeOf(m, entry('a', 0, 100, 9), 0, 10), 'TX_EXPIRED');
  assert.equal(codeOf(m, entry('a', 0, 100, 61), 0, 10), 'TX_EXPIRES_TOO_FAR');
  assert.equal(codeOf(m, entry('a', 0, 100, 9e15), 0, 10), 'TX_EXPIRES_TOO_FAR');
  assert.throws(() => m.add(entry('a', 0, 100, 61), { committedNonce: 0, nextHeight: 10 }), /set it to at most 60/);
  assert.equal(codeOf(m, entry('a', 0, 100, 60), 0, 10), 'ok');
  assert.equal(codeOf(m, entry('a', 1, 100, 10), 0, 10), 'ok');
  assert.equal(m.size, 2);
});

test('per-sender quotas: bytes for every tx, a count for gapped ones; other senders are unaffected', () => {
  const m = new Mempool(limits({ maxSenderBytes: 350, maxSenderGapped: 2 }));
  assert.equal(codeOf(m, entry('a', 5), 0), 'ok'); // gapped (waits for 0..4)
  assert.equal(codeOf(m, entry('a', 6), 0), 'ok');
  assert.equal(codeOf(m, entry('a', 7), 0), 'MEMPOOL_SENDER_QUOTA'); // third gapped
  assert.equal(codeOf(m, entry('a', 0), 0), 'ok'); // executable: not gapped, fits 300 bytes
  assert.equal(codeOf(m, entry('a', 1), 0), 'MEMPOOL_SENDER_QUOTA'); // 400 bytes > 350
  assert.equal(codeOf(m, entry('b', 5), 0), 'ok');
  assert.equal(m.gappedOf('a'), 2);
  assert.equal(m.size, 4);
});

test('a hole in a run (a refused or expired tx) makes the txs after it gapped, until it is filled', () => {
  const m = new Mempool(limits());
  for (const n of [0, 1, 2]) m.add(entry('a', n), { committedNonce: 0, nextHeight: 1 });
  m.remove('a:1:100');
  assert.equal(m.pendingNonce('a', 0), 1);
  assert.equal(m.gappedOf('a'), 1);
  assert.deepEqual(m.reap(10, 1, () => 0).map((e) => e.hash), ['a:0:100']);
  m.add(entry('a', 1, 100, 200), { committedNonce: 0, nextHeight: 1 });
  assert.equal(m.gappedOf('a'), 0);
  assert.equal(m.pendingNonce('a', 0), 3);
});

test('prune drops txs whose nonce was used or that expired', () => {
  const m = new Mempool(limits());
  m.add(entry('a', 0), { committedNonce: 0, nextHeight: 1 });
  m.add(entry('a', 1), { committedNonce: 0, nextHeight: 1 });
  m.add(entry('b', 0, 100, 3), { committedNonce: 0, nextHeight: 1 });
  const dropped = m.prune(4, (did) => (did === 'a' ? 1 : 0));
  assert.deepEqual(dropped.sort(), ['a:0:100', 'b:0:3']);
  assert.equal(m.size, 1);
  assert.equal(m.bytes, 100);
  assert.equal(m.pendingNonce('a', 1), 2);
});

test('a full pool of gapped junk: an executable tx from a new sender evicts the junk (largest hoarder, highest nonces first); a gapped one is refused', () => {
  const m = new Mempool(limits({ maxTxs: 1000, maxBytes: 100_000, maxNonceGap: 1000, maxSenderGapped: 1000, maxSenderBytes: 100_000 }));
  // Two attackers fill the pool with txs far ahead of their nonce 0; x holds more.
  for (let n = 1; n <= 600; n++) m.add(entry('x', n, 100, 500), { committedNonce: 0, nextHeight: 1 });
  for (let n = 1; n <= 400; n++) m.add(entry('y', n, 100, 500), { committedNonce: 0, nextHeight: 1 });
  assert.equal(m.size, 1000);
  assert.equal(m.hasExecutable(), false);
  assert.equal(codeOf(m, entry('bob', 3), 0), 'MEMPOOL_FULL', 'a gapped newcomer cannot evict');
  const dropped = m.add(entry('alice', 0), { committedNonce: 0, nextHeight: 1 });
  assert.ok(m.has('alice:0:100'));
  assert.ok(dropped.length >= 1);
  // Only x's txs went, from its highest nonce down; y kept all of its.
  assert.ok(dropped.every((h) => h.startsWith('x:')));
  const nonces = dropped.map((h) => Number(h.split(':')[1]));
  assert.deepEqual(nonces, [...nonces].sort((a, b) => b - a));
  assert.equal(nonces[0], 600);
  assert.equal(m.gappedOf('y'), 400);
  // The eviction freed some slack, so the next executable txs need no scan.
  assert.equal(codeOf(m, entry('carol', 0), 0), 'ok');
  assert.deepEqual(m.reap(10, 1, () => 0).map((e) => e.hash), ['alice:0:100', 'carol:0:100']);
});

test('a full pool: expired txs are evicted before anything else, even for a gapped newcomer', () => {
  const m = new Mempool(limits({ maxTxs: 3, maxNonceGap: 100 }));
  m.add(entry('a', 0, 100, 5), { committedNonce: 0, nextHeight: 1 });
  m.add(entry('b', 0, 100, 50), { committedNonce: 0, nextHeight: 1 });
  m.add(entry('c', 0, 100, 50), { committedNonce: 0, nextHeight: 1 });
  const dropped = m.add(entry('d', 7, 100, 50), { committedNonce: 0, nextHeight: 6 });
  assert.deepEqual(dropped, ['a:0:5']);
  assert.equal(m.size, 3);
});

test('a tx at a nonce another block already used drops the sender\'s used txs on the way', () => {
  const m = new Mempool(limits());
  for (const n of [0, 1, 2]) m.add(entry('a', n), { committedNonce: 0, nextHeight: 1 });
  // A block elsewhere used nonces 0 and 1 (e.g. another node's txs of the same sender).
  const dropped = m.add(entry('a', 3), { committedNonce: 2, nextHeight: 2 });
  assert.deepEqual(dropped.sort(), ['a:0:100', 'a:1:100']);
  assert.equal(m.pendingNonce('a', 2), 4);
  assert.equal(m.gappedOf('a'), 0);
});

test('a held entry (admitted, not yet on disk nor gossiped) is not reaped, nor any later nonce of its sender, until released', () => {
  const m = new Mempool(limits());
  const a1 = { ...entry('a', 1), held: true };
  for (const e of [entry('a', 0), a1, entry('a', 2), entry('b', 0)]) m.add(e, { committedNonce: 0, nextHeight: 1 });
  assert.deepEqual(m.reap(10, 1, () => 0).map((e) => e.hash), ['a:0:100', 'b:0:100']);
  assert.equal(m.pendingNonce('a', 0), 3, 'held txs still count for the next nonce');
  // Only held txs at the head of every run: nothing a block could take yet.
  const h = new Mempool(limits());
  const c0 = { ...entry('c', 0), held: true };
  h.add(c0, { committedNonce: 0, nextHeight: 1 });
  h.add(entry('c', 1), { committedNonce: 0, nextHeight: 1 });
  assert.equal(h.hasExecutable(), false, 'a proposer waits for the tx to be on disk rather than propose without it');
  c0.held = false;
  assert.equal(h.hasExecutable(), true);
  a1.held = false;
  assert.deepEqual(m.reap(10, 1, () => 0).map((e) => e.hash), ['a:0:100', 'a:1:100', 'a:2:100', 'b:0:100']);
});

test('byShortIds: one pass finds each entry by its hash prefix; none or several matching is undefined', () => {
  const m = new Mempool(limits());
  const e = (hash: string, nonce: number): MempoolEntry => ({ ...entry('s', nonce), hash });
  for (const [i, h] of ['aa11', 'aa12', 'bb11', 'cc99'].entries()) m.add(e(h, i), { committedNonce: 0, nextHeight: 1 });
  assert.deepEqual(m.byShortIds(['bb1', 'cc9', 'aa1', 'dd0', 'bb1'], 3).map((x) => x?.hash), ['bb11', 'cc99', undefined, undefined, 'bb11']);
  assert.deepEqual(m.byShortIds([], 3), []);
});
