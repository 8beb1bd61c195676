import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, test } from 'node:test';
import { ShulianError } from '../codec/index.ts';
import { generateKeyPair } from '../crypto/index.ts';
import { UsageCommitter } from './committer.ts';

const receipt = { id: 'a'.repeat(64), subscription: 'sub-1', period: 0, units: 1, time: 1, result: 'b'.repeat(64) };

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const a = s.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
};

const servers: Server[] = [];
after(() => { for (const s of servers) { s.closeAllConnections(); s.close(); } });

test('the committer thread carries the node\'s own error code back, and the next batch is sent again', async () => {
  // A node that refuses every request with its own code: what the gateway keys its retry on.
  let requests = 0;
  const s = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NODE_SYNCING', message: 'catching up' } }));
  });
  servers.push(s);
  const c = new UsageCommitter({ connection: { baseUrl: await listen(s), timeoutMs: 2_000 }, key: generateKeyPair('sm2'), chain: 'sign' });
  try {
    for (let i = 0; i < 2; i++) {
      const err = await c.commit('p1', [receipt]).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ShulianError, `batch ${i} failed with a ShulianError`);
      assert.equal(err.code, 'NODE_SYNCING');
      assert.match(err.message, /catching up/);
    }
    assert.ok(requests >= 2, 'each batch reached the node');
  } finally {
    await c.close();
  }
});

test('closing fails the batch in flight (it is sent again later) and refuses new ones', async () => {
  let seen!: () => void;
  const reached = new Promise<void>((ok) => (seen = ok));
  const s = createServer((req) => { req.resume(); seen(); }); // never answers
  servers.push(s);
  const c = new UsageCommitter({ connection: { baseUrl: await listen(s), timeoutMs: 60_000 }, key: generateKeyPair('sm2'), chain: 'sign' });
  const inFlight = c.commit('p1', [receipt]).then(() => undefined, (e: unknown) => e);
  await reached;
  await c.close();
  const err = await inFlight;
  assert.ok(err instanceof ShulianError);
  assert.equal(err.code, 'INTERNAL');
  assert.match(err.message, /sent again/);
  await assert.rejects(c.commit('p1', [receipt]), (e: unknown) => e instanceof ShulianError && /closed/.test(e.message));
});
