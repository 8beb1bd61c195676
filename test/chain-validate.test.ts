import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { generateKeyPair, sign, sm3 } from '../src/crypto/index.ts';
import { fromHex, toHex } from '../src/codec/index.ts';
import { AdmissionPool, Chain } from '../src/chain/index.ts';
import { headerHashOf, signTx, type Block } from '../src/ledger/index.ts';
import { builtinModules } from '../src/modules/index.ts';
import { testGenesis } from './helpers/chain.ts';
import { tempDir } from './helpers/tmp.ts';

const NOW = 1_700_000_100_000;

test('a block proposed by one node is validated by re-execution on another, and tampering is caught', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  const genesis = testGenesis('sm2', validator);
  const pool = new AdmissionPool({ threads: 1 });
  const a = await Chain.open({ genesis, dir: join(tmp.dir, 'a'), modules: builtinModules, admission: pool, validatorKey: validator });
  const b = await Chain.open({ genesis, dir: join(tmp.dir, 'b'), modules: builtinModules, admission: pool });
  try {
    const alice = generateKeyPair('sm2');
    const txs = [0, 1, 2].map((n) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: toHex(sm3(Buffer.from(`doc ${n}`))) }, nonce: n, expires: 50 }).tx);
    await a.submit(txs);
    await b.submit([txs[0]!]); // b has seen only the first tx; the others are checked during validation
    const candidate = (await a.proposeBlock(NOW))!;
    const proposed: Block = structuredClone(candidate.block);

    // Tampered copies, each re-signed by the real proposer so only the named check can catch them.
    const resign = (blk: Block): Block => {
      const hash = headerHashOf('sm2', blk.header);
      return { ...blk, hash, sig: toHex(sign('sm2', validator.privateKey, fromHex(hash))) };
    };
    const wrongRoot = resign({ ...structuredClone(proposed), header: { ...proposed.header, stateRoot: '00'.repeat(32) } });
    const forgedTx = structuredClone(proposed);
    forgedTx.txs[2] = { ...forgedTx.txs[2]!, args: { hash: toHex(sm3(Buffer.from('forged'))) } };
    const unsigned = { ...structuredClone(proposed), sig: '11'.repeat(64) };
    const stale = resign({ ...structuredClone(proposed), header: { ...proposed.header, time: genesis.time } });
    for (const [blk, why] of [[wrongRoot, /state root/], [forgedTx, /not acceptable|tx root/], [unsigned, /signature/], [stale, /block time/]] as const) {
      await assert.rejects(b.validateBlock(blk, NOW), (e: { code: string; message: string }) => e.code === 'BLOCK_INVALID' && why.test(e.message));
      assert.equal(b.height(), 0);
    }

    const checked = await b.validateBlock(structuredClone(proposed), NOW);
    await b.commitCandidate(checked, { round: 0, signatures: [] });
    await a.commitCandidate(candidate);
    assert.equal(b.height(), 1);
    assert.equal(b.getBlock(1)!.hash, a.getBlock(1)!.hash);
    assert.equal(b.info().stateRoot, a.info().stateRoot);
    assert.deepEqual(b.getCommit(1), { round: 0, signatures: [] });
    assert.equal(b.nonces(txs[0]!.from).pendingNonce, 3, 'the committed tx left b\'s mempool');
  } finally {
    await a.close();
    await b.close();
    await pool.close();
    tmp.cleanup();
  }
});
