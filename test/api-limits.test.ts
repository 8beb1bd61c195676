import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { generateKeyPair } from '../src/crypto/index.ts';
import { RenderPool } from '../src/api/render-pool.ts';
import { RATE_LIMIT_DEFAULTS, routeClass } from '../src/api/rate-limits.ts';
import { startNode } from '../src/node/index.ts';
import { ShulianClient } from '../src/sdk/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

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

/** One request from `localAddress` over its own connection: status, body and the Retry-After header. */
function from(localAddress: string, base: string, method: string, path: string, body?: string): Promise<{ status: number; body: { error?: { code: string; message: string } }; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, localAddress, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {}, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('rate limits by route class: sign-ins, writes and reads each have their own budget per address, and another address is served', async () => {
  // The classes of the routes an outsider can reach.
  assert.deepEqual(RATE_LIMIT_DEFAULTS, { reads: 30_000, writes: 3_000, auth: 300 });
  for (const [method, url, cls] of [
    ['POST', '/v1/auth/challenge', 'auth'], ['POST', '/v1/auth/login', 'auth'], ['POST', '/v1/auth/logout', 'writes'],
    ['POST', '/v1/chains/:chain/txs', 'writes'], ['POST', '/v1/workorders', 'writes'], ['DELETE', '/v1/admin/apikeys/:id', 'writes'],
    ['POST', '/credentials/issue', 'writes'], ['POST', '/credentials/verify', 'reads'], ['POST', '/v1/chains/:chain/eth', 'reads'],
    ['POST', '/v1/contracts/compile', 'reads'], ['GET', '/v1/health', 'reads'], [['GET', 'HEAD'], '/v1/chains', 'reads'],
  ] as const) assert.equal(routeClass(method as string | string[], url), cls, `${String(method)} ${url}`);

  const tmp = tempDir();
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { rateLimits: { reads: 6, writes: 3, auth: 2 } } });
  try {
    const go = (method: string, path: string, body?: string, ip = '127.0.0.1') => from(ip, node.url, method, path, body);
    const challenge = (ip?: string) => go('POST', '/v1/auth/challenge', JSON.stringify({ did: 'did:shulian:' + 'A'.repeat(27), origin: 'https://nowhere.example' }), ip);
    const tx = (ip?: string) => go('POST', '/v1/chains/notary/txs', '{"not": "a tx"}', ip);
    // Sign-ins: two answered (refused for their origin), the third is over the budget.
    assert.deepEqual([(await challenge()).status, (await challenge()).status], [400, 400]);
    const auth = await challenge();
    assert.deepEqual([auth.status, auth.body.error?.code], [429, 'RATE_LIMITED']);
    assert.match(auth.body.error!.message, /^too many sign-in requests from this address: at most 2 per minute; retry in \d+ s$/);
    assert.match(auth.retryAfter ?? '', /^\d+$/);
    // Writes have a budget of their own: three bad txs are answered (400), the fourth is refused.
    assert.deepEqual([(await tx()).status, (await tx()).status, (await tx()).status], [400, 400, 400]);
    const write = await tx();
    assert.deepEqual([write.status, write.body.error?.code], [429, 'RATE_LIMITED']);
    assert.match(write.body.error!.message, /too many write requests from this address: at most 3 per minute/);
    // Reads are still served from that address, up to their own budget; a route that does not exist counts as a read.
    assert.deepEqual([(await go('GET', '/v1/health')).status, (await go('GET', '/v1/chains')).status, (await go('GET', '/v1/nosuch')).status], [200, 200, 404]);
    const eth = await go('POST', '/v1/chains/notary/eth', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }));
    assert.equal(eth.status, 200, 'a JSON-RPC read is a read');
    assert.deepEqual([(await go('GET', '/v1/health')).status, (await go('GET', '/v1/health')).status], [200, 200]);
    const read = await go('GET', '/v1/health');
    assert.equal(read.status, 429);
    assert.match(read.body.error!.message, /too many read requests from this address: at most 6 per minute/);
    assert.equal((await go('GET', '/v1/nosuch')).status, 429, 'unknown routes count too');
    // Another address has every budget whole.
    assert.deepEqual([(await challenge('127.0.0.2')).status, (await tx('127.0.0.2')).status, (await go('GET', '/v1/health', undefined, '127.0.0.2')).status], [400, 400, 200]);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});

