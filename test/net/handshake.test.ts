import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sign } from '../../src/crypto/index.ts';
import { CLOSE, encodeFrame, type AuthMessage } from '../../src/net/index.ts';
import { allowSet, closeAll, connected, rawPeer, RawSocket, startNode, waitFor, type TestNode } from '../helpers/net.ts';

function handshakeFailLogs(n: TestNode): number {
  return n.logs.filter((l) => l.message === 'p2p handshake failed').length;
}

describe('handshake', () => {
  const open: TestNode[] = [];
  after(() => closeAll(...open));

  test('three nodes (SM2 and Ed25519 keys) authenticate each other, one link per pair', async () => {
    const keys = [generateKeyPair('sm2'), generateKeyPair('ed25519'), generateKeyPair('sm2')];
    const allow = allowSet(...keys.map((k) => didFromPublicKey(k.publicKey)));
    const [a, b, c] = await Promise.all(keys.map((key) => startNode({ key, isAllowedPeer: allow.fn })));
    open.push(a!, b!, c!);
    a!.net.addPeer(b!.url);
    a!.net.addPeer({ address: c!.url, did: c!.did });
    b!.net.addPeer(c!.url);
    await waitFor(() => connected(a!, b!) && connected(a!, c!) && connected(b!, c!), 'full mesh');
    for (const n of [a!, b!, c!]) {
      const s = n.net.stats();
      assert.equal(s.peers.length, 2);
      for (const p of s.peers) {
        assert.equal(p.connected, true);
        assert.equal(p.connects, 1, 'exactly one link per pair');
        assert.deepEqual(p.chains, ['c1']);
      }
      assert.equal(s.handshakeFailures.total, 0);
    }
    // Each link has one direction, seen oppositely from the two ends.
    const ab = a!.net.stats().peers.find((p) => p.did === b!.did)!;
    const ba = b!.net.stats().peers.find((p) => p.did === a!.did)!;
    assert.equal(ab.direction, 'outbound');
    assert.equal(ba.direction, 'inbound');
    await closeAll(a, b, c);
  });

  test('simultaneous dials settle on one link: the lower DID keeps its outbound one', async () => {
    const a = await startNode();
    const b = await startNode();
    open.push(a, b);
    a.net.addPeer(b.url);
    b.net.addPeer(a.url);
    const [low, high] = a.did < b.did ? [a, b] : [b, a];
    await waitFor(() => {
      if (!connected(a, b)) return false;
      const l = low.net.stats().peers.find((p) => p.did === high.did);
      const h = high.net.stats().peers.find((p) => p.did === low.did);
      return l?.direction === 'outbound' && h?.direction === 'inbound' && high.net.stats().dialers[0]?.state === 'idle';
    }, 'one link, dialed by the lower DID');
    assert.equal(low.net.stats().dialers[0]!.state, 'connected');
    await closeAll(a, b);
  });

  test('a node not on the allow list is refused, the failure logged once per side', async () => {
    const stranger = await startNode();
    // `guarded` allows nobody; the stranger dials it and keeps retrying.
    const guarded = await startNode({ isAllowedPeer: (did) => did === 'did:shulian:nobody' });
    open.push(guarded, stranger);
    let delivered = 0;
    guarded.net.on('c1', 'tx', () => void delivered++);
    stranger.net.addPeer(guarded.url);
    await waitFor(() => (guarded.net.stats().handshakeFailures.byReason['not-allowed'] ?? 0) >= 3
      && (stranger.net.stats().handshakeFailures.byReason['rejected'] ?? 0) >= 3, 'several refused attempts, seen from both sides');
    assert.deepEqual(guarded.net.peers(), []);
    assert.deepEqual(stranger.net.peers(), []);
    assert.equal(stranger.net.stats().dialers[0]!.lastError, 'rejected by peer: peer not allowed');
    assert.equal(handshakeFailLogs(guarded), 1, 'logged once although the stranger retried');
    assert.equal(handshakeFailLogs(stranger), 1);
    assert.equal(delivered, 0);
    await closeAll(guarded, stranger);
  });

  test('a wrong alliance id is refused', async () => {
    const a = await startNode();
    open.push(a);
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519'), alliance: 'other-alliance' });
    const closed = await r.sock.closed;
    assert.equal(closed.code, CLOSE.handshakeFailed);
    assert.match(closed.reason, /alliance mismatch/);
    assert.equal(r.nodeAuth, null, 'the node does not even answer with its auth');
    assert.equal(a.net.stats().handshakeFailures.byReason['alliance'], 1);
    // And between two real nodes.
    const other = await startNode({ alliance: 'other-alliance' });
    open.push(other);
    other.net.addPeer(a.url);
    await waitFor(() => (a.net.stats().handshakeFailures.byReason['alliance'] ?? 0) >= 2, 'alliance refusal');
    assert.deepEqual(a.net.peers(), []);
    await closeAll(a, other);
  });

  test('a key that does not match the claimed DID is refused', async () => {
    const a = await startNode();
    const victim = generateKeyPair('ed25519');
    const victimDid = didFromPublicKey(victim.publicKey);
    open.push(a);
    let delivered = 0;
    a.net.on('c1', 'tx', () => void delivered++);
    const r = await rawPeer(a.url, {
      key: generateKeyPair('ed25519'),
      // Claims the victim's DID while presenting (and signing with) its own key.
      tamper: (auth) => ({ ...auth, did: victimDid }),
    });
    const closed = await r.sock.closed;
    assert.equal(closed.code, CLOSE.handshakeFailed);
    assert.equal(closed.reason, 'DID does not derive from the presented key');
    assert.equal(r.session, null);
    assert.equal(a.net.stats().handshakeFailures.byReason['did-mismatch'], 1);
    assert.equal(delivered, 0);
    assert.equal(handshakeFailLogs(a), 1);
  });

  test('a forged signature (right key and DID, wrong signer) is refused', async () => {
    const a = await startNode();
    open.push(a);
    const victim = generateKeyPair('sm2');
    const forger = generateKeyPair('sm2');
    const r = await rawPeer(a.url, {
      key: victim,
      tamper: (auth) => ({ ...auth, sig: toHex(sign('sm2', forger.privateKey, new TextEncoder().encode('anything'))) }),
    });
    const closed = await r.sock.closed;
    assert.equal(closed.code, CLOSE.handshakeFailed);
    assert.equal(closed.reason, 'bad handshake signature');
    assert.equal(a.net.stats().handshakeFailures.byReason['bad-signature'], 1);
    assert.deepEqual(a.net.peers(), []);
    // A truthful auth whose signature covers a different chain list is just as bad.
    const r2 = await rawPeer(a.url, { key: victim, tamper: (auth) => ({ ...auth, chains: ['c1', 'c9'] }) });
    assert.equal((await r2.sock.closed).reason, 'bad handshake signature');
  });

  test('a replayed auth message (captured from a real node) is refused', async () => {
    const a = await startNode();
    const b = await startNode();
    open.push(a, b);
    // Capture a's genuine auth by starting a handshake with it.
    const probe = await rawPeer(a.url, { key: generateKeyPair('ed25519'), tamper: (auth) => ({ ...auth, sig: '00'.repeat(64) }) });
    const captured = probe.nodeAuth as AuthMessage;
    assert.equal(captured.did, a.did);
    await probe.sock.closed;
    // Replay it to b (same ephemeral key as a used, so only the challenge differs).
    const replay = await rawPeer(b.url, { key: a.key, eph: fromHexStr(probe.nodeHello.eph), replaceAuth: captured });
    const closed = await replay.sock.closed;
    assert.equal(closed.code, CLOSE.handshakeFailed);
    assert.equal(closed.reason, 'bad handshake signature');
    assert.deepEqual(b.net.peers(), []);
    // And back to a itself.
    const replay2 = await rawPeer(a.url, { key: a.key, eph: fromHexStr(probe.nodeHello.eph), replaceAuth: captured });
    assert.equal((await replay2.sock.closed).code, CLOSE.handshakeFailed);
    await closeAll(a, b);
  });

  test('a second connection from an already connected DID is refused; frames before auth never arrive', async () => {
    const a = await startNode();
    open.push(a);
    const key = generateKeyPair('ed25519');
    let delivered = 0;
    a.net.on('c1', 'tx', () => void delivered++);
    const first = await rawPeer(a.url, { key });
    assert.ok(first.session);
    await waitFor(() => a.net.peers().length === 1, 'first link up');
    const second = await rawPeer(a.url, { key });
    const closed = await second.sock.closed;
    assert.equal(closed.code, CLOSE.duplicate);
    assert.equal(a.net.peers().length, 1);
    // The first link still works.
    first.sendPlain(encodeFrame('gossip', 'c1', 'tx', '{"n":1}'));
    await waitFor(() => delivered === 1, 'delivery over the first link');
    // A frame sent in place of the handshake is refused.
    const raw = await rawPeerPlainBeforeAuth(a.url);
    assert.equal(raw.code, CLOSE.handshakeFailed);
    assert.equal(delivered, 1);
    first.sock.close();
    await closeAll(a);
  });
});

function fromHexStr(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

async function rawPeerPlainBeforeAuth(url: string): Promise<{ code: number; reason: string }> {
  const s = new RawSocket(url);
  await s.opened();
  s.ws.send(encodeFrame('gossip', 'c1', 'tx', '{"n":2}'));
  return s.closed;
}
