/** Codes of the scenario runner (scenarios/*, `shulian scenario run`). */
import type { ErrorList, Registered } from '../codec/index.ts';

export const SCENARIO_ERRORS = {
  SCENARIO_FAILED: 'a scenario step did not have the outcome the scenario expects (the message names the step)',
  SCENARIO_UNKNOWN: 'no scenario of that name (rural, lowcarbon, medical, trade)',
} as const satisfies ErrorList;

export type ScenarioErrorCode = keyof typeof SCENARIO_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof SCENARIO_ERRORS, 'scenarios'> {}
}