// ---- the WebSocket stream (issue #13 item 7) ----

interface Frame { type: string; chain?: string; height?: number; chains?: string[]; error?: { code: string; message: string } }

/** Opens a stream connection from `localAddress` and resolves with its first frame (and the socket). */
function openStream(base: string, query: string, localAddress = '127.0.0.1'): Promise<{ ws: WebSocket; first: Frame; frames: Frame[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/stream${query}`, { localAddress });
  const frames: Frame[] = [];
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Frame;
      frames.push(f);
      if (frames.length === 1) resolve({ ws, first: f, frames, closed });
    });
  });
}

test('stream: chains= is de-duplicated and checked, connections are capped per address and in all, and a flooder leaves another client served', async () => {
  const tmp = tempDir();
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { stream: { perAddress: 2, total: 3, chainsPerConnection: 4 } } });
  const open: WebSocket[] = [];
  try {
    // One connection naming a chain 500 times gets each block once.
    const dup = await openStream(node.url, `?chains=${Array(500).fill('notary').join(',')}&events=false`);
    open.push(dup.ws);
    assert.deepEqual(dup.first, { type: 'subscribed', chains: ['notary'] });
    const chain = new ShulianClient({ baseUrl: node.url });
    const inc = await chain.waitForTx(await chain.send('notary', generateKeyPair('sm2'), { module: 'notary', method: 'put', args: { hash: '3c'.repeat(32) } }));
    // A second tx's block comes after every copy of the first's (one socket, in order).
    const later = await chain.waitForTx(await chain.send('notary', generateKeyPair('sm2'), { module: 'notary', method: 'put', args: { hash: '3d'.repeat(32) } }));
    await waitFor(() => dup.frames.some((f) => f.type === 'block' && f.height === later.height), 'the later block on the stream');
    const blocks = dup.frames.filter((f) => f.type === 'block' && f.height === inc.height);
    assert.equal(blocks.length, 1, 'each block once, however often the chain is named');

    for (const [q, code, why] of [
      ['?chains=a,b,c,d,e', 'BAD_REQUEST', /at most 4 chains/],
      ['?chains=Notary!', 'BAD_REQUEST', /is not a chain id/],
      ['?chains=nosuch', 'CHAIN_NOT_FOUND', /no chain nosuch/],
    ] as const) {
      const r = await openStream(node.url, q);
      assert.equal(r.first.error?.code, code, q);
      assert.match(r.first.error!.message, why);
      assert.equal(await r.closed, 1008);
    }

    // A flooder from 127.0.0.1 gets two connections, then refusals; a client at 127.0.0.2 is served.
    open.push((await openStream(node.url, '?chains=notary')).ws);
    const third = await openStream(node.url, '?chains=notary');
    assert.deepEqual([third.first.error?.code, await third.closed], ['RATE_LIMITED', 1008]);
    assert.match(third.first.error!.message, /this address has 2 stream connections open/);
    const other = await openStream(node.url, '?chains=notary', '127.0.0.2');
    open.push(other.ws);
    assert.equal(other.first.type, 'subscribed');
    // Three in all: a fourth address is refused until one closes.
    const fourth = await openStream(node.url, '?chains=notary', '127.0.0.3');
    assert.deepEqual([fourth.first.error?.code, await fourth.closed], ['RATE_LIMITED', 1013]);
    const leaving = open.shift()!;
    const gone = new Promise((r) => leaving.on('close', r));
    leaving.close();
    await gone;
    const again = await waitFor(async () => {
      const r = await openStream(node.url, '?chains=notary', '127.0.0.3');
      if (r.first.type === 'subscribed') return r;
      await r.closed;
      return undefined;
    }, 'a place freed by the closed connection');
    open.push(again.ws);
  } finally {
    for (const ws of open) ws.close();
    await node.close();
    tmp.cleanup();
  }
});

// ---- off-thread rendering (issue #13 item 6) ----

test('contract PDFs render on worker threads: while renders are held in their workers /v1/health answers, past the queue bound 503 with Retry-After', async () => {
  const tmp = tempDir();
  // [0] = 1 holds every task at its start inside its worker; [1] counts tasks started there.
  const hold = new Int32Array(new SharedArrayBuffer(8));
  hold[0] = 1;
  const pool = new RenderPool({ workers: 2, queue: 2, hold });
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { render: pool } });
  try {
    const pdf = (lang: string) => fetch(`${node.url}/v1/contracts/templates/payment-on-signature/pdf?lang=${lang}`);
    const settled: boolean[] = [];
    const renders = [0, 1, 2, 3].map((i) => {
      settled[i] = false;
      return pdf(i % 2 ? 'en' : 'zh-CN').then(async (r) => {
        settled[i] = true;
        return { status: r.status, type: r.headers.get('content-type'), head: Buffer.from(await r.arrayBuffer()).subarray(0, 5).toString('latin1') };
      });
    });
    // Two renders are inside their workers (held there, as a long render would be) and two wait.
    await waitFor(() => Atomics.load(hold, 1) === 2 && pool.running === 2 && pool.queued === 2, 'two renders running and two queued');
    const busy = await pdf('en');
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '2');
    assert.equal(((await busy.json()) as { error: { code: string } }).error.code, 'BUSY');
    // The node answers while the renders are in progress: none has finished.
    const health = await fetch(`${node.url}/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    assert.deepEqual(settled, [false, false, false, false], 'health answered before any render finished');
    assert.equal(Atomics.load(hold, 1), 2);
    // Released, every render completes as a PDF.
    Atomics.store(hold, 0, 0);
    Atomics.notify(hold, 0);
    for (const r of await Promise.all(renders)) assert.deepEqual(r, { status: 200, type: 'application/pdf', head: '%PDF-' });
    assert.equal((await pdf('en')).status, 200, 'a later caller is served');
    // A template that does not compile is refused with the compiler's words, from the worker.
    const bad = await fetch(`${node.url}/v1/contracts/render/pdf`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'contract nonsense', lang: 'en' }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'LEX_COMPILE');
  } finally {
    Atomics.store(hold, 0, 0);
    Atomics.notify(hold, 0);
    await node.close();
    await pool.close();
    tmp.cleanup();
  }
});

