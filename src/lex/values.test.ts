import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Rat, add, addMonths, civilFromDays, cmp, dateWords, daysFromCivil, div, instantText, int, majorText, mul, parseDecimal, parseInstant,
  parseRational, ratToString, roundRat, sub, type RoundingMode,
} from './values.ts';
import { LexError } from './errors.ts';

const r = (s: string): Rat => parseRational(s)!;

test('rounding modes on positive and negative halves and non-halves', () => {
  const table: Array<[string, RoundingMode, bigint]> = [
    ['5/2', 'up', 3n], ['5/2', 'down', 2n], ['5/2', 'half-up', 3n], ['5/2', 'half-down', 2n], ['5/2', 'half-even', 2n],
    ['7/2', 'half-even', 4n], ['-5/2', 'up', -2n], ['-5/2', 'down', -3n], ['-5/2', 'half-up', -3n], ['-5/2', 'half-down', -2n],
    ['-5/2', 'half-even', -2n], ['1/3', 'up', 1n], ['1/3', 'half-up', 0n], ['2/3', 'half-down', 1n], ['-1/3', 'up', 0n],
    ['-2/3', 'down', -1n], ['4', 'up', 4n], ['-4', 'down', -4n], ['1001/1000', 'up', 2n], ['1999/1000', 'down', 1n],
  ];
  for (const [x, mode, want] of table) assert.equal(roundRat(r(x), mode), want, `${x} ${mode}`);
});

test('rounding is bracketed by floor and ceiling and idempotent on integers (property)', () => {
  fc.assert(fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.constantFrom<RoundingMode>('up', 'down', 'half-up', 'half-down', 'half-even'), (n, d, mode) => {
    const x = div(int(n), int(d));
    const k = roundRat(x, mode);
    const lo = roundRat(x, 'down');
    const hi = roundRat(x, 'up');
    assert.ok(k === lo || k === hi);
    assert.ok(lo <= hi && hi - lo <= 1n);
    assert.equal(cmp(int(lo), x) <= 0, true);
    assert.equal(roundRat(int(k), mode), k);
  }));
});

test('decimals are exact: 0.1 + 0.2 is 0.3, never 0.30000000000000004', () => {
  assert.equal(ratToString(add(r('0.1'), r('0.2'))), '0.3');
  assert.equal(ratToString(mul(r('1.1'), r('100'))), '110');
  assert.equal(ratToString(div(int(1), int(3))), '1/3');
  assert.equal(ratToString(r('-0.105')), '-0.105');
  assert.equal(parseDecimal('1e5'), undefined);
  assert.equal(parseDecimal('.5'), undefined);
  assert.equal(majorText(1234567n, 'CNY', true), '12,345.67');
  assert.equal(majorText(-5n, 'CNY'), '-0.05');
  assert.equal(majorText(12345n, 'JPY', true), '12,345');
  assert.equal(majorText(12345n, 'KWD'), '12.345');
});

test('arithmetic is exact and field-like (property)', () => {
  const arb = fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 9n })).map(([n, d]) => div(int(n), int(d)));
  fc.assert(fc.property(arb, arb, (a, b) => {
    assert.equal(cmp(sub(add(a, b), b), a), 0);
    if (b.n !== 0n) assert.equal(cmp(mul(div(a, b), b), a), 0);
    assert.equal(cmp(parseRational(ratToString(a))!, a), 0);
  }));
});

test('numbers are bounded: past 256 bits the contract refuses with a typed error', () => {
  const big = int(2n ** 200n);
  assert.throws(() => mul(big, big), (e: unknown) => e instanceof LexError && e.code === 'NUMBER_TOO_LARGE');
  assert.throws(() => div(int(1), int(0)), (e: unknown) => e instanceof LexError && e.code === 'DIVISION_BY_ZERO');
});

test('calendar: days from civil round-trips over 1970–9999 (property) and matches the ISO calendar', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2_932_896 }), (z) => {
    const { y, m, d } = civilFromDays(z);
    assert.equal(daysFromCivil(y, m, d), z);
  }));
  assert.equal(daysFromCivil(2024, 2, 29) * 86_400_000, Date.UTC(2024, 1, 29));
  assert.equal(daysFromCivil(2000, 3, 1) * 86_400_000, Date.UTC(2000, 2, 1));
});

test('instants: strict ISO parsing in the contract time zone, and stable text', () => {
  const off = 480;
  assert.equal(parseInstant('2024-03-01', off), Date.UTC(2024, 1, 29, 16));
  assert.equal(parseInstant('2024-03-01T12:30', off), Date.UTC(2024, 2, 1, 4, 30));
  assert.equal(parseInstant('2024-03-01T12:30:00Z', off), Date.UTC(2024, 2, 1, 12, 30));
  assert.equal(parseInstant('2024-03-01T12:30:00.5-05:00', off), Date.UTC(2024, 2, 1, 17, 30, 0, 500));
  for (const bad of ['2023-02-29', '2024-13-01', '2024-03-01T24:00', '1969-12-31', '2024-3-1', '2024-03-01T12:30+8', 'tomorrow']) {
    assert.equal(parseInstant(bad, off), undefined, bad);
  }
  const t = parseInstant('2024-03-03T12:00:00+08:00', off)!;
  assert.equal(instantText(t, off), '2024-03-03T12:00:00.000+08:00');
  assert.equal(instantText(t, 0), '2024-03-03T04:00:00.000Z');
  assert.equal(dateWords(parseInstant('2024-03-01', off)!, off, 'en'), 'the start of 1 March 2024 (UTC+08:00)');
  assert.equal(dateWords(t, off, 'zh-CN'), '2024年3月3日 12:00（UTC+08:00）');
});

test('calendar months: the same wall-clock time, clamped to the end of shorter months', () => {
  const off = 480;
  const jan31 = parseInstant('2024-01-31T09:00', off)!;
  assert.equal(instantText(addMonths(jan31, 1, off), off), '2024-02-29T09:00:00.000+08:00');
  assert.equal(instantText(addMonths(jan31, 13, off), off), '2025-02-28T09:00:00.000+08:00');
  assert.equal(instantText(addMonths(jan31, -2, off), off), '2023-11-30T09:00:00.000+08:00');
  assert.equal(instantText(addMonths(parseInstant('2024-01-01', off)!, 12, off), off), '2025-01-01T00:00:00.000+08:00');
});
