import { z } from '../../codec/schemas.ts';
import { asJson, type JsonValue } from '../../codec/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { ackCallbackArgs, timeoutCallbackArgs, type Packet } from '../xchain/types.ts';
import { FROM_XCHAIN, sendPacket } from '../xchain/index.ts';
import { XTX, xtxKey as k } from './keys.ts';
import {
  inquirePayloadSchema, MAX_PARTICIPANTS, participantSchema, txDigest, txIdSchema, voteSchema,
  type PreparePayload, type XtxBody, type XtxParticipantState, type XtxRecord,
} from './types.ts';

export * from './types.ts';
export { XTX, xtxKey, xtxStateKey } from './keys.ts';

/**
 * xtx — the coordinator of atomic cross-chain transactions (two-phase commit over xchain
 * packets). `begin` records the transaction and sends a prepare to the `xlock` port of every
 * participant chain (timing out at the deadline); the acknowledgements carry the votes. All yes
 * → commit; any no, error acknowledgement, proven prepare timeout, the initiator's `abort`, or
 * an inquiry after the deadline with votes still missing → abort. The decision is written here
 * in the same transaction that sends the decision packets and before them, so it is durable and
 * provable (xtx/tx/<id>), and it never changes. Decision packets that time out are sent again —
 * a timeout of a decision means "not delivered yet", never the opposite outcome. Participants'
 * acknowledgements complete the transaction.
 *
 * Whoever relays (any gateway, or the `tpc` helper) is the rest of the transaction manager;
 * all of its state is here and on the participants, so a crashed relayer loses nothing.
 */
export const XLOCK_PORT = 'xlock';

/** Longest time from begin to the prepare deadline. */
export const MAX_DEADLINE_MS = 24 * 3600_000;
/** Default time after the deadline from which participants may inquire. */
export const DEFAULT_RECOVER_AFTER_MS = 3600_000;
/** Default timeout of one decision packet (resent on timeout). */
export const DEFAULT_DECISION_TIMEOUT_MS = 3600_000;

const beginArgs = z.strictObject({
  id: txIdSchema,
  participants: z.array(participantSchema).min(1).max(MAX_PARTICIPANTS),
  deadline: z.number().int().min(1),
  recoverAfter: z.number().int().min(1).optional(),
  decisionTimeoutMs: z.number().int().min(1_000).max(30 * 24 * 3600_000).optional(),
});

/** An inquiry from a participant's xlock port (the only packet xtx receives). */
const inquiryArgs = z.object({ srcChain: z.string(), srcPort: z.string(), sequence: z.number().int(), payload: inquirePayloadSchema }).loose();
const ourPayload = z.object({ type: z.enum(['prepare', 'commit', 'rollback']), id: txIdSchema }).loose();
/** The type and id of a packet this module sent (prepare, commit, rollback), or undefined. */
function ourPacket(packet: Packet | undefined): { type: 'prepare' | 'commit' | 'rollback'; id: string } | undefined {
  const p = ourPayload.safeParse(packet?.payload);
  return p.success ? p.data : undefined;
}

const load = (ctx: ModuleContext, id: string): XtxRecord | undefined => ctx.read(k.tx(id));
function must(ctx: ModuleContext, id: string): XtxRecord {
  const r = load(ctx, id);
  if (!r) throw new ModuleError('XTX_NOT_FOUND', `no transaction ${id} on ${ctx.chain}`);
  return r;
}
const save = (ctx: ModuleContext, r: XtxRecord): void => ctx.write(k.tx(r.id), r);

/** Participants that must hear the decision: for abort only those that may hold locks. */
const needsDecision = (r: XtxRecord, p: XtxParticipantState): boolean =>
  !p.outcome && (r.decision?.outcome === 'commit' || p.vote === 'yes' || p.vote === 'pending');

function sendDecision(ctx: ModuleContext, r: XtxRecord, p: XtxParticipantState): void {
  const type = r.decision!.outcome === 'commit' ? 'commit' : 'rollback';
  const sent = sendPacket(ctx, { dstChain: p.chain, dstPort: XLOCK_PORT, payload: { type, id: r.id }, timeoutTime: ctx.time + r.decisionTimeoutMs });
  p.decisionSeqs = [...p.decisionSeqs, sent.sequence];
  p.inFlight = true;
  ctx.emit('DecisionSent', { id: r.id, chain: p.chain, type, sequence: sent.sequence });
}

function maybeComplete(ctx: ModuleContext, r: XtxRecord): void {
  if (!r.decision || r.completed || r.participants.some((p) => !p.outcome)) return;
  r.status = r.decision.outcome === 'commit' ? 'committed' : 'aborted';
  r.completed = { height: ctx.height, time: ctx.time };
  ctx.emit('TransactionCompleted', { id: r.id, status: r.status });
}

