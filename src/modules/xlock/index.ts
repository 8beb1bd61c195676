import { ShulianError, asJson, type JsonValue, isJsonObject } from '../../codec/index.ts';
import { accountSchema, chainIdSchema, digestSchema, z } from '../../codec/schemas.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { ackCallbackArgs, timeoutCallbackArgs } from '../xchain/types.ts';
import { FROM_XCHAIN, sendPacket } from '../xchain/index.ts';
import { XDOC } from '../xdoc/keys.ts';
import { DOC_LOCK_EXPORTS } from '../xdoc/types.ts';
import { XTRANSFER } from '../xtransfer/keys.ts';
import { HOLD_EXPORTS } from '../xtransfer/types.ts';
import {
  decisionPayloadSchema, inquirePayloadSchema, ownerOf, preparePayloadSchema, txDigest, txIdSchema,
  type Vote, type XtxOp,
} from '../xtx/types.ts';
import { XLOCK, xlockKey as k } from './keys.ts';
import { XTX_PORT, type LockTxRecord } from './types.ts';

export * from './types.ts';
export { XLOCK, xlockKey, xlockStateKey, lockTxStateKey } from './keys.ts';

/**
 * xlock — the participant side of atomic cross-chain transactions (two-phase commit, after
 * X/Open XA and WeCross's prepare/commit/rollback). The coordinator (module `xtx` on another
 * chain) sends a prepare packet; xlock checks that every op's owner authorised it (signed the
 * coordinator's `begin` themselves, or a `consent` to the transaction's digest here), locks the
 * resources (a hold on xtransfer balances, a lock on xdoc documents) and votes yes — or locks
 * nothing and votes no, with the reason. The vote is the acknowledgement.
 *
 * A lock that voted yes is released only by the coordinator's decision: a commit or rollback
 * packet from the coordinator chain's `xtx` port (proven by xchain, executed once), or — after
 * the transaction's `recoverAfter` time — the answer to an `inquire` packet, itself a proven
 * acknowledgement from the coordinator. Nothing here ever commits or aborts on its own.
 *
 * State (provable under the chain's state root):
 *   xlock/tx/<coordinator>/<id>               LockTxRecord: ops, vote, state, decision
 *   xlock/consent/<coordinator>/<id>/<owner>  { digest, height }
 */

/** A lock's id: `<coordinator>/<transaction id>/<op index>`. */
const lockId = (coordinator: string, id: string, i: number): string => `${coordinator}/${id}/${i}`;

const packetArgs = z.object({
  srcChain: chainIdSchema, srcPort: chainIdSchema, sequence: z.number().int().min(1), sender: accountSchema,
  payload: z.object({ type: z.string() }).loose(),
}).loose();


const load = (ctx: ModuleContext, coordinator: string, id: string): LockTxRecord | undefined => ctx.read(k.tx(coordinator, id));
const save = (ctx: ModuleContext, r: LockTxRecord): void => ctx.write(k.tx(r.coordinator, r.id), r);

function logTx(ctx: ModuleContext, r: LockTxRecord): void {
  const n = (ctx.read(k.logCount()) ?? 0) + 1;
  ctx.write(k.log(n), `${r.coordinator}/${r.id}`);
  ctx.write(k.logCount(), n);
}

/** The resource each kind of op locks: its module and its lock exports (runtime/locks.ts). */
const LOCKABLE = {
  transfer: { module: XTRANSFER, ...HOLD_EXPORTS },
  endorse: { module: XDOC, ...DOC_LOCK_EXPORTS },
} as const;

/** Places the lock an op needs; throws (ModuleError) if the resource cannot be taken. */
function placeLock(ctx: ModuleContext, op: XtxOp, id: string): void {
  const { kind, ...fields } = op;
  const r = LOCKABLE[kind];
  ctx.call(r.module, r.place, { [r.idField]: id, ...fields });
}

/** Commits or releases an op's lock. */
function settleLock(ctx: ModuleContext, op: XtxOp, id: string, outcome: 'commit' | 'abort'): void {
  const r = LOCKABLE[op.kind];
  ctx.call(r.module, outcome === 'commit' ? r.commit : r.release, { [r.idField]: id });
}

