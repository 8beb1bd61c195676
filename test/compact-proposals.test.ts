import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { JsonValue } from '../src/codec/index.ts';
import { generateKeyPair } from '../src/crypto/index.ts';
import { signTx, txHashOf, type Block, type Proposal, type Tx } from '../src/ledger/index.ts';
import { COMPACT_TOPIC, CompactProposals, SHORT_ID_HEX } from '../src/node/compact-proposals.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { closeAll, connected, startNode, waitFor, type TestNode } from './helpers/net.ts';
import { tempDir } from './helpers/tmp.ts';

// Two real chains of one genesis (the proposer's and a validator's) on real LMDB stores, and real
// peer networks over loopback: the proposal is built by the proposer's chain from its mempool.
test('compact proposals: short ids and no receipts; rebuilt from the mempool, only the missing txs fetched; lies, malformed ones and other chains dropped', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  let a: TestChain | undefined;
  let b: TestChain | undefined;
  let c: TestChain | undefined;
  const nets: TestNode[] = [];
  try {
    a = await openTestChain(join(tmp.dir, 'a'), 'sm2', {}, undefined, { validator });
    b = await openTestChain(join(tmp.dir, 'b'), 'sm2', {}, undefined, { validator });
    const [na, nb, liar] = await Promise.all([0, 1, 2].map(() => startNode({ chains: ['notary'] })));
    nets.push(na!, nb!, liar!);
    nb!.net.addPeer(na!.url);
    nb!.net.addPeer(liar!.url);
    await waitFor(() => connected(na!, nb!) && connected(liar!, nb!), 'the peers connected', 10_000);

    const alice = generateKeyPair('sm2');
    const txs = [0, 1, 2, 3].map((n) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (0xc0 + n).toString(16).padStart(64, '0') }, nonce: n, expires: 1_000 }).tx);
    assert.ok((await a.chain.submit(txs)).every((r) => r.accepted));
    // The validator holds the first two (gossip reached it), not the last two.
    assert.ok((await b.chain.submit(txs.slice(0, 2))).every((r) => r.accepted));
    const candidate = await a.chain.proposeBlock(a.genesis.time + 1_000);
    const block = candidate!.block;
    assert.equal(block.txs.length, 4);
    const proposal: Proposal = { type: 'proposal', chain: 'notary', height: 1, round: 0, value: { hash: block.hash, payload: block }, validRound: -1, proposer: na!.did, sig: '00' };

    const sender = new CompactProposals(na!.net, a.chain);
    const stopServing = sender.serve();
    const receiver = new CompactProposals(nb!.net, b.chain);
    const out = sender.outgoing(proposal)!;
    assert.equal(out.topic, COMPACT_TOPIC);
    const compactBlock = (out.body as unknown as Proposal).value.payload as Block & { ids: string };
    assert.deepEqual(compactBlock.txs, [], 'the txs stay home');
    assert.deepEqual(compactBlock.receipts, [], 'the validators make the receipts themselves');
    assert.equal(compactBlock.ids, block.receipts.map((r) => r.tx.slice(0, SHORT_ID_HEX)).join(''), 'each tx named by its hash\'s first 16 hex digits, in order');
    assert.ok(JSON.stringify(out.body).length < JSON.stringify({ ...proposal, value: { hash: block.hash, payload: { ...block, txs: [] } } }).length / 2, 'smaller than the receipts alone');
    assert.equal(sender.outgoing({ ...proposal, value: { hash: block.hash } }), undefined, 'a proposal without a payload goes as it is');
    // What the validators rebuild: the block without receipts (execution makes them).
    const expected: Proposal = { ...proposal, value: { hash: block.hash, payload: { ...block, receipts: [] } } };

    // The validator rebuilds the block: two txs from its mempool, two fetched from the sender.
    const framesTo = (n: TestNode, peer: TestNode): number => n.net.stats().peers.find((p) => p.did === peer.did)!.framesOut;
    const before = framesTo(nb!, na!);
    const rebuilt = await receiver.rebuild(out.body, na!.did);
    assert.deepEqual(rebuilt, expected);
    assert.equal(framesTo(nb!, na!) - before, 1, 'one request for the two missing txs');
    // With every tx at hand nothing is asked.
    assert.ok((await b.chain.submit(txs.slice(2))).every((r) => r.accepted));
    const again = framesTo(nb!, na!);
    assert.deepEqual(await receiver.rebuild(out.body, na!.did), expected);
    assert.equal(framesTo(nb!, na!), again);
    // The rebuilt block (no receipts) is valid by re-execution, and it is the proposer's block.
    const validated = await b.chain.validateBlock((rebuilt!.value.payload as Block), a.genesis.time + 1_000);
    assert.equal(validated.block.hash, block.hash);
    assert.deepEqual(validated.block.receipts, block.receipts, 'the same receipts, made by the validator');

    // A peer answering with txs other than those asked for: dropped, never judged.
    const other = signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ee'.repeat(32) }, nonce: 9, expires: 1_000 }).tx;
    let asked: JsonValue = null;
    liar!.net.onRequest('notary', COMPACT_TOPIC, (body) => {
      asked = body;
      return { txs: [other as unknown as JsonValue, ...txs.slice(1)] as unknown as JsonValue[] };
    });
    c = await openTestChain(join(tmp.dir, 'c'), 'sm2', {}, undefined, { validator });
    const lacking = new CompactProposals(nb!.net, c.chain);
    const fromLiar = sender.outgoing({ ...proposal, proposer: liar!.did })!;
    // (c's chain holds none of the txs, so it asks the liar for all four and gets one wrong one.)
    assert.equal(await lacking.rebuild(fromLiar.body, liar!.did), undefined);
    assert.deepEqual(asked, { block: block.hash, txs: [0, 1, 2, 3] });
    // The sender asked for a block it never sent, or for indexes out of range: nothing.
    assert.deepEqual(await nb!.net.request(na!.did, 'notary', COMPACT_TOPIC, { block: 'ab'.repeat(32), txs: [0] }), { txs: [] });
    assert.deepEqual(await nb!.net.request(na!.did, 'notary', COMPACT_TOPIC, { block: block.hash, txs: [7] }), { txs: [] });
    assert.deepEqual(await nb!.net.request(na!.did, 'notary', COMPACT_TOPIC, { block: block.hash, txs: [1] }), { txs: [txs[1] as unknown as JsonValue] });

    // Malformed compact proposals, one whose block is not the one its hash names, and one of
    // another chain: dropped without asking anyone.
    const reqs = framesTo(nb!, na!);
    const withPayload = (p: Record<string, unknown>): JsonValue => ({ ...(out.body as object), value: { hash: block.hash, payload: { ...compactBlock, ...p } } }) as unknown as JsonValue;
    for (const bad of [
      withPayload({ ids: compactBlock.ids.toUpperCase() }),
      withPayload({ ids: compactBlock.ids.slice(1) }),
      withPayload({ ids: compactBlock.ids.slice(SHORT_ID_HEX) }),
      withPayload({ ids: '' }),
      withPayload({ ids: 42 }),
      withPayload({ ids: compactBlock.ids.repeat(a.genesis.params.maxBlockTxs) }),
      withPayload({ receipts: block.receipts }),
      withPayload({ txs: [txs[0] as unknown as Tx] }),
      withPayload({ header: { ...block.header, time: block.header.time + 1 } }),
      withPayload({ header: 'not a header' }),
      { ...(out.body as object), chain: 'other' } as unknown as JsonValue,
      { type: 'vote' },
      'not a proposal',
    ]) assert.equal(await receiver.rebuild(bad, na!.did), undefined, JSON.stringify(bad).slice(0, 80));
    assert.equal(framesTo(nb!, na!), reqs);
    stopServing();
  } finally {
    await closeAll(...nets);
    await a?.close();
    await b?.close();
    await c?.close();
    tmp.cleanup();
  }
});

