import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { chainIdSchema, type Ack, type Packet } from '../xchain/types.ts';
import { requireXchainCaller } from '../xchain/index.ts';

/**
 * xdoc — unique documents of title (e.g. an electronic bill of lading, 电子提单) held by one DID
 * at a time and movable between chains. A document exists on exactly one chain at a time: a
 * send locks it here ('away'); the destination creates or restores it; an error or a timeout
 * unlocks it. Its id carries its origin chain (`<origin>:<local id>`), so no chain can mint
 * a second copy under the same name.
 */
export const XDOC = 'xdoc';

export interface DocRecord {
  id: string;
  kind: string;
  /** SM3 / SHA-256 digest of the document file. */
  hash: string;
  issuer: string;
  holder: string;
  /** 'here': live on this chain; 'away': sent to `at`, waiting for the outcome or held there. */
  state: 'here' | 'away';
  at?: string;
  /** Set while an atomic transaction (module `xlock`) has locked it: no endorsement or send until released. */
  lock?: string;
  /** Endorsements and moves, oldest first. */
  history: Array<{ event: string; by: string; to?: string; chain: string; height: number }>;
}

const docKey = (id: string): string => `doc/${id}`;
const localId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64');
const fullId = z.string().regex(/^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9._-]{1,64}$/, '<origin chain>:<id>');
const did = z.string().min(1).max(128);

function load(ctx: ModuleContext, id: string): DocRecord {
  const d = ctx.get(docKey(id)) as unknown as DocRecord | undefined;
  if (!d) throw new ModuleError('XDOC_NOT_FOUND', `no document ${id} on ${ctx.chain}`);
  return d;
}
const save = (ctx: ModuleContext, d: DocRecord): void => ctx.set(docKey(d.id), d as unknown as JsonValue);
const docSchema = z.strictObject({
  id: fullId, kind: z.string().min(1).max(64), hash: z.string().regex(/^[0-9a-f]{64}$/), issuer: did, holder: did,
  state: z.enum(['here', 'away']), at: chainIdSchema.optional(),
  history: z.array(z.strictObject({ event: z.string().max(32), by: did, to: did.optional(), chain: chainIdSchema, height: z.number().int().min(0) })).max(1000),
});
const recvArgs = z.object({ srcChain: chainIdSchema, payload: z.strictObject({ doc: docSchema, receiver: did }) }).loose();

/** A document locked for an atomic transaction: endorsed from `from` to `to` at commit, unlocked at rollback. */
export interface DocLockRecord {
  id: string;
  from: string;
  to: string;
  state: 'locked' | 'committed' | 'released';
  height: number;
}
export const docLockKey = (lock: string): string => `lock/${lock}`;
const lockId = z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, 'a lock id');
const lockDocArgs = z.strictObject({ lock: lockId, id: fullId, from: did, to: did });
const lockArgs = z.strictObject({ lock: lockId });
function xlockOnly(ctx: ModuleContext): void {
  if (ctx.caller !== 'xlock') throw new ModuleError('FORBIDDEN', 'only the xlock module locks, commits or releases documents');
}
function loadLock(ctx: ModuleContext, args: JsonValue): [string, DocLockRecord] {
  const a = lockArgs.safeParse(args);
  if (!a.success) throw new ModuleError('BAD_ARGS', `lock: ${a.error.issues[0]!.message}`);
  const l = ctx.get(docLockKey(a.data.lock)) as unknown as DocLockRecord | undefined;
  if (!l) throw new ModuleError('XDOC_NO_LOCK', `no document lock ${a.data.lock} on ${ctx.chain}`);
  return [a.data.lock, l];
}
function withoutLock(d: DocRecord): DocRecord {
  const { lock: _lock, ...rest } = d;
  return rest;
}

