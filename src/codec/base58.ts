import { base58 } from '@scure/base';
import { ShulianError } from './errors.ts';

/** base58btc (Bitcoin alphabet), as used by did:shulian identifiers and multibase 'z'. */
export function toBase58(bytes: Uint8Array): string {
  return base58.encode(bytes);
}

export function fromBase58(text: string, what = 'value'): Uint8Array {
  try {
    return base58.decode(text);
  } catch {
    throw new ShulianError('BAD_BASE58', `${what} is not valid base58btc`);
  }
}
