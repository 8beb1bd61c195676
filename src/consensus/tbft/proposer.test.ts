import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ValidatorInfo } from '../../ledger/index.ts';
import { MAX_PROPOSER_PERIOD, ProposerSchedule } from './proposer.ts';

const set = (powers: number[]): ValidatorInfo[] => powers.map((power, i) => ({ did: `did:shulian:v${String(i).padStart(3, '0')}`, publicKey: '', power }));
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

test('property: over one period every validator proposes exactly power/gcd times, whatever the input order', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 12 }), fc.nat(), (powers, seed) => {
    const vals = set(powers);
    const s = new ProposerSchedule(vals);
    const g = powers.reduce(gcd, 0);
    const period = powers.reduce((a, p) => a + p / g, 0);
    assert.equal(s.sequence.length, period);
    const count = new Map<string, number>();
    for (const d of s.sequence) count.set(d, (count.get(d) ?? 0) + 1);
    vals.forEach((v) => assert.equal(count.get(v.did), v.power / g));
    // a shuffled copy of the set gives the same schedule
    const shuffled = vals.slice().sort((a, b) => ((a.did.charCodeAt(a.did.length - 1) * 31 + seed) % 7) - ((b.did.charCodeAt(b.did.length - 1) * 31 + seed) % 7));
    assert.deepEqual(new ProposerSchedule(shuffled).sequence, s.sequence);
    // proposer(h, r) advances one step per height and per round
    assert.equal(s.proposer(seed % 1000, 3), s.proposer((seed % 1000) + 3, 0));
  }));
});

test('equal powers rotate through every validator in turn; weights spread out (smooth)', () => {
  const s = new ProposerSchedule(set([1, 1, 1, 1]));
  assert.deepEqual(new Set([0, 1, 2, 3].map((h) => s.proposer(h, 0))).size, 4);
  const w = new ProposerSchedule(set([3, 1, 1]));
  // 3:1:1 never gives the heavy validator more than two turns in a row
  const seq = w.sequence.join(',') + ',' + w.sequence.join(',');
  assert.ok(!seq.includes(['did:shulian:v000', 'did:shulian:v000', 'did:shulian:v000'].join(',')));
});

test('zero-power validators never propose; bad sets are refused; huge periods are scaled', () => {
  const s = new ProposerSchedule(set([0, 2, 0, 1]));
  assert.ok(s.sequence.every((d) => d === 'did:shulian:v001' || d === 'did:shulian:v003'));
  assert.throws(() => new ProposerSchedule(set([0, 0])), /TBFT_EMPTY_SET|no voting power/);
  assert.throws(() => new ProposerSchedule([...set([1]), ...set([1])]), /twice/);
  const big = new ProposerSchedule(set([1_000_003, 999_983, 7]));
  assert.ok(big.sequence.length <= MAX_PROPOSER_PERIOD + 3);
  assert.ok(big.sequence.includes('did:shulian:v002'));
});