function unlock(ctx: ModuleContext, packet: Packet, why: string): void {
  const { doc } = packet.payload as unknown as { doc: DocRecord };
  const d = load(ctx, doc.id);
  save(ctx, { ...d, state: 'here', at: undefined, history: [...d.history, { event: why, by: d.holder, chain: ctx.chain, height: ctx.height }] } as DocRecord);
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
      args: z.strictObject({ id: localId, kind: z.string().min(1).max(64), hash: z.string().regex(/^[0-9a-f]{64}$/, '64 hex digits'), holder: did }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const id = `${ctx.chain}:${a.id}`;
        if (ctx.has(docKey(id))) throw new ModuleError('XDOC_EXISTS', `document ${id} already exists`);
        save(ctx, { id, kind: a.kind, hash: a.hash, issuer: ctx.sender, holder: a.holder, state: 'here', history: [{ event: 'issued', by: ctx.sender, to: a.holder, chain: ctx.chain, height: ctx.height }] });
        ctx.emit('DocumentIssued', { id, holder: a.holder });
        return { id };
      },
    }),
    endorse: method({
      doc: 'The holder endorses the document to another DID on this chain.',
      args: z.strictObject({ id: fullId, to: did }),
      gas: 2_000,
      run(ctx, a) {
        const d = load(ctx, a.id);
        if (d.state !== 'here') throw new ModuleError('XDOC_AWAY', `document ${a.id} is on ${d.at ?? 'another chain'}, not here`);
        if (d.holder !== ctx.sender) throw new ModuleError('XDOC_NOT_HOLDER', `${ctx.sender} does not hold ${a.id}`);
        if (d.lock) throw new ModuleError('XDOC_LOCKED', `document ${a.id} is locked by atomic transaction ${d.lock} until it commits or rolls back`);
        save(ctx, { ...d, holder: a.to, history: [...d.history, { event: 'endorsed', by: ctx.sender, to: a.to, chain: ctx.chain, height: ctx.height }] });
        ctx.emit('DocumentEndorsed', { id: a.id, from: ctx.sender, to: a.to });
      },
    }),
    send: method({
      doc: 'The holder sends the document to a DID on another chain; it is locked here until acknowledged.',
      args: z.strictObject({ id: fullId, dstChain: chainIdSchema, receiver: did, timeoutTime: z.number().int().min(1).optional() }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const d = load(ctx, a.id);
        if (d.state !== 'here') throw new ModuleError('XDOC_AWAY', `document ${a.id} is on ${d.at ?? 'another chain'}, not here`);
        if (d.holder !== ctx.sender) throw new ModuleError('XDOC_NOT_HOLDER', `${ctx.sender} does not hold ${a.id}`);
        if (d.lock) throw new ModuleError('XDOC_LOCKED', `document ${a.id} is locked by atomic transaction ${d.lock} until it commits or rolls back`);
        const moved: DocRecord = { ...d, history: [...d.history, { event: 'sent', by: ctx.sender, to: a.receiver, chain: ctx.chain, height: ctx.height }] };
        save(ctx, { ...moved, state: 'away', at: a.dstChain });
        const args: { [k: string]: JsonValue } = { dstChain: a.dstChain, dstPort: XDOC, payload: { doc: moved as unknown as JsonValue, receiver: a.receiver } };
        if (a.timeoutTime !== undefined) args.timeoutTime = a.timeoutTime;
        return ctx.call('xchain', 'send', args) ?? null;
      },
    }),
  },
  exports: {
    onRecvPacket: {
      doc: 'Take a document from another chain: restore it if it left from here, else hold it here.',
      gas: 3_000,
      run(ctx, args): JsonValue {
        requireXchainCaller(ctx);
        const parsed = recvArgs.safeParse(args);
        if (!parsed.success) throw new ModuleError('XDOC_BAD_PACKET', `document payload: ${parsed.error.issues[0]!.message}`);
        const { srcChain, payload } = parsed.data;
        const incoming = payload.doc as DocRecord;
        const prior = ctx.get(docKey(incoming.id)) as unknown as DocRecord | undefined;
        // A document may arrive only if it is not live here: absent, or away at the very chain it comes from.
        if (prior && !(prior.state === 'away' && prior.at === srcChain)) {
          throw new ModuleError('XDOC_DUPLICATE', `document ${incoming.id} is already held on ${ctx.chain}`);
        }
        const history = [...incoming.history, { event: 'received', by: incoming.holder, to: payload.receiver, chain: ctx.chain, height: ctx.height }];
        const rec: DocRecord = { id: incoming.id, kind: incoming.kind, hash: incoming.hash, issuer: incoming.issuer, holder: payload.receiver, state: 'here', history };
        save(ctx, rec);
        ctx.emit('DocumentReceived', { id: rec.id, from: srcChain, holder: rec.holder });
        return { id: rec.id, holder: rec.holder };
      },
    },
    onAcknowledgementPacket: {
      doc: 'On an error acknowledgement the document comes back to its holder here.',
      gas: 2_000,
      run(ctx, args) {
        requireXchainCaller(ctx);
        const { packet, ack } = args as unknown as { packet: Packet; ack: Ack };
        if (!ack.ok) unlock(ctx, packet, 'returned-on-error');
      },
    },
    onTimeoutPacket: {
      doc: 'A document whose transfer timed out comes back to its holder here.',
      gas: 2_000,
      run(ctx, args) {
        requireXchainCaller(ctx);
        unlock(ctx, (args as unknown as { packet: Packet }).packet, 'returned-on-timeout');
      },
    },
    lockDoc: {
      doc: 'Lock a document held here by `from` for an atomic endorsement to `to` (xlock only).',
      gas: 2_000,
      run(ctx, args): JsonValue {
        xlockOnly(ctx);
        const p = lockDocArgs.safeParse(args);
        if (!p.success) throw new ModuleError('BAD_ARGS', `lockDoc: ${p.error.issues[0]!.message}`);
        const a = p.data;
        if (ctx.has(docLockKey(a.lock))) throw new ModuleError('XDOC_LOCK_EXISTS', `document lock ${a.lock} already exists on ${ctx.chain}`);
        const d = load(ctx, a.id);
        if (d.state !== 'here') throw new ModuleError('XDOC_AWAY', `document ${a.id} is on ${d.at ?? 'another chain'}, not here`);
        if (d.holder !== a.from) throw new ModuleError('XDOC_NOT_HOLDER', `${a.from} does not hold ${a.id}`);
        if (d.lock) throw new ModuleError('XDOC_LOCKED', `document ${a.id} is already locked by atomic transaction ${d.lock}`);
        save(ctx, { ...d, lock: a.lock });
        const l: DocLockRecord = { id: a.id, from: a.from, to: a.to, state: 'locked', height: ctx.height };
        ctx.set(docLockKey(a.lock), l as unknown as JsonValue);
        ctx.emit('DocumentLocked', { id: a.id, lock: a.lock, from: a.from, to: a.to });
        return { lock: a.lock };
      },
    },
    commitLock: {
      doc: 'Endorse a locked document to its new holder (xlock only); committing twice changes nothing.',
      gas: 2_000,
      run(ctx, args): JsonValue {
        xlockOnly(ctx);
        const [id, l] = loadLock(ctx, args);
        if (l.state === 'committed') return { lock: id, state: l.state };
        if (l.state !== 'locked') throw new ModuleError('XDOC_LOCK_SETTLED', `document lock ${id} was already released; it cannot be committed`);
        const d = load(ctx, l.id);
        save(ctx, { ...withoutLock(d), holder: l.to, history: [...d.history, { event: 'endorsed', by: l.from, to: l.to, chain: ctx.chain, height: ctx.height }] });
        ctx.set(docLockKey(id), { ...l, state: 'committed', height: ctx.height } as unknown as JsonValue);
        ctx.emit('DocumentEndorsed', { id: l.id, from: l.from, to: l.to, lock: id });
        return { lock: id, state: 'committed' };
      },
    },
    releaseLock: {
      doc: 'Unlock a document, its holder unchanged (xlock only); releasing twice changes nothing.',
      gas: 2_000,
      run(ctx, args): JsonValue {
        xlockOnly(ctx);
        const [id, l] = loadLock(ctx, args);
        if (l.state === 'released') return { lock: id, state: l.state };
        if (l.state !== 'locked') throw new ModuleError('XDOC_LOCK_SETTLED', `document lock ${id} was already committed; it cannot be released`);
        save(ctx, withoutLock(load(ctx, l.id)));
        ctx.set(docLockKey(id), { ...l, state: 'released', height: ctx.height } as unknown as JsonValue);
        ctx.emit('DocumentUnlocked', { id: l.id, lock: id });
        return { lock: id, state: 'released' };
      },
    },
  },
};
