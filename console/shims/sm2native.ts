/** Browser stand-in for src/crypto/sm2native.ts: there is no addon in a browser; the pure-JS SM2 (@noble/curves) is used. */
import type { Sm2Impl } from '../../src/crypto/types.ts';

export const SM2_ADDON_PATH = '';
export const sm2NativeLoadError: string | undefined = 'not available in the browser';
export const sm2native: (Sm2Impl & { publicKey(privateKey: Uint8Array): Uint8Array }) | null = null;
