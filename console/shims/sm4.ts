/** SM4 (GB/T 32907-2016) block cipher in CBC mode with PKCS#7 padding, plain TypeScript for the browser. */
import { ShulianError } from '../../src/codec/index.ts';

const SBOX = new Uint8Array([
  0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05,
  0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04, 0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99,
  0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62,
  0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6,
  0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8,
  0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d, 0x35,
  0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87,
  0xd4, 0x00, 0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e,
  0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5, 0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1,
  0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55, 0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3,
  0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f,
  0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f, 0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51,
  0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8,
  0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0,
  0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96, 0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84,
  0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48,
]);
const FK = [0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc];
const CK = Array.from({ length: 32 }, (_, i) => {
  let w = 0;
  for (let j = 0; j < 4; j++) w = (w << 8) | (((4 * i + j) * 7) & 0xff);
  return w >>> 0;
});

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;
const tau = (a: number): number =>
  ((SBOX[(a >>> 24) & 0xff]! << 24) | (SBOX[(a >>> 16) & 0xff]! << 16) | (SBOX[(a >>> 8) & 0xff]! << 8) | SBOX[a & 0xff]!) >>> 0;
const T = (x: number): number => {
  const b = tau(x);
  return (b ^ rotl(b, 2) ^ rotl(b, 10) ^ rotl(b, 18) ^ rotl(b, 24)) >>> 0;
};
const T1 = (x: number): number => {
  const b = tau(x);
  return (b ^ rotl(b, 13) ^ rotl(b, 23)) >>> 0;
};

const word = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function roundKeys(key: Uint8Array): Uint32Array {
  const K = [word(key, 0) ^ FK[0]!, word(key, 4) ^ FK[1]!, word(key, 8) ^ FK[2]!, word(key, 12) ^ FK[3]!].map((x) => x >>> 0);
  const rk = new Uint32Array(32);
  for (let i = 0; i < 32; i++) {
    const k = (K[i]! ^ T1((K[i + 1]! ^ K[i + 2]! ^ K[i + 3]! ^ CK[i]!) >>> 0)) >>> 0;
    K.push(k);
    rk[i] = k;
  }
  return rk;
}

function cryptBlock(rk: Uint32Array, decrypt: boolean, input: Uint8Array, out: Uint8Array, o: number): void {
  const X = [word(input, 0), word(input, 4), word(input, 8), word(input, 12)];
  for (let i = 0; i < 32; i++) {
    const k = rk[decrypt ? 31 - i : i]!;
    X.push((X[i]! ^ T((X[i + 1]! ^ X[i + 2]! ^ X[i + 3]! ^ k) >>> 0)) >>> 0);
  }
  for (let i = 0; i < 4; i++) {
    const w = X[35 - i]!;
    out[o + i * 4] = w >>> 24; out[o + i * 4 + 1] = w >>> 16; out[o + i * 4 + 2] = w >>> 8; out[o + i * 4 + 3] = w;
  }
}

/** One SM4 block (ECB), for known-answer tests. */
export function sm4Block(key: Uint8Array, block: Uint8Array, decrypt = false): Uint8Array {
  const out = new Uint8Array(16);
  cryptBlock(roundKeys(key), decrypt, block, out, 0);
  return out;
}

function checkKeyIv(key: unknown, iv: unknown): void {
  if (!(key instanceof Uint8Array) || key.length !== 16) throw new ShulianError('SM4_BAD_KEY', 'SM4 key must be 16 bytes');
  if (!(iv instanceof Uint8Array) || iv.length !== 16) throw new ShulianError('SM4_BAD_IV', 'SM4-CBC IV must be 16 bytes');
}

export function sm4Encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKeyIv(key, iv);
  const pad = 16 - (plaintext.length % 16);
  const data = new Uint8Array(plaintext.length + pad);
  data.set(plaintext);
  data.fill(pad, plaintext.length);
  const rk = roundKeys(key);
  const out = new Uint8Array(data.length);
  let prev = iv;
  const blk = new Uint8Array(16);
  for (let o = 0; o < data.length; o += 16) {
    for (let i = 0; i < 16; i++) blk[i] = data[o + i]! ^ prev[i]!;
    cryptBlock(rk, false, blk, out, o);
    prev = out.subarray(o, o + 16);
  }
  data.fill(0);
  return out;
}

export function sm4Decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKeyIv(key, iv);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new ShulianError('SM4_BAD_CIPHERTEXT', 'SM4-CBC ciphertext must be a non-empty multiple of 16 bytes');
  }
  const rk = roundKeys(key);
  const out = new Uint8Array(ciphertext.length);
  let prev = iv;
  for (let o = 0; o < ciphertext.length; o += 16) {
    cryptBlock(rk, true, ciphertext.subarray(o, o + 16), out, o);
    for (let i = 0; i < 16; i++) out[o + i]! ^= prev[i]!;
    prev = ciphertext.subarray(o, o + 16);
  }
  const pad = out[out.length - 1]!;
  let ok = pad >= 1 && pad <= 16;
  for (let i = 0; ok && i < pad; i++) if (out[out.length - 1 - i] !== pad) ok = false;
  if (!ok) {
    out.fill(0);
    throw new ShulianError('SM4_BAD_PADDING', 'SM4-CBC decryption failed: bad padding (wrong key or corrupted data)');
  }
  const res = out.slice(0, out.length - pad);
  out.fill(0);
  return res;
}
