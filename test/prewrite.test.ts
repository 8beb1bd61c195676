import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../src/codec/index.ts';
import { generateKeyPair, hashFor } from '../src/crypto/index.ts';
import { signTx, stateKeyHash, stateValueHash, verifySmtProof } from '../src/ledger/index.ts';
import { recordStateKey } from '../src/modules/notary/keys.ts';
import { openTestChain } from './helpers/chain.ts';
import { tempDir } from './helpers/tmp.ts';

// A proposed or validated block's tree nodes go to LMDB before the block is decided
// (ChainStore.prewriteNodes). Here a candidate that is never committed is prewritten, then
// another block of the same height is; after a reopen every key's proof under the committed
// root comes from the store alone, and the chain goes on.
test('prewritten tree nodes: an uncommitted candidate changes nothing; the committed block\'s tree is whole after a reopen', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2');
  try {
    const alice = generateKeyPair('sm2');
    const put = (n: number) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (0xa0 + n).toString(16).padStart(64, '0') }, nonce: n, expires: 1_000 }).tx;
    assert.ok((await t.chain.submit([0, 1, 2].map(put))).every((r) => r.accepted));
    const loser = (await t.chain.proposeBlock(t.genesis.time + 1_000))!;
    assert.equal(loser.block.txs.length, 3);
    assert.ok((await t.chain.submit([3, 4].map(put))).every((r) => r.accepted));
    const winner = (await t.chain.proposeBlock(t.genesis.time + 2_000))!;
    assert.equal(winner.block.txs.length, 5);
    assert.notEqual(winner.block.header.stateRoot, loser.block.header.stateRoot);
    await t.chain.commitCandidate(winner);
    const chain = await t.reopen();
    assert.equal(chain.height(), 1);
    const H = hashFor('sm2');
    for (let n = 0; n < 5; n++) {
      const key = String(recordStateKey((0xa0 + n).toString(16).padStart(64, '0')));
      const s = chain.getState(key, { proof: true });
      assert.notEqual(s.value, null, key);
      assert.equal(s.stateRoot, winner.block.header.stateRoot);
      assert.ok(verifySmtProof(fromHex(s.stateRoot), stateKeyHash('sm2', key), stateValueHash('sm2', s.value!), s.proof!, H), `proof of ${key} from the reopened store`);
    }
    assert.ok((await chain.submit([5].map(put))).every((r) => r.accepted));
    const next = await chain.produceBlock(t.genesis.time + 3_000);
    assert.equal(next?.header.height, 2);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});
