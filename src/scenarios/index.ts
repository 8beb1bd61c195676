/**
 * The scenarios of issues #19 and #26 (scenarios/<name>/README.md tells each story): runners over the SDK
 * that create what they need through governance on a running alliance and report every step.
 */
import { ShulianError } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { ShulianClient } from '../sdk/index.ts';
import { runLowCarbon, type ScenarioOptions } from './lowcarbon.ts';
import { runMedical } from './medical.ts';
import { runRural } from './rural.ts';
import { runTrade, type PartnerEvm } from './trade.ts';
import type { ScenarioReport } from './report.ts';

export { formatReport, type ScenarioReport, type ScenarioStep } from './report.ts';
export { LOWCARBON_CHAIN, LOWCARBON_TERMS, type ScenarioOptions } from './lowcarbon.ts';
export { RURAL_CHAINS, RURAL_TERMS } from './rural.ts';
export { TRADE_CHAINS, TRADE_TERMS, tradeRules, type PartnerEvm, type TradeOptions } from './trade.ts';
export { checkUblInvoice, renderUblInvoice, ublTotals, type UblInvoiceInput } from './ubl.ts';
export { MEDICAL_TERMS, MEDICAL_COLUMNS, consortiumPayout, expectedAggregate, planCharge, splitFen } from './medical-terms.ts';
export { MEDICAL_CONTRACT_SOURCE } from './medical-contract.ts';
export type { ScenarioServices, PrivacyAsk, PrivacyOutcome, RunningService } from './services.ts';

export const SCENARIOS = ['rural', 'lowcarbon', 'medical', 'trade'] as const;

export function runScenario(name: string, c: ShulianClient, operator: KeyPair, o: ScenarioOptions & { partner?: PartnerEvm }): Promise<ScenarioReport> {
  if (name === 'trade') return runTrade(c, operator, o);
  if (name === 'lowcarbon') return runLowCarbon(c, operator, o);
  if (name === 'rural') return runRural(c, operator, o);
  if (name === 'medical') return runMedical(c, operator, o);
  throw new ShulianError('SCENARIO_UNKNOWN', `no scenario "${name}": the scenarios are ${SCENARIOS.join(', ')}`);
}
export { GOV_REFUSED_READ_RULE, agencyKeys, ensureGovSystem, type GovPresetOptions } from './gov.ts';
export { DEMO_RULE, runDemo, type DemoOptions, type DemoResult } from './demo.ts';