const errInfo = (err: unknown): { code: string; message: string } => {
  if (!(err instanceof ShulianError) || err.code === 'OUT_OF_GAS') throw err;
  return { code: err.code, message: err.message };
};

/** Phase one: check authorisation, lock every op or none, record and return the vote. */
function prepare(ctx: ModuleContext, packet: z.infer<typeof packetArgs>): Vote {
  const parsed = preparePayloadSchema.safeParse(packet.payload);
  if (!parsed.success) throw new ModuleError('XLOCK_BAD_PACKET', `prepare payload: ${parsed.error.issues[0]!.message}`);
  const p = parsed.data;
  if (p.coordinator !== packet.srcChain) throw new ModuleError('XLOCK_BAD_PACKET', `prepare names coordinator ${p.coordinator} but comes from ${packet.srcChain}`);
  if (p.initiator !== packet.sender) throw new ModuleError('XLOCK_BAD_PACKET', `prepare names initiator ${p.initiator} but was sent by ${packet.sender}`);
  const prior = load(ctx, packet.srcChain, p.id);
  if (prior) {
    // A rollback overtook this prepare (the coordinator aborted first): nothing may be locked now.
    if (prior.state === 'rolled-back' && prior.ops.length === 0) {
      return { vote: 'no', code: 'XLOCK_ABORTED', message: `transaction ${p.coordinator}/${p.id} was rolled back before its prepare reached ${ctx.chain}` };
    }
    throw new ModuleError('XLOCK_DUPLICATE', `transaction ${p.coordinator}/${p.id} was already prepared on ${ctx.chain}`);
  }
  const mine = p.participants.filter((x) => x.chain === ctx.chain);
  if (mine.length !== 1) throw new ModuleError('XLOCK_NOT_PARTICIPANT', `transaction ${p.coordinator}/${p.id} names ${ctx.chain} ${mine.length} times among its participants; expected once`);
  const ops = mine[0]!.ops;
  const digest = txDigest(p);
  const rec: LockTxRecord = {
    coordinator: p.coordinator, id: p.id, state: 'refused', initiator: p.initiator, digest, ops, locks: [],
    recoverAfter: p.recoverAfter, prepared: { height: ctx.height, time: ctx.time, sequence: packet.sequence },
  };
  const refuse = (code: string, message: string): Vote => {
    const vote: Vote = { vote: 'no', code, message };
    save(ctx, { ...rec, vote });
    logTx(ctx, rec);
    ctx.emit('Voted', { coordinator: p.coordinator, id: p.id, vote: 'no', code });
    return vote;
  };
  // Authorisation: each op's owner signed the begin tx (the packet's sender) or consented here.
  for (const op of ops) {
    const owner = ownerOf(op);
    if (owner === p.initiator) continue;
    const c = ctx.read(k.consent(p.coordinator, p.id, owner));
    if (!c) return refuse('XLOCK_NO_CONSENT', `${owner} owns an op of ${p.coordinator}/${p.id} on ${ctx.chain} but neither began it nor consented to it here`);
    if (c.digest !== digest) return refuse('XLOCK_NO_CONSENT', `${owner} consented to digest ${c.digest} for ${p.coordinator}/${p.id}, not to this transaction (${digest})`);
  }
  if (p.recoverAfter <= p.deadline) return refuse('XLOCK_BAD_TX', `recoverAfter ${p.recoverAfter} is not after the deadline ${p.deadline}`);
  // Lock all or nothing: on the first failure, release what was locked and vote no.
  const locks: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    const lock = lockId(p.coordinator, p.id, i);
    try {
      placeLock(ctx, ops[i]!, lock);
      locks.push(lock);
    } catch (err) {
      const e = errInfo(err);
      for (let j = 0; j < locks.length; j++) settleLock(ctx, ops[j]!, locks[j]!, 'abort');
      return refuse(e.code, `op ${i} (${ops[i]!.kind}) on ${ctx.chain}: ${e.message}`);
    }
  }
  const vote: Vote = { vote: 'yes' };
  save(ctx, { ...rec, state: 'prepared', locks, vote });
  logTx(ctx, rec);
  ctx.emit('Voted', { coordinator: p.coordinator, id: p.id, vote: 'yes' });
  return vote;
}