// Short ids of two hex digits here, so that two txs sharing one are easy to make (on the wire
// they are sixteen: a sender can still grind a pair, which is what this covers).
test('compact proposals: a short id two pooled txs share is fetched; a pooled tx that only shares the id of the block\'s is caught by the tx root and the block fetched whole', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  const chains: TestChain[] = [];
  const nets: TestNode[] = [];
  try {
    const a = await openTestChain(join(tmp.dir, 'a'), 'sm2', {}, undefined, { validator });
    const b = await openTestChain(join(tmp.dir, 'b'), 'sm2', {}, undefined, { validator });
    chains.push(a, b);
    const [na, nb] = await Promise.all([0, 1].map(() => startNode({ chains: ['notary'] })));
    nets.push(na!, nb!);
    nb!.net.addPeer(na!.url);
    await waitFor(() => connected(na!, nb!), 'the peers connected', 10_000);
    const ID_HEX = 2;
    const alice = generateKeyPair('sm2');
    const bob = generateKeyPair('sm2');
    const x = signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'c1'.repeat(32) }, nonce: 0, expires: 1_000 }).tx;
    const prefix = txHashOf('sm2', x).slice(0, ID_HEX);
    // Bob's tx named like Alice's: ground over its notarised hash.
    let twin: Tx | undefined;
    for (let i = 0; !twin; i++) {
      const t = signTx(bob, { chain: 'notary', module: 'notary', method: 'put', args: { hash: i.toString(16).padStart(64, '0') }, nonce: 0, expires: 1_000 }).tx;
      if (txHashOf('sm2', t).slice(0, ID_HEX) === prefix) twin = t;
    }
    assert.ok((await a.chain.submit([x])).every((r) => r.accepted));
    const block = (await a.chain.proposeBlock(a.genesis.time + 1_000))!.block;
    assert.deepEqual(block.txs, [x]);
    const proposal: Proposal = { type: 'proposal', chain: 'notary', height: 1, round: 0, value: { hash: block.hash, payload: block }, validRound: -1, proposer: na!.did, sig: '00' };
    const expected: Proposal = { ...proposal, value: { hash: block.hash, payload: { ...block, receipts: [] } } };
    const sender = new CompactProposals(na!.net, a.chain, { idHex: ID_HEX });
    const stopServing = sender.serve();
    const receiver = new CompactProposals(nb!.net, b.chain, { idHex: ID_HEX });
    const out = sender.outgoing(proposal)!;
    const framesTo = (): number => nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut;

    // The validator holds only Bob's tx under that id: rebuilt with it, the tx root differs, so
    // the block's txs are fetched, once.
    assert.ok((await b.chain.submit([twin!])).every((r) => r.accepted));
    let before = framesTo();
    assert.deepEqual(await receiver.rebuild(out.body, na!.did), expected);
    assert.equal(framesTo() - before, 1, 'one request: every tx of the block');
    // It holds both: the id is ambiguous, so that tx is fetched (again one request).
    assert.ok((await b.chain.submit([x])).every((r) => r.accepted));
    assert.equal(b.chain.pendingByShortIds([prefix], ID_HEX)[0], undefined);
    before = framesTo();
    assert.deepEqual(await receiver.rebuild(out.body, na!.did), expected);
    assert.equal(framesTo() - before, 1);
    stopServing();
  } finally {
    await closeAll(...nets);
    for (const c of chains) await c.close();
    tmp.cleanup();
  }
});

