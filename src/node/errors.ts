/** Errors of assembling and running a node. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const NODE_ERRORS = {
  ALLIANCE_FILE_INVALID: 'the alliance file cannot be read or is not valid',
  BACKUP_INVALID: 'not a backup, or an incomplete or altered one, or not a data directory to back up',
  BACKUP_TARGET_NOT_EMPTY: 'the folder to back up or restore into already holds files',
  CLOCK_SKEW_INVALID: 'SHULIAN_CLOCK_SKEW_MS is not a whole number of milliseconds within ±60 s',
  COMMIT_INVALID: 'a block\'s commit does not verify',
  DATA_DIR_LOCKED: 'another node process uses the data directory',
  DECIDED_INVALID: 'more than 2/3 of validators committed a block this node finds invalid',
  P2P_REQUIRED: 'a chain runs tbft, so the node needs a p2p address',
} as const satisfies ErrorList;

export type NodeErrorCode = keyof typeof NODE_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof NODE_ERRORS, 'node'> {}
}
