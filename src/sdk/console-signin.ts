/**
 * The console sign-in message (issue #13 item 3): what a key signs to open a console session.
 * Client and node both build it from the challenge's fields; neither ever signs or verifies bytes
 * the other side chose. Browser-safe. Format (docs/api.md "Sign-in message"):
 *
 *   shulian-console-signin/v1\n
 *   node=<the node's DID>\n
 *   did=<the DID signing in>\n
 *   origin=<scheme://host[:port] the client talks to>\n
 *   nonce=<32 lowercase hex digits>\n
 *   expires=<ms since the epoch>
 *
 * The key signs H(message), H the suite's hash (SM3 for SM2, SHA-256 for Ed25519), as it signs
 * a transaction's 32-byte hash — but a tx hash is H(canonical JSON of the tx body), and canonical
 * JSON of an object starts with "{" while the sign-in message starts with "shulian-": the two
 * preimages always differ, so equal digests would be a collision of H. A sign-in signature
 * therefore never verifies as a transaction signature, nor the reverse (test/console-signin.test.ts).
 */
import { ShulianError, toHex, DID_RE, HEX64_RE as MAC_RE } from '../codec/index.ts';
import { hashFor, sign, verify, type KeyPair, type Suite } from '../crypto/index.ts';

/** First line of every sign-in message: the domain tag. */
export const SIGNIN_PREFIX = 'shulian-console-signin/v1';
/** The longest a challenge may live, from the client's clock: a node asking for longer is refused. */
export const SIGNIN_MAX_TTL_MS = 10 * 60 * 1000;
/** Allowed difference between the client's and the node's clocks when checking a challenge. */
export const SIGNIN_CLOCK_SKEW_MS = 2 * 60 * 1000;

const NONCE_RE = /^[0-9a-f]{32}$/;
/** An origin as URL.origin writes it: lowercase scheme and host, a port only when not the default. */
const ORIGIN_RE = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[1-9][0-9]{0,4})?$/;

/** The fields a node issues as a sign-in challenge; `mac` is the node's own check and is not signed. */
export interface SignInChallenge {
  node: string;
  did: string;
  origin: string;
  nonce: string;
  expiresAt: number;
  /** HMAC the node keeps its challenges stateless with; opaque to the client, sent back as is. */
  mac: string;
}

export type SignInFields = Omit<SignInChallenge, 'mac'>;

/** The origin (scheme://host[:port]) of a URL, as the sign-in message names it. */
export function originOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ShulianError('BAD_OPTIONS', `${JSON.stringify(url)} is not a URL; give the node's address such as http://127.0.0.1:7070`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ShulianError('BAD_OPTIONS', `${url} is not an http(s) URL`);
  return u.origin;
}

/** What is wrong with the fields of a challenge, or undefined when they have the sign-in shape. */
export function signInShapeError(c: unknown): string | undefined {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return 'the challenge is not an object of sign-in fields (node, did, origin, nonce, expiresAt, mac)';
  const o = c as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['node', 'did', 'origin', 'nonce', 'expiresAt', 'mac'].includes(k));
  if (extra.length > 0) return `the challenge has fields a sign-in challenge does not have: ${extra.slice(0, 5).join(', ')}`;
  if (typeof o.node !== 'string' || !DID_RE.test(o.node)) return 'challenge.node is not a node DID';
  if (typeof o.did !== 'string' || !DID_RE.test(o.did)) return 'challenge.did is not a DID';
  if (typeof o.origin !== 'string' || !ORIGIN_RE.test(o.origin)) return 'challenge.origin is not an origin such as https://node.example';
  if (typeof o.nonce !== 'string' || !NONCE_RE.test(o.nonce)) return 'challenge.nonce is not 32 lowercase hex digits';
  if (typeof o.expiresAt !== 'number' || !Number.isSafeInteger(o.expiresAt) || o.expiresAt <= 0) return 'challenge.expiresAt is not a time in ms';
  if (typeof o.mac !== 'string' || !MAC_RE.test(o.mac)) return 'challenge.mac is not 64 lowercase hex digits';
  return undefined;
}

/** The framed sign-in message for these fields (see the top of this file). Throws on a field of the wrong shape. */
export function signInMessage(f: SignInFields): string {
  const err = signInShapeError({ ...f, mac: '0'.repeat(64) });
  if (err) throw new ShulianError('SIGNIN_CHALLENGE_REFUSED', err);
  return `${SIGNIN_PREFIX}\nnode=${f.node}\ndid=${f.did}\norigin=${f.origin}\nnonce=${f.nonce}\nexpires=${f.expiresAt}`;
}

/** The 32 bytes a key signs to sign in: the suite's hash of the framed message. */
export function signInDigest(suite: Suite, f: SignInFields): Uint8Array {
  return hashFor(suite)(new TextEncoder().encode(signInMessage(f)));
}

export interface SignInExpectation {
  /** The DID signing in. */
  did: string;
  /** The origin the client is talking to (originOf(baseUrl), or location.origin in a page). */
  origin: string;
  /** The node's DID, when the client knows it: a challenge naming another node is refused. */
  node?: string;
  /** The client's clock (ms). */
  now: number;
}

/**
 * Checks a challenge a node sent before anything is signed: the sign-in shape and nothing else,
 * this DID, this origin, the expected node, not expired and not living longer than
 * SIGNIN_MAX_TTL_MS. Throws SIGNIN_CHALLENGE_REFUSED saying what was wrong.
 */
export function checkSignInChallenge(raw: unknown, expect: SignInExpectation): SignInChallenge {
  const refuse = (why: string): never => {
    throw new ShulianError('SIGNIN_CHALLENGE_REFUSED', `refusing to sign the node's challenge: ${why}; nothing was signed`);
  };
  const shape = signInShapeError(raw);
  if (shape) refuse(shape);
  const c = raw as SignInChallenge;
  if (c.did !== expect.did) refuse(`it is for ${c.did}, not ${expect.did}`);
  if (c.origin !== expect.origin) refuse(`it names the origin ${c.origin}, but this client is talking to ${expect.origin}`);
  if (expect.node !== undefined && c.node !== expect.node) refuse(`it names the node ${c.node}, not ${expect.node}`);
  if (c.expiresAt <= expect.now - SIGNIN_CLOCK_SKEW_MS) refuse(`it expired at ${new Date(c.expiresAt).toISOString()}`);
  if (c.expiresAt > expect.now + SIGNIN_MAX_TTL_MS + SIGNIN_CLOCK_SKEW_MS) refuse(`it would stay valid until ${new Date(c.expiresAt).toISOString()}, longer than ${SIGNIN_MAX_TTL_MS / 60_000} minutes`);
  return c;
}

/** The hex signature over a checked challenge's sign-in digest. */
export function signSignIn(key: KeyPair, c: SignInFields): string {
  return toHex(sign(key.suite, key.privateKey, signInDigest(key.suite, c)));
}

/** Does `signature` sign in as the challenge says, with this public key? */
export function verifySignIn(suite: Suite, publicKey: Uint8Array, c: SignInFields, signature: Uint8Array): boolean {
  return verify(suite, publicKey, signInDigest(suite, c), signature);
}
