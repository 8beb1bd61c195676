import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import type { BlockHeader, ValidatorInfo, SmtProof } from '../../ledger/index.ts';
import type { Suite } from '../../crypto/index.ts';

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

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');
const hexAny = z.string().regex(/^(?:[0-9a-f]{2})+$/, 'lowercase hex');
const id = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a chain id or module name: lowercase letters, digits and dashes');

const smtProof = z.strictObject({
  siblings: z.array(hex64).max(256),
  leaf: z.strictObject({ key: hex64, value: hex64 }).optional(),
});
const json: z.ZodType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]));

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
  sender: z.string().min(1).max(128),
  payload: json,
  timeoutHeight: z.number().int().min(1).optional(),
  timeoutTime: z.number().int().min(1).optional(),
});
export const keyProofSchema = smtProof;
export const chainIdSchema = id;
export const jsonSchema = json;

const validatorSchema = z.strictObject({ did: z.string().min(1).max(128), publicKey: hexAny, power: z.number().int().min(1).max(1_000_000) });
export const routeSchema = z.strictObject({
  chain: id,
  engine: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  suite: z.enum(['sm2', 'ed25519']),
  consensus: z.enum(['solo', 'tbft', 'attested']),
  validators: z.array(validatorSchema).max(100),
  tracksValidators: z.boolean(),
  gateways: z.array(z.strictObject({ did: z.string().min(1).max(128), publicKey: hexAny })).max(64),
  attestThreshold: z.number().int().min(1).max(64).optional(),
  inbound: z.array(z.strictObject({ srcChain: z.union([id, z.literal('*')]), dstPort: z.union([id, z.literal('*')]), senders: z.array(z.string().min(1).max(128)).min(1).max(256) })).max(64),
  status: z.enum(['active', 'suspended']),
}).superRefine((r, ctx) => {
  if (r.consensus === 'attested') {
    if (!r.attestThreshold) ctx.addIssue({ code: 'custom', message: 'an attested chain needs attestThreshold (k of its n gateways)' });
    else if (r.attestThreshold > r.gateways.length) ctx.addIssue({ code: 'custom', message: `attestThreshold ${r.attestThreshold} exceeds the ${r.gateways.length} registered gateways` });
    else if (r.attestThreshold * 2 <= r.gateways.length) ctx.addIssue({ code: 'custom', message: 'attestThreshold must be more than half of the gateways, so two conflicting quorums cannot both attest' });
  } else if (r.validators.length === 0) {
    ctx.addIssue({ code: 'custom', message: `a ${r.consensus} chain needs its genesis validators as the light-client trust root` });
  }
}) as unknown as z.ZodType<RouteRecord>;
