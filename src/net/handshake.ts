/**
 * The mutual authentication handshake (docs/network.md "Handshake"). Both sides send `hello`
 * (fresh 32-byte challenge, ephemeral X25519 key, alliance id) as soon as the socket opens;
 * on the peer's hello each sends `auth`: its node key's signature over
 *
 *   lp("shulian-p2p-v1") ‖ lp(alliance) ‖ lp(peer challenge) ‖ lp(own DID)
 *     ‖ lp(canonical JSON of its sorted chain list) ‖ lp(own ephemeral key) ‖ lp(peer ephemeral key)
 *
 * where lp(x) = u32be(byteLength(x)) ‖ x, strings in UTF-8. A pure state machine: the transport
 * feeds it text messages and gets back what to send, a failure reason, or the verified peer.
 */
import { randomBytes } from 'node:crypto';
import { canonicalize, fromHex, isHex, toHex, DID_RE, isRecord } from '../codec/index.ts';
import { didFromPublicKey, sign, verify, type KeyPair, type Suite } from '../crypto/index.ts';
import { CHAIN_RE } from './frame.ts';
import { deriveRecordKeys, generateEphemeral, SecureSession, sharedSecret, type EphemeralKey } from './session.ts';

export const PROTOCOL_TAG = 'shulian-p2p-v1';
/** 2: each record's plaintext starts with a flag byte, its frame deflated or not (compress.ts). */
export const PROTOCOL_VERSION = 2;
export const CHALLENGE_BYTES = 32;
/** Largest handshake message accepted (text). */
export const MAX_HANDSHAKE_BYTES = 16 * 1024;
/** Most chains one node may offer in its handshake. */
export const MAX_CHAINS = 256;

export interface HelloMessage {
  t: 'hello';
  v: number;
  alliance: string;
  /** 32 random bytes, hex. */
  challenge: string;
  /** Ephemeral X25519 public key, 32 bytes, hex. */
  eph: string;
}

export interface AuthMessage {
  t: 'auth';
  did: string;
  suite: Suite;
  /** Node public key, hex (65 bytes SM2, 32 bytes Ed25519). */
  publicKey: string;
  /** Chains this node offers, sorted, no duplicates. */
  chains: string[];
  /** Signature over authTranscript(...), hex. */
  sig: string;
}

export type HandshakeMessage = HelloMessage | AuthMessage;

/** The verified other side of a link. */
export interface AuthenticatedPeer {
  did: string;
  suite: Suite;
  publicKey: Uint8Array;
  chains: string[];
}

export interface HandshakeConfig {
  alliance: string;
  key: KeyPair;
  did: string;
  chains: readonly string[];
  role: 'dialer' | 'listener';
  /** May this DID connect at all (called with no chain id)? */
  isAllowedPeer: (did: string) => boolean;
  /** A dialer may know whom it expects at the address. */
  expectedDid?: string;
}

export type HandshakeStep =
  | { kind: 'send'; text: string }
  | { kind: 'done'; peer: AuthenticatedPeer; session: SecureSession }
  | { kind: 'fail'; code: HandshakeFailure; reason: string; claimedDid?: string };

/** Why a handshake failed, as counted in stats (the transport adds timeout/rejected/protocol). */
export type HandshakeFailure =
  | 'malformed' | 'version' | 'alliance' | 'order' | 'bad-key' | 'did-mismatch' | 'self'
  | 'bad-signature' | 'unexpected-did' | 'not-allowed' | 'bad-ephemeral' | 'internal';

function lp(parts: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length, 0);
    out.push(len, p);
  }
  return new Uint8Array(Buffer.concat(out));
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** Sorted, de-duplicated chain list as the handshake carries and signs it. */
export function normalizeChains(chains: Iterable<string>): string[] {
  return [...new Set(chains)].sort();
}

/** The exact bytes a node signs in its `auth` message. */
export function authTranscript(f: {
  alliance: string;
  peerChallenge: Uint8Array;
  did: string;
  chains: readonly string[];
  ownEph: Uint8Array;
  peerEph: Uint8Array;
}): Uint8Array {
  return lp([utf8(PROTOCOL_TAG), utf8(f.alliance), f.peerChallenge, utf8(f.did), utf8(canonicalize([...f.chains])), f.ownEph, f.peerEph]);
}

/** Parses a handshake message; null for anything that is not exactly a hello or an auth. */
export function parseHandshakeMessage(text: string): HandshakeMessage | null {
  if (typeof text !== 'string' || text.length > MAX_HANDSHAKE_BYTES) return null;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(m)) return null;
  if (m.t === 'hello') {
    if (typeof m.v !== 'number' || typeof m.alliance !== 'string' || m.alliance.length > 128) return null;
    if (!isHex(m.challenge, CHALLENGE_BYTES) || !isHex(m.eph, 32)) return null;
    return { t: 'hello', v: m.v, alliance: m.alliance, challenge: m.challenge, eph: m.eph };
  }
  if (m.t === 'auth') {
    if (typeof m.did !== 'string' || !DID_RE.test(m.did)) return null;
    if (m.suite !== 'sm2' && m.suite !== 'ed25519') return null;
    if (!isHex(m.publicKey, m.suite === 'sm2' ? 65 : 32) || !isHex(m.sig, 64)) return null;
    if (!Array.isArray(m.chains) || m.chains.length > MAX_CHAINS) return null;
    const chains: string[] = [];
    for (const c of m.chains) {
      if (typeof c !== 'string' || !CHAIN_RE.test(c)) return null;
      chains.push(c);
    }
    // Must already be in the canonical (sorted, unique) order the signature covers.
    const norm = normalizeChains(chains);
    if (norm.length !== chains.length || norm.some((c, i) => c !== chains[i])) return null;
    return { t: 'auth', did: m.did, suite: m.suite, publicKey: m.publicKey, chains, sig: m.sig };
  }
  return null;
}

