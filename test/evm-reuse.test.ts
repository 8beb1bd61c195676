/**
 * The evm module reuses its EVM instances (issue #20: building one cost more than the call):
 * sequential runs build none, runs that overlap each get their own, and nothing of one run —
 * warm addresses and slots (EIP-2929), a reverted call's changes, the block — reaches the next:
 * the same call on the same state gives the same result, gas included, however many ran before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbiCoder, Interface, keccak256 } from 'ethers';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { createEvmModule, evmAddressOfDid } from '../src/modules/index.ts';
import { evmInstancesBuilt } from '../src/modules/evm/engine.ts';
import { ModuleError, MapContext } from '../src/runtime/index.ts';
import { solidityArtefact } from './helpers/solidity.ts';

const art = solidityArtefact('Counter');
const iface = new Interface(art.abi);
const mod = createEvmModule({ maxTxGas: 2_000_000 });
const sender = didFromPublicKey(generateKeyPair('sm2').publicKey);
const CHAIN = 'evm-reuse';

/** Deploys Counter(5) into a fresh store; returns the store and the contract's address. */
async function deployed(): Promise<{ store: Map<string, string>; address: string }> {
  const ctx = new MapContext(new Map(), sender, 1, 1_700_000_000_000, CHAIN);
  const code = art.bytecode + iface.encodeDeploy([5]).slice(2);
  const { address } = await mod.methods.deploy!.runAsync!(ctx, { code }) as { address: string };
  return { store: ctx.store, address };
}

interface Run { result: unknown; store: Array<[string, string]>; events: unknown[]; error?: string }

/** increment(amount) on a copy of `store`, at `height`: the result, the store after it, the events. */
async function incrementOn(store: Map<string, string>, address: string, amount: number, height = 2): Promise<Run> {
  const ctx = new MapContext(new Map(store), sender, height, 1_700_000_000_000 + height * 1000, CHAIN);
  try {
    const result = await mod.methods.call!.runAsync!(ctx, { to: address, data: iface.encodeFunctionData('increment', [amount]) });
    return { result, store: [...ctx.store].sort(), events: ctx.events };
  } catch (err) {
    return { result: null, store: [...ctx.store].sort(), events: ctx.events, error: err instanceof ModuleError ? err.code : String(err) };
  }
}

test('the same call on the same state gives the same result and gas, first or after others, alone or overlapping', async () => {
  const { store, address } = await deployed();
  const first = await incrementOn(store, address, 3);
  assert.equal(first.error, undefined);
  assert.equal(iface.decodeFunctionResult('increment', (first.result as { returnData: string }).returnData)[0], 8n);
  // Again on the same (unchanged) state: a journal left warm by the first run would make its SLOADs cheaper.
  assert.deepEqual(await incrementOn(store, address, 3), first);
  // A reverted call leaves nothing behind for the next run.
  const reverted = await incrementOn(store, address, 0);
  assert.equal(reverted.error, 'EVM_REVERT');
  assert.deepEqual(reverted.store, [...store].sort(), 'a reverted call writes nothing');
  assert.deepEqual(await incrementOn(store, address, 3), first);
  // Overlapping runs (a block's call and eth_calls interleave on one event loop) each get their own EVM.
  const overlapping = await Promise.all([1, 2, 3, 4].map(() => incrementOn(store, address, 3)));
  for (const r of overlapping) assert.deepEqual(r, first);
});

test('sequential runs reuse one EVM; each run sees its own block', async () => {
  const { store, address } = await deployed();
  await incrementOn(store, address, 1);
  const built = evmInstancesBuilt();
  const envOf = async (height: number): Promise<bigint[]> => {
    const ctx = new MapContext(new Map(store), sender, height, 1_700_000_000_000 + height * 1000, CHAIN);
    const { returnData } = await mod.methods.call!.runAsync!(ctx, { to: address, data: iface.encodeFunctionData('env', []) }) as { returnData: string };
    const [number, timestamp] = iface.decodeFunctionResult('env', returnData) as unknown as [bigint, bigint];
    return [number, timestamp];
  };
  for (let h = 10; h < 20; h++) {
    assert.deepEqual(await envOf(h), [BigInt(h), BigInt(1_700_000_000 + h)]);
    assert.equal((await incrementOn(store, address, 2, h)).error, undefined);
  }
  assert.equal(evmInstancesBuilt() - built, 0, 'no EVM built for sequential runs once one is at rest');
});

test('code is cached by its value: another state with other code at the same address runs its own code', async () => {
  // The same sender's first CREATE gives the same address in two fresh states: Counter in one, Probe in the other.
  const { store: counterStore, address } = await deployed();
  const probe = solidityArtefact('Probe');
  const probeIface = new Interface(probe.abi);
  const ctx = new MapContext(new Map(), sender, 1, 1_700_000_000_000, CHAIN);
  const { address: probeAddress } = await mod.methods.deploy!.runAsync!(ctx, { code: probe.bytecode }) as { address: string };
  assert.equal(probeAddress, address);
  const probeStore = ctx.store;
  // Interleaved, so the other contract's code was the last one decoded each time.
  for (let i = 0; i < 3; i++) {
    assert.equal((await incrementOn(counterStore, address, 1)).error, undefined);
    assert.equal((await incrementOn(probeStore, address, 1)).error, 'EVM_REVERT', 'Probe has no increment: its fallback-less dispatch reverts');
    const c = new MapContext(new Map(probeStore), sender, 2, 1_700_000_002_000, CHAIN);
    const { returnData } = await mod.methods.call!.runAsync!(c, { to: address, data: probeIface.encodeFunctionData('outer', [7]) }) as { returnData: string };
    assert.equal(probeIface.decodeFunctionResult('outer', returnData)[0], false);
  }
});

test('a call writes exactly the keys it changed, slots hexed as 64 digits (the contract account, read and unchanged, is not written)', async () => {
  const { store, address } = await deployed();
  const sets: string[] = [];
  const ctx = new (class extends MapContext {
    override set(key: string, value: Parameters<MapContext['set']>[1]): void {
      sets.push(key);
      super.set(key, value);
    }
  })(new Map(store), sender, 2, 1_700_000_002_000, CHAIN);
  await mod.methods.call!.runAsync!(ctx, { to: address, data: iface.encodeFunctionData('increment', [3]) });
  const a = address.slice(2).toLowerCase();
  const me = evmAddressOfDid(sender);
  // byCaller is slot 2: byCaller[me] lives at keccak256(pad32(me) ++ pad32(2)).
  const byCallerSlot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [me, 2])).slice(2);
  assert.deepEqual(sets.sort(), [
    `acct/${me.slice(2)}`, // the sender's nonce
    `st/${a}/0/${'00'.repeat(31)}00`, // count
    `st/${a}/0/${byCallerSlot}`,
  ].sort());
  assert.equal(ctx.store.get(`st/${a}/0/${'00'.repeat(32)}`), JSON.stringify('08'), 'count 5 + 3, hex without leading zero bytes');
  assert.equal(ctx.store.get(`st/${a}/0/${byCallerSlot}`), JSON.stringify('03'));
  assert.equal(ctx.store.get(`acct/${a}`), store.get(`acct/${a}`));
});
