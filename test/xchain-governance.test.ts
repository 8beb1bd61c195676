/**
 * Registrations change only by governance vote: a `register-route` proposal approved on the
 * governance chain is applied by the routing chain's validator (the node follows the governance
 * chain), then brought to every chain by the gateway — here narrowing the notarisation chain's
 * inbound policy so that only one DID may send to it. Nothing in the message path can do this.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, readKeystore } from '../src/crypto/index.ts';
import { ShulianClient, govPropose, govVote } from '../src/sdk/index.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

test('a register-route proposal, once approved, changes the routing chain and every chain\'s policy', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  t.after(() => node.stop());
  const c = new ShulianClient({ baseUrl: node.url });
  await waitFor(async () => (await c.state('gov', 'governance/meta')).value !== null, 'governance.init', 30_000);
  await waitFor(async () => (await c.state('sign', 'xchain/route/notary')).value !== null, 'routes synced', 30_000);
  const operator = readKeystore(join(data, 'node', 'key.json'), readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim());
  const alice = generateKeyPair('sm2');
  const bob = generateKeyPair('sm2');
  const current = (await c.state('xroute', 'xroute/routes/notary')).value as Record<string, unknown> & { version: number };
  assert.equal(current.version, 1);
  const { version: _v, proposal: _p, height: _h, ...route } = current;
  const narrowed = { ...route, inbound: [{ srcChain: 'sign', dstPort: '*', senders: [didFromPublicKey(alice.publicKey)] }] };

  // A registration cannot be written on the routing chain directly by anyone else.
  const direct = await c.waitForTx(await c.send('xroute', bob, { module: 'xroute', method: 'approve', args: { route: narrowed as never, proposal: 1 } }));
  assert.equal(direct.receipt.code, 'XROUTE_NOT_VALIDATOR');

  const { id } = await govPropose(c, operator, { kind: 'register-route', title: 'Notary accepts only alice', route: narrowed as never });
  const vote = await govVote(c, operator, id, 'yes');
  assert.equal(vote.status, 'approved');
  await waitFor(async () => ((await c.state('xroute', 'xroute/routes/notary')).value as { version: number }).version === 2, 'the routing chain to apply it', 30_000);
  await waitFor(async () => ((await c.state('sign', 'xchain/route/notary')).value as { version: number }).version === 2, 'the gateway to bring it to sign', 30_000);
  await waitFor(async () => ((await c.state('notary', 'xchain/route/notary')).value as { version: number }).version === 2, 'and to notary', 30_000);

  // Now bob's message is refused by notary's policy (error acknowledgement); alice's is delivered.
  const send = async (k: typeof alice) => {
    const tx = await c.waitForTx(await c.send('sign', k, { module: 'xchain', method: 'send', args: { dstChain: 'notary', dstPort: 'xchain', payload: { hi: 1 } } }));
    assert.equal(tx.receipt.status, 'ok', String(tx.receipt.message));
    return (tx.receipt.result as { sequence: number }).sequence;
  };
  const sb = await send(bob);
  const sa = await send(alice);
  const ack = async (seq: number) => {
    const st = (await c.state('sign', `xchain/st/notary/${seq}`)).value as { status: string; ack?: { ok: boolean; code?: string } } | null;
    return st && st.status === 'acknowledged' ? st.ack : undefined;
  };
  assert.equal((await waitFor(() => ack(sb), 'bob\'s ack', 30_000)).code, 'XCHAIN_FORBIDDEN');
  assert.equal((await waitFor(() => ack(sa), 'alice\'s ack', 30_000)).ok, true);
});
