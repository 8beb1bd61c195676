/**
 * The privacy module's face (issue #22, docs/privacy.md): computation requests over two
 * catalogued datasets, admitted only with the owners' grants (dataauth) and the subjects'
 * consents (consent) valid at the request's height, and the run's audit record. The chain holds
 * the control flow; the identifiers and values stay with the parties (src/privacy).
 */
import { HEX_RE } from '../../codec/index.ts';
import { digestSchema, z } from '../../codec/schemas.ts';
import { sm3 } from '../../crypto/index.ts';
import { merkleRoot } from '../../ledger/index.ts';
import { currencySchema } from '../settlement/types.ts';

export const PRIVACY = 'privacy';
/** The contract name a requester's settlement mandate names (`grantee: {chain, port: privacy, contract: privacy}`). */
export const PRIVACY_CONTRACT = 'privacy';
export const PRIVACY_LIMITS = { consents: 1024, columns: 16, reason: 500 } as const;

export type PrivacyProtocol = 'psi' | 'psi-cardinality' | 'psi-sum';
export type PrivacyGroup = 'x25519' | 'ristretto255' | 'sm2';
export type PartyRole = 'receiver' | 'sender';

/** The ODRL action a protocol's use of a dataset is: psi reveals members (read); the others only aggregates. */
export const PROTOCOL_ACTION: Record<PrivacyProtocol, string> = { psi: 'read', 'psi-cardinality': 'aggregate', 'psi-sum': 'aggregate' };

const datasetId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a catalog dataset id');
const partyArg = z.strictObject({ dataset: datasetId, grant: z.number().int().min(1) });
const bigHex = z.string().regex(HEX_RE, 'lowercase hex').max(1_100);
const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a column name: a letter or _, then letters, digits or _');

export const requestArgs = z.strictObject({
  protocol: z.enum(['psi', 'psi-cardinality', 'psi-sum']),
  group: z.enum(['x25519', 'ristretto255', 'sm2']).default('x25519'),
  /** Learns the intersection (psi) or its size. */
  receiver: partyArg,
  /** Answers the receiver; for psi-sum brings the value columns. */
  sender: partyArg,
  /** psi-sum: the sender's value columns to sum (1–16); empty otherwise. */
  columns: z.array(columnName).max(PRIVACY_LIMITS.columns).default([]),
  purpose: z.string().min(1).max(128),
  /** Digests of the subjects' consents (consent module): only their subjects' records take part. */
  consents: z.array(digestSchema).max(PRIVACY_LIMITS.consents).default([]),
  /** psi-sum: the requester's Paillier public key (n, h as hex); the sums are decrypted only by the requester. */
  paillier: z.strictObject({ n: bigHex, h: bigHex }).optional(),
  /** Paid by the requester to the owners through a settlement instruction when the run completes. */
  fee: z.strictObject({ currency: currencySchema, amount: z.string().regex(/^[1-9][0-9]{0,17}$/, 'minor units, more than zero') }).optional(),
});
export type RequestArgs = z.infer<typeof requestArgs>;

export const reportArgs = z.strictObject({
  run: z.number().int().min(1),
  /** SM3 over the party's salted, sorted input (what it committed to compute on). */
  inputCommitment: digestSchema,
  /** Records the party brought, after the consent filter. */
  records: z.number().int().min(0).max(10_000_000),
  durationMs: z.number().int().min(0).max(86_400_000),
});
export const completeArgs = z.strictObject({
  run: z.number().int().min(1),
  /** SM3 of the canonical result the requester received. */
  resultDigest: digestSchema,
  durationMs: z.number().int().min(0).max(86_400_000),
});
export const failArgs = z.strictObject({ run: z.number().int().min(1), reason: z.string().min(1).max(PRIVACY_LIMITS.reason) });

export interface Stamp { height: number; time: number; tx: string }

export interface RunParty {
  role: PartyRole;
  dataset: string;
  grant: number;
  owner: string;
  /** The grant's use this run counted as (dataauth's usage counter). */
  use: number;
  report?: { inputCommitment: string; records: number; durationMs: number } & Stamp;
}

/** A run as the chain keeps it at `privacy/run/<id>`. */
export interface RunRecord {
  id: number;
  requester: string;
  protocol: PrivacyProtocol;
  group: PrivacyGroup;
  columns: string[];
  purpose: string;
  /** The consents it relies on, sorted, and their Merkle root (SM3; ledger/merkle.ts). */
  consents: string[];
  consentRoot: string;
  paillier?: { n: string; h: string };
  parties: RunParty[];
  status: 'admitted' | 'done' | 'failed';
  requested: Stamp;
  result?: { digest: string; durationMs: number } & Stamp;
  failed?: { by: string; reason: string } & Stamp;
  fee?: { currency: string; amount: string; status: 'none' | 'sent' | 'pending' | 'paid' | 'failed'; packet?: number; note?: string };
}

/** SM3 Merkle root over the sorted consent digests (the empty set: SM3 of nothing). */
export function consentRoot(digests: readonly string[]): string {
  const leaves = [...digests].sort().map((d) => Uint8Array.from(Buffer.from(d, 'hex')));
  return Buffer.from(merkleRoot(leaves, sm3)).toString('hex');
}

/** The run's id as the parties use it in messages and hash tags: `<chain>:<id>`. */
export const runTag = (chain: string, id: number): string => `${chain}:${id}`;

