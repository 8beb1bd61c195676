/**
 * The batch X25519 of the native addon (native/sm2/psi.c, built with the SM2 addon by
 * scripts/build-native.mjs): hash-to-curve and scalar multiplication for a whole batch in one
 * call on libuv's thread pool. Missing or unloadable addon, or SHULIAN_PSI_JS=1: null, and
 * src/privacy/group.ts uses the JS path (Node's KeyObject X25519), which gives the same bytes.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ADDON = fileURLToPath(new URL('../../native/sm2/build/Release/sm2.node', import.meta.url));

export interface PsiNative {
  /** mode 0: `input` is n·32 bytes of u-coordinates; mode 1: identifiers, each a 2-byte big-endian length and its UTF-8. */
  psiX25519(scalar: Uint8Array, input: Uint8Array, mode: 0 | 1, dst: Uint8Array): Promise<{ out: Uint8Array; bad: number }>;
  /** Paillier (DJN) encryptions: n 256 bytes, h 512 bytes, plaintexts 256 bytes each, all big-endian; 512 bytes each out. */
  psiPaillierEncrypt(n: Uint8Array, h: Uint8Array, plaintexts: Uint8Array): Promise<Uint8Array>;
}

function load(): PsiNative | null {
  if (process.env.SHULIAN_PSI_JS === '1' || !existsSync(ADDON)) return null;
  try {
    const a = createRequire(import.meta.url)(ADDON) as Partial<PsiNative>;
    return typeof a.psiX25519 === 'function' && typeof a.psiPaillierEncrypt === 'function' ? (a as PsiNative) : null;
  } catch {
    return null; // the SM2 loader (src/crypto/sm2native.ts) already warns about an unloadable addon
  }
}

export const psiNative: PsiNative | null = load();
