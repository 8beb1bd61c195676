import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { runExport } from './calls.ts';
import { lockExports, lockIdSchema, type LockRecord } from './locks.ts';
import { MapContext } from './map-context.ts';
import { ModuleError, type ModuleContext, type ModuleDef } from './module.ts';
import { stateKey } from '../codec/index.ts';

/**
 * The lock protocol written once (locks.ts), on a toy resource — points per DID — so what it
 * guarantees is seen apart from xtransfer and xdoc: a lock takes the resource or nothing, commit
 * and release are each idempotent and exclude each other, only xlock may call, and refusals
 * change nothing.
 */

type PointsLock = LockRecord<{ from: string; to: string; n: number }, 'held'>;
const points = (who: string) => stateKey<number>(`pts/${who}`);
const lockKey = (id: string) => stateKey<PointsLock>(`lock/${id}`);
const NAMES = { place: 'holdLock', commit: 'holdCommit', release: 'holdRelease', idField: 'hold' };

const toy: ModuleDef = {
  name: 'toy',
  description: 'test-only: points that xlock can lock',
  methods: {},
  exports: lockExports({
    names: NAMES,
    caller: 'xlock',
    noun: 'points lock',
    placed: 'held',
    codes: { exists: 'XTRANSFER_HOLD_EXISTS', missing: 'XTRANSFER_NO_HOLD', settled: 'XTRANSFER_HOLD_SETTLED' },
    key: lockKey,
    args: z.strictObject({ hold: lockIdSchema, from: z.string(), to: z.string(), n: z.number().int().min(1) }),
    take(ctx: ModuleContext, _id, a) {
      const have = ctx.read(points(a.from)) ?? 0;
      if (have < a.n) throw new ModuleError('INSUFFICIENT_FUNDS', `${a.from} has ${have} points`);
      ctx.write(points(a.from), have - a.n);
      return { from: a.from, to: a.to, n: a.n };
    },
    give(ctx, _id, l) {
      ctx.write(points(l.to), (ctx.read(points(l.to)) ?? 0) + l.n);
    },
    restore(ctx, _id, l) {
      ctx.write(points(l.from), (ctx.read(points(l.from)) ?? 0) + l.n);
    },
  }),
};

function world(): { store: Map<string, string>; as: (caller: string | undefined) => MapContext } {
  const store = new Map<string, string>([['pts/alice', '10']]);
  return { store, as: (caller) => Object.assign(new MapContext(store, 'did:shulian:gateway0000000000000000'), { caller }) };
}
const call = (ctx: MapContext, name: string, args: unknown) => runExport(toy, name, ctx, args);
const { place, commit, release } = NAMES;

test('a lock takes the resource at place; commit gives it and is idempotent; release after commit is refused', () => {
  const w = world();
  assert.deepEqual(call(w.as('xlock'), place, { hold: 'g/t/0', from: 'alice', to: 'bob', n: 4 }), { hold: 'g/t/0' });
  assert.equal(w.store.get('pts/alice'), '6');
  assert.deepEqual(JSON.parse(w.store.get('lock/g/t/0')!), { from: 'alice', to: 'bob', n: 4, state: 'held', height: 1 });
  assert.deepEqual(call(w.as('xlock'), commit, { hold: 'g/t/0' }), { hold: 'g/t/0', state: 'committed' });
  assert.equal(w.store.get('pts/bob'), '4');
  const again = w.as('xlock');
  assert.deepEqual(call(again, commit, { hold: 'g/t/0' }), { hold: 'g/t/0', state: 'committed' }, 'committing twice answers the same');
  assert.equal(again.writes, 0, 'and changes nothing');
  const late = w.as('xlock');
  assert.throws(() => call(late, release, { hold: 'g/t/0' }), { code: 'XTRANSFER_HOLD_SETTLED', message: /points lock g\/t\/0 was already committed; it cannot be released/ });
  assert.equal(late.writes, 0);
});

test('release gives the resource back and is idempotent; commit after release is refused', () => {
  const w = world();
  call(w.as('xlock'), place, { hold: 'g/t/1', from: 'alice', to: 'bob', n: 10 });
  assert.equal(w.store.get('pts/alice'), '0');
  assert.deepEqual(call(w.as('xlock'), release, { hold: 'g/t/1' }), { hold: 'g/t/1', state: 'released' });
  assert.equal(w.store.get('pts/alice'), '10');
  assert.deepEqual(call(w.as('xlock'), release, { hold: 'g/t/1' }), { hold: 'g/t/1', state: 'released' });
  assert.equal(w.store.get('pts/alice'), '10', 'released once only');
  assert.throws(() => call(w.as('xlock'), commit, { hold: 'g/t/1' }), { code: 'XTRANSFER_HOLD_SETTLED', message: /was already released; it cannot be committed/ });
  assert.equal(w.store.get('pts/bob'), undefined);
});

test('refusals change nothing: a taken id, a resource that cannot be taken, an unknown lock, bad args, any caller but xlock', () => {
  const w = world();
  call(w.as('xlock'), place, { hold: 'g/t/2', from: 'alice', to: 'bob', n: 1 });
  const before = [...w.store];
  const refused: Array<[string | undefined, string, unknown, string]> = [
    ['xlock', place, { hold: 'g/t/2', from: 'alice', to: 'bob', n: 1 }, 'XTRANSFER_HOLD_EXISTS'],
    ['xlock', place, { hold: 'g/t/3', from: 'alice', to: 'bob', n: 100 }, 'INSUFFICIENT_FUNDS'],
    ['xlock', commit, { hold: 'g/t/9' }, 'XTRANSFER_NO_HOLD'],
    ['xlock', release, { hold: 'no spaces allowed' }, 'BAD_ARGS'],
    ['xlock', place, { hold: 'g/t/4', from: 'alice', to: 'bob', n: 1, extra: 1 }, 'BAD_ARGS'],
    ['xtransfer', commit, { hold: 'g/t/2' }, 'FORBIDDEN'],
    [undefined, release, { hold: 'g/t/2' }, 'FORBIDDEN'],
  ];
  for (const [who, name, args, code] of refused) {
    const ctx = w.as(who);
    assert.throws(() => call(ctx, name, args), { code }, `${who ?? 'a transaction'} → ${name} ${JSON.stringify(args)}`);
  }
  assert.deepEqual([...w.store], before);
});
