import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { merkleProof, merkleRoot, verifyMerkleProof, type MerkleProof } from './merkle.ts';

const H = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sm3').update(d).digest());
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const L = (d: Uint8Array): Uint8Array => H(cat(Uint8Array.of(0), d));
const N = (l: Uint8Array, r: Uint8Array): Uint8Array => H(cat(Uint8Array.of(1), l, r));
const leaves = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => H(Uint8Array.of(i, i >> 8, 7)));

/** RFC 6962 §2.1 MTH, written straight from the definition (top-down, power-of-two split). */
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return H(new Uint8Array(0));
  if (d.length === 1) return L(d[0]!);
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return N(mth(d.slice(0, k)), mth(d.slice(k)));
}

/** RFC 6962 §2.1.1 PATH(m, D[n]). */
function rfcPath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k ? [...rfcPath(m, d.slice(0, k)), mth(d.slice(k))] : [...rfcPath(m - k, d.slice(k)), mth(d.slice(0, k))];
}

test('empty list root is H() of nothing', () => {
  assert.equal(hex(merkleRoot([], H)), hex(H(new Uint8Array(0))));
  assert.throws(() => merkleProof([], 0, H), RangeError);
});

test('roots for n = 1, 2, 3, 5, 8 match RFC 6962 computed by hand', () => {
  const d = leaves(8);
  const l = d.map(L);
  assert.equal(hex(merkleRoot(d.slice(0, 1), H)), hex(l[0]!));
  assert.equal(hex(merkleRoot(d.slice(0, 2), H)), hex(N(l[0]!, l[1]!)));
  // n=3: k=2 → (d0 d1) d2 ; the odd leaf is not duplicated
  assert.equal(hex(merkleRoot(d.slice(0, 3), H)), hex(N(N(l[0]!, l[1]!), l[2]!)));
  // n=5: k=4 → ((d0 d1)(d2 d3)) d4
  const four = N(N(l[0]!, l[1]!), N(l[2]!, l[3]!));
  assert.equal(hex(merkleRoot(d.slice(0, 5), H)), hex(N(four, l[4]!)));
  // n=8: perfect
  const hi = N(N(l[4]!, l[5]!), N(l[6]!, l[7]!));
  assert.equal(hex(merkleRoot(d, H)), hex(N(four, hi)));
  // and not the Bitcoin-style duplicated-odd-node tree
  assert.notEqual(hex(merkleRoot(d.slice(0, 3), H)), hex(N(N(l[0]!, l[1]!), N(l[2]!, l[2]!))));
});

test('root matches the recursive RFC definition for n = 0..70 and random data', () => {
  for (let n = 0; n <= 70; n++) assert.equal(hex(merkleRoot(leaves(n), H)), hex(mth(leaves(n))), `n=${n}`);
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 40 }), (d) => hex(merkleRoot(d, H)) === hex(mth(d))),
    { numRuns: 100 },
  );
});

test('every index of sizes 1..40: path is RFC 6962 PATH, verifies, and tampering fails', () => {
  for (let n = 1; n <= 40; n++) {
    const d = leaves(n);
    const root = merkleRoot(d, H);
    for (let i = 0; i < n; i++) {
      const p = merkleProof(d, i, H);
      assert.deepEqual(p.path, rfcPath(i, d).map(hex), `n=${n} i=${i}`);
      assert.equal(p.index, i);
      assert.equal(p.total, n);
      assert.ok(verifyMerkleProof(root, d[i]!, p, H), `n=${n} i=${i}`);

      const bad = (q: MerkleProof, what: string, leaf = d[i]!): void => assert.equal(verifyMerkleProof(root, leaf, q, H), false, `${what} n=${n} i=${i}`);
      bad(p, 'other leaf', H(Uint8Array.of(99, 1)));
      if (n > 1) bad(p, 'neighbour leaf', d[(i + 1) % n]!);
      for (let k = 0; k < p.path.length; k++) {
        const path = p.path.slice();
        const s = path[k]!;
        path[k] = (s[0] === '0' ? '1' : '0') + s.slice(1);
        bad({ ...p, path }, `flip sibling ${k}`);
      }
      if (p.path.length > 0) {
        bad({ ...p, path: p.path.slice(0, -1) }, 'drop last sibling');
        bad({ ...p, path: p.path.slice(1) }, 'drop first sibling');
        if (p.path.length > 1) bad({ ...p, path: p.path.slice().reverse() }, 'reordered');
      }
      bad({ ...p, path: [...p.path, hex(H(Uint8Array.of(5)))] }, 'extra sibling');
      bad({ ...p, path: [hex(new Uint8Array(32)), ...p.path] }, 'extra zero sibling');
      if (n > 1) bad({ ...p, index: (i + 1) % n }, 'wrong index');
      // The root does not commit to the list length (the header carries txCount), so a wrong
      // total is only detectable when it changes the path's shape.
      if (rfcPath(i, leaves(n + 1)).length !== p.path.length) bad({ ...p, total: n + 1 }, 'wrong total');
      if (n > 1 && i < n - 1 && rfcPath(i, leaves(n - 1)).length !== p.path.length) bad({ ...p, total: n - 1 }, 'smaller total');
      bad({ ...p, index: n }, 'index out of range');
      bad({ ...p, index: -1 }, 'negative index');
    }
  }
});

test('malformed proofs return false without throwing', () => {
  const d = leaves(5);
  const root = merkleRoot(d, H);
  const p = merkleProof(d, 2, H);
  const junk: unknown[] = [
    null, undefined, 5, 'x', {}, { index: 2, total: 5 }, { ...p, path: 'ab' }, { ...p, path: [1, 2, 3] },
    { ...p, path: p.path.map((s) => s.toUpperCase()) }, { ...p, path: p.path.map((s) => s.slice(2)) },
    { ...p, index: 2.5 }, { ...p, total: Infinity }, { ...p, index: '2' }, { ...p, path: Array(100).fill(p.path[0]) },
  ];
  for (const j of junk) assert.equal(verifyMerkleProof(root, d[2]!, j as MerkleProof, H), false, JSON.stringify(j));
  assert.equal(verifyMerkleProof(root.slice(1), d[2]!, p, H), false);
});
