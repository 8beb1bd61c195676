/** Errors of the supervision service (src/supervision): its store, its sources and its webhooks. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const SUPERVISION_ERRORS = {
  SUPERVISION_STORE_UNAVAILABLE: 'the supervision store cannot be opened (permissions, disk space)',
  SUPERVISION_NOT_RUNNING: 'this node runs no supervision service (start it with shulian up, or shulian supervise)',
  WEBHOOK_INVALID: 'a webhook is not an http(s) URL with a secret of at least 16 characters',
} as const satisfies ErrorList;

export type SupervisionErrorCode = keyof typeof SUPERVISION_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof SUPERVISION_ERRORS, 'supervision'> {}
}
