/**
 * The supervision service and a chain's empty blocks (a tbft chain makes one about every second
 * when idle): they write nothing to the store, the cursor included, until CURSOR_LAG_BLOCKS (256)
 * have passed since the cursor last moved; a block with txs writes at once. After a restart the
 * empty blocks past the stored cursor are processed again, and raise and count nothing.
 * The store is the real one (LMDB); the feed hands the service blocks built here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Block } from '../src/ledger/index.ts';
import { SupervisionService, SupervisionStore, type Feed } from '../src/supervision/index.ts';
import { tempDir } from './helpers/tmp.ts';

const T0 = 1_800_000_000_000;

/** An empty block, or one with a notary put (`withTx`). */
function block(height: number, withTx = false): Block {
  const hash = height.toString(16).padStart(64, '0');
  const txs = withTx ? [{ from: 'did:shulian:a', module: 'notary', method: 'put', args: { hash }, nonce: 1 }] : [];
  const receipts = withTx ? [{ tx: hash, status: 'ok', events: [] }] : [];
  return { header: { chain: 'x', height, time: T0 + height * 1000 }, hash, sig: '', txs, receipts } as unknown as Block;
}

/** A feed of one chain `x` whose blocks the test appends, and a governance chain with no rules. */
function feedOf(blocks: Block[]): Feed {
  return {
    chains: async () => ['gov', 'x'],
    chain: (id) => ({
      id,
      height: async () => (id === 'x' ? blocks.length : 0),
      block: async (h) => (id === 'x' ? blocks[h - 1] : undefined),
      inclusion: async () => undefined,
    }),
    state: async () => null,
  };
}

/** Counts the store transactions the service makes for blocks. */
function counted(store: SupervisionStore): { store: SupervisionStore; writes: () => number } {
  let n = 0;
  const commit = store.commitBlock.bind(store);
  store.commitBlock = (...args: Parameters<SupervisionStore['commitBlock']>) => {
    n++;
    return commit(...args);
  };
  return { store, writes: () => n };
}

test('empty blocks move the stored cursor once every 256 blocks; after a restart they are processed again and add nothing', { timeout: 60_000 }, async () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'sup');
  const blocks: Block[] = [];
  for (let h = 1; h <= 300; h++) blocks.push(block(h));
  try {
    let store = SupervisionStore.open(path);
    let c = counted(store);
    let svc = new SupervisionService({ feed: feedOf(blocks), store: c.store, pollMs: 20, log: () => {} });
    await svc.start();
    await svc.settled();
    assert.equal(svc.status().chains.x?.height, 300);
    assert.equal(c.writes(), 1, 'one store transaction for 300 empty blocks');
    assert.deepEqual(store.cursor('x'), { height: 256, time: T0 + 256_000 });
    await svc.close();
    await store.close();

    // Restarted: from the stored cursor (256), the 44 empty blocks after it again, then new
    // ones; a block with a tx (310) writes at once, and the cursor moves 256 blocks after it.
    store = SupervisionStore.open(path);
    c = counted(store);
    for (let h = 301; h <= 570; h++) blocks.push(block(h, h === 310));
    svc = new SupervisionService({ feed: feedOf(blocks), store: c.store, pollMs: 20, log: () => {} });
    await svc.start();
    await svc.settled();
    assert.equal(svc.status().chains.x?.height, 570);
    assert.equal(c.writes(), 2, 'the block with a tx, then the empty block 256 after it');
    assert.deepEqual(store.cursor('x'), { height: 566, time: T0 + 566_000 });
    assert.equal(svc.status().txs, 1);
    assert.equal(svc.status().alerts, 0);
    await svc.close();
    await store.close();
  } finally {
    tmp.cleanup();
  }
});
