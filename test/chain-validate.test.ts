import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, sign, sm3, type KeyPair } from '../src/crypto/index.ts';
import { fromHex, toHex } from '../src/codec/index.ts';
import { AdmissionPool, Chain, REFS_KEY } from '../src/chain/index.ts';
import { encodeMultikey } from '../src/did/index.ts';
import { headerHashOf, signTx, type Block, type Tx } from '../src/ledger/index.ts';
import { builtinModules, recordStateKey } from '../src/modules/index.ts';
import { didSenderAuthority } from '../src/node/index.ts';
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

// ---- Block validity is a function of the block and the state it names (issue #13 item 10) ----

interface Node {
  identity: Chain;
  notary: Chain;
}

/**
 * One node's identity and notary chains, wired as a node wires them: the notary chain judges
 * senders by the DID documents of this node's identity chain, at the identity height a block names.
 */
async function openNode(dir: string, validator: KeyPair, pool: AdmissionPool, proposer: boolean, refWaitMs = 300): Promise<Node> {
  const identity = await Chain.open({
    genesis: testGenesis('sm2', validator, { chain: 'identity', modules: ['did', 'notary'] }), dir: join(dir, 'identity'), modules: builtinModules, admission: pool,
    senderAuthority: didSenderAuthority(), ...(proposer ? { validatorKey: validator } : {}),
  });
  const notary = await Chain.open({
    genesis: testGenesis('sm2', validator), dir: join(dir, 'notary'), modules: builtinModules, admission: pool, refWaitMs,
    senderAuthority: didSenderAuthority(identity), ...(proposer ? { validatorKey: validator } : {}),
  });
  return { identity, notary };
}

/** Applies a block decided elsewhere, as block sync does: validate against its own time, then commit. */
async function follow(chain: Chain, block: Block): Promise<void> {
  await chain.commitCandidate(await chain.validateBlock(structuredClone(block), block.header.time));
}

