/**
 * An atomic transaction on a running alliance, through the CLI and the API: a real `shulian up`
 * node (no gateway of its own) and independent gateway processes. alice pays bob on the signing
 * chain, bob endorses a bill of lading to alice on the notarisation chain; the data chain
 * coordinates. bob consents with `shulian xtx consent`, alice begins with `shulian xtx begin`;
 * the first gateway is killed (SIGKILL) as soon as a participant holds its lock, and a second
 * gateway, knowing nothing of the first, finishes: both committed, nothing twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, writeKeystore } from '../src/crypto/index.ts';
import { ShulianClient } from '../src/sdk/index.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const PASSWORD = 'xtx-e2e-password';

function startGateway(api: string, keyFile: string, chains: string): { out: () => string; kill9: () => Promise<void>; stop: () => Promise<void> } {
  const proc: ChildProcess = spawn(process.execPath, [cliPath, 'gateway', '--api', api, '--key', keyFile, '--password-env', 'PW', '--chains', chains], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PW: PASSWORD },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<void>((r) => proc.on('exit', () => { exited = true; r(); }));
  return {
    out: () => out,
    kill9: async () => { if (!exited) proc.kill('SIGKILL'); await exit; },
    stop: async () => { if (!exited) proc.kill('SIGTERM'); await exit; },
  };
}

/** Runs the CLI to completion; resolves with its exit code and output. */
function cli(args: string[], api?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cliPath, ...args, ...(api ? ['--api', api] : [])], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PW: PASSWORD } });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('an atomic payment + bill-of-lading endorsement across chains, begun by CLI, survives a gateway killed mid-transaction', async (t) => {
  const tmp = tempDir('xtx-e2e-');
  t.after(tmp.cleanup);
  const [gw1, gw2, alice, bob] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
  const file = (n: string) => join(tmp.dir, `${n}.json`);
  for (const [n, k] of [['gw1', gw1], ['gw2', gw2], ['alice', alice], ['bob', bob]] as const) await writeKeystore(file(n), k, PASSWORD);
  const reg = (k: typeof gw1) => `${didFromPublicKey(k.publicKey)}=${toHex(k.publicKey)}`;
  const node = await startNodeProcess(join(tmp.dir, 'node'), undefined, ['--no-gateway', '--extra-gateway', reg(gw1), reg(gw2)]);
  t.after(() => node.stop());
  const c = new ShulianClient({ baseUrl: node.url });
  const aliceDid = didFromPublicKey(alice.publicKey);
  const bobDid = didFromPublicKey(bob.publicKey);
  const ok = async (chain: string, key: typeof alice, module: string, method: string, args: Record<string, unknown>) => {
    const tx = await c.waitForTx(await c.send(chain, key, { module, method, args: args as never }));
    assert.equal(tx.receipt.status, 'ok', `${module}.${method}: ${tx.receipt.message}`);
    return tx.receipt.result;
  };
  await ok('sign', alice, 'xtransfer', 'issue', { denom: 'CNY-T' });
  await ok('sign', alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount: '1000' });
  await ok('notary', bob, 'xdoc', 'issue', { id: 'BL-9', kind: 'bill-of-lading', hash: toHex(sm3(new TextEncoder().encode('B/L 9'))), holder: bobDid });

  const g1 = startGateway(node.url, file('gw1'), 'data,sign,notary');
  t.after(() => g1.stop());
  await waitFor(async () => {
    for (const [x, y] of [['data', 'sign'], ['data', 'notary'], ['sign', 'data'], ['notary', 'data']]) if ((await c.state(x!, `xchain/route/${y}`)).value === null) return false;
    return true;
  }, 'routes synced', 60_000).catch((err: Error) => { throw new Error(`${err.message}\n${g1.out()}`); });

  // The deal, agreed off chain: its body and digest.
  const participants = [
    { chain: 'sign', ops: [{ kind: 'transfer', denom: 'CNY-T', amount: '500', from: aliceDid, to: bobDid }] },
    { chain: 'notary', ops: [{ kind: 'endorse', id: 'notary:BL-9', from: bobDid, to: aliceDid }] },
  ];
  writeFileSync(file('deal'), JSON.stringify(participants));
  const deadline = String(Date.now() + 120_000);
  const body = ['--id', 'T1', '--participants', `@${file('deal')}`, '--deadline', deadline];
  const dg = await cli(['xtx', 'digest', '--coordinator', 'data', ...body, '--json']);
  assert.equal(dg.code, 0, dg.stderr);
  const { digest } = JSON.parse(dg.stdout) as { digest: string };
  assert.match(digest, /^[0-9a-f]{64}$/);
  // bob (owner of the notary op) consents on his chain; alice (owner of the sign op) begins.
  const cs = await cli(['xtx', 'consent', '--chain', 'notary', '--coordinator', 'data', '--id', 'T1', '--digest', digest, '--key', file('bob'), '--password-env', 'PW'], node.url);
  assert.equal(cs.code, 0, cs.stderr);
  const bg = await cli(['xtx', 'begin', '--chain', 'data', ...body, '--key', file('alice'), '--password-env', 'PW', '--json'], node.url);
  assert.equal(bg.code, 0, bg.stderr);
  assert.equal((JSON.parse(bg.stdout) as { digest: string }).digest, digest);

  // The first gateway dies as soon as one participant holds its lock.
  await waitFor(async () => (await c.state('sign', 'xlock/tx/data/T1')).value !== null || (await c.state('notary', 'xlock/tx/data/T1')).value !== null, 'a prepare delivered', 60_000)
    .catch((err: Error) => { throw new Error(`${err.message}\n${g1.out()}`); });
  await g1.kill9();
  const g2 = startGateway(node.url, file('gw2'), 'data,sign,notary');
  t.after(() => g2.stop());
  const view = await waitFor(async () => {
    const v = await c.getJson<{ status: string; atomicity: string; participants: Array<{ chain: string; vote: string; local: { state: string } | null }> }>('/xtx/data/T1');
    return v.status === 'committed' || v.status === 'aborted' ? v : undefined;
  }, 'the transaction to complete', 90_000).catch((err: Error) => { throw new Error(`${err.message}\n${g2.out()}`); });
  assert.equal(view.status, 'committed');
  assert.equal(view.atomicity, 'all-committed');
  assert.deepEqual(view.participants.map((p) => [p.chain, p.vote, p.local?.state]), [['sign', 'yes', 'committed'], ['notary', 'yes', 'committed']]);
  assert.equal((await c.state('sign', `xtransfer/bal/${bobDid}/CNY-T`)).value, '500');
  assert.equal((await c.state('sign', `xtransfer/bal/${aliceDid}/CNY-T`)).value, '500');
  const doc = (await c.state('notary', 'xdoc/doc/notary:BL-9')).value as { holder: string; lock?: string };
  assert.equal(doc.holder, aliceDid);
  assert.equal(doc.lock, undefined);

  // The CLI and the list route show the same.
  const st = await cli(['xtx', 'status', 'data/T1'], node.url);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /data\/T1: committed — decision commit/);
  assert.match(st.stdout, /notary\s+vote yes\s+confirmed committed; here committed \[endorse:committed\]/);
  const { transactions } = await c.getJson<{ transactions: Array<{ id: string; status: string }> }>('/xtx?chain=data');
  assert.deepEqual(transactions.map((x) => [x.id, x.status]), [['T1', 'committed']]);
  // Bad input gets a clear error.
  assert.equal((await fetch(`${node.url}/v1/xtx/data/nope`)).status, 404);
  assert.equal((await fetch(`${node.url}/v1/xtx?chain=gov`)).status, 404);
  // Any path or query from outside: a 4xx with an error body, never a fault.
  const fc = (await import('fast-check')).default;
  await fc.assert(fc.asyncProperty(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), fc.string({ maxLength: 12 }), async (chain, id, limit) => {
    for (const url of [`${node.url}/v1/xtx/${encodeURIComponent(chain)}/${encodeURIComponent(id)}`, `${node.url}/v1/xtx?chain=${encodeURIComponent(chain)}&limit=${encodeURIComponent(limit)}`]) {
      const r = await fetch(url);
      assert.ok(r.status < 500, `${url}: ${r.status}`);
      if (r.status >= 400) assert.equal(typeof ((await r.json()) as { error?: { code?: string } }).error?.code, 'string');
      else await r.arrayBuffer();
    }
  }), { numRuns: 60 });
  const bad = await cli(['xtx', 'status', 'not-a-ref'], node.url);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /<coordinator chain>\/<id>/);
});
