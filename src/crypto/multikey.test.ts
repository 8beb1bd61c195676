import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShulianError, fromBase58, toBase58, toHex } from '../codec/index.ts';
import { generateKeyPair, sign, verify } from './index.ts';
import { compressSm2, decodeMultikey, decompressSm2, encodeMultikey } from './multikey.ts';

function rejects(f: () => unknown, code: string, re?: RegExp): void {
  try {
    f();
    assert.fail('should have been rejected');
  } catch (err) {
    assert.ok(err instanceof ShulianError, String(err));
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
  }
}

test('SM2 and Ed25519 keys round-trip through Multikey with the right multicodec prefixes', () => {
  for (let i = 0; i < 20; i++) {
    const sm2 = generateKeyPair('sm2');
    const mb = encodeMultikey('sm2', sm2.publicKey);
    const raw = fromBase58(mb.slice(1));
    assert.deepEqual([...raw.subarray(0, 2)], [0x86, 0x24], 'sm2-pub 0x1206 as a varint');
    assert.equal(raw.length, 2 + 33, 'compressed point');
    const d = decodeMultikey(mb);
    assert.equal(d.suite, 'sm2');
    assert.equal(d.publicKeyHex, toHex(sm2.publicKey));
    assert.equal(d.publicKeyMultibase, mb);
    // The decoded key verifies signatures made by the private key.
    const msg = new Uint8Array(32).fill(i);
    assert.ok(verify('sm2', d.publicKey, msg, sign('sm2', sm2.privateKey, msg)));

    const ed = generateKeyPair('ed25519');
    const emb = encodeMultikey('ed25519', ed.publicKey);
    assert.ok(emb.startsWith('z6Mk'), 'Ed25519 Multikeys read z6Mk… like did:key');
    assert.deepEqual([...fromBase58(emb.slice(1)).subarray(0, 2)], [0xed, 0x01]);
    assert.equal(decodeMultikey(emb).publicKeyHex, toHex(ed.publicKey));
  }
});

test('uncompressed SM2 Multikeys are read and re-encoded compressed', () => {
  const k = generateKeyPair('sm2');
  const uncompressed = 'z' + toBase58(new Uint8Array([0x86, 0x24, ...k.publicKey]));
  const d = decodeMultikey(uncompressed);
  assert.equal(d.publicKeyHex, toHex(k.publicKey));
  assert.equal(d.publicKeyMultibase, encodeMultikey('sm2', k.publicKey));
  assert.deepEqual(decompressSm2(compressSm2(k.publicKey)), k.publicKey);
});

test('bad Multikeys are rejected with typed errors', () => {
  const k = generateKeyPair('sm2');
  const offCurve = new Uint8Array(k.publicKey);
  offCurve[64] = offCurve[64]! ^ 1;
  rejects(() => decodeMultikey('z' + toBase58(new Uint8Array([0x86, 0x24, ...offCurve]))), 'INVALID_PUBLIC_KEY', /not a point on the SM2 curve/);
  rejects(() => decodeMultikey('z' + toBase58(new Uint8Array([0x86, 0x24, 0x02, ...new Uint8Array(32).fill(0xff)]))), 'INVALID_PUBLIC_KEY');
  rejects(() => decodeMultikey('z' + toBase58(new Uint8Array([0x86, 0x24, ...k.publicKey.subarray(0, 40)]))), 'INVALID_PUBLIC_KEY_LENGTH');
  // secp256k1-pub (0xe7) and P-256 (0x1200) are well-formed Multikeys of types did:shulian does not take.
  rejects(() => decodeMultikey('z' + toBase58(new Uint8Array([0xe7, 0x01, ...new Uint8Array(33).fill(2)]))), 'INVALID_PUBLIC_KEY_TYPE', /Ed25519 \(0xed\) or SM2 \(0x1206\)/);
  rejects(() => decodeMultikey('z' + toBase58(new Uint8Array([0x80, 0x24, ...new Uint8Array(33).fill(2)]))), 'INVALID_PUBLIC_KEY_TYPE');
  rejects(() => decodeMultikey('z' + toBase58(new Uint8Array([0xed, 0x01, ...new Uint8Array(31)]))), 'INVALID_PUBLIC_KEY_LENGTH');
  // The identity point (small order) is not a usable Ed25519 key.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  rejects(() => decodeMultikey('z' + toBase58(new Uint8Array([0xed, 0x01, ...identity]))), 'INVALID_PUBLIC_KEY', /small-order/);
  rejects(() => decodeMultikey('u' + 'A'.repeat(40)), 'INVALID_PUBLIC_KEY', /base58btc/);
  rejects(() => decodeMultikey('z0OIl'), 'INVALID_PUBLIC_KEY');
  rejects(() => decodeMultikey(''), 'INVALID_PUBLIC_KEY');
  rejects(() => encodeMultikey('sm2', offCurve), 'INVALID_PUBLIC_KEY');
  rejects(() => encodeMultikey('ed25519', k.publicKey), 'INVALID_PUBLIC_KEY_LENGTH');
});

test('decodeMultikey never throws untyped errors', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 80 }).map((b) => 'z' + toBase58(b)),
    fc.uint8Array({ maxLength: 70 }).map((b) => 'z' + toBase58(new Uint8Array([0x86, 0x24, ...b]))),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => 'z' + toBase58(new Uint8Array([0xed, 0x01, ...b])))), (s) => {
    try {
      const d = decodeMultikey(s);
      // Whatever decodes re-encodes to itself.
      assert.equal(decodeMultikey(d.publicKeyMultibase).publicKeyHex, d.publicKeyHex);
    } catch (err) {
      assert.ok(err instanceof ShulianError, String(err));
    }
  }), { numRuns: 2000 });
});

test('a decoded key is the caller\'s own copy: writing into it changes no later decode (decodes are cached)', () => {
  for (const suite of ['sm2', 'ed25519'] as const) {
    const kp = generateKeyPair(suite);
    const mb = encodeMultikey(suite, kp.publicKey);
    const first = decodeMultikey(mb);
    first.publicKey.fill(0);
    first.publicKeyHex = 'changed';
    const again = decodeMultikey(mb);
    assert.deepEqual(again.publicKey, kp.publicKey);
    assert.equal(again.publicKeyHex, toHex(kp.publicKey));
    assert.notEqual(again.publicKey, decodeMultikey(mb).publicKey, 'each decode returns new bytes');
  }
  // A key refused once is refused again (only valid keys are remembered).
  const small = 'z' + toBase58(Uint8Array.from([0xed, 0x01, 1, ...new Uint8Array(31)]));
  for (let i = 0; i < 2; i++) rejects(() => decodeMultikey(small), 'INVALID_PUBLIC_KEY');
});
