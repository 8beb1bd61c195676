import { base58 } from '@scure/base';
import { ShulianError } from './errors.ts';

/** base58btc (Bitcoin alphabet), as used by did:shulian identifiers and multibase 'z'. */
export function toBase58(bytes: Uint8Array): string {
  return base58.encode(bytes);
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Digit of each ASCII character, -1 where it is not one. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;
/** 24-bit limbs, fed four digits at a time: limb · 58⁴ + carry < 2^48, exact in a double. */
const LIMB = 0x100_0000;
const POW58 = [1, 58, 58 * 58, 58 * 58 * 58, 58 * 58 * 58 * 58];

/** Limbs reused from one decode to the next (decoding is synchronous). */
let scratch = new Float64Array(64);

export function fromBase58(text: string, what = 'value'): Uint8Array {
  const bytes = typeof text === 'string' ? decode(text) : undefined;
  if (!bytes) throw new ShulianError('BAD_BASE58', `${what} is not valid base58btc`);
  return bytes;
}

/**
 * The bytes of base58btc `text` (each leading '1' a zero byte, the rest a big-endian number), or
 * undefined if a character is not in the alphabet. The same answers as @scure/base's decoder
 * (test/fuzz/codec.test.ts compares them), computed in 24-bit limbs, four digits at a time:
 * proof values and DIDs are decoded on every verification.
 */
function decode(text: string): Uint8Array | undefined {
  const n = text.length;
  let zeros = 0;
  while (zeros < n && text.charCodeAt(zeros) === 0x31) zeros++;
  // Little-endian limbs of the number; each digit adds under 6 bits.
  const need = Math.ceil(((n - zeros) * 5.86) / 24) + 1;
  if (scratch.length < need) scratch = new Float64Array(need);
  const limbs = scratch; // only the first `used` are read, each written before
  let used = 0;
  for (let i = zeros; i < n; ) {
    // Up to four digits as one number, then limbs = limbs · 58^k + it.
    let group = 0;
    let k = 0;
    for (; k < 4 && i < n; k++, i++) {
      const c = text.charCodeAt(i);
      const d = c < 128 ? DIGIT[c]! : -1;
      if (d < 0) return undefined;
      group = group * 58 + d;
    }
    const mul = POW58[k]!;
    let carry = group;
    for (let j = 0; j < used; j++) {
      const v = limbs[j]! * mul + carry;
      const hi = Math.floor(v / LIMB);
      limbs[j] = v - hi * LIMB;
      carry = hi;
    }
    while (carry > 0) {
      const hi = Math.floor(carry / LIMB);
      limbs[used++] = carry - hi * LIMB;
      carry = hi;
    }
  }
  // Big-endian bytes of the number, without leading zero bytes.
  let len = used * 3;
  if (used > 0) {
    const top = limbs[used - 1]!;
    len -= top >= 0x1_0000 ? 0 : top >= 0x100 ? 1 : 2;
  }
  const out = new Uint8Array(zeros + len);
  for (let k = 0; k < len; k++) {
    const b = len - 1 - k; // byte index from the least significant end
    const limb = limbs[(b / 3) | 0]!;
    out[zeros + k] = (limb >>> ((b % 3) * 8)) & 0xff;
  }
  return out;
}
