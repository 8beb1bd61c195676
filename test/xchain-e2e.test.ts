/**
 * Cross-chain on a running alliance: a real `shulian up` node (without its own gateway) and two
 * independent gateway processes (`shulian gateway`, each with its own DID). Tokens and a bill of
 * lading move from the signing chain to the notarisation chain and back; the first gateway is
 * killed (SIGKILL) mid-stream and the second finishes the work: nothing lost, duplicated or
 * minted from nothing. A transfer to a destination nobody relays times out and is refunded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, writeKeystore } from '../src/crypto/index.ts';
import { ShulianClient } from '../src/sdk/index.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const PASSWORD = 'gateway-test-password';

function startGateway(api: string, keyFile: string, chains: string): { proc: ChildProcess; out: () => string; kill9: () => Promise<void>; stop: () => Promise<void> } {
  const proc = spawn(process.execPath, [cliPath, 'gateway', '--api', api, '--key', keyFile, '--password-env', 'GW_PASSWORD', '--chains', chains], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GW_PASSWORD: PASSWORD },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<void>((r) => proc.on('exit', () => r()));
  return {
    proc, out: () => out,
    kill9: async () => { proc.kill('SIGKILL'); await exit; },
    stop: async () => { proc.kill('SIGTERM'); await exit; },
  };
}

test('tokens and a bill of lading cross chains and back through independent gateways, surviving a gateway killed mid-relay', async (t) => {
  const tmp = tempDir('xchain-e2e-');
  t.after(tmp.cleanup);
  const gw1 = generateKeyPair('sm2');
  const gw2 = generateKeyPair('sm2');
  const files = [join(tmp.dir, 'gw1.json'), join(tmp.dir, 'gw2.json')];
  await writeKeystore(files[0]!, gw1, PASSWORD);
  await writeKeystore(files[1]!, gw2, PASSWORD);
  const reg = (k: typeof gw1) => `${didFromPublicKey(k.publicKey)}=${toHex(k.publicKey)}`;
  const node = await startNodeProcess(join(tmp.dir, 'node'), undefined, ['--no-gateway', '--extra-gateway', reg(gw1), reg(gw2)]);
  t.after(() => node.stop());
  const c = new ShulianClient({ baseUrl: node.url });
  const alice = generateKeyPair('sm2');
  const aliceDid = didFromPublicKey(alice.publicKey);
  const bob = generateKeyPair('sm2');
  const bobDid = didFromPublicKey(bob.publicKey);
  const ok = async (chain: string, key: typeof alice, module: string, method: string, args: Record<string, unknown>) => {
    const tx = await c.waitForTx(await c.send(chain, key, { module, method, args: args as never }));
    assert.equal(tx.receipt.status, 'ok', `${module}.${method}: ${tx.receipt.message}`);
    return tx.receipt.result;
  };
  const bal = async (chain: string, did: string, denom: string) => ((await c.state(chain, `xtransfer/bal/${did}/${denom}`)).value as string | null) ?? '0';
  const settled = async (src: string, dst: string, seq: number) => {
    const st = (await c.state(src, `xchain/st/${dst}/${seq}`)).value as { status: string } | null;
    return st !== null && st.status !== 'sent' ? st.status : undefined;
  };

  await ok('sign', alice, 'xtransfer', 'issue', { denom: 'CNY-T' });
  await ok('sign', alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount: '100000' });
  // The first gateway brings the registrations from the routing chain (no chain sends before it knows its route).
  const g1 = startGateway(node.url, files[0]!, 'sign,notary');
  t.after(() => g1.stop());
  await waitFor(async () => (await c.state('sign', 'xchain/route/notary')).value !== null && (await c.state('notary', 'xchain/route/sign')).value !== null, 'routes synced', 60_000)
    .catch((err: Error) => { throw new Error(`${err.message}\ngateway output:\n${g1.out()}`); });
  // Twenty transfers at once; the first gateway is killed as soon as it has delivered one.
  await Promise.all(Array.from({ length: 20 }, () => c.send('sign', alice, { module: 'xtransfer', method: 'send', args: { dstChain: 'notary', denom: 'CNY-T', amount: '100', receiver: bobDid } })));
  await waitFor(async () => (await c.state('notary', 'xchain/recv/sign/1')).value !== null, 'the first gateway to deliver something', 60_000)
    .catch((err: Error) => { throw new Error(`${err.message}\ngateway output:\n${g1.out()}`); });
  await g1.kill9();
  const g2 = startGateway(node.url, files[1]!, 'sign,notary');
  t.after(() => g2.stop());
  await waitFor(async () => (await settled('sign', 'notary', 20)) === 'acknowledged', 'all twenty acknowledged', 90_000);
  for (let s = 1; s <= 20; s++) assert.equal(await settled('sign', 'notary', s), 'acknowledged', `packet ${s}`);
  assert.equal(await bal('notary', bobDid, 'sign/CNY-T'), '2000', 'every transfer credited exactly once');
  assert.equal(await bal('sign', aliceDid, 'CNY-T'), '98000');
  assert.equal((await c.state('sign', 'xchain/st/notary/1')).value !== null, true);

  // Back: bob returns 500 of the vouchers; the escrow on sign releases them.
  const back = await ok('notary', bob, 'xtransfer', 'send', { dstChain: 'sign', denom: 'sign/CNY-T', amount: '500', receiver: aliceDid }) as { sequence: number };
  await waitFor(async () => (await settled('notary', 'sign', back.sequence)) === 'acknowledged', 'the way back', 60_000);
  assert.equal(await bal('sign', aliceDid, 'CNY-T'), '98500');
  assert.equal(await bal('notary', bobDid, 'sign/CNY-T'), '1500');
  assert.equal((await c.state('sign', 'xtransfer/escrow/notary/CNY-T')).value, '1500');

  // A bill of lading to notary and back.
  const digest = toHex(sm3(new TextEncoder().encode('bill of lading COSU-42')));
  const { id } = await ok('sign', alice, 'xdoc', 'issue', { id: 'BL-42', kind: 'bill-of-lading', hash: digest, holder: aliceDid }) as { id: string };
  const out = await ok('sign', alice, 'xdoc', 'send', { id, dstChain: 'notary', receiver: bobDid }) as { sequence: number };
  await waitFor(async () => (await settled('sign', 'notary', out.sequence)) === 'acknowledged', 'the bill of lading to arrive', 60_000);
  assert.equal(((await c.state('notary', `xdoc/doc/${id}`)).value as { holder: string }).holder, bobDid);
  const home = await ok('notary', bob, 'xdoc', 'send', { id, dstChain: 'sign', receiver: aliceDid }) as { sequence: number };
  await waitFor(async () => (await settled('notary', 'sign', home.sequence)) === 'acknowledged', 'the bill of lading to return', 60_000);
  const doc = (await c.state('sign', `xdoc/doc/${id}`)).value as { holder: string; state: string };
  assert.deepEqual([doc.holder, doc.state], [aliceDid, 'here']);

  // A transfer to a chain no gateway relays for (data) times out; once a gateway proves it, alice is refunded.
  const lost = await ok('sign', alice, 'xtransfer', 'send', { dstChain: 'data', denom: 'CNY-T', amount: '700', receiver: bobDid, timeoutTime: Date.now() + 1_500 }) as { sequence: number };
  assert.equal(await bal('sign', aliceDid, 'CNY-T'), '97800');
  // Blocks on data move its clock past the timeout (any tx makes a block); then a gateway for sign,data proves it.
  const timeoutTime = ((await c.state('sign', `xchain/out/data/${lost.sequence}`)).value as { timeoutTime: number }).timeoutTime;
  let n = 0;
  await waitFor(async () => {
    await ok('data', bob, 'notary', 'put', { hash: toHex(sm3(new TextEncoder().encode(`tick ${n++}`))) });
    return ((await c.blocks('data', { limit: 1 }))[0]?.time ?? 0) >= timeoutTime;
  }, 'the data chain to pass the timeout', 30_000);
  const g3 = startGateway(node.url, files[1]!, 'sign,data');
  t.after(() => g3.stop());
  await waitFor(async () => (await settled('sign', 'data', lost.sequence)) === 'timed-out', 'the timeout to be proven', 60_000);
  assert.equal(await bal('sign', aliceDid, 'CNY-T'), '98500', 'refunded');
  assert.equal(await bal('data', bobDid, 'sign/CNY-T'), '0');
  // The messages route shows each one's path, with the gateway that relayed it.
  const { messages } = await c.getJson<{ messages: Array<{ id: string; path: Array<{ step: string; by: string }> }> }>('/xchain/messages?limit=100');
  const first = messages.find((m) => m.id === 'sign/notary/1');
  assert.deepEqual(first?.path.map((p) => p.step), ['sent', 'received', 'acknowledged']);
  assert.ok([didFromPublicKey(gw1.publicKey), didFromPublicKey(gw2.publicKey)].includes(first!.path[1]!.by));
});
