/**
 * The small part of Node's Buffer that the SDK's browser-safe code uses (codec hex, ledger
 * hashing, Merkle/SMT proof checks, pure-JS SM2): from / concat / compare / byteLength /
 * toString('hex' | 'utf8' | 'latin1'). Installed as globalThis.Buffer by console/src/polyfills.ts.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();

function hexToBytes(hex: string): Uint8Array {
  // Node stops at the first non-hex pair; the SDK validates hex before calling, so that suffices.
  const n = hex.length >>> 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = parseInt(hex.substr(i * 2, 2), 16);
    if (Number.isNaN(v)) return out.subarray(0, i);
    out[i] = v;
  }
  return out;
}

export class BrowserBuffer extends Uint8Array {
  static override from(x: unknown, a?: unknown, b?: unknown): BrowserBuffer {
    if (typeof x === 'string') {
      const e = typeof a === 'string' ? a : 'utf8';
      if (e === 'hex') return BrowserBuffer.wrap(hexToBytes(x));
      if (e === 'latin1' || e === 'binary') return BrowserBuffer.wrap(Uint8Array.from(x, (c) => c.charCodeAt(0) & 0xff));
      return BrowserBuffer.wrap(enc.encode(x));
    }
    if (x instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer)) {
      const off = typeof a === 'number' ? a : 0;
      return new BrowserBuffer(x as ArrayBuffer, off, typeof b === 'number' ? b : (x as ArrayBuffer).byteLength - off);
    }
    const out = new BrowserBuffer((x as ArrayLike<number>).length);
    out.set(x as ArrayLike<number>);
    return out;
  }
  static wrap(u: Uint8Array): BrowserBuffer {
    return new BrowserBuffer(u.buffer as ArrayBuffer, u.byteOffset, u.byteLength);
  }
  static alloc(n: number, fill = 0): BrowserBuffer {
    const b = new BrowserBuffer(n);
    if (fill) b.fill(fill);
    return b;
  }
  static concat(parts: readonly Uint8Array[]): BrowserBuffer {
    const out = new BrowserBuffer(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  static compare(a: Uint8Array, b: Uint8Array): number {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  static byteLength(s: string | Uint8Array): number {
    return typeof s === 'string' ? enc.encode(s).length : s.length;
  }
  static isBuffer(x: unknown): boolean {
    return x instanceof BrowserBuffer;
  }
  override toString(encoding: string = 'utf8'): string {
    if (encoding === 'hex') {
      let s = '';
      for (let i = 0; i < this.length; i++) s += this[i]!.toString(16).padStart(2, '0');
      return s;
    }
    if (encoding === 'latin1' || encoding === 'binary') {
      let s = '';
      for (let i = 0; i < this.length; i++) s += String.fromCharCode(this[i]!);
      return s;
    }
    return dec.decode(this);
  }
  equals(o: Uint8Array): boolean {
    return BrowserBuffer.compare(this, o) === 0;
  }
}