/** Signs an auth message (exported for tests and tools that speak the protocol). */
export function buildAuth(f: {
  key: KeyPair;
  did: string;
  alliance: string;
  chains: readonly string[];
  peerChallenge: Uint8Array;
  ownEph: Uint8Array;
  peerEph: Uint8Array;
}): AuthMessage {
  const chains = normalizeChains(f.chains);
  const msg = authTranscript({ alliance: f.alliance, peerChallenge: f.peerChallenge, did: f.did, chains, ownEph: f.ownEph, peerEph: f.peerEph });
  return { t: 'auth', did: f.did, suite: f.key.suite, publicKey: toHex(f.key.publicKey), chains, sig: toHex(sign(f.key.suite, f.key.privateKey, msg)) };
}

export class Handshake {
  readonly challenge: Uint8Array = new Uint8Array(randomBytes(CHALLENGE_BYTES));
  private readonly eph: EphemeralKey = generateEphemeral();
  private readonly chains: string[];
  private peerHello: { challenge: Uint8Array; eph: Uint8Array } | null = null;
  private finished = false;

  constructor(private readonly cfg: HandshakeConfig) {
    this.chains = normalizeChains(cfg.chains);
  }

  /** The first message; send it as soon as the socket opens. */
  hello(): string {
    const m: HelloMessage = { t: 'hello', v: PROTOCOL_VERSION, alliance: this.cfg.alliance, challenge: toHex(this.challenge), eph: toHex(this.eph.publicKey) };
    return JSON.stringify(m);
  }

  /** Feeds one received text message. After `done` or `fail`, further input fails. */
  receive(text: string): HandshakeStep {
    if (this.finished) return { kind: 'fail', code: 'order', reason: 'handshake already finished' };
    let step: HandshakeStep;
    try {
      step = this.step(text);
    } catch (err) {
      step = { kind: 'fail', code: 'internal', reason: `handshake error: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (step.kind !== 'send') this.finished = true;
    return step;
  }

  private step(text: string): HandshakeStep {
    const m = parseHandshakeMessage(text);
    if (!m) return { kind: 'fail', code: 'malformed', reason: 'malformed handshake message' };
    if (m.t === 'hello') {
      if (this.peerHello) return { kind: 'fail', code: 'order', reason: 'duplicate hello' };
      if (m.v !== PROTOCOL_VERSION) return { kind: 'fail', code: 'version', reason: `protocol version ${m.v} not supported (want ${PROTOCOL_VERSION})` };
      if (m.alliance !== this.cfg.alliance) return { kind: 'fail', code: 'alliance', reason: `alliance mismatch: peer is in "${m.alliance.slice(0, 40)}", this node in "${this.cfg.alliance}"` };
      this.peerHello = { challenge: fromHex(m.challenge), eph: fromHex(m.eph) };
      const auth = buildAuth({ key: this.cfg.key, did: this.cfg.did, alliance: this.cfg.alliance, chains: this.chains, peerChallenge: this.peerHello.challenge, ownEph: this.eph.publicKey, peerEph: this.peerHello.eph });
      return { kind: 'send', text: JSON.stringify(auth) };
    }
    // auth
    const ph = this.peerHello;
    if (!ph) return { kind: 'fail', code: 'order', reason: 'auth before hello', claimedDid: m.did };
    const publicKey = fromHex(m.publicKey);
    let derived: string;
    try {
      derived = didFromPublicKey(publicKey);
    } catch {
      return { kind: 'fail', code: 'bad-key', reason: 'bad public key', claimedDid: m.did };
    }
    if (derived !== m.did) return { kind: 'fail', code: 'did-mismatch', reason: 'DID does not derive from the presented key', claimedDid: m.did };
    if (m.did === this.cfg.did) return { kind: 'fail', code: 'self', reason: 'connected to itself', claimedDid: m.did };
    const msg = authTranscript({ alliance: this.cfg.alliance, peerChallenge: this.challenge, did: m.did, chains: m.chains, ownEph: ph.eph, peerEph: this.eph.publicKey });
    if (!verify(m.suite, publicKey, msg, fromHex(m.sig))) return { kind: 'fail', code: 'bad-signature', reason: 'bad handshake signature', claimedDid: m.did };
    if (this.cfg.expectedDid !== undefined && m.did !== this.cfg.expectedDid) {
      return { kind: 'fail', code: 'unexpected-did', reason: `expected ${this.cfg.expectedDid} at this address, found ${m.did}`, claimedDid: m.did };
    }
    if (!this.cfg.isAllowedPeer(m.did)) return { kind: 'fail', code: 'not-allowed', reason: 'peer not allowed', claimedDid: m.did };
    const secret = sharedSecret(this.eph, ph.eph);
    if (!secret) return { kind: 'fail', code: 'bad-ephemeral', reason: 'bad ephemeral key', claimedDid: m.did };
    const dialer = this.cfg.role === 'dialer';
    const keys = deriveRecordKeys(secret, dialer ? this.challenge : ph.challenge, dialer ? ph.challenge : this.challenge);
    const session = dialer ? new SecureSession(keys.dialerToListener, keys.listenerToDialer) : new SecureSession(keys.listenerToDialer, keys.dialerToListener);
    return { kind: 'done', peer: { did: m.did, suite: m.suite, publicKey, chains: m.chains }, session };
  }
}
