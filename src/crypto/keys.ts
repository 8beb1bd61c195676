/** Key generation, signing and verification for both suites, and DIDs (DESIGN §4). */
import { randomBytes } from 'node:crypto';
import { ShulianError, toBase58, toHex } from '../codec/index.ts';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from './ed25519.ts';
import { sm3 } from './hash.ts';
import { sm2js, SM2_RECOMMENDED_CURVE } from './sm2js.ts';
import { sm2native, sm2NativeLoadError } from './sm2native.ts';
import { isSuite, type KeyPair, type Sm2Impl, type Suite } from './types.ts';

function chooseBackend(): 'native' | 'js' {
  const forced = process.env.SHULIAN_SM2_BACKEND;
  if (forced === 'js') return 'js';
  if (forced === 'native' && !sm2native) {
    throw new ShulianError('SM2_NATIVE_UNAVAILABLE',
      `SHULIAN_SM2_BACKEND=native but the SM2 addon is unavailable: ${sm2NativeLoadError ?? 'unknown reason'}`);
  }
  return sm2native ? 'native' : 'js';
}

/** Which SM2 implementation sign/verify use. `SHULIAN_SM2_BACKEND=js` forces the pure-JS one. */
export const sm2Backend: 'native' | 'js' = chooseBackend();
const sm2: Sm2Impl = sm2Backend === 'native' && sm2native ? sm2native : sm2js;

function checkSuite(suite: unknown): asserts suite is Suite {
  if (!isSuite(suite)) {
    throw new ShulianError('BAD_SUITE', `unknown signature suite ${JSON.stringify(suite)} (expected "sm2" or "ed25519")`);
  }
}

function checkBytes(x: unknown, what: string, len?: number): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw new ShulianError('BAD_ARGUMENT', `${what} must be a Uint8Array`);
  if (len !== undefined && x.length !== len) {
    throw new ShulianError('BAD_KEY', `${what} must be ${len} bytes, got ${x.length}`);
  }
}

/** Uniform SM2 private key in [1, n-2] by rejection sampling (GB/T 32918.1 §6.1). */
function randomSm2Private(): Uint8Array {
  const max = SM2_RECOMMENDED_CURVE.n - 2n;
  for (;;) {
    const b = randomBytes(32);
    const d = BigInt('0x' + b.toString('hex'));
    const out = d >= 1n && d <= max ? new Uint8Array(b) : null;
    b.fill(0); // randomBytes may hand out pooled memory; leave no key bytes behind
    if (out) return out;
  }
}

function randomSeed(): Uint8Array {
  const b = randomBytes(32);
  const out = new Uint8Array(b);
  b.fill(0);
  return out;
}

function sm2PublicKey(privateKey: Uint8Array): Uint8Array {
  return sm2Backend === 'native' && sm2native ? sm2native.publicKey(privateKey) : sm2js.publicKey(privateKey);
}

export function generateKeyPair(suite: Suite): KeyPair {
  checkSuite(suite);
  const privateKey = suite === 'sm2' ? randomSm2Private() : randomSeed();
  return { suite, privateKey, publicKey: publicKeyFromPrivate(suite, privateKey) };
}

/**
 * HMAC-SM3 (RFC 2104 over GB/T 32905: 64-byte blocks), on the module's own SM3 so it runs in the
 * browser build too (whose `node:crypto` stand-in has no createHmac).
 */
function hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = new Uint8Array(64);
  k.set(key.length > 64 ? sm3(key) : key);
  const pad = (b: number): Uint8Array => k.map((x) => x ^ b);
  const inner = sm3(Uint8Array.from([...pad(0x36), ...data]));
  return sm3(Uint8Array.from([...pad(0x5c), ...inner]));
}

/**
 * A key pair derived from a secret and a label: private key = HMAC-SM3(secret, label ‖ counter),
 * the counter rising until it is a valid key (SM2: in [1, n−2]). The same secret and label give
 * the same key; without the secret it cannot be found. For keys a service keeps no file of
 * because it can derive them from a key it holds (the node's sandbox issuer, src/node/sandbox.ts).
 */
export function deriveKeyPair(suite: Suite, secret: Uint8Array, label: string): KeyPair {
  checkSuite(suite);
  checkBytes(secret, 'secret');
  if (secret.length < 32) throw new ShulianError('BAD_KEY', 'a derivation secret must be at least 32 bytes');
  for (let i = 0; ; i++) {
    const d = hmacSm3(secret, new TextEncoder().encode(`${label}\0${i}`));
    const n = BigInt('0x' + toHex(d));
    if (suite === 'sm2' && (n < 1n || n > SM2_RECOMMENDED_CURVE.n - 2n)) continue;
    return { suite, privateKey: d, publicKey: publicKeyFromPrivate(suite, d) };
  }
}

export function publicKeyFromPrivate(suite: Suite, privateKey: Uint8Array): Uint8Array {
  checkSuite(suite);
  checkBytes(privateKey, `${suite} private key`, 32);
  return suite === 'sm2' ? sm2PublicKey(privateKey) : ed25519PublicKey(privateKey);
}

/** 64-byte signature. SM2: r||s over e = SM3(Z_A || M), default ID (GB/T 32918.2 §6.1). */
export function sign(suite: Suite, privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  checkSuite(suite);
  checkBytes(privateKey, `${suite} private key`, 32);
  checkBytes(message, 'message');
  return suite === 'sm2' ? sm2.sign(privateKey, message) : ed25519Sign(privateKey, message);
}

/** Never throws: any malformed key, signature or argument gives false. */
export function verify(suite: Suite, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (suite === 'sm2') return sm2.verify(publicKey, message, signature);
    if (suite === 'ed25519') return ed25519Verify(publicKey, message, signature);
    return false;
  } catch {
    return false;
  }
}

/** did:shulian:<base58btc(first 20 bytes of SM3(publicKey))> — self-certifying (DESIGN §4). */
export function didFromPublicKey(publicKey: Uint8Array): string {
  checkBytes(publicKey, 'public key');
  if (publicKey.length !== 65 && publicKey.length !== 32) {
    throw new ShulianError('BAD_KEY', `public key must be 65 bytes (SM2) or 32 bytes (Ed25519), got ${publicKey.length}`);
  }
  return 'did:shulian:' + toBase58(sm3(publicKey).subarray(0, 20));
}
