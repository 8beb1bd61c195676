import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import WebSocket from 'ws';
import { generateKeyPair, sm3 } from '../src/crypto/index.ts';
import { toHex } from '../src/codec/index.ts';
import { signTx, verifyStateLookup, verifyTxInclusion, type Genesis, type Tx } from '../src/ledger/index.ts';
import { startNode, type RunningNode } from '../src/node/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

let node: RunningNode;
let tmp: { dir: string; cleanup: () => void };
const alice = generateKeyPair('sm2');

before(async () => {
  tmp = tempDir();
  node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { rateLimitPerMinute: 100_000 } });
  // The node's own gateway brings the routing chain's registrations to each chain on start; wait
  // for that so the state-unchanged properties below see a quiet alliance.
  const xchains = node.chains().filter((c) => c.genesis.modules.includes('xchain'));
  await waitFor(() => xchains.every((c) => ((c.getState('xchain/routes').value as string[] | null) ?? []).length === xchains.length), 'routes synced', 60_000);
});
after(async () => {
  await node.close();
  tmp.cleanup();
});

const post = (path: string, body: unknown, raw = false) =>
  fetch(node.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
const get = async <T = Record<string, unknown>>(path: string) => {
  const res = await fetch(node.url + path);
  return { status: res.status, body: (await res.json()) as T };
};

test('health, chains and OpenAPI', async () => {
  const health = await get('/v1/health');
  assert.equal(health.body.status, 'ok');
  assert.equal(health.body.node, node.did);
  const chains = await get<{ chains: Array<{ id: string; height: number }> }>('/v1/chains');
  assert.deepEqual(chains.body.chains.map((c) => c.id), ['gov', 'identity', 'sign', 'settle', 'xroute', 'data', 'notary']);
  const spec = await get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json');
  assert.equal(spec.body.openapi, '3.1.0');
  for (const p of ['/v1/health', '/v1/chains', '/v1/chains/{chain}/blocks/{height}', '/v1/chains/{chain}/txs', '/v1/txs/{hash}', '/v1/chains/{chain}/state']) {
    assert.ok(spec.body.paths[p], `OpenAPI documents ${p}`);
  }
  const docs = await fetch(node.url + '/docs/');
  assert.equal(docs.status, 200);
  assert.match(await docs.text(), /swagger/i);
});

test('submit, follow on the stream, read back with proofs', async () => {
  const ws = new WebSocket(node.url.replace('http', 'ws') + '/v1/stream?chains=notary');
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  await waitFor(() => messages.some((m) => m.type === 'subscribed'), 'subscription');
  const acct = await get<{ pendingNonce: number }>(`/v1/chains/notary/accounts/${signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: {}, nonce: 0, expires: 0 }).tx.from}`);
  const digest = toHex(sm3(Buffer.from('tender document')));
  const { tx, hash } = signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: digest }, nonce: acct.body.pendingNonce, expires: 1000 });
  const res = await post('/v1/chains/notary/txs', tx);
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { hash });
  const committed = await waitFor(async () => {
    const r = await get<{ status: string }>(`/v1/txs/${hash}`);
    return r.body.status === 'committed' ? r.body : undefined;
  }, 'commit');
  const { body: chain } = await get<{ genesis: Genesis }>('/v1/chains/notary');
  assert.deepEqual(verifyTxInclusion('sm2', committed as never, chain.genesis.validators), { ok: true });
  const state = await get(`/v1/chains/notary/state?key=${encodeURIComponent('notary/rec/' + digest)}&proof=true`);
  assert.deepEqual(verifyStateLookup('sm2', state.body as never, chain.genesis.validators), { ok: true });
  await waitFor(() => messages.some((m) => m.type === 'event' && (m.data as { hash?: string }).hash === digest), 'event on the stream');
  assert.ok(messages.some((m) => m.type === 'block' && m.chain === 'notary'));
  ws.close();
  const mine = await get<{ txs: Array<{ hash: string }> }>(`/v1/chains/notary/accounts/${tx.from}/txs`);
  assert.ok(mine.body.txs.some((t) => t.hash === hash));
});

test('errors are typed and say what to do', async () => {
  assert.equal((await get('/v1/chains/nope')).status, 404);
  assert.equal(((await get<{ error: { code: string } }>('/v1/chains/nope')).body.error.code), 'CHAIN_NOT_FOUND');
  assert.equal((await get('/v1/chains/notary/blocks/999999')).status, 404);
  assert.equal((await get('/v1/txs/zz')).status, 400);
  assert.equal((await get(`/v1/txs/${'0'.repeat(64)}`)).status, 404);
  assert.equal((await get('/v1/chains/notary/state')).status, 400);
  assert.equal((await get('/v1/chains/notary/accounts/not-a-did')).status, 400);
  assert.equal((await get('/v1/chains/notary/state?key=x&height=99999')).status, 404);
  const bad = await post('/v1/chains/notary/txs', '{"not json', true);
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST');
  const big = await post('/v1/chains/notary/txs', JSON.stringify({ txs: [{ pad: 'x'.repeat(17 * 1024 * 1024) }] }), true);
  assert.equal(big.status, 413);
  const empty = await post('/v1/chains/notary/txs', { txs: [] });
  assert.equal(empty.status, 400);
  const ws = new WebSocket(node.url.replace('http', 'ws') + '/v1/stream?chains=nope');
  const closed = await new Promise<number>((r) => ws.on('close', (code) => r(code)));
  assert.equal(closed, 1008);
});

test('tx endpoint: arbitrary bodies never crash the node nor change state (property)', async () => {
  const before = (await get<{ chains: Array<{ id: string; stateRoot: string; height: number }> }>('/v1/chains')).body.chains;
  const sample = signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ef'.repeat(32) }, nonce: 0, expires: 5 }).tx;
  await fc.assert(fc.asyncProperty(
    fc.oneof(
      fc.jsonValue().map((json) => ({ json })),
      fc.record({ txs: fc.array(fc.jsonValue(), { maxLength: 5 }) }).map((json) => ({ json })),
      fc.record({ field: fc.constantFrom(...Object.keys(sample)), value: fc.jsonValue() })
        .map(({ field, value }) => ({ json: { ...sample, [field]: value, sig: 'ab'.repeat(64) } as Tx })),
      fc.string().map((raw) => ({ raw })),
    ),
    async (input: { json?: unknown; raw?: string }) => {
      const res = input.raw !== undefined
        ? await post('/v1/chains/notary/txs', input.raw, true)
        : await post('/v1/chains/notary/txs', input.json);
      assert.ok(res.status < 500, `status ${res.status}`);
      const json = (await res.json()) as { error?: { code: string; message: string }; results?: Array<{ accepted: boolean }> };
      if (res.status === 202) assert.ok(json.results?.every((r) => r.accepted === false));
      else assert.ok(json.error?.code && json.error.message);
    },
  ), { numRuns: 300 });
  const afterChains = (await get<{ chains: Array<{ id: string; stateRoot: string; height: number }> }>('/v1/chains')).body.chains;
  assert.deepEqual(afterChains.map((c) => [c.id, c.height, c.stateRoot]), before.map((c) => [c.id, c.height, c.stateRoot]));
  assert.equal((await get('/v1/health')).body.status, 'ok');
});