/** Writes the decision (once, never changed), then sends it to every participant that needs it. */
function decide(ctx: ModuleContext, r: XtxRecord, outcome: 'commit' | 'abort', reason: string): void {
  if (r.decision) return;
  r.decision = { outcome, reason, height: ctx.height, time: ctx.time, tx: ctx.txHash };
  r.status = outcome === 'commit' ? 'committing' : 'aborting';
  for (const p of r.participants) {
    if (outcome === 'abort' && p.vote === 'no') p.outcome = 'refused';
    // A proven prepare timeout: the prepare can never execute there, so nothing is locked.
    if (outcome === 'abort' && p.vote === 'timeout') p.outcome = 'rolled-back';
  }
  save(ctx, r);
  ctx.emit('Decided', { id: r.id, outcome, reason });
  for (const p of r.participants) if (needsDecision(r, p)) sendDecision(ctx, r, p);
  maybeComplete(ctx, r);
  save(ctx, r);
}

/** After a vote: abort on the first no, commit when all are yes. */
function tally(ctx: ModuleContext, r: XtxRecord): void {
  if (r.decision) return;
  const no = r.participants.find((p) => p.vote === 'no' || p.vote === 'timeout');
  if (no) decide(ctx, r, 'abort', `${no.chain} ${no.vote === 'timeout' ? 'did not receive the prepare by the deadline' : `voted no: ${no.reason ?? ''}`}`);
  else if (r.participants.every((p) => p.vote === 'yes')) decide(ctx, r, 'commit', 'every participant voted yes');
}

const participantOf = (r: XtxRecord, chain: string): XtxParticipantState => {
  const p = r.participants.find((x) => x.chain === chain);
  if (!p) throw new ModuleError('XTX_NOT_PARTICIPANT', `${chain} is not a participant of transaction ${r.id}`);
  return p;
};

export const xtxModule: ModuleDef = {
  name: XTX,
  // Prepares and decisions go to participants' xlock ports; inquiries come from them.
  port: { counterparts: [XLOCK_PORT] },
  description: 'Coordinator of atomic cross-chain transactions (two-phase commit): prepares, collects votes, writes the decision, delivers it to every participant.',
  methods: {
    begin: methodBegin(),
    abort: method({
      doc: 'Abort a transaction that has no decision yet: the initiator at any time, anyone once the deadline has passed.',
      args: z.strictObject({ id: txIdSchema }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const r = must(ctx, a.id);
        if (r.decision) throw new ModuleError('XTX_DECIDED', `transaction ${a.id} was already decided: ${r.decision.outcome}`);
        if (ctx.sender !== r.initiator && ctx.time < r.deadline) {
          throw new ModuleError('XTX_FORBIDDEN', `only the initiator ${r.initiator} may abort ${a.id} before its deadline ${r.deadline}`);
        }
        decide(ctx, r, 'abort', ctx.sender === r.initiator ? 'aborted by the initiator' : 'no decision by the deadline');
        return { id: a.id, status: r.status };
      },
    }),
    resend: method({
      doc: 'Send the (unchanged) decision again to participants that have not confirmed it and have no decision packet in flight; anyone may.',
      args: z.strictObject({ id: txIdSchema }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const r = must(ctx, a.id);
        if (!r.decision) throw new ModuleError('XTX_UNDECIDED', `transaction ${a.id} has no decision yet; nothing to resend`);
        const to = r.participants.filter((p) => needsDecision(r, p) && !p.inFlight);
        if (!to.length) throw new ModuleError('XTX_NOTHING_TO_RESEND', `every participant of ${a.id} has confirmed the decision or has one in flight`);
        for (const p of to) sendDecision(ctx, r, p);
        save(ctx, r);
        return { id: a.id, resent: to.map((p) => p.chain) };
      },
    }),
  },
  exports: {
    onRecvPacket: exported({
      doc: 'A participant\'s inquiry for the decision (after its recoverAfter); past the deadline with no decision, the answer is abort.',
      gas: 3_000,
      callers: FROM_XCHAIN,
      args: inquiryArgs,
      argsError: 'XTX_BAD_PACKET',
      run(ctx, packet): JsonValue {
        if (packet.srcPort !== XLOCK_PORT) throw new ModuleError('XTX_BAD_PACKET', `xtx takes inquiries only from xlock ports, not ${packet.srcChain}/${packet.srcPort}`);
        const r = must(ctx, packet.payload.id);
        participantOf(r, packet.srcChain);
        if (!r.decision && ctx.time >= r.deadline) decide(ctx, r, 'abort', `no decision by the deadline when ${packet.srcChain} inquired`);
        return { id: r.id, outcome: r.decision?.outcome ?? 'pending' };
      },
    }),
    onAcknowledgementPacket: exported({
      doc: 'A vote (prepare) or a participant\'s confirmation of the decision.',
      gas: 3_000,
      callers: FROM_XCHAIN,
      args: ackCallbackArgs,
      run(ctx, { packet, ack }) {
        const body = ourPacket(packet);
        const r = body && load(ctx, body.id);
        if (!body || !r || !ack) return;
        const p = participantOf(r, packet.dstChain);
        if (body.type === 'prepare') {
          // The vote xlock answered the prepare with (prepare in xlock/index.ts); anything else counts as no.
          const v = ack.ok ? voteSchema.safeParse(ack.result).data : undefined;
          if (v && v.vote === 'yes') p.vote = 'yes';
          else {
            p.vote = 'no';
            p.reason = !ack.ok ? `${ack.code}: ${ack.message}` : v && v.vote === 'no' ? `${v.code}: ${v.message}` : 'no vote in the acknowledgement';
          }
          save(ctx, r);
          ctx.emit('VoteReceived', { id: r.id, chain: p.chain, vote: p.vote });
          tally(ctx, r);
          return;
        }
        if (p.decisionSeqs[p.decisionSeqs.length - 1] === packet.sequence) p.inFlight = false;
        if (ack.ok) {
          const st = (ack.result as { state?: string } | null)?.state;
          if (st === 'committed' || st === 'rolled-back' || st === 'refused') p.outcome = st;
          delete p.error;
        } else {
          p.error = `${ack.code}: ${ack.message}`;
          ctx.emit('DecisionRefused', { id: r.id, chain: p.chain, code: ack.code });
        }
        maybeComplete(ctx, r);
        save(ctx, r);
      },
    }),
    onTimeoutPacket: exported({
      doc: 'A prepare not received by the deadline votes no; a decision packet that timed out is sent again (same decision).',
      gas: 3_000,
      callers: FROM_XCHAIN,
      args: timeoutCallbackArgs,
      run(ctx, { packet }) {
        const body = ourPacket(packet);
        const r = body && load(ctx, body.id);
        if (!body || !r) return;
        const p = participantOf(r, packet.dstChain);
        if (body.type === 'prepare') {
          p.vote = 'timeout';
          save(ctx, r);
          ctx.emit('VoteReceived', { id: r.id, chain: p.chain, vote: 'timeout' });
          if (r.decision?.outcome === 'abort' && !p.outcome) {
            p.outcome = 'rolled-back';
            maybeComplete(ctx, r);
            save(ctx, r);
          }
          tally(ctx, r);
          return;
        }
        if (p.decisionSeqs[p.decisionSeqs.length - 1] !== packet.sequence) return;
        p.inFlight = false;
        if (needsDecision(r, p)) sendDecision(ctx, r, p);
        save(ctx, r);
      },
    }),
  },
};

