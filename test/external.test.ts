/**
 * External chains on a node (issue #9 item 4): a real ganache node started in this process runs
 * XEndpoint with one packet sent; a real `shulian up` process follows it (and a dead RPC and a
 * node that accepts connections but never answers) through `<dataDir>/external-chains.json`, and
 * serves them under /v1/external-chains; `shulian chain list|status` show them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import ganache from 'ganache';
import { EvmEndpoint } from '../src/crosschain/evm/index.ts';
import { ExternalChains, parseExternalChains } from '../src/node/index.ts';
import { cliPath, freePort, repoRoot, startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { solidityArtefact } from './helpers/solidity.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const art = solidityArtefact('XEndpoint');
let server: ReturnType<typeof ganache.server>;
let url: string;
let endpoint: string;
let keys: string[];
let addrs: string[];
/** Accepts TCP connections and never answers: an RPC that hangs. */
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();
let deadUrl: string;

before(async () => {
  server = ganache.server({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'shanghai' }, wallet: { deterministic: true, totalAccounts: 3 } } as never);
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const accounts = server.provider.getInitialAccounts();
  addrs = Object.keys(accounts).map((a) => a.toLowerCase());
  keys = Object.keys(accounts).map((a) => accounts[a]!.secretKey);
  endpoint = await EvmEndpoint.deploy({ url, privateKey: keys[0]!, bytecode: art.bytecode, chainName: 'eth-dev', gateways: addrs.slice(1, 3), threshold: 2 });
  const user = new EvmEndpoint({ id: 'eth-dev', url, address: endpoint, privateKey: keys[0]! });
  assert.equal((await user.issue('USD-T')).status, 'ok');
  assert.equal((await user.mint('USD-T', addrs[0]!, 500n)).status, 'ok');
  const sent = await user.send('alpha', 'USD-T', 200n, 'did:shulian:3Qv8zJ2Bq5xHkXkqVfG7Jp1NsTz', { timeMs: Date.now() + 600_000 });
  assert.equal(sent.status, 'ok', String(sent.error));
  await user.close();
  silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  deadUrl = `http://127.0.0.1:${await freePort()}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent?.close(() => resolve()));
  await server?.close();
});

test('external-chains.json is checked field by field, with clear errors', () => {
  const ok = { id: 'eth-dev', engine: 'evm', rpc: 'http://127.0.0.1:8545' };
  assert.equal(parseExternalChains([ok]).length, 1);
  const bad: Array<[unknown, RegExp]> = [
    [{ ...ok, engine: 'fabric' }, /0\.engine: engine must be "evm"/],
    [{ ...ok, rpc: 'ftp://x' }, /0\.rpc: an http:\/\/ or https:\/\/ JSON-RPC URL/],
    [{ ...ok, id: 'Eth' }, /0\.id: a chain id/],
    [{ ...ok, endpoint: '0x12' }, /0\.endpoint: the XEndpoint contract address/],
    [{ ...ok, extra: 1 }, /0: .*extra/i],
  ];
  for (const [entry, re] of bad) assert.throws(() => parseExternalChains([entry]), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && re.test(e.message), JSON.stringify(entry));
  assert.throws(() => parseExternalChains([ok, ok]), /1\.id: chain id "eth-dev" is listed twice/);
  assert.throws(() => parseExternalChains({}), /CONFIG_INVALID|expected array/);
  // Anything else from the file: a checked list, or CONFIG_INVALID naming where — never another error.
  fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.record({ id: fc.string(), engine: fc.constantFrom('evm', 'fabric', ''), rpc: fc.string() }, { requiredKeys: [] }))), (raw) => {
    try {
      const list = parseExternalChains(raw);
      assert.ok(list.every((c) => c.engine === 'evm' && /^https?:\/\//.test(c.rpc)));
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'CONFIG_INVALID', String(err));
      assert.match((err as Error).message, /^external-chains\.json: /);
    }
  }), { numRuns: 300 });
});

test('the registry caches summaries; a dead or silent RPC is reported, never waited on by readers', async () => {
  // An RPC node the test holds: it takes the registry's requests and answers none until the test hangs up on them.
  const held = new Set<Socket>();
  let asked = 0;
  const holder = createServer((s) => {
    held.add(s);
    s.on('data', () => asked++);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const heldUrl = `http://127.0.0.1:${(holder.address() as { port: number }).port}`;
  // A timeout far beyond any test: what is asserted is the order of events, never how long they took.
  const ext = new ExternalChains([
    { id: 'eth-dev', engine: 'evm', rpc: url, endpoint },
    { id: 'dead', engine: 'evm', rpc: deadUrl },
    { id: 'silent', engine: 'evm', rpc: heldUrl, chainId: 5 },
  ], { refreshMs: 100, timeoutMs: 600_000 });
  try {
    // Before any refresh, readers get the configured entries at once.
    assert.deepEqual(ext.list().map((c) => [c.id, c.reachable, c.height]), [['eth-dev', false, -1], ['dead', false, -1], ['silent', false, -1]]);
    let refreshed = false;
    const refresh = ext.refreshAll().then(() => {
      refreshed = true;
    });
    // The live chain is refreshed and the dead one reported while the silent node still holds the registry's request.
    await waitFor(() => asked > 0 && ext.get('eth-dev')!.reachable && ext.get('dead')!.error !== undefined, 'the live and dead chains refreshed, the silent one asked');
    const [live, dead, hung] = ext.list();
    assert.equal(refreshed, false, 'the refresh still waits on the silent node');
    assert.equal(live!.reachable, true, String(live!.error));
    assert.equal(live!.chainId, 1337);
    assert.ok(live!.height >= 4, `height ${live!.height}`);
    assert.equal(live!.latestBlocks[0]!.height, live!.height);
    assert.equal(live!.finality!.final, live!.height);
    assert.equal(dead!.reachable, false);
    assert.match(dead!.error!, /ECONNREFUSED|fetch failed/);
    // The reader was answered, from the cache, before the silent node answered anything.
    assert.deepEqual([hung!.reachable, hung!.height, hung!.error], [false, -1, undefined]);
    assert.equal(held.size > 0, true, 'the silent node still holds the request');
    // It hangs up: the refresh ends, and the chain is reported unreachable with the reason.
    for (const s of held) s.destroy();
    await refresh;
    const after = ext.get('silent')!;
    assert.equal(after.reachable, false);
    assert.equal(typeof after.error, 'string');
    assert.ok(after.checkedAt > 0);
    ext.start();
    // The XEndpoint's PacketSent is followed into a message view like /v1/xchain/messages items.
    const msgs = await waitFor(() => { const m = ext.messages('eth-dev', 10); return m?.length ? m : undefined; }, 'the endpoint packet');
    assert.equal(msgs[0]!.id, 'eth-dev/alpha/1');
    assert.equal(msgs[0]!.status, 'sent');
    assert.deepEqual(msgs[0]!.packet.payload, { denom: 'USD-T', amount: '200', sender: addrs[0], receiver: 'did:shulian:3Qv8zJ2Bq5xHkXkqVfG7Jp1NsTz' });
    assert.equal(msgs[0]!.path[0]!.step, 'sent');
    assert.ok(msgs[0]!.path[0]!.time > 0);
    assert.equal(ext.messages('dead', 10), undefined, 'no endpoint configured');
    // The background loop asks the silent node again; closing the registry does not wait for an
    // answer (the test hangs up on the held request only after close has returned).
    await waitFor(() => held.size > 0, 'the loop asking the silent node again');
    await ext.close();
  } finally {
    await ext.close();
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
  // A node that never answers is reported as such once the timeout passes: it never answers, so
  // the outcome does not depend on how fast anything runs.
  const quiet = new ExternalChains([{ id: 'silent', engine: 'evm', rpc: silentUrl, chainId: 5 }], { timeoutMs: 20 });
  try {
    await quiet.refreshAll();
    assert.equal(quiet.get('silent')!.reachable, false);
    assert.match(quiet.get('silent')!.error!, /^no answer from its node within 20 ms$/);
  } finally {
    await quiet.close();
  }
});