/** A raw HTTP/1.1 connection: write bytes, wait for what the server has sent to match. */
function rawConnection(url: string): Promise<{ write(s: string): Promise<void>; until(re: RegExp, ms?: number): Promise<string>; closed(): boolean; end(): void }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () => {
      let seen = '';
      let isClosed = false;
      sock.on('data', (d: Buffer) => (seen += d.toString('latin1')));
      sock.on('close', () => (isClosed = true));
      sock.on('error', () => (isClosed = true));
      resolve({
        write: (s) => new Promise((ok) => (isClosed ? ok() : sock.write(s, () => ok()))),
        until: async (re, ms = 30_000) => {
          await waitFor(() => re.test(seen) || isClosed, `the server's answer to match ${re}`, ms);
          assert.match(seen, re, `the connection closed before ${re}; it sent: ${seen.slice(0, 300)}`);
          const out = seen;
          seen = '';
          return out;
        },
        closed: () => isClosed,
        end: () => sock.destroy(),
      });
    });
    sock.on('error', reject);
  });
}

test('a body over the limit gets its 413 and the connection stays usable while the client is still sending it; a huge one closes it', async () => {
  const tmp = tempDir();
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { bodyLimit: 1024 } });
  try {
    // Declared 500 KB, sent in two parts around the server's answer: the client is mid-write when refused.
    const size = 500_000;
    const c = await rawConnection(node.url);
    await c.write(`POST /v1/chains/notary/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n` + '['.repeat(1000));
    const refused = await c.until(/\r\n\r\n\{.*\}$/s);
    assert.match(refused, /^HTTP\/1\.1 413 /);
    assert.match(refused, /"code":"BODY_TOO_LARGE"/);
    assert.doesNotMatch(refused, /^connection: close/im, 'the connection is kept for a body the node can read and drop');
    await c.write('['.repeat(size - 1000));
    await c.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(await c.until(/\r\n\r\n\{.*\}$/s), /^HTTP\/1\.1 200 /, 'the next request on the same connection is answered');
    c.end();

    // Declared 64 MB: the node will not read that much for nothing; it answers and closes.
    const big = await rawConnection(node.url);
    await big.write(`POST /v1/chains/notary/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${64 << 20}\r\n\r\n[`);
    const answer = await big.until(/\r\n\r\n\{.*\}$/s);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /^connection: close/im);
    await waitFor(() => big.closed(), 'the node to close the connection', 30_000);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
