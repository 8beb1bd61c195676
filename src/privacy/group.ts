/**
 * The prime-order (or twist-secure) groups the DH-based PSI masks identifiers in
 * (Meadows 1986; Huberman, Franklin, Hogg 1999): H(x)^a is a PRF of x under a, and masking
 * commutes, (H(x)^a)^b = (H(x)^b)^a, so equal identifiers meet after both masks and nothing else
 * does (DDH). Two groups:
 *
 * - `x25519` (default): Curve25519's Montgomery u-line through X25519 (RFC 7748) on Node's
 *   OpenSSL. An identifier maps to u = hash_to_field(x) (RFC 9380 §5.2, expand_message_xmd with
 *   SHA-512, one element of GF(2^255−19)); that u lies on the curve or its quadratic twist, and
 *   Curve25519 is twist-secure (both have a ~2^252 prime subgroup), as in SecretFlow's
 *   Curve25519 ECDH-PSI. X25519's clamping makes each scalar a multiple of the cofactor, so
 *   small-subgroup parts are killed; the all-zero output of a low-order input is refused.
 * - `ristretto255`: the prime-order group of RFC 9496 with hash_to_ristretto255 (RFC 9380
 *   Appendix B / RFC 9496 §4.3.4), through @noble/curves (pure JS, slower).
 *
 * Elements travel as 32-byte canonical encodings; `check` refuses anything else.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { ShulianError } from '../codec/index.ts';

export type GroupName = 'x25519' | 'ristretto255';
export const GROUPS: readonly GroupName[] = ['x25519', 'ristretto255'];
export const ELEMENT_BYTES = 32;

/** A party's secret mask for one run; never leaves the process. */
export interface Mask {
  readonly group: GroupName;
  /** Masks one element (an encoding a peer sent is checked first). */
  apply(element: Uint8Array): Uint8Array;
}

export interface Group {
  readonly name: GroupName;
  /** The identifier's element: hash to the group under the run's domain separation tag. */
  hash(id: string, dst: string): Uint8Array;
  /** A fresh random mask. */
  newMask(): Mask;
  /** Throws PRIVACY_BAD_POINT unless `e` is a canonical, non-identity encoding. */
  check(e: Uint8Array, where: string): void;
}

const bad = (where: string, why: string): ShulianError =>
  new ShulianError('PRIVACY_BAD_POINT', `${where}: ${why}; a peer must send 32-byte canonical group elements of the run's group`);

// ---- x25519 ---------------------------------------------------------------------------------

const P25519 = (1n << 255n) - 19n;
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** RFC 9380 §5.3.1 expand_message_xmd with SHA-512 for len_in_bytes = 48 (one output block). */
export function expandXmd48(msg: Uint8Array, dst: string): Uint8Array {
  const d = Buffer.from(dst, 'utf8');
  if (d.length > 255) throw new ShulianError('PRIVACY_BAD_MESSAGE', 'a domain separation tag is at most 255 bytes (RFC 9380 §5.3.3)');
  const dstPrime = Buffer.concat([d, Buffer.from([d.length])]);
  const b0 = createHash('sha512').update(Buffer.alloc(128)).update(msg).update(Buffer.from([0, 48, 0])).update(dstPrime).digest();
  const b1 = createHash('sha512').update(b0).update(Buffer.from([1])).update(dstPrime).digest();
  return b1.subarray(0, 48);
}

/** RFC 9380 §5.2 hash_to_field(msg, 1) over GF(2^255−19), L = 48, as a 32-byte little-endian u. */
export function hashToU(msg: Uint8Array, dst: string): Uint8Array {
  const u = BigInt('0x' + Buffer.from(expandXmd48(msg, dst)).toString('hex')) % P25519;
  return Buffer.from(u.toString(16).padStart(64, '0'), 'hex').reverse();
}

/** Whether a 32-byte little-endian u is ≥ p = 2^255 − 19 (top bit set, or 2^255 − 19 … 2^255 − 1). */
function atLeastP(e: Uint8Array): boolean {
  if (e[31]! > 0x7f) return true;
  if (e[31]! < 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (e[i] !== 0xff) return false;
  return e[0]! >= 0xed;
}
function leValue(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

const x25519Group: Group = {
  name: 'x25519',
  hash: (id, dst) => hashToU(Buffer.from(id, 'utf8'), dst),
  newMask(): Mask {
    const key: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, randomBytes(32)]), format: 'der', type: 'pkcs8' });
    return {
      group: 'x25519',
      apply(e) {
        const publicKey = createPublicKey({ key: Buffer.concat([SPKI_X25519, e]), format: 'der', type: 'spki' });
        try {
          return diffieHellman({ privateKey: key, publicKey });
        } catch {
          // OpenSSL refuses an all-zero shared secret: the input was of low order.
          throw bad('element', 'a low-order point (X25519 gives the all-zero value)');
        }
      },
    };
  },
  check(e, where) {
    if (!(e instanceof Uint8Array) || e.length !== ELEMENT_BYTES) throw bad(where, `expected 32 bytes, got ${e?.length}`);
    // Canonical: the top bit clear and u < p, so each element has exactly one encoding.
    if (atLeastP(e)) throw bad(where, 'a non-canonical u-coordinate (≥ 2^255 − 19)');
    if (e.every((b) => b === 0) || (e[0] === 1 && e.subarray(1).every((b) => b === 0))) throw bad(where, 'a low-order point (u = 0 or 1)');
  },
};

// ---- ristretto255 ---------------------------------------------------------------------------

const RP = ristretto255.Point;
const L = RP.Fn.ORDER;

const ristrettoGroup: Group = {
  name: 'ristretto255',
  hash: (id, dst) => ristretto255_hasher.hashToCurve(Buffer.from(id, 'utf8'), { DST: dst }).toBytes(),
  newMask(): Mask {
    let k = 0n;
    while (k === 0n) k = leValue(randomBytes(64)) % L;
    return {
      group: 'ristretto255',
      apply(e) {
        ristrettoGroup.check(e, 'element');
        return RP.fromBytes(e).multiply(k).toBytes();
      },
    };
  },
  check(e, where) {
    if (!(e instanceof Uint8Array) || e.length !== ELEMENT_BYTES) throw bad(where, `expected 32 bytes, got ${e?.length}`);
    let p;
    try {
      p = RP.fromBytes(e); // RFC 9496 §4.3.1: refuses non-canonical encodings
    } catch {
      throw bad(where, 'not a valid ristretto255 encoding (RFC 9496 §4.3.1)');
    }
    if (p.equals(RP.ZERO)) throw bad(where, 'the identity element');
  },
};

export function groupOf(name: GroupName): Group {
  return name === 'ristretto255' ? ristrettoGroup : x25519Group;
}
