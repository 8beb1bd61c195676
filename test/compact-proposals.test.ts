import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { JsonValue } from '../src/codec/index.ts';
import { generateKeyPair } from '../src/crypto/index.ts';
import { signTx, type Block, type Proposal, type Tx } from '../src/ledger/index.ts';
import { COMPACT_TOPIC, CompactProposals } from '../src/node/compact-proposals.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { closeAll, connected, startNode, waitFor, type TestNode } from './helpers/net.ts';
import { tempDir } from './helpers/tmp.ts';

// Two real chains of one genesis (the proposer's and a validator's) on real LMDB stores, and real
// peer networks over loopback: the proposal is built by the proposer's chain from its mempool.
test('compact proposals: rebuilt from the mempool, only the missing txs fetched; lies, malformed ones and other chains dropped', async () => {
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
    const compactBlock = (out.body as unknown as Proposal).value.payload as Block;
    assert.deepEqual(compactBlock.txs, [], 'the txs stay home');
    assert.ok(JSON.stringify(out.body).length < JSON.stringify(proposal).length - 4 * 400);
    assert.equal(sender.outgoing({ ...proposal, value: { hash: block.hash } }), undefined, 'a proposal without a payload goes as it is');

    // The validator rebuilds the block: two txs from its mempool, two fetched from the sender.
    const before = nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut;
    const rebuilt = await receiver.rebuild(out.body, na!.did);
    assert.deepEqual(rebuilt, proposal);
    assert.equal(nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut - before, 1, 'one request for the two missing txs');
    // With every tx at hand nothing is asked.
    assert.ok((await b.chain.submit(txs.slice(2))).every((r) => r.accepted));
    const again = nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut;
    assert.deepEqual(await receiver.rebuild(out.body, na!.did), proposal);
    assert.equal(nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut, again);

    // A peer answering with txs other than those asked for: dropped, never judged.
    const other = signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ee'.repeat(32) }, nonce: 9, expires: 1_000 }).tx;
    let asked: JsonValue = null;
    liar!.net.onRequest('notary', COMPACT_TOPIC, (body) => {
      asked = body;
      return { txs: [other as unknown as JsonValue] };
    });
    c = await openTestChain(join(tmp.dir, 'c'), 'sm2', {}, undefined, { validator });
    const lacking = new CompactProposals(nb!.net, c.chain);
    const fromLiar = sender.outgoing({ ...proposal, proposer: liar!.did })!;
    // (c's chain holds none of the txs, so it asks the liar for all four and gets one wrong one.)
    assert.equal(await lacking.rebuild(fromLiar.body, liar!.did), undefined);
    assert.deepEqual(asked, { block: block.hash, txs: [0, 1, 2, 3] });
    // The sender asked for a block it never sent, or for indexes out of range: nothing.
    assert.equal(await lacking.rebuild({ ...(out.body as object), value: { hash: 'ab'.repeat(32), payload: compactBlock } } as unknown as JsonValue, na!.did), undefined);
    assert.deepEqual(await nb!.net.request(na!.did, 'notary', COMPACT_TOPIC, { block: block.hash, txs: [7] }), { txs: [] });
    assert.deepEqual(await nb!.net.request(na!.did, 'notary', COMPACT_TOPIC, { block: block.hash, txs: [1] }), { txs: [txs[1] as unknown as JsonValue] });

    // Malformed compact proposals, and one of another chain: dropped without asking anyone.
    const reqs = nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut;
    const withReceipts = (receipts: unknown[]): JsonValue => ({ ...(out.body as object), value: { hash: block.hash, payload: { ...compactBlock, receipts } } }) as unknown as JsonValue;
    for (const bad of [
      withReceipts([{ tx: 'XYZ' }]),
      withReceipts([]),
      withReceipts(Array.from({ length: a.genesis.params.maxBlockTxs + 1 }, () => ({ tx: 'ab'.repeat(32) }))),
      { ...(out.body as object), value: { hash: block.hash, payload: { ...compactBlock, txs: [txs[0] as unknown as Tx] } } } as unknown as JsonValue,
      { ...(out.body as object), chain: 'other' } as unknown as JsonValue,
      { type: 'vote' },
      'not a proposal',
    ]) assert.equal(await receiver.rebuild(bad, na!.did), undefined, JSON.stringify(bad).slice(0, 80));
    assert.equal(nb!.net.stats().peers.find((p) => p.did === na!.did)!.framesOut, reqs);
    stopServing();
  } finally {
    await closeAll(...nets);
    await a?.close();
    await b?.close();
    await c?.close();
    tmp.cleanup();
  }
});
