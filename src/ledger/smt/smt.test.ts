import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree, decodeNode, encodeNode, verifySmtProof,
  type NodeStore, type SmtProof, type SmtUpdate,
} from './index.ts';

const H = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sm3').update(d).digest());
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const ZERO = new Uint8Array(32);
const ZERO_HEX = '0'.repeat(64);
const leafH = (k: Uint8Array, v: Uint8Array): Uint8Array => H(cat(Uint8Array.of(0), k, v));
const nodeH = (l: Uint8Array, r: Uint8Array): Uint8Array => H(cat(Uint8Array.of(1), l, r));
const bit = (k: Uint8Array, i: number): number => (k[i >> 3]! >> (7 - (i % 8))) & 1;
const k32 = (...head: number[]): Uint8Array => { const k = new Uint8Array(32); k.set(head); return k; };
const val = (n: number): Uint8Array => H(Uint8Array.of(0xee, n & 255, n >> 8));

/**
 * Naive reference: the canonical tree built top-down from the full sorted key set by the shape
 * rule alone (0 keys → zero hash, 1 key → leaf, else split by the next bit).
 */
function refRoot(model: Map<string, Uint8Array>): Uint8Array {
  const keys = [...model.keys()].sort();
  const go = (ks: string[], depth: number): Uint8Array => {
    if (ks.length === 0) return ZERO;
    if (ks.length === 1) return leafH(unhex(ks[0]!), model.get(ks[0]!)!);
    const l = ks.filter((k) => bit(unhex(k), depth) === 0);
    const r = ks.filter((k) => bit(unhex(k), depth) === 1);
    return nodeH(go(l, depth + 1), go(r, depth + 1));
  };
  return go(keys, 0);
}

const apply = (model: Map<string, Uint8Array>, batch: SmtUpdate[]): void => {
  for (const u of batch) {
    if (u.value === null) model.delete(hex(u.key));
    else model.set(hex(u.key), u.value);
  }
};

const newTree = (cacheSize?: number): SparseMerkleTree =>
  new SparseMerkleTree(new MemoryNodeStore(), H, cacheSize === undefined ? undefined : { cacheSize });

// Keys: random, plus families that share long prefixes (down to the very last bit).
const keyArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc.integer({ min: 0, max: 15 }).map((i) => { const k = new Uint8Array(32).fill(0xa5); k[31] = i; return k; }),
  fc.integer({ min: 0, max: 15 }).map((i) => k32(i << 4)),
  fc.integer({ min: 0, max: 7 }).map((i) => { const k = new Uint8Array(32).fill(0x3c); k[15] = i; return k; }),
);
const valArb: fc.Arbitrary<Uint8Array> = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 3 }).map(val));
const updArb: fc.Arbitrary<SmtUpdate> = fc.record({ key: keyArb, value: fc.option(valArb, { freq: 3, nil: null }) });
const batchesArb = fc.array(fc.array(updArb, { maxLength: 25 }), { minLength: 1, maxLength: 8 });

function expectProofs(t: SparseMerkleTree, root: Uint8Array, model: Map<string, Uint8Array>, absent: Uint8Array[]): void {
  for (const [k, v] of model) {
    const key = unhex(k);
    assert.equal(hex(t.get(root, key)!), hex(v));
    const p = t.prove(root, key);
    assert.ok(verifySmtProof(root, key, v, p, H), 'inclusion');
    assert.equal(verifySmtProof(root, key, null, p, H), false, 'present key claimed absent');
    assert.equal(verifySmtProof(root, key, val(999), p, H), false, 'wrong value');
  }
  for (const key of absent) {
    if (model.has(hex(key))) continue;
    assert.equal(t.get(root, key), null);
    const p = t.prove(root, key);
    assert.ok(verifySmtProof(root, key, null, p, H), 'non-inclusion');
    assert.equal(verifySmtProof(root, key, val(1), p, H), false, 'absent key claimed present');
  }
}

test('random sets: root equals the naive reference, with and without the node cache', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(keyArb, valArb), { maxLength: 60 }), fc.constantFrom(undefined, 0, 3), (pairs, cache) => {
      const model = new Map<string, Uint8Array>();
      for (const [k, v] of pairs) model.set(hex(k), v);
      const t = newTree(cache);
      const root = t.update(EMPTY_ROOT, pairs.map(([key, value]) => ({ key, value })));
      assert.equal(hex(root), hex(refRoot(model)));
    }),
    { numRuns: 300 },
  );
});

