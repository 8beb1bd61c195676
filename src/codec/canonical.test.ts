import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalize } from './index.ts';

// RFC 8785 §3.2.3 sorting example and Appendix B number examples.
test('RFC 8785 §3.2.2 example object canonicalises to the RFC output', () => {
  const input = {
    numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
    string: '\u20ac$\u000f\u000aA\'\u0042\u0022\u005c\\"/',
    literals: [null, true, false],
  };
  assert.equal(
    canonicalize(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

test('RFC 8785 §3.2.3 sorts keys by UTF-16 code units', () => {
  const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
  // Read the values in serialised order (JSON.parse would move the integer-like key "1" first).
  const values = [...canonicalize(input).matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(values, [
    'Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh',
  ]);
});

test('RFC 8785 Appendix B number serialisation', () => {
  const cases: Array<[number, string]> = [
    [0, '0'], [-0, '0'], [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'], [295147905179352830000, '295147905179352830000'],
    [1e21, '1e+21'], [1e-7, '1e-7'], [0.000001, '0.000001'], [-1.5, '-1.5'],
  ];
  for (const [n, s] of cases) assert.equal(canonicalize(n), s);
});

test('rejects values JSON cannot carry, naming the path', () => {
  assert.throws(() => canonicalize({ a: [1, NaN] }), /\$\.a\[1\]/);
  assert.throws(() => canonicalize({ a: 1n }), { code: 'CANONICAL_JSON_TYPE' });
  assert.throws(() => canonicalize(new Date()), { code: 'CANONICAL_JSON_TYPE' });
});

test('canonical form is stable under key order and JSON round trip (property)', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    const c = canonicalize(v);
    assert.equal(canonicalize(JSON.parse(c)), c);
  }), { numRuns: 300 });
});
