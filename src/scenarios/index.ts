/**
 * The scenarios of issue #19 (scenarios/<name>/README.md tells each story): runners over the SDK
 * that create what they need through governance on a running alliance and report every step.
 */
import { ShulianError } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { ShulianClient } from '../sdk/index.ts';
import { runLowCarbon, type ScenarioOptions } from './lowcarbon.ts';
import type { ScenarioReport } from './report.ts';

export { formatReport, type ScenarioReport, type ScenarioStep } from './report.ts';
export { LOWCARBON_CHAIN, LOWCARBON_TERMS, type ScenarioOptions } from './lowcarbon.ts';

export const SCENARIOS = ['lowcarbon'] as const;

export function runScenario(name: string, c: ShulianClient, operator: KeyPair, o: ScenarioOptions): Promise<ScenarioReport> {
  if (name === 'lowcarbon') return runLowCarbon(c, operator, o);
  throw new ShulianError('SCENARIO_UNKNOWN', `no scenario "${name}": the scenarios are ${SCENARIOS.join(', ')} (rural is not built yet)`);
}