test('validators at different identity heights agree on a block: it is judged at the identity height it names', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  const pool = new AdmissionPool({ threads: 1 });
  const p = await openNode(join(tmp.dir, 'p'), validator, pool, true);
  const behind = await openNode(join(tmp.dir, 'behind'), validator, pool, false);
  const ahead = await openNode(join(tmp.dir, 'ahead'), validator, pool, false);
  let time = 1_700_000_001_000;
  const produce = async (chain: Chain): Promise<Block> => (await chain.produceBlock((time += 1000)))!;
  try {
    // Alice has a DID document with key k1 (identity height 1), everyone has it.
    const k1 = generateKeyPair('sm2');
    const k2 = generateKeyPair('sm2');
    const did = didFromPublicKey(k1.publicKey);
    await p.identity.submit([signTx(k1, { chain: 'identity', module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey('sm2', k1.publicKey) }, nonce: 0, expires: 100 }).tx]);
    const created = await produce(p.identity);
    for (const n of [behind, ahead]) await follow(n.identity, created);

    // The validator ahead admits a later tx signed by k1 now, while k1 is Alice's key (it waits for nonce 3).
    const staleK1 = signTx(k1, { chain: 'notary', module: 'notary', method: 'put', args: { hash: toHex(sm3(Buffer.from('old key'))) }, nonce: 3, expires: 100 });
    assert.equal((await ahead.notary.submit([staleK1.tx]))[0]!.accepted, true);

    // P proposes a notary block with a tx signed by k1; it names identity height 1.
    const byK1 = signTx(k1, { chain: 'notary', module: 'notary', method: 'put', args: { hash: toHex(sm3(Buffer.from('deed'))) }, nonce: 0, expires: 100 });
    assert.equal((await p.notary.submit([byK1.tx]))[0]!.accepted, true);
    const first = (await p.notary.proposeBlock((time += 1000)))!;
    assert.deepEqual(first.block.refs, { identity: 1 });
    await p.notary.commitCandidate(first);

    // Then k1 is rotated out for k2 at identity height 2; one validator has seen it, one has not.
    await p.identity.submit([signTx(k1, { chain: 'identity', module: 'did', method: 'rotate', args: { did, publicKeyMultibase: encodeMultikey('sm2', k2.publicKey) }, nonce: 1, expires: 100 }).tx]);
    const rotated = await produce(p.identity);
    await follow(ahead.identity, rotated);
    assert.equal(ahead.identity.height(), 2);
    assert.equal(behind.identity.height(), 1);

    // Both accept the block signed by k1, judged at height 1, with the same resulting state.
    const a = await ahead.notary.validateBlock(structuredClone(first.block), first.block.header.time);
    const b = await behind.notary.validateBlock(structuredClone(first.block), first.block.header.time);
    await ahead.notary.commitCandidate(a);
    await behind.notary.commitCandidate(b);
    assert.equal(ahead.notary.info().stateRoot, behind.notary.info().stateRoot);
    assert.deepEqual(ahead.notary.getState(REFS_KEY).value, { identity: 1 });

    // The next block (by k2) names identity height 2: the validator behind waits for it rather than judge by
    // its own view, says so if it does not arrive, and agrees once it has it.
    const byK2 = signTx(k2, { chain: 'notary', from: did, module: 'notary', method: 'put', args: { hash: toHex(sm3(Buffer.from('lease'))) }, nonce: 1, expires: 100 });
    assert.equal((await p.notary.submit([byK2.tx]))[0]!.accepted, true);
    const second = (await p.notary.proposeBlock((time += 1000)))!;
    assert.deepEqual(second.block.refs, { identity: 2 });
    await assert.rejects(behind.notary.validateBlock(structuredClone(second.block), second.block.header.time),
      (e: { code: string; message: string }) => e.code === 'BLOCK_INVALID' && /height 2 of chain identity, which this node has not reached/.test(e.message));
    await follow(behind.identity, rotated);
    await follow(behind.notary, second.block);
    await follow(ahead.notary, second.block);
    await p.notary.commitCandidate(second);
    assert.equal(behind.notary.info().stateRoot, p.notary.info().stateRoot);
    assert.equal(ahead.notary.info().stateRoot, p.notary.info().stateRoot);

    // Refs are committed by the state root and only move forward.
    const byK2again = signTx(k2, { chain: 'notary', from: did, module: 'notary', method: 'put', args: { hash: toHex(sm3(Buffer.from('will'))) }, nonce: 2, expires: 100 });
    await p.notary.submit([byK2again.tx]);
    await p.identity.submit([signTx(generateKeyPair('sm2'), { chain: 'identity', module: 'notary', method: 'put', args: { hash: '00'.repeat(32) }, nonce: 0, expires: 100 }).tx]);
    const moved = await produce(p.identity);
    for (const n of [behind, ahead]) await follow(n.identity, moved);
    const third = (await p.notary.proposeBlock((time += 1000)))!;
    assert.deepEqual(third.block.refs, { identity: 3 });
    for (const [refs, why] of [
      [{ identity: 1 }, /go back to height 1 of chain identity/],
      [{ identity: 3, gov: 1 }, /chain "gov", whose state this chain does not consult/],
      [{ identity: 2 }, /repeat its parent's/],
      [undefined, /state root differs/],
    ] as const) {
      const tampered = { ...structuredClone(third.block), ...(refs ? { refs } : {}) };
      if (!refs) delete tampered.refs;
      await assert.rejects(ahead.notary.validateBlock(tampered, third.block.header.time), (e: { code: string; message: string }) => e.code === 'BLOCK_INVALID' && why.test(e.message), String(why));
    }
    await follow(ahead.notary, third.block);

    // A proposer that lets any key through puts the k1 tx in a block naming identity height 3. The validator
    // that admitted it back when k1 was valid judges it again at the block's refs, and rejects the block.
    const evil = await Chain.open({
      genesis: testGenesis('sm2', validator), dir: join(tmp.dir, 'evil'), modules: builtinModules, admission: pool, validatorKey: validator,
      senderAuthority: { source: p.identity, judge: () => ({ ok: true }) },
    });
    try {
      for (const b of [first.block, second.block, third.block]) await follow(evil, b);
      assert.equal((await evil.submit([staleK1.tx]))[0]!.accepted, true);
      const forged = (await evil.proposeBlock((time += 1000)))!;
      assert.deepEqual(forged.block.refs, undefined, 'identity is still at 3, as its parent named');
      assert.equal(forged.block.txs[0]!.sig, staleK1.tx.sig);
      await assert.rejects(ahead.notary.validateBlock(structuredClone(forged.block), forged.block.header.time),
        (e: { code: string; message: string }) => e.code === 'BLOCK_INVALID' && /TX_BAD_SENDER/.test(e.message) && /identity chain identity at height 3/.test(e.message));
    } finally {
      await evil.close();
    }
  } finally {
    for (const n of [p, behind, ahead]) {
      await n.notary.close();
      await n.identity.close();
    }
    await pool.close();
    tmp.cleanup();
  }
});

