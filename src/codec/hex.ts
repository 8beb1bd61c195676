import { ShulianError } from './errors.ts';

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

/** Lowercase hex, the only binary encoding in Shulian's JSON. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict decoder: lowercase, even length, optional expected byte length. */
export function fromHex(hex: string, expectedBytes?: number, what = 'value'): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new ShulianError('BAD_HEX', `${what} must be lowercase hex with an even number of digits`);
  }
  if (expectedBytes !== undefined && hex.length !== expectedBytes * 2) {
    throw new ShulianError('BAD_HEX', `${what} must be ${expectedBytes} bytes (${expectedBytes * 2} hex digits), got ${hex.length / 2} bytes`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function isHex(hex: unknown, bytes?: number): hex is string {
  return typeof hex === 'string' && HEX_RE.test(hex) && (bytes === undefined || hex.length === bytes * 2);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.compare(a, b) === 0;
}
