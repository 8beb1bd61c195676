/**
 * The supervision service across restarts (docs/supervision.md#exactly-once), on a node opened
 * in this process: blocks committed while the service was off are processed when it comes back,
 * windows are rebuilt so no burst alerts twice, each alert is raised and delivered once, and
 * webhooks are signed (HMAC-SHA256 over `<timestamp>.<body>`) and retried until they succeed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { startNode, type RunningNode } from '../src/node/index.ts';
import { ShulianClient, govPropose, govVote, supPublishCall, type RuleSpec } from '../src/sdk/index.ts';
import { SupervisionService, SupervisionStore, nodeFeed, type Feed } from '../src/supervision/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const RULE: RuleSpec = {
  id: 'notary-burst', title: 'More than two records an hour', severity: 'medium', scope: { chains: ['notary'] }, kind: 'window',
  when: 'tx.module == "notary" && ok', by: 'tx.from', over: '2', windowMs: 3_600_000,
};
const SECRET = 'a-webhook-secret-of-some-length';

interface Hook {
  server: Server;
  url: string;
  /** Alert ids delivered with a valid signature (a 2xx answer), in order. */
  delivered: string[];
  /** Requests answered 500 on purpose. */
  failed: number;
}

/** A webhook receiver that refuses the first `failFirst` requests, and any with a bad signature. */
async function hookServer(failFirst: number): Promise<Hook> {
  const hook: Hook = { server: createServer(), url: '', delivered: [], failed: 0 };
  hook.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const ts = String(req.headers['x-shulian-timestamp']);
      const sig = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
      if (req.headers['x-shulian-signature'] !== sig) {
        res.writeHead(401).end();
        return;
      }
      if (hook.failed < failFirst) {
        hook.failed++;
        res.writeHead(500).end();
        return;
      }
      const id = (JSON.parse(body) as { alert: { id: string } }).alert.id;
      assert.equal(req.headers['x-shulian-alert'], id);
      hook.delivered.push(id);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', r));
  const addr = hook.server.address() as { port: number };
  hook.url = `http://127.0.0.1:${addr.port}/alerts`;
  return hook;
}

