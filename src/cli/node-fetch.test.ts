import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { nodeFetch } from './node-fetch.ts';
import { ShulianHttp } from '../sdk/index.ts';

test('the CLI transport answers like fetch: status, body, errno, timeout — and the SDK maps them to its errors', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/v1/slow') return; // never answers
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/missing') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'CHAIN_NOT_FOUND', message: 'no chain "x" on this node' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null, body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await nodeFetch(`http://127.0.0.1:${port}/v1/echo`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(r.ok, true);
    assert.deepEqual(JSON.parse(await r.text()), { method: 'POST', auth: 'Bearer t', body: '{"a":1}' });

    const api = new ShulianHttp({ baseUrl: `http://127.0.0.1:${port}`, fetch: nodeFetch, timeoutMs: 300 });
    await assert.rejects(api.getJson('/missing'), (e: Error & { code?: string }) => e.code === 'CHAIN_NOT_FOUND' && /no chain/.test(e.message));
    await assert.rejects(api.getJson('/slow'), (e: Error & { code?: string }) => e.code === 'NODE_TIMEOUT');
    const closed = new ShulianHttp({ baseUrl: 'http://127.0.0.1:1', fetch: nodeFetch });
    await assert.rejects(closed.chains(), (e: Error & { code?: string; details?: { cause?: string } }) => e.code === 'NODE_UNREACHABLE' && e.details?.cause === 'ECONNREFUSED');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
