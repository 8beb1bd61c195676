import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { CLOSE, encodeFrame } from '../../src/net/index.ts';
import { closeAll, rawPeer, startNode, waitFor, type TestNode, sealRaw } from '../helpers/net.ts';

const KiB = 1024;

describe('limits', () => {
  const open: TestNode[] = [];
  after(() => closeAll(...open));

  test('frame size cap: oversized frames are refused when sent and end the link when received', async () => {
    const a = await startNode({ maxFrameBytes: 64 * KiB });
    open.push(a);
    assert.throws(() => a.net.broadcast('c1', 'tx', 'x'.repeat(65 * KiB)), (e: Error & { code?: string }) => e.code === 'FRAME_TOO_LARGE');
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519') });
    assert.ok(r.session);
    await waitFor(() => a.net.peers().length === 1, 'raw peer up');
    let delivered = 0;
    a.net.on('c1', 'tx', () => void delivered++);
    r.sendPlain(encodeFrame('gossip', 'c1', 'tx', JSON.stringify('y'.repeat(60 * KiB))));
    await waitFor(() => delivered === 1, 'a frame under the cap arrives');
    r.sendPlain(encodeFrame('gossip', 'c1', 'tx', JSON.stringify('z'.repeat(80 * KiB))));
    const closed = await r.sock.closed;
    assert.equal(closed.code, 1009, 'message too big');
    assert.equal(delivered, 1);
    await waitFor(() => a.net.peers().length === 0, 'link dropped');
    assert.equal(a.net.stats().peers[0]!.dropped.oversize, 1);
  });

  test('a deflated record is delivered; an unknown flag, a broken stream or a deflate bomb is malformed and changes nothing', async () => {
    const a = await startNode({ maxMalformed: 5, maxFrameBytes: 64 * KiB });
    open.push(a);
    const got: unknown[] = [];
    a.net.on('c1', 'tx', (body) => void got.push(body));
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519'), chains: ['c1'] });
    await waitFor(() => a.net.peers().length === 1, 'raw peer up');
    const deflated = (frame: Uint8Array, length = frame.length): Buffer => {
      const head = Buffer.alloc(5);
      head[0] = 1;
      head.writeUInt32BE(length, 1);
      return Buffer.concat([head, deflateRawSync(frame)]);
    };
    const body = JSON.stringify({ sig: 'ab'.repeat(2000) });
    r.sendRecordPlain(deflated(encodeFrame('gossip', 'c1', 'tx', body)));
    await waitFor(() => got.length === 1, 'the deflated frame delivered');
    assert.deepEqual(got[0], JSON.parse(body));
    r.sendRecordPlain(Buffer.concat([Buffer.from([7]), encodeFrame('gossip', 'c1', 'tx', '"unknown flag"')]));
    r.sendRecordPlain(Buffer.from([1, 0, 0, 0, 10, 0xde, 0xad, 0xbe, 0xef]));
    // A bomb: 8 MiB in a few KiB, stating its length (past the 64 KiB cap: never inflated) or
    // less than it (inflation stops there).
    const bomb = encodeFrame('gossip', 'c1', 'tx', JSON.stringify('z'.repeat(8 << 20)));
    r.sendRecordPlain(deflated(bomb));
    r.sendRecordPlain(deflated(bomb, 1000));
    const p = () => a.net.stats().peers.find((x) => x.did === r.did)!;
    await waitFor(() => p().malformed === 4, 'four malformed records counted');
    assert.equal(p().dropped.oversize, 1, 'the bomb that states its length stopped at the frame cap');
    assert.deepEqual(a.net.peers(), [r.did], 'below the threshold the link stays up');
    r.sendPlain(encodeFrame('gossip', 'c1', 'tx', '"raw"'));
    await waitFor(() => got.length === 2, 'a raw frame after them');
    assert.equal(got[1], 'raw');
  });

  test('a deflated record past the peer\'s byte budget is dropped before it is inflated', async () => {
    // A budget of 64 KiB (the burst is at least one frame) refilled at 1 KB/s.
    const a = await startNode({ maxFrameBytes: 64 * KiB, rate: { bytesPerSec: 1_000, burstBytes: 0 } });
    open.push(a);
    const got: unknown[] = [];
    a.net.on('c1', 'tx', (body) => void got.push(body));
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519'), chains: ['c1'] });
    await waitFor(() => a.net.peers().length === 1, 'raw peer up');
    r.sendPlain(encodeFrame('gossip', 'c1', 'tx', JSON.stringify('y'.repeat(50 * KiB))));
    // States 30 KiB (more than the ~14 KiB left) and is not even DEFLATE: refused as over budget, not malformed.
    const head = Buffer.alloc(5);
    head[0] = 1;
    head.writeUInt32BE(30 * KiB, 1);
    r.sendRecordPlain(Buffer.concat([head, Buffer.from([0xde, 0xad])]));
    r.sendPlain(encodeFrame('gossip', 'c1', 'tx', '"small"'));
    await waitFor(() => got.length === 2, 'the frames within the budget');
    assert.equal(got[1], 'small');
    const p = a.net.stats().peers.find((x) => x.did === r.did)!;
    assert.equal(p.dropped.rateLimited, 1);
    assert.equal(p.malformed, 0);
  });

  test('over the wire a compressible frame travels deflated: fewer bytes than the frame', async () => {
    const a = await startNode({});
    const b = await startNode({ peers: [a.url] });
    open.push(a, b);
    await waitFor(() => a.net.peers().length === 1 && b.net.peers().length === 1, 'linked');
    const got: unknown[] = [];
    b.net.on('c1', 'tx', (body) => void got.push(body));
    const before = a.net.stats().peers[0]!.bytesOut;
    const body = Array.from({ length: 50 }, (_, i) => ({ sig: Buffer.alloc(64, i).toString('hex'), nonce: i }));
    a.net.broadcast('c1', 'tx', body);
    await waitFor(() => got.length === 1, 'delivered');
    assert.deepEqual(got[0], body);
    const sent = a.net.stats().peers[0]!.bytesOut - before;
    assert.ok(sent < JSON.stringify(body).length * 0.7, `${sent} bytes on the wire for a ${JSON.stringify(body).length}-byte body`);
  });

  test('malformed frames are dropped and counted; repeated garbage disconnects; a forged record disconnects at once', async () => {
    const a = await startNode({ maxMalformed: 5, chains: ['c1', 'c2'] });
    open.push(a);
    let delivered = 0;
    a.net.on('c1', 'tx', () => void delivered++);
    a.net.on('c2', 'tx', () => void delivered++);
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519'), chains: ['c1'] });
    await waitFor(() => a.net.peers().length === 1, 'raw peer up');
    const garbage = [
      new TextEncoder().encode('{"chain":"c1","topic":"tx","body":1}'), // JSON is not a frame
      encodeFrame('gossip', 'c1', 'tx', '{"unterminated'),
      encodeFrame('gossip', 'C1!', 'tx', '1'),
      new Uint8Array([9, 2, 99, 49, 2, 116, 120, 49]), // unknown kind
      encodeFrame('gossip', 'c1', 'tx', '['.repeat(100) + ']'.repeat(100)), // too deep
    ];
    for (const g of garbage) r.sendPlain(g);
    // A well-formed frame for a chain the peer did not offer is dropped, not delivered.
    r.sendPlain(encodeFrame('gossip', 'c2', 'tx', '"sneaky"'));
    r.sendPlain(encodeFrame('gossip', 'c1', 'tx', '"fine"'));
    await waitFor(() => delivered === 1, 'the good frame');
    const p = () => a.net.stats().peers.find((x) => x.did === r.did)!;
    assert.equal(p().malformed, 5);
    assert.equal(p().dropped.unsharedChain, 1);
    assert.deepEqual(a.net.peers(), [r.did], 'still connected at the threshold');
    r.sendPlain(new Uint8Array([0xff, 0xfe]));
    const closed = await r.sock.closed;
    assert.equal(closed.code, CLOSE.protocol);
    assert.match(closed.reason, /malformed/);
    assert.equal(delivered, 1);

    // A record that does not authenticate under the session key ends the link immediately.
    const r2 = await rawPeer(a.url, { key: generateKeyPair('ed25519') });
    await waitFor(() => a.net.peers().includes(r2.did), 'second raw peer up');
    r2.sock.ws.send(randomBytes(64));
    assert.equal((await r2.sock.closed).reason, 'record failed authentication');
    // So does a replayed (genuine but old) record.
    const r3 = await rawPeer(a.url, { key: generateKeyPair('ed25519') });
    await waitFor(() => a.net.peers().includes(r3.did), 'third raw peer up');
    const rec = sealRaw(r3.session!, encodeFrame('gossip', 'c1', 'tx', '"once"'));
    r3.sock.ws.send(rec);
    r3.sock.ws.send(rec);
    assert.equal((await r3.sock.closed).reason, 'record failed authentication');
    assert.equal(delivered, 2);
  });

  test('per-peer rate limit drops frames beyond the budget', async () => {
    const a = await startNode({ rate: { framesPerSec: 5, burstFrames: 10 } });
    open.push(a);
    let delivered = 0;
    a.net.on('c1', 'tx', () => void delivered++);
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519') });
    await waitFor(() => a.net.peers().length === 1, 'up');
    for (let i = 0; i < 60; i++) r.sendPlain(encodeFrame('gossip', 'c1', 'tx', String(i)));
    const p = () => a.net.stats().peers[0]!;
    await waitFor(() => delivered + p().dropped.rateLimited === 60, 'all frames accounted for');
    assert.ok(delivered >= 10 && delivered < 20, `delivered ${delivered}`);
    assert.ok(p().dropped.rateLimited > 40);
    r.sock.close();
  });

  test('keepalive: a silent peer is detected dead within a few seconds', async () => {
    const a = await startNode({ pingIntervalMs: 200, deadAfterMs: 1000 });
    open.push(a);
    const downs: string[] = [];
    a.net.onPeer((e) => e.type === 'down' && downs.push(e.did));
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519'), autoPong: false });
    await waitFor(() => a.net.peers().length === 1, 'up');
    const t0 = Date.now();
    await waitFor(() => downs.includes(r.did), 'dead peer dropped', 5000);
    const took = Date.now() - t0;
    assert.ok(took >= 800 && took < 3000, `detected after ${took} ms`);
    await r.sock.closed;
  });

  test('backpressure: gossip is dropped before consensus, and the buffer stays bounded', async () => {
    const a = await startNode({ gossipBufferedBytes: 256 * KiB, maxBufferedBytes: 2 * 1024 * KiB, maxFrameBytes: 256 * KiB });
    open.push(a);
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519') });
    await waitFor(() => a.net.peers().length === 1, 'up');
    // Random (base64): records are deflated when that pays (src/net/compress.ts); this barely does.
    const big = randomBytes(24 * KiB).toString('base64');
    // Synchronous loop: the receiver cannot read meanwhile, so the kernel buffers fill and
    // then the socket's own buffer grows.
    let i = 0;
    for (; i < 5000; i++) if (a.net.broadcast('c1', 'tx', { i, big }) === 0) break;
    assert.ok(i < 5000, 'gossip started being dropped');
    const p = () => a.net.stats().peers[0]!;
    assert.ok(p().bufferedBytes > 256 * KiB);
    assert.equal(a.net.send(r.did, 'c1', 'consensus', { vote: 1 }), true, 'consensus still goes out');
    let j = 0;
    for (; j < 5000; j++) if (!a.net.send(r.did, 'c1', 'consensus', { j, big })) break;
    assert.ok(j < 5000, 'consensus dropped at the hard cap');
    assert.ok(p().bufferedBytes <= 2 * 1024 * KiB, `buffered ${p().bufferedBytes}`);
    assert.equal(p().dropped.backpressure, 2);
    // The receiver drains everything that was queued; the link survives.
    let consensus = 0;
    for (;;) {
      const f = await r.nextFrame(5000);
      assert.ok(f, 'frame');
      if (f.topic === 'consensus') consensus++;
      if (consensus === j + 1) break;
    }
    assert.deepEqual(a.net.peers(), [r.did]);
    r.sock.close();
  });
});
