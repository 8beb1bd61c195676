/**
 * Record bodies: each sealed record's plaintext is one flag byte and a frame, the frame deflated
 * (raw DEFLATE, RFC 1951) when that makes it at least a tenth smaller. Protocol version 2
 * (docs/network.md#handshake, "Record layer"). Over a lossy WAN a TCP link carries only so many bytes a second
 * (issue #21: 100 ms RTT and 5 % loss); tx gossip is hex-heavy JSON that deflates to about half,
 * and consensus messages wait behind less of it. devp2p compresses every message for the same
 * reason (EIP-706, Snappy); zlib is Node's own, so nothing is added to install.
 *
 *   flag 0: u8 0 | frame
 *   flag 1: u8 1 | u32be frame length | the frame as a raw DEFLATE stream
 *
 * The length comes first so that a receiver can refuse a frame its limits (the frame cap, the
 * peer's byte budget) would refuse before it spends anything inflating it: a few KiB of
 * DEFLATE can inflate to megabytes.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const RAW = 0;
const DEFLATED = 1;
/** Smaller frames go raw: deflate's header and the call would cost more than they save. */
export const COMPRESS_MIN_BYTES = 1024;
/**
 * Larger frames (block sync pages) go raw too: deflating 1 MiB takes several milliseconds on the
 * thread that drives consensus, and they travel while a node catches up, not in a height's path.
 */
export const COMPRESS_MAX_BYTES = 1 << 20;

/** A frame broadcast to several peers is deflated once (frames are never written to after they are built). */
const packed = new WeakMap<Uint8Array, Uint8Array>();

/** The plaintext of a record that carries `frame`. */
export function packFrame(frame: Uint8Array): Uint8Array {
  const hit = packed.get(frame);
  if (hit) return hit;
  let out: Uint8Array | undefined;
  if (frame.length >= COMPRESS_MIN_BYTES && frame.length <= COMPRESS_MAX_BYTES) {
    const z = deflateRawSync(frame, { level: 1 });
    if (z.length + 4 <= frame.length * 0.9) {
      const b = Buffer.allocUnsafe(z.length + 5);
      b[0] = DEFLATED;
      b.writeUInt32BE(frame.length, 1);
      b.set(z, 5);
      out = b;
    }
  }
  if (!out) {
    out = Buffer.allocUnsafe(frame.length + 1);
    out[0] = RAW;
    out.set(frame, 1);
  }
  packed.set(frame, out);
  return out;
}

/**
 * Why a record's plaintext carries no frame: an unknown flag, a stream that does not inflate to
 * the length it states; a frame past the cap; a frame the caller's budget does not allow now.
 */
export type UnpackFailure = 'malformed' | 'oversize' | 'over-budget';

/**
 * The frame a record's plaintext carries, or why there is none. A deflated frame is inflated
 * only when its stated length is within `maxFrameBytes` and `allows(length)` (the peer's budget),
 * and never past that length.
 */
export function unpackFrame(plain: Buffer, maxFrameBytes: number, allows: (length: number) => boolean = () => true): Buffer | UnpackFailure {
  if (plain.length < 1) return 'malformed';
  if (plain[0] === RAW) return plain.length - 1 <= maxFrameBytes ? plain.subarray(1) : 'oversize';
  if (plain[0] !== DEFLATED || plain.length < 5) return 'malformed';
  const length = plain.readUInt32BE(1);
  if (length > maxFrameBytes) return 'oversize';
  if (!allows(length)) return 'over-budget';
  let frame: Buffer;
  try {
    frame = inflateRawSync(plain.subarray(5), { maxOutputLength: Math.max(1, length) });
  } catch {
    return 'malformed'; // not DEFLATE, or longer than it says
  }
  return frame.length === length ? frame : 'malformed';
}