/** Phase two: apply the coordinator's decision once; a repeated decision changes nothing. */
function decide(ctx: ModuleContext, coordinator: string, id: string, outcome: 'commit' | 'abort', via: 'packet' | 'inquiry', sequence: number): LockTxRecord['state'] {
  const r = load(ctx, coordinator, id);
  const decision = { outcome, via, height: ctx.height, time: ctx.time, sequence };
  if (!r) {
    if (outcome === 'commit') throw new ModuleError('XLOCK_NOT_PREPARED', `transaction ${coordinator}/${id} was never prepared on ${ctx.chain}; it cannot commit`);
    // A rollback ahead of its prepare: keep a tombstone so the prepare, if it still comes, locks nothing.
    const tomb: LockTxRecord = { coordinator, id, state: 'rolled-back', ops: [], locks: [], decision };
    save(ctx, tomb);
    logTx(ctx, tomb);
    ctx.emit('RolledBack', { coordinator, id, locks: 0 });
    return tomb.state;
  }
  if (r.state === 'committed') {
    if (outcome === 'commit') return r.state;
    throw new ModuleError('XLOCK_CONFLICT', `transaction ${coordinator}/${id} already committed on ${ctx.chain}; it cannot roll back`);
  }
  if (r.state === 'rolled-back') {
    if (outcome === 'abort') return r.state;
    throw new ModuleError('XLOCK_CONFLICT', `transaction ${coordinator}/${id} already rolled back on ${ctx.chain}; it cannot commit`);
  }
  if (r.state === 'refused') {
    if (outcome === 'commit') throw new ModuleError('XLOCK_CONFLICT', `${ctx.chain} voted no on ${coordinator}/${id}; it cannot commit`);
    if (!r.decision) save(ctx, { ...r, decision });
    return r.state;
  }
  for (let i = 0; i < r.ops.length; i++) settleLock(ctx, r.ops[i]!, r.locks[i]!, outcome);
  const state = outcome === 'commit' ? 'committed' : 'rolled-back';
  save(ctx, { ...r, state, decision });
  ctx.emit(outcome === 'commit' ? 'Committed' : 'RolledBack', { coordinator, id, locks: r.locks.length, via });
  return state;
}

const consentArgs = z.strictObject({ coordinator: chainIdSchema, id: txIdSchema, digest: digestSchema });
const refArgs = z.strictObject({ coordinator: chainIdSchema, id: txIdSchema });

