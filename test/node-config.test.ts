/**
 * `shulian node --config FILE` (docs/operations.md "A multi-node alliance"): the file's
 * `api.publicUrl` and `api.rateLimits` are checked field by field, and a real node process
 * started from it takes console sign-ins at its public URL and keeps its sign-in budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, didFromPublicKey } from '../src/crypto/index.ts';
import { loadNodeConfig, prepareCluster } from '../src/node/index.ts';
import { cliPath, freePort, repoRoot, track } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const base = { dataDir: '.', alliance: 'alliance.json', api: { host: '127.0.0.1', port: 7070 }, p2p: { port: 8070 } };

test('node config: api.publicUrl and api.rateLimits are read and checked, with the field named', () => {
  const tmp = tempDir();
  try {
    const file = join(tmp.dir, 'node.json');
    const load = (api: Record<string, unknown>) => {
      writeFileSync(file, JSON.stringify({ ...base, api: { ...base.api, ...api } }));
      return loadNodeConfig(file);
    };
    const c = load({ publicUrl: 'https://node-1.example/shulian', rateLimits: { auth: 30, reads: 6000 } });
    assert.equal(c.api.publicUrl, 'https://node-1.example/shulian');
    assert.deepEqual(c.api.rateLimits, { auth: 30, reads: 6000 });
    assert.equal(load({}).api.publicUrl, undefined, 'optional: the listen address is used');
    for (const [api, why] of [
      [{ publicUrl: 'ftp://node.example' }, /api\.publicUrl: public URL ftp:\/\/node\.example must be a plain http\(s\) base URL/],
      [{ publicUrl: 'https://node.example/?x=1' }, /api\.publicUrl: .*plain http\(s\) base URL/],
      [{ publicUrl: 'node.example' }, /api\.publicUrl: public URL "node\.example" is not a URL/],
      [{ rateLimits: { auth: 0 } }, /api\.rateLimits\.auth: /],
      [{ rateLimits: { logins: 5 } }, /api\.rateLimits: .*logins/],
    ] as const) {
      assert.throws(() => load(api), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && e.message.startsWith(`${file}: `) && why.test(e.message), JSON.stringify(api));
    }
  } finally {
    tmp.cleanup();
  }
});

test('a node started with --config takes sign-ins at its public URL and keeps its sign-in budget', async () => {
  const tmp = tempDir();
  const layout = prepareCluster(tmp.dir, 1, await freePort(), await freePort());
  const n = layout.nodes[0]!;
  const config = JSON.parse(readFileSync(n.configPath, 'utf8')) as { api: Record<string, unknown> };
  config.api.publicUrl = 'https://node-1.example';
  config.api.rateLimits = { auth: 3 };
  writeFileSync(n.configPath, JSON.stringify(config));
  const proc = spawn(process.execPath, [cliPath, 'node', '--config', n.configPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  track(proc); // killed with this process if the runner stops the file
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', r));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${n.apiPort}`;
  try {
    await waitFor(async () => {
      if (gone) throw new Error(`the node exited:\n${out}`);
      return fetch(`${url}/v1/health`).then((r) => r.ok, () => false);
    }, 'the node serving', 90_000);
    const did = didFromPublicKey(generateKeyPair('ed25519').publicKey);
    const challenge = async (origin: string) => {
      const r = await fetch(`${url}/v1/auth/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ did, origin }) });
      return { status: r.status, body: (await r.json()) as { challenge?: { origin: string; node: string }; error?: { code: string; message: string } } };
    };
    // The public URL's origin is taken (as with `shulian up --public-url`); a stranger's is refused, naming it.
    const pub = await challenge('https://node-1.example');
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    assert.deepEqual([pub.body.challenge!.origin, pub.body.challenge!.node], ['https://node-1.example', n.did]);
    const other = await challenge('https://elsewhere.example');
    assert.deepEqual([other.status, other.body.error?.code], [400, 'SIGNIN_ORIGIN_REFUSED']);
    assert.match(other.body.error!.message, /takes sign-ins at https:\/\/node-1\.example/);
    // api.rateLimits.auth = 3: the fourth sign-in request from this address waits.
    assert.equal((await challenge(url)).status, 200);
    const over = await challenge('https://node-1.example');
    assert.deepEqual([over.status, over.body.error?.code], [429, 'RATE_LIMITED']);
    assert.match(over.body.error!.message, /at most 3 per minute/);
  } finally {
    if (!gone) proc.kill('SIGTERM');
    await exited;
    tmp.cleanup();
  }
});
