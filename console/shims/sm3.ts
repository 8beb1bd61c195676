/** SM3 (GB/T 32905-2016) in plain TypeScript, for the browser, where Node's OpenSSL is absent. */
const IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

const rotl = (x: number, n: number): number => ((x << (n & 31)) | (x >>> (32 - (n & 31)))) >>> 0;
const P0 = (x: number): number => (x ^ rotl(x, 9) ^ rotl(x, 17)) >>> 0;
const P1 = (x: number): number => (x ^ rotl(x, 15) ^ rotl(x, 23)) >>> 0;

const W = new Uint32Array(68);
const W1 = new Uint32Array(64);

function compress(V: number[], block: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const o = off + i * 4;
    W[i] = ((block[o]! << 24) | (block[o + 1]! << 16) | (block[o + 2]! << 8) | block[o + 3]!) >>> 0;
  }
  for (let j = 16; j < 68; j++) {
    W[j] = (P1(W[j - 16]! ^ W[j - 9]! ^ rotl(W[j - 3]!, 15)) ^ rotl(W[j - 13]!, 7) ^ W[j - 6]!) >>> 0;
  }
  for (let j = 0; j < 64; j++) W1[j] = (W[j]! ^ W[j + 4]!) >>> 0;
  let [A, B, C, D, E, F, G, H] = V as [number, number, number, number, number, number, number, number];
  for (let j = 0; j < 64; j++) {
    const T = j < 16 ? 0x79cc4519 : 0x7a879d8a;
    const SS1 = rotl((rotl(A, 12) + E + rotl(T, j % 32)) >>> 0, 7);
    const SS2 = (SS1 ^ rotl(A, 12)) >>> 0;
    const FF = j < 16 ? A ^ B ^ C : (A & B) | (A & C) | (B & C);
    const GG = j < 16 ? E ^ F ^ G : (E & F) | (~E & G);
    const TT1 = ((FF >>> 0) + D + SS2 + W1[j]!) >>> 0;
    const TT2 = ((GG >>> 0) + H + SS1 + W[j]!) >>> 0;
    D = C;
    C = rotl(B, 9);
    B = A;
    A = TT1;
    H = G;
    G = rotl(F, 19);
    F = E;
    E = P0(TT2);
  }
  V[0] = (V[0]! ^ A) >>> 0; V[1] = (V[1]! ^ B) >>> 0; V[2] = (V[2]! ^ C) >>> 0; V[3] = (V[3]! ^ D) >>> 0;
  V[4] = (V[4]! ^ E) >>> 0; V[5] = (V[5]! ^ F) >>> 0; V[6] = (V[6]! ^ G) >>> 0; V[7] = (V[7]! ^ H) >>> 0;
}

export function sm3js(data: Uint8Array): Uint8Array {
  const V = IV.slice();
  const len = data.length;
  const full = len - (len % 64);
  for (let off = 0; off < full; off += 64) compress(V, data, off);
  const restLen = len - full;
  const tailLen = restLen + 1 + 8 <= 64 ? 64 : 128;
  const tail = new Uint8Array(tailLen);
  tail.set(data.subarray(full));
  tail[restLen] = 0x80;
  const bits = len * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  tail[tailLen - 8] = hi >>> 24; tail[tailLen - 7] = hi >>> 16; tail[tailLen - 6] = hi >>> 8; tail[tailLen - 5] = hi;
  tail[tailLen - 4] = lo >>> 24; tail[tailLen - 3] = lo >>> 16; tail[tailLen - 2] = lo >>> 8; tail[tailLen - 1] = lo;
  for (let off = 0; off < tailLen; off += 64) compress(V, tail, off);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = V[i]! >>> 24; out[i * 4 + 1] = V[i]! >>> 16; out[i * 4 + 2] = V[i]! >>> 8; out[i * 4 + 3] = V[i]!;
  }
  return out;
}

/** HMAC (RFC 2104) with SM3, block size 64. */
export function hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array {
  let k = key.length > 64 ? sm3js(key) : key;
  const k0 = new Uint8Array(64);
  k0.set(k);
  k = k0;
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = k[i]! ^ 0x36;
    outer[i] = k[i]! ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sm3js(inner), 64);
  return sm3js(outer);
}
