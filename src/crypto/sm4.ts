/** SM4 (GB/T 32907) in CBC mode with PKCS#7 padding, through Node's OpenSSL ('sm4-cbc'). */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import { ownBytes as u8 } from './bytes.ts';

function checkKeyIv(key: unknown, iv: unknown): void {
  if (!(key instanceof Uint8Array) || key.length !== 16) throw new ShulianError('SM4_BAD_KEY', 'SM4 key must be 16 bytes');
  if (!(iv instanceof Uint8Array) || iv.length !== 16) throw new ShulianError('SM4_BAD_IV', 'SM4-CBC IV must be 16 bytes');
}

export function sm4Encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKeyIv(key, iv);
  if (!(plaintext instanceof Uint8Array)) throw new ShulianError('BAD_ARGUMENT', 'plaintext must be a Uint8Array');
  const c = createCipheriv('sm4-cbc', key, iv);
  return u8(Buffer.concat([c.update(plaintext), c.final()]));
}

export function sm4Decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKeyIv(key, iv);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new ShulianError('SM4_BAD_CIPHERTEXT', 'SM4-CBC ciphertext must be a non-empty multiple of 16 bytes');
  }
  const d = createDecipheriv('sm4-cbc', key, iv);
  const head = d.update(ciphertext);
  let tail: Buffer;
  try {
    tail = d.final();
  } catch {
    head.fill(0);
    throw new ShulianError('SM4_BAD_PADDING', 'SM4-CBC decryption failed: bad padding (wrong key or corrupted data)');
  }
  // Copy out and wipe the intermediate buffers: plaintext here is often key material.
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  head.fill(0);
  tail.fill(0);
  return out;
}
