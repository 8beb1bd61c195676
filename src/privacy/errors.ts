/** Codes of the privacy-computing parties and protocols (src/privacy, docs/privacy.md). */
import type { ErrorList, Registered } from '../codec/index.ts';

export const PRIVACY_ERRORS = {
  PRIVACY_BAD_POINT: 'a peer sent a group element that is not a canonical, non-identity point of the run\'s group',
  PRIVACY_BAD_MESSAGE: 'a protocol message is malformed: wrong shape, step, size or encoding',
  PRIVACY_WRONG_COUNT: 'a peer sent a different number of elements than it announced or than the step requires',
  PRIVACY_REPLAY: 'a message names another run, or repeats a step of this run',
  PRIVACY_LIMIT: 'a dataset, batch or column count is over the protocol\'s limits',
  PRIVACY_BAD_DATASET: 'a dataset file has a malformed line (not a DID key, a missing or non-integer value)',
  PRIVACY_BAD_KEY: 'a Paillier key or ciphertext is malformed or out of range',
  PRIVACY_PEER: 'the other party refused a step, failed or stopped answering mid-run',
  PRIVACY_NOT_AUTHORISED: 'the chain does not admit this run for this party (request, grant, consent or role)',
  PRIVACY_UNAUTHENTICATED: 'a message is not signed by the DID the run names for that role',
} as const satisfies ErrorList;

export type PrivacyErrorCode = keyof typeof PRIVACY_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof PRIVACY_ERRORS, 'privacy'> {}
}
