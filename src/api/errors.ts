/**
 * The API's own error codes, and the one table that maps every code a node can answer with to
 * its HTTP status. The table is checked by the compiler: a new code in one of the folders that
 * list every code (STATUS_FOLDERS) fails to compile until it has a status here; the codes of the
 * other folders answer 400 unless listed. Codes raised only on the client side (sdk, cli) never
 * reach this table. docs/api.md's code table is generated from these lists
 * (`node --import tsx scripts/error-codes.ts`; test/errors.test.ts checks it is current).
 */
import type { CodesOf, ErrorCode, ErrorList, ForeignCode, Registered } from '../codec/index.ts';

export const API_ERRORS = {
  UNSUPPORTED_MEDIA_TYPE: 'the body is not sent as application/json',
  BAD_URL: 'the request path is not valid percent-encoding',
  PATH_TOO_LONG: 'a path parameter is longer than the router takes (2,048 characters)',
  PUBLIC_URL_UNKNOWN: 'the node does not know its public URL yet (not listening, none configured)',
  SIGNIN_ORIGIN_REFUSED: 'the console sign-in comes from an origin this node does not take sign-ins at',
  SESSION_KEY_REVOKED: 'the sign-in session\'s key is no longer a key of its DID (or the session predates key binding)',
  SESSION_DID_DEACTIVATED: 'the sign-in session\'s DID was deactivated on the identity chain',
  STORE_FULL: 'the console store holds as many users, keys or orders as it keeps',
  CONSOLE_NOT_BUILT: 'the web console is not built on this node',
  CONSOLE_STORE_UNAVAILABLE: 'the console store cannot be opened (data dir permissions or space)',
  CONSOLE_SECRET_UNAVAILABLE: 'the console sign-in secret cannot be created',
  CONSOLE_SECRET_EXPOSED: 'the console sign-in secret file is readable by others',
  CONSOLE_SECRET_INVALID: 'the console sign-in secret file does not hold 64 hex digits',
  ISSUER_NOT_CONFIGURED: 'the node has no credential issuer configured',
  STATUS_SERVICE_OFF: 'the node serves no credential status lists',
  STATUS_LIST_NOT_FOUND: 'no credential status list with that id',
  RPC_PARSE_ERROR: 'JSON-RPC -32700: the body is not valid JSON',
  RPC_INVALID_REQUEST: 'JSON-RPC -32600: not a JSON-RPC 2.0 request',
  RPC_METHOD_NOT_FOUND: 'JSON-RPC -32601: the eth_* method is not answered here',
  RPC_INVALID_PARAMS: 'JSON-RPC -32602: the method\'s params are not valid',
  RPC_INTERNAL: 'JSON-RPC -32603: an unexpected failure answering the call',
  RPC_SERVER: 'JSON-RPC -32000: the node could not answer (the message says why)',
  RPC_RESOURCE_NOT_FOUND: 'JSON-RPC -32001: no such block',
  RPC_TX_REJECTED: 'JSON-RPC -32003: writes go through Shulian transactions, not eth_sendTransaction',
  RPC_NOT_SUPPORTED: 'JSON-RPC -32004: the chain does not run the evm module',
  RPC_LIMIT_EXCEEDED: 'JSON-RPC -32005: a limit was reached (batch size, log range, calls in flight)',
  RPC_EXECUTION_REVERTED: 'JSON-RPC 3: the call reverted',
  SOLC_TIMEOUT: 'a Solidity compile ran longer than the node allows and was stopped',
} as const satisfies ErrorList;

export type ApiErrorCode = keyof typeof API_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof API_ERRORS, 'api'> {}
}

export type HttpStatus = 400 | 401 | 403 | 404 | 409 | 413 | 414 | 415 | 429 | 500 | 503;

/** Codes only clients raise (the SDK, the console, the CLI): no node answers with them. */
export type ClientErrorCode = CodesOf<'sdk' | 'cli'>;
/** Every code a node may answer an HTTP request with. */
export type ServerErrorCode = Exclude<ErrorCode, ClientErrorCode>;

/** The folders whose every code must be in STATUS: the API's surface. The rest answer 400 unless listed. */
type StatusFolders = 'common' | 'api' | 'chain' | 'ledger';

