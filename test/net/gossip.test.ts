import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { JsonValue } from '../../src/codec/index.ts';
import { closeAll, connected, startNode, waitFor, type TestNode } from '../helpers/net.ts';

/** Every frame sent by these nodes has been received (all their links are among them). */
function quiet(nodes: TestNode[]): boolean {
  let out = 0;
  let inn = 0;
  const dids = new Set(nodes.map((n) => n.did));
  for (const n of nodes) {
    for (const p of n.net.stats().peers.filter((q) => dids.has(q.did))) {
      out += p.framesOut;
      inn += p.framesIn;
    }
  }
  return out === inn;
}

function counter(): { seen: Map<string, number>; handler: (body: JsonValue) => void } {
  const seen = new Map<string, number>();
  return {
    seen,
    handler: (body) => {
      const k = JSON.stringify(body);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    },
  };
}

describe('gossip and multiplexing', () => {
  const open: TestNode[] = [];
  after(() => closeAll(...open));

  test('two chains share one link; a node only gets the chains it registered (and is allowed)', async () => {
    const a = await startNode({ chains: ['c1', 'c2'] });
    const b = await startNode({ chains: ['c1', 'c2'] });
    const c = await startNode({ chains: ['c1'] });
    open.push(a, b, c);
    for (const n of [b, c]) n.net.addPeer(a.url);
    await waitFor(() => connected(a, b) && connected(a, c), 'links');
    const got: Record<string, string[]> = { b1: [], b2: [], c1: [], c2: [] };
    b.net.on('c1', 'tx', (m) => void got.b1!.push(String(m)));
    b.net.on('c2', 'tx', (m) => void got.b2!.push(String(m)));
    c.net.on('c1', 'tx', (m) => void got.c1!.push(String(m)));
    c.net.on('c2', 'tx', (m) => void got.c2!.push(String(m))); // c never registered c2
    assert.equal(a.net.broadcast('c1', 'tx', 'one'), 2);
    assert.equal(a.net.broadcast('c2', 'tx', 'two'), 1, 'only b shares c2');
    assert.equal(a.net.send(c.did, 'c2', 'tx', 'direct'), false);
    await waitFor(() => got.b1!.length === 1 && got.b2!.length === 1 && got.c1!.length === 1, 'deliveries');
    await waitFor(() => quiet([a, b, c]), 'quiet');
    assert.deepEqual(got, { b1: ['one'], b2: ['two'], c1: ['one'], c2: [] });
    const sa = a.net.stats();
    assert.deepEqual(sa.peers.find((p) => p.did === b.did)!.chains, ['c1', 'c2']);
    assert.deepEqual(sa.peers.find((p) => p.did === c.did)!.chains, ['c1']);
    for (const p of sa.peers) assert.equal(p.connects, 1, 'one link carries both chains');
    // c starts hosting c2 later: a learns it over the existing link.
    c.net.addChain('c2');
    await waitFor(() => a.net.stats().peers.find((p) => p.did === c.did)!.chains.length === 2, 'c2 shared with c');
    a.net.broadcast('c2', 'tx', 'three');
    await waitFor(() => got.c2!.length === 1, 'c2 delivery to c');
    assert.equal(a.net.stats().peers.find((p) => p.did === c.did)!.connects, 1);

    // Per-chain allow rule: e hosts c1 and c2 but may only take part in c1.
    const e = await startNode({ chains: ['c1', 'c2'] });
    const gate = await startNode({ chains: ['c1', 'c2'], isAllowedPeer: (did, chain) => did === e.did && chain !== 'c2' });
    open.push(e, gate);
    e.net.addPeer(gate.url);
    await waitFor(() => connected(e, gate), 'e-gate link');
    assert.deepEqual(gate.net.peers('c2'), []);
    assert.deepEqual(gate.net.peers('c1'), [e.did]);
    assert.equal(gate.net.broadcast('c2', 'tx', 'x'), 0);
    await closeAll(a, b, c, e, gate);
  });

  test('line A–B–C: every message reaches every node exactly once (forwarded by B)', async () => {
    const a = await startNode();
    const b = await startNode();
    const c = await startNode();
    open.push(a, b, c);
    a.net.addPeer(b.url);
    c.net.addPeer(b.url);
    await waitFor(() => connected(a, b) && connected(b, c), 'line');
    assert.equal(connected(a, c), false);
    const [ca, cb, cc] = [counter(), counter(), counter()];
    a.net.on('c1', 'tx', ca.handler);
    b.net.on('c1', 'tx', cb.handler);
    c.net.on('c1', 'consensus', cc.handler);
    c.net.on('c1', 'tx', cc.handler);
    const N = 300;
    for (let i = 0; i < N; i++) a.net.broadcast('c1', 'tx', { from: 'a', i });
    for (let i = 0; i < N; i++) c.net.broadcast('c1', 'consensus', { from: 'c', i });
    // Re-broadcasting known content sends nothing.
    assert.equal(a.net.broadcast('c1', 'tx', { from: 'a', i: 0 }), 0);
    await waitFor(() => cc.seen.size === N && cb.seen.size === N, 'a → c via b', 60_000);
    await waitFor(() => quiet([a, b, c]), 'quiet');
    for (const [, n] of [...cb.seen, ...cc.seen]) assert.equal(n, 1, 'exactly once');
    assert.equal(ca.seen.size, 0, "a never hears its own messages (and does not subscribe to consensus)");
    // c's consensus messages reached b (no handler there) and were forwarded to a.
    let aConsensus = 0;
    a.net.on('c1', 'consensus', () => void aConsensus++);
    c.net.broadcast('c1', 'consensus', { from: 'c', late: true });
    await waitFor(() => aConsensus === 1, 'consensus forwarded to a');
    await closeAll(a, b, c);
  });

  test('triangle: duplicates over the second path are dropped; a handler can veto forwarding', async () => {
    const a = await startNode();
    const b = await startNode();
    const c = await startNode();
    open.push(a, b, c);
    a.net.addPeer(b.url);
    a.net.addPeer(c.url);
    b.net.addPeer(c.url);
    await waitFor(() => connected(a, b) && connected(a, c) && connected(b, c), 'triangle');
    const [cb, cc] = [counter(), counter()];
    b.net.on('c1', 'tx', cb.handler);
    c.net.on('c1', 'tx', cc.handler);
    const N = 200;
    for (let i = 0; i < N; i++) a.net.broadcast('c1', 'tx', { i });
    await waitFor(() => cb.seen.size === N && cc.seen.size === N, 'deliveries');
    await waitFor(() => quiet([a, b, c]), 'quiet');
    for (const [, n] of [...cb.seen, ...cc.seen]) assert.equal(n, 1);
    const dups = [a, b, c].reduce((s, n) => s + n.net.stats().peers.reduce((t, p) => t + p.dropped.duplicate, 0), 0);
    assert.ok(dups >= N, `the second path's copies were dropped (${dups})`);

    // Line again (b–c only) with b vetoing invalid messages: c never sees them.
    await a.net.close();
    await waitFor(() => b.net.peers().length === 1 && c.net.peers().length === 1, 'a gone');
    const d = await startNode();
    open.push(d);
    d.net.addPeer(b.url);
    await waitFor(() => connected(d, b), 'd–b');
    b.net.on('c1', 'tx', (m) => (m as { ok?: boolean }).ok === true);
    const got: JsonValue[] = [];
    c.net.on('c1', 'tx', (m) => void got.push(m));
    d.net.broadcast('c1', 'tx', { ok: false, n: 1 });
    d.net.broadcast('c1', 'tx', { ok: true, n: 2 });
    // An async validator works too.
    b.net.on('c1', 'tx', async (m) => (m as { n?: number }).n !== 3);
    d.net.broadcast('c1', 'tx', { ok: true, n: 3 });
    d.net.broadcast('c1', 'tx', { ok: true, n: 4 });
    await waitFor(() => got.some((m) => (m as { n: number }).n === 4), 'n=4 at c');
    await waitFor(() => quiet([b, c, d]), 'quiet');
    assert.deepEqual(got.map((m) => (m as { n: number }).n).sort(), [2, 4]);
    await closeAll(b, c, d);
  });

  test('request/response: answers, remote errors, timeouts', async () => {
    const a = await startNode();
    const b = await startNode({ requestTimeoutMs: 300 });
    open.push(a, b);
    b.net.addPeer(a.url);
    await waitFor(() => connected(a, b), 'link');
    a.net.onRequest('c1', 'echo', (body, from) => ({ body, from }));
    a.net.onRequest('c1', 'fail', () => {
      throw Object.assign(new Error('nope'), { code: 'X' });
    });
    a.net.onRequest('c1', 'slow', () => new Promise(() => {}));
    assert.deepEqual(await b.net.request(a.did, 'c1', 'echo', [1, 'two']), { body: [1, 'two'], from: b.did });
    await assert.rejects(b.net.request(a.did, 'c1', 'fail', null), /nope/);
    await assert.rejects(b.net.request(a.did, 'c1', 'none', null), (e: Error & { code?: string }) => e.code === 'NO_HANDLER');
    await assert.rejects(b.net.request(a.did, 'c1', 'slow', null), (e: Error & { code?: string }) => e.code === 'REQUEST_TIMEOUT');
    await assert.rejects(b.net.request('did:shulian:nobody', 'c1', 'echo', null), (e: Error & { code?: string }) => e.code === 'PEER_NOT_CONNECTED');
    await closeAll(a, b);
  });
});
