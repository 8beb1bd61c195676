/**
 * Typed errors. Every folder declares the codes it fails with in its own `errors.ts`, as a const
 * list with a one-line meaning per code (docs/api.md's table is generated from these lists), and
 * registers them in `ErrorCodes` below by declaration merging:
 *
 *   export const LEDGER_ERRORS = { TX_DUPLICATE: 'the transaction is already pending or committed' } as const;
 *   declare module '../codec/errors.ts' { interface ErrorCodes extends Registered<typeof LEDGER_ERRORS, 'ledger'> {} }
 *
 * `ErrorCode` is then the union of every folder's codes, and `new ShulianError('TYPO', …)` fails to
 * compile. A code registered by two folders fails to compile too (the folder tags differ), so each
 * code has one meaning. This file imports nothing: the folders above it extend it, not the reverse
 * (a program sees the codes of the errors.ts files it includes: console/tsconfig.json includes all).
 * The style follows CometBFT's light/errors.go and viem's errors/: one name per way to fail.
 */

/** Every registered code, mapped to the folder that declares it (e.g. `'ledger'`, `'modules/did'`). */
export interface ErrorCodes {}

/** Any code a Shulian error may carry. */
export type ErrorCode = keyof ErrorCodes;

/** A folder's list: code → one line saying what went wrong. */
export type ErrorList = Readonly<Record<string, string>>;

/** The shape a folder registers: each of its codes tagged with the folder's name. */
export type Registered<L extends ErrorList, Folder extends string> = { readonly [K in keyof L]: Folder };

/** The codes declared by the folders matching `F` (a tag or a union of tags, patterns allowed). */
export type CodesOf<F extends string> = { [K in ErrorCode]: ErrorCodes[K] extends F ? K : never }[ErrorCode];

declare const foreignCode: unique symbol;
/**
 * A code that came from elsewhere: an HTTP error body, a failed receipt or an ack read over the
 * wire, or an external engine. It is passed on as it came and is not checked against the unions;
 * make one with `foreign(code)`.
 */
export type ForeignCode = string & { readonly [foreignCode]: true };

/** Marks a code read from outside the process (see ForeignCode); undefined stays undefined. */
export function foreign(code: string): ForeignCode;
export function foreign(code: string | undefined): ForeignCode | undefined;
export function foreign(code: string | undefined): ForeignCode | undefined {
  return code as ForeignCode | undefined;
}

/** Typed error used across Shulian: a stable machine `code` plus a message for people. */
export class ShulianError<C extends ErrorCode | ForeignCode = ErrorCode | ForeignCode> extends Error {
  readonly code: C;
  readonly details?: Record<string, unknown>;
  constructor(code: C, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ShulianError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/**
 * Codes that mean the same thing wherever they are thrown. Any folder may throw any registered
 * code; these are the ones LexError and ModuleError also take, and that no one folder owns. A
 * folder-specific failure gets its own code in its folder's list instead.
 */
export const COMMON_ERRORS = {
  BAD_ARGUMENT: 'a function was called with an argument it cannot take (a caller bug or bad input passed through)',
  BAD_OPTIONS: 'the options given to a client, pool or resolver are not valid',
  BAD_REQUEST: 'the request is malformed: a field is missing, of the wrong type or out of range',
  BAD_RESPONSE: 'a node or service answered with something that is not the JSON expected',
  BODY_TOO_LARGE: 'the request body is larger than this endpoint takes',
  BUSY: 'the node is busy or shutting down; try again later',
  CONFIG_INVALID: 'a configuration file or option is not valid',
  CONFLICT: 'the request conflicts with the current state (already done, already revoked)',
  FILE_NOT_FOUND: 'a file named by the caller does not exist or cannot be read',
  FORBIDDEN: 'the caller is known but its role does not allow this',
  INTERNAL: 'an unexpected failure inside the node; its log has details',
  LIMIT_REACHED: 'a node-wide limit on stored items is reached',
  NODE_UNREACHABLE: 'no Shulian node (or other service) answers at the address given',
  NOT_AUTHORISED: 'the request carries no valid credentials (sign-in session, API key or signature)',
  NOT_FOUND: 'the thing asked for does not exist',
  OUT_OF_GAS: 'the work needs more gas than its limit allows; nothing was changed',
  POOL_CLOSED: 'a worker pool was used after it was closed (the node is shutting down)',
  QUOTA_EXCEEDED: 'the caller has used up its quota (open work orders, requests per period)',
  RATE_LIMITED: 'too many requests from this address or DID; wait and try again',
  STATE_INVALID: 'stored state does not have the shape this version expects',
} as const satisfies ErrorList;

/** Errors of canonical JSON, hex and base58. */
export const CODEC_ERRORS = {
  BAD_BASE58: 'a value is not valid base58btc',
  BAD_HEX: 'a value is not lowercase hex with an even number of digits',
  CANONICAL_JSON_NUMBER: 'a number that is not finite cannot be canonicalised (RFC 8785 §3.2.2.3)',
  CANONICAL_JSON_TYPE: 'a value of a type canonical JSON does not carry (binary data must be hex first)',
  CANONICAL_JSON_DEPTH: 'a value nested deeper than canonical JSON takes (1,000 levels)',
} as const satisfies ErrorList;

export type CommonErrorCode = keyof typeof COMMON_ERRORS;
export type CodecErrorCode = keyof typeof CODEC_ERRORS;

export interface ErrorCodes extends Registered<typeof COMMON_ERRORS, 'common'>, Registered<typeof CODEC_ERRORS, 'codec'> {}