test('a block with a tx its admission policy refuses, at the height the block names, is rejected by every validator', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  const pool = new AdmissionPool({ threads: 1 });
  // The policy: a sender is admitted when the registry chain holds a record of sm3(DID) (a stand-in for
  // governance's allowlist, judged the same way: only by the state at the named height).
  const registered = (did: string): string => toHex(sm3(Buffer.from(did)));
  const open = async (name: string, proposer: boolean, strict: boolean) => {
    const registry = await Chain.open({ genesis: testGenesis('sm2', validator, { chain: 'registry' }), dir: join(tmp.dir, name, 'registry'), modules: builtinModules, admission: pool, ...(proposer ? { validatorKey: validator } : {}) });
    const biz = await Chain.open({
      genesis: testGenesis('sm2', validator, { chain: 'biz' }), dir: join(tmp.dir, name, 'biz'), modules: builtinModules, admission: pool, refWaitMs: 300,
      admissionRule: {
        source: registry,
        judge: (state, did) => !strict || state.getState(recordStateKey(registered(did))).value !== null
          ? { ok: true } : { ok: false, code: 'TX_NOT_ADMITTED', message: `${did} is not in the registry at height ${state.height}` },
      },
      ...(proposer ? { validatorKey: validator } : {}),
    });
    return { registry, biz };
  };
  // The registry's blocks come from `reg`; two strict validators follow it. Blocks of `biz` come from
  // proposers whose policy lets everyone in (misconfigured or malicious), each fresh for one block.
  const reg = await open('reg', true, false);
  const v1 = await open('v1', false, true);
  const v2 = await open('v2', false, true);
  let time = 1_700_000_001_000;
  let proposers = 0;
  const propose = async (registry: Block[], txs: Tx[]): Promise<Block> => {
    const q = await open(`p${proposers++}`, true, false);
    try {
      for (const b of registry) await follow(q.registry, b);
      assert.ok((await q.biz.submit(txs)).every((r) => r.accepted));
      return (await q.biz.proposeBlock((time += 1000)))!.block;
    } finally {
      await q.biz.close();
      await q.registry.close();
    }
  };
  try {
    const [alice, bob, mallory] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
    const register = async (key: KeyPair, nonce: number): Promise<Block> => {
      await reg.registry.submit([signTx(validator, { chain: 'registry', module: 'notary', method: 'put', args: { hash: registered(didFromPublicKey(key.publicKey)) }, nonce, expires: 100 }).tx]);
      return (await reg.registry.produceBlock((time += 1000)))!;
    };
    const tx = (key: KeyPair, doc: string): Tx => signTx(key, { chain: 'biz', module: 'notary', method: 'put', args: { hash: toHex(sm3(Buffer.from(doc))) }, nonce: 0, expires: 100 }).tx;
    const r1 = await register(alice, 0);
    for (const v of [v1, v2]) await follow(v.registry, r1);

    // Mallory is not registered: both validators reject the block that carries her tx, saying why.
    const bad = await propose([r1], [tx(mallory, 'spam')]);
    assert.deepEqual(bad.refs, { registry: 1 });
    for (const v of [v1, v2]) {
      await assert.rejects(v.biz.validateBlock(structuredClone(bad), bad.header.time),
        (e: { code: string; message: string }) => e.code === 'BLOCK_INVALID' && /is not in the registry at height 1 \(TX_NOT_ADMITTED\)/.test(e.message));
      assert.equal(v.biz.height(), 0);
    }

    // Bob is registered at registry height 2, which v2 has seen and v1 has not. A block naming height 1 with
    // Bob's tx is invalid on both: v2 does not judge by its newer view.
    const r2 = await register(bob, 1);
    await follow(v2.registry, r2);
    const atOne = await propose([r1], [tx(bob, 'bob early')]);
    assert.deepEqual(atOne.refs, { registry: 1 });
    for (const v of [v1, v2]) await assert.rejects(v.biz.validateBlock(structuredClone(atOne), atOne.header.time), /is not in the registry at height 1/);

    // A block naming height 2 with Alice's and Bob's txs: v1 waits for height 2, then both accept it alike.
    const good = await propose([r1, r2], [tx(alice, 'alice'), tx(bob, 'bob')]);
    assert.deepEqual(good.refs, { registry: 2 });
    assert.equal(good.txs.length, 2);
    await assert.rejects(v1.biz.validateBlock(structuredClone(good), good.header.time), /height 2 of chain registry, which this node has not reached/);
    await follow(v1.registry, r2);
    for (const v of [v1, v2]) await follow(v.biz, good);
    assert.equal(v1.biz.info().stateRoot, v2.biz.info().stateRoot);
    assert.equal(v1.biz.height(), 1);
  } finally {
    for (const n of [reg, v1, v2]) {
      await n.biz.close();
      await n.registry.close();
    }
    await pool.close();
    tmp.cleanup();
  }
});