test('random update/delete histories: root, get and proofs track the model at every height', () => {
  fc.assert(
    fc.property(batchesArb, fc.constantFrom(undefined, 0, 2), (batches, cache) => {
      const t = newTree(cache);
      const model = new Map<string, Uint8Array>();
      const history: Array<{ root: Uint8Array; model: Map<string, Uint8Array> }> = [];
      let root = EMPTY_ROOT;
      const touched: Uint8Array[] = [];
      for (const b of batches) {
        root = t.update(root, b);
        apply(model, b);
        for (const u of b) touched.push(u.key);
        assert.equal(hex(root), hex(refRoot(model)));
        history.push({ root, model: new Map(model) });
      }
      // Older roots stay readable and provable.
      for (const h of history) expectProofs(t, h.root, h.model, [...touched, k32(0xff, 0xff), k32()]);
    }),
    { numRuns: 150 },
  );
});

test('order independence: different histories reaching the same set give the same root', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(keyArb, valArb), { selector: ([k]) => hex(k), maxLength: 40 }),
      fc.array(keyArb, { maxLength: 20 }),
      fc.integer(),
      (pairs, junk, seed) => {
        const ups = pairs.map(([key, value]) => ({ key, value }));
        const t = newTree();
        const direct = t.update(EMPTY_ROOT, ups);
        // one key per block, shuffled
        const shuffled = ups.slice();
        let s = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) >>> 0;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        let r1 = EMPTY_ROOT;
        for (const u of shuffled) r1 = t.update(r1, [u]);
        // with junk keys and stale values first, then cleaned up
        const live = new Set(pairs.map(([k]) => hex(k)));
        const extra = junk.filter((k) => !live.has(hex(k)));
        let r2 = t.update(EMPTY_ROOT, [...extra.map((key) => ({ key, value: val(7) })), ...ups.map((u) => ({ key: u.key, value: val(8) }))]);
        r2 = t.update(r2, ups.slice().reverse());
        r2 = t.update(r2, extra.map((key) => ({ key, value: null })));
        assert.equal(hex(r1), hex(direct));
        assert.equal(hex(r2), hex(direct));
        // deleting everything returns to the empty root
        assert.equal(hex(t.update(direct, ups.map((u) => ({ key: u.key, value: null })))), hex(EMPTY_ROOT));
      },
    ),
    { numRuns: 200 },
  );
});

test('empty tree', () => {
  const t = newTree();
  const key = k32(1, 2, 3);
  assert.equal(hex(t.update(EMPTY_ROOT, [])), hex(EMPTY_ROOT));
  assert.equal(hex(t.update(EMPTY_ROOT, [{ key, value: null }])), hex(EMPTY_ROOT));
  assert.equal(t.get(EMPTY_ROOT, key), null);
  const p = t.prove(EMPTY_ROOT, key);
  assert.deepEqual(p, { siblings: [] });
  assert.ok(verifySmtProof(EMPTY_ROOT, key, null, p, H));
  assert.equal(verifySmtProof(EMPTY_ROOT, key, val(1), p, H), false);
  assert.equal(verifySmtProof(EMPTY_ROOT, key, val(1), { siblings: [], leaf: { key: hex(key), value: hex(val(1)) } }, H), false);
  // all-zero tricks against the empty root
  assert.equal(verifySmtProof(EMPTY_ROOT, key, null, { siblings: [ZERO_HEX] }, H), false);
  assert.equal(verifySmtProof(EMPTY_ROOT, ZERO, ZERO, { siblings: [], leaf: { key: ZERO_HEX, value: ZERO_HEX } }, H), false);
});

test('single key: the root is the leaf itself; other keys prove absent through it', () => {
  const t = newTree();
  const key = k32(0x80, 1);
  const v = val(3);
  const root = t.update(EMPTY_ROOT, [{ key, value: v }]);
  assert.equal(hex(root), hex(leafH(key, v)));
  const p = t.prove(root, key);
  assert.deepEqual(p, { siblings: [], leaf: { key: hex(key), value: hex(v) } });
  assert.ok(verifySmtProof(root, key, v, p, H));
  const other = k32(0x00, 1);
  const q = t.prove(root, other);
  assert.deepEqual(q, p);
  assert.ok(verifySmtProof(root, other, null, q, H));
  assert.equal(verifySmtProof(root, other, v, q, H), false);
  assert.equal(hex(t.update(root, [{ key, value: null }])), hex(EMPTY_ROOT));
});

