import { canonicalize, CHAIN_ID_RE, type JsonValue } from '../../codec/index.ts';
import { accountSchema, chainIdSchema, digestSchema, hexSchema, jsonSchema, z } from '../../codec/schemas.ts';
import { hashFor, type Suite } from '../../crypto/index.ts';
import type { BlockHeader, ValidatorInfo, SmtProof } from '../../ledger/index.ts';

/**
 * A cross-chain packet (after IBC ICS-4): written by the source chain's `xchain` module under
 * `xchain/out/<dstChain>/<sequence>`, proven to the destination with a state proof, executed
 * there once, acknowledged back. A port is a module name.
 */
export interface Packet {
  srcChain: string;
  srcPort: string;
  dstChain: string;
  dstPort: string;
  sequence: number;
  /** DID that signed the source transaction. */
  sender: string;
  payload: JsonValue;
  /** The packet times out at this destination height (it may be received only below it). */
  timeoutHeight?: number;
  /** ... or at this destination block time, ms (received only in blocks before it). */
  timeoutTime?: number;
  /** The sender's verifiable credential, for channels whose policy names a credential type. */
  credential?: { [key: string]: JsonValue };
}

export type Ack = { ok: true; result: JsonValue } | { ok: false; code: string; message: string };

/** Which senders may reach which port of a chain from which source chain. */
export interface InboundRule {
  /** Source chain id, or "*". */
  srcChain: string;
  /** Destination port (module) on the registered chain, or "*". */
  dstPort: string;
  /** Sender DIDs allowed, or ["*"] for any. */
  senders: string[];
  /**
   * Also required, when present: the packet carries the sender's credential of this type, issued
   * by one of these issuers (their keys registered here by governance, like gateways'), valid at
   * the destination's block time (src/modules/xchain/credential.ts).
   */
  credential?: ChannelCredential;
}

/** A channel policy by credential: a type and the issuers trusted for it. */
export interface ChannelCredential {
  type: string;
  issuers: Array<{ did: string; publicKey: string }>;
}

export interface GatewayKey {
  did: string;
  /** Lowercase hex public key in the registered chain's suite (for attestations). */
  publicKey: string;
}

/**
 * A chain's registration on the routing chain: how to verify it (light-client parameters, or a
 * k-of-n gateway quorum for engines without proofs), who may relay for it, and who may send to it.
 */
export interface RouteRecord {
  chain: string;
  /** 'shulian' chains are verified by light client; others by gateway attestations. */
  engine: string;
  suite: Suite;
  consensus: 'solo' | 'tbft' | 'attested';
  /** The validator set from the chain's genesis (light-client trust root). */
  validators: ValidatorInfo[];
  /** The chain runs the `validators` module: headers come with its schedule, which the client follows. */
  tracksValidators: boolean;
  /** Gateways allowed to relay for this chain. */
  gateways: GatewayKey[];
  /** For 'attested' chains: attestations needed from distinct registered gateways. */
  attestThreshold?: number;
  inbound: InboundRule[];
  status: 'active' | 'suspended';
  /**
   * A sandbox chain's route (docs/governance.md#sandbox-chains): set by governance, never by the
   * proposer; packets never pass between a sandbox route and a production one.
   */
  sandbox?: true;
}

/** A destination's view of a counterparty chain: its validator schedule, followed through changes. */
export interface ClientState {
  chain: string;
  suite: Suite;
  consensus: RouteRecord['consensus'];
  schedule: Array<{ height: number; validators: ValidatorInfo[] }>;
  tracksValidators: boolean;
  /** Highest header verified so far. */
  latestHeight: number;
}

/** A header with what makes it final: the proposer's signature, and for BFT chains a commit. */
export interface HeaderProof {
  header: BlockHeader;
  hash: string;
  sig: string;
  commit?: JsonValue;
  /** For chains that track validators: the `validators/schedule` value at this root, and its proof. */
  schedule?: { value: JsonValue | null; proof: SmtProof };
}

