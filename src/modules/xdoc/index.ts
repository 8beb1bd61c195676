import { asJson, type JsonValue } from '../../codec/index.ts';
import { accountSchema as did, chainIdSchema, digestSchema, z } from '../../codec/schemas.ts';
import { exported, lockExports, lockIdSchema, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { ackCallbackArgs, timeoutCallbackArgs, type Packet } from '../xchain/types.ts';
import { FROM_XCHAIN, sendPacket } from '../xchain/index.ts';
import { XDOC, xdocKey as k } from './keys.ts';
import { DOC_LOCK_EXPORTS, docIdSchema, docSchema, localDocIdSchema, type DocLockBody, type DocPayload, type DocRecord } from './types.ts';

export * from './types.ts';
export { XDOC, xdocKey, xdocStateKey } from './keys.ts';

/**
 * xdoc — unique documents of title (e.g. an electronic bill of lading, 电子提单) held by one DID
 * at a time and movable between chains. A document exists on exactly one chain at a time: a
 * send locks it here ('away'); the destination creates or restores it; an error or a timeout
 * unlocks it. Its id carries its origin chain (`<origin>:<local id>`), so no chain can mint
 * a second copy under the same name.
 */

function load(ctx: ModuleContext, id: string): DocRecord {
  const d = ctx.read(k.doc(id));
  if (!d) throw new ModuleError('XDOC_NOT_FOUND', `no document ${id} on ${ctx.chain}`);
  return d;
}
const save = (ctx: ModuleContext, d: DocRecord): void => ctx.write(k.doc(d.id), d);
const recvArgs = z.object({ srcChain: chainIdSchema, payload: z.strictObject({ doc: docSchema, receiver: did }) }).loose();

/** A document held here that may move: not away, held by `holder`, not locked by an atomic transaction. */
function movable(ctx: ModuleContext, id: string, holder: string): DocRecord {
  const d = load(ctx, id);
  if (d.state !== 'here') throw new ModuleError('XDOC_AWAY', `document ${id} is on ${d.at ?? 'another chain'}, not here`);
  if (d.holder !== holder) throw new ModuleError('XDOC_NOT_HOLDER', `${holder} does not hold ${id}`);
  return d;
}
const lockedBy = (id: string, lock: string): ModuleError => new ModuleError('XDOC_LOCKED', `document ${id} is locked by atomic transaction ${lock} until it commits or rolls back`);

function withoutLock(d: DocRecord): DocRecord {
  const { lock: _lock, ...rest } = d;
  return rest;
}
const step = (ctx: ModuleContext, event: string, by: string, to?: string): DocRecord['history'][number] =>
  (to === undefined ? { event, by, chain: ctx.chain, height: ctx.height } : { event, by, to, chain: ctx.chain, height: ctx.height });

function unlock(ctx: ModuleContext, packet: Packet, why: string): void {
  // The payload this chain sent (send below), as stored by xchain.
  const { doc } = packet.payload as DocPayload & JsonValue;
  const { at: _at, ...d } = load(ctx, doc.id);
  save(ctx, { ...d, state: 'here', history: [...d.history, step(ctx, why, d.holder)] });
  ctx.emit('DocumentReturned', { id: d.id, holder: d.holder, reason: why });
}

export const xdocModule: ModuleDef = {
  name: XDOC,
  // Documents cross only between xdoc ports.
  port: { counterparts: [XDOC] },
  description: 'Documents of title (e.g. electronic bills of lading) held by one DID, endorsed locally and moved between chains exactly once.',
  methods: {
    issue: method({
      doc: 'Issue a document to a holder; its id becomes <this chain>:<id>.',
      args: z.strictObject({ id: localDocIdSchema, kind: z.string().min(1).max(64), hash: digestSchema, holder: did }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const id = `${ctx.chain}:${a.id}`;
        if (ctx.has(k.doc(id))) throw new ModuleError('XDOC_EXISTS', `document ${id} already exists`);
        save(ctx, { id, kind: a.kind, hash: a.hash, issuer: ctx.sender, holder: a.holder, state: 'here', history: [step(ctx, 'issued', ctx.sender, a.holder)] });
        ctx.emit('DocumentIssued', { id, holder: a.holder });
        return { id };
      },
    }),
    endorse: method({
      doc: 'The holder endorses the document to another DID on this chain.',
      args: z.strictObject({ id: docIdSchema, to: did }),
      gas: 2_000,
      run(ctx, a) {
        const d = movable(ctx, a.id, ctx.sender);
        if (d.lock) throw lockedBy(a.id, d.lock);
        save(ctx, { ...d, holder: a.to, history: [...d.history, step(ctx, 'endorsed', ctx.sender, a.to)] });
        ctx.emit('DocumentEndorsed', { id: a.id, from: ctx.sender, to: a.to });
      },
    }),
    send: method({
      doc: 'The holder sends the document to a DID on another chain; it is locked here until acknowledged.',
      args: z.strictObject({ id: docIdSchema, dstChain: chainIdSchema, receiver: did, timeoutTime: z.number().int().min(1).optional() }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const d = movable(ctx, a.id, ctx.sender);
        if (d.lock) throw lockedBy(a.id, d.lock);
        const moved: DocRecord = { ...d, history: [...d.history, step(ctx, 'sent', ctx.sender, a.receiver)] };
        save(ctx, { ...moved, state: 'away', at: a.dstChain });
        const payload: DocPayload = { doc: moved, receiver: a.receiver };
        return asJson(sendPacket(ctx, { dstChain: a.dstChain, dstPort: XDOC, payload: asJson(payload), timeoutTime: a.timeoutTime }));
      },
    }),
  },
  exports: {
    onRecvPacket: exported({
      doc: 'Take a document from another chain: restore it if it left from here, else hold it here.',
      gas: 3_000,
      callers: FROM_XCHAIN,
      args: recvArgs,
      argsError: 'XDOC_BAD_PACKET',
      run(ctx, { srcChain, payload }): JsonValue {
        const incoming = payload.doc;
        const prior = ctx.read(k.doc(incoming.id));
        // A document may arrive only if it is not live here: absent, or away at the very chain it comes from.
        if (prior && !(prior.state === 'away' && prior.at === srcChain)) {
          throw new ModuleError('XDOC_DUPLICATE', `document ${incoming.id} is already held on ${ctx.chain}`);
        }
        const history = [...incoming.history, step(ctx, 'received', incoming.holder, payload.receiver)];
        const rec: DocRecord = { id: incoming.id, kind: incoming.kind, hash: incoming.hash, issuer: incoming.issuer, holder: payload.receiver, state: 'here', history };
        save(ctx, rec);
        ctx.emit('DocumentReceived', { id: rec.id, from: srcChain, holder: rec.holder });
        return { id: rec.id, holder: rec.holder };
      },
    }),
    onAcknowledgementPacket: exported({
      doc: 'On an error acknowledgement the document comes back to its holder here.',
      gas: 2_000,
      callers: FROM_XCHAIN,
      args: ackCallbackArgs,
      run(ctx, { packet, ack }) {
        if (!ack.ok) unlock(ctx, packet, 'returned-on-error');
      },
    }),
    onTimeoutPacket: exported({
      doc: 'A document whose transfer timed out comes back to its holder here.',
      gas: 2_000,
      callers: FROM_XCHAIN,
      args: timeoutCallbackArgs,
      run(ctx, { packet }) {
        unlock(ctx, packet, 'returned-on-timeout');
      },
    }),
    // Locks for atomic transactions (xlock): lockDoc, commitLock, releaseLock.
    ...lockExports({
      names: DOC_LOCK_EXPORTS,
      caller: 'xlock',
      noun: 'document lock',
      placed: 'locked',
      codes: { exists: 'XDOC_LOCK_EXISTS', missing: 'XDOC_NO_LOCK', settled: 'XDOC_LOCK_SETTLED' },
      key: k.lock,
      args: z.strictObject({ lock: lockIdSchema, id: docIdSchema, from: did, to: did }),
      take(ctx, lock, a): DocLockBody {
        const d = movable(ctx, a.id, a.from);
        if (d.lock) throw new ModuleError('XDOC_LOCKED', `document ${a.id} is already locked by atomic transaction ${d.lock}`);
        save(ctx, { ...d, lock });
        ctx.emit('DocumentLocked', { id: a.id, lock, from: a.from, to: a.to });
        return { id: a.id, from: a.from, to: a.to };
      },
      give(ctx, lock, l) {
        const d = load(ctx, l.id);
        save(ctx, { ...withoutLock(d), holder: l.to, history: [...d.history, step(ctx, 'endorsed', l.from, l.to)] });
        ctx.emit('DocumentEndorsed', { id: l.id, from: l.from, to: l.to, lock });
      },
      restore(ctx, lock, l) {
        save(ctx, withoutLock(load(ctx, l.id)));
        ctx.emit('DocumentUnlocked', { id: l.id, lock });
      },
    }),
  },
};