test('keys differing only in the last bit: 256-deep path, re-compression on delete', () => {
  const t = newTree();
  const a = new Uint8Array(32).fill(0x5a);
  const b = a.slice();
  b[31] = b[31]! ^ 1;
  const c = a.slice();
  c[31] = c[31]! ^ 2; // differs from a at bit 254
  const root = t.update(EMPTY_ROOT, [{ key: a, value: val(1) }, { key: b, value: val(2) }]);
  const m = new Map([[hex(a), val(1)], [hex(b), val(2)]]);
  assert.equal(hex(root), hex(refRoot(m)));
  const pa = t.prove(root, a);
  assert.equal(pa.siblings.length, 256);
  assert.equal(pa.siblings.filter((s) => s === ZERO_HEX).length, 255);
  assert.ok(verifySmtProof(root, a, val(1), pa, H));
  assert.ok(verifySmtProof(root, b, val(2), t.prove(root, b), H));
  assert.equal(verifySmtProof(root, b, val(1), pa, H), false, 'proof for another key');
  // c diverges at bit 254, where the sibling is the (a,b) pair: ends at an empty subtree
  const pc = t.prove(root, c);
  assert.equal(pc.siblings.length, 255);
  assert.equal(pc.leaf, undefined);
  assert.ok(verifySmtProof(root, c, null, pc, H));
  expectProofs(t, root, m, [c, k32(), new Uint8Array(32).fill(0xff)]);

  const r3 = t.update(root, [{ key: c, value: val(3) }]);
  m.set(hex(c), val(3));
  assert.equal(hex(r3), hex(refRoot(m)));
  // deleting a and c leaves b alone: it lifts all the way to the root
  const r4 = t.update(r3, [{ key: a, value: null }, { key: c, value: null }]);
  assert.equal(hex(r4), hex(leafH(b, val(2))));
  assert.deepEqual(t.prove(r4, b), { siblings: [], leaf: { key: hex(b), value: hex(val(2)) } });
});

test('tampered proofs fail', () => {
  const t = newTree();
  const model = new Map<string, Uint8Array>();
  const ups: SmtUpdate[] = [];
  for (let i = 0; i < 300; i++) {
    const key = H(Uint8Array.of(1, i, i >> 8));
    ups.push({ key, value: val(i) });
    model.set(hex(key), val(i));
  }
  const root = t.update(EMPTY_ROOT, ups);
  const present = ups.slice(0, 40);
  const absent = Array.from({ length: 40 }, (_, i) => H(Uint8Array.of(2, i)));
  const bad = (key: Uint8Array, value: Uint8Array | null, p: SmtProof, what: string): void =>
    assert.equal(verifySmtProof(root, key, value, p, H), false, what);

  for (const { key, value } of present) {
    const p = t.prove(root, key);
    assert.ok(verifySmtProof(root, key, value, p, H));
    assert.ok(p.siblings.length > 0 && p.leaf !== undefined);
    for (let i = 0; i < p.siblings.length; i++) {
      const s = p.siblings.slice();
      s[i] = s[i]!.slice(0, 10) + (s[i]![10] === 'f' ? '0' : 'f') + s[i]!.slice(11);
      bad(key, value, { ...p, siblings: s }, `flip sibling ${i}`);
    }
    bad(key, value, { ...p, siblings: p.siblings.slice(0, -1) }, 'drop last sibling');
    bad(key, value, { ...p, siblings: p.siblings.slice(1) }, 'drop first sibling');
    bad(key, value, { ...p, siblings: [...p.siblings, hex(val(5))] }, 'extra sibling');
    bad(key, value, { ...p, siblings: [...p.siblings, ZERO_HEX] }, 'extra zero sibling');
    bad(key, value, { ...p, siblings: [ZERO_HEX, ...p.siblings] }, 'prepended zero sibling');
    bad(key, value!, { ...p, leaf: { key: p.leaf!.key, value: hex(val(12345)) } }, 'swapped leaf value');
    bad(key, val(12345), { ...p, leaf: { key: p.leaf!.key, value: hex(val(12345)) } }, 'swapped leaf + claimed value');
    bad(key, null, p, 'claim absence of a present key');
    bad(key, null, { siblings: p.siblings }, 'claim absence by dropping the leaf');
    const other = present.find((u) => u.key !== key)!;
    bad(other.key, other.value, p, 'proof for another key');
    bad(other.key, null, p, 'inclusion proof reused as non-inclusion of another present key');
  }
  for (const key of absent) {
    const p = t.prove(root, key);
    assert.ok(verifySmtProof(root, key, null, p, H));
    bad(key, val(1), p, 'claim presence of an absent key');
    if (p.leaf) {
      bad(key, val(1), { ...p, leaf: { key: hex(key), value: hex(val(1)) } }, 'leaf rewritten to the absent key');
      bad(key, null, { ...p, leaf: { key: p.leaf.key, value: hex(val(77)) } }, 'non-inclusion leaf value changed');
    } else {
      bad(key, null, { ...p, leaf: { key: hex(present[0]!.key), value: hex(present[0]!.value!) } }, 'leaf added to empty end');
    }
    if (p.siblings.length > 0) bad(key, null, { ...p, siblings: p.siblings.slice(0, -1) }, 'truncated non-inclusion');
    bad(key, null, { ...p, siblings: [...p.siblings, hex(val(3))] }, 'extended non-inclusion');
  }
  // wrong root
  const k0 = present[0]!;
  assert.equal(verifySmtProof(EMPTY_ROOT, k0.key, k0.value, t.prove(root, k0.key), H), false);
});

