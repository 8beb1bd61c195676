import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LruCache } from './lru.ts';

test('LruCache keeps at most max entries, forgetting the least recently used first', () => {
  const c = new LruCache<string, number>(2);
  c.set('a', 1);
  c.set('b', 2);
  assert.equal(c.get('a'), 1); // a is now the most recent
  c.set('c', 3);
  assert.deepEqual([c.get('a'), c.get('b'), c.get('c'), c.size], [1, undefined, 3, 2]);
  c.set('a', 4);
  c.set('d', 5);
  assert.deepEqual([c.get('a'), c.get('c'), c.get('d')], [4, undefined, 5]);
  assert.throws(() => new LruCache(0), RangeError);
});

test('LruCache against a model: the last max distinct keys used, with their latest values', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 8 }), fc.integer())), (max, ops) => {
    const c = new LruCache<number, number>(max);
    let model: Array<[number, number]> = []; // oldest first
    for (const [isSet, k, v] of ops) {
      const i = model.findIndex(([mk]) => mk === k);
      if (isSet) {
        if (i >= 0) model.splice(i, 1);
        model.push([k, v]);
        if (model.length > max) model = model.slice(model.length - max);
        c.set(k, v);
      } else {
        const hit = i >= 0 ? model.splice(i, 1)[0]! : undefined;
        if (hit) model.push(hit);
        assert.equal(c.get(k), hit?.[1]);
      }
      assert.equal(c.size, model.length);
    }
  }), { numRuns: 300 });
});
