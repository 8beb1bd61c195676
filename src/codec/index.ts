export { ShulianError, foreign, COMMON_ERRORS, CODEC_ERRORS, type ErrorCode, type ErrorCodes, type ErrorList, type Registered, type CodesOf, type ForeignCode, type CommonErrorCode, type CodecErrorCode } from './errors.ts';
export { canonicalize, canonicalBytes, isJsonObject, isRecord, type JsonObject, type JsonValue } from './canonical.ts';
export { toHex, fromHex, isHex, concatBytes, bytesEqual } from './hex.ts';
export { toBase58, fromBase58 } from './base58.ts';
export { DID_RE, CHAIN_ID, CHAIN_ID_RE, NAME_RE, HEX64_RE, HEX_RE, PUBKEY_HEX_RE, AMOUNT_RE } from './patterns.ts';
export { stateKey, fullKeys, asJson, resultAs, stateValue, type StateKey, type JsonLike, type JsonChecked, type KeyBuilders } from './state-key.ts';
