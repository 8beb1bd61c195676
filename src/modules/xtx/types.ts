import { canonicalize, toHex } from '../../codec/index.ts';
import { accountSchema, amountSchema, chainIdSchema, z } from '../../codec/schemas.ts';
import { sm3 } from '../../crypto/index.ts';
import { denomSchema } from '../xtransfer/types.ts';
import { docIdSchema } from '../xdoc/types.ts';

/**
 * What the coordinator (`xtx`) and the participants (`xlock`) agree on: a transaction's body
 * (its ops on each participant chain, its deadline and its recovery time) and its digest, which
 * op owners sign a `consent` to on their own chains.
 */

const did = accountSchema;

/** Move `amount` of `denom` from `from` to `to` on the participant chain (xtransfer hold). */
export const transferOpSchema = z.strictObject({ kind: z.literal('transfer'), denom: denomSchema, amount: amountSchema, from: did, to: did });
/** Endorse document `id` held by `from` to `to` on the participant chain (xdoc lock). */
export const endorseOpSchema = z.strictObject({ kind: z.literal('endorse'), id: docIdSchema, from: did, to: did });
export const opSchema = z.discriminatedUnion('kind', [transferOpSchema, endorseOpSchema]);
export type XtxOp = z.infer<typeof opSchema>;

export const MAX_PARTICIPANTS = 8;
export const MAX_OPS = 16;
export const txIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a transaction id: letters, digits, dot, dash, underscore; at most 64');
export const participantSchema = z.strictObject({ chain: chainIdSchema, ops: z.array(opSchema).min(1).max(MAX_OPS) });
export type XtxParticipant = z.infer<typeof participantSchema>;

/** The whole transaction as every participant sees it in its prepare packet. */
export interface XtxBody {
  coordinator: string;
  id: string;
  participants: XtxParticipant[];
  /** Coordinator-chain block time (ms) by which every prepare must have been received. */
  deadline: number;
  /** Participant block time (ms) after which a participant that voted yes may ask the coordinator for the decision. */
  recoverAfter: number;
}

/** SM3 of the canonical JSON of the body: what op owners consent to. Lowercase hex. */
export function txDigest(body: XtxBody): string {
  const b = { coordinator: body.coordinator, id: body.id, participants: body.participants, deadline: body.deadline, recoverAfter: body.recoverAfter };
  return toHex(sm3(new TextEncoder().encode(canonicalize(b))));
}

/** Whose property an op moves: the one who must consent (or sign `begin` themselves). */
export const ownerOf = (op: XtxOp): string => op.from;

/** Packets between coordinator and participants. */
export type PreparePayload = { type: 'prepare'; initiator: string } & XtxBody;
export type DecisionPayload = { type: 'commit' | 'rollback'; id: string };
export type InquirePayload = { type: 'inquire'; id: string };

/** A participant's answer to a prepare (the acknowledgement's result). */
export type Vote = { vote: 'yes' } | { vote: 'no'; code: string; message: string };
export const voteSchema: z.ZodType<Vote> = z.union([
  z.object({ vote: z.literal('yes') }),
  z.object({ vote: z.literal('no'), code: z.string(), message: z.string() }),
]);

export const preparePayloadSchema = z.strictObject({
  type: z.literal('prepare'), initiator: did, coordinator: chainIdSchema, id: txIdSchema,
  participants: z.array(participantSchema).min(1).max(MAX_PARTICIPANTS),
  deadline: z.number().int().min(1), recoverAfter: z.number().int().min(1),
});
export const decisionPayloadSchema = z.strictObject({ type: z.enum(['commit', 'rollback']), id: txIdSchema });
export const inquirePayloadSchema = z.strictObject({ type: z.literal('inquire'), id: txIdSchema });

/** A participant as the coordinator tracks it. */
export interface XtxParticipantState {
  chain: string;
  ops: XtxOp[];
  prepareSeq: number;
  vote: 'pending' | 'yes' | 'no' | 'timeout';
  reason?: string;
  /** Decision packets sent to it, oldest first; the last is in flight while `inFlight`. */
  decisionSeqs: number[];
  inFlight: boolean;
  /** What the participant confirmed (or, for a proven prepare timeout, what is certain). */
  outcome?: 'committed' | 'rolled-back' | 'refused';
  error?: string;
}

/** A transaction on its coordinator chain (state key `xtx/tx/<id>`). */
export interface XtxRecord {
  id: string;
  coordinator: string;
  initiator: string;
  digest: string;
  deadline: number;
  recoverAfter: number;
  decisionTimeoutMs: number;
  status: 'preparing' | 'committing' | 'aborting' | 'committed' | 'aborted';
  created: { height: number; time: number; tx: string };
  decision?: { outcome: 'commit' | 'abort'; reason: string; height: number; time: number; tx: string };
  completed?: { height: number; time: number };
  participants: XtxParticipantState[];
}
