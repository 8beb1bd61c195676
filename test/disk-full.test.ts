/**
 * A disk that fills (issue #21 item 3): a chain store on a small tmpfs. With the reserve
 * (`minFreeBytes`), submissions and blocks are refused with STORE_DISK_FULL before anything is
 * written; without it, LMDB meets ENOSPC in the middle of a block's writes and the block fails
 * whole (STORE_DISK_FULL), the head staying where it was. Either way the store is intact — its
 * state rebuilds its head's root after a reopen — and the chain carries on once space returns.
 * Skipped, saying why, where a tmpfs cannot be mounted (not root, no mount namespace rights).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { signTx, type Tx } from '../src/ledger/index.ts';
import { ChainStore, buildState } from '../src/ledger/store/index.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { tempDir } from './helpers/tmp.ts';

const MiB = 1024 * 1024;
const tmp = tempDir('shulian-diskfull-');
const mnt = join(tmp.dir, 'mnt');
mkdirSync(mnt);

function mountTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
}
const unavailable = mountTmpfs();
if (unavailable) process.stderr.write(`disk-full: skipped: ${unavailable}\n`);
const opts = { skip: unavailable ? `cannot mount a tmpfs: ${unavailable}` : false } as const;

const free = (): number => {
  const s = statfsSync(mnt);
  return s.bavail * s.bsize;
};
/** Fills the tmpfs with a file until `leave` bytes are free. */
const fill = (name: string, leave: number): void => {
  const n = free() - leave;
  if (n > 0) writeFileSync(join(mnt, name), Buffer.alloc(n));
};

/** Reopens the store and checks that its state rebuilds its head's state root. */
async function intact(dir: string): Promise<number> {
  const store = new ChainStore(dir, { minFreeBytes: 0 });
  try {
    const { head, entries } = await store.stateAtHead();
    assert.equal(buildState('ed25519', entries).root, head.stateRoot, 'the stored state is the state of the stored head');
    return head.height;
  } finally {
    await store.close();
  }
}

describe('a disk that fills', opts, () => {
  const user = generateKeyPair('ed25519');
  let nonce = 0;
  let time = 1_800_000_000_000;
  const txs = (n: number): Tx[] => Array.from({ length: n }, () => signTx(user, {
    chain: 'notary', module: 'notary', method: 'put', args: { hash: toHex(randomBytes(32)), name: 'n'.repeat(200) }, nonce: nonce++, expires: 1_000_000,
  }).tx);

  after(() => {
    // Lazily: a store whose write failed on the full disk lets lmdb close it when it can.
    if (!unavailable) spawnSync('umount', ['-l', mnt]);
    tmp.cleanup();
  });

  it('with a reserve: submissions and blocks are refused before anything is written, and go on once there is room', async () => {
    const dir = join(mnt, 'reserve');
    const t: TestChain = await openTestChain(dir, 'ed25519', {}, undefined, { chain: { minFreeBytes: 2 * MiB } });
    try {
      for (let i = 0; i < 3; i++) {
        assert.ok((await t.chain.submit(txs(20))).every((r) => r.accepted));
        await t.chain.produceBlock((time += 1000));
      }
      // Pending txs, then the disk fills (another program's file).
      const pending = await t.chain.submit(txs(10));
      assert.ok(pending.every((r) => r.accepted));
      const head = t.chain.info();
      fill('other-program', 1 * MiB);
      const more = txs(5);
      await assert.rejects(t.chain.submit(more), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'STORE_DISK_FULL');
        assert.match(err.message, /MiB free, less than the 2\.0 MiB kept in reserve; nothing was written\. Free space/);
        return true;
      });
      nonce -= 5;
      await assert.rejects(t.chain.produceBlock((time += 1000)), { code: 'STORE_DISK_FULL' });
      assert.equal(t.chain.height(), head.height);
      assert.equal(t.chain.info().stateRoot, head.stateRoot);
      for (const r of pending) assert.ok(r.accepted && t.chain.isPending(r.hash), 'the pending txs wait in the mempool');
      // Space comes back: the same chain object goes on.
      rmSync(join(mnt, 'other-program'));
      const block = await t.chain.produceBlock((time += 1000));
      assert.equal(block?.header.height, head.height + 1);
      assert.equal(block?.txs.length, 10);
      assert.ok((await t.chain.submit(txs(5))).every((r) => r.accepted));
      await t.chain.produceBlock((time += 1000));
      assert.equal(t.chain.nonces(didFromPublicKey(user.publicKey)).nonce, nonce);
    } finally {
      await t.close();
    }
    assert.equal(await intact(join(dir, 'chain')), 5);
  });

  it('without a reserve: a block that meets ENOSPC fails whole, the head stays; after a restart with room the store is intact and goes on', async () => {
    const dir = join(mnt, 'none');
    let t: TestChain = await openTestChain(dir, 'ed25519', {}, undefined, { chain: { minFreeBytes: 0 } });
    nonce = 0; // a new chain
    let failedAt = -1;
    try {
      fill('other-program', 1 * MiB);
      for (let i = 0; i < 200 && failedAt < 0; i++) {
        try {
          const rs = await t.chain.submit(txs(50));
          const bad = rs.find((r) => !r.accepted);
          if (bad) throw Object.assign(new Error(JSON.stringify(bad)), { code: (bad as { code: string }).code });
          await t.chain.produceBlock((time += 1000));
        } catch (err) {
          nonce -= 50;
          assert.equal((err as { code?: string }).code, 'STORE_DISK_FULL', (err as Error).message);
          assert.match((err as Error).message, /is full: .* was not written/);
          failedAt = t.chain.height();
        }
      }
      assert.ok(failedAt > 0, 'the disk filled');
      assert.equal(t.chain.height(), failedAt, 'the head did not move');
      rmSync(join(mnt, 'other-program'));
      // This store takes no more writes (lmdb's writer may hold the failed batch); it says so.
      await assert.rejects(t.chain.submit(txs(1)), (err: Error & { code?: string }) => err.code === 'STORE_DISK_FULL' && /takes no more writes until the node is restarted/.test(err.message));
      nonce -= 1;
    } finally {
      await t.close();
    }
    assert.equal(await intact(join(dir, 'chain')), failedAt);
    // Restarted with room: it goes on from the last committed block.
    t = await openTestChain(dir, 'ed25519', {}, undefined, { validator: t.validator, chain: { minFreeBytes: 0 } });
    try {
      assert.equal(t.chain.height(), failedAt);
      nonce = t.chain.nonces(didFromPublicKey(user.publicKey)).pendingNonce;
      assert.ok((await t.chain.submit(txs(5))).every((r) => r.accepted));
      const b = await t.chain.produceBlock((time += 1000));
      assert.equal(b?.header.height, failedAt + 1);
    } finally {
      await t.close();
    }
    assert.equal(await intact(join(dir, 'chain')), failedAt + 1);
  });
});
