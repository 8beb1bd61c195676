import { randomBytes } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import { fromHex, toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, type Suite } from '../../src/crypto/index.ts';
import {
  buildAuth, decodeFrame, deriveRecordKeys, encodeFrame, generateEphemeral, parseHandshakeMessage, PeerNetwork, PROTOCOL_VERSION, SecureSession,
  packFrame, sharedSecret, unpackFrame, type AuthMessage, type HelloMessage, type NetLogLevel, type PeerNetworkOptions,
} from '../../src/net/index.ts';
import { waitFor } from './tmp.ts';

export { waitFor };

export const ALLIANCE = 'test-alliance';

export interface LogEntry {
  level: NetLogLevel;
  message: string;
  fields: Record<string, string | number | boolean | null>;
}

export interface TestNode {
  net: PeerNetwork;
  key: KeyPair;
  did: string;
  url: string;
  logs: LogEntry[];
}

/** Fast timings for tests. */
export const FAST: Partial<PeerNetworkOptions> = {
  pingIntervalMs: 200, deadAfterMs: 1500, handshakeTimeoutMs: 2000, reconnect: { baseMs: 50, maxMs: 400 }, requestTimeoutMs: 3000,
};

export function allowSet(...dids: string[]): { set: Set<string>; fn: (did: string) => boolean } {
  const set = new Set(dids);
  return { set, fn: (did) => set.has(did) };
}

/** A started PeerNetwork on 127.0.0.1 with an OS-chosen port. */
export async function startNode(opts: Partial<PeerNetworkOptions> & { key?: KeyPair; suite?: Suite } = {}): Promise<TestNode> {
  const key = opts.key ?? generateKeyPair(opts.suite ?? 'ed25519');
  const logs: LogEntry[] = [];
  const net = new PeerNetwork({
    alliance: ALLIANCE, chains: ['c1'], isAllowedPeer: () => true, listen: { host: '127.0.0.1', port: 0 }, ...FAST, ...opts, key,
    log: (level, message, fields) => logs.push({ level, message, fields: fields ?? {} }),
  });
  await net.start();
  return { net, key, did: net.did, url: net.address() ?? '', logs };
}

export async function closeAll(...nodes: (TestNode | { net: PeerNetwork } | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((n) => n?.net.close()));
}

export function connected(a: TestNode, b: TestNode): boolean {
  return a.net.peers().includes(b.did) && b.net.peers().includes(a.did);
}

/** A WebSocket client that queues what it receives. */
export class RawSocket {
  readonly ws: WebSocket;
  private readonly queue: { data: Buffer; isBinary: boolean }[] = [];
  private waiter: (() => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | null = null;

  constructor(url: string, opts: { autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, autoPong: opts.autoPong ?? true, maxPayload: 64 * 1024 * 1024 });
    this.ws.on('message', (d: RawData, isBinary: boolean) => {
      this.queue.push({ data: Buffer.isBuffer(d) ? d : Buffer.from(d as ArrayBuffer), isBinary });
      this.waiter?.();
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.waiter?.();
      });
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('close', () => reject(new Error('closed before open')));
    });
  }

  /** Next message, or null if the socket closed first. */
  async next(timeoutMs = 3000): Promise<{ data: Buffer; isBinary: boolean } | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.closeInfo) return null;
      if (Date.now() > deadline) throw new Error('timed out waiting for a message');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
      this.waiter = null;
    }
    return this.queue.shift()!;
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface RawPeerOptions {
  key: KeyPair;
  alliance?: string;
  chains?: string[];
  /** Rewrites our auth message before it is sent (forgeries). */
  tamper?: (auth: AuthMessage, ctx: { nodeHello: HelloMessage }) => AuthMessage;
  /** Sent instead of our own eph key in hello (to replay someone else's auth consistently). */
  eph?: Uint8Array;
  /** Replaces the whole auth message (replays). */
  replaceAuth?: AuthMessage;
  autoPong?: boolean;
}

