/** The gateway's read cache: one chain read for concurrent misses, stale values answered while one refresh runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TtlCache } from './cache.ts';

/** A load whose answers the test releases one by one, counting the reads. */
function loader() {
  const waiting: Array<{ ok: (v: number) => void; fail: (e: Error) => void }> = [];
  return {
    reads: () => waiting.length,
    load: () => new Promise<number>((ok, fail) => waiting.push({ ok, fail })),
    answer: (i: number, v: number) => waiting[i]!.ok(v),
    fail: (i: number) => waiting[i]!.fail(new Error('unreachable')),
  };
}
const tick = () => new Promise((r) => setImmediate(r));

test('concurrent misses share one read; past its time to live a value is answered while one refresh runs; a failed refresh keeps it', async () => {
  let now = 1_000;
  const c = new TtlCache<number>(100, 10, () => now);
  const l = loader();
  const first = [c.get('sub', l.load), c.get('sub', l.load), c.get('sub', l.load)];
  assert.equal(l.reads(), 1, 'three concurrent misses, one chain read');
  l.answer(0, 7);
  assert.deepEqual(await Promise.all(first), [7, 7, 7]);
  now += 50;
  assert.equal(await c.get('sub', l.load), 7);
  assert.equal(l.reads(), 1, 'fresh: no read');
  now += 100;
  assert.equal(await c.get('sub', l.load), 7, 'stale: answered at once');
  assert.equal(await c.get('sub', l.load), 7);
  assert.equal(l.reads(), 2, 'one refresh for both stale gets');
  l.fail(1);
  await tick();
  assert.equal(await c.get('sub', l.load), 7, 'a failed refresh keeps the value');
  assert.equal(l.reads(), 3, 'and is tried again');
  l.answer(2, 9);
  await tick();
  assert.equal(await c.get('sub', l.load), 9, 'the refreshed value');
  assert.equal(l.reads(), 3);
  c.delete('sub');
  const again = c.get('sub', l.load);
  assert.equal(l.reads(), 4, 'a deleted key is read again');
  l.answer(3, 11);
  assert.equal(await again, 11);
});

test('a failed first read is not cached, and the cache stays within its bound', async () => {
  const c = new TtlCache<number>(1_000, 2, () => 0);
  const l = loader();
  const p = c.get('a', l.load);
  l.fail(0);
  await assert.rejects(p, /unreachable/);
  const q = c.get('a', l.load);
  assert.equal(l.reads(), 2);
  l.answer(1, 1);
  await q;
  for (const [i, k] of ['b', 'c'].entries()) {
    const r = c.get(k, l.load);
    l.answer(2 + i, 2 + i);
    await r;
  }
  // 'a' was the oldest of three in a cache of two: it is read again.
  const r = c.get('a', l.load);
  assert.equal(l.reads(), 5);
  l.answer(4, 1);
  await r;
});
