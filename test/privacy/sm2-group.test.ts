/**
 * The SM2-curve group (src/privacy/group.ts `sm2`) against an independent computation: RFC 9380
 * hash_to_curve written out here from the RFC's text (expand_message_xmd with SM3 from
 * src/crypto, hash_to_field with L = 48, the simplified SWU map of §6.6.2 step by step, affine
 * point addition), the SSWU constant Z re-derived by Appendix H.2's criteria, the curve points
 * checked on the curve, and masking checked to commute; then the protocols over it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShulianError } from '../../src/codec/index.ts';
import { sm3 } from '../../src/crypto/index.ts';
import { groupOf, PartyA, PartyB, SM2_CURVE, SM2_SSWU_Z, type RunParams } from '../../src/privacy/index.ts';

const { p, a: A, b: B } = SM2_CURVE;
const md = (x: bigint): bigint => ((x % p) + p) % p;
const pow = (b: bigint, e: bigint): bigint => { let r = 1n; b = md(b); while (e > 0n) { if (e & 1n) r = (r * b) % p; b = (b * b) % p; e >>= 1n; } return r; };
const inv = (x: bigint): bigint => pow(x, p - 2n);
const isSquare = (x: bigint): boolean => md(x) === 0n || pow(x, (p - 1n) / 2n) === 1n;
const sqrt = (x: bigint): bigint => pow(x, (p + 1n) / 4n); // p ≡ 3 (mod 4)
const g = (x: bigint): bigint => md(x * x * x + A * x + B);
const code = (c: string) => (e: unknown) => e instanceof ShulianError && e.code === c;

/** RFC 9380 §5.3.1 with SM3 (b_in_bytes = 32, s_in_bytes = 64). */
function expandXmd(msg: Uint8Array, dst: string, len: number): Uint8Array {
  const dstPrime = Buffer.concat([Buffer.from(dst), Buffer.from([dst.length])]);
  const b0 = sm3(Buffer.concat([Buffer.alloc(64), msg, Buffer.from([len >> 8, len & 255, 0]), dstPrime]));
  const out: Uint8Array[] = [sm3(Buffer.concat([b0, Buffer.from([1]), dstPrime]))];
  for (let i = 2; out.length * 32 < len; i++) {
    const x = Buffer.from(b0.map((v, j) => v ^ out[out.length - 1]![j]!));
    out.push(sm3(Buffer.concat([x, Buffer.from([i]), dstPrime])));
  }
  return Buffer.concat(out).subarray(0, len);
}
/** RFC 9380 §6.6.2, as written (not the optimised straight-line version). */
function sswu(u: bigint): [bigint, bigint] {
  const Z = md(SM2_SSWU_Z);
  const tv1 = md(Z * Z * pow(u, 4n) + Z * u * u);
  const x1 = tv1 === 0n ? md(B * inv(Z * A)) : md(md(-B * inv(A)) * (1n + inv(tv1)));
  let x: bigint, y: bigint;
  if (isSquare(g(x1))) { x = x1; y = sqrt(g(x1)); } else { x = md(Z * u * u * x1); y = sqrt(g(x)); }
  if ((u & 1n) !== (y & 1n)) y = md(-y); // sgn0
  return [x, y];
}
function add([x1, y1]: [bigint, bigint], [x2, y2]: [bigint, bigint]): [bigint, bigint] {
  const l = x1 === x2 ? md((3n * x1 * x1 + A) * inv(2n * y1)) : md((y2 - y1) * inv(x2 - x1));
  const x3 = md(l * l - x1 - x2);
  return [x3, md(l * (x1 - x3) - y1)];
}
function hashToCurve(msg: string, dst: string): [bigint, bigint] {
  const bytes = expandXmd(Buffer.from(msg, 'utf8'), dst, 96);
  const u0 = md(BigInt('0x' + Buffer.from(bytes.subarray(0, 48)).toString('hex')));
  const u1 = md(BigInt('0x' + Buffer.from(bytes.subarray(48)).toString('hex')));
  return add(sswu(u0), sswu(u1)); // cofactor 1: nothing to clear
}
const x32 = (x: bigint): string => x.toString(16).padStart(64, '0');

