const STATUS_BY_CODE: Record<string, number> = {
  TX_DUPLICATE: 409,
  TX_NONCE_STALE: 409,
  TX_NONCE_TAKEN: 409,
  MEMPOOL_FULL: 503,
  MEMPOOL_SENDER_QUOTA: 429,
  TX_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  CHAIN_NOT_FOUND: 404,
  TX_NOT_FOUND: 404,
  BLOCK_NOT_FOUND: 404,
  HEIGHT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  TX_NOT_ADMITTED: 403,
  NOT_AUTHORISED: 401,
  SESSION_KEY_REVOKED: 401,
  SESSION_DID_DEACTIVATED: 401,
  SIGNIN_ORIGIN_REFUSED: 400,
  QUOTA_EXCEEDED: 429,
  BUSY: 503,
  FORBIDDEN: 403,
  CONFLICT: 409,
  LIMIT_REACHED: 429,
};

/** HTTP status for an error code: conflicts 409, missing things 404, the rest 400. */
export function statusFor(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

