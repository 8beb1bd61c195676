/**
 * The simulator with real signatures, its determinism, and proof that its checker can fail:
 * f+1 colluding validators, a WAL that forgets, and an injected conflicting decision must all be caught.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulate } from '../helpers/sim/harness.ts';
import { OVER_THRESHOLD, replayCommand, scenarioByName, withSigner } from '../helpers/sim/scenarios.ts';

function clean(name: string, seeds: number[], signer?: 'ed25519' | 'sm2'): void {
  const base = scenarioByName(name)!;
  const sc = signer ? withSigner(base, signer, seeds.length) : base;
  for (const seed of seeds) {
    const r = simulate(sc.make(seed));
    assert.deepEqual(r.violations, [], `${sc.name} seed ${seed}\n  replay: ${replayCommand(name, seed, signer)}`);
    assert.ok(r.heightsDecided >= 3);
  }
}

test('real Ed25519 signatures: faults and Byzantine validators, zero violations', () => {
  clean('chaos-n4', [1, 2, 3, 4, 5], 'ed25519');
  clean('mixed-n7', [1, 2, 3], 'ed25519');
  clean('double-vote-n7', [1, 2], 'ed25519');
});

test('real SM2 signatures: one Byzantine run', () => {
  clean('equivocate-n4', [1], 'sm2');
});

test('a seed replays exactly', () => {
  for (const name of ['chaos-n4', 'mixed-n7']) {
    const sc = scenarioByName(name)!;
    const a = simulate(sc.make(7));
    const b = simulate(sc.make(7));
    assert.equal(a.trace, b.trace);
    assert.equal(a.events, b.events);
    assert.deepEqual(a.heights, b.heights);
    assert.notEqual(simulate(sc.make(8)).trace, a.trace);
  }
});

test('checker catches disagreement when f+1 of 4 validators collude', () => {
  let caught = 0;
  let first = '';
  for (let seed = 1; seed <= OVER_THRESHOLD.seeds; seed++) {
    const r = simulate(OVER_THRESHOLD.make(seed));
    if (r.violations.some((v) => v.includes('agreement'))) {
      caught++;
      first ||= `seed ${seed}: ${r.violations[0]}`;
    }
  }
  console.log(`f+1 coalition: agreement violated in ${caught}/${OVER_THRESHOLD.seeds} runs (first ${first}); replay: ${replayCommand(OVER_THRESHOLD.name, 1)}`);
  assert.ok(caught > 0, 'the checker never saw the disagreement that 2 of 4 colluding validators can cause');
});

test('checker catches double-signing when a restarted validator has lost its WAL', () => {
  const sc = scenarioByName('crash-n4')!;
  let caught = 0;
  for (let seed = 1; seed <= 20; seed++) {
    if (simulate({ ...sc.make(seed), loseWalOnCrash: true }).violations.some((v) => v.includes('double-sign'))) caught++;
  }
  assert.ok(caught > 0);
  // …and with the WAL kept, the same seeds are clean.
  for (let seed = 1; seed <= 20; seed++) assert.deepEqual(simulate(sc.make(seed)).violations, []);
});

test('checker flags an injected conflicting decision', () => {
  const r = simulate({ ...scenarioByName('calm-n4')!.make(1), injectConflictAt: 2 });
  assert.ok(r.violations.some((v) => v.includes('agreement: height 2')), r.violations.join('\n'));
});
