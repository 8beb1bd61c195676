/** Codes the xdoc module (documents that move between chains) rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const XDOC_MODULE_ERRORS = {
  XDOC_AWAY: 'the document is on another chain',
  XDOC_BAD_PACKET: 'a document payload is not valid',
  XDOC_DUPLICATE: 'the document is already held here',
  XDOC_EXISTS: 'a document with that id exists',
  XDOC_LOCKED: 'the document is locked by an atomic transaction',
  XDOC_LOCK_EXISTS: 'a document lock with that id exists',
  XDOC_LOCK_SETTLED: 'the document lock was already released',
  XDOC_NOT_FOUND: 'no document with that id here',
  XDOC_NOT_HOLDER: 'the sender does not hold the document',
  XDOC_NO_LOCK: 'no document lock with that id',
} as const satisfies ErrorList;

export type XdocModuleErrorCode = keyof typeof XDOC_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof XDOC_MODULE_ERRORS, 'modules/xdoc'> {}
}
