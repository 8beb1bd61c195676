/**
 * Cross-chain through the `shulian` binary, as the README's tour and docs/cli.md tell a user to
 * run it, against a real `shulian up` node (which runs its own gateway): `tx send … xtransfer
 * issue/mint`, `xchain transfer --wait`, `xchain status` until acknowledged, a transfer back
 * without --wait followed by `xchain status`, `xchain send` to the generic `xchain` port, and the
 * balances on both chains read back after each step; refusals leave every balance as it was.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, fixtureKey, json, jsonError, oneLineError, PW, type CliRun } from './helpers/cli.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

interface KeyInfo {
  did: string;
  file: string;
}
interface MessageView {
  id: string;
  status: string;
  packet: { srcChain: string; dstChain: string; dstPort: string; sequence: number; sender: string; payload: unknown };
  path: Array<{ step: string; chain: string; by: string; ok?: boolean }>;
}
interface Settled {
  tx: string;
  id: string;
  status: string;
  ack?: { ok: boolean; result?: unknown; code?: string };
}

describe('shulian xchain … through the binary, against shulian up', () => {
  const tmp = tempDir('shulian-cli-xchain-');
  let node: NodeProcess;
  let api: string;
  let alice: KeyInfo;
  let bob: KeyInfo;
  const env = { PW };
  const run = (args: string[]): Promise<CliRun> => cli([...args, '--api', api], env);
  const signing = (k: KeyInfo): string[] => ['--key', k.file, '--password-env', 'PW'];
  const state = async (chain: string, key: string): Promise<unknown> =>
    ((await (await fetch(`${api}/v1/chains/${chain}/state?key=${encodeURIComponent(key)}`)).json()) as { value: unknown }).value;
  const balance = async (chain: string, did: string, denom: string): Promise<string> => ((await state(chain, `xtransfer/bal/${did}/${denom}`)) as string | null) ?? '0';
  /** alice's and bob's tokens on both chains, and the escrow on sign for notary. */
  const balances = async (): Promise<Record<string, string>> => ({
    aliceSign: await balance('sign', alice.did, 'CNY-T'),
    bobNotary: await balance('notary', bob.did, 'sign/CNY-T'),
    escrow: ((await state('sign', 'xtransfer/escrow/notary/CNY-T')) as string | null) ?? '0',
  });

  before(async () => {
    node = await startNodeProcess(join(tmp.dir, 'node'));
    api = node.url;
    alice = fixtureKey(join(tmp.dir, 'alice.json'));
    bob = fixtureKey(join(tmp.dir, 'bob.json'));
    // The node's gateway brings the routing chain's registrations to each chain after start.
    const synced = async (chain: string, other: string): Promise<boolean> =>
      ((await (await fetch(`${api}/v1/chains/${chain}/xchain/channels`)).json()) as { channels: Array<{ chain: string }> }).channels.some((c) => c.chain === other);
    await waitFor(async () => (await synced('sign', 'notary')) && (await synced('notary', 'sign')), 'sign and notary routes synced', 90_000);
  });

  after(async () => {
    try {
      if (node) assert.equal(await node.stop(), 0, `shulian up did not stop cleanly:\n${node.output()}`);
    } finally {
      tmp.cleanup();
    }
  });

  test('xchain channels shows the synced counterparty', async () => {
    const r = json<{ channels: Array<{ chain: string; status: string }> }>(await run(['xchain', 'channels', '--chain', 'sign', '--json']));
    assert.equal(r.channels.find((c) => c.chain === 'notary')?.status, 'active');
    const human = await run(['xchain', 'channels', '--chain', 'sign']);
    assert.match(human.stdout, /^sign → notary\s+shulian\s+active\s+sent \d+/m);
  });

  test('the README tour: issue and mint with tx send, xchain transfer --wait, xchain status, balances on both chains', async () => {
    const issue = json<{ receipt: { status: string } }>(await run(['tx', 'send', '--chain', 'sign', '--module', 'xtransfer', '--method', 'issue', '--args', '{"denom":"CNY-T"}', ...signing(alice), '--wait', '--json']));
    assert.equal(issue.receipt.status, 'ok');
    const mint = json<{ receipt: { status: string } }>(await run(['tx', 'send', '--chain', 'sign', '--module', 'xtransfer', '--method', 'mint', '--args', JSON.stringify({ denom: 'CNY-T', to: alice.did, amount: '1000' }), ...signing(alice), '--wait', '--json']));
    assert.equal(mint.receipt.status, 'ok');
    assert.deepEqual(await balances(), { aliceSign: '1000', bobNotary: '0', escrow: '0' });

    const sent = json<Settled>(await run(['xchain', 'transfer', '--chain', 'sign', '--to', 'notary', '--denom', 'CNY-T', '--amount', '250', '--receiver', bob.did, ...signing(alice), '--wait', '--json']));
    assert.match(sent.id, /^sign\/notary\/\d+$/);
    assert.equal(sent.status, 'acknowledged');
    assert.equal(sent.ack?.ok, true);
    assert.deepEqual(await balances(), { aliceSign: '750', bobNotary: '250', escrow: '250' }, 'escrowed on sign, a voucher on notary');

    const status = json<MessageView>(await run(['xchain', 'status', sent.id, '--json']));
    assert.equal(status.status, 'acknowledged');
    assert.deepEqual(status.path.map((p) => [p.step, p.chain]), [['sent', 'sign'], ['received', 'notary'], ['acknowledged', 'sign']]);
    assert.equal(status.packet.dstPort, 'xtransfer');
    assert.equal(status.packet.sender, alice.did);
    const human = await run(['xchain', 'status', sent.id]);
    assert.match(human.stdout, new RegExp(`^${sent.id}: acknowledged$`, 'm'));
    assert.match(human.stdout, /^\s+received\s+notary@\d+ by did:shulian:\S+ ok$/m);
  });

  test('a transfer back without --wait: xchain status follows it until acknowledged', async () => {
    const before = await balances();
    const out = json<{ tx: string; id: string; sequence: number }>(await run(['xchain', 'transfer', '--chain', 'notary', '--to', 'sign', '--denom', 'sign/CNY-T', '--amount', '100', '--receiver', alice.did, ...signing(bob), '--json']));
    assert.match(out.id, /^notary\/sign\/\d+$/);
    assert.equal(out.id, `notary/sign/${out.sequence}`);
    const settled = await waitFor(async () => {
      const r = await run(['xchain', 'status', out.id, '--json']);
      if (r.code !== 0) return undefined; // not in the message list yet
      const m = JSON.parse(r.stdout) as MessageView;
      return m.status === 'acknowledged' ? m : undefined;
    }, `${out.id} acknowledged`, 120_000);
    assert.deepEqual(settled.path.map((p) => p.step), ['sent', 'received', 'acknowledged']);
    assert.deepEqual(await balances(), {
      aliceSign: String(Number(before.aliceSign) + 100), bobNotary: String(Number(before.bobNotary) - 100), escrow: String(Number(before.escrow) - 100),
    }, 'the voucher burnt on notary, the escrow released on sign');
  });

  test('xchain send to the generic xchain port: delivered to notary and acknowledged with {received: true}', async () => {
    const r = json<Settled>(await run(['xchain', 'send', '--chain', 'sign', '--to', 'notary', '--payload', '{"hello":"notary","n":1}', ...signing(alice), '--wait', '--json']));
    assert.equal(r.status, 'acknowledged');
    assert.deepEqual(r.ack, { ok: true, result: { received: true } });
    const seq = Number(r.id.split('/')[2]);
    const recv = (await (await fetch(`${api}/v1/chains/notary/xchain/inbox/sign/${seq}`)).json()) as { packet: MessageView['packet'] };
    assert.deepEqual(recv.packet.payload, { hello: 'notary', n: 1 });
    assert.equal(recv.packet.sender, alice.did);
    assert.equal(recv.packet.dstPort, 'xchain');
    const listed = json<{ messages: Array<{ id: string; status: string }> }>(await run(['xchain', 'messages', '--limit', '50', '--json']));
    assert.equal(listed.messages.find((m) => m.id === r.id)?.status, 'acknowledged');
  });

  test('refusals: more than the balance, malformed input, an unknown message; no balance moves', async () => {
    const before = await balances();
    const tooMuch = await run(['xchain', 'transfer', '--chain', 'sign', '--to', 'notary', '--denom', 'CNY-T', '--amount', '1000000', '--receiver', bob.did, ...signing(alice), '--json']);
    const err = jsonError(tooMuch);
    assert.equal(err.code, 'XTRANSFER_INSUFFICIENT');
    assert.match(err.message, /less than 1000000/);
    assert.match(oneLineError(await run(['xchain', 'send', '--chain', 'sign', '--to', 'notary', '--payload', '{oops', ...signing(alice)]), 2), /--payload must be JSON/);
    assert.match(oneLineError(await run(['xchain', 'status', 'sign-notary-1']), 2), /<source chain>\/<destination chain>\/<sequence>/);
    assert.equal(jsonError(await run(['xchain', 'status', 'sign/notary/99999', '--json'])).code, 'NOT_FOUND');
    assert.deepEqual(await balances(), before);
  });
});
