import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { ShulianError } from '../src/codec/index.ts';
import { generateKeyPair } from '../src/crypto/index.ts';
import { signTx } from '../src/ledger/index.ts';
import { ChainStore, STORE_FORMAT } from '../src/ledger/store/index.ts';
import { cliPath, freePort, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

// Store format versions and migration (issue #21 item 5). The fixture is a whole `shulian up`
// data directory written by the release before format versions existed (commit f6788e1, see
// test/fixtures/store-v0/README.md): a solo alliance with one notary put committed at height 2.

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'store-v0', 'data.tar.gz');
const FIXTURE_TX = '7a963be096370c44eaf901dad2efcf9cae89d4047b5fe4644c492c3671bee761';
const CHAINS = ['data', 'gov', 'identity', 'notary', 'settle', 'sign', 'xroute'];

function unpack(dir: string): string {
  const r = spawnSync('tar', ['xzf', FIXTURE, '-C', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return join(dir, 'data');
}

/** The raw 'format' stamp of a chain store, read with lmdb itself (not through ChainStore). */
async function rawFormat(dir: string): Promise<unknown> {
  const root = open({ path: dir, maxDbs: 16, readOnly: true });
  try {
    return root.openDB({ name: 'meta' }).get('format');
  } finally {
    await root.close();
  }
}

async function stamp(dir: string, format: unknown): Promise<void> {
  const root = open({ path: dir, maxDbs: 16 });
  await root.openDB({ name: 'meta' }).put('format', format);
  await root.close();
}

test('a store of the previous release (no format stamp) is migrated on open: stamped, every block still there', async () => {
  const tmp = tempDir();
  try {
    const dir = join(unpack(tmp.dir), 'chains', 'notary');
    assert.equal(await rawFormat(dir), undefined, 'the fixture predates format versions');
    const store = new ChainStore(dir);
    try {
      assert.equal(store.format(), STORE_FORMAT);
      assert.equal(store.head()!.height >= 2, true);
      const loc = store.txLocation(FIXTURE_TX);
      assert.deepEqual(loc, { height: 2, index: 0 });
      assert.equal(store.getTxAt(loc!)!.receipt.status, 'ok');
    } finally {
      await store.close();
    }
    assert.equal(await rawFormat(dir), STORE_FORMAT);
  } finally {
    tmp.cleanup();
  }
});

test('a new store is stamped with the current format at once', async () => {
  const tmp = tempDir();
  try {
    const store = new ChainStore(join(tmp.dir, 'new'));
    assert.equal(store.format(), STORE_FORMAT);
    await store.close();
    assert.equal(await rawFormat(join(tmp.dir, 'new')), STORE_FORMAT);
  } finally {
    tmp.cleanup();
  }
});

test('a store from a newer release, or with a stamp no release writes, is refused with what to do, and left unchanged', async () => {
  const tmp = tempDir();
  try {
    const dir = join(unpack(tmp.dir), 'chains', 'notary');
    for (const [bad, code, says] of [[STORE_FORMAT + 1, 'STORE_FORMAT_NEWER', /newer Shulian release.*reads formats 0 to 1.*docs\/operations\.md#upgrades/s], ['x', 'STORE_FORMAT_INVALID', /damaged.*restore the data directory/]] as const) {
      await stamp(dir, bad);
      const before = readFileSync(join(dir, 'data.mdb'));
      assert.throws(() => new ChainStore(dir), (e: unknown) => e instanceof ShulianError && e.code === code && says.test(e.message));
      assert.ok(readFileSync(join(dir, 'data.mdb')).equals(before), `${code}: the store changed`);
      assert.equal(await rawFormat(dir), bad);
    }
  } finally {
    tmp.cleanup();
  }
});

test('shulian up on the previous release\'s data directory migrates every chain and serves the old tx; on a newer one it refuses to start', async () => {
  const tmp = tempDir();
  try {
    const data = unpack(tmp.dir);
    const node = await startNodeProcess(data);
    try {
      const tx = (await (await fetch(`${node.url}/v1/txs/${FIXTURE_TX}`)).json()) as { status: string; height: number };
      assert.deepEqual([tx.status, tx.height], ['committed', 2]);
      // It goes on committing on top of the migrated store.
      const { tx: put, hash } = signTx(generateKeyPair('sm2'), { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) }, nonce: 0, expires: 1000 });
      const res = await fetch(`${node.url}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(put) });
      assert.equal(res.status, 202, await res.text());
      const after = await waitFor(async () => {
        const t = (await (await fetch(`${node.url}/v1/txs/${hash}`)).json()) as { status: string; height: number };
        return t.status === 'committed' ? t : undefined;
      }, 'a new tx committed on the migrated store', 60_000);
      assert.ok(after.height > 2);
    } finally {
      assert.equal(await node.stop(), 0, node.output());
    }
    for (const c of CHAINS) assert.equal(await rawFormat(join(data, 'chains', c)), STORE_FORMAT, `chain ${c} not migrated`);

    await stamp(join(data, 'chains', 'notary'), STORE_FORMAT + 1);
    const r = spawnSync(process.execPath, [cliPath, 'up', '--data-dir', data, '--port', String(await freePort())], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /format 2, written by a newer Shulian release/);
  } finally {
    tmp.cleanup();
  }
});
