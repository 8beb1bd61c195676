/**
 * The addon's batch primitives (native/sm2/psi.c) byte for byte against independent
 * computations: RFC 7748 §5.2's X25519 test vectors, @noble/curves' x25519 over RFC 9380
 * hash_to_field, Node's KeyObject path (the JS fallback with the same scalar), and Paillier
 * decryption of the addon's ciphertexts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { ShulianError } from '../../src/codec/index.ts';
import { decrypt, generatePaillier, groupOf, hashToU, PaillierEncryptor, psiNative } from '../../src/privacy/index.ts';

const code = (c: string) => (e: unknown) => e instanceof ShulianError && e.code === c;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const h = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const native = psiNative!;
const packIds = (ids: string[]): Buffer => Buffer.concat(ids.flatMap((id) => { const b = Buffer.from(id); return [Buffer.from([b.length >> 8, b.length & 255]), b]; }));

test('the addon is built and loaded (npm ci builds it; without it PSI runs about 4 times slower)', () => {
  assert.ok(psiNative, 'native/sm2/build/Release/sm2.node has no psiX25519: run npm run build');
});

test('X25519 of the addon: RFC 7748 §5.2 test vectors, one and 1,000 iterations', async () => {
  const vectors = [
    ['a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c', 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'],
    // The RFC's u has bit 255 set, which X25519 masks (§5); we accept only the canonical, masked form.
    ['4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a413', '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957'],
  ];
  for (const [k, u, want] of vectors) {
    const r = await native.psiX25519(hex(k!), hex(u!), 0, new Uint8Array());
    assert.equal(r.bad, -1);
    assert.equal(h(r.out), want);
  }
  let k = hex('09'.padEnd(64, '0'));
  let u = k;
  for (let i = 1; i <= 1000; i++) {
    const r = await native.psiX25519(k, u, 0, new Uint8Array());
    [u, k] = [k, r.out];
    if (i === 1) assert.equal(h(k), '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
  }
  assert.equal(h(k), '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
});

test('hash-to-curve and masking of a batch equal RFC 9380 hash_to_field then @noble/curves x25519, element by element', async () => {
  const scalar = randomBytes(32);
  const dst = 'SHULIAN-PSI-V01-x25519-psi-data:42';
  const ids = ['', 'did:shulian:3xk2', '数链', 'x'.repeat(1000), ...Array.from({ length: 300 }, (_, i) => `did:shulian:subject${i}`)];
  const r = await native.psiX25519(scalar, packIds(ids), 1, Buffer.from(dst));
  assert.equal(r.bad, -1);
  assert.equal(r.out.length, ids.length * 32);
  ids.forEach((id, i) => {
    const want = x25519.scalarMult(scalar, hashToU(Buffer.from(id), dst));
    assert.equal(h(r.out.subarray(i * 32, i * 32 + 32)), h(want), `identifier ${i}`);
  });
  // Points mode on random canonical u: the same as noble.
  const pts = Array.from({ length: 200 }, () => { const b = randomBytes(32); b[31]! &= 0x7f; b[0]! |= 2; return b; });
  const p = await native.psiX25519(scalar, Buffer.concat(pts), 0, new Uint8Array());
  pts.forEach((u, i) => assert.equal(h(p.out.subarray(i * 32, i * 32 + 32)), h(x25519.scalarMult(scalar, u)), `point ${i}`));
});

test('a mask gives the same bytes through the addon (applyMany, hashMany) as through the JS path (apply, hash)', async () => {
  const g = groupOf('x25519');
  const mask = g.newMask();
  const dst = 'SHULIAN-PSI-V01-x25519-psi-cardinality-data:7';
  const ids = Array.from({ length: 1500 }, (_, i) => `did:shulian:s${i}`); // > 2 slices: split over the cores
  const viaAddon = await mask.hashMany(ids, dst);
  const viaJs = ids.map((id) => mask.apply(g.hash(id, dst)));
  assert.deepEqual(viaAddon.map(h), viaJs.map(h));
  const again = await mask.applyMany(viaAddon, 'x');
  assert.deepEqual(again.map(h), viaAddon.map((e) => h(mask.apply(e))));
});

test('the addon refuses non-canonical and low-order u and names the element; a refused batch gives no output', async () => {
  const mask = groupOf('x25519').newMask();
  const good = (await mask.hashMany(['did:shulian:a', 'did:shulian:b'], 't'));
  const P = (1n << 255n) - 19n;
  const le = (x: bigint) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex').reverse());
  const order8 = le(325606250916557431795983626356110631294008115727848805560023387167927233504n);
  for (const [what, e] of [['u = 0', new Uint8Array(32)], ['u = 1', le(1n)], ['u = p', le(P)], ['u = p + 1', le(P + 1n)], ['top bit', le((1n << 255n) + 9n)], ['order 8', order8]] as const) {
    await assert.rejects(mask.applyMany([...good, e], 'peer', 100), (err: unknown) => code('PRIVACY_BAD_POINT')(err) && /peer\[102\]/.test((err as Error).message), what);
    const r = await native.psiX25519(randomBytes(32), Buffer.concat([...good, e]), 0, new Uint8Array());
    assert.equal(r.bad, 2, what);
    assert.equal(r.out.length, 0, what);
  }
  assert.throws(() => native.psiX25519(new Uint8Array(31), new Uint8Array(32), 0, new Uint8Array()), /scalar/);
  assert.throws(() => native.psiX25519(new Uint8Array(32), new Uint8Array(33), 0, new Uint8Array()), /32-byte/);
  assert.throws(() => native.psiX25519(new Uint8Array(32), Uint8Array.from([0, 5, 1]), 1, new Uint8Array()), /truncated/);
});

test('Paillier of the addon: decrypts to the plaintexts, fresh randomness each time, a plaintext ≥ n refused', async () => {
  const key = generatePaillier();
  const enc = new PaillierEncryptor(key);
  const ms = [0n, 1n, 123456789n, key.n - 1n, ...Array.from({ length: 60 }, (_, i) => BigInt(i) << 100n)];
  const cs = await enc.encryptMany(ms);
  cs.forEach((c, i) => assert.equal(decrypt(key, c), ms[i], `plaintext ${i}`));
  const [c1, c2] = await enc.encryptMany([5n, 5n]);
  assert.notEqual(c1, c2);
  let sum = enc.encrypt(0n);
  for (const c of cs) sum = enc.add(sum, c);
  assert.equal(decrypt(key, sum), ms.reduce((a, b) => a + b, 0n) % key.n);
  await assert.rejects(enc.encryptMany([key.n]), code('PRIVACY_BAD_KEY'));
});
