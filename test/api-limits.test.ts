import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode } from '../src/node/index.ts';
import { tempDir } from './helpers/tmp.ts';

test('rate limit: past the per-minute budget a client gets 429 RATE_LIMITED saying when to retry', async () => {
  const tmp = tempDir();
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { rateLimitPerMinute: 5 } });
  try {
    const statuses: number[] = [];
    let last: { error?: { code: string; message: string } } = {};
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${node.url}/v1/health`);
      statuses.push(res.status);
      last = (await res.json()) as typeof last;
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal(last.error?.code, 'RATE_LIMITED');
    assert.match(last.error!.message, /retry in \d+ s/);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
