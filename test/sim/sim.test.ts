/**
 * CI safety run: every scenario over its seeds (several hundred runs in all). Each run checks
 * agreement, validity, commits, double-signing (across restarts), evidence and liveness after the
 * network heals.
 *
 * Replay one run exactly:  SIM_SCENARIO=<name> SIM_SEED=<seed> node --import tsx --test test/sim/sim.test.ts
 *   (add SIM_SIGNER=ed25519|sm2 for a real-signature run; any scenario name, also coalition-f+1-n4)
 * More seeds:              SIM_SEEDS=1000 [SIM_SEED_BASE=5000] node --import tsx --test test/sim/sim.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SignerKind } from '../helpers/sim/harness.ts';
import { simulate, type SimResult } from '../helpers/sim/harness.ts';
import { replayCommand, scenarioByName, SCENARIOS, withSigner, type Scenario } from '../helpers/sim/scenarios.ts';

const only = process.env.SIM_SCENARIO;
const signer = process.env.SIM_SIGNER as SignerKind | undefined;
const oneSeed = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);
const base = Number(process.env.SIM_SEED_BASE ?? 1);

function report(r: SimResult, scenario: string): string {
  return `${r.name} seed ${r.seed}: ${r.violations.length} violation(s)\n  ${r.violations.join('\n  ')}\n`
    + `  replay: ${replayCommand(scenario, r.seed, signer)}`;
}

let scenarios: Scenario[] = SCENARIOS;
if (only) {
  const sc = scenarioByName(only);
  if (!sc) throw new Error(`unknown SIM_SCENARIO ${only}; known: ${SCENARIOS.map((s) => s.name).join(', ')}, coalition-f+1-n4`);
  scenarios = [sc];
}

for (const plain of scenarios) {
  const sc = signer && signer !== 'fast' ? withSigner(plain, signer, plain.seeds) : plain;
  const count = Number(process.env.SIM_SEEDS ?? sc.seeds);
  const seeds = oneSeed !== undefined ? [oneSeed] : Array.from({ length: count }, (_, i) => base + i);
  test(`sim ${sc.name}: ${seeds.length} seed(s), zero violations`, () => {
    const failures: string[] = [];
    let heights = 0;
    for (const seed of seeds) {
      const r = simulate(sc.make(seed));
      heights += r.heightsDecided;
      if (r.violations.length > 0) {
        failures.push(report(r, plain.name));
        console.error(report(r, plain.name));
      }
    }
    assert.equal(failures.length, 0, failures.join('\n'));
    assert.ok(heights >= seeds.length * 3, 'runs decided too few heights');
  });
}