test('proofs of non-canonical shapes are refused even when the hashes line up', () => {
  const a = k32(0x00, 1); // bit 0 = 0
  const b = k32(0x80, 1); // bit 0 = 1
  const c = k32(0x40, 1); // bit 0 = 0, absent
  const va = val(1);
  const vb = val(2);
  // A leaf kept below an empty sibling (it would be lifted to the root).
  const unlifted = nodeH(leafH(a, va), ZERO);
  assert.equal(verifySmtProof(unlifted, a, va, { siblings: [ZERO_HEX], leaf: { key: hex(a), value: hex(va) } }, H), false);
  // An internal node with two empty children.
  assert.equal(verifySmtProof(nodeH(ZERO, ZERO), c, null, { siblings: [ZERO_HEX] }, H), false);
  // A leaf at a position its key cannot occupy (b's bit 0 is 1 but it sits on the left).
  const misplaced = nodeH(leafH(b, vb), leafH(a, va));
  assert.equal(verifySmtProof(misplaced, c, null, { siblings: [hex(leafH(a, va))], leaf: { key: hex(b), value: hex(vb) } }, H), false);
  // ...while the canonical tree of {a, b} proves c absent through a.
  const t = newTree();
  const root = t.update(EMPTY_ROOT, [{ key: a, value: va }, { key: b, value: vb }]);
  assert.equal(hex(root), hex(nodeH(leafH(a, va), leafH(b, vb))));
  const pc = t.prove(root, c);
  assert.deepEqual(pc, { siblings: [hex(leafH(b, vb))], leaf: { key: hex(a), value: hex(va) } });
  assert.ok(verifySmtProof(root, c, null, pc, H));
});

test('malformed proofs and inputs return false, never throw', () => {
  const t = newTree();
  const key = H(Uint8Array.of(1));
  const v = val(1);
  const root = t.update(EMPTY_ROOT, [{ key, value: v }, { key: H(Uint8Array.of(2)), value: v }]);
  const p = t.prove(root, key);
  const junk: unknown[] = [
    null, undefined, 0, 'x', [], {}, { siblings: 'ab' }, { siblings: [1] }, { siblings: p.siblings.map((s) => s.toUpperCase()), leaf: p.leaf },
    { siblings: p.siblings.map((s) => s.slice(2)), leaf: p.leaf }, { siblings: p.siblings, leaf: 5 }, { siblings: p.siblings, leaf: { key: 1, value: 2 } },
    { siblings: p.siblings, leaf: { key: p.leaf!.key.slice(2), value: p.leaf!.value } }, { siblings: Array(257).fill(hex(v)), leaf: p.leaf },
  ];
  for (const j of junk) {
    assert.equal(verifySmtProof(root, key, v, j as SmtProof, H), false, JSON.stringify(j));
    assert.equal(verifySmtProof(root, key, null, j as SmtProof, H), false, JSON.stringify(j));
  }
  assert.equal(verifySmtProof(root.slice(1), key, v, p, H), false);
  assert.equal(verifySmtProof(root, key.slice(1), v, p, H), false);
  assert.equal(verifySmtProof(root, key, v.slice(1), p, H), false);
  assert.equal(verifySmtProof(root, key, v, p, () => new Uint8Array(5)), false);
  assert.equal(verifySmtProof(root, key, v, p, () => { throw new Error('boom'); }), false);
});

