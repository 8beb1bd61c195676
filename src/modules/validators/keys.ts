import { fullKeys, stateKey } from '../../codec/index.ts';
import type { ValidatorApprovals, ValidatorEpoch } from './types.ts';

/** State layout of the validators module. */
export const VALIDATORS = 'validators';

export const validatorsKey = {
  /** The genesis set, then each scheduled change with the height it takes effect at (absent until the first change). */
  schedule: () => stateKey<ValidatorEpoch[]>('schedule'),
  /** Approvals gathered for a change (SM3 of height and set) not scheduled yet. */
  approvals: (id: string) => stateKey<ValidatorApprovals>(`approvals/${id}`),
};

export const validatorsStateKey = fullKeys(VALIDATORS, validatorsKey);
/** Full state key of the schedule, for readers outside the module. */
export const SCHEDULE_KEY = validatorsStateKey.schedule();