export const xlockModule: ModuleDef = {
  name: XLOCK,
  // Prepares and decisions come from a coordinator's xtx port; inquiries go back to it.
  port: { counterparts: [XTX_PORT] },
  description: 'Participant of atomic cross-chain transactions: locks xtransfer balances and xdoc documents at prepare, commits or rolls back only on the coordinator\'s proven decision.',
  methods: {
    consent: method({
      doc: 'Authorise an atomic transaction that moves what the signer owns on this chain: sign its digest (coordinator chain, id, digest).',
      args: consentArgs,
      gas: 2_000,
      run(ctx, a) {
        const r = load(ctx, a.coordinator, a.id);
        if (r) throw new ModuleError('XLOCK_ALREADY_PREPARED', `transaction ${a.coordinator}/${a.id} already reached ${ctx.chain} (${r.state}); consent comes before its prepare`);
        ctx.write(k.consent(a.coordinator, a.id, ctx.sender), { digest: a.digest, height: ctx.height });
        ctx.emit('Consented', { coordinator: a.coordinator, id: a.id, owner: ctx.sender, digest: a.digest });
      },
    }),
    revoke: method({
      doc: 'Withdraw a consent before the transaction\'s prepare arrives here.',
      args: refArgs,
      gas: 1_000,
      run(ctx, a) {
        if (load(ctx, a.coordinator, a.id)) throw new ModuleError('XLOCK_ALREADY_PREPARED', `transaction ${a.coordinator}/${a.id} already reached ${ctx.chain}; its locks follow the coordinator's decision now`);
        if (!ctx.has(k.consent(a.coordinator, a.id, ctx.sender))) throw new ModuleError('XLOCK_NO_CONSENT', `${ctx.sender} gave no consent to ${a.coordinator}/${a.id}`);
        ctx.delete(k.consent(a.coordinator, a.id, ctx.sender));
        ctx.emit('ConsentRevoked', { coordinator: a.coordinator, id: a.id, owner: ctx.sender });
      },
    }),
    inquire: method({
      doc: 'After the transaction\'s recoverAfter time, ask its coordinator for the decision (anyone may); the proven answer commits or rolls back the locks here.',
      args: z.strictObject({ coordinator: chainIdSchema, id: txIdSchema, timeoutTime: z.number().int().min(1).optional() }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const r = load(ctx, a.coordinator, a.id);
        if (!r) throw new ModuleError('XLOCK_NOT_FOUND', `transaction ${a.coordinator}/${a.id} has not reached ${ctx.chain}`);
        if (r.state !== 'prepared') throw new ModuleError('XLOCK_SETTLED', `transaction ${a.coordinator}/${a.id} is ${r.state} on ${ctx.chain}; nothing to recover`);
        if (ctx.time < r.recoverAfter!) {
          throw new ModuleError('XLOCK_TOO_EARLY', `transaction ${a.coordinator}/${a.id} may be recovered from ${r.recoverAfter} (block time), not at ${ctx.time}; until then its locks wait for the coordinator's decision`);
        }
        const sent = sendPacket(ctx, { dstChain: a.coordinator, dstPort: XTX_PORT, payload: { type: 'inquire', id: a.id }, timeoutTime: a.timeoutTime });
        save(ctx, { ...r, inquiries: [...(r.inquiries ?? []), sent.sequence] });
        return asJson(sent);
      },
    }),
  },
  exports: {
    onRecvPacket: exported({
      doc: 'A prepare (vote), commit or rollback from a coordinator chain\'s xtx port.',
      gas: 3_000,
      callers: FROM_XCHAIN,
      args: packetArgs,
      argsError: 'XLOCK_BAD_PACKET',
      run(ctx, packet): JsonValue {
        // Only a coordinator module can prepare or decide: a packet a DID sent from the xchain port (or any other) is refused.
        if (packet.srcPort !== XTX_PORT) throw new ModuleError('XLOCK_NOT_COORDINATOR', `xlock takes transactions only from an xtx port; this packet comes from ${packet.srcChain}/${packet.srcPort}`);
        if (packet.payload.type === 'prepare') return asJson(prepare(ctx, packet));
        const d = decisionPayloadSchema.safeParse(packet.payload);
        if (!d.success) throw new ModuleError('XLOCK_BAD_PACKET', `decision payload: ${d.error.issues[0]!.message}`);
        const state = decide(ctx, packet.srcChain, d.data.id, d.data.type === 'commit' ? 'commit' : 'abort', 'packet', packet.sequence);
        return { id: d.data.id, state };
      },
    }),
    onAcknowledgementPacket: exported({
      doc: 'The coordinator\'s answer to an inquiry: apply its decision.',
      gas: 3_000,
      callers: FROM_XCHAIN,
      args: ackCallbackArgs,
      run(ctx, { packet, ack }): JsonValue | void {
        // Only inquiries are sent from here; anything else is not ours to act on.
        const q = inquirePayloadSchema.safeParse(packet.payload);
        if (!q.success || !ack || ack.ok !== true || !isJsonObject(ack.result)) return;
        const answer = ack.result as { outcome?: unknown };
        const r = load(ctx, packet.dstChain, q.data.id);
        if (!r || r.state !== 'prepared') return;
        const p = q.data;
        if (answer.outcome === 'commit' || answer.outcome === 'abort') {
          return { state: decide(ctx, packet.dstChain, p.id, answer.outcome, 'inquiry', packet.sequence) };
        }
      },
    }),
    onTimeoutPacket: exported({
      doc: 'An inquiry nobody relayed in time: nothing changes; inquire again.',
      gas: 500,
      callers: FROM_XCHAIN,
      args: timeoutCallbackArgs,
      run() {},
    }),
  },
};
