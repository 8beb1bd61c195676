import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { decodeFrame, encodeFrame, FRAME_KIND, Handshake, parseHandshakeMessage, SecureSession, type FrameKind } from '../../src/net/index.ts';
import { MAX_JSON_DEPTH } from '../../src/net/frame.ts';
import { closeAll, rawPeer, startNode, waitFor, type TestNode } from '../helpers/net.ts';

const KINDS = Object.keys(FRAME_KIND) as FrameKind[];
const chainArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);
const topicArb = fc.stringMatching(/^[a-z][a-z0-9._-]{0,31}$/);

/** Frame-shaped byte strings: a valid-looking header followed by arbitrary bytes. */
const nearFrameArb = fc.tuple(fc.integer({ min: 0, max: 7 }), chainArb, topicArb, fc.uint8Array({ maxLength: 64 })).map(([k, c, t, rest]) => {
  const head = Buffer.from([k, c.length, ...Buffer.from(c), t.length, ...Buffer.from(t)]);
  return new Uint8Array(Buffer.concat([head, rest]));
});

describe('frame decoder properties', () => {
  const open: TestNode[] = [];
  after(() => closeAll(...open));

  test('arbitrary bytes never crash the decoder; whatever decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), nearFrameArb), (bytes) => {
        const f = decodeFrame(bytes, 1024);
        if (f === null) return;
        const again = encodeFrame(f.kind, f.chain, f.topic, bytes.subarray(f.bodyOffset), f.id);
        assert.deepEqual(Buffer.from(again), Buffer.from(bytes));
        assert.ok(KINDS.includes(f.kind));
      }),
      { numRuns: 5000 },
    );
  });

  test('JSON text (any value) is never taken for a frame', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('', ' ', '\n', '\t'), (v, pad) => {
        assert.equal(decodeFrame(new TextEncoder().encode(pad + JSON.stringify(v))), null);
      }),
      { numRuns: 2000 },
    );
  });

  test('valid frames round-trip with any JSON body', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS.filter((k) => k !== 'control')), chainArb, topicArb, fc.jsonValue({ maxDepth: 6 }), fc.nat(0xffffffff), (kind, chain, topic, body, id) => {
        const f = decodeFrame(encodeFrame(kind, chain, topic, JSON.stringify(body), id));
        assert.ok(f);
        assert.equal(f.chain, chain);
        assert.equal(f.topic, topic);
        assert.deepEqual(f.body, JSON.parse(JSON.stringify(body)));
        assert.equal(f.id, kind === 'request' || kind === 'response' || kind === 'error' ? id : 0);
      }),
      { numRuns: 1000 },
    );
  });

  test('the nesting limit agrees with the body: a frame decodes exactly when its JSON nests at most MAX_JSON_DEPTH deep, brackets inside strings not counted', () => {
    /** Depth of a parsed JSON value, counted the way the decoder counts brackets. */
    const depthOf = (v: unknown): number => {
      let max = 0;
      const stack: Array<[unknown, number]> = [[v, 0]];
      while (stack.length) {
        const [x, d] = stack.pop()!;
        if (x !== null && typeof x === 'object') {
          max = Math.max(max, d + 1);
          for (const c of Object.values(x)) stack.push([c, d + 1]);
        }
      }
      return max;
    };
    // Strings full of brackets, quotes and escapes, so a miscounting scanner is caught.
    const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ', '\u0000', 'é'), maxLength: 12 });
    const nested = (depth: number, leaf: unknown, wrap: boolean[]): unknown => {
      let v = leaf;
      for (let i = 0; i < depth; i++) v = wrap[i % wrap.length] ? [v, 's'] : { k: v, '[{': ']}' };
      return v;
    };
    fc.assert(
      fc.property(fc.integer({ min: MAX_JSON_DEPTH - 3, max: MAX_JSON_DEPTH + 3 }), tricky, fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), fc.constantFrom<FrameKind>('gossip', 'request'), (depth, leaf, wrap, kind) => {
        const body = nested(depth, leaf, wrap);
        const f = decodeFrame(encodeFrame(kind, 'c1', 'tx', JSON.stringify(body), 7));
        assert.equal(depthOf(body), depth);
        if (depth <= MAX_JSON_DEPTH) {
          assert.ok(f, `a body ${depth} deep was refused`);
          assert.deepEqual(f.body, JSON.parse(JSON.stringify(body)));
        } else {
          assert.equal(f, null, `a body ${depth} deep was taken`);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 600) },
    );
    // Far past the limit (JSON.parse takes it), and the frame cap holds whatever the body.
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.equal(decodeFrame(encodeFrame('gossip', 'c1', 'tx', deep)), null);
    assert.equal(decodeFrame(encodeFrame('gossip', 'c1', 'tx', '"' + 'x'.repeat(2000) + '"'), 1024), null);
  });

  test('arbitrary handshake input never crashes or authenticates; arbitrary records never open', () => {
    const key = generateKeyPair('ed25519');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json(), fc.constantFrom('{"t":"hello"}', '{"t":"auth"}', '{"t":"hello","v":1,"alliance":"a","challenge":"' + '00'.repeat(32) + '","eph":"' + '00'.repeat(32) + '"}')), { maxLength: 4 }), (msgs) => {
        parseHandshakeMessage(msgs[0] ?? '');
        const hs = new Handshake({ alliance: 'a', key, did: 'did:shulian:x', chains: ['c1'], role: 'listener', isAllowedPeer: () => true });
        for (const m of msgs) {
          const step = hs.receive(m);
          assert.notEqual(step.kind, 'done');
          if (step.kind === 'fail') break;
        }
      }),
      { numRuns: 1000 },
    );
    const s = new SecureSession(randomBytes(32), randomBytes(32));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (b) => s.open(b) === null), { numRuns: 2000 });
  });

  test('over a live link: arbitrary authenticated garbage is counted and never delivered', async () => {
    const a = await startNode({ maxMalformed: 1_000_000 });
    open.push(a);
    let delivered = 0;
    a.net.on('c1', 'tx', () => void delivered++);
    a.net.on('c1', 'consensus', () => void delivered++);
    a.net.onRequest('c1', 'sync', () => {
      delivered++;
      return null;
    });
    const r = await rawPeer(a.url, { key: generateKeyPair('ed25519') });
    await waitFor(() => a.net.peers().length === 1, 'up');
    const inputs = fc.sample(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 200 }), nearFrameArb, fc.json().map((j) => new TextEncoder().encode(j))), 500)
      .filter((b) => decodeFrame(b) === null);
    for (const b of inputs) r.sendPlain(b);
    const p = () => a.net.stats().peers[0]!;
    await waitFor(() => p().malformed === inputs.length, `${inputs.length} malformed frames counted`);
    assert.equal(delivered, 0);
    assert.deepEqual(a.net.peers(), [r.did], 'the node survived and kept the link');
    r.sock.close();
  });
});
