import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { generateKeyPair } from '../src/crypto/index.ts';
import { RenderPool } from '../src/api/render-pool.ts';
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
