/**
 * Record bodies: each sealed record's plaintext is one flag byte and a frame, the frame deflated
 * (raw DEFLATE, RFC 1951) when that makes it at least a tenth smaller. Protocol version 2
 * (docs/network.md#records). Over a lossy WAN a TCP link carries only so many bytes a second
 * (issue #21: 100 ms RTT and 5 % loss); tx gossip is hex-heavy JSON that deflates to about half,
 * and consensus messages wait behind less of it. devp2p compresses every message for the same
 * reason (EIP-706, Snappy); zlib is Node's own, so nothing is added to install.
 *
 *   u8 flag (0 raw, 1 deflated) | frame bytes, or their raw DEFLATE stream
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
    if (z.length <= frame.length * 0.9) {
      out = Buffer.allocUnsafe(z.length + 1);
      out[0] = DEFLATED;
      out.set(z, 1);
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

/** Why a record's plaintext carries no frame: an unknown flag or a stream that does not inflate, or a frame past the cap. */
export type UnpackFailure = 'malformed' | 'oversize';

/**
 * The frame a record's plaintext carries, or why there is none. Inflation stops at
 * `maxFrameBytes`: no deflate bomb gets through.
 */
export function unpackFrame(plain: Buffer, maxFrameBytes: number): Buffer | UnpackFailure {
  if (plain.length < 1) return 'malformed';
  const body = plain.subarray(1);
  if (plain[0] === RAW) return body.length <= maxFrameBytes ? body : 'oversize';
  if (plain[0] !== DEFLATED) return 'malformed';
  try {
    return inflateRawSync(body, { maxOutputLength: maxFrameBytes });
  } catch (err) {
    return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'oversize' : 'malformed';
  }
}
