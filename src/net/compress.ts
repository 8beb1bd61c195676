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
 * Larger frames (block sync pages) go raw too: deflating 1 MiB at level 1 took 20 ms on the CI
 * machine (2026-12-07, tx-like JSON and random bytes alike) on the thread that drives consensus,
 * and they travel while a node catches up, not in a height's path.
 */
export const COMPRESS_MAX_BYTES = 1 << 20;

/**
 * A record's plaintext in two parts, sealed one after the other (SecureSession.seal) so that a
 * raw frame of up to the frame cap is never copied to put a flag byte before it.
 */
export interface PackedFrame {
  /** The flag byte, and for a deflated frame its stated length. */
  head: Uint8Array;
  /** The frame, or its raw DEFLATE stream. */
  body: Uint8Array;
}

const RAW_HEAD = Uint8Array.of(RAW);

/** A frame broadcast to several peers is deflated once (frames are never written to after they are built). */
const packed = new WeakMap<Uint8Array, PackedFrame>();

/**
 * The plaintext of a record that carries `frame`: deflated when that saves a tenth and the frame
 * is within [COMPRESS_MIN_BYTES, COMPRESS_MAX_BYTES], else raw; `raw` forces raw (tests that
 * write records by hand).
 */
export function packFrame(frame: Uint8Array, opts: { raw?: boolean } = {}): PackedFrame {
  if (opts.raw) return { head: RAW_HEAD, body: frame };
  const hit = packed.get(frame);
  if (hit) return hit;
  let out: PackedFrame = { head: RAW_HEAD, body: frame };
  if (frame.length >= COMPRESS_MIN_BYTES && frame.length <= COMPRESS_MAX_BYTES) {
    const z = deflateRawSync(frame, { level: 1 });
    if (z.length + 4 <= frame.length * 0.9) {
      const head = Buffer.allocUnsafe(5);
      head[0] = DEFLATED;
      head.writeUInt32BE(frame.length, 1);
      out = { head, body: z };
    }
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
