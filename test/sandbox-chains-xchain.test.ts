/**
 * Sandbox chains at packet handling and settlement (issue #24 item 4, docs/governance.md#sandbox-chains):
 * on real LMDB chains relayed as a gateway would, a sandbox chain (alpha, born with
 * `genesis.sandbox`, its route labelled sandbox on the routing chain) and a production chain
 * (beta) cannot exchange packets — refused when sent (XCHAIN_SANDBOX_PATH) and, from a source
 * whose view is stale, answered with an error ack on receipt; alpha takes only sandbox issuers'
 * money. Once its route loses the label (what a promote-chain vote does), both are lifted and the
 * sandbox money stays sandbox money.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { relayOnce, syncRoutes } from '../src/crosschain/index.ts';
import type { SendStatus } from '../src/modules/index.ts';
import { openXchainWorld } from './helpers/xchain.ts';
import { changedKeys, stateSnapshot } from './helpers/state.ts';
import { tempDir } from './helpers/tmp.ts';

const alice = generateKeyPair('sm2');
const bank = didFromPublicKey(generateKeyPair('sm2').publicKey);
const testBank = didFromPublicKey(generateKeyPair('sm2').publicKey);

test('a sandbox chain and a production chain exchange no packet and the sandbox chain takes only sandbox money, until its route loses the label', async (t) => {
  const tmp = tempDir('sandbox-chains-');
  const w = await openXchainWorld(tmp.dir, 'sm2', { modules: ['settlement'], genesis: { alpha: { kind: 'business', sandbox: true } } });
  t.after(async () => {
    await w.close();
    tmp.cleanup();
  });
  const ea = w.a.endpoint(w.gateway);
  const eb = w.b.endpoint(w.gateway);
  const ex = w.xroute.endpoint(w.gateway);
  // First both production (alpha's registration before it was labelled), so beta sends to it.
  assert.equal((await w.register(w.routeOf(w.a), 1)).status, 'ok');
  assert.equal((await w.register(w.routeOf(w.b), 2)).status, 'ok');
  await syncRoutes(ex, ea);
  await syncRoutes(ex, eb);
  const stale = await w.b.call(alice, 'xchain', 'send', { dstChain: 'alpha', dstPort: 'xchain', payload: { hi: 'stale' } });
  assert.equal(stale.status, 'ok', String(stale.message));

  // Governance labels alpha's route sandbox; alpha learns it, beta does not yet (a stale view).
  assert.equal((await w.register(w.routeOf(w.a, { sandbox: true }), 3)).status, 'ok');
  await syncRoutes(ex, ea);
  assert.equal((w.a.state('xchain/route/alpha') as { sandbox?: boolean }).sandbox, true);

  // Sending from the sandbox chain to the production chain is refused, and nothing is written.
  const before = stateSnapshot(w.a.chain);
  const out = await w.a.call(alice, 'xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: { hi: 1 } });
  assert.equal(out.status, 'failed');
  assert.equal(out.code, 'XCHAIN_SANDBOX_PATH');
  assert.match(out.message!, /alpha is a sandbox chain and beta a production chain.*promote-chain/);
  assert.deepEqual(changedKeys(before, stateSnapshot(w.a.chain)).filter((k) => k.startsWith('xchain/')), [], 'no packet written on alpha');

  // From the wrong chain: beta's packet (sent under its stale view) reaches alpha and is refused by an error ack.
  const cursor = { from: 1 };
  await relayOnce(eb, ea, cursor);
  await relayOnce(eb, ea, cursor);
  const recv = w.a.state('xchain/recv/beta/1') as { ack: { ok: boolean; code?: string } } | null;
  assert.equal(recv?.ack.ok, false);
  assert.equal(recv?.ack.code, 'XCHAIN_SANDBOX_PATH');
  assert.equal((w.b.state('xchain/st/alpha/1') as unknown as SendStatus).status, 'acknowledged', 'beta learns of the refusal (its port is told, as for any error ack)');
  // Once beta syncs, it refuses at send as well.
  await syncRoutes(ex, eb);
  const again = await w.b.call(alice, 'xchain', 'send', { dstChain: 'alpha', dstPort: 'xchain', payload: { hi: 2 } });
  assert.equal(again.code, 'XCHAIN_SANDBOX_PATH');

  // Sandbox money only: a real issuer is refused, a sandbox issuer is taken.
  const issuer = (did: string, sandbox: boolean): JsonValue => ({ issuer: did, name: sandbox ? 'Test bank' : 'Bank', currencies: ['CNY'], rail: sandbox ? 'sandbox' : 'cips', sandbox });
  const real = await w.a.call(w.a.validator, 'settlement', 'registerIssuer', issuer(bank, false));
  assert.equal(real.code, 'SETTLEMENT_SANDBOX_CHAIN');
  assert.match(real.message!, /alpha is a sandbox chain.*sandbox: true/);
  assert.equal(w.a.state(`settlement/iss/${bank}`), null);
  assert.equal((await w.a.call(w.a.validator, 'settlement', 'registerIssuer', issuer(testBank, true))).status, 'ok');
  // A production chain is not restricted.
  assert.equal((await w.b.call(w.b.validator, 'settlement', 'registerIssuer', issuer(bank, false))).status, 'ok');

  // Promotion: governance re-issues alpha's route without the label; both chains sync it.
  assert.equal((await w.register(w.routeOf(w.a), 4)).status, 'ok');
  await syncRoutes(ex, ea);
  await syncRoutes(ex, eb);
  const sent = await w.a.call(alice, 'xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: { hi: 3 } });
  assert.equal(sent.status, 'ok', String(sent.message));
  const fwd = { from: 1 };
  await relayOnce(ea, eb, fwd);
  await relayOnce(ea, eb, fwd);
  assert.deepEqual((w.b.state('xchain/recv/alpha/1') as { ack: JsonValue }).ack, { ok: true, result: { received: true } });
  assert.equal((await w.a.call(w.a.validator, 'settlement', 'registerIssuer', issuer(bank, false))).status, 'ok', 'real money once promoted');
  // The sandbox issuer's money stays sandbox money.
  assert.equal((w.a.state(`settlement/iss/${testBank}`) as { sandbox: boolean }).sandbox, true);
});
