/**
 * Just enough DER (X.690) for X.509 path checking: read the TLVs of a certificate (to get the
 * exact tbsCertificate bytes, algorithm identifiers, names and keys) and write them (tests build
 * SM2 certificates with it, which @peculiar/x509 cannot sign). Strict: definite lengths only.
 */

import { DerError } from './errors.ts';

export { DerError };

export interface Tlv {
  tag: number;
  /** Offset of the tag byte in the buffer. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export function readTlv(buf: Uint8Array, off: number, limit = buf.length): Tlv {
  if (off + 2 > limit) throw new DerError('truncated DER');
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not used in certificates');
  let len = buf[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new DerError('unsupported DER length');
    if (p + n > limit) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | buf[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new DerError('DER value runs past its container');
  return { tag, start: off, contentStart: p, end: p + len };
}

/** The TLVs directly inside a constructed value. */
export function children(buf: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = t.contentStart;
  while (p < t.end) {
    const c = readTlv(buf, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export const raw = (buf: Uint8Array, t: Tlv): Uint8Array => buf.subarray(t.start, t.end);
export const content = (buf: Uint8Array, t: Tlv): Uint8Array => buf.subarray(t.contentStart, t.end);

export function oidToString(b: Uint8Array): string {
  if (b.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let v = 0;
  for (const x of b) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift()!;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

// ---- writing ----------------------------------------------------------------------------------

function lenBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n >>>= 8;
  }
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const head = [tag, ...lenBytes(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let p = head.length;
  for (const x of parts) {
    out.set(x, p);
    p += x.length;
  }
  return out;
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts);
export const set = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, ...parts);
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const bitString = (b: Uint8Array, unused = 0): Uint8Array => tlv(0x03, Uint8Array.of(unused), b);
export const utf8 = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s));
export const bool = (v: boolean): Uint8Array => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner);

/** A non-negative INTEGER from big-endian magnitude bytes. */
export function uint(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const m = b.subarray(i);
  return tlv(0x02, m[0]! & 0x80 ? Uint8Array.of(0, ...m) : m);
}

export function oid(s: string): Uint8Array {
  const n = s.split('.').map(Number);
  const out: number[] = [];
  const arcs = [n[0]! * 40 + n[1]!, ...n.slice(2)];
  for (let v of arcs) {
    const enc = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      enc.unshift(0x80 | (v & 0x7f));
      v = Math.floor(v / 128);
    }
    out.push(...enc);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
export function time(d: Date): Uint8Array {
  const iso = d.toISOString();
  const y = d.getUTCFullYear();
  const rest = iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  if (y >= 1950 && y < 2050) return tlv(0x17, new TextEncoder().encode(String(y).slice(2) + rest));
  return tlv(0x18, new TextEncoder().encode(String(y) + rest));
}

/** ECDSA/SM2 signature value r‖s (64 bytes) as DER SEQUENCE { r INTEGER, s INTEGER }. */
export function rsToDer(sig: Uint8Array): Uint8Array {
  return seq(uint(sig.subarray(0, 32)), uint(sig.subarray(32, 64)));
}

/** DER SEQUENCE { r, s } back to r‖s (each 32 bytes); throws when it is not that shape. */
export function derToRs(der: Uint8Array): Uint8Array {
  const top = readTlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) throw new DerError('signature is not a DER SEQUENCE');
  const [r, s, ...more] = children(der, top);
  if (!r || !s || more.length || r.tag !== 0x02 || s.tag !== 0x02) throw new DerError('signature is not SEQUENCE { r, s }');
  const out = new Uint8Array(64);
  for (const [i, t] of [r, s].entries()) {
    let v = content(der, t);
    if (v.length === 0 || (v[0]! & 0x80)) throw new DerError('signature integer is empty or negative');
    if (v.length > 1 && v[0] === 0 && (v[1]! & 0x80)) v = v.subarray(1);
    if (v.length > 32) throw new DerError('signature integer out of range');
    out.set(v, i * 32 + 32 - v.length);
  }
  return out;
}
