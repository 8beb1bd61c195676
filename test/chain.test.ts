import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, sm3, type KeyPair } from '../src/crypto/index.ts';
import { toHex } from '../src/codec/index.ts';
import { signTx, verifyStateLookup, verifyTxInclusion, type Tx } from '../src/ledger/index.ts';
import { recordStateKey } from '../src/modules/index.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { tempDir } from './helpers/tmp.ts';

const docHash = (text: string): string => toHex(sm3(Buffer.from(text)));

function put(key: KeyPair, nonce: number, hash: string, chain = 'notary', expires = 1000): { tx: Tx; hash: string } {
  return signTx(key, { chain, module: 'notary', method: 'put', args: { hash, name: 'contract.pdf' }, nonce, expires });
}

for (const suite of ['sm2', 'ed25519'] as const) {
  test(`${suite}: a notary record commits and is provable against the signed header`, async () => {
    const tmp = tempDir();
    const t = await openTestChain(tmp.dir, suite);
    try {
      const alice = generateKeyPair(suite);
      const d = docHash('lease agreement v1');
      const { tx, hash } = put(alice, 0, d);
      const [res] = await t.chain.submit([tx]);
      assert.deepEqual(res, { accepted: true, hash });
      const block = await t.chain.produceBlock(1_700_000_001_000);
      assert.ok(block);
      assert.equal(block.header.height, 1);
      assert.equal(block.receipts[0]!.status, 'ok');
      assert.deepEqual(block.receipts[0]!.events, [{ module: 'notary', type: 'Recorded', data: { hash: d, owner: tx.from } }]);

      const validators = t.genesis.validators;
      const inc = t.chain.getTx(hash)!;
      assert.deepEqual(verifyTxInclusion(suite, inc, validators), { ok: true });
      const forged = structuredClone(inc);
      forged.tx.args = { hash: docHash('something else'), name: 'contract.pdf' };
      assert.equal(verifyTxInclusion(suite, forged, validators).ok, false);

      const state = t.chain.getState(recordStateKey(d), { proof: true });
      assert.equal((state.value as { owner: string }).owner, tx.from);
      assert.deepEqual(verifyStateLookup(suite, state, validators), { ok: true });
      const lied = { ...state, value: { ...(state.value as object), owner: 'did:shulian:1111111111111111111111' } };
      assert.equal(verifyStateLookup(suite, lied, validators).ok, false);

      const absent = t.chain.getState(recordStateKey(docHash('never recorded')), { proof: true });
      assert.equal(absent.value, null);
      assert.deepEqual(verifyStateLookup(suite, absent, validators), { ok: true });
      // Claiming the present record is absent must not verify.
      assert.equal(verifyStateLookup(suite, { ...state, value: null }, validators).ok, false);
    } finally {
      await t.close();
      tmp.cleanup();
    }
  });
}

