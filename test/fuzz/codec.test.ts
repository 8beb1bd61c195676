/**
 * Fuzz of the codec (src/codec): RFC 8785 canonical JSON, and the hex and base58 decoders that
 * every wire format uses. Whatever a caller hands in — any JavaScript value, any string — the
 * answer is a result or a ShulianError with a code and a message naming where; never another
 * exception, and never a result that breaks the round trip.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { base58 as scureBase58 } from '@scure/base';
import { MAX_CANONICAL_DEPTH } from '../../src/codec/canonical.ts';
import { canonicalize, fromBase58, fromHex, isHex, ShulianError, toBase58, toHex, type JsonValue } from '../../src/codec/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const typed = (codes: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof ShulianError, `threw ${String(err)} instead of a ShulianError`);
  assert.match(err.code, codes);
  assert.ok(err.message.length > 10, `${err.code} without a message`);
  return true;
};

test('canonicalize: any JavaScript value gives canonical JSON that round-trips, or a typed error naming the path', () => {
  const anything = fc.anything({
    maxDepth: 4, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true,
    withObjectString: true, withSparseArray: true, withTypedArray: true, withUnicodeString: true,
  });
  const b = bounded(3000, 5000);
  fc.assert(fc.property(anything, b.guard((v) => {
    let s: string;
    try {
      s = canonicalize(v);
    } catch (err) {
      typed(/^CANONICAL_JSON_(NUMBER|TYPE|DEPTH)$/)(err);
      assert.match((err as Error).message, /^\$/, 'the message starts with the path of the bad value');
      return;
    }
    const back = JSON.parse(s) as JsonValue;
    assert.equal(canonicalize(back), s, 'canonical form is a fixed point');
  })), b.params);
});

test('canonicalize: JSON text of any shape (as parsed off the wire) canonicalises; key order and whitespace do not matter', () => {
  const b = bounded(2000, 4000);
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 4 }), b.guard((v, indent) => {
    const parsed = JSON.parse(JSON.stringify(v, null, indent)) as JsonValue;
    const shuffled = JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x))) as JsonValue;
    assert.equal(canonicalize(parsed), canonicalize(shuffled));
  })), b.params);
});

test('canonicalize: hostile nesting off the wire is refused with a typed error, not a stack overflow (regression)', () => {
  // Found by this fuzz: 20 000 nested arrays (JSON.parse takes them) overflowed the stack with a RangeError.
  for (const depth of [MAX_CANONICAL_DEPTH, MAX_CANONICAL_DEPTH + 1, 50_000, 500_000]) {
    for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
      const v = JSON.parse(open.repeat(depth) + '1' + close.repeat(depth)) as JsonValue;
      if (depth <= MAX_CANONICAL_DEPTH) {
        assert.equal(canonicalize(v).length, depth * (open.length + close.length) + 1);
        continue;
      }
      assert.throws(() => canonicalize(v), typed(/^CANONICAL_JSON_DEPTH$/));
      assert.throws(() => canonicalize(v), { message: new RegExp(`^\\$[^ ]{0,61}: nested deeper than ${MAX_CANONICAL_DEPTH} levels`) });
    }
  }
});

test('fromHex / isHex: any string decodes exactly when it is lowercase even-length hex; the bytes round-trip', () => {
  const hexish = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map(toHex),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF xg-'), maxLength: 70 }),
    fc.string({ maxLength: 40 }),
  );
  const b = bounded(3000, 4000);
  fc.assert(fc.property(hexish, fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }), b.guard((s, bytes) => {
    const ok = /^(?:[0-9a-f]{2})*$/.test(s) && (bytes === undefined || s.length === bytes * 2);
    assert.equal(isHex(s, bytes), ok);
    if (!ok) {
      assert.throws(() => fromHex(s, bytes, 'the field'), typed(/^BAD_HEX$/));
      return;
    }
    assert.equal(toHex(fromHex(s, bytes)), s);
  })), b.params);
  const c = bounded(500, 1000);
  fc.assert(fc.property(fc.anything({ maxDepth: 1 }), c.guard((v) => {
    fc.pre(typeof v !== 'string');
    assert.equal(isHex(v), false);
    assert.throws(() => fromHex(v as string), typed(/^BAD_HEX$/));
  })), c.params);
});

test('fromBase58: any string decodes or fails with BAD_BASE58; what decodes re-encodes to itself', () => {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const b = bounded(3000, 4000);
  fc.assert(fc.property(fc.oneof(
    fc.uint8Array({ maxLength: 48 }).map(toBase58),
    fc.string({ unit: fc.constantFrom(...(alphabet + '0OIl+/= ')), maxLength: 60 }),
    fc.string({ maxLength: 30 }),
  ), b.guard((s) => {
    let bytes: Uint8Array;
    try {
      bytes = fromBase58(s, 'the id');
    } catch (err) {
      typed(/^BAD_BASE58$/)(err);
      assert.match((err as Error).message, /the id/);
      return;
    }
    assert.equal(toBase58(bytes), s);
  })), b.params);
});

test('fromBase58 decodes as @scure/base does (its own limb arithmetic is on the verification path): the same bytes, leading zeros kept, the same strings refused', () => {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const b = bounded(3000, 4000);
  fc.assert(fc.property(fc.oneof(
    fc.tuple(fc.nat({ max: 4 }), fc.uint8Array({ maxLength: 80 })).map(([z, bytes]) => scureBase58.encode(Uint8Array.of(...new Array<number>(z).fill(0), ...bytes))),
    fc.string({ unit: fc.constantFrom(...(alphabet + '0OIl ')), maxLength: 120 }),
  ), b.guard((s) => {
    let want: string;
    try {
      want = toHex(scureBase58.decode(s));
    } catch {
      assert.throws(() => fromBase58(s), typed(/^BAD_BASE58$/));
      return;
    }
    assert.equal(toHex(fromBase58(s)), want);
  })), b.params);
  // Edges: empty, only zero bytes, one past a limb, the largest 64-byte value.
  for (const bytes of [new Uint8Array(0), new Uint8Array(3), Uint8Array.of(1, 0, 0, 0), Uint8Array.of(0, 0xff, 0xff, 0xff), new Uint8Array(64).fill(0xff)]) {
    assert.equal(toHex(fromBase58(scureBase58.encode(bytes))), toHex(bytes));
  }
});
