/**
 * Pure-JS SM2 digital signatures (GB/T 32918.2) over @noble/curves' short Weierstrass
 * arithmetic. This is the fallback when the native addon is unavailable, and the reference
 * the native backend is cross-tested against.
 */
import { randomBytes } from 'node:crypto';
import { weierstrass, type WeierstrassPoint, type WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { ShulianError } from '../codec/index.ts';
import { sm3 } from './hash.ts';
import type { Sm2Impl } from './types.ts';

export interface Sm2CurveParams {
  p: bigint;
  a: bigint;
  b: bigint;
  n: bigint;
  Gx: bigint;
  Gy: bigint;
}

/** The recommended 256-bit curve, GB/T 32918.5 §2 ("sm2p256v1"). */
export const SM2_RECOMMENDED_CURVE: Sm2CurveParams = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

/** Default distinguishing ID when none is agreed (GM/T 0009): "1234567812345678". */
export const SM2_DEFAULT_ID: Uint8Array = new TextEncoder().encode('1234567812345678');

/** ENTL_A is a 16-bit bit length, so an ID has at most 8191 bytes (GB/T 32918.2 §5.5). */
const MAX_ID_BYTES = 8191;

export interface Sm2Js extends Sm2Impl {
  /** Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), GB/T 32918.2 §5.5. */
  za(publicKey: Uint8Array, id?: Uint8Array): Uint8Array;
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** Signing with a caller-chosen k. Only for the standard's known-answer tests. */
  signWithK(privateKey: Uint8Array, message: Uint8Array, k: bigint, id?: Uint8Array): Uint8Array;
  readonly Point: WeierstrassPointCons<bigint>;
}

function bytesToBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

function bigToBytes(x: bigint, len: number): Uint8Array {
  return new Uint8Array(Buffer.from(x.toString(16).padStart(len * 2, '0'), 'hex'));
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Builds SM2 over any prime-field curve with cofactor 1 (the recommended one, or the standard's example curves). */
export function createSm2(params: Sm2CurveParams): Sm2Js {
  const Point = weierstrass<bigint>({ ...params, h: 1n });
  const { n } = params;
  const L = Math.ceil(params.p.toString(2).length / 8); // field element bytes
  const G = Point.BASE;
  const curveBytes = new Uint8Array(Buffer.concat([
    bigToBytes(params.a, L), bigToBytes(params.b, L), bigToBytes(params.Gx, L), bigToBytes(params.Gy, L),
  ]));
  const pubLen = 1 + 2 * L;

  function checkId(id: Uint8Array): void {
    if (!(id instanceof Uint8Array) || id.length > MAX_ID_BYTES) {
      throw new ShulianError('SM2_BAD_ID', `SM2 ID must be a Uint8Array of at most ${MAX_ID_BYTES} bytes`);
    }
  }

  /** Z_A from the already-encoded coordinates x_A || y_A. */
  function zaRaw(xy: Uint8Array, id: Uint8Array): Uint8Array {
    const entl = id.length * 8;
    const buf = new Uint8Array(2 + id.length + curveBytes.length + xy.length);
    buf[0] = entl >>> 8;
    buf[1] = entl & 0xff;
    buf.set(id, 2);
    buf.set(curveBytes, 2 + id.length);
    buf.set(xy, 2 + id.length + curveBytes.length);
    return sm3(buf);
  }

  /** e = H_256(Z_A || M) as an integer (GB/T 32918.2 §6.1 A1-A2, §7.1 B3-B4). */
  function digestE(xy: Uint8Array, message: Uint8Array, id: Uint8Array): bigint {
    const z = zaRaw(xy, id);
    const m = new Uint8Array(z.length + message.length);
    m.set(z, 0);
    m.set(message, z.length);
    return bytesToBig(sm3(m));
  }

  function parsePrivate(privateKey: Uint8Array): bigint {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== L) {
      throw new ShulianError('SM2_BAD_KEY', `SM2 private key must be ${L} bytes`);
    }
    const d = bytesToBig(privateKey);
    // d must be in [1, n-2] so that 1 + d is invertible mod n (GB/T 32918.1 §6.1).
    if (d < 1n || d > n - 2n) throw new ShulianError('SM2_BAD_KEY', 'SM2 private key must be in [1, n-2]');
    return d;
  }

  function publicPoint(d: bigint): WeierstrassPoint<bigint> {
    return G.multiply(d);
  }

  function encodePoint(P: WeierstrassPoint<bigint>): Uint8Array {
    const { x, y } = P.toAffine();
    const out = new Uint8Array(pubLen);
    out[0] = 0x04;
    out.set(bigToBytes(x, L), 1);
    out.set(bigToBytes(y, L), 1 + L);
    return out;
  }

  function randomK(): bigint {
    for (;;) {
      const k = bytesToBig(randomBytes(L + 8)) % n; // 64 extra bits: negligible bias
      if (k !== 0n) return k;
    }
  }

  /** GB/T 32918.2 §6.1 steps A3-A7 for one k; null when the standard says "return to A3". */
  function signCore(d: bigint, e: bigint, k: bigint): Uint8Array | null {
    const x1 = G.multiply(k).toAffine().x;
    const r = mod(e + x1, n);
    if (r === 0n || r + k === n) return null;
    const s = mod(Point.Fn.inv(1n + d) * mod(k - r * d, n), n);
    if (s === 0n) return null;
    const sig = new Uint8Array(2 * L);
    sig.set(bigToBytes(r, L), 0);
    sig.set(bigToBytes(s, L), L);
    return sig;
  }

  function prepare(privateKey: Uint8Array, message: Uint8Array, id: Uint8Array): { d: bigint; e: bigint } {
    checkId(id);
    if (!(message instanceof Uint8Array)) throw new ShulianError('SM2_BAD_ARGS', 'message must be a Uint8Array');
    const d = parsePrivate(privateKey);
    const pub = encodePoint(publicPoint(d));
    return { d, e: digestE(pub.subarray(1), message, id) };
  }

  return {
    Point,
    za(publicKey, id = SM2_DEFAULT_ID) {
      checkId(id);
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== pubLen || publicKey[0] !== 0x04) {
        throw new ShulianError('SM2_BAD_KEY', `SM2 public key must be ${pubLen} bytes 0x04||X||Y`);
      }
      return zaRaw(publicKey.subarray(1), id);
    },
    publicKey(privateKey) {
      return encodePoint(publicPoint(parsePrivate(privateKey)));
    },
    sign(privateKey, message, id = SM2_DEFAULT_ID) {
      const { d, e } = prepare(privateKey, message, id);
      for (;;) {
        const sig = signCore(d, e, randomK());
        if (sig) return sig;
      }
    },
    signWithK(privateKey, message, k, id = SM2_DEFAULT_ID) {
      const { d, e } = prepare(privateKey, message, id);
      if (k < 1n || k >= n) throw new ShulianError('SM2_BAD_K', 'k must be in [1, n-1]');
      const sig = signCore(d, e, k);
      if (!sig) throw new ShulianError('SM2_BAD_K', 'this k gives r = 0, r + k = n or s = 0');
      return sig;
    },
    verify(publicKey, message, signature, id = SM2_DEFAULT_ID) {
      try {
        if (!(publicKey instanceof Uint8Array) || publicKey.length !== pubLen || publicKey[0] !== 0x04) return false;
        if (!(signature instanceof Uint8Array) || signature.length !== 2 * L) return false;
        if (!(message instanceof Uint8Array) || !(id instanceof Uint8Array) || id.length > MAX_ID_BYTES) return false;
        // B1, B2: r', s' in [1, n-1]
        const r = bytesToBig(signature.subarray(0, L));
        const s = bytesToBig(signature.subarray(L));
        if (r < 1n || r >= n || s < 1n || s >= n) return false;
        // The public key must be a point on the curve (fromBytes checks the equation; h = 1).
        const P = Point.fromBytes(publicKey);
        P.assertValidity();
        // B3-B4
        const e = digestE(publicKey.subarray(1), message, id);
        // B5: t = (r' + s') mod n, t != 0
        const t = mod(r + s, n);
        if (t === 0n) return false;
        // B6: (x1', y1') = [s']G + [t]P_A
        const X = G.mulAddUnsafe(s, P, t);
        if (X.is0()) return false;
        // B7: R = (e' + x1') mod n == r'
        return mod(e + X.toAffine().x, n) === r;
      } catch {
        return false;
      }
    },
  };
}

/** SM2 on the recommended curve. */
export const sm2js: Sm2Js = createSm2(SM2_RECOMMENDED_CURVE);