interface Run { code: number | null; stdout: string; stderr: string }
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...process.env, SHULIAN_API: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a node process serves external chains; chain list and status show them; other routes are unaffected', async (t) => {
  const tmp = tempDir('external-');
  const dataDir = join(tmp.dir, 'node');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'external-chains.json'), JSON.stringify([
    { id: 'eth-dev', engine: 'evm', rpc: url, endpoint, name: 'Ethereum dev', nameZh: '以太坊开发链' },
    { id: 'eth-down', engine: 'evm', rpc: silentUrl, chainId: 7 },
  ]));
  let node: NodeProcess | undefined;
  t.after(async () => {
    await node?.stop();
    tmp.cleanup();
  });
  node = await startNodeProcess(dataDir);
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${node!.url}/v1${path}`);
    return { status: r.status, body: await r.json() as T };
  };
  type Info = { id: string; engine: string; reachable: boolean; height: number; error?: string; chainId?: number; latestBlocks: Array<{ height: number }> };
  const live = await waitFor(async () => {
    const { body } = await get<{ chains: Info[] }>('/external-chains');
    const c = body.chains.find((x) => x.id === 'eth-dev');
    return c?.reachable && c.height > 0 ? c : undefined;
  }, 'eth-dev reachable');
  assert.equal(live.engine, 'evm');
  assert.equal(live.chainId, 1337);
  const down = await waitFor(async () => {
    const c = (await get<Info>('/external-chains/eth-down')).body;
    return c.error ? c : undefined;
  }, 'eth-down reported');
  assert.equal(down.reachable, false);
  assert.match(down.error!, /no answer/);
  // The hung RPC does not hold up the node's own routes.
  assert.equal((await get<{ status: string }>('/health')).body.status, 'ok');
  assert.equal((await get<unknown>('/external-chains/eth-down/blocks')).status, 503);
  const blocks = await get<{ blocks: Array<{ height: number; hash: string }> }>('/external-chains/eth-dev/blocks?limit=2');
  assert.equal(blocks.status, 200);
  assert.equal(blocks.body.blocks.length, 2);
  assert.equal(blocks.body.blocks[0]!.height, blocks.body.blocks[1]!.height + 1);
  const msgs = await waitFor(async () => {
    const { body } = await get<{ messages: Array<{ id: string; status: string }> }>('/external-chains/eth-dev/messages');
    return body.messages.length ? body.messages : undefined;
  }, 'eth-dev messages');
  assert.deepEqual(msgs.map((m) => [m.id, m.status]), [['eth-dev/alpha/1', 'sent']]);
  assert.equal((await get<{ error: { code: string } }>('/external-chains/eth-down/messages')).body.error.code, 'NOT_FOUND');
  const missing = await get<{ error: { code: string; message: string } }>('/external-chains/nope');
  assert.equal(missing.status, 404);
  assert.match(missing.body.error.message, /no external chain "nope"/);
  assert.equal((await get<unknown>('/external-chains/BAD!')).status, 400);

  // CLI: native chains first, then the external ones marked with their engine.
  const list = await cli(['chain', 'list', '--api', node.url]);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  const ethLine = lines.findIndex((l) => l.startsWith('eth-dev'));
  assert.ok(ethLine > lines.findIndex((l) => l.startsWith('gov')), list.stdout);
  assert.match(lines[ethLine]!, /Ethereum dev \(以太坊开发链\)\s+external:evm/);
  assert.match(lines.find((l) => l.startsWith('eth-down')) ?? '', /unreachable/);
  const json = JSON.parse((await cli(['chain', 'list', '--json', '--api', node.url])).stdout) as { chains: Array<{ id: string }>; external: Info[] };
  assert.ok(json.chains.some((c) => c.id === 'gov'));
  assert.deepEqual(json.external.map((c) => [c.id, c.engine]), [['eth-dev', 'evm'], ['eth-down', 'evm']]);
  const status = await cli(['chain', 'status', 'eth-dev', '--api', node.url]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /eth-dev \(external, engine evm, chain id 1337\)/);
  assert.match(status.stdout, /reachable\s+yes/);
  const statusJson = JSON.parse((await cli(['chain', 'status', 'eth-dev', '--json', '--api', node.url])).stdout) as Info;
  assert.ok(statusJson.height > 0);
  const unknown = await cli(['chain', 'status', 'nope', '--api', node.url]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /no chain "nope"/);
});

test('a bad external-chains.json stops the node with the file, entry and field named', async (t) => {
  const tmp = tempDir('external-bad-');
  t.after(() => tmp.cleanup());
  const { mkdirSync } = await import('node:fs');
  mkdirSync(tmp.dir, { recursive: true });
  writeFileSync(join(tmp.dir, 'external-chains.json'), JSON.stringify([{ id: 'x', engine: 'fabric', rpc: url }]));
  const r = await cli(['up', '--data-dir', tmp.dir, '--port', String(await freePort())]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /external-chains\.json: 0\.engine: engine must be "evm"/);
});
