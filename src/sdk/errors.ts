/** Errors the SDK (and the console and CLI over it) raise on the client side; codes a node answers with pass through as they came. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const SDK_ERRORS = {
  NODE_TIMEOUT: 'the node did not answer in time',
  TX_FAILED: 'the transaction is in a block but failed, and its receipt names no code',
  TX_PENDING: 'the transaction is still pending, so there is nothing to verify yet',
  TX_TIMEOUT: 'the transaction was not committed in time',
  STREAM_CLOSED: 'the event stream closed before the subscription was confirmed',
  STREAM_ERROR: 'the event stream reported an error that named no code',
  PROOF_INVALID: 'the node\'s answer does not verify against its proof or signed header',
  GENESIS_NOT_PINNED: 'no genesis hash is pinned for the chain, so its answers cannot be trusted',
  BAD_GENESIS_HASH: 'a genesis hash is not 64 lowercase hex digits',
  PIN_FILE_INVALID: 'the genesis pin file is not valid',
  PIN_FILE_UNREADABLE: 'the genesis pin file cannot be read',
  PIN_FILE_UNWRITABLE: 'the genesis pin file cannot be written',
  NOTARY_NOT_RECORDED: 'the digest was never recorded on the notary chain (verified non-inclusion)',
  AUDIT_BROKEN: 'the console audit log does not verify, so it is not anchored',
  AUDIT_EMPTY: 'the console audit log is empty; nothing to anchor',
  SIGNIN_CHALLENGE_REFUSED: 'a sign-in challenge is not the shape the SDK signs',
  NO_KEY: 'no signing key is loaded (the console keeps keys only in its tab)',
  XCALL_FAILED: 'a cross-chain call was answered with an error, or timed out, on the other chain',
  XCALL_UNANSWERED: 'a cross-chain call got no answer in time (no gateway relaying between the chains?)',
} as const satisfies ErrorList;

export type SdkErrorCode = keyof typeof SDK_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof SDK_ERRORS, 'sdk'> {}
}
