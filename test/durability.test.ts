import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { generateKeyPair, sm3 } from '../src/crypto/index.ts';
import { signTx, verifyStateLookup, type Tx } from '../src/ledger/index.ts';
import { recordStateKey } from '../src/modules/index.ts';
import { openTestChain } from './helpers/chain.ts';
import { repoRoot } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * Issue #13 items 8 and 9: what the node reports as committed or accepted is on disk.
 */

const docHash = (text: string): string => toHex(sm3(Buffer.from(text)));

test('state reads at the head never run ahead of it while a block commits: the value, its height and its proof agree', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2');
  try {
    // Height 0 is unsigned (it derives from the genesis): start above it, so every read has a proof.
    const first = signTx(generateKeyPair('sm2'), { chain: 'notary', module: 'notary', method: 'put', args: { hash: docHash('first') }, nonce: 0, expires: 1000 });
    await t.chain.submit([first.tx]);
    await t.chain.produceBlock(1_700_000_000_500);
    const senders = Array.from({ length: 20 }, () => generateKeyPair('sm2'));
    let reads = 0;
    for (let b = 0; b < 6; b++) {
      const txs: Tx[] = [];
      const hashes: string[] = [];
      for (let i = 0; i < 100; i++) {
        const d = docHash(`block ${b} doc ${i}`);
        hashes.push(d);
        txs.push(signTx(senders[i % senders.length]!, { chain: 'notary', module: 'notary', method: 'put', args: { hash: d }, nonce: b * 5 + Math.floor(i / senders.length), expires: 1000 }).tx);
      }
      assert.ok((await t.chain.submit(txs)).every((r) => r.accepted));
      const before = t.chain.height();
      let done = false;
      const producing = t.chain.produceBlock(1_700_000_001_000 + b * 1000).finally(() => (done = true));
      // Read as an API client would, on every turn of the event loop while the block commits.
      try {
        while (!done) {
          const key = recordStateKey(hashes[reads % hashes.length]!);
          const plain = t.chain.getState(key);
          if (plain.height === before) assert.equal(plain.value, null, `height ${before} is reported with a value only block ${before + 1} writes`);
          const proven = t.chain.getState(key, { proof: true });
          assert.deepEqual(verifyStateLookup('sm2', proven, t.genesis.validators), { ok: true }, `a read at height ${proven.height} during the commit`);
          reads++;
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        await producing.catch(() => undefined);
      }
      assert.equal((await producing)!.header.height, before + 1);
      const last = t.chain.getState(recordStateKey(hashes[0]!), { proof: true });
      assert.equal(last.height, before + 1);
      assert.notEqual(last.value, null);
    }
    assert.ok(reads > 0);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

/** Runs test/helpers/ack-then-die.ts: it commits blocks and SIGKILLs itself as it acknowledges the last. */
function ackThenDie(dir: string, privateHex: string, salt: string, blocks: number): Promise<{ height: number; hash: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/ack-then-die.ts'), dir, privateHex, salt, String(blocks)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code, signal) => {
      const m = /ACK (\d+) (\S+)/.exec(out);
      if (signal === 'SIGKILL' && m) resolve({ height: Number(m[1]), hash: m[2]! });
      else reject(new Error(`the chain process ended with ${signal ?? code} before acknowledging:\n${out}`));
    });
  });
}

test('kill -9 in the same turn a block is acknowledged, then a restart that trusts only flushed data (as after a power loss): the block is there', async () => {
  const tmp = tempDir();
  try {
    const validator = generateKeyPair('sm2');
    for (let run = 0; run < 3; run++) {
      const ack = await ackThenDie(tmp.dir, toHex(validator.privateKey), `${run}f`, 2);
      // LMDB_RESTORE=safe makes LMDB open the last transaction it knows was flushed to disk,
      // not the last one committed, as it does after a reboot.
      process.env.LMDB_RESTORE = 'safe';
      const t = await openTestChain(tmp.dir, 'sm2', {}, undefined, { validator });
      delete process.env.LMDB_RESTORE;
      try {
        assert.equal(t.chain.height(), ack.height, `run ${run}: the acknowledged height`);
        assert.equal(t.chain.getBlock(ack.height)?.hash, ack.hash);
      } finally {
        await t.close();
      }
    }
  } finally {
    delete process.env.LMDB_RESTORE;
    tmp.cleanup();
  }
});
