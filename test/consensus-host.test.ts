import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { generateKeyPair, sm3 } from '../src/crypto/index.ts';
import { AdmissionPool, Chain, type BlockCandidate } from '../src/chain/index.ts';
import { SoloConsensus, type ConsensusHost } from '../src/consensus/index.ts';
import { signTx, type Block } from '../src/ledger/index.ts';
import { builtinModules } from '../src/modules/index.ts';
import { testGenesis } from './helpers/chain.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const NOW = 1_700_000_100_000;

// Whether a block may be empty is the engine's rule, not the chain's (issue #14 item 7): tbft
// makes empty blocks so that heights keep moving, solo never does.
test('an empty block is refused unless the engine allows empty blocks, whatever the chain\'s genesis names', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  const pool = new AdmissionPool({ threads: 1 });
  const a = await Chain.open({ genesis: testGenesis('sm2', validator), dir: join(tmp.dir, 'a'), modules: builtinModules, admission: pool, validatorKey: validator });
  const b = await Chain.open({ genesis: testGenesis('sm2', validator), dir: join(tmp.dir, 'b'), modules: builtinModules, admission: pool });
  try {
    assert.equal(await a.proposeBlock(NOW), null, 'nothing to propose without allowEmpty');
    const empty = (await a.proposeBlock(NOW, { allowEmpty: true }))!;
    assert.equal(empty.block.txs.length, 0);
    await assert.rejects(b.validateBlock(structuredClone(empty.block), NOW), (e: { code: string; message: string }) => e.code === 'BLOCK_INVALID' && /no transactions/.test(e.message));
    assert.equal(b.height(), 0, 'a refused block changes nothing');
    const checked = await b.validateBlock(structuredClone(empty.block), NOW, { allowEmpty: true });
    await b.commitCandidate(checked);
    await a.commitCandidate(empty);
    assert.equal(b.height(), 1);
    assert.equal(b.getBlock(1)!.hash, a.getBlock(1)!.hash);
  } finally {
    await a.close();
    await b.close();
    await pool.close();
    tmp.cleanup();
  }
});

test('solo drives its chain through ConsensusHost only: each block it commits is one it proposed, never an empty one', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  const pool = new AdmissionPool({ threads: 1 });
  const chain = await Chain.open({ genesis: testGenesis('sm2', validator), dir: join(tmp.dir, 'c'), modules: builtinModules, admission: pool, validatorKey: validator });
  const proposed: string[] = [];
  const committed: Block[] = [];
  // The engine sees the chain through the interface alone; this wrapper records what it asks.
  const host: ConsensusHost<BlockCandidate> = {
    id: chain.id, suite: chain.suite,
    height: () => chain.height(),
    getBlock: (h) => chain.getBlock(h),
    getCommit: (h) => chain.getCommit(h),
    validatorsAt: (h) => chain.validatorsAt(h),
    hasPendingTxs: () => chain.hasPendingTxs(),
    onTxs: (listener) => chain.onTxs(listener),
    proposeBlock: async (now, opts) => {
      const c = await chain.proposeBlock(now, opts);
      if (c) proposed.push(c.block.hash);
      return c;
    },
    validateBlock: (block, now, opts) => chain.validateBlock(block, now, opts),
    commitCandidate: async (c, commit) => {
      const block = await chain.commitCandidate(c, commit);
      committed.push(block);
      return block;
    },
  };
  let time = NOW;
  const solo = new SoloConsensus(host, { idleMs: 50, clock: () => (time += 1000) });
  solo.start();
  try {
    const alice = generateKeyPair('sm2');
    const txs = [0, 1, 2].map((n) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: toHex(sm3(Buffer.from(`doc ${n}`))) }, nonce: n, expires: 50 }).tx);
    const results = await chain.submit(txs);
    assert.ok(results.every((r) => r.accepted));
    await waitFor(() => chain.nonces(txs[0]!.from).nonce === 3, 'solo to commit the three txs', 60_000);
    await solo.stop();
    assert.ok(committed.length >= 1);
    assert.deepEqual(committed.map((b) => b.hash), proposed, 'every proposed block was committed, in order, and nothing else');
    assert.ok(committed.every((b) => b.txs.length > 0), 'solo commits no empty block');
    assert.equal(committed.reduce((n, b) => n + b.txs.length, 0), 3);
  } finally {
    await solo.stop();
    await chain.close();
    await pool.close();
    tmp.cleanup();
  }
});
