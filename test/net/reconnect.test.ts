import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { closeAll, connected, startNode, waitFor, type TestNode } from '../helpers/net.ts';

describe('reconnect', () => {
  const open: TestNode[] = [];
  after(() => closeAll(...open));

  test('a peer that restarts (same key, same port) is redialed with backoff and works again', async () => {
    const a = await startNode();
    const bKey = generateKeyPair('sm2');
    const b1 = await startNode({ key: bKey });
    open.push(a, b1);
    const port = Number(new URL(b1.url).port);
    const events: string[] = [];
    a.net.onPeer((e) => events.push(`${e.type}:${e.did === b1.did ? 'b' : '?'}`));
    a.net.addPeer(b1.url);
    await waitFor(() => connected(a, b1), 'first link');

    await b1.net.close();
    await waitFor(() => a.net.peers().length === 0, 'a notices b is gone');
    // While b is down, a keeps trying (connection refused) with growing delays.
    await waitFor(() => (a.net.stats().dialers[0]?.attempts ?? 0) >= 3, 'a few failed attempts');
    assert.match(a.net.stats().dialers[0]!.lastError ?? '', /ECONNREFUSED/);

    const b2 = await startNode({ key: bKey, listen: { host: '127.0.0.1', port } });
    open.push(b2);
    assert.equal(b2.url, b1.url);
    await waitFor(() => connected(a, b2), 'relinked');
    assert.deepEqual(events, ['up:b', 'down:b', 'up:b']);
    const s = a.net.stats();
    assert.equal(s.peers[0]!.connects, 2);
    assert.equal(s.dialers[0]!.attempts, 0, 'backoff reset after success');
    assert.equal(a.logs.filter((l) => l.message === 'p2p dial failed').length, 1, 'refused dials logged once');

    let got = 0;
    b2.net.on('c1', 'tx', () => void got++);
    a.net.broadcast('c1', 'tx', { after: 'restart' });
    await waitFor(() => got === 1, 'gossip over the new link');
    await closeAll(a, b2);
  });
});
