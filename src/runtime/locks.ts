import { z } from '../codec/schemas.ts';
import type { JsonValue, StateKey } from '../codec/index.ts';
import type { ModuleErrorCode } from './errors.ts';
import { exported, ModuleError, type ExportDef, type ModuleContext } from './module.ts';

/**
 * Locks for atomic transactions, written once for every resource (after X/Open XA's resource
 * managers; docs/crosschain.md#atomic-operations-2pc). The participant module `xlock` places a
 * lock on a resource at prepare, then commits or releases it at the coordinator's decision. What
 * a lock record holds, its states, the refusals and the idempotence of commit and release are the
 * same for tokens (xtransfer's holds) and documents (xdoc's locks); a resource module says only
 * how it takes, gives and restores what is locked (a `LockResource`) and gets its three exports
 * from `lockExports`.
 */

/** Where a lock stands: `Placed` (the resource's word: 'held', 'locked') until the decision. */
export type LockState<Placed extends string> = Placed | 'committed' | 'released';
/** A lock as a resource module keeps it: what it locks, and where it stands. */
export type LockRecord<Body, Placed extends string> = Body & { state: LockState<Placed>; height: number };

/** A lock id: `<coordinator>/<transaction id>/<op index>`, as xlock makes them. */
export const lockIdSchema = z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, 'a lock id');

/** The names of a resource's three exports, and of the lock id in their args. */
export interface LockExportNames {
  place: string;
  commit: string;
  release: string;
  idField: string;
}

/** How one module takes part: its export names, its words, its codes, and its resource. */
export interface LockResource<Args extends object, Body, Placed extends string> {
  names: LockExportNames;
  /** The one module that places and decides locks (`xlock`). */
  caller: string;
  /** The word for a lock in messages: "hold", "document lock". */
  noun: string;
  /** The state of a lock placed and not yet decided. */
  placed: Placed;
  codes: { exists: ModuleErrorCode; missing: ModuleErrorCode; settled: ModuleErrorCode };
  key(id: string): StateKey<LockRecord<Body, Placed>>;
  /** What the caller passes to place a lock: its id (under `names.idField`) and what to lock. */
  args: z.ZodType<Args>;
  /** Takes the resource out of reach (debits, marks) and says so in an event; throws a ModuleError if it cannot. */
  take(ctx: ModuleContext, id: string, args: Args): Body;
  /** Commit: hands the resource to its receiver, with an event. */
  give(ctx: ModuleContext, id: string, lock: Body): void;
  /** Release: gives the resource back as it was, with an event. */
  restore(ctx: ModuleContext, id: string, lock: Body): void;
}

/**
 * The three exports of a lockable resource, under its names: place (refused if the id is taken or
 * the resource cannot be taken), commit and release (each idempotent, and each refused once the
 * other has happened). Only the resource's `caller` may call them.
 */
export function lockExports<Args extends object, Body, Placed extends string>(r: LockResource<Args, Body, Placed>): Record<string, ExportDef> {
  const field = r.names.idField;
  const callers = [r.caller];
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
      doc: `Place a ${r.noun} for an atomic transaction (${r.caller} only).`,
      gas: 2_000,
      callers,
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
      doc: `Complete a ${r.noun}: the resource goes to its receiver (${r.caller} only); committing twice changes nothing.`,
      gas: 2_000,
      callers,
      args: ref,
      run: (ctx, a) => decide(ctx, idOf(a), 'committed'),
    }),
    [r.names.release]: exported({
      doc: `Undo a ${r.noun}: the resource goes back as it was (${r.caller} only); releasing twice changes nothing.`,
      gas: 2_000,
      callers,
      args: ref,
      run: (ctx, a) => decide(ctx, idOf(a), 'released'),
    }),
  };
}
