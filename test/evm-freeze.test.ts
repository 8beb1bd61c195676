/**
 * Freezing an EVM contract by governance (issue #25 item 3, docs/engines.md#freezing-an-evm-contract),
 * on a real node (`shulian up`) with an EVM business chain created by vote: once a freeze of a
 * contract's address passes, a tx calling it is refused at submission (TX_FROZEN), a call reaching
 * it from another contract (an internal CALL) fails in execution with FROZEN and changes nothing,
 * eth_call refuses both; other contracts carry on; an unfreeze restores it. Bad targets and
 * proposers without the role are refused at proposal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interface } from 'ethers';
import { generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import type { Receipt } from '../src/ledger/index.ts';
import { ShulianClient, ethCall, govPropose, type ProposalInput } from '../src/sdk/index.ts';
import { createEvmChain, passAsOperator } from './helpers/evm-chain.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { solidityArtefact } from './helpers/solidity.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const BIZ = 'biz';
const counter = solidityArtefact('Counter');
const forwarder = solidityArtefact('Forwarder');
const ci = new Interface(counter.abi as never);
const fi = new Interface(forwarder.abi as never);
let tmp: ReturnType<typeof tempDir>;
let node: NodeProcess;
let client: ShulianClient;
let operator: KeyPair;
const user = generateKeyPair('sm2');

const pass = (input: ProposalInput): Promise<number> => passAsOperator(client, operator, input);

async function tx(method: 'deploy' | 'call', args: Record<string, string>): Promise<Receipt> {
  const hash = await client.send(BIZ, user, { module: 'evm', method, args });
  return (await client.waitForTx(hash, { timeoutMs: 60_000 })).receipt;
}

const count = async (at: string): Promise<bigint> => BigInt(await ethCall(client, BIZ, { to: at, data: ci.encodeFunctionData('count') }));

before(async () => {
  tmp = tempDir('evm-freeze-');
  const data = join(tmp.dir, 'data');
  node = await startNodeProcess(data);
  client = new ShulianClient({ baseUrl: node.url });
  await waitFor(async () => (await client.state('gov', 'governance/meta')).value !== null, 'governance.init', 60_000);
  operator = readKeystore(join(data, 'node', 'key.json'), readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim());
  await createEvmChain(client, operator, BIZ);
});

after(async () => {
  await node?.stop();
  tmp?.cleanup();
});

test('a frozen EVM contract: refused at submission, through another contract and in eth_call; others carry on; unfreezing restores it', { timeout: 600_000 }, async () => {
  const deploy = async (code: string): Promise<string> => {
    const r = await tx('deploy', { code });
    assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
    return (r.result as { address: string }).address;
  };
  const target = await deploy(counter.bytecode + ci.encodeDeploy([5]).slice(2));
  const other = await deploy(counter.bytecode + ci.encodeDeploy([100]).slice(2));
  const fwd = await deploy(forwarder.bytecode);
  const inc = ci.encodeFunctionData('increment', [1]);
  const via = (to: string) => fi.encodeFunctionData('forward', [to, inc]);
  // Before: both paths work.
  assert.equal((await tx('call', { to: target, data: inc })).status, 'ok');
  assert.equal((await tx('call', { to: fwd, data: via(target) })).status, 'ok');
  assert.equal(await count(target), 7n);

  const id = await pass({ kind: 'freeze', target: { type: 'evm-contract', chain: BIZ, address: target.toUpperCase().replace('0X', '0x') }, reason: 'a flaw in increment' });
  const mixedCase = target.toUpperCase().replace('0X', '0x');
  // The business chain reads the governance height its next blocks name: wait until a direct call is refused.
  const refusedAtSubmission = async (): Promise<Error & { code?: string }> => {
    try {
      await client.send(BIZ, user, { module: 'evm', method: 'call', args: { to: mixedCase, data: inc } });
    } catch (err) {
      return err as Error & { code?: string };
    }
    throw new Error('a call to the frozen contract was admitted');
  };
  let direct: (Error & { code?: string }) | undefined;
  await waitFor(async () => {
    try {
      direct = await refusedAtSubmission();
      return true;
    } catch {
      return false;
    }
  }, 'a call to the frozen contract refused at submission', 60_000);
  assert.equal(direct!.code, 'TX_FROZEN', direct!.message);
  assert.match(direct!.message, new RegExp(`EVM contract ${target} is frozen by governance proposal #${id}.*a flaw in increment`));

  // Through another contract: admitted (the tx names the forwarder), failed by its block, nothing changed.
  const internal = await tx('call', { to: fwd, data: via(target) });
  assert.equal(internal.status, 'failed');
  assert.equal(internal.code, 'FROZEN', internal.message ?? '');
  assert.match(internal.message!, new RegExp(`proposal #${id}`));
  assert.equal(await count(other), 100n, 'reading another contract still works');
  // eth_call refuses a read of the frozen contract, directly and through the forwarder.
  await assert.rejects(count(target), (e: Error & { code?: string }) => e.code === 'FROZEN' && e.message.includes(`proposal #${id}`));
  await assert.rejects(ethCall(client, BIZ, { to: fwd, data: via(target) }), (e: Error & { code?: string }) => e.code === 'FROZEN');
  // Other contracts carry on, through the forwarder too.
  assert.equal((await tx('call', { to: fwd, data: via(other) })).status, 'ok');
  assert.equal((await tx('call', { to: other, data: inc })).status, 'ok');
  assert.equal(await count(other), 102n);

  // Unfreezing restores it: the count it kept is where the freeze left it.
  await pass({ kind: 'unfreeze', target: { type: 'evm-contract', chain: BIZ, address: target }, reason: 'fixed off chain; calls resume' });
  await waitFor(async () => count(target).then(() => true, () => false), 'eth_call on the unfrozen contract', 60_000);
  assert.equal(await count(target), 7n, 'nothing the refused calls tried was written');
  let r: Receipt | undefined;
  await waitFor(async () => {
    try {
      r = await tx('call', { to: target, data: inc });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'TX_FROZEN') return false;
      throw err;
    }
  }, 'a direct call admitted again', 60_000);
  assert.equal(r!.status, 'ok', `${r!.code}: ${r!.message}`);
  assert.equal((await tx('call', { to: fwd, data: via(target) })).status, 'ok');
  assert.equal(await count(target), 9n);
});

test('a freeze of an EVM contract is refused on a chain without the evm module, with a malformed address, and from a member without the role', { timeout: 300_000 }, async () => {
  const propose = (key: KeyPair, target: Record<string, string>) => govPropose(client, key, { kind: 'freeze', target, reason: 'test' } as unknown as ProposalInput, { timeoutMs: 60_000 });
  const addr = '0x' + '11'.repeat(20);
  await assert.rejects(propose(operator, { type: 'evm-contract', chain: 'notary', address: addr }),
    (e: Error & { code?: string }) => e.code === 'GOV_PAYLOAD_INVALID' && /runs no evm module/.test(e.message));
  await assert.rejects(propose(operator, { type: 'evm-contract', chain: BIZ, address: '0x1234' }),
    (e: Error) => /address must be an EVM address/.test(e.message));
  await assert.rejects(propose(operator, { type: 'evm-contract', chain: 'nowhere', address: addr }),
    (e: Error & { code?: string }) => e.code === 'GOV_CHAIN_NOT_FOUND');
  // Someone who is neither a regulator nor the operator: not even a member.
  await assert.rejects(propose(user, { type: 'evm-contract', chain: BIZ, address: addr }),
    (e: Error & { code?: string }) => e.code !== undefined && e.code !== 'GOV_PAYLOAD_INVALID');
});
