/** Errors of the consensus engines (tbft core and its write-ahead log). */
import type { ErrorList, Registered } from '../codec/index.ts';

export const CONSENSUS_ERRORS = {
  TBFT_BAD_POWER: 'a validator\'s voting power is not a safe integer',
  TBFT_DUPLICATE_VALIDATOR: 'a validator appears twice in the set',
  TBFT_EMPTY_SET: 'the validator set has no voting power',
  TBFT_LOOP: 'the tbft rules did not settle (an engine bug)',
  TBFT_STARTED: 'the tbft core was started twice',
  TBFT_TRACE_DIR_INVALID: 'SHULIAN_TBFT_TRACE names a directory that cannot be made',
  WAL_CORRUPT: 'the write-ahead log cannot be read back',
  WAL_RECORD_TOO_LARGE: 'a write-ahead log record is larger than allowed',
} as const satisfies ErrorList;

export type ConsensusErrorCode = keyof typeof CONSENSUS_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CONSENSUS_ERRORS, 'consensus'> {}
}
