/**
 * Types of the validators module. The schedule it keeps is what light clients follow, so its
 * shape lives with the light client (src/ledger/light/schedule.ts, through the ledger's face) and
 * is named here.
 */
export { SCHEDULE_LEAD as MIN_DELAY, validatorsFor, type ValidatorEpoch } from '../../ledger/index.ts';

/** Validators that approved one change so far (keyed by its digest). */
export interface ValidatorApprovals {
  voters: string[];
}
