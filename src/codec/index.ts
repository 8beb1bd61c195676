export { ShulianError } from './errors.ts';
export { canonicalize, canonicalBytes, type JsonValue } from './canonical.ts';
export { toHex, fromHex, isHex, concatBytes, bytesEqual } from './hex.ts';
export { toBase58, fromBase58 } from './base58.ts';
