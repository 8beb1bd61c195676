import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '../src/crypto/index.ts';
import { signTx } from '../src/ledger/index.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

// `shulian backup` while the node runs and `shulian restore` into a new data directory
// (issue #21 item 4), through the binary on a real node.

const cli = (...args: string[]) => spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });

async function put(url: string, nonce: number, key = generateKeyPair('sm2')): Promise<string> {
  const { tx, hash } = signTx(key, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (nonce + 1).toString(16).padStart(64, 'e') }, nonce, expires: 1000 });
  const res = await fetch(`${url}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) });
  assert.equal(res.status, 202, await res.text());
  await waitFor(async () => ((await (await fetch(`${url}/v1/txs/${hash}`)).json()) as { status: string }).status === 'committed', `tx ${hash} committed`, 60_000);
  return hash;
}

test('a backup taken while the node runs restores into a node that serves what was committed before it, and refuses what is not a backup or not empty', async () => {
  const tmp = tempDir();
  const data = join(tmp.dir, 'data');
  const backup = join(tmp.dir, 'backup');
  const restored = join(tmp.dir, 'restored');
  let node = await startNodeProcess(data);
  try {
    const key = generateKeyPair('sm2');
    const before = await put(node.url, 0, key);
    const b = cli('backup', '--data-dir', data, '--out', backup, '--json');
    assert.equal(b.status, 0, b.stderr);
    const out = JSON.parse(b.stdout) as { chains: Record<string, { height: number }> };
    assert.ok(out.chains.notary!.height >= 1);
    // Written after the backup: not in it.
    const afterTx = await put(node.url, 1, key);
    await node.stop();
    assert.ok(!existsSync(join(backup, 'chains', 'notary', 'consensus.wal')) && !existsSync(join(backup, 'node.lock')));
    assert.equal(statSync(join(backup, 'node')).mode & 0o777, 0o700);

    // Refusals change nothing: into a folder that holds files; from a folder that is no backup; an altered backup.
    writeFileSync(join(tmp.dir, 'occupied'), 'x');
    const busy = cli('restore', '--from', backup, '--data-dir', tmp.dir);
    assert.notEqual(busy.status, 0);
    assert.match(busy.stderr, /BACKUP_TARGET_NOT_EMPTY|exists and is not empty/);
    const none = cli('restore', '--from', join(tmp.dir, 'nothing'), '--data-dir', restored);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /is not a Shulian backup/);
    assert.ok(!existsSync(restored));
    const manifestPath = join(backup, 'backup.json');
    const manifest = readFileSync(manifestPath, 'utf8');
    const m = JSON.parse(manifest) as { chains: Record<string, { height: number }> };
    m.chains.notary!.height += 1;
    writeFileSync(manifestPath, JSON.stringify(m));
    const altered = cli('restore', '--from', backup, '--data-dir', restored);
    assert.notEqual(altered.status, 0);
    assert.match(altered.stderr, /chain notary in the backup is at height \d+ .*the backup was altered/);
    assert.ok(!existsSync(restored));
    writeFileSync(manifestPath, manifest);

    const r = cli('restore', '--from', backup, '--data-dir', restored);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(join(restored, 'node')).mode & 0o777, 0o700);
    node = await startNodeProcess(restored);
    const got = (await (await fetch(`${node.url}/v1/txs/${before}`)).json()) as { status: string };
    assert.equal(got.status, 'committed');
    assert.equal((await fetch(`${node.url}/v1/txs/${afterTx}`)).status, 404, 'a tx committed after the backup is not in it');
    // The restored node carries on.
    await put(node.url, 0);
    assert.ok(readdirSync(join(restored, 'chains')).includes('notary'));
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});
