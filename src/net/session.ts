/**
 * A link's record layer once the handshake is done: AES-256-GCM with one key per direction and
 * an implicit 64-bit sequence number as nonce (WebSocket over TCP is ordered and reliable, so a
 * dropped, replayed, reordered or altered record fails authentication and ends the link).
 *
 * Keys come from an ephemeral X25519 exchange whose public halves both node signatures cover,
 * so a relay that forwards one node's handshake to another cannot read or inject frames.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

export const TAG_BYTES = 16;
const KEY_INFO = 'shulian-p2p-v1 record keys';

export interface EphemeralKey {
  privateKey: KeyObject;
  /** Raw 32-byte X25519 public key. */
  publicKey: Uint8Array;
}

// RFC 8410 DER wrappers for raw X25519 keys. Keys are made from random bytes rather than with
// generateKeyPairSync + JWK export: on Node 20 that pair can self-deadlock when a GC runs the
// key-generation job's destructor during the export (seen under load in this suite).
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export function generateEphemeral(): EphemeralKey {
  const seed = randomBytes(32);
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  seed.fill(0);
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: new Uint8Array(spki.subarray(spki.length - 32)) };
}

/** X25519 shared secret; null when the peer's key is unusable (e.g. a low-order point). */
export function sharedSecret(own: EphemeralKey, peerPublic: Uint8Array): Uint8Array | null {
  try {
    if (!(peerPublic instanceof Uint8Array) || peerPublic.length !== 32) return null;
    const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerPublic]), format: 'der', type: 'spki' });
    const s = diffieHellman({ privateKey: own.privateKey, publicKey });
    if (s.every((b) => b === 0)) return null;
    return new Uint8Array(s);
  } catch {
    return null;
  }
}

/**
 * Two 32-byte keys: HKDF-SHA256(ikm = shared secret, salt = dialer challenge ‖ listener challenge,
 * info = "shulian-p2p-v1 record keys"); the first 32 bytes protect dialer→listener records.
 */
export function deriveRecordKeys(secret: Uint8Array, dialerChallenge: Uint8Array, listenerChallenge: Uint8Array): { dialerToListener: Uint8Array; listenerToDialer: Uint8Array } {
  const salt = Buffer.concat([dialerChallenge, listenerChallenge]);
  const okm = new Uint8Array(hkdfSync('sha256', secret, salt, KEY_INFO, 64));
  return { dialerToListener: okm.slice(0, 32), listenerToDialer: okm.slice(32, 64) };
}

function nonce(seq: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(seq, 6, 6);
  return n;
}

/** Sequence numbers are 48-bit here; a link that sends 2^48 records must reconnect first. */
const MAX_SEQ = 2 ** 48 - 1;

export class SecureSession {
  private sendSeq = 0;
  private recvSeq = 0;
  private readonly sendKey: Buffer;
  private readonly recvKey: Buffer;

  constructor(sendKey: Uint8Array, recvKey: Uint8Array) {
    this.sendKey = Buffer.from(sendKey);
    this.recvKey = Buffer.from(recvKey);
  }

  /**
   * Encrypts and authenticates one record whose plaintext is `parts` in order: ciphertext ‖
   * 16-byte tag. Parts are encrypted as one stream (GCM is a stream cipher), so a caller need not
   * join them first.
   */
  seal(...parts: Uint8Array[]): Buffer {
    if (this.sendSeq >= MAX_SEQ) throw new Error('record sequence exhausted');
    const c = createCipheriv('aes-256-gcm', this.sendKey, nonce(this.sendSeq++));
    const out = parts.map((p) => c.update(p));
    c.final();
    out.push(c.getAuthTag());
    return Buffer.concat(out);
  }

  /** The plaintext, or null when the record is not the next authentic one from the peer. */
  open(record: Uint8Array): Buffer | null {
    if (record.length < TAG_BYTES || this.recvSeq >= MAX_SEQ) return null;
    try {
      const d = createDecipheriv('aes-256-gcm', this.recvKey, nonce(this.recvSeq));
      d.setAuthTag(record.subarray(record.length - TAG_BYTES));
      const body = d.update(record.subarray(0, record.length - TAG_BYTES));
      d.final();
      this.recvSeq++;
      return body;
    } catch {
      return null;
    }
  }
}