/** A sealed record carrying `frame` as it is, not deflated (src/net/compress.ts packFrame). */
export function sealRaw(session: SecureSession, frame: Uint8Array): Buffer {
  const { head, body } = packFrame(frame, { raw: true });
  return session.seal(head, body);
}

/** A protocol-speaking client under the test's full control. */
export interface RawPeer {
  sock: RawSocket;
  did: string;
  nodeHello: HelloMessage;
  nodeAuth: AuthMessage | null;
  /** Set when the node accepted us (its `ready` arrived and ours was sent). */
  session: SecureSession | null;
  /** Seals and sends one frame (or any bytes as a frame), raw: flag byte 0 (src/net/compress.ts). */
  sendPlain(plain: Uint8Array): void;
  /** Seals and sends a record's whole plaintext as given (flag byte included). */
  sendRecordPlain(plain: Uint8Array): void;
  /** Next decrypted frame from the node. */
  nextFrame(timeoutMs?: number): Promise<ReturnType<typeof decodeFrame>>;
}

/** Runs the handshake by hand against `url` (as a dialer). */
export async function rawPeer(url: string, o: RawPeerOptions): Promise<RawPeer> {
  const sock = new RawSocket(url, { autoPong: o.autoPong ?? true });
  await sock.opened();
  const did = didFromPublicKey(o.key.publicKey);
  const challenge = new Uint8Array(randomBytes(32));
  const eph = generateEphemeral();
  const ephPub = o.eph ?? eph.publicKey;
  const first = await sock.next();
  if (!first) throw new Error('closed before hello');
  const nodeHello = parseHandshakeMessage(first.data.toString()) as HelloMessage;
  sock.ws.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, alliance: o.alliance ?? ALLIANCE, challenge: toHex(challenge), eph: toHex(ephPub) }));
  const second = await sock.next();
  const peer: RawPeer = {
    sock, did, nodeHello, nodeAuth: null, session: null,
    sendPlain(plain) {
      sock.ws.send(sealRaw(peer.session!, plain));
    },
    sendRecordPlain(plain) {
      sock.ws.send(peer.session!.seal(plain));
    },
    async nextFrame(timeoutMs) {
      const m = await sock.next(timeoutMs);
      if (!m) return null;
      const sealed = peer.session!.open(m.data);
      const plain = sealed ? unpackFrame(sealed, 64 << 20) : null;
      return typeof plain === 'object' && plain ? decodeFrame(plain) : null;
    },
  };
  if (!second) return peer; // rejected at hello (e.g. alliance)
  const nodeAuth = parseHandshakeMessage(second.data.toString()) as AuthMessage;
  peer.nodeAuth = nodeAuth;
  let auth = o.replaceAuth ?? buildAuth({
    key: o.key, did, alliance: o.alliance ?? ALLIANCE, chains: o.chains ?? ['c1'], peerChallenge: fromHex(nodeHello.challenge), ownEph: ephPub, peerEph: fromHex(nodeHello.eph),
  });
  if (o.tamper) auth = o.tamper(auth, { nodeHello });
  sock.ws.send(JSON.stringify(auth));
  const secret = sharedSecret(eph, fromHex(nodeHello.eph));
  if (!secret) throw new Error('no shared secret');
  const keys = deriveRecordKeys(secret, challenge, fromHex(nodeHello.challenge));
  const session = new SecureSession(keys.dialerToListener, keys.listenerToDialer);
  const ready = await sock.next();
  if (!ready) return peer;
  const sealed = session.open(ready.data);
  const plain = sealed ? unpackFrame(sealed, 64 << 20) : null;
  const f = typeof plain === 'object' && plain ? decodeFrame(plain) : null;
  if (f?.kind !== 'control' || f.topic !== 'ready') throw new Error('expected ready');
  peer.session = session;
  sock.ws.send(sealRaw(session, encodeFrame('control', '', 'ready', '{}')));
  return peer;
}
