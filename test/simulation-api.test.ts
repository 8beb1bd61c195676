/**
 * The simulation sandbox over HTTP and the SDK (docs/simulation.md): fork, simulate on the fork,
 * read it, drop it, simulate in one call; the limits answer typed errors with their statuses;
 * and fast-check sends the simulation routes arbitrary bodies mixed with parts that pass the
 * first checks: every answer is a verdict or a typed 4xx, and nothing reaches a chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { join } from 'node:path';
import type { JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { startNode } from '../src/node/index.ts';
import { ShulianClient, createFork, dropFork, getFork, simulate, simulateOnFork } from '../src/sdk/index.ts';
import { bounded } from './helpers/fuzz-budget.ts';
import { tempDir } from './helpers/tmp.ts';
import { cli, json } from './helpers/cli.ts';

test('fork, simulate, read and drop a fork through the SDK; limits answer typed errors; fuzzed bodies change nothing', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  const node = await startNode({ dataDir: join(tmp.dir, 'node'), port: 0, log: () => {}, supervision: false, api: { simulation: { maxForks: 3, maxTxs: 4 } } });
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const k = generateKeyPair('sm2');
    const from = didFromPublicKey(k.publicKey);
    const put = (i: number) => ({ chain: 'notary', from, module: 'notary', method: 'put', args: { hash: i.toString(16).padStart(64, '0') } as JsonValue });

    const fork = await createFork(c, [{ chain: 'notary' }]);
    assert.match(fork.id, /^[0-9a-f]{32}$/);
    const r1 = await simulateOnFork(c, fork.id, { txs: [put(1), put(2)], keep: true });
    assert.equal(r1.risk.verdict, 'none');
    assert.deepEqual(r1.receipts.map((r) => r.status), ['ok', 'ok']);
    assert.ok(r1.stateDiff.notary?.notary);
    // The kept record is on the fork: putting it again fails there (and the verdict says so), not on the chain.
    const again = await simulateOnFork(c, fork.id, { txs: [put(1)] });
    assert.equal(again.receipts[0]!.code, 'NOTARY_EXISTS');
    assert.equal(again.risk.verdict, 'warn');
    assert.equal((await getFork(c, fork.id)).chains[0]!.height, r1.blocks[0]!.height);
    const once = await simulate(c, { txs: [put(1)] });
    assert.equal(once.receipts[0]!.status, 'ok', 'a one-shot simulation forks the chain as it is');
    assert.equal((await c.state('notary', `notary/${'0'.repeat(63)}1`)).value, null);
    await dropFork(c, fork.id);
    await assert.rejects(getFork(c, fork.id), { code: 'SIM_FORK_NOT_FOUND' });

    // The CLI: the verdict is the exit code (0 none, 3 warn), the reasons in the language asked; replay checks parity.
    const args = ['simulate', '--chain', 'notary', '--from', from, '--module', 'notary', '--method', 'put', '--args', JSON.stringify(put(9).args), '--api', node.url];
    const clean = await cli(args);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /verdict {2}NONE/);
    const bad = await cli([...args.slice(0, -6), '--method', 'nope', '--args', '{}', '--api', node.url, '--lang', 'zh']);
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stdout, /将执行失败/);
    const gov = (await c.chain('gov')).height;
    const replay = await cli(['simulate', 'replay', 'gov', '0', String(gov), '--api', node.url, '--json']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.deepEqual(json<{ divergences: unknown[] }>(replay).divergences, []);

    const post = async (path: string, body: unknown): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }> => {
      const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    // Limits, with their statuses.
    const tooMany = await post('/v1/simulate', { txs: [put(1), put(2), put(3), put(4), put(5)] });
    assert.equal(tooMany.status, 413);
    assert.equal(tooMany.body.error?.code, 'SIM_TOO_MANY_TXS');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await post('/v1/simulation/forks', { chains: [{ chain: 'notary' }] })).body as { id: string }).id);
    const full = await post('/v1/simulation/forks', { chains: [{ chain: 'notary' }] });
    assert.equal(full.status, 429);
    assert.equal(full.body.error?.code, 'SIM_FORK_LIMIT');
    for (const id of ids.slice(1)) await dropFork(c, id);
    const missing = await post(`/v1/simulation/forks/${'ab'.repeat(16)}/simulate`, { txs: [put(1)] });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error?.code, 'SIM_FORK_NOT_FOUND');
    const badId = await post('/v1/simulation/forks/..%2Fx/simulate', { txs: [put(1)] });
    assert.equal(badId.status, 400);
    const badTx = await post('/v1/simulate', { txs: [{ signed: { chain: 'notary' } }] });
    assert.equal(badTx.body.error?.code, 'TX_MALFORMED');
    const badReplay = await post('/v1/simulation/replay', { chain: 'notary', from: 5, to: 2 });
    assert.equal(badReplay.body.error?.code, 'SIM_BAD_REQUEST');

    // Fuzz: structured bodies, some parts valid, some not.
    // The node's own start-up txs (route sync) may still commit: what must not move is anything of the fuzzed sender.
    const untouched = async () => {
      for (const x of await c.chains()) assert.deepEqual(await c.account(x.id, from).then((a) => [a.nonce, a.pendingNonce]), [0, 0], x.id);
    };
    const chain = fc.oneof(fc.constantFrom('notary', 'settle', 'gov', 'nowhere'), fc.string({ maxLength: 12 }));
    const tx = fc.oneof(
      fc.record({ chain, from: fc.oneof(fc.constant(from), fc.string({ maxLength: 40 })), module: fc.oneof(fc.constantFrom('notary', 'settlement', 'governance'), fc.string({ maxLength: 10 })), method: fc.oneof(fc.constantFrom('put', 'transfer', 'propose'), fc.string({ maxLength: 10 })), args: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }),
      fc.record({ signed: fc.jsonValue({ maxDepth: 2 }) }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const body = fc.record({
      txs: fc.oneof(fc.array(tx, { maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })),
      overrides: fc.oneof(fc.record({ time: fc.oneof(fc.nat(), fc.double()), height: fc.integer({ min: -2, max: 1e9 }), balances: fc.array(fc.record({ chain, did: fc.constant(from), currency: fc.constantFrom('CNY', 'cny', ''), amount: fc.oneof(fc.constant('100'), fc.string({ maxLength: 5 })) }), { maxLength: 3 }) }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 1 })),
      passProposals: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 0 })),
      keep: fc.oneof(fc.boolean(), fc.constant(undefined)),
      at: fc.array(fc.record({ chain, height: fc.integer({ min: -1, max: 1e6 }) }, { requiredKeys: ['chain'] }), { maxLength: 3 }),
    }, { requiredKeys: [] });
    const b = bounded(200, 8_000);
    await fc.assert(fc.asyncProperty(body, fc.boolean(), b.guard(async (x, onFork) => {
      const r = onFork ? await post(`/v1/simulation/forks/${ids[0]}/simulate`, x) : await post('/v1/simulate', { ...x, keep: undefined });
      if (r.status === 200) {
        assert.ok(['none', 'warn', 'block'].includes((r.body as { risk: { verdict: string } }).risk.verdict));
        return;
      }
      assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.match(r.body.error?.code ?? '', /^[A-Z][A-Z0-9_]+$/);
      assert.ok((r.body.error?.message.length ?? 0) > 10);
    })), b.params);
    await untouched();
    assert.equal((await c.state('notary', `notary/${'0'.repeat(63)}1`)).value, null);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
