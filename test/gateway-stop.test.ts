/**
 * A gateway stops at once, even while one of its transactions cannot commit (issue #15: Ctrl-C on
 * `shulian up --validators 4` took ~35 s, because each node's gateway waited out its commit
 * timeout on chains whose validators were stopping with it). Here the destination chain produces
 * no blocks at all and the commit wait is ten minutes: stop() must still return, and the wait must
 * end with GATEWAY_STOPPED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { Gateway, localEndpoint } from '../src/crosschain/index.ts';
import { openRelayWorld } from './helpers/xchain.ts';
import { waitFor } from './helpers/tmp.ts';

test('a gateway stops while its recv waits for a block that never comes; the wait ends with GATEWAY_STOPPED', async (t) => {
  const w = await openRelayWorld(t);
  const alice = generateKeyPair('sm2');
  const aliceDid = didFromPublicKey(alice.publicKey);
  assert.equal((await w.a.call(alice, 'xtransfer', 'issue', { denom: 'CNY-T' })).status, 'ok');
  assert.equal((await w.a.call(alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount: '10' })).status, 'ok');
  assert.equal((await w.a.call(alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount: '5', receiver: aliceDid })).status, 'ok');

  // The node's own endpoints (as the embedded gateway uses them), with a commit wait far longer than the test.
  const beta = localEndpoint(w.b.chain, w.gateway, { waitMs: 600_000 });
  const errors: string[] = [];
  const gw = new Gateway({ chains: [localEndpoint(w.a.chain, w.gateway, { waitMs: 600_000 }), beta], log: (l) => { if (l.startsWith('error:')) errors.push(l); } });
  gw.start();
  // Its recv is in beta's mempool; beta makes no blocks, so it never commits.
  await waitFor(() => w.b.chain.info().mempool.txs > 0, 'the gateway\'s recv in beta\'s mempool', 60_000);

  let stopped = false;
  const stopping = gw.stop().then(() => (stopped = true));
  await waitFor(() => stopped, 'Gateway.stop() to return while its tx is uncommitted', 60_000);
  await stopping;
  assert.deepEqual(errors, [], 'stopping is not an error');

  // A call made by hand on a stopped gateway's signal ends the same way.
  const ac = new AbortController();
  const pending = beta.call('xtransfer', 'issue', { denom: 'X-T' }, ac.signal);
  ac.abort();
  await assert.rejects(pending, (e: Error & { code?: string }) => e.code === 'GATEWAY_STOPPED');
});
