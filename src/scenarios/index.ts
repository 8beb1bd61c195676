/**
 * The scenarios of issue #19 (scenarios/<name>/README.md tells each story): runners over the SDK
 * that create what they need through governance on a running alliance and report every step.
 */
import { ShulianError } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { ShulianClient } from '../sdk/index.ts';
import { runLowCarbon, type ScenarioOptions } from './lowcarbon.ts';
import { runRural } from './rural.ts';
import type { ScenarioReport } from './report.ts';

export { formatReport, type ScenarioReport, type ScenarioStep } from './report.ts';
export { LOWCARBON_CHAIN, LOWCARBON_TERMS, type ScenarioOptions } from './lowcarbon.ts';
export { RURAL_CHAINS, RURAL_TERMS } from './rural.ts';

export const SCENARIOS = ['rural', 'lowcarbon'] as const;

export function runScenario(name: string, c: ShulianClient, operator: KeyPair, o: ScenarioOptions): Promise<ScenarioReport> {
  if (name === 'lowcarbon') return runLowCarbon(c, operator, o);
  if (name === 'rural') return runRural(c, operator, o);
  throw new ShulianError('SCENARIO_UNKNOWN', `no scenario "${name}": the scenarios are ${SCENARIOS.join(', ')}`);
}
export { GOV_REFUSED_READ_RULE, agencyKeys, ensureGovSystem, type GovPresetOptions } from './gov.ts';
export { DEMO_RULE, runDemo, type DemoOptions, type DemoResult } from './demo.ts';
