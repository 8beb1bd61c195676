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
 * - `sm2`: the SM2 curve (GB/T 32918.5, prime order, cofactor 1) for deployments that require
 *   国产 algorithms throughout. An identifier maps to a point by RFC 9380's hash_to_curve with the
 *   simplified SWU map (§6.6.2; SM2's a and b are non-zero), expand_message_xmd with SM3 (a
 *   256-bit Merkle–Damgård hash like SHA-256, so L = 48 and k = 128 as for P-256), Z = −9 (the
 *   first candidate meeting RFC 9380 Appendix H.2's criteria for SM2, as Z = −10 is for P-256).
 *   An element is the point's 32-byte big-endian x-coordinate: k·(−P) = −(k·P) has the same x,
 *   so masking x-only commutes as X25519's u-only does. Scalar multiplication is OpenSSL's SM2
 *   ECDH (its shared secret is x(k·P)) when Node's OpenSSL has the curve, else @noble/curves.
 *
 * Elements travel as 32-byte canonical encodings; `check` refuses anything else.
 *
 * Batches (`hashMany`, `applyMany`) of x25519 go through the native addon when it is built
 * (src/privacy/native.ts: OpenSSL's X25519 on libuv's pool, split over the cores); the JS path
 * below gives the same bytes for the same scalar and is the fallback.
 */
import { createECDH, createHash, getCurves, createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { createHasher, mapToCurveSimpleSWU } from '@noble/curves/abstract/hash-to-curve.js';
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { ShulianError } from '../codec/index.ts';
import { sm3 } from '../crypto/index.ts';
import { psiNative } from './native.ts';

export type GroupName = 'x25519' | 'ristretto255' | 'sm2';
export const GROUPS: readonly GroupName[] = ['x25519', 'ristretto255', 'sm2'];
export const ELEMENT_BYTES = 32;

/** A party's secret mask for one run; never leaves the process. */
export interface Mask {
  readonly group: GroupName;
  /** Masks one element (an encoding a peer sent is checked first). */
  apply(element: Uint8Array): Uint8Array;
  /** Checks and masks a batch; a refused element throws PRIVACY_BAD_POINT naming `where[i]`. */
  applyMany(elements: readonly Uint8Array[], where: string, offset?: number): Promise<Uint8Array[]>;
  /** H(id)^k for a batch of identifiers under the run's tag. */
  hashMany(ids: readonly string[], dst: string): Promise<Uint8Array[]>;
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
    const scalar = randomBytes(32);
    const key: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, scalar]), format: 'der', type: 'pkcs8' });
    const apply = (e: Uint8Array): Uint8Array => {
      const publicKey = createPublicKey({ key: Buffer.concat([SPKI_X25519, e]), format: 'der', type: 'spki' });
      try {
        return diffieHellman({ privateKey: key, publicKey });
      } catch {
        // OpenSSL refuses an all-zero shared secret: the input was of low order.
        throw bad('element', 'a low-order point (X25519 gives the all-zero value)');
      }
    };
    return {
      group: 'x25519',
      apply,
      async applyMany(es, where, offset = 0) {
        const at = (i: number): string => `${where}[${offset + i}]`;
        if (!psiNative) {
          return es.map((e, i) => {
            x25519Group.check(e, at(i));
            try { return apply(e); } catch { throw bad(at(i), 'a low-order point (X25519 gives the all-zero value)'); }
          });
        }
        es.forEach((e, i) => { if (!(e instanceof Uint8Array) || e.length !== ELEMENT_BYTES) throw bad(at(i), `expected 32 bytes, got ${e?.length}`); });
        return nativeBatch(scalar, es.length, (from, to) => Buffer.concat(es.slice(from, to)), 0, '', (i) => {
          x25519Group.check(es[i]!, at(i));
          return bad(at(i), 'a low-order point (X25519 gives the all-zero value)');
        });
      },
      async hashMany(ids, dst) {
        if (!psiNative) return ids.map((id) => apply(hashToU(Buffer.from(id, 'utf8'), dst)));
        return nativeBatch(scalar, ids.length, (from, to) => packIds(ids, from, to), 1, dst, (i) => bad(`identifier ${i}`, 'hashes to a low-order point'));
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

/** Identifiers as the addon reads them: a 2-byte big-endian length, then the UTF-8 bytes. */
function packIds(ids: readonly string[], from: number, to: number): Uint8Array {
  const parts: Buffer[] = [];
  for (let i = from; i < to; i++) {
    const b = Buffer.from(ids[i]!, 'utf8');
    if (b.length > 0xffff) throw new ShulianError('PRIVACY_BAD_DATASET', `identifier ${i} is ${b.length} bytes; an identifier is at most 65535`);
    parts.push(Buffer.from([b.length >> 8, b.length & 0xff]), b);
  }
  return Buffer.concat(parts);
}

/** Elements per native call below which a batch is not split over the cores. */
const SPLIT_MIN = 512;

/** One batch through the addon, in `cores` concurrent slices on libuv's pool. */
async function nativeBatch(scalar: Uint8Array, n: number, input: (from: number, to: number) => Uint8Array, mode: 0 | 1, dst: string, refused: (i: number) => Error): Promise<Uint8Array[]> {
  const slices = Math.max(1, Math.min(availableParallelism(), Math.floor(n / SPLIT_MIN)));
  const per = Math.ceil(n / slices);
  const d = Buffer.from(dst, 'utf8');
  const parts = await Promise.all(Array.from({ length: slices }, (_, k) => {
    const from = k * per;
    const to = Math.min(n, from + per);
    return psiNative!.psiX25519(scalar, input(from, to), mode, d).then((r) => ({ from, ...r }));
  }));
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (p.bad >= 0) throw refused(p.from + p.bad);
    for (let i = 0; i < p.out.length; i += ELEMENT_BYTES) out.push(p.out.subarray(i, i + ELEMENT_BYTES));
  }
  return out;
}

// ---- ristretto255 ---------------------------------------------------------------------------

const RP = ristretto255.Point;
const L = RP.Fn.ORDER;

const ristrettoGroup: Group = {
  name: 'ristretto255',
  hash: (id, dst) => ristretto255_hasher.hashToCurve(Buffer.from(id, 'utf8'), { DST: dst }).toBytes(),
  newMask(): Mask {
    let k = 0n;
    while (k === 0n) k = leValue(randomBytes(64)) % L;
    const apply = (e: Uint8Array): Uint8Array => {
      ristrettoGroup.check(e, 'element');
      return RP.fromBytes(e).multiply(k).toBytes();
    };
    return {
      group: 'ristretto255',
      apply,
      applyMany: async (es, where, offset = 0) => es.map((e, i) => { ristrettoGroup.check(e, `${where}[${offset + i}]`); return apply(e); }),
      hashMany: async (ids, dst) => ids.map((id) => apply(ristrettoGroup.hash(id, dst))),
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

// ---- sm2 ------------------------------------------------------------------------------------

/** GB/T 32918.5-2017 (the SM2 recommended curve). */
export const SM2_CURVE: Readonly<Record<'p' | 'n' | 'h' | 'a' | 'b' | 'Gx' | 'Gy', bigint>> = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};
/** RFC 9380 simplified SWU's Z for SM2 (Appendix H.2; test/privacy/sm2-group.test.ts re-derives it). */
export const SM2_SSWU_Z = -9n;
const SM2Point = weierstrass(SM2_CURVE);
const sm3Hash = Object.assign((m: Uint8Array): Uint8Array => sm3(m), {
  outputLen: 32,
  blockLen: 64,
  canXOF: false,
  create: (): never => { throw new Error('expand_message_xmd hashes whole messages only'); },
});
const sm2Sswu = mapToCurveSimpleSWU(SM2Point.Fp, { A: SM2_CURVE.a, B: SM2_CURVE.b, Z: SM2Point.Fp.create(SM2_SSWU_Z) });
const sm2Hasher = createHasher(SM2Point, (u: bigint[]) => sm2Sswu(u[0]!), {
  DST: 'SHULIAN-PSI-V01-sm2', p: SM2_CURVE.p, m: 1, k: 128, expand: 'xmd', hash: sm3Hash,
});
const SM2_ECDH = getCurves().includes('SM2');
const compressed = (x: Uint8Array): Uint8Array => { const b = new Uint8Array(33); b[0] = 2; b.set(x, 1); return b; };

const sm2Group: Group = {
  name: 'sm2',
  hash: (id, dst) => sm2Hasher.hashToCurve(Buffer.from(id, 'utf8'), { DST: dst }).toBytes(true).subarray(1),
  newMask(): Mask {
    let k = 0n;
    while (k === 0n) k = BigInt('0x' + randomBytes(48).toString('hex')) % SM2_CURVE.n;
    const ecdh = SM2_ECDH ? createECDH('SM2') : undefined;
    ecdh?.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
    const apply = (e: Uint8Array): Uint8Array => {
      sm2Group.check(e, 'element');
      if (ecdh) return ecdh.computeSecret(compressed(e)); // x(k·P), OpenSSL
      return SM2Point.fromBytes(compressed(e)).multiply(k).toBytes(true).subarray(1);
    };
    return {
      group: 'sm2',
      apply,
      applyMany: async (es, where, offset = 0) => es.map((e, i) => { sm2Group.check(e, `${where}[${offset + i}]`); return apply(e); }),
      hashMany: async (ids, dst) => ids.map((id) => apply(sm2Group.hash(id, dst))),
    };
  },
  check(e, where) {
    if (!(e instanceof Uint8Array) || e.length !== ELEMENT_BYTES) throw bad(where, `expected 32 bytes, got ${e?.length}`);
    try {
      SM2Point.fromBytes(compressed(e)).assertValidity(); // x < p and x³ + ax + b a square
    } catch {
      throw bad(where, 'not the x-coordinate of a point on the SM2 curve (x ≥ p, or x³ + ax + b is not a square)');
    }
  },
};

export function groupOf(name: GroupName): Group {
  return name === 'ristretto255' ? ristrettoGroup : name === 'sm2' ? sm2Group : x25519Group;
}
