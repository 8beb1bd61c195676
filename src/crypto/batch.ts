/**
 * Packing of signature batches into one ArrayBuffer, so a chunk crosses to a worker as a
 * single transferred buffer instead of thousands of cloned objects.
 *
 * Layout (little-endian): u32 count, then per item
 *   u8 suite (0 = sm2, 1 = ed25519), u8[3] zero, u32 messageLength,
 *   publicKey (65 or 32 bytes), signature (64 bytes), message.
 */
import { verify } from './keys.ts';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type Suite, type VerifyItem } from './types.ts';

const SUITE_CODES: readonly Suite[] = ['sm2', 'ed25519'];
const HEADER = 8;

/** True when the item has the shape that could possibly verify; anything else is simply false. */
export function isWellFormed(item: unknown): item is VerifyItem {
  if (typeof item !== 'object' || item === null) return false;
  try {
    const it = item as Partial<VerifyItem>;
    if (it.suite !== 'sm2' && it.suite !== 'ed25519') return false;
    return it.publicKey instanceof Uint8Array && it.publicKey.length === PUBLIC_KEY_BYTES[it.suite] &&
      it.signature instanceof Uint8Array && it.signature.length === SIGNATURE_BYTES &&
      it.message instanceof Uint8Array;
  } catch {
    return false; // hostile getters
  }
}

/** Packs items[indices[from..to)] (all well-formed) into one buffer. */
export function packBatch(items: readonly VerifyItem[], indices: readonly number[], from: number, to: number): ArrayBuffer {
  let size = 4;
  for (let i = from; i < to; i++) {
    const it = items[indices[i]!]!;
    size += HEADER + it.publicKey.length + SIGNATURE_BYTES + it.message.length;
  }
  const buf = new ArrayBuffer(size);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  view.setUint32(0, to - from, true);
  let o = 4;
  for (let i = from; i < to; i++) {
    const it = items[indices[i]!]!;
    bytes[o] = it.suite === 'sm2' ? 0 : 1;
    view.setUint32(o + 4, it.message.length, true);
    o += HEADER;
    bytes.set(it.publicKey, o);
    o += it.publicKey.length;
    bytes.set(it.signature, o);
    o += SIGNATURE_BYTES;
    bytes.set(it.message, o);
    o += it.message.length;
  }
  return buf;
}

/** Verifies a packed batch; result byte i is 1 when item i verified. Never throws on bad data. */
export function verifyPacked(buf: ArrayBuffer): Uint8Array {
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  const count = buf.byteLength >= 4 ? view.getUint32(0, true) : 0;
  const out = new Uint8Array(count);
  let o = 4;
  for (let i = 0; i < count; i++) {
    if (o + HEADER > bytes.length) break;
    const suite = SUITE_CODES[bytes[o]!];
    const msgLen = view.getUint32(o + 4, true);
    o += HEADER;
    if (!suite) break;
    const pubLen = PUBLIC_KEY_BYTES[suite];
    const end = o + pubLen + SIGNATURE_BYTES + msgLen;
    if (end > bytes.length) break;
    const pub = bytes.subarray(o, o + pubLen);
    const sig = bytes.subarray(o + pubLen, o + pubLen + SIGNATURE_BYTES);
    const msg = bytes.subarray(o + pubLen + SIGNATURE_BYTES, end);
    out[i] = verify(suite, pub, msg, sig) ? 1 : 0;
    o = end;
  }
  return out;
}