test('duplicate keys in one batch: the last write wins', () => {
  const t = newTree();
  const k = k32(9);
  const k2 = k32(200);
  const r1 = t.update(EMPTY_ROOT, [{ key: k, value: val(1) }, { key: k2, value: val(5) }, { key: k, value: val(2) }]);
  assert.equal(hex(r1), hex(t.update(EMPTY_ROOT, [{ key: k2, value: val(5) }, { key: k, value: val(2) }])));
  const r2 = t.update(r1, [{ key: k, value: val(3) }, { key: k, value: null }]);
  assert.equal(t.get(r2, k), null);
  assert.equal(hex(r2), hex(leafH(k2, val(5))));
  const r3 = t.update(r2, [{ key: k, value: null }, { key: k, value: val(4) }]);
  assert.equal(hex(t.get(r3, k)!), hex(val(4)));
});

test('bad inputs to update/get/prove throw typed errors', () => {
  const t = newTree();
  const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
  assert.throws(() => t.update(EMPTY_ROOT, [{ key: new Uint8Array(31), value: null }]), code('SMT_BAD_UPDATE'));
  assert.throws(() => t.update(EMPTY_ROOT, [{ key: ZERO, value: new Uint8Array(33) }]), code('SMT_BAD_UPDATE'));
  assert.throws(() => t.update(new Uint8Array(3), []), code('SMT_BAD_ROOT'));
  assert.throws(() => t.get(EMPTY_ROOT, new Uint8Array(3)), code('SMT_BAD_KEY'));
  assert.throws(() => t.get(H(Uint8Array.of(1)), ZERO), code('SMT_MISSING_NODE'));
  assert.throws(() => new SparseMerkleTree(new MemoryNodeStore(), () => new Uint8Array(20)), code('SMT_BAD_HASH'));
});

test('node encoding: round trip, preimage = encoding, corrupt nodes rejected', () => {
  const leaf = { type: 'leaf' as const, key: k32(1), value: val(1) };
  const inner = { type: 'internal' as const, left: ZERO, right: val(2) };
  assert.deepEqual(decodeNode(encodeNode(leaf)), leaf);
  assert.deepEqual(decodeNode(encodeNode(inner)), inner);
  assert.equal(hex(H(encodeNode(leaf))), hex(leafH(leaf.key, leaf.value)));
  assert.equal(hex(H(encodeNode(inner))), hex(nodeH(inner.left, inner.right)));
  const corrupt = (e: unknown) => (e as { code?: string }).code === 'SMT_CORRUPT_NODE';
  assert.throws(() => decodeNode(new Uint8Array(64)), corrupt);
  assert.throws(() => decodeNode(new Uint8Array(66)), corrupt);
  const badTag = encodeNode(leaf);
  badTag[0] = 2;
  assert.throws(() => decodeNode(badTag), corrupt);
  assert.throws(() => decodeNode(cat(Uint8Array.of(1), ZERO, ZERO)), corrupt);

  // a corrupt node in the store surfaces as SMT_CORRUPT_NODE from reads
  const map = new Map<string, Uint8Array>();
  const store: NodeStore = { get: (h) => map.get(hex(h)), put: (h, n) => void map.set(hex(h), n) };
  const t = new SparseMerkleTree(store, H, { cacheSize: 0 });
  const root = t.update(EMPTY_ROOT, [{ key: k32(0), value: val(1) }, { key: k32(0x80), value: val(2) }]);
  map.set(hex(root), new Uint8Array(10));
  assert.throws(() => t.get(root, k32(0)), corrupt);
  assert.throws(() => t.prove(root, k32(0)), corrupt);
});

