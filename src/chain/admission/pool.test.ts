import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionPool } from './pool.ts';

const params = { chain: 'notary', suite: 'sm2' as const, maxTxBytes: 64 * 1024, maxBatch: 100 };

test('admission threads start as concurrent requests need them, up to the pool size', async () => {
  const pool = new AdmissionPool({ threads: 2 });
  try {
    assert.equal(pool.started, 0, 'no thread before the first request');
    for (let i = 0; i < 3; i++) {
      const a = await pool.admitBody(params, 'not json');
      assert.equal(a.kind, 'invalid');
    }
    assert.equal(pool.started, 1, 'one request at a time keeps one thread');
    const answers = await Promise.all([1, 2, 3, 4].map(() => pool.admitBody(params, '{"txs":[]}')));
    assert.equal(answers.length, 4);
    assert.equal(pool.started, 2, 'requests in flight together start the second thread, and no more');
  } finally {
    await pool.close();
  }
});