const smtProof = z.strictObject({
  siblings: z.array(digestSchema).max(256),
  leaf: z.strictObject({ key: digestSchema, value: digestSchema }).optional(),
});
const id = chainIdSchema;
const hexAny = hexSchema;
const hex64 = digestSchema;
const json = jsonSchema;

export const headerSchema = z.strictObject({
  chain: id, height: z.number().int().min(0), prev: z.string().max(128), time: z.number().int().min(0), txCount: z.number().int().min(0),
  txRoot: hex64, receiptRoot: hex64, stateRoot: hex64, proposer: z.string().max(128),
});
export const headerProofSchema = z.strictObject({
  header: headerSchema,
  hash: hex64,
  sig: hexAny,
  commit: json.optional(),
  schedule: z.strictObject({ value: json.nullable(), proof: smtProof }).optional(),
});
export const packetSchema = z.strictObject({
  srcChain: id, srcPort: id, dstChain: id, dstPort: id,
  sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  sender: accountSchema,
  payload: json,
  timeoutHeight: z.number().int().min(1).optional(),
  timeoutTime: z.number().int().min(1).optional(),
  credential: z.record(z.string(), json).optional(),
});
export const keyProofSchema = smtProof;
export { chainIdSchema, jsonSchema };

const validatorSchema = z.strictObject({ did: accountSchema, publicKey: hexAny, power: z.number().int().min(1).max(1_000_000) });
export const routeSchema = z.strictObject({
  chain: id,
  engine: z.string().regex(CHAIN_ID_RE, 'an engine name such as shulian or evm'),
  suite: z.enum(['sm2', 'ed25519']),
  consensus: z.enum(['solo', 'tbft', 'attested']),
  validators: z.array(validatorSchema).max(100),
  tracksValidators: z.boolean(),
  gateways: z.array(z.strictObject({ did: accountSchema, publicKey: hexAny })).max(64),
  attestThreshold: z.number().int().min(1).max(64).optional(),
  inbound: z.array(z.strictObject({
    srcChain: z.union([id, z.literal('*')]), dstPort: z.union([id, z.literal('*')]), senders: z.array(accountSchema).min(1).max(256),
    credential: z.strictObject({
      type: z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'a credential type such as "DataOperator"'),
      issuers: z.array(z.strictObject({ did: accountSchema, publicKey: hexAny })).min(1).max(16),
    }).optional(),
  })).max(64),
  status: z.enum(['active', 'suspended']),
  sandbox: z.literal(true).optional(),
}).superRefine((r, ctx) => {
  if (r.consensus === 'attested') {
    if (!r.attestThreshold) ctx.addIssue({ code: 'custom', message: 'an attested chain needs attestThreshold (k of its n gateways)' });
    else if (r.attestThreshold > r.gateways.length) ctx.addIssue({ code: 'custom', message: `attestThreshold ${r.attestThreshold} exceeds the ${r.gateways.length} registered gateways` });
    else if (r.attestThreshold * 2 <= r.gateways.length) ctx.addIssue({ code: 'custom', message: 'attestThreshold must be more than half of the gateways, so two conflicting quorums cannot both attest' });
  } else if (r.validators.length === 0) {
    ctx.addIssue({ code: 'custom', message: `a ${r.consensus} chain needs its genesis validators as the light-client trust root` });
  }
});

/** A registration as this chain keeps it after syncing it from the routing chain (xroute's record: route and version). */
export type SyncedRoute = RouteRecord & { version: number };

/** Where a sent packet stands (state key `xchain/st/<dst>/<sequence>`). */
export interface SendStatus {
  status: 'sent' | 'acknowledged' | 'timed-out';
  sent: { height: number; time: number; tx: string };
  ack?: Ack;
  done?: { height: number; time: number; tx: string; gateway: string; remoteHeight: number };
  /** The port's callback failed; the packet is settled anyway so it cannot be acked twice. */
  callbackError?: string;
}

/** The receipt of a packet executed here (state key `xchain/recv/<src>/<sequence>`): what the source proves its acknowledgement with. */
export interface RecvRecord {
  packet: Packet;
  ack: Ack;
  height: number;
  time: number;
  tx: string;
  gateway: string;
  remoteHeight: number;
}

