/**
 * The PSI protocols in one process: results equal the plain set computation (fuzzed), each
 * malformed or out-of-protocol input is refused with its code, Paillier and the column packing
 * are exact. The parties over sockets are in test/privacy/party.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expand_message_xmd, hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ShulianError } from '../../src/codec/index.ts';
import {
  decodeCiphertexts, decodeElements, decrypt, encodeCiphertexts, encodeElements, expandXmd48, generatePaillier, groupOf, hashToU, packColumns,
  PaillierEncryptor, PartyA, PartyB, runDst, shuffle, unpackColumns,
  type GroupName, type Protocol, type Row, type RunParams,
} from '../../src/privacy/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const key = generatePaillier();
const code = (c: string) => (e: unknown) => e instanceof ShulianError && e.code === c;

/** Runs a protocol between A and B in process, the way party.ts carries it, in batches of `batch`. */
async function run(p: RunParams, a: string[], b: Row[], batch = 7) {
  const A = new PartyA(p, a, p.protocol === 'psi-sum' ? key : undefined);
  const B = new PartyB(p, b, p.protocol === 'psi-sum' ? key : undefined);
  B.expect(A.size);
  for (let i = 0; i < A.size; i += batch) {
    const ans = await B.answer(await A.masked(i, i + batch));
    if (p.protocol === 'psi') A.acceptDoubled(ans, i);
  }
  if (p.protocol !== 'psi') A.acceptDoubled(B.shuffledAnswers(), 0);
  for (let i = 0; i < B.size; i += batch) {
    const o = await B.own(i, Math.min(i + batch, B.size));
    await A.acceptPeer(o.elements, o.ciphertexts);
  }
  return A;
}

const ids = (xs: number[]): string[] => [...new Set(xs)].map((x) => `did:shulian:subject${x}`);

test('hash_to_field for X25519 is RFC 9380 §5.2 with expand_message_xmd(SHA-512), as @noble/curves computes it', () => {
  for (const msg of ['', 'abc', 'did:shulian:3xk2', 'a'.repeat(300)]) {
    const m = Buffer.from(msg);
    const dst = 'SHULIAN-PSI-V01-x25519-psi-data:1';
    assert.deepEqual(Buffer.from(expandXmd48(m, dst)), Buffer.from(expand_message_xmd(m, dst, 48, sha512)));
    const [[u]] = hash_to_field(m, 1, { DST: dst, p: (1n << 255n) - 19n, m: 1, k: 128, expand: 'xmd', hash: sha512 });
    const le = hashToU(m, dst);
    assert.equal(BigInt('0x' + Buffer.from(le).reverse().toString('hex')), u);
  }
});

for (const group of ['x25519', 'ristretto255'] as GroupName[]) {
  const runs = group === 'x25519' ? 25 : 6;
  test(`${group}: psi, psi-cardinality and psi-sum equal the plain set computation (fuzzed)`, async () => {
    const b = bounded(runs, 20_000);
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 30 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }), fc.bigInt({ min: 0n, max: 1000n })), { maxLength: 30 }),
      fc.integer({ min: 1, max: 9 }),
      b.guard(async (xa, xb, batch) => {
        const a = ids(xa);
        const seen = new Set<string>();
        const rows: Row[] = [];
        for (const [x, v1, v2] of xb) {
          const id = `did:shulian:subject${x}`;
          if (seen.has(id)) continue;
          seen.add(id);
          rows.push({ id, values: [v1, v2] });
        }
        const inter = a.filter((x) => seen.has(x));
        const p = (protocol: Protocol): RunParams => ({ run: 'data:7', protocol, group, columns: protocol === 'psi-sum' ? 2 : 0 });
        assert.deepEqual((await run(p('psi'), a, rows, batch)).intersection(), inter);
        assert.equal((await run(p('psi-cardinality'), a, rows, batch)).cardinality(), inter.length);
        const A = await run(p('psi-sum'), a, rows, batch);
        assert.equal(A.cardinality(), inter.length);
        const want = [0n, 0n];
        for (const r of rows) if (a.includes(r.id)) { want[0]! += r.values![0]!; want[1]! += r.values![1]!; }
        assert.deepEqual(unpackColumns(decrypt(key, A.encryptedSum()), 2), want);
      }),
    ), b.params);
  });
}