function methodBegin() {
  return method({
    doc: 'Begin an atomic transaction over other chains: record it and send a prepare to each participant\'s xlock port.',
    args: beginArgs,
    gas: 5_000,
    run(ctx, a): JsonValue {
      if (ctx.has(k.tx(a.id))) throw new ModuleError('XTX_EXISTS', `transaction ${a.id} already exists on ${ctx.chain}; choose another id`);
      const chains = a.participants.map((p) => p.chain);
      if (new Set(chains).size !== chains.length) throw new ModuleError('XTX_BAD_TX', 'each participant chain may appear once; put all of its ops in one entry');
      if (chains.includes(ctx.chain)) {
        throw new ModuleError('XTX_BAD_TX', `the coordinator chain ${ctx.chain} cannot be a participant of its own transaction; coordinate from a chain that is not a participant`);
      }
      if (a.deadline <= ctx.time || a.deadline > ctx.time + MAX_DEADLINE_MS) {
        throw new ModuleError('XTX_BAD_DEADLINE', `deadline ${a.deadline} must be after this block's time ${ctx.time} and at most ${MAX_DEADLINE_MS} ms later`);
      }
      const recoverAfter = a.recoverAfter ?? a.deadline + DEFAULT_RECOVER_AFTER_MS;
      if (recoverAfter <= a.deadline) throw new ModuleError('XTX_BAD_DEADLINE', `recoverAfter ${recoverAfter} must be after the deadline ${a.deadline}`);
      const body: XtxBody = { coordinator: ctx.chain, id: a.id, participants: a.participants, deadline: a.deadline, recoverAfter };
      const r: XtxRecord = {
        id: a.id, coordinator: ctx.chain, initiator: ctx.sender, digest: txDigest(body), deadline: a.deadline, recoverAfter,
        decisionTimeoutMs: a.decisionTimeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS, status: 'preparing',
        created: { height: ctx.height, time: ctx.time, tx: ctx.txHash },
        participants: a.participants.map((p) => ({ chain: p.chain, ops: p.ops, prepareSeq: 0, vote: 'pending', decisionSeqs: [], inFlight: false })),
      };
      const payload: PreparePayload = { type: 'prepare', initiator: ctx.sender, ...body };
      for (const p of r.participants) {
        p.prepareSeq = sendPacket(ctx, { dstChain: p.chain, dstPort: XLOCK_PORT, payload: asJson(payload), timeoutTime: a.deadline }).sequence;
      }
      save(ctx, r);
      const n = (ctx.read(k.logCount()) ?? 0) + 1;
      ctx.write(k.log(n), a.id);
      ctx.write(k.logCount(), n);
      ctx.emit('TransactionBegun', { id: a.id, initiator: ctx.sender, participants: chains, digest: r.digest, deadline: a.deadline });
      return { id: a.id, digest: r.digest, prepares: r.participants.map((p) => ({ chain: p.chain, sequence: p.prepareSeq })) };
    },
  });
}
