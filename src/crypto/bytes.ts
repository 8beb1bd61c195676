/**
 * A plain Uint8Array over a Buffer's bytes. A view when the Buffer owns its whole
 * ArrayBuffer; a copy when it sits in Node's shared allocation pool, so callers can never
 * reach (or transfer) other data through `.buffer`.
 */
export function ownBytes(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.byteLength) return new Uint8Array(b.buffer, 0, b.byteLength);
  return new Uint8Array(b);
}