// A proposer gossips a client's txs as soon as it has admitted them and may propose them right
// after: the proposal then arrives while the validator is still checking those txs.
test('compact proposals: a proposal that arrives while its txs are being admitted is rebuilt once that admission settles, with no request', async () => {
  const tmp = tempDir();
  const validator = generateKeyPair('sm2');
  let a: TestChain | undefined;
  let b: TestChain | undefined;
  const nets: TestNode[] = [];
  try {
    a = await openTestChain(join(tmp.dir, 'a'), 'sm2', {}, undefined, { validator });
    b = await openTestChain(join(tmp.dir, 'b'), 'sm2', {}, undefined, { validator });
    const [na, nb] = await Promise.all([0, 1].map(() => startNode({ chains: ['notary'] })));
    nets.push(na!, nb!);
    nb!.net.addPeer(na!.url);
    await waitFor(() => connected(na!, nb!), 'the peers connected', 10_000);
    const alice = generateKeyPair('sm2');
    const txs = Array.from({ length: 40 }, (_, n) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (0x100 + n).toString(16).padStart(64, '0') }, nonce: n, expires: 1_000 }).tx);
    assert.ok((await a.chain.submit(txs)).every((r) => r.accepted));
    const block = (await a.chain.proposeBlock(a.genesis.time + 1_000))!.block;
    const proposal: Proposal = { type: 'proposal', chain: 'notary', height: 1, round: 0, value: { hash: block.hash, payload: block }, validRound: -1, proposer: na!.did, sig: '00' };
    const sender = new CompactProposals(na!.net, a.chain);
    const stopServing = sender.serve();
    const out = sender.outgoing(proposal)!;
    const framesTo = (): number => nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut;
    const before = framesTo();

    // b's admission workers are started (a node's are, long before a proposal comes).
    const bob = generateKeyPair('sm2');
    assert.ok((await b.chain.submit([signTx(bob, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) }, nonce: 0, expires: 1_000 }).tx]))[0]!.accepted);
    // The gossip of the txs reached the validator just before the proposal: admission is running.
    const admitted = b.chain.submit(txs);
    assert.equal(b.chain.pendingByShortIds([txHashOf('sm2', txs[0]!).slice(0, SHORT_ID_HEX)], SHORT_ID_HEX)[0], undefined, 'not in the mempool yet');
    const rebuilt = await new CompactProposals(nb!.net, b.chain).rebuild(out.body, na!.did);
    assert.deepEqual(rebuilt, { ...proposal, value: { hash: block.hash, payload: { ...block, receipts: [] } } });
    assert.equal(framesTo(), before, 'nothing asked of the proposer');
    assert.ok((await admitted).every((r) => r.accepted));

    // With no admission running, what is missing is asked for at once (one request).
    const rest = Array.from({ length: 3 }, (_, n) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (0x200 + n).toString(16).padStart(64, '0') }, nonce: 40 + n, expires: 1_000 }).tx);
    const c = await openTestChain(join(tmp.dir, 'c'), 'sm2', {}, undefined, { validator });
    try {
      assert.ok((await c.chain.submit([...txs, ...rest])).every((r) => r.accepted));
      const block2 = (await c.chain.proposeBlock(c.genesis.time + 1_000))!.block;
      assert.equal(block2.txs.length, 43);
      const sender2 = new CompactProposals(na!.net, c.chain);
      stopServing();
      const stop2 = sender2.serve();
      const out2 = sender2.outgoing({ ...proposal, value: { hash: block2.hash, payload: block2 } })!;
      const rebuilt2 = await new CompactProposals(nb!.net, b.chain).rebuild(out2.body, na!.did);
      assert.equal((rebuilt2!.value.payload as Block).txs.length, 43);
      assert.equal(framesTo(), before + 1, 'one request, for the three txs b never saw');
      stop2();
    } finally {
      await c.close();
    }
  } finally {
    await closeAll(...nets);
    await a?.close();
    await b?.close();
    tmp.cleanup();
  }
});
