/**
 * Who sees what (docs/supervision.md#regulators, #who-reads-a-chain), on a node opened in this
 * process: a business chain registered with reads "members" is refused to anonymous callers
 * (401), to outsiders and to regulators whose scope does not cover it (403), and served to its
 * members and in-scope regulators, also on the block stream; alerts are shown to the regulators
 * whose scope covers their chain, and to operators; only registered regulators publish rules;
 * without a supervision service the API says so. Refusals change nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { buildApi } from '../src/api/index.ts';
import { startNode } from '../src/node/index.ts';
import { ConsoleClient, ShulianClient, govPropose, govVote, supPublishCall, type RuleSpec } from '../src/sdk/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const RULE: RuleSpec = { id: 'any-record', title: 'Any record', severity: 'low', scope: { chains: ['*'] }, kind: 'match', when: 'tx.module == "notary" && ok' };

test('a members-only chain and alerts are shown by scope; outsiders and out-of-scope regulators are refused', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'node');
  const node = await startNode({ dataDir, port: 0, log: () => {} });
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const op = readKeystore(join(dataDir, 'node', 'key.json'), readFileSync(join(dataDir, 'node', 'key.pass'), 'utf8').trim());
    const [wide, narrow, outsider, org] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
    const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
    await waitFor(async () => ((await (await fetch(`${node.url}/v1/gov`)).json()) as { operator?: string }).operator, 'governance init', 60_000);

    // Only registered regulators publish rules.
    const early = await c.waitForTx(await c.send('gov', wide, supPublishCall(RULE)));
    assert.equal(early.receipt.code, 'SUP_NOT_REGULATOR');

    // A member organisation proposes a members-only business chain, validated by this node.
    const admit = await govPropose(c, op, { kind: 'admit-member', member: { did: did(org), name: 'Trading Co', roles: ['member'] } });
    await govVote(c, op, admit.id, 'yes');
    const validator = { did: node.did, publicKey: toHex(op.publicKey), power: 1 };
    const cc = await govPropose(c, org, {
      kind: 'create-chain', reads: 'members',
      genesis: { chain: 'trade', name: 'Trade chain', suite: 'sm2', consensus: { type: 'solo' }, validators: [validator], modules: ['notary'] },
    });
    // The embedded alliance's founder holds a member seat too: both member organisations vote.
    await govVote(c, org, cc.id, 'yes');
    assert.equal((await govVote(c, op, cc.id, 'yes')).status, 'approved');
    for (const [k, chains] of [[wide, ['*']], [narrow, ['notary']]] as const) {
      const p = await govPropose(c, op, { kind: 'register-regulator', regulator: { did: did(k), name: 'R', chains: [...chains] } });
      await govVote(c, op, p.id, 'yes');
      assert.equal((await govVote(c, org, p.id, 'yes')).status, 'approved');
    }
    await waitFor(async () => node.node.chain('trade') !== undefined, 'the chain to start', 60_000);
    const status = async (path: string, token?: string) => (await fetch(`${node.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})).status;
    const session = async (k: KeyPair) => {
      const s = new ConsoleClient({ baseUrl: node.url });
      await s.login(k);
      return s;
    };
    const [opS, wideS, narrowS, outS, orgS] = [await session(op), await session(wide), await session(narrow), await session(outsider), await session(org)];

    for (const path of ['/v1/chains/trade', '/v1/chains/trade/blocks/latest', '/v1/chains/trade/state?key=notary%2Fx']) {
      assert.equal(await status(path), 401, path);
      assert.equal(await status(path, outS.token), 403, path);
      assert.equal(await status(path, narrowS.token), 403, path);
      assert.equal(await status(path, wideS.token), 200, path);
      assert.equal(await status(path, orgS.token), 200, path);
      assert.equal(await status(path, opS.token), 200, path);
    }
    assert.equal(await status('/v1/chains/notary/blocks/latest'), 200, 'other chains stay public');
    const listed = (await (await fetch(`${node.url}/v1/chains`)).json()) as { chains: Array<{ id: string; genesis?: unknown; validators?: unknown }> };
    assert.deepEqual(Object.keys(listed.chains.find((x) => x.id === 'trade')!).sort(), ['height', 'id', 'reads']);
    // The block stream: not without a token, and not in the default list.
    const streamAnswer = (url: string, token?: string) => new Promise<{ type: string; chains?: string[]; error?: { code: string } }>((resolve, reject) => {
      const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      ws.once('message', (d) => {
        resolve(JSON.parse(d.toString()) as { type: string });
        ws.close();
      });
      ws.once('error', reject);
    });
    const wsUrl = node.url.replace('http', 'ws');
    assert.equal((await streamAnswer(`${wsUrl}/v1/stream?chains=trade`)).error?.code, 'NOT_AUTHORISED');
    assert.equal((await streamAnswer(`${wsUrl}/v1/stream?chains=trade`, outS.token!)).error?.code, 'FORBIDDEN');
    assert.deepEqual((await streamAnswer(`${wsUrl}/v1/stream?chains=trade`, wideS.token!)).chains, ['trade']);
    assert.ok(!(await streamAnswer(`${wsUrl}/v1/stream`)).chains!.includes('trade'));

    // Alerts by scope: one on trade (only the wide regulator and operators see it), one on notary.
    const pub = await c.waitForTx(await c.send('gov', wide, supPublishCall(RULE)));
    assert.equal(pub.receipt.status, 'ok', pub.receipt.message ?? '');
    await waitFor(() => node.supervision!.status().rules === 1, 'the rule to load');
    // A member reads the chain it sends to with its session (ClientOptions.token); an outsider cannot even read its nonce there.
    const asOrg = new ShulianClient({ baseUrl: node.url, token: orgS.token! });
    const member = await asOrg.waitForTx(await asOrg.send('trade', org, { module: 'notary', method: 'put', args: { hash: 'aa'.repeat(32) } }));
    assert.equal(member.receipt.status, 'ok');
    await assert.rejects(c.send('trade', outsider, { module: 'notary', method: 'put', args: { hash: 'bb'.repeat(32) } }), (e: Error & { code?: string }) => e.code === 'NOT_AUTHORISED');
    await c.waitForTx(await c.send('notary', outsider, { module: 'notary', method: 'put', args: { hash: 'cc'.repeat(32) } }));
    await waitFor(() => node.supervision!.store.listAlerts({ limit: 10 }).alerts.length === 2, 'two alerts');
    const onTrade = node.supervision!.store.listAlerts({ limit: 10 }).alerts.find((a) => a.chain === 'trade')!;
    assert.deepEqual((await wideS.alerts()).alerts.map((a) => a.chain).sort(), ['notary', 'trade']);
    assert.deepEqual((await narrowS.alerts()).alerts.map((a) => a.chain), ['notary']);
    await assert.rejects(narrowS.alert(onTrade.id), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
    await assert.rejects(narrowS.ackAlert(onTrade.id), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
    await assert.rejects(outS.alerts(), (e: Error & { code?: string }) => e.code === 'FORBIDDEN');
    assert.equal(node.supervision!.store.alert(onTrade.id)!.status, 'open', 'refusals changed nothing');
    assert.equal((await opS.alert(onTrade.id)).proofs.length, 1);
    const narrowStats = await narrowS.supervisionStats({ period: 'day' });
    assert.ok(Object.keys(narrowStats.buckets.at(-1)!.series).every((k) => !k.includes('trade')), 'no series of chains outside the scope');

    // Without a service, the API says so.
    const bare = await buildApi(node.node, {});
    const r = await bare.inject({ url: '/v1/supervision/status' });
    assert.equal(r.statusCode, 503);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'SUPERVISION_NOT_RUNNING');
    await bare.close();
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
