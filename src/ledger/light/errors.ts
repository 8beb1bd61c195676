/**
 * Errors of the light client. Every check names the code it fails with, so a caller (the SDK, the
 * CLI, the xchain module) can tell "too few signatures" from "the proof is for another value"
 * without reading prose. The style follows CometBFT's light/errors.go: one code per way a header
 * or a proof can be wrong.
 */
import { ShulianError } from '../../codec/index.ts';

export type LightErrorCode =
  /** The header, commit or proof is not the shape it must be (missing fields, bad hex, …). */
  | 'LIGHT_MALFORMED'
  /** The header or commit belongs to another chain than the one the client follows. */
  | 'LIGHT_WRONG_CHAIN'
  /** The header does not hash to the block hash it came with. */
  | 'LIGHT_HASH_MISMATCH'
  /** The header's state root is all zeros: it proves nothing (Nomad accepted such a root). */
  | 'LIGHT_ZERO_STATE_ROOT'
  /** An attested chain (external engine) has no headers to verify. */
  | 'LIGHT_ATTESTED_CHAIN'
  /** The block proposer is not in the validator set of that height. */
  | 'LIGHT_NOT_VALIDATOR'
  /** The proposer's block signature does not verify. */
  | 'LIGHT_BAD_BLOCK_SIGNATURE'
  /** A BFT header came without the commit that makes it final. */
  | 'LIGHT_NO_COMMIT'
  /** The commit is for another block or height. */
  | 'LIGHT_COMMIT_OTHER_BLOCK'
  /** A precommit in the commit is by someone outside the validator set of that height. */
  | 'LIGHT_COMMIT_UNKNOWN_SIGNER'
  /** A validator's precommit appears twice in the commit. */
  | 'LIGHT_COMMIT_DUPLICATE_SIGNER'
  /** A precommit signature does not verify. */
  | 'LIGHT_COMMIT_BAD_SIGNATURE'
  /** The valid precommits carry no more than 2/3 of the voting power. */
  | 'LIGHT_NOT_ENOUGH_POWER'
  /** A header of a chain that tracks validators came without its proven validator schedule. */
  | 'LIGHT_NO_SCHEDULE'
  /** The validator schedule in the header's state is not a list of epochs. */
  | 'LIGHT_MALFORMED_SCHEDULE'
  /** The header's own proven schedule names another set for its height than the one that signed it. */
  | 'LIGHT_SCHEDULE_MISMATCH'
  /** No proven schedule covers this height yet: fetch the validator set for it (validatorsAt) first. */
  | 'LIGHT_HEIGHT_NOT_TRUSTED'
  /** A state proof (inclusion or absence) does not verify against the state root. */
  | 'LIGHT_BAD_KEY_PROOF'
  /** The genesis document does not hash to the trust root the user pinned. */
  | 'LIGHT_GENESIS_MISMATCH';

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