/** HTTP status by code. Conflicts 409, missing things 404, refusals by role 403, limits 429/503. */
export const STATUS = {
  // common
  BAD_ARGUMENT: 400, BAD_OPTIONS: 400, BAD_REQUEST: 400, BAD_RESPONSE: 400, CONFIG_INVALID: 400,
  FILE_NOT_FOUND: 400, OUT_OF_GAS: 400, STATE_INVALID: 400,
  INTERNAL: 500,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_AUTHORISED: 401,
  FORBIDDEN: 403,
  BODY_TOO_LARGE: 413,
  RATE_LIMITED: 429, QUOTA_EXCEEDED: 429, LIMIT_REACHED: 429,
  BUSY: 503, POOL_CLOSED: 503, NODE_UNREACHABLE: 503,
  // api
  UNSUPPORTED_MEDIA_TYPE: 415, BAD_URL: 400, PATH_TOO_LONG: 414,
  PUBLIC_URL_UNKNOWN: 400, SIGNIN_ORIGIN_REFUSED: 400, STORE_FULL: 400,
  SESSION_KEY_REVOKED: 401, SESSION_DID_DEACTIVATED: 401,
  STATUS_LIST_NOT_FOUND: 404,
  CONSOLE_NOT_BUILT: 503, ISSUER_NOT_CONFIGURED: 503, STATUS_SERVICE_OFF: 503,
  CONSOLE_STORE_UNAVAILABLE: 500, CONSOLE_SECRET_UNAVAILABLE: 500, CONSOLE_SECRET_EXPOSED: 500, CONSOLE_SECRET_INVALID: 500,
  RPC_PARSE_ERROR: 400, RPC_INVALID_REQUEST: 400, RPC_METHOD_NOT_FOUND: 400, RPC_INVALID_PARAMS: 400, RPC_INTERNAL: 400,
  RPC_SERVER: 400, RPC_RESOURCE_NOT_FOUND: 400, RPC_TX_REJECTED: 400, RPC_NOT_SUPPORTED: 400, RPC_LIMIT_EXCEEDED: 400,
  RPC_EXECUTION_REVERTED: 400,
  SOLC_TIMEOUT: 503,
  // chain
  CHAIN_NOT_FOUND: 404, BLOCK_NOT_FOUND: 404, HEIGHT_NOT_FOUND: 404, TX_NOT_FOUND: 404,
  TX_NOT_ADMITTED: 403, TX_FROZEN: 403, TX_ACCESS_DENIED: 403,
  TX_WRONG_CHAIN: 400, TX_BAD_SIGNATURE: 400, TX_BAD_SENDER: 400, TX_REJECTED: 400, BLOCK_INVALID: 400,
  GENESIS_MISMATCH: 400, GENESIS_MODULE_UNKNOWN: 400, NOT_VALIDATOR: 400,
  // ledger
  TX_DUPLICATE: 409, TX_NONCE_STALE: 409, TX_NONCE_TAKEN: 409,
  TX_TOO_LARGE: 413,
  MEMPOOL_SENDER_QUOTA: 429,
  MEMPOOL_FULL: 503,
  TX_MALFORMED: 400, TX_BAD_KEY: 400, TX_NONCE_GAP: 400, TX_EXPIRED: 400, TX_EXPIRES_TOO_FAR: 400, STORE_HEIGHT: 400,
  STORE_FORMAT_NEWER: 500, STORE_DISK_FULL: 503, STORE_FORMAT_INVALID: 500,
  SMT_BAD_HASH: 400, SMT_BAD_ROOT: 400, SMT_BAD_KEY: 400, SMT_BAD_NODE: 400, SMT_BAD_UPDATE: 400, SMT_CORRUPT_NODE: 400, SMT_MISSING_NODE: 400,
  SNAPSHOT_MALFORMED: 400, SNAPSHOT_WRONG_CHAIN: 400, SNAPSHOT_WRONG_HEIGHT: 400, SNAPSHOT_BAD_HEADER: 400, SNAPSHOT_MISSING_CHANGE_HEADER: 400, SNAPSHOT_BAD_CHANGE_HEADER: 400, SNAPSHOT_TOO_MANY_HEADERS: 400, SNAPSHOT_CHUNK_HASH: 400,
  SNAPSHOT_STATE_ROOT: 400, SNAPSHOT_TOO_LARGE: 413, SNAPSHOT_STORE_NOT_EMPTY: 409,
  PROOF_MISSING: 400, PROOF_TX_MISMATCH: 400, PROOF_RECEIPT_MISMATCH: 400, PROOF_MERKLE: 400, PROOF_STATE_ROOT: 400, PROOF_STATE: 400,
  // other folders: 400 unless listed
  EXTERNAL_UNREACHABLE: 503, VC_ISSUER_UNRESOLVABLE: 503,
  SUPERVISION_NOT_RUNNING: 503, SUPERVISION_STORE_UNAVAILABLE: 500,
  ALARMS_NOT_RUNNING: 503, ALARM_SETTINGS_INVALID: 400, ALARM_SMTP_FAILED: 503, ALARM_WEBHOOK_FAILED: 503,
  INDEXER_PG_UNAVAILABLE: 503, INDEXER_SCHEMA_NEWER: 500, INDEXER_CHAIN_BROKEN: 500, EXPLORER_NOT_CONFIGURED: 503, EXPLORER_BAD_QUERY: 400,
  SIM_FORK_NOT_FOUND: 404, SIM_FORK_LIMIT: 429, SIM_FORK_FULL: 413, SIM_TOO_MANY_TXS: 413, SIM_TIMEOUT: 503,
} as const satisfies { readonly [K in ServerErrorCode]?: HttpStatus };

/** The codes of StatusFolders that STATUS does not list; must stay empty (checked below). */
type Unlisted = Exclude<CodesOf<StatusFolders>, keyof typeof STATUS>;
// If this line fails to compile, the type it names is a code without a status: add it to STATUS.
const everyCodeHasAStatus: [Unlisted] extends [never] ? true : Unlisted = true;
void everyCodeHasAStatus;

/** HTTP status for an error code; a code not in STATUS (another folder's, or foreign) answers 400. */
export function statusFor(code: ErrorCode | ForeignCode): number {
  return Object.hasOwn(STATUS, code) ? STATUS[code as keyof typeof STATUS] : 400;
}

export interface ErrorBody {
  error: { code: ErrorCode | ForeignCode; message: string };
}

export function errorBody(code: ErrorCode | ForeignCode, message: string): ErrorBody {
  return { error: { code, message } };
}