test('another run\'s masked elements do not match: the run id is in the hash tag', async () => {
  const a = ids([1, 2, 3]);
  const p1: RunParams = { run: 'data:1', protocol: 'psi-cardinality', group: 'x25519', columns: 0 };
  const A = new PartyA(p1, a);
  const B = new PartyB({ ...p1, run: 'data:2' }, a.map((id) => ({ id })));
  B.expect(3);
  await B.answer(await A.masked(0, 3));
  A.acceptDoubled(B.shuffledAnswers(), 0);
  const o = await B.own(0, 3);
  await A.acceptPeer(o.elements);
  assert.equal(A.cardinality(), 0);
});

test('malformed elements are refused with PRIVACY_BAD_POINT before any masking', async () => {
  const p: RunParams = { run: 'data:1', protocol: 'psi', group: 'x25519', columns: 0 };
  const B = new PartyB(p, [{ id: 'did:shulian:x' }]);
  B.expect(10);
  const P = (1n << 255n) - 19n;
  const le = (x: bigint) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex').reverse());
  // A low-order point of Curve25519 (RFC 7748 §5 / Bernstein's list of points of order 8).
  const order8 = le(325606250916557431795983626356110631294008115727848805560023387167927233504n);
  for (const [what, e] of [
    ['31 bytes', new Uint8Array(31)], ['33 bytes', new Uint8Array(33)], ['u = 0', new Uint8Array(32)], ['u = 1', le(1n)],
    ['u = p (non-canonical)', le(P)], ['top bit set', le((1n << 255n) + 9n)],
  ] as const) {
    await assert.rejects(B.answer([e]), code('PRIVACY_BAD_POINT'), what);
  }
  await assert.rejects(B.answer([order8]), code('PRIVACY_BAD_POINT'), 'a point of order 8');
  const r = groupOf('ristretto255');
  assert.throws(() => r.check(new Uint8Array(32), 'e'), code('PRIVACY_BAD_POINT'), 'ristretto identity');
  assert.throws(() => r.check(Uint8Array.from({ length: 32 }, () => 0xff), 'e'), code('PRIVACY_BAD_POINT'), 'ristretto non-canonical');
});

test('wrong counts, repeats and out-of-order steps are refused', async () => {
  const p: RunParams = { run: 'data:1', protocol: 'psi-cardinality', group: 'x25519', columns: 0 };
  const a = ids([1, 2, 3]);
  const A = new PartyA(p, a);
  const B = new PartyB(p, a.map((id) => ({ id })));
  await assert.rejects(B.answer(await A.masked(0, 1)), code('PRIVACY_BAD_MESSAGE'), 'before the count');
  B.expect(2);
  await assert.rejects(B.answer(await A.masked(0, 3)), code('PRIVACY_WRONG_COUNT'), 'more than announced');
  await B.answer(await A.masked(0, 1));
  assert.throws(() => B.shuffledAnswers(), code('PRIVACY_WRONG_COUNT'), 'fewer than announced');
  assert.throws(() => B.expect(-1), code('PRIVACY_LIMIT'));
  assert.throws(() => B.expect(10_000_001), code('PRIVACY_LIMIT'));
  // A: a doubled element twice, elements past its size, B's own before the answers.
  const A2 = new PartyA(p, a);
  const e = (await A2.masked(0, 1))[0]!;
  assert.throws(() => A2.acceptDoubled([e, e], 0), code('PRIVACY_BAD_MESSAGE'));
  const A3 = new PartyA(p, a);
  const three = await A3.masked(0, 3);
  const one = await A3.masked(0, 1);
  assert.throws(() => A3.acceptDoubled(three.concat(one), 0), code('PRIVACY_WRONG_COUNT'));
  await assert.rejects(A3.acceptPeer(one), code('PRIVACY_BAD_MESSAGE'));
  assert.throws(() => new PartyA(p, ['did:shulian:a', 'did:shulian:a']), code('PRIVACY_BAD_DATASET'));
});

test('psi-sum refuses missing keys, ragged rows, bad ciphertexts and values out of range', async () => {
  const p: RunParams = { run: 'data:1', protocol: 'psi-sum', group: 'x25519', columns: 2 };
  assert.throws(() => new PartyA(p, []), code('PRIVACY_BAD_KEY'));
  assert.throws(() => new PartyB(p, [{ id: 'did:shulian:a', values: [1n] }], key), code('PRIVACY_BAD_DATASET'));
  await assert.rejects(new PartyB(p, [{ id: 'did:shulian:a', values: [1n, 1n << 40n] }], key).own(0, 1), code('PRIVACY_LIMIT'));
  const a = ['did:shulian:a'];
  const A = new PartyA(p, a, key);
  const B = new PartyB(p, [{ id: 'did:shulian:a', values: [1n, 2n] }], key);
  B.expect(1);
  await B.answer(await A.masked(0, 1));
  A.acceptDoubled(B.shuffledAnswers(), 0);
  const o = await B.own(0, 1);
  await assert.rejects(B.own(0, 1), code('PRIVACY_REPLAY'), 'a page of B\'s set twice');
  await assert.rejects(A.acceptPeer(o.elements, []), code('PRIVACY_WRONG_COUNT'));
  await assert.rejects(A.acceptPeer(o.elements, [key.n * key.n]), code('PRIVACY_BAD_KEY'));
  await assert.rejects(A.acceptPeer(o.elements, [key.n]), code('PRIVACY_BAD_KEY'), 'not a unit');
  assert.throws(() => new PaillierEncryptor({ n: 15n, h: 4n }), code('PRIVACY_BAD_KEY'));
});

