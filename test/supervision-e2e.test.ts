/**
 * The "done when" (#18), on a running node (a real `shulian up` process): a regulator in
 * scope publishes a windowed rule on settlement transfers; a burst of transfers raises one alert
 * whose txs carry inclusion proofs; the regulator proposes a freeze citing it, the members vote,
 * and the frozen DID is refused on every chain (admission: TX_FROZEN naming the proposal), as a
 * payee (execution: FROZEN) and through a cross-chain packet it sent before the freeze (an error
 * acknowledgement), until an unfreeze vote; statistics and the alert's work order show in the API.
 *
 * The node runs without its own gateway: the test relays with a registered gateway key, so that
 * a packet can be sent before the freeze and delivered after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { verifyTxInclusion } from '../src/ledger/index.ts';
import { httpEndpoint, relayOnce, syncRoutes } from '../src/crosschain/index.ts';
import { ConsoleClient, ShulianClient, evidenceOf, govPropose, govVote, supPublishCall, type RuleSpec } from '../src/sdk/index.ts';
import { settleMint, settleRegisterIssuer } from '../src/sdk/settlement.ts';
import { spawn } from 'node:child_process';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const BURST: RuleSpec = {
  id: 'transfer-burst', title: 'Transfers over 5,000,000 minor units within an hour', titleZh: '一小时内转账超过 5,000,000', severity: 'high',
  scope: { chains: ['settle'], modules: ['settlement'] }, kind: 'window',
  when: 'tx.method == "transfer" && ok', by: 'tx.from', sum: 'int(tx.args.amount)', over: '5000000', windowMs: 3_600_000,
};

test('rule → alert with proofs → freeze by vote → refused on every chain, also through a packet → unfreeze', { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const gw = generateKeyPair('sm2');
  const gwDid = didFromPublicKey(gw.publicKey);
  const node = await startNodeProcess(join(tmp.dir, 'node'), undefined, ['--no-gateway', '--extra-gateway', `${gwDid}=${toHex(gw.publicKey)}`]);
  let stopStandalone = (): void => {};
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const nodeDir = join(tmp.dir, 'node', 'node');
    const op = readKeystore(join(nodeDir, 'key.json'), readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
    const [reg, user, bank, shop] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
    const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
    const send = async (chain: string, key: KeyPair, module: string, method: string, args: JsonValue) => (await c.waitForTx(await c.send(chain, key, { module, method, args }))).receipt;
    const ok = async (chain: string, key: KeyPair, module: string, method: string, args: JsonValue) => {
      const r = await send(chain, key, module, method, args);
      assert.equal(r.status, 'ok', `${module}.${method}: ${r.code} ${r.message}`);
      return r;
    };
    await waitFor(async () => ((await (await fetch(`${node.url}/v1/gov`)).json()) as { operator?: string }).operator, 'governance init', 60_000);

    // A regulator of the settlement chain, registered by governance; its rule on chain.
    const p = await govPropose(c, op, { kind: 'register-regulator', regulator: { did: did(reg), name: 'Market Regulator', nameZh: '市场监管', chains: ['*'] } });
    await govVote(c, op, p.id, 'yes');
    await ok('gov', reg, 'supervision', 'publish', supPublishCall(BURST).args);

    // Money, and the cross-chain routes on the two chains the packet travels between.
    await settleRegisterIssuer(c, op, { issuer: did(bank), name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    await settleMint(c, bank, { to: did(user), currency: 'CNY', amount: '100000000', ref: 'd-1' });
    // The standalone service too (`shulian supervise` over the node's API): it prints alerts as JSON lines.
    const standalone = spawn(process.execPath, [cliPath, 'supervise', '--api', node.url, '--data-dir', join(tmp.dir, 'sup'), '--poll-ms', '200'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHULIAN_HOME: join(tmp.dir, 'home') },
    });
    let printed = '';
    let logged = '';
    standalone.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
    standalone.stderr!.on('data', (d: Buffer) => (logged = (logged + d.toString()).slice(-4000)));
    stopStandalone = () => void standalone.kill('SIGTERM');
    const xroute = httpEndpoint(c, 'xroute', gw);
    const settleEp = httpEndpoint(c, 'settle', gw);
    const notaryEp = httpEndpoint(c, 'notary', gw);
    await syncRoutes(xroute, settleEp);
    await syncRoutes(xroute, notaryEp);

    // The burst: six transfers of 1,000,000; the sixth takes the hour's sum over 5,000,000.
    const hashes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const h = await c.send('settle', user, { module: 'settlement', method: 'transfer', args: { to: did(shop), currency: 'CNY', amount: '1000000' } });
      hashes.push(h);
      await c.waitForTx(h);
    }
    const regConsole = new ConsoleClient({ baseUrl: node.url });
    await regConsole.login(reg);
    const listed = await waitFor(async () => {
      const r = await regConsole.alerts({ rule: BURST.id });
      return r.alerts.length > 0 ? r.alerts : undefined;
    }, 'the burst alert', 60_000);
    // A seventh transfer in the same hour is still above the threshold: no second alert for the same burst.
    await c.waitForTx(await c.send('settle', user, { module: 'settlement', method: 'transfer', args: { to: did(shop), currency: 'CNY', amount: '1' } }));
    const status = await waitFor(async () => {
      const s = (await (await fetch(`${node.url}/v1/supervision/status`)).json()) as { chains: Record<string, { lag: number; height: number }> };
      return s.chains.settle && s.chains.settle.lag === 0 && s.chains.settle.height >= (await c.chain('settle')).height ? s : undefined;
    }, 'the service to catch up', 30_000);
    assert.ok(status);
    assert.equal((await regConsole.alerts({ rule: BURST.id })).alerts.length, 1);
    const alert = await regConsole.alert(listed[0]!.id);
    // The standalone service raised the same alert, with the same id.
    const line = await waitFor(() => printed.split('\n').find((l) => l.includes(alert.id)), 'the standalone service\'s alert line', 180_000)
      .catch((err: Error) => assert.fail(`${err.message}\nits stdout:\n${printed.slice(-2000)}\nits stderr:\n${logged}`));
    assert.equal((JSON.parse(line) as { alert: { rule: string } }).alert.rule, BURST.id);
    stopStandalone();
    assert.equal(alert.severity, 'high');
    assert.equal(alert.version, 1);
    assert.equal(alert.value, '6000000');
    assert.equal(alert.key, did(user));
    assert.deepEqual(alert.txs.map((t) => t.hash), hashes);
    assert.equal(alert.proofs.length, 6);
    for (const proof of alert.proofs) {
      const check = verifyTxInclusion('sm2', proof, await c.headerVerifier('settle', proof.height));
      assert.ok(check.ok, check.reason ?? '');
    }

    // The alert becomes a work order when acknowledged.
    const acked = await regConsole.ackAlert(alert.id, 'looking into it');
    assert.equal(acked.status, 'acknowledged');
    assert.ok(acked.workOrder);
    assert.equal((await regConsole.workOrder(acked.workOrder!)).alert, alert.id);

    // A packet the user sends before the freeze; relayed only after it.
    const xcall = await ok('settle', user, 'xcall', 'call', { dstChain: 'notary', module: 'notary', query: 'record', args: { hash: 'ab'.repeat(32) } });
    const seq = (xcall.result as { sequence: number }).sequence;

    // The freeze: proposed by the regulator from the alert, voted by the members (the operator).
    const fp = await govPropose(c, reg, { kind: 'freeze', target: { type: 'did', did: did(user) }, reason: 'transfer burst', evidence: evidenceOf(alert) });
    const replay = await c.waitForTx(await c.send('gov', reg, { module: 'governance', method: 'propose', args: { kind: 'freeze', target: { type: 'did', did: did(shop) }, reason: 'again', evidence: evidenceOf(alert) } as unknown as JsonValue }));
    assert.equal(replay.receipt.code, 'GOV_EVIDENCE_USED');
    const v = await govVote(c, op, fp.id, 'yes');
    assert.equal(v.status, 'approved');

    // Every chain refuses the frozen DID's txs, naming the proposal.
    for (const chain of ['settle', 'notary', 'gov', 'identity', 'sign']) {
      await assert.rejects(c.send(chain, user, { module: 'notary', method: 'put', args: { hash: toHex(generateKeyPair('sm2').publicKey.slice(1, 33)) } }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'TX_FROZEN', `${chain}: ${e.message}`);
        assert.match(e.message, new RegExp(`proposal #${fp.id}`));
        return true;
      });
    }
    // As a payee too: a transfer to the frozen DID fails in execution.
    const toFrozen = await send('settle', shop, 'settlement', 'transfer', { to: did(user), currency: 'CNY', amount: '1' });
    assert.equal(toFrozen.status, 'failed');
    assert.equal(toFrozen.code, 'FROZEN');
    assert.match(toFrozen.message!, new RegExp(`proposal #${fp.id}`));

    // The packet it sent before the freeze is refused on arrival with an error acknowledgement.
    const relay = await relayOnce(settleEp, notaryEp, { from: 1 });
    assert.deepEqual(relay.errors, []);
    assert.ok(relay.received >= 1);
    const recv = await waitFor(async () => (await c.state('notary', `xchain/recv/settle/${seq}`)).value as { ack: { ok: boolean; code?: string; message?: string } } | null ?? undefined, 'the packet receipt on notary');
    assert.equal(recv.ack.ok, false);
    assert.equal(recv.ack.code, 'FROZEN');
    assert.match(recv.ack.message!, new RegExp(`proposal #${fp.id}`));

    // Unfreeze by the same path; the DID acts again.
    const up = await govPropose(c, reg, { kind: 'unfreeze', target: { type: 'did', did: did(user) }, reason: 'reviewed: a payroll run' });
    assert.equal((await govVote(c, op, up.id, 'yes')).status, 'approved');
    await ok('settle', user, 'settlement', 'transfer', { to: did(shop), currency: 'CNY', amount: '5' });

    // Statistics: the settlement chain's txs, the volume, the alert.
    const stats = await regConsole.supervisionStats({ period: 'day' });
    const day = stats.buckets.at(-1)!.series;
    assert.ok(Number(day['tx|settle']) >= 9, JSON.stringify(day));
    assert.ok(BigInt(day['volume|CNY']!) >= 6_000_006n, JSON.stringify(day));
    assert.equal(day['alerts|high'], '1');
    assert.ok(Number(day.active) >= 3);
    const closed = await regConsole.closeAlert(alert.id, 'frozen by proposal, then cleared');
    assert.equal(closed.status, 'closed');
    assert.equal((await regConsole.workOrder(acked.workOrder!)).status, 'resolved');
  } finally {
    stopStandalone();
    await node.stop();
    tmp.cleanup();
  }
});
