import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { Receipt, Tx } from '../ledger/index.ts';
import { Executor } from './executor.ts';
import { MapContext } from './map-context.ts';
import { exported, method, type ModuleDef } from './module.ts';
import { runExport } from './calls.ts';
import { fullKeys, stateKey, stateValue, type JsonValue } from '../codec/index.ts';

/**
 * The runtime's side of module faces (docs/modules.md): exports take an argument schema parsed
 * before `run`, behind a callers check; state is read and written through typed keys.
 */

interface Counter {
  n: number;
  by: string;
}
const key = { counter: (id: string) => stateKey<Counter>(`counter/${id}`) };

let takeRuns = 0;
const callee: ModuleDef = {
  name: 'callee',
  description: 'test-only: exports with schemas',
  methods: {},
  exports: {
    take: exported({
      doc: 'counts n', gas: 100,
      args: z.strictObject({ n: z.number().int().min(1) }),
      argsError: 'BAD_PACKET',
      run(ctx, a) {
        takeRuns++;
        ctx.write(key.counter('x'), { n: a.n, by: ctx.caller ?? '' });
        return { n: a.n };
      },
    }),
    onlyGood: exported({
      doc: 'for module good only', gas: 100, callers: ['good'],
      args: z.strictObject({ n: z.number() }),
      run: (_ctx, a) => ({ n: a.n }),
    }),
  },
};

const caller = (name: string): ModuleDef => ({
  name,
  description: 'test-only: calls callee',
  methods: {
    call: method({
      doc: 'calls an export of callee', gas: 100,
      args: z.strictObject({ name: z.string(), args: z.custom<JsonValue>(() => true) }),
      run: (ctx, a) => ctx.call('callee', a.name, a.args) ?? null,
    }),
    // The same work twice: once through typed keys, once through get/set.
    typed: method({
      doc: 'write and read a record through its typed key', gas: 100, args: z.strictObject({}),
      run(ctx) {
        ctx.write(key.counter('t'), { n: 1, by: ctx.sender });
        const c = ctx.read(key.counter('t'))!;
        ctx.write(key.counter('t'), { ...c, n: c.n + 1 });
        return ctx.read(key.counter('t'))!.n;
      },
    }),
    untyped: method({
      doc: 'the same through get and set', gas: 100, args: z.strictObject({}),
      run(ctx) {
        ctx.set('counter/t', { n: 1, by: ctx.sender });
        const c = ctx.get('counter/t') as { n: number; by: string };
        ctx.set('counter/t', { ...c, n: c.n + 1 });
        return (ctx.get('counter/t') as { n: number }).n;
      },
    }),
  },
});

const SENDER = 'did:shulian:11111111111111111111';

async function run(module: string, methodName: string, args: JsonValue): Promise<{ receipt: Receipt; writes: Map<string, string | null> }> {
  const exec = new Executor([callee, caller('good'), caller('bad')], new Set(['callee', 'good', 'bad']));
  const tx: Tx = { chain: 'c', from: SENDER, pubkey: '00', nonce: 0, module, method: methodName, args, expires: 10, sig: '' };
  const out = await exec.executeBlock({ get: () => undefined }, { chain: 'c', height: 1, time: 1, maxTxGas: 1_000_000 }, [{ tx, hash: 'h', bytes: 100 }]);
  const writes = new Map([...out.writes].filter(([k]) => !k.startsWith('sys/')));
  return { receipt: out.receipts[0]!, writes };
}

test('an export\'s args are parsed before run: bad args are refused with its own code, where they are wrong, and run never sees them', async () => {
  takeRuns = 0;
  const bad = await run('good', 'call', { name: 'take', args: { n: 0 } });
  assert.equal(bad.receipt.status, 'failed');
  assert.equal(bad.receipt.code, 'BAD_PACKET');
  assert.match(bad.receipt.message!, /^callee\.take args\.n: /);
  assert.equal(takeRuns, 0, 'run was not called');
  assert.equal(bad.writes.size, 0, 'nothing was written');

  const extra = await run('good', 'call', { name: 'take', args: { n: 1, more: true } });
  assert.equal(extra.receipt.code, 'BAD_PACKET', 'a strict schema refuses extra fields');

  const ok = await run('good', 'call', { name: 'take', args: { n: 3 } });
  assert.equal(ok.receipt.status, 'ok');
  assert.deepEqual(ok.receipt.result, { n: 3 });
  assert.equal(takeRuns, 1);
  assert.equal(ok.writes.get('callee/counter/x'), '{"by":"good","n":3}', 'written under the callee\'s namespace, as canonical JSON');
});

test('an export with callers refuses any other module before looking at its args', async () => {
  const wrong = await run('bad', 'call', { name: 'onlyGood', args: { n: 'not a number' } });
  assert.equal(wrong.receipt.code, 'FORBIDDEN', 'the callers check comes before the args');
  assert.match(wrong.receipt.message!, /callee\.onlyGood is called by module good only, not by module bad/);
  const badArgs = await run('good', 'call', { name: 'onlyGood', args: { n: 'not a number' } });
  assert.equal(badArgs.receipt.code, 'BAD_ARGS', 'without an argsError, the code is BAD_ARGS');
  const right = await run('good', 'call', { name: 'onlyGood', args: { n: 2 } });
  assert.deepEqual(right.receipt.result, { n: 2 });
});

test('runExport runs an export on a context of one\'s own exactly as ctx.call does', () => {
  const store = new Map<string, string>();
  const noCaller = new MapContext(store, SENDER);
  assert.throws(() => runExport(callee, 'onlyGood', noCaller, { n: 1 }), { code: 'FORBIDDEN', message: /never by a transaction/ });
  const fromGood = Object.assign(new MapContext(store, SENDER), { caller: 'good' });
  assert.throws(() => runExport(callee, 'onlyGood', fromGood, { n: 'x' }), { code: 'BAD_ARGS', message: /^callee\.onlyGood args\.n: / });
  assert.deepEqual(runExport(callee, 'onlyGood', fromGood, { n: 5 }), { n: 5 });
  assert.throws(() => runExport(callee, 'missing', fromGood, {}), { code: 'EXPORT_NOT_FOUND' });
  assert.equal(fromGood.writes, 0);
});

test('typed state: a record written through its key reads back as that record, for the same gas as get and set', async () => {
  const typed = await run('good', 'typed', {});
  const untyped = await run('good', 'untyped', {});
  assert.equal(typed.receipt.status, 'ok');
  assert.equal(typed.receipt.result, 2);
  assert.equal(typed.receipt.gasUsed, untyped.receipt.gasUsed, 'no extra gas');
  assert.deepEqual([...typed.writes], [...untyped.writes], 'the same bytes under the same key');

  const ctx = new MapContext(new Map(), SENDER);
  assert.equal(ctx.read(key.counter('none')), undefined);
  ctx.write(key.counter('a'), { n: 7, by: 'me' });
  assert.deepEqual(ctx.read(key.counter('a')), { n: 7, by: 'me' });
  assert.equal(ctx.writes, 1);
});

test('fullKeys gives the same keys under the module prefix; stateValue reads a reader\'s value as the key\'s record', () => {
  const full = fullKeys('callee', key);
  assert.equal(full.counter('x'), 'callee/counter/x');
  const rec = stateValue(full.counter('x'), { n: 1, by: 'b' });
  assert.equal(rec?.n, 1);
  assert.equal(stateValue(full.counter('x'), null), undefined);
  assert.equal(stateValue(full.counter('x'), undefined), undefined);
});
