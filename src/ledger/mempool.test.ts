import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, type MempoolEntry } from './mempool.ts';
import type { Tx } from './types.ts';

const entry = (from: string, nonce: number, bytes = 100, expires = 100): MempoolEntry => ({
  tx: { chain: 'c', from, pubkey: '', nonce, module: 'notary', method: 'put', args: {}, expires, sig: '' } as Tx,
  hash: `${from}:${nonce}:${expires}`,
  bytes,
});

test('reaps each sender in nonce order, only the contiguous run from its committed nonce', () => {
  const m = new Mempool({ maxTxs: 100, maxBytes: 1e6, maxNonceGap: 10 });
  for (const [from, nonce] of [['a', 2], ['a', 0], ['b', 0], ['a', 1], ['b', 2]] as const) m.add(entry(from, nonce), 0);
  const picked = m.reap(10, 1, () => 0).map((e) => e.hash);
  assert.deepEqual(picked, ['a:0:100', 'a:1:100', 'a:2:100', 'b:0:100']); // b:2 waits for b:1
  assert.equal(m.pendingNonce('a', 0), 3);
  assert.equal(m.pendingNonce('b', 0), 1);
  assert.deepEqual(m.reap(2, 1, () => 0).map((e) => e.hash), ['a:0:100', 'a:1:100']);
});

test('rejects duplicates, used and taken nonces, gaps, and a full pool, and changes nothing when it does', () => {
  const m = new Mempool({ maxTxs: 3, maxBytes: 250, maxNonceGap: 2 });
  m.add(entry('a', 5), 5);
  const codes = (e: MempoolEntry, committed: number): string => {
    try {
      m.add(e, committed);
      return 'ok';
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  assert.equal(codes(entry('a', 5), 5), 'TX_DUPLICATE');
  assert.equal(codes(entry('a', 4), 5), 'TX_NONCE_STALE');
  assert.equal(codes(entry('a', 5, 100, 99), 5), 'TX_NONCE_TAKEN');
  assert.equal(codes(entry('a', 9), 5), 'TX_NONCE_GAP');
  assert.equal(codes(entry('b', 0, 200), 0), 'MEMPOOL_FULL'); // bytes
  assert.equal(m.size, 1);
  assert.equal(m.bytes, 100);
  assert.equal(codes(entry('b', 0), 0), 'ok');
  assert.equal(codes(entry('c', 0, 10), 0), 'ok');
  assert.equal(codes(entry('d', 0, 10), 0), 'MEMPOOL_FULL'); // count: 3 txs already
});

test('prune drops txs whose nonce was used or that expired', () => {
  const m = new Mempool({ maxTxs: 100, maxBytes: 1e6, maxNonceGap: 10 });
  m.add(entry('a', 0), 0);
  m.add(entry('a', 1), 0);
  m.add(entry('b', 0, 100, 3), 0);
  const dropped = m.prune(4, (did) => (did === 'a' ? 1 : 0));
  assert.deepEqual(dropped.sort(), ['a:0:100', 'b:0:3']);
  assert.equal(m.size, 1);
  assert.equal(m.bytes, 100);
});
