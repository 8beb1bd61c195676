/** Errors of the shulian command line. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const CLI_ERRORS = {
  USAGE: 'the command was given wrong or missing options',
  INTERRUPTED: 'the command was interrupted',
  TIMEOUT: 'waiting for something to happen took longer than allowed',
  BAD_JSON: 'a file that must hold JSON does not',
  BAD_EVIDENCE: 'an evidence package is too large or malformed',
  FILE_EXISTS: 'the output file exists; credentials are never overwritten',
  KEY_FILE: 'a key file cannot be read',
  PASSWORD_MISMATCH: 'the two passwords typed differ',
  PASSWORD_REQUIRED: 'the password environment variable named is not set',
  DATA_DIR: 'the data directory cannot be created',
  PORT_DENIED: 'not allowed to listen on that port',
  PORT_IN_USE: 'a port the node needs is in use',
  CLUSTER_MISMATCH: 'the data directory holds a cluster of another size',
  CLUSTER_SIZE: 'tbft needs at least 4 validators',
  RAIL_ERROR: 'the sandbox payment rail refused the request without naming a code',
  RAIL_UNREACHABLE: 'the sandbox payment rail does not answer',
  GATEWAY_NOT_REGISTERED: 'the gateway\'s DID is not registered to relay for a chain it was asked to relay',
  ROUTE_NOT_FOUND: 'the chain is not registered on the routing chain',
  XCHAIN_WAIT: 'the cross-chain message was not acknowledged in time',
  XTX_WAIT: 'the atomic cross-chain transaction did not finish in time',
} as const satisfies ErrorList;

export type CliErrorCode = keyof typeof CLI_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CLI_ERRORS, 'cli'> {}
}
