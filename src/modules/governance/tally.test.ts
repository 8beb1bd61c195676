import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, passes } from './tally.ts';
import type { Tally } from './types.ts';

const rulesArb = fc.record({ quorumBps: fc.integer({ min: 1, max: 10_000 }), thresholdBps: fc.integer({ min: 0, max: 9_999 }) });

/** Every way the members who have not voted yet could still vote (or not vote at all). */
function completions(t: Tally, remaining: number): Tally[] {
  const out: Tally[] = [];
  for (let y = 0; y <= remaining; y++) {
    for (let n = 0; y + n <= remaining; n++) {
      for (let a = 0; y + n + a <= remaining; a++) out.push({ yes: t.yes + y, no: t.no + n, abstain: t.abstain + a });
    }
  }
  return out;
}

test('an early decision is never contradicted by the votes still to come', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 9 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }))),
    rulesArb,
    ([n, y, no, a], rules) => {
      fc.pre(y + no + a <= n);
      const t = { yes: y, no, abstain: a };
      const d = decide(t, n, rules, false);
      const finals = completions(t, n - y - no - a).map((c) => passes(c, n, rules));
      if (d.decision === 'approved') assert.ok(finals.every(Boolean), 'approved early but some completion fails');
      if (d.decision === 'rejected') assert.ok(finals.every((f) => !f), 'rejected early but some completion passes');
      // And it decides as soon as it can: undecided only while completions disagree.
      if (d.decision === 'undecided') assert.ok(finals.some(Boolean) && finals.some((f) => !f), 'undecided although every completion agrees');
    },
  ), { numRuns: 2_000 });
});

test('the final decision is the tally as it stands, naming what was missed', () => {
  const maj = { quorumBps: 5_000, thresholdBps: 5_000 };
  assert.deepEqual(decide({ yes: 1, no: 0, abstain: 0 }, 3, maj, true), { decision: 'rejected', reason: 'quorum' });
  assert.deepEqual(decide({ yes: 1, no: 1, abstain: 0 }, 3, maj, true), { decision: 'rejected', reason: 'threshold' });
  assert.deepEqual(decide({ yes: 1, no: 0, abstain: 1 }, 3, maj, true), { decision: 'approved' });
  // Abstentions count for quorum only.
  assert.deepEqual(decide({ yes: 0, no: 0, abstain: 3 }, 3, maj, true), { decision: 'rejected', reason: 'threshold' });
  // 2 of 3 yes with a simple majority: settled before the third vote.
  assert.deepEqual(decide({ yes: 2, no: 0, abstain: 0 }, 3, maj, false), { decision: 'approved' });
  assert.deepEqual(decide({ yes: 1, no: 0, abstain: 0 }, 3, maj, false), { decision: 'undecided' });
  assert.deepEqual(decide({ yes: 0, no: 2, abstain: 0 }, 3, maj, false), { decision: 'rejected', reason: 'vote' });
  // Two thirds: 2 of 3 yes is more than 66.66 %.
  assert.deepEqual(decide({ yes: 2, no: 1, abstain: 0 }, 3, { quorumBps: 6_666, thresholdBps: 6_666 }, true), { decision: 'approved' });
});