test('missed blocks are processed after a restart; each alert is raised and delivered once; webhooks are signed and retried', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  const hook = await hookServer(2);
  const dataDir = join(tmp.dir, 'node');
  const open = (supervision: boolean): Promise<RunningNode> => startNode({
    dataDir, port: 0, log: () => {},
    supervision: supervision ? { webhooks: [{ id: 'soc', url: hook.url, secret: SECRET }], webhookRetry: { firstDelayMs: 50, maxDelayMs: 200 } } : false,
  });
  let node = await open(true);
  try {
    const c = () => new ShulianClient({ baseUrl: node.url });
    const op = readKeystore(join(dataDir, 'node', 'key.json'), readFileSync(join(dataDir, 'node', 'key.pass'), 'utf8').trim());
    const [reg, u1, u2] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
    const put = async (k: KeyPair, i: number) => {
      const client = c();
      const r = await client.waitForTx(await client.send('notary', k, { module: 'notary', method: 'put', args: { hash: i.toString(16).padStart(64, '0') } }));
      assert.equal(r.receipt.status, 'ok');
    };
    await waitFor(async () => ((await (await fetch(`${node.url}/v1/gov`)).json()) as { operator?: string }).operator, 'governance init', 60_000);
    const p = await govPropose(c(), op, { kind: 'register-regulator', regulator: { did: didFromPublicKey(reg.publicKey), name: 'R', chains: ['*'] } });
    await govVote(c(), op, p.id, 'yes');
    const pub = await c().waitForTx(await c().send('gov', reg, supPublishCall(RULE)));
    assert.equal(pub.receipt.status, 'ok', pub.receipt.message ?? '');
    const alertsOf = () => node.supervision!.store.listAlerts({ limit: 50 }).alerts;
    await waitFor(() => node.supervision!.status().rules === 1, 'the rule to load');

    for (let i = 1; i <= 3; i++) await put(u1, i);
    await waitFor(() => alertsOf().length === 1, 'the first alert');
    const first = alertsOf()[0]!;
    assert.equal(first.key, didFromPublicKey(u1.publicKey));
    await waitFor(() => hook.delivered.length === 1, 'the webhook (after two failures)', 30_000);
    assert.equal(hook.failed, 2);
    assert.deepEqual(hook.delivered, [first.id]);

    // Off: u2's burst and one more of u1's are committed while no service runs.
    await node.close();
    node = await open(false);
    for (let i = 10; i <= 12; i++) await put(u2, i);
    await put(u1, 4);
    await node.close();

    // Back on: the missed blocks are processed; u2's burst alerts once, u1's fourth record does not alert again.
    node = await open(true);
    await node.supervision!.settled();
    await waitFor(() => alertsOf().length === 2, 'the alert of the missed blocks');
    await new Promise((r) => setTimeout(r, 300));
    const keys = alertsOf().map((a) => a.key).sort();
    assert.deepEqual(keys, [didFromPublicKey(u1.publicKey), didFromPublicKey(u2.publicKey)].sort());
    await waitFor(() => hook.delivered.length === 2, 'the second webhook', 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; delivered ${JSON.stringify(hook.delivered)}, refused ${hook.failed}, sender ${JSON.stringify(node.supervision!.status().webhooks)}`);
    });
    await node.close();

    // Once more: nothing new, nothing delivered twice.
    node = await open(true);
    await node.supervision!.settled();
    await put(u1, 5);
    await node.supervision!.settled();
    assert.equal(alertsOf().length, 2);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(hook.delivered.length, 2);
    assert.equal(new Set(hook.delivered).size, 2);
    assert.ok(node.supervision!.status().txs > 0);
  } finally {
    await node.close();
    await new Promise<void>((r) => hook.server.close(() => r()));
    tmp.cleanup();
  }
});

test('rules that cannot be read yet hold the blocks back: once read, the blocks are evaluated and alert', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'node');
  const node = await startNode({ dataDir, port: 0, log: () => {}, supervision: false });
  let service: SupervisionService | undefined;
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const op = readKeystore(join(dataDir, 'node', 'key.json'), readFileSync(join(dataDir, 'node', 'key.pass'), 'utf8').trim());
    const [reg, u1] = [generateKeyPair('sm2'), generateKeyPair('sm2')];
    await waitFor(async () => ((await (await fetch(`${node.url}/v1/gov`)).json()) as { operator?: string }).operator, 'governance init', 60_000);
    const p = await govPropose(c, op, { kind: 'register-regulator', regulator: { did: didFromPublicKey(reg.publicKey), name: 'R', chains: ['*'] } });
    await govVote(c, op, p.id, 'yes');
    assert.equal((await c.waitForTx(await c.send('gov', reg, supPublishCall(RULE)))).receipt.status, 'ok');
    for (let i = 1; i <= 3; i++) {
      assert.equal((await c.waitForTx(await c.send('notary', u1, { module: 'notary', method: 'put', args: { hash: (100 + i).toString(16).padStart(64, '0') } }))).receipt.status, 'ok');
    }
    // A feed over the node whose state reads fail until `healthy` (a node that is busy or restarting).
    let healthy = false;
    let refused = 0;
    const real = nodeFeed(node.node);
    const flaky: Feed = {
      chains: () => real.chains(),
      chain: (id) => ({ ...real.chain(id), onBlock: undefined }),
      state: async (chain, key, height) => {
        if (!healthy) {
          refused++;
          throw new Error('503 the node is busy');
        }
        return real.state(chain, key, height);
      },
    };
    const logged: string[] = [];
    service = new SupervisionService({ feed: flaky, store: SupervisionStore.open(join(tmp.dir, 'sup.lmdb')), pollMs: 50, log: (l) => logged.push(l) });
    await service.start();
    await waitFor(() => refused >= 3, 'a few failed attempts to read the rules');
    assert.equal(service.status().chains.notary?.height ?? 0, 0, 'no block may be processed without the rules');
    assert.ok(logged.some((l) => l.includes('could not load the rules (retrying)')), logged.join('\n'));
    healthy = true;
    await waitFor(() => service!.store.listAlerts({ limit: 10 }).alerts.length === 1, 'the alert once the rules are read', 60_000);
    assert.equal(service.store.listAlerts({ limit: 10 }).alerts[0]!.key, didFromPublicKey(u1.publicKey));
  } finally {
    await service?.close();
    service?.store.close();
    await node.close();
    tmp.cleanup();
  }
});
