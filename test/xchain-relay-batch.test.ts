/**
 * Relay rounds wider than one block (issue #20, the xchain row): a round reads the packets of
 * several source blocks, asks for their proofs at one height in requests an API serves (at most
 * PROOF_KEYS keys each), sends acknowledgements to the source and deliveries to the destination
 * at once, and a node's own endpoint submits the txs of a round together so one block takes
 * them. Every packet still arrives once, with its proof checked against a verified header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { signTx } from '../src/ledger/index.ts';
import { BATCH, PROOF_KEYS, localEndpoint, relayOnce, type ChainEndpoint } from '../src/crosschain/index.ts';
import type { SendStatus } from '../src/modules/index.ts';
import { openRelayWorld, type HandChain } from './helpers/xchain.ts';

const alice = generateKeyPair('sm2');
const aliceDid = didFromPublicKey(alice.publicKey);

/** Commits `n` plain messages from alice to beta in one block of `c`. */
async function sendBlock(c: HandChain, n: number, clock: { now: number }): Promise<void> {
  const first = c.chain.nonces(aliceDid).pendingNonce;
  const txs = Array.from({ length: n }, (_, i) => signTx(alice, {
    chain: c.chain.id, module: 'xchain', method: 'send', args: { dstChain: 'beta', dstPort: 'xchain', payload: { i: first + i } }, nonce: first + i, expires: c.chain.height() + 100,
  }).tx);
  const results = await c.chain.submit(txs);
  assert.ok(results.every((r) => r.accepted), 'the sends are admitted');
  clock.now += 1000;
  const block = await c.chain.produceBlock(clock.now);
  assert.equal(block?.receipts.filter((r) => r.status === 'ok').length, n, 'every send commits');
}

/**
 * A hand chain's endpoint that records the proof requests it serves and refuses more keys than an
 * API serves. Its calls run one after another: a hand chain commits each call in a block of its
 * own, and two blocks cannot be produced at once.
 */
function counting(ep: ChainEndpoint): { ep: ChainEndpoint; proofs: Array<{ height: number; keys: number }> } {
  const proofs: Array<{ height: number; keys: number }> = [];
  let queue: Promise<unknown> = Promise.resolve();
  return {
    proofs,
    ep: {
      ...ep,
      call(module, method, args, signal) {
        const r = queue.then(() => ep.call(module, method, args, signal));
        queue = r.catch(() => undefined);
        return r;
      },
      async proof(height, keys) {
        assert.ok(keys.length <= PROOF_KEYS, `a proof request of ${keys.length} keys`);
        proofs.push({ height, keys: keys.length });
        return ep.proof(height, keys);
      },
    },
  };
}

test('packets of several source blocks go in one round, each received once; proofs asked for at one height in API-sized requests', async (t) => {
  const w = await openRelayWorld(t);
  // 300 packets over three blocks: more keys than one proof request holds.
  for (const n of [120, 100, 80]) await sendBlock(w.a, n, w.clock);
  assert.equal(w.a.state('xchain/seq/beta'), 300);
  const src = counting(w.ea);
  const dst = counting(w.eb);
  const cursor = { from: 1 };
  const first = await relayOnce(src.ep, dst.ep, cursor);
  assert.deepEqual(first.errors, []);
  assert.equal(first.received, 300, 'every packet of the three blocks is delivered in the one round');
  assert.equal(w.b.state('xchain/log/count'), 300);
  // The destination was asked which had arrived, the source for the packets' proofs: each at one height, in pieces.
  for (const { proofs } of [src, dst]) {
    assert.equal(proofs.reduce((s, p) => s + p.keys, 0), 300);
    assert.ok(proofs.length >= 2, 'split into API-sized requests');
    assert.equal(new Set(proofs.map((p) => p.height)).size, 1, 'all at one height: one header for the round');
  }
  const second = await relayOnce(src.ep, dst.ep, cursor);
  assert.deepEqual([second.received, second.acknowledged, second.errors.length], [0, 300, 0], 'received ones are acknowledged, none delivered again');
  const third = await relayOnce(src.ep, dst.ep, cursor);
  assert.deepEqual([third.received, third.acknowledged, third.backlog], [0, 0, 0]);
  assert.equal(cursor.from, 301);
  assert.equal(w.b.state('xchain/log/count'), 300, 'each packet executed once');
  for (const seq of [1, 150, 300]) assert.equal((w.a.state(`xchain/st/beta/${seq}`) as unknown as SendStatus).status, 'acknowledged');
});

