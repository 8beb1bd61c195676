import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { COMPRESS_MAX_BYTES, COMPRESS_MIN_BYTES, packFrame, unpackFrame, type PackedFrame } from './compress.ts';
import { SecureSession } from './session.ts';

const MAX = 4 << 20;

/** A packed frame's plaintext as one buffer: what `seal` encrypts. */
const joinPacked = (p: PackedFrame): Buffer => Buffer.concat([p.head, p.body]);

test('a frame comes back byte for byte: small and incompressible ones raw, compressible ones deflated and smaller', () => {
  const small = Buffer.from('{"n":1}');
  assert.equal(packFrame(small).head[0], 0);
  assert.deepEqual(unpackFrame(joinPacked(packFrame(small)), MAX), small);

  // Tx gossip is hex-heavy JSON: about half of it survives deflate.
  const hex = Buffer.from(JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ sig: Buffer.alloc(64, i * 7 + 1).toString('hex'), from: `did:shulian:${i}`, nonce: i }))));
  const p = packFrame(hex);
  assert.equal(p.head[0], 1, 'deflated');
  const plain = joinPacked(p);
  assert.ok(plain.length < hex.length * 0.6, `${plain.length} of ${hex.length} bytes`);
  assert.deepEqual(unpackFrame(plain, MAX), hex);
  assert.equal(packFrame(hex), p, 'a frame sent to several peers is deflated once');

  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
  const r = packFrame(random);
  assert.ok(r.head[0] === 0 || joinPacked(r).length <= random.length * 0.9 + 1, 'deflated only when it saves a tenth');
  assert.deepEqual(unpackFrame(joinPacked(r), MAX), random);

  const huge = Buffer.alloc(COMPRESS_MAX_BYTES + 1, 0x61);
  assert.equal(packFrame(huge).head[0], 0, 'past COMPRESS_MAX_BYTES a frame goes raw');
  assert.equal(packFrame(huge).body, huge, 'a raw frame is not copied');
  assert.equal(packFrame(Buffer.alloc(COMPRESS_MIN_BYTES - 1, 0x61)).head[0], 0, 'below COMPRESS_MIN_BYTES a frame goes raw');
});

const deflated = (length: number, stream: Uint8Array): Buffer => {
  const head = Buffer.alloc(5);
  head[0] = 1;
  head.writeUInt32BE(length, 1);
  return Buffer.concat([head, stream]);
};

test('an unknown flag, a stream that does not inflate or not to its stated length is malformed; past the cap is oversize, uninflated', () => {
  assert.equal(unpackFrame(Buffer.alloc(0), MAX), 'malformed');
  assert.equal(unpackFrame(Buffer.from([2, 1, 2, 3]), MAX), 'malformed');
  assert.equal(unpackFrame(Buffer.from([1, 0xff, 0xff, 0xff]), MAX), 'malformed', 'too short for its length');
  assert.equal(unpackFrame(deflated(10, Buffer.from([0xde, 0xad, 0xbe, 0xef])), MAX), 'malformed', 'not DEFLATE');
  const frame = Buffer.from('x'.repeat(5000));
  const z = deflateRawSync(frame);
  assert.deepEqual(unpackFrame(deflated(5000, z), MAX), frame);
  assert.equal(unpackFrame(deflated(4999, z), MAX), 'malformed', 'longer than it says: inflation stops at the stated length');
  assert.equal(unpackFrame(deflated(5001, z), MAX), 'malformed', 'shorter than it says');
  // A deflate bomb: 64 MiB of zeros in ~64 KiB. Its stated length is past the cap, so it is never inflated.
  const bomb = deflateRawSync(Buffer.alloc(64 << 20));
  assert.ok(bomb.length < 100_000);
  assert.equal(unpackFrame(deflated(64 << 20, bomb), MAX), 'oversize');
  assert.equal(unpackFrame(deflated(1000, bomb), MAX), 'malformed', 'stating less stops it there');
  assert.equal(unpackFrame(Buffer.concat([Buffer.from([0]), Buffer.alloc(MAX + 1)]), MAX), 'oversize');
  assert.equal((unpackFrame(Buffer.concat([Buffer.from([0]), Buffer.alloc(MAX)]), MAX) as Buffer).length, MAX, 'a frame of exactly the cap passes');
});

test('a deflated frame the budget does not allow is refused before it is inflated', () => {
  const asked: number[] = [];
  const notDeflate = deflated(3000, Buffer.from([0xde, 0xad]));
  assert.equal(unpackFrame(notDeflate, MAX, (n) => (asked.push(n), false)), 'over-budget', 'refused without inflating (else: malformed)');
  assert.deepEqual(asked, [3000], 'asked for the stated length');
  const frame = Buffer.from(JSON.stringify({ sig: 'ab'.repeat(1000) }));
  assert.deepEqual(unpackFrame(joinPacked(packFrame(frame)), MAX, (n) => n === frame.length), frame);
});

test('fuzz: any plaintext unpacks to null or a frame within the cap, never a throw; any frame round-trips', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
    const out = unpackFrame(Buffer.from(bytes), 1024);
    assert.ok(out === 'malformed' || out === 'oversize' || out.length <= 1024);
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 8192 }), fc.string({ maxLength: 4000 }).map((s) => new TextEncoder().encode(s.repeat(3)))), (frame) => {
    assert.deepEqual(new Uint8Array(unpackFrame(joinPacked(packFrame(frame)), MAX) as Buffer), frame);
  }), { numRuns: 500 });
});

test('a record sealed from the two parts of a packed frame opens to the parts joined', () => {
  const key = new Uint8Array(32).fill(7);
  const frame = Buffer.from('{"topic":"tx"}'.repeat(200));
  for (const p of [packFrame(frame), packFrame(frame, { raw: true })]) {
    const rec = new SecureSession(key, key).seal(p.head, p.body);
    assert.deepEqual(new SecureSession(key, key).open(rec), joinPacked(p));
    assert.deepEqual(unpackFrame(new SecureSession(key, key).open(rec)!, MAX), frame);
  }
});
