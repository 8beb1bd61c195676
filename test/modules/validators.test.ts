import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type ValidatorInfo } from '../../src/ledger/index.ts';
import { openTestChain, testGenesis } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';
import { modulesFor } from '../../src/modules/index.ts';
import { Chain } from '../../src/chain/index.ts';
import { importSnapshot } from '../../src/ledger/store/index.ts';
import { join } from 'node:path';

const info = (k: KeyPair, power = 1): ValidatorInfo => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey), power });

test('a validator-set change is scheduled once >2/3 of the current power approves it, and applies from its height on', async () => {
  const tmp = tempDir();
  const keys = Array.from({ length: 5 }, () => generateKeyPair('sm2'));
  const current = keys.slice(0, 4).map((k) => info(k));
  const next = keys.slice(1, 5).map((k) => info(k));
  const overrides = { chain: 'trade', modules: ['validators'], validators: current, consensus: { type: 'tbft' as const } };
  const t = await openTestChain(tmp.dir, 'sm2', overrides, modulesFor(testGenesis('sm2', keys[0]!, overrides)));
  let time = 1_700_000_001_000;
  const block = async (txs: ReturnType<typeof signTx>['tx'][]) => {
    if (txs.length) await t.chain.submit(txs);
    return t.chain.commitCandidate((await t.chain.proposeBlock(time++, { allowEmpty: true }))!);
  };
  const approve = (k: KeyPair, height: number, validators: ValidatorInfo[], nonce = 0) =>
    signTx(k, { chain: 'trade', module: 'validators', method: 'approve', args: { height, validators } as never, nonce, expires: 100 }).tx;
  try {
    const H = 10;
    let b = await block([approve(keys[0]!, H, next), approve(keys[1]!, H, next), approve(keys[4]!, H, next)]);
    assert.deepEqual(b.receipts.map((r) => r.code ?? 'ok'), ['ok', 'ok', 'VALIDATORS_NOT_VALIDATOR']);
    assert.deepEqual(b.receipts[1]!.result, { scheduled: false, power: 2, total: 4 }, 'two of four is not more than 2/3');
    assert.deepEqual(t.chain.validatorsAt(H), current);
    b = await block([
      approve(keys[1]!, H, next, 1), // again from the same validator
      approve(keys[2]!, 2, next), // too close to take effect safely
      approve(keys[2]!, H, [info(keys[1]!)], 1), // a set tbft cannot run (fewer than four)
      approve(keys[2]!, H, next, 2),
    ]);
    assert.deepEqual(b.receipts.map((r) => r.code ?? 'ok'), ['VALIDATORS_ALREADY_APPROVED', 'VALIDATORS_TOO_LATE', 'VALIDATORS_INVALID', 'ok']);
    assert.deepEqual(b.receipts[3]!.events.map((e) => e.type), ['ValidatorSetScheduled']);
    assert.deepEqual(t.chain.validatorsAt(H - 1), current);
    assert.deepEqual(t.chain.validatorsAt(H), next);
    assert.deepEqual(t.chain.knownValidators().map((v) => v.did).sort(), keys.map((k) => didFromPublicKey(k.publicKey)).sort());
    // The set of a height is read as committed at the height before it: blocks made later don't change the past.
    while (t.chain.height() < H + 1) await block([]);
    assert.deepEqual(t.chain.validatorsAt(H - 1), current);
    assert.deepEqual(t.chain.validatorsAt(H + 1), next);
    assert.deepEqual(t.chain.info().validators, next);

    // A snapshot of the chain carries the header just before the change (state sync's light client
    // follows it from the genesis set, test/statesync/change-headers.test.ts); a store started from
    // the snapshot keeps those headers, and serves them on in its own snapshots, though it holds no block below its base.
    const snap = await t.chain.exportSnapshot();
    assert.deepEqual(snap.changes?.map((h) => h.header.height), [H - 1]);
    assert.equal(snap.changes![0]!.hash, t.chain.getBlock(H - 1)!.hash);
    assert.deepEqual(t.chain.changeHeaders(H - 1), [], 'no change takes effect by height H - 1');
    const syncedDir = join(tmp.dir, 'synced');
    await importSnapshot(syncedDir, t.genesis, snap, snap.chunks);
    const synced = await Chain.open({ genesis: t.genesis, dir: syncedDir, modules: modulesFor(t.genesis), admission: t.pool });
    try {
      assert.equal(synced.getBlock(H - 1), undefined);
      assert.deepEqual(synced.changeHeaders(synced.height()), snap.changes);
      assert.deepEqual((await synced.exportSnapshot()).changes, snap.changes);
    } finally {
      await synced.close();
    }
  } finally {
    await t.close();
    tmp.cleanup();
  }
});
