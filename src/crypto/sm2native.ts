/**
 * Loader for the SM2 Node-API addon in native/sm2 (OpenSSL 3 EVP_PKEY "SM2" + EVP_sm3,
 * ID set with EVP_PKEY_CTX_set1_id). Built by scripts/build-native.mjs; when it is missing
 * or cannot load, callers fall back to the pure-JS implementation.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ShulianError } from '../codec/index.ts';
import type { Sm2Impl } from './types.ts';

/** The one place the addon is looked for: `<repo>/native/sm2/build/Release/sm2.node`. */
export const SM2_ADDON_PATH = fileURLToPath(new URL('../../native/sm2/build/Release/sm2.node', import.meta.url));

interface Sm2Addon {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, id?: Uint8Array): boolean;
  sign(privateKey: Uint8Array, message: Uint8Array, id?: Uint8Array): Uint8Array;
  publicKey(privateKey: Uint8Array): Uint8Array;
}

export interface Sm2Native extends Sm2Impl {
  publicKey(privateKey: Uint8Array): Uint8Array;
}

/** Why the addon did not load (undefined when it did). */
export let sm2NativeLoadError: string | undefined;

function isAddon(x: unknown): x is Sm2Addon {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return typeof o.verify === 'function' && typeof o.sign === 'function' && typeof o.publicKey === 'function';
}

/** The codes the addon throws (native/sm2/sm2.c); anything else is reported as SM2_NATIVE. */
const NATIVE_CODES = ['SM2_BAD_ARGS', 'SM2_BAD_ID', 'SM2_BAD_KEY', 'SM2_NATIVE', 'SM2_SIGN_FAILED'] as const;

/** Turns the addon's plain errors into ShulianErrors with the same code. */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' && (NATIVE_CODES as readonly string[]).includes(e.code) ? (e.code as (typeof NATIVE_CODES)[number]) : 'SM2_NATIVE';
    throw new ShulianError(code, typeof e.message === 'string' ? e.message : 'SM2 addon error');
  }
}

function load(): Sm2Native | null {
  if (!existsSync(SM2_ADDON_PATH)) {
    sm2NativeLoadError = `not built (${SM2_ADDON_PATH} is missing; run npm run build)`;
    return null;
  }
  let addon: unknown;
  try {
    addon = createRequire(import.meta.url)(SM2_ADDON_PATH);
  } catch (err) {
    // Built but unloadable (e.g. built for another Node): say so once, then use pure JS.
    sm2NativeLoadError = `failed to load ${SM2_ADDON_PATH}: ${(err as Error).message}`;
    process.emitWarning(`${sm2NativeLoadError}; using pure-JS SM2 (about 10x slower). Rebuild with npm run build.`);
    return null;
  }
  if (!isAddon(addon)) {
    sm2NativeLoadError = `${SM2_ADDON_PATH} does not export verify/sign/publicKey`;
    return null;
  }
  const a = addon;
  return {
    verify(publicKey, message, signature, id) {
      try {
        return a.verify(publicKey, message, signature, id);
      } catch {
        return false;
      }
    },
    sign: (privateKey, message, id) => wrap(() => a.sign(privateKey, message, id)),
    publicKey: (privateKey) => wrap(() => a.publicKey(privateKey)),
  };
}

export const sm2native: Sm2Native | null = load();