test('psi-cardinality and psi-sum give A nothing in its own order: no answer per batch, then all of them shuffled', async () => {
  for (const protocol of ['psi-cardinality', 'psi-sum'] as Protocol[]) {
    const p: RunParams = { run: 'data:1', protocol, group: 'x25519', columns: protocol === 'psi-sum' ? 1 : 0 };
    const a = ids([...Array(16).keys()]);
    const A = new PartyA(p, a, protocol === 'psi-sum' ? key : undefined);
    const B = new PartyB(p, [], protocol === 'psi-sum' ? key : undefined);
    B.expect(16);
    for (let i = 0; i < 16; i += 4) assert.deepEqual(await B.answer(await A.masked(i, i + 4)), []);
    assert.equal(B.shuffledAnswers().length, 16);
  }
  // The shuffle is a uniform permutation: all 24 orders of 4 appear in 2,000 draws.
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(shuffle([0, 1, 2, 3]).join(''));
  assert.equal(seen.size, 24);
});

test('Paillier: decryption inverts encryption, products add, columns pack without carries (fuzzed)', () => {
  const enc = new PaillierEncryptor(key);
  const b = bounded(20, 20_000);
  fc.assert(fc.property(
    fc.array(fc.array(fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
    b.guard((rows) => {
      let c = enc.encrypt(0n);
      const want = [0n, 0n, 0n, 0n];
      for (const r of rows) {
        c = enc.add(c, enc.encrypt(packColumns(r)));
        r.forEach((v, i) => { want[i]! += v; });
      }
      assert.deepEqual(unpackColumns(decrypt(key, enc.rerandomize(c)), 4), want);
    }),
  ), b.params);
  // Two encryptions of one value differ (semantic security needs the randomiser).
  assert.notEqual(enc.encrypt(5n), enc.encrypt(5n));
});

test('no identifier and no unmasked hash crosses the wire: every message of a psi-sum run, as encoded, is searched for them', async () => {
  const p: RunParams = { run: 'data:9', protocol: 'psi-sum', group: 'x25519', columns: 1 };
  const a = ids([1, 2, 3, 4, 5, 6]);
  const rows: Row[] = ids([4, 5, 6, 7, 8]).map((id, i) => ({ id, values: [BigInt(i + 1)] }));
  const A = new PartyA(p, a, key);
  const B = new PartyB(p, rows, key);
  const wire: string[] = [];
  const send = (s: string) => { wire.push(s); return s; };
  B.expect(A.size);
  await B.answer(decodeElements(send(encodeElements(await A.masked(0, A.size))), A.group, 'm'));
  A.acceptDoubled(decodeElements(send(encodeElements(B.shuffledAnswers())), A.group, 'a'), 0);
  const o = await B.own(0, B.size);
  await A.acceptPeer(decodeElements(send(encodeElements(o.elements)), A.group, 'o'), decodeCiphertexts(send(encodeCiphertexts(o.ciphertexts!)), 'c'));
  send(A.encryptedSum().toString(16));
  const bytes = Buffer.concat(wire.map((w) => Buffer.from(w, 'base64'))).toString('hex') + wire.join('');
  const g = groupOf('x25519');
  for (const id of [...a, ...rows.map((r) => r.id)]) {
    assert.ok(!wire.some((w) => w.includes(id)), `${id} in a message`);
    assert.ok(!bytes.includes(Buffer.from(g.hash(id, runDst(p))).toString('hex')), `H(${id}) in a message`);
    assert.ok(!bytes.includes(Buffer.from(id).toString('hex')), `${id}'s bytes in a message`);
  }
  assert.equal(A.cardinality(), 3);
  assert.deepEqual(unpackColumns(decrypt(key, A.encryptedSum()), 1), [6n]);
});
