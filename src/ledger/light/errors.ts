/**
 * Errors of the light client. Every check names the code it fails with, so a caller (the SDK, the
 * CLI, the xchain module) can tell "too few signatures" from "the proof is for another value"
 * without reading prose. The style follows CometBFT's light/errors.go: one code per way a header
 * or a proof can be wrong.
 */
import { ShulianError, type ErrorList, type Registered } from '../../codec/index.ts';

export const LIGHT_ERRORS = {
  LIGHT_MALFORMED: 'the header, commit or proof is not the shape it must be (missing fields, bad hex, …)',
  LIGHT_WRONG_CHAIN: 'the header or commit belongs to another chain than the one the client follows',
  LIGHT_HASH_MISMATCH: 'the header does not hash to the block hash it came with',
  LIGHT_ZERO_STATE_ROOT: 'the header\'s state root is all zeros: it proves nothing (Nomad accepted such a root)',
  LIGHT_ATTESTED_CHAIN: 'an attested chain (external engine) has no headers to verify',
  LIGHT_NOT_VALIDATOR: 'the block proposer is not in the validator set of that height',
  LIGHT_BAD_BLOCK_SIGNATURE: 'the proposer\'s block signature does not verify',
  LIGHT_NO_COMMIT: 'a BFT header came without the commit that makes it final',
  LIGHT_COMMIT_OTHER_BLOCK: 'the commit is for another block or height',
  LIGHT_COMMIT_UNKNOWN_SIGNER: 'a precommit in the commit is by someone outside the validator set of that height',
  LIGHT_COMMIT_DUPLICATE_SIGNER: 'a validator\'s precommit appears twice in the commit',
  LIGHT_COMMIT_BAD_SIGNATURE: 'a precommit signature does not verify',
  LIGHT_NOT_ENOUGH_POWER: 'the valid precommits carry no more than 2/3 of the voting power',
  LIGHT_NO_SCHEDULE: 'a header of a chain that tracks validators came without its proven validator schedule',
  LIGHT_MALFORMED_SCHEDULE: 'the validator schedule in the header\'s state is not a list of epochs',
  LIGHT_SCHEDULE_MISMATCH: 'the header\'s own proven schedule names another set for its height than the one that signed it',
  LIGHT_HEIGHT_NOT_TRUSTED: 'no proven schedule covers this height yet: fetch the validator set for it (validatorsAt) first',
  LIGHT_BAD_KEY_PROOF: 'a state proof (inclusion or absence) does not verify against the state root',
  LIGHT_GENESIS_MISMATCH: 'the genesis document does not hash to the trust root the user pinned',
} as const satisfies ErrorList;

export type LightErrorCode = keyof typeof LIGHT_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof LIGHT_ERRORS, 'ledger/light'> {}
}

/** The outcome of one check: ok, or the code and the reason in words. */
export type LightCheck = { ok: true } | { ok: false; code: LightErrorCode; reason: string };

export const LIGHT_OK: LightCheck = { ok: true };

export function lightFail(code: LightErrorCode, reason: string): LightCheck {
  return { ok: false, code, reason };
}

/** A failed light-client check as an exception (for the code paths that throw). */
export class LightClientError extends ShulianError {
  declare readonly code: LightErrorCode;
  /** The reason alone, without the "header chain@height:" prefix the message carries. */
  readonly reason: string;
  constructor(code: LightErrorCode, message: string, reason = message) {
    super(code, message);
    this.name = 'LightClientError';
    this.reason = reason;
  }
}
