/**
 * Issue #13 item 1, reproduced the way the attacker did it: a real `shulian up` node process
 * (with its own gateway) and the CLI as child processes. A token transfer forged as a plain
 * `shulian xchain send --port xtransfer` message is refused on the source chain with a clear
 * error; no voucher is minted on the destination, the escrow on the source is untouched and
 * another user's redemption is still paid. Plain messages to port xchain still work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, writeKeystore, type KeyPair } from '../src/crypto/index.ts';
import { ShulianClient } from '../src/sdk/index.ts';
import { cli as runCli } from './helpers/cli.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const PASSWORD = 'xports-test-password';

/** The CLI as a user runs it (helpers/cli.ts), with the keystore password in KEY_PW. */
const cli = (args: string[], timeoutMs = 120_000) => runCli(args, { KEY_PW: PASSWORD }, timeoutMs);

test('shulian xchain send --port xtransfer cannot mint vouchers or drain the escrow on a running node', async (t) => {
  const tmp = tempDir('xports-cli-');
  t.after(tmp.cleanup);
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  t.after(() => node.stop());
  const c = new ShulianClient({ baseUrl: node.url });
  const keyFile = async (name: string): Promise<[KeyPair, string, string]> => {
    const k = generateKeyPair('sm2');
    const file = join(tmp.dir, `${name}.json`);
    await writeKeystore(file, k, PASSWORD);
    return [k, didFromPublicKey(k.publicKey), file];
  };
  const [alice, aliceDid, aliceFile] = await keyFile('alice');
  const [bob, bobDid] = await keyFile('bob');
  const [, me, meFile] = await keyFile('mallory');
  const auth = ['--password-env', 'KEY_PW', '--api', node.url];
  const state = async (chain: string, key: string) => (await c.state(chain, key)).value;

  // The node's gateway brings the routes; alice issues CNY-T on sign and sends 500 to bob on notary.
  await waitFor(async () => (await state('sign', 'xchain/route/notary')) !== null && (await state('notary', 'xchain/route/sign')) !== null, 'routes synced', 90_000)
    .catch((err: Error) => { throw new Error(`${err.message}\nnode output:\n${node.output()}`); });
  for (const [method, args] of [['issue', { denom: 'CNY-T' }], ['mint', { denom: 'CNY-T', to: aliceDid, amount: '1000' }]] as const) {
    const tx = await c.waitForTx(await c.send('sign', alice, { module: 'xtransfer', method, args }));
    assert.equal(tx.receipt.status, 'ok', String(tx.receipt.message));
  }
  const transfer = await cli(['xchain', 'transfer', '--chain', 'sign', '--to', 'notary', '--denom', 'CNY-T', '--amount', '500', '--receiver', bobDid, '--key', aliceFile, '--wait', '--json', ...auth]);
  assert.equal(transfer.code, 0, transfer.stderr);
  assert.equal((JSON.parse(transfer.stdout) as { status: string }).status, 'acknowledged');
  assert.equal(await state('notary', `xtransfer/bal/${bobDid}/sign/CNY-T`), '500');
  assert.equal(await state('sign', 'xtransfer/escrow/notary/CNY-T'), '500');
  const sentBefore = await state('sign', 'xchain/seq/notary');

  // The attack, exactly as reported.
  const forged = await cli(['xchain', 'send', '--chain', 'sign', '--to', 'notary', '--port', 'xtransfer',
    '--payload', JSON.stringify({ denom: 'CNY-T', amount: '1000000', sender: me, receiver: me }), '--key', meFile, '--wait', ...auth]);
  assert.equal(forged.code, 1, `the forged transfer was not refused:\n${forged.stdout}${forged.stderr}`);
  assert.match(forged.stderr, /port xchain.*not to port xtransfer/);
  assert.match(forged.stderr, /shulian xchain transfer/, 'the error says what to use instead');
  assert.match(forged.stderr, /leave out --port/);
  assert.doesNotMatch(forged.stderr, /\n\s+at /, 'no stack trace');
  const asJson = await cli(['xchain', 'send', '--chain', 'sign', '--to', 'notary', '--port', 'xtransfer',
    '--payload', JSON.stringify({ denom: 'CNY-T', amount: '1000000', sender: me, receiver: me }), '--key', meFile, '--wait', '--json', ...auth]);
  assert.equal(asJson.code, 1);
  assert.equal((JSON.parse(asJson.stderr) as { error: { code: string } }).error.code, 'XCHAIN_PORT_MISMATCH');
  // Nothing was sent, nothing minted, the escrow is alpha's real 500.
  assert.deepEqual(await state('sign', 'xchain/seq/notary'), sentBefore, 'no packet left sign');
  assert.equal(await state('notary', `xtransfer/bal/${me}/sign/CNY-T`), null);
  assert.equal(await state('notary', 'xtransfer/supply/sign/CNY-T'), '500');
  assert.equal(await state('sign', 'xtransfer/escrow/notary/CNY-T'), '500');

  // Bob's redemption is paid from the untouched escrow.
  const back = await c.waitForTx(await c.send('notary', bob, { module: 'xtransfer', method: 'send', args: { dstChain: 'sign', denom: 'sign/CNY-T', amount: '500', receiver: bobDid } }));
  assert.equal(back.receipt.status, 'ok', String(back.receipt.message));
  const seq = (back.receipt.result as { sequence: number }).sequence;
  await waitFor(async () => ((await state('notary', `xchain/st/sign/${seq}`)) as { status: string } | null)?.status === 'acknowledged', 'the redemption acknowledged', 90_000);
  assert.deepEqual(((await state('notary', `xchain/st/sign/${seq}`)) as { ack: { ok: boolean } }).ack.ok, true);
  assert.equal(await state('sign', `xtransfer/bal/${bobDid}/CNY-T`), '500');
  assert.equal(await state('sign', 'xtransfer/escrow/notary/CNY-T'), null);

  // What `xchain send` is for still works: a plain message to port xchain, acknowledged.
  const plain = await cli(['xchain', 'send', '--chain', 'sign', '--to', 'notary', '--payload', '{"hello":1}', '--key', meFile, '--wait', '--json', ...auth]);
  assert.equal(plain.code, 0, plain.stderr);
  const st = JSON.parse(plain.stdout) as { status: string; ack: { ok: boolean; result: unknown } };
  assert.equal(st.status, 'acknowledged');
  assert.deepEqual(st.ack, { ok: true, result: { received: true } });
});