test('store is content-addressed and an update hashes each new node exactly once, ~log2(n) per key', () => {
  let hashes = 0;
  const counting = (d: Uint8Array): Uint8Array => { hashes++; return H(d); };
  const map = new Map<string, Uint8Array>();
  let puts = 0;
  const store: NodeStore = { get: (h) => map.get(hex(h)), put: (h, n) => { puts++; map.set(hex(h), n); } };
  const t = new SparseMerkleTree(store, counting);
  const n = 4096;
  const ups: SmtUpdate[] = Array.from({ length: n }, (_, i) => ({ key: H(Uint8Array.of(3, i, i >> 8)), value: val(i) }));
  hashes = 0;
  let root = t.update(EMPTY_ROOT, ups);
  assert.equal(hashes, puts, 'one hash call per written node');
  assert.equal(map.size, hashes, 'no node hashed twice');
  // n leaves + about n/ln 2 internal nodes (a random binary trie), never 256 per key
  assert.ok(hashes < 2.6 * n, `fresh build cost ${hashes} hashes for ${n} keys`);
  for (const [h, bytes] of map) assert.equal(hex(H(bytes)), h);

  // one key: leaf + its path (~log2 n = 12, plus a few for the random depth), not 256
  hashes = 0;
  root = t.update(root, [{ key: ups[17]!.key, value: val(1e5) }]);
  assert.ok(hashes >= 10 && hashes <= 30, `single update cost ${hashes} hashes`);
  // a batch: each touched internal node once; shared upper levels make it cheaper per key
  hashes = 0;
  puts = 0;
  const batch = ups.slice(0, 512).map((u, i) => ({ key: u.key, value: val(i + 7e4) }));
  t.update(root, batch);
  assert.equal(hashes, puts);
  assert.ok(hashes / batch.length < 12, `batch cost ${hashes / batch.length} hashes per key`);
  // rewriting identical values writes nothing
  hashes = 0;
  const same = t.update(root, ups.slice(100, 200).map((u) => ({ key: u.key, value: t.get(root, u.key) })));
  assert.equal(hashes, 0);
  assert.equal(hex(same), hex(root));
});

/** A full garbage collection (v8's gc, exposed for this process). */
async function collectGarbage(): Promise<void> {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // WeakRef targets made or read in a job stay alive until it ends: collect in a later turn.
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

test('the node cache keeps no buffer the store returned, and its bytes stay within its size (issue #21 item 6)', async () => {
  // As lmdb does, every read returns a fresh buffer. The old cache kept views into each of them:
  // an object, three views and a native ArrayBuffer per cached node (~315 bytes and more RSS), so a node's
  // chains (cache 200 000 nodes each) grew by hundreds of MB over a soak.
  const inner = new MemoryNodeStore();
  const returned: Array<WeakRef<ArrayBufferLike>> = [];
  const store: NodeStore = {
    get: (h) => {
      const b = inner.get(h);
      if (b === undefined) return undefined;
      const copy = b.slice();
      returned.push(new WeakRef(copy.buffer));
      return copy;
    },
    put: (h, n) => inner.put(h, n),
  };
  const cacheSize = 4096;
  const t = new SparseMerkleTree(store, H, { cacheSize });
  const model = new Map<string, Uint8Array>();
  let root: Uint8Array = EMPTY_ROOT;
  let n = 0;
  // Blocks of new keys and rewrites of old ones, as a chain's state grows: each block loads the
  // upper nodes the one before wrote, so the cache fills with new versions of them.
  for (let block = 0; block < 300; block++) {
    const batch: SmtUpdate[] = [];
    for (let i = 0; i < 20; i++, n++) batch.push({ key: H(Uint8Array.of(9, n & 255, n >> 8, n >> 16)), value: val(n) });
    for (let i = 0; i < 5; i++) batch.push({ key: H(Uint8Array.of(9, (n * 7 + i) % n & 255, ((n * 7 + i) % n) >> 8, 0)), value: val(block) });
    apply(model, batch);
    root = t.update(root, batch);
  }
  assert.equal(hex(root), hex(refRoot(model)), 'the cache changes no root');
  assert.ok(returned.length > 10_000, `the updates read ${returned.length} nodes from the store`);
  assert.ok(t.cacheEntries > cacheSize / 4, `the cache is in use (${t.cacheEntries} nodes)`);
  assert.ok(t.cacheEntries <= cacheSize, `${t.cacheEntries} nodes cached, more than the cache size ${cacheSize}`);
  // Records of 97 bytes (hash and node) and an index of at most 16 bytes a node, per generation.
  assert.ok(t.cacheBytes <= cacheSize * (97 + 16) + 2 * 16_384, `cache of ${cacheSize} nodes holds ${t.cacheBytes} bytes`);
  await collectGarbage();
  const alive = returned.filter((r) => r.deref() !== undefined).length;
  assert.equal(alive, 0, `${alive} of the ${returned.length} buffers the store returned are still kept`);
  // Reads through the cache still answer from it correctly.
  for (const [k, v] of [...model].slice(0, 200)) assert.equal(hex(t.get(root, unhex(k))!), hex(v));
});