test('Z = −9 meets RFC 9380 Appendix H.2 for SM2 and no candidate before it does', () => {
  // Irreducibility of g(x) − Z over GF(p): x^p ≡ x mod (g − Z) would mean a root; a cubic without one is irreducible.
  const irreducible = (Z: bigint): boolean => {
    const c0 = md(B - Z);
    const mul = (u: bigint[], v: bigint[]): bigint[] => {
      const r = [0n, 0n, 0n, 0n, 0n];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r[i + j] = md(r[i + j]! + u[i]! * v[j]!);
      for (let d = 4; d >= 3; d--) { const c = r[d]!; r[d] = 0n; r[d - 2] = md(r[d - 2]! - c * A); r[d - 3] = md(r[d - 3]! - c * c0); }
      return r.slice(0, 3);
    };
    let r = [1n, 0n, 0n], base = [0n, 1n, 0n];
    for (let e = p; e > 0n; e >>= 1n) { if (e & 1n) r = mul(r, base); base = mul(base, base); }
    // gcd(g − Z, x^p − x) over GF(p)
    const deg = (q: bigint[]): number => { for (let i = q.length - 1; i >= 0; i--) if (q[i] !== 0n) return i; return -1; };
    let f = [c0, A, 0n, 1n], h = [r[0]!, md(r[1]! - 1n), r[2]!];
    while (deg(h) >= 0) {
      const rem = f.slice(); const dh = deg(h); const lc = inv(h[dh]!);
      for (let d = deg(rem); d >= dh; d = deg(rem)) { const k = (rem[d]! * lc) % p; for (let i = 0; i <= dh; i++) rem[d - dh + i] = md(rem[d - dh + i]! - k * h[i]!); }
      f = h; h = rem;
    }
    return deg(f) === 0;
  };
  const ok = (Z: bigint): boolean => !isSquare(Z) && md(Z) !== p - 1n && irreducible(md(Z)) && isSquare(g(md(B * inv(md(Z) * A))));
  for (const z of [1n, -1n, 2n, -2n, 3n, -3n, 4n, -4n, 5n, -5n, 6n, -6n, 7n, -7n, 8n, -8n, 9n]) assert.equal(ok(z), false, `Z = ${z}`);
  assert.equal(SM2_SSWU_Z, -9n);
  assert.equal(ok(SM2_SSWU_Z), true);
});

test('hash-to-curve onto SM2 equals RFC 9380 written out here (SM3 xmd, §6.6.2 SSWU), and lands on the curve', () => {
  const grp = groupOf('sm2');
  const dst = 'SHULIAN-PSI-V01-sm2-psi-sum-data:3';
  for (const id of ['', 'did:shulian:3xk2', '数链', 'x'.repeat(500), ...Array.from({ length: 20 }, (_, i) => `did:shulian:subject${i}`)]) {
    const [x, y] = hashToCurve(id, dst);
    assert.equal(md(y * y), g(x), 'on the curve');
    assert.equal(Buffer.from(grp.hash(id, dst)).toString('hex'), x32(x), id.slice(0, 20));
  }
});

test('SM2 masks commute (x-only), refuse what is not on the curve, and psi and psi-cardinality over SM2 give the plain set results', async () => {
  const grp = groupOf('sm2');
  const [ma, mb] = [grp.newMask(), grp.newMask()];
  const h = grp.hash('did:shulian:a', 't');
  assert.deepEqual(Buffer.from(mb.apply(ma.apply(h))), Buffer.from(ma.apply(mb.apply(h))));
  const notOnCurve = (() => { for (let x = 1n; ; x++) if (!isSquare(g(x))) return Buffer.from(x32(x), 'hex'); })();
  for (const [what, e] of [['x = p', Buffer.from(x32(p), 'hex')], ['not on the curve', notOnCurve], ['31 bytes', Buffer.alloc(31)]] as const) {
    await assert.rejects(ma.applyMany([h, e], 'peer'), (err: unknown) => code('PRIVACY_BAD_POINT')(err) && /peer\[1\]/.test((err as Error).message), what);
  }
  const a = Array.from({ length: 12 }, (_, i) => `did:shulian:s${i}`);
  const rows = Array.from({ length: 10 }, (_, i) => ({ id: `did:shulian:s${i + 6}`, values: [BigInt(i)] }));
  for (const protocol of ['psi', 'psi-cardinality'] as const) {
    const params: RunParams = { run: 'data:5', protocol, group: 'sm2', columns: 0 };
    const PA = new PartyA(params, a);
    const PB = new PartyB(params, rows.map((r) => ({ id: r.id })));
    PB.expect(PA.size);
    const ans = await PB.answer(await PA.masked(0, PA.size));
    PA.acceptDoubled(protocol === 'psi' ? ans : PB.shuffledAnswers(), 0);
    const o = await PB.own(0, PB.size);
    await PA.acceptPeer(o.elements);
    assert.equal(PA.cardinality(), 6);
    if (protocol === 'psi') assert.deepEqual(PA.intersection(), a.slice(6));
  }
});