/** One line of xchain's log of packets in and out (`xchain/log/<n>`). */
export interface XchainLogEntry {
  dir: 'in' | 'out';
  chain: string;
  sequence: number;
}

/** An acknowledgement of an attested engine, as its gateways sign it. */
export interface AttestedAck {
  sequence: number;
  ack: Ack;
}

/** What a pending `attest` holds (state key `xchain/att/<message hex>`). */
export interface AttestRecord {
  op: 'recv' | 'ack' | 'timeout';
  /** The attested chain. */
  chain: string;
  signers: Array<{ gateway: string; sig: string }>;
  needed: number;
  done?: { height: number; time: number; tx: string };
}

/** `{ok: true, result}` or `{ok: false, code, message}`. */
export function isAck(v: unknown): v is Ack {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const a = v as { ok?: unknown; code?: unknown; message?: unknown };
  return a.ok === true ? 'result' in v : a.ok === false && typeof a.code === 'string' && typeof a.message === 'string';
}

/**
 * A packet as xchain hands it to a port's callbacks: one this chain stored under out/ when it
 * sent it (acknowledgement, timeout), or one a proof or a gateway quorum carried (receive), which
 * passed `packetSchema` then. So only its shape is checked here; each port parses its payload.
 */
export const deliveredPacketSchema: z.ZodType<Packet> = z.object({
  srcChain: z.string(), srcPort: z.string(), dstChain: z.string(), dstPort: z.string(),
  sequence: z.number().int(), sender: z.string(),
  payload: z.custom<JsonValue>(() => true),
  timeoutHeight: z.number().int().optional(),
  timeoutTime: z.number().int().optional(),
});
export const ackSchema = z.custom<Ack>(isAck, 'an acknowledgement: {ok: true, result} or {ok: false, code, message}');

/** The args of `onAcknowledgementPacket`: the packet this chain sent and the destination's acknowledgement. */
export const ackCallbackArgs = z.object({ packet: deliveredPacketSchema, ack: ackSchema });
/** The args of `onTimeoutPacket`: the packet this chain sent, proven never received. */
export const timeoutCallbackArgs = z.object({ packet: deliveredPacketSchema });
export type AckCallbackArgs = z.infer<typeof ackCallbackArgs>;
export type TimeoutCallbackArgs = z.infer<typeof timeoutCallbackArgs>;

/** What a port's module passes `xchain.send` (ctx.call), and what it gets back. */
export interface SendArgs {
  dstChain: string;
  dstPort: string;
  payload: JsonValue;
  timeoutHeight?: number;
  timeoutTime?: number;
}
export interface Sent {
  sequence: number;
  packetId: string;
}

// ---- what gateways of an attested engine sign ---------------------------------------------

/**
 * What gateways of an attested chain sign for acknowledgements of packets this chain
 * (`srcChain`) sent to it (`dstChain`): each sequence with its acknowledgement.
 */
export function attestedAckMessage(suite: 'sm2' | 'ed25519', srcChain: string, dstChain: string, acks: AttestedAck[]): Uint8Array {
  return hashFor(suite)(new TextEncoder().encode(canonicalize({ type: 'shulian-xchain-attested-ack', srcChain, dstChain, acks })));
}

/**
 * What gateways of an attested chain sign for timeouts: `dstChain` passed the timeout of these
 * packets from `srcChain` without receiving them, and (its endpoint refusing late packets) never will.
 */
export function attestedTimeoutMessage(suite: 'sm2' | 'ed25519', srcChain: string, dstChain: string, sequences: number[]): Uint8Array {
  return hashFor(suite)(new TextEncoder().encode(canonicalize({ type: 'shulian-xchain-attested-timeout', srcChain, dstChain, sequences })));
}

/** What gateways sign for an attested chain: the packets, bound to source and destination. */
export function attestationMessage(suite: 'sm2' | 'ed25519', srcChain: string, dstChain: string, packets: Packet[]): Uint8Array {
  return hashFor(suite)(new TextEncoder().encode(canonicalize({ type: 'shulian-xchain-attestation', srcChain, dstChain, packets })));
}
