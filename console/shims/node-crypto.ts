/** Browser stand-in for `node:crypto` as the SDK's browser-safe code uses it: randomBytes, and createHmac for SM3 (crypto/keys.ts deriveKeyPair). */
import { BrowserBuffer } from './buffer.ts';
import { hmacSm3 } from './sm3.ts';

export function randomBytes(n: number): BrowserBuffer {
  const b = new BrowserBuffer(n);
  globalThis.crypto.getRandomValues(b);
  return b;
}

function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser console`);
}

export function createHash(): never {
  return unavailable('createHash (streamed file hashing)');
}
/** HMAC-SM3 only (RFC 2104 over GB/T 32905), buffered: update(...) then digest(). */
export function createHmac(alg: string, key: Uint8Array) {
  if (alg !== 'sm3') return unavailable(`createHmac('${alg}')`);
  const parts: Uint8Array[] = [];
  const h = {
    update(data: Uint8Array | string, _enc?: 'utf8') {
      parts.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
      return h;
    },
    digest(): BrowserBuffer {
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) { all.set(p, o); o += p.length; }
      const out = hmacSm3(key, all);
      const b = new BrowserBuffer(out.length);
      b.set(out);
      return b;
    },
  };
  return h;
}
export default { randomBytes, createHash, createHmac };