test('one round acknowledges what arrived and delivers what is new, on both chains at once', async (t) => {
  const w = await openRelayWorld(t);
  await sendBlock(w.a, 5, w.clock);
  const cursor = { from: 1 };
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).received, 5);
  await sendBlock(w.a, 7, w.clock);
  const r = await relayOnce(w.ea, w.eb, cursor);
  assert.deepEqual([r.acknowledged, r.received, r.errors.length], [5, 7, 0]);
  assert.equal(w.b.state('xchain/log/count'), 12);
  const last = await relayOnce(w.ea, w.eb, cursor);
  assert.deepEqual([last.acknowledged, last.received], [7, 0]);
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).backlog, 0);
  assert.equal(w.b.state('xchain/log/count'), 12);
});

test('a round reads at most BATCH packets; the rest wait for the next and count as backlog', async (t) => {
  const w = await openRelayWorld(t);
  await sendBlock(w.a, 4, w.clock);
  const cursor = { from: 1 };
  const r = await relayOnce(w.ea, w.eb, cursor, { batch: 3 });
  assert.deepEqual([r.received, r.backlog], [3, 4]);
  assert.equal(w.b.state('xchain/recv/alpha/4'), null, 'the fourth was not read');
  let received = 3;
  for (let round = 0; round < 5 && received < 4; round++) received += (await relayOnce(w.ea, w.eb, cursor, { batch: 3 })).received;
  assert.equal(received, 4, 'the fourth comes in a later round');
  assert.equal(w.b.state('xchain/log/count'), 4);
  assert.ok(BATCH > 400, 'a default round spans several blocks of sends');
});

test('a node\'s own endpoint submits calls made together at once: one block takes them all', async (t) => {
  const w = await openRelayWorld(t);
  const ep = localEndpoint(w.a.chain, w.gateway);
  const base = w.a.chain.nonces(w.gatewayDid).pendingNonce;
  // A submission's txs are in the mempool at once, and a block takes them once they are on disk
  // (MempoolEntry.held), which is when the chain's tx listener fires.
  let onDisk = 0;
  w.a.chain.onTxs(() => void onDisk++);
  const submitted = async (n: number, submissions: number): Promise<void> => {
    for (let i = 0; i < 400 && (w.a.chain.nonces(w.gatewayDid).pendingNonce < base + n || onDisk < submissions); i++) await new Promise<void>((r) => setTimeout(r, 5));
    assert.equal(w.a.chain.nonces(w.gatewayDid).pendingNonce, base + n, `${n} gateway txs wait in the mempool`);
    assert.equal(onDisk, submissions, `in ${submissions} submission(s), on disk`);
  };
  const calls = [1, 2, 3].map((i) => ep.call('xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: { i } }));
  // Let the submission run, then commit one block: all three are in it.
  await submitted(3, 1);
  const before = w.a.chain.height();
  await w.a.tick();
  const results = await Promise.all(calls);
  assert.deepEqual(results.map((r) => r.status), ['ok', 'ok', 'ok']);
  assert.equal(w.a.chain.height(), before + 1, 'one block');
  assert.deepEqual(results.map((r) => (r.result as { sequence: number }).sequence), [1, 2, 3], 'in the order called (nonce order)');
  // And the next call, made alone, still goes through with the following nonce.
  const next = ep.call('xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: { i: 4 } });
  await submitted(4, 2);
  await w.a.tick();
  assert.equal((await next).status, 'ok');
});

test('an acknowledgement the source refuses settles nothing: the cursor stays and a later round acknowledges', async (t) => {
  const w = await openRelayWorld(t);
  await sendBlock(w.a, 4, w.clock);
  const cursor = { from: 1 };
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).received, 4);
  // A source endpoint whose acknowledge txs fail (as a forged proof would), the rest passed through.
  const refusing: ChainEndpoint = {
    ...w.ea,
    call: async (module, method, args, signal) => method === 'acknowledge'
      ? { status: 'failed', code: 'XCHAIN_BAD_PROOF', message: 'refused for the test' }
      : w.ea.call(module, method, args, signal),
  };
  const r = await relayOnce(refusing, w.eb, cursor);
  assert.deepEqual([r.acknowledged, r.errors.length], [0, 1]);
  assert.equal(cursor.from, 1, 'nothing settled: the cursor does not move');
  assert.equal((w.a.state('xchain/st/beta/1') as unknown as SendStatus).status, 'sent');
  const again = await relayOnce(w.ea, w.eb, cursor);
  assert.deepEqual([again.acknowledged, again.received], [4, 0]);
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).backlog, 0);
  assert.equal(cursor.from, 5, 'settled: the cursor moves past them');
});
