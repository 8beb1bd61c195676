/**
 * Packets between the chains of one simulation fork (issue #24 item 1): on a node's real LMDB
 * chains, a token sent from the signing chain to the notarisation chain in a simulation is
 * received there through xtransfer's own handler (the voucher minted, in the far side's state
 * diff) and acknowledged back; a call the far side refuses comes back as an error ack and a
 * PACKET_FAILS warning (xcall's result marked failed on the source); a packet past its timeout
 * is refunded through onTimeoutPacket. Without the far chain in the fork, packets are only
 * reported. The simulation-only relay is not reachable from a caller's simulated tx nor from a
 * real tx. None of it writes the stores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { startNode } from '../src/node/index.ts';
import { SimulationSandbox } from '../src/sandbox/index.ts';
import { ShulianClient, type SimTx } from '../src/sdk/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const fileHash = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('a fork of two chains delivers packets between them, acks and refunds included; no real tx reaches the relay', { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'node');
  const node = await startNode({ dataDir, port: 0, log: () => {} });
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const alice = generateKeyPair('sm2');
    const a = didFromPublicKey(alice.publicKey);
    const b = didFromPublicKey(generateKeyPair('sm2').publicKey);
    // The node's gateway syncs the routes; a chain receives only once its own route and its peer's are known.
    for (const [chain, peer] of [['sign', 'notary'], ['notary', 'sign'], ['sign', 'sign'], ['notary', 'notary']] as const) {
      await waitFor(async () => (await c.state(chain, `xchain/route/${peer}`)).value !== null, `route ${peer} on ${chain}`, 120_000);
    }
    const sandbox = new SimulationSandbox(node.node);
    const files = ['sign', 'notary'].map((id) => join(dataDir, 'chains', id, 'data.mdb'));
    const hashesBefore = files.map(fileHash);
    const call = (module: string, method: string, args: JsonValue): SimTx => ({ chain: 'sign', from: a, module, method, args });
    const issue = [call('xtransfer', 'issue', { denom: 'PTS' }), call('xtransfer', 'mint', { denom: 'PTS', to: a, amount: '1000' })];
    const both = [{ chain: 'notary' }];

    // 1. Tokens to the notarisation chain, in the same fork: minted there as a voucher, acknowledged here.
    const sent = await sandbox.simulateOnce({ at: both, txs: [...issue, call('xtransfer', 'send', { dstChain: 'notary', denom: 'PTS', amount: '250', receiver: b })] });
    assert.deepEqual(sent.receipts.filter((r) => !r.synthetic).map((r) => r.status), ['ok', 'ok', 'ok'], JSON.stringify(sent.receipts));
    assert.equal(sent.packets.length, 1);
    assert.equal(sent.delivered.length, 1, JSON.stringify(sent.delivered));
    const d = sent.delivered[0]!;
    assert.deepEqual([d.srcChain, d.dstChain, d.srcPort, d.dstPort, d.status, d.round], ['sign', 'notary', 'xtransfer', 'xtransfer', 'received', 1]);
    assert.equal((d.ack as { ok: boolean }).ok, true, JSON.stringify(d.ack));
    assert.ok(d.receivedAt !== undefined && d.settledAt !== undefined);
    assert.equal(d.error, undefined);
    const voucher = sent.stateDiff.notary?.xtransfer?.changes.find((x) => x.key === `xtransfer/bal/${b}/sign/PTS`);
    assert.equal(voucher?.after, '250', JSON.stringify(sent.stateDiff.notary));
    assert.equal(voucher?.before, null);
    const st = sent.stateDiff.sign?.xchain?.changes.find((x) => x.key === 'xchain/st/notary/' + d.sequence);
    assert.equal((st?.after as { status?: string } | null)?.status, 'acknowledged');
    assert.ok(sent.events.some((e) => e.chain === 'notary' && e.type === 'PacketReceived'));
    assert.ok(sent.events.some((e) => e.chain === 'sign' && e.type === 'PacketAcknowledged'));
    assert.equal(sent.risk.verdict, 'none', JSON.stringify(sent.risk.reasons));
    assert.ok(sent.receipts.some((r) => r.synthetic && r.chain === 'notary' && r.method === 'simDeliver' && r.status === 'ok'));

    // 2. Without the far chain in the fork: reported, not delivered.
    const alone = await sandbox.simulateOnce({ txs: [...issue, call('xtransfer', 'send', { dstChain: 'notary', denom: 'PTS', amount: '250', receiver: b })] });
    assert.equal(alone.packets.length, 1);
    assert.deepEqual(alone.delivered, []);
    assert.equal(alone.stateDiff.notary, undefined);

    // 3. A call the far side cannot answer: an error ack; the verdict warns; xcall keeps the failure here.
    const bad = await sandbox.simulateOnce({ at: both, txs: [call('xcall', 'call', { dstChain: 'notary', module: 'nosuch', query: 'x', args: {} })] });
    assert.equal(bad.receipts[0]!.status, 'ok', JSON.stringify(bad.receipts[0]));
    assert.equal(bad.delivered.length, 1);
    assert.equal((bad.delivered[0]!.ack as { ok: boolean }).ok, false);
    assert.equal(bad.risk.verdict, 'warn', JSON.stringify(bad.risk.reasons));
    assert.ok(bad.risk.reasons.some((r) => r.kind === 'PACKET_FAILS' && r.chain === 'notary' && r.en.includes('sign→notary')));
    const result = bad.stateDiff.sign?.xcall?.changes.find((x) => x.key.startsWith('xcall/'))?.after as { status?: string } | undefined;
    assert.equal(result?.status, 'failed', JSON.stringify(bad.stateDiff.sign?.xcall));

    // 4. Past its timeout on arrival: not received; refunded on the source through onTimeoutPacket.
    const notaryHeight = (await c.chain('notary')).height;
    const late = await sandbox.simulateOnce({ at: both, txs: [...issue, call('xtransfer', 'send', { dstChain: 'notary', denom: 'PTS', amount: '250', receiver: b, timeoutHeight: notaryHeight })] });
    assert.equal(late.delivered[0]?.status, 'expired', JSON.stringify(late.delivered));
    assert.ok(late.events.some((e) => e.chain === 'sign' && e.type === 'TransferRefunded'));
    assert.equal(late.stateDiff.sign?.xtransfer?.changes.find((x) => x.key === `xtransfer/bal/${a}/PTS`)?.after, '1000', 'refunded in full');
    assert.equal(late.stateDiff.notary?.xtransfer, undefined, 'nothing minted on the far side');
    assert.equal(late.risk.verdict, 'warn');

    // 5. A caller's own simulated tx cannot use the relay: the chain's executor has no such method.
    const forged = { srcChain: 'sign', srcPort: 'xtransfer', dstChain: 'notary', dstPort: 'xtransfer', sequence: 1, sender: a, payload: { denom: 'PTS', amount: '999', sender: a, receiver: a }, timeoutTime: 9e12 };
    const direct = await sandbox.simulateOnce({ at: both, txs: [{ chain: 'notary', from: a, module: 'xchain', method: 'simDeliver', args: { packets: [forged] } }] });
    assert.equal(direct.receipts[0]!.code, 'METHOD_NOT_FOUND');
    assert.equal(direct.stateDiff.notary?.xtransfer, undefined);

    // Nothing of the simulations reached the stores.
    assert.deepEqual(files.map(fileHash), hashesBefore);

    // 6. Nor can a real tx: refused, and nothing received on the real chain.
    const hash = await c.send('notary', alice, { module: 'xchain', method: 'simDeliver', args: { packets: [forged] } }).catch((e: { code?: string }) => e);
    if (typeof hash === 'string') {
      const real = await c.waitForTx(hash);
      assert.equal(real.receipt.status, 'failed');
      assert.equal(real.receipt.code, 'METHOD_NOT_FOUND');
    } else {
      assert.equal(hash.code, 'METHOD_NOT_FOUND', JSON.stringify(hash));
    }
    assert.equal((await c.state('notary', 'xchain/recv/sign/1')).value, null);
    assert.equal((await c.state('notary', `xtransfer/bal/${a}/sign/PTS`)).value, null);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
