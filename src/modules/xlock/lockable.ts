import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import { exported, ModuleError, type ExportDef, type ModuleContext, type StateKey } from '../../runtime/index.ts';
import type { XtxOp } from '../xtx/types.ts';
import { XLOCK } from './keys.ts';
import type { LockRecord, LockState } from './types.ts';

/**
 * Locks for atomic transactions, written once for every resource (after X/Open XA's resource
 * managers). `xlock` places a lock on a resource at prepare, then commits or releases it at the
 * coordinator's decision. What a lock record holds, its states, the refusals and the idempotence
 * of commit and release are the same for tokens (xtransfer's holds) and documents (xdoc's
 * locks); a resource module only says how it takes, gives and restores what is locked (the
 * `LockResource` below) and gets its three exports from `lockExports`.
 */

/** A lock id: `<coordinator>/<transaction id>/<op index>`, as xlock makes them. */
export const lockIdSchema = z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, 'a lock id');

/** The resources xlock locks, by op kind: which module, which exports, and the name of the lock id in their args. */
export const LOCKABLE = {
  transfer: { module: 'xtransfer', place: 'holdLock', commit: 'holdCommit', release: 'holdRelease', idField: 'hold' },
  endorse: { module: 'xdoc', place: 'lockDoc', commit: 'commitLock', release: 'releaseLock', idField: 'lock' },
} as const;
type Names = (typeof LOCKABLE)[keyof typeof LOCKABLE];

/** How one module takes part: its resource, its words, its codes. */
export interface LockResource<Args extends object, Body, Placed extends string> {
  names: Names;
  /** The word for a lock in messages: "hold", "document lock". */
  noun: string;
  /** The state of a lock placed and not yet decided. */
  placed: Placed;
  codes: { exists: string; missing: string; settled: string };
  key(id: string): StateKey<LockRecord<Body, Placed>>;
  /** What xlock passes to place a lock: its id (under `names.idField`) and the op's fields. */
  args: z.ZodType<Args>;
  /** Takes the resource out of reach (debits, marks) and says so in an event; throws a ModuleError if it cannot. */
  take(ctx: ModuleContext, id: string, args: Args): Body;
  /** Commit: hands the resource to its receiver, with an event. */
  give(ctx: ModuleContext, id: string, lock: Body): void;
  /** Release: gives the resource back as it was, with an event. */
  restore(ctx: ModuleContext, id: string, lock: Body): void;
}

/**
 * The three exports of a lockable resource, named as LOCKABLE names them: place (refused if the
 * id is taken or the resource cannot be taken), commit and release (each idempotent, and each
 * refused once the other has happened). Only xlock may call them.
 */
export function lockExports<Args extends object, Body, Placed extends string>(r: LockResource<Args, Body, Placed>): Record<string, ExportDef> {
  const field = r.names.idField;
  const result = (id: string, state?: LockState<Placed>): JsonValue => (state === undefined ? { [field]: id } : { [field]: id, state });
  /** The args of commit and release: the lock id under the resource's own name for it. */
  const ref: z.ZodType<Record<string, string>> = z.strictObject({ [field]: lockIdSchema });
  const idOf = (a: object): string => (a as Record<string, string>)[field]!;

  function decide(ctx: ModuleContext, id: string, outcome: 'committed' | 'released'): JsonValue {
    const lock = ctx.read(r.key(id));
    if (!lock) throw new ModuleError(r.codes.missing, `no ${r.noun} ${id} on ${ctx.chain}`);
    if (lock.state === outcome) return result(id, outcome);
    if (lock.state !== r.placed) throw new ModuleError(r.codes.settled, `${r.noun} ${id} was already ${lock.state}; it cannot be ${outcome}`);
    (outcome === 'committed' ? r.give : r.restore)(ctx, id, lock);
    ctx.write(r.key(id), { ...lock, state: outcome, height: ctx.height });
    return result(id, outcome);
  }

  return {
    [r.names.place]: exported({
      doc: `Place a ${r.noun} for an atomic transaction (xlock only).`,
      gas: 2_000,
      callers: [XLOCK],
      args: r.args,
      run(ctx, a): JsonValue {
        const id = idOf(a);
        if (ctx.has(r.key(id))) throw new ModuleError(r.codes.exists, `${r.noun} ${id} already exists on ${ctx.chain}`);
        const body = r.take(ctx, id, a);
        ctx.write(r.key(id), { ...body, state: r.placed, height: ctx.height });
        return result(id);
      },
    }),
    [r.names.commit]: exported({
      doc: `Complete a ${r.noun}: the resource goes to its receiver (xlock only); committing twice changes nothing.`,
      gas: 2_000,
      callers: [XLOCK],
      args: ref,
      run: (ctx, a) => decide(ctx, idOf(a), 'committed'),
    }),
    [r.names.release]: exported({
      doc: `Undo a ${r.noun}: the resource goes back as it was (xlock only); releasing twice changes nothing.`,
      gas: 2_000,
      callers: [XLOCK],
      args: ref,
      run: (ctx, a) => decide(ctx, idOf(a), 'released'),
    }),
  };
}

/** xlock's side: places the lock an op needs. */
export function placeLock(ctx: ModuleContext, op: XtxOp, id: string): void {
  const { kind, ...fields } = op;
  const r = LOCKABLE[kind];
  ctx.call(r.module, r.place, { [r.idField]: id, ...fields });
}

/** xlock's side: commits or releases an op's lock. */
export function settleLock(ctx: ModuleContext, op: XtxOp, id: string, outcome: 'commit' | 'abort'): void {
  const r = LOCKABLE[op.kind];
  ctx.call(r.module, outcome === 'commit' ? r.commit : r.release, { [r.idField]: id });
}