test('bad transactions are rejected with clear codes and change nothing', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2');
  try {
    const alice = generateKeyPair('sm2');
    const first = put(alice, 0, docHash('a'));
    await t.chain.submit([first.tx]);
    await t.chain.produceBlock(1_700_000_001_000);
    const before = t.chain.info();

    const wrongSig = put(alice, 1, docHash('b'));
    const tampered = { ...wrongSig.tx, args: { hash: docHash('c') } };
    const other = generateKeyPair('sm2');
    // Validly signed by `other`, but in alice's name: the key is not alice's.
    const notMine = signTx(other, { chain: 'notary', from: put(alice, 1, docHash('d')).tx.from, module: 'notary', method: 'put', args: { hash: docHash('d') }, nonce: 1, expires: 1000 }).tx;
    const cases: Array<[unknown, string]> = [
      [{ hello: 'world' }, 'TX_MALFORMED'],
      [{ ...put(alice, 1, docHash('e')).tx, nonce: -1 }, 'TX_MALFORMED'],
      [first.tx, 'TX_NONCE_STALE'], // replay of a committed tx
      [put(alice, 1, docHash('f'), 'gov').tx, 'TX_WRONG_CHAIN'],
      [tampered, 'TX_BAD_SIGNATURE'],
      [put(alice, 1, docHash('g'), 'notary', 0).tx, 'TX_EXPIRED'],
      [put(generateKeyPair('ed25519'), 0, docHash('h')).tx, 'TX_BAD_KEY'],
      [notMine, 'TX_BAD_SENDER'],
      [{ ...put(alice, 1, docHash('i')).tx, args: { hash: 'x'.repeat(70_000) } }, 'TX_TOO_LARGE'],
      [put(alice, 5000, docHash('j')).tx, 'TX_NONCE_GAP'],
    ];
    const results = await t.chain.submit(cases.map((c) => c[0]));
    results.forEach((r, i) => {
      assert.equal(r.accepted, false, `case ${i} should be rejected`);
      if (!r.accepted) assert.equal(r.code, cases[i]![1], `case ${i}: ${r.message}`);
    });
    assert.equal(await t.chain.produceBlock(1_700_000_002_000), null, 'nothing to execute');
    assert.deepEqual(t.chain.info(), before);

    // Duplicate within the mempool, and the same nonce twice.
    const ok = put(alice, 1, docHash('k'));
    const dup = await t.chain.submit([ok.tx]);
    assert.equal(dup[0]!.accepted, true);
    const again = await t.chain.submit([ok.tx, put(alice, 1, docHash('l')).tx]);
    assert.deepEqual(again.map((r) => (r.accepted ? 'ok' : r.code)), ['TX_DUPLICATE', 'TX_NONCE_TAKEN']);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

test('a failing call is included as failed, keeps none of its writes, and uses its nonce', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2');
  try {
    const alice = generateKeyPair('sm2');
    const bob = generateKeyPair('sm2');
    const d = docHash('shared doc');
    await t.chain.submit([put(alice, 0, d).tx]);
    await t.chain.produceBlock(1_700_000_001_000);
    const bobTx = put(bob, 0, d);
    const badArgs = signTx(bob, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'nothex' }, nonce: 1, expires: 100 });
    const noModule = signTx(bob, { chain: 'notary', module: 'settlement', method: 'pay', args: {}, nonce: 2, expires: 100 });
    await t.chain.submit([bobTx.tx, badArgs.tx, noModule.tx]);
    const block = (await t.chain.produceBlock(1_700_000_002_000))!;
    assert.deepEqual(block.receipts.map((r) => r.code), ['NOTARY_EXISTS', 'BAD_ARGS', 'MODULE_NOT_FOUND']);
    assert.ok(block.receipts.every((r) => r.status === 'failed' && r.gasUsed > 0 && r.message));
    assert.equal((t.chain.getState(recordStateKey(d)).value as { owner: string }).owner, put(alice, 0, d).tx.from);
    assert.deepEqual(t.chain.nonces(bobTx.tx.from), { nonce: 3, pendingNonce: 3 });
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

test('reopening the store keeps every block and state root, and proofs at past heights', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2');
  try {
    const alice = generateKeyPair('sm2');
    const roots: string[] = [];
    for (let i = 0; i < 5; i++) {
      await t.chain.submit([put(alice, i, docHash(`doc ${i}`)).tx]);
      const b = (await t.chain.produceBlock(1_700_000_001_000 + i))!;
      roots.push(b.header.stateRoot);
    }
    const chain = await t.reopen();
    assert.equal(chain.height(), 5);
    for (let h = 1; h <= 5; h++) assert.equal(chain.getBlock(h)!.header.stateRoot, roots[h - 1]);
    // doc 4 did not exist at height 3: provably absent there, present now.
    const key = recordStateKey(docHash('doc 4'));
    const then = chain.getState(key, { height: 3, proof: true });
    assert.equal(then.value, null);
    assert.deepEqual(verifyStateLookup('sm2', then, t.genesis.validators), { ok: true });
    const past = chain.getState(recordStateKey(docHash('doc 1')), { height: 3, proof: true });
    assert.equal((past.value as { height: number }).height, 2);
    assert.deepEqual(verifyStateLookup('sm2', past, t.genesis.validators), { ok: true });
    assert.throws(() => chain.getState(key, { height: 99 }), { code: 'HEIGHT_NOT_FOUND' });
    await chain.submit([put(alice, 5, docHash('doc 5')).tx]);
    assert.equal((await chain.produceBlock(1_700_000_009_000))!.header.height, 6);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

test('out of gas: the tx fails with OUT_OF_GAS, keeps no writes, and gas used is capped at the limit', async () => {
  const tmp = tempDir();
  const { DEFAULT_PARAMS } = await import('../src/node/index.ts');
  // Enough for a small record, not for one with a long name.
  const t = await openTestChain(tmp.dir, 'sm2', { params: { ...DEFAULT_PARAMS, maxTxGas: 7_000 } });
  try {
    const alice = generateKeyPair('sm2');
    const small = signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: docHash('small') }, nonce: 0, expires: 100 });
    const big = signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: docHash('big'), name: 'n'.repeat(250) }, nonce: 1, expires: 100 });
    await t.chain.submit([small.tx, big.tx]);
    const block = (await t.chain.produceBlock(1_700_000_001_000))!;
    assert.equal(block.receipts[0]!.status, 'ok', block.receipts[0]!.message ?? '');
    assert.equal(block.receipts[1]!.code, 'OUT_OF_GAS', JSON.stringify(block.receipts.map((r) => r.gasUsed)));
    assert.equal(block.receipts[1]!.gasUsed, 7_000);
    assert.equal(t.chain.getState(recordStateKey(docHash('big'))).value, null);
    assert.equal(t.chain.nonces(big.tx.from).nonce, 2);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

test('with call checks on (as on a node), a call execution would refuse is refused at admission with the receipt\'s code', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2', {}, undefined, { chain: { checkCalls: true } });
  try {
    const alice = generateKeyPair('sm2');
    const call = (module: string, method: string, args: unknown) => signTx(alice, { chain: 'notary', module, method, args: args as never, nonce: 0, expires: 100 }).tx;
    const results = await t.chain.submit([
      call('notary', 'put', { hash: docHash('a'), junk: 'x'.repeat(1000) }),
      call('notary', 'put', { hash: 'not hex' }),
      call('notary', 'erase', {}),
      call('settlement', 'mint', {}),
    ]);
    assert.deepEqual(results.map((r) => (r.accepted ? 'ok' : r.code)), ['BAD_ARGS', 'BAD_ARGS', 'METHOD_NOT_FOUND', 'MODULE_NOT_FOUND']);
    assert.match((results[1] as { message: string }).message, /notary\.put args\.hash: /);
    assert.match((results[3] as { message: string }).message, /runs no module "settlement"; it runs notary/);
    assert.equal(t.chain.info().mempool.txs, 0);
    assert.equal((await t.chain.submit([call('notary', 'put', { hash: docHash('a') })]))[0]!.accepted, true);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

test('the mempool is kept across a restart and re-admitted under the policy in force then', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  let t = await openTestChain(tmp.dir, 'sm2', {}, undefined, { validator });
  try {
    const alice = generateKeyPair('sm2');
    const bob = generateKeyPair('sm2');
    const near = put(alice, 1, docHash('near'), 'notary', 50); // gapped: waits for alice's nonce 0
    const far = put(bob, 1, docHash('far'), 'notary', 5000);
    assert.ok((await t.chain.submit([near.tx, far.tx])).every((r) => r.accepted));
    await t.close();
    // Reopened with a tighter expiry bound: the tx expiring at 5000 is no longer acceptable.
    t = await openTestChain(tmp.dir, 'sm2', {}, undefined, { validator, chain: { mempool: { maxExpiryBlocks: 1000 } } });
    assert.equal(t.chain.isPending(near.hash), true);
    assert.equal(t.chain.isPending(far.hash), false);
    assert.equal(t.chain.nonces(near.tx.from).pendingNonce, 0);
    assert.equal((await t.chain.submit([put(alice, 0, docHash('first')).tx]))[0]!.accepted, true);
    const block = (await t.chain.produceBlock(1_700_000_001_000))!;
    assert.equal(block.txs.length, 2);
    assert.equal(t.chain.getTx(near.hash)?.receipt.status, 'ok');
    // Committed and forgotten ones stay gone after another restart.
    await t.close();
    t = await openTestChain(tmp.dir, 'sm2', {}, undefined, { validator });
    assert.equal(t.chain.info().mempool.txs, 0);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

// A client's tx waits until it is on disk (and so gossiped) before a block may take it; one from
// a peer does not: the peer gossiped it once it was on the peer's disk, so every validator has it.
test('a block takes a peer\'s tx as soon as it is admitted, a client\'s only once it is on disk', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2');
  try {
    const alice = generateKeyPair('sm2');
    const bob = generateKeyPair('sm2');
    // The admission workers are started, as on a running node.
    assert.equal((await t.chain.submit([put(bob, 0, docHash('warm')).tx]))[0]!.accepted, true);
    await t.chain.produceBlock(1_700_000_001_000);

    const fromClient = put(alice, 0, docHash('client'));
    const answer = t.chain.submitBody(JSON.stringify(fromClient.tx));
    await t.chain.admissionsSettled(10_000);
    assert.equal(t.chain.isPending(fromClient.hash), true, 'admitted');
    assert.equal(t.chain.hasPendingTxs(), false, 'not yet on disk: no block takes it');
    assert.equal(await t.chain.proposeBlock(1_700_000_002_000), null);
    assert.deepEqual(await answer, { kind: 'single', results: [{ accepted: true, hash: fromClient.hash }] });
    assert.equal(t.chain.hasPendingTxs(), true, 'on disk: ready');
    await t.chain.produceBlock(1_700_000_003_000);

    const fromPeer = put(alice, 1, docHash('peer'));
    const admitted = t.chain.submit([fromPeer.tx]);
    await t.chain.admissionsSettled(10_000);
    assert.equal(t.chain.hasPendingTxs(), true, 'ready before it is on disk');
    const block = (await t.chain.proposeBlock(1_700_000_004_000))!.block;
    assert.deepEqual(block.txs, [fromPeer.tx]);
    assert.equal((await admitted)[0]!.accepted, true);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});
