/**
 * The evm module on a native business chain: a Solidity contract (contracts/solidity/Counter.sol,
 * compiled with the solc npm package) deployed and called with SM2-signed Shulian transactions,
 * first on a real LMDB chain driven by hand (failure cases, determinism, replay), then on a real
 * node through the SDK, and read through ethers' JsonRpcProvider against the node's eth endpoint.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AbiCoder, Contract, Interface, JsonRpcProvider, Wallet, keccak256 } from 'ethers';
import fc from 'fast-check';
import { Chain, AdmissionPool } from '../src/chain/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Block, type Genesis, type Receipt } from '../src/ledger/index.ts';
import { createEvmModule, evmAddressOfDid, didOfEvmAddress, evmChainIdOf, modulesFor, notaryModule } from '../src/modules/index.ts';
import { Executor, asyncMethod, method, type ModuleDef } from '../src/runtime/index.ts';
import { DEFAULT_PARAMS } from '../src/node/index.ts';
import { RenderPool } from '../src/api/render-pool.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { freePort } from './helpers/node-process.ts';
import { solidityArtefact } from './helpers/solidity.ts';
import { waitFor } from './helpers/tmp.ts';

const art = solidityArtefact('Counter');
const iface = new Interface(art.abi as never);
const deployCode = (start: number): string => art.bytecode + iface.encodeDeploy([start]).slice(2);

describe('identity mapping', () => {
  test('a DID\'s EVM address is the 20 bytes behind its id, and maps back', () => {
    const key = generateKeyPair('sm2');
    const did = didFromPublicKey(key.publicKey);
    const addr = evmAddressOfDid(did);
    assert.match(addr, /^0x[0-9a-f]{40}$/);
    assert.equal(didOfEvmAddress(addr), did);
    assert.throws(() => evmAddressOfDid('did:example:123'), { code: 'EVM_BAD_DID' });
    assert.throws(() => didOfEvmAddress('0x12'), { code: 'EVM_BAD_ADDRESS' });
    fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => {
      const a = '0x' + Buffer.from(b).toString('hex');
      assert.equal(evmAddressOfDid(didOfEvmAddress(a)), a);
    }));
  });

  test('chain ids: 48 bits of SM3(chain id), fixed per chain', () => {
    assert.equal(evmChainIdOf('biz'), evmChainIdOf('biz'));
    assert.notEqual(evmChainIdOf('biz'), evmChainIdOf('biz2'));
    assert.ok(Number.isSafeInteger(evmChainIdOf('biz')) && evmChainIdOf('biz') < 2 ** 48);
  });
});

describe('runtime: asynchronous methods', () => {
  test('the executor awaits an async method before the next tx; sync methods are unchanged', async () => {
    const order: string[] = [];
    const mod: ModuleDef = {
      name: 'slow', description: 'test',
      methods: {
        put: asyncMethod({
          doc: 'writes after a tick', args: { safeParse: (a: unknown) => ({ success: true, data: a }) } as never, gas: 10,
          async runAsync(ctx, args) {
            await new Promise((r) => setImmediate(r));
            order.push(`async ${String(args)}`);
            ctx.set('k', args as never);
            return 'done';
          },
        }),
        read: method({
          doc: 'reads', args: { safeParse: (a: unknown) => ({ success: true, data: a }) } as never, gas: 10,
          run(ctx) {
            order.push('sync');
            return ctx.get('k') ?? null;
          },
        }),
      },
    };
    assert.throws(() => mod.methods.put!.run({} as never, 1), { code: 'ASYNC_METHOD' });
    const exec = new Executor([mod], new Set(['slow']));
    const key = generateKeyPair('sm2');
    const txs = [signTx(key, { chain: 'c', module: 'slow', method: 'put', args: 7, nonce: 0, expires: 9 }), signTx(key, { chain: 'c', module: 'slow', method: 'read', args: null, nonce: 1, expires: 9 })];
    const r = await exec.executeBlock({ get: () => undefined }, { chain: 'c', height: 1, time: 1, maxTxGas: 1_000_000 }, txs.map((t) => ({ tx: t.tx, hash: t.hash, bytes: 100 })));
    assert.deepEqual(order, ['async 7', 'sync']);
    assert.deepEqual(r.receipts.map((x) => x.result), ['done', 7]);
  });
});

describe('evm module: arbitrary input (property)', () => {
  test('random init code and call data either run or fail with a ShulianError, and a failure writes nothing', async () => {
    const { MapContext } = await import('../src/runtime/index.ts');
    const { ShulianError } = await import('../src/codec/index.ts');
    const mod = createEvmModule({ maxTxGas: 300_000 });
    const store = new Map<string, string>();
    const did = didFromPublicKey(generateKeyPair('sm2').publicKey);
    const ctx = new MapContext(store, did, 3, 1_700_000_000_000, 'biz');
    const dep = await mod.methods.deploy!.runAsync!(ctx, { code: deployCode(1) }) as { address: string };
    const codes = new Set(['EVM_REVERT', 'OUT_OF_GAS', 'EVM_FAILED']);
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 96 }), async (deploy, bytes) => {
      const before = JSON.stringify([...store]);
      const hex = '0x' + Buffer.from(bytes).toString('hex');
      try {
        if (deploy) await mod.methods.deploy!.runAsync!(ctx, { code: hex });
        else await mod.methods.call!.runAsync!(ctx, { to: dep.address, data: hex });
      } catch (err) {
        assert.ok(err instanceof ShulianError && codes.has(err.code), String(err));
        assert.equal(JSON.stringify([...store]), before);
      }
    }), { numRuns: 200 });
  });
});

interface Harness {
  t: TestChain;
  user: KeyPair;
  nonce: number;
  send(method: 'deploy' | 'call', args: Record<string, unknown>, key?: KeyPair): Promise<{ receipt: Receipt; block: Block }>;
}

function bizGenesis(over: Partial<Genesis> = {}): Partial<Genesis> {
  return { chain: 'biz', kind: 'business', name: 'EVM business chain', nameZh: 'EVM 业务链', modules: ['evm', 'notary'], ...over };
}

describe('evm module on a real chain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-evm-'));
  let h: Harness;
  let counter: string;
  const blocks: Block[] = [];
  const nonces = new Map<string, number>();

  before(async () => {
    const t = await openTestChain(dir, 'sm2', bizGenesis(), [createEvmModule({ maxTxGas: DEFAULT_PARAMS.maxTxGas }), notaryModule]);
    const user = generateKeyPair('sm2');
    let now = t.genesis.time;
    h = {
      t, user, nonce: 0,
      async send(m, args, key = user) {
        const did = didFromPublicKey(key.publicKey);
        const nonce = nonces.get(did) ?? 0;
        nonces.set(did, nonce + 1);
        const { tx, hash } = signTx(key, { chain: 'biz', module: 'evm', method: m, args: args as never, nonce, expires: t.chain.height() + 10 });
        const [res] = await t.chain.submit([tx]);
        assert.equal(res!.accepted, true, JSON.stringify(res));
        now += 1000;
        const block = (await t.chain.produceBlock(now))!;
        blocks.push(block);
        const receipt = block.receipts.find((r) => r.tx === hash)!;
        return { receipt, block };
      },
    };
  });

  after(async () => {
    await h?.t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const evmState = (key: string): unknown => h.t.chain.getState(`evm/${key}`).value;
  const slot = (n: number): string => n.toString(16).padStart(64, '0');

  test('deploy: the contract\'s code and constructor state land in the chain state, provably', async () => {
    const { receipt } = await h.send('deploy', { code: deployCode(41) });
    assert.equal(receipt.status, 'ok', String(receipt.message));
    counter = (receipt.result as { address: string }).address;
    assert.match(counter, /^0x[0-9a-f]{40}$/);
    assert.ok(receipt.events.some((e) => e.module === 'evm' && e.type === 'Deployed'));
    const a = counter.slice(2);
    assert.equal(evmState(`code/${a}`), art.deployedBytecode.slice(2));
    assert.equal(evmState(`st/${a}/0/${slot(0)}`), (41).toString(16).padStart(2, '0'));
    const owner = evmState(`st/${a}/0/${slot(1)}`) as string;
    assert.equal('0x' + owner.padStart(40, '0'), evmAddressOfDid(didFromPublicKey(h.user.publicKey)));
    const proved = h.t.chain.getState(`evm/code/${a}`, { proof: true });
    assert.ok(proved.proof, 'the code has a state proof');
    // The EVM gas was charged as Shulian gas.
    assert.ok(receipt.gasUsed > (receipt.result as { gasUsed: number }).gasUsed);
  });

  test('call: increments, emits the event as a Log, returns the ABI-encoded result', async () => {
    const { receipt } = await h.send('call', { to: counter, data: iface.encodeFunctionData('increment', [2]) });
    assert.equal(receipt.status, 'ok', String(receipt.message));
    const ret = iface.decodeFunctionResult('increment', (receipt.result as { returnData: string }).returnData);
    assert.equal(ret[0], 43n);
    const logs = receipt.events.filter((e) => e.type === 'Log');
    assert.equal(logs.length, 1);
    const parsed = iface.parseLog(logs[0]!.data as { topics: string[]; data: string })!;
    assert.equal(parsed.name, 'Incremented');
    assert.equal(parsed.args[0].toLowerCase(), evmAddressOfDid(didFromPublicKey(h.user.publicKey)));
    assert.equal(parsed.args[2], 43n);
  });

  test('the contract sees Shulian\'s block: height, block time in seconds, chain id; no coinbase, no randomness', async () => {
    const { receipt, block } = await h.send('call', { to: counter, data: iface.encodeFunctionData('env') });
    const [number, timestamp, chainId, coinbase, prevrandao] = iface.decodeFunctionResult('env', (receipt.result as { returnData: string }).returnData);
    assert.equal(number, BigInt(block.header.height));
    assert.equal(timestamp, BigInt(Math.floor(block.header.time / 1000)));
    assert.equal(chainId, BigInt(evmChainIdOf('biz')));
    assert.equal(coinbase, '0x0000000000000000000000000000000000000000');
    assert.equal(prevrandao, 0n);
  });

  test('a reverting call fails the tx with the revert reason and changes nothing', async () => {
    const a = counter.slice(2);
    const before = { count: evmState(`st/${a}/0/${slot(0)}`), acct: evmState(`acct/${evmAddressOfDid(didFromPublicKey(h.user.publicKey)).slice(2)}`) };
    const { receipt } = await h.send('call', { to: counter, data: iface.encodeFunctionData('increment', [0]) });
    assert.equal(receipt.status, 'failed');
    assert.equal(receipt.code, 'EVM_REVERT');
    assert.match(receipt.message!, /amount must be positive/);
    assert.deepEqual(receipt.events, []);
    assert.ok(receipt.gasUsed > 0, 'the gas it used is still reported');
    assert.deepEqual({ count: evmState(`st/${a}/0/${slot(0)}`), acct: evmState(`acct/${evmAddressOfDid(didFromPublicKey(h.user.publicKey)).slice(2)}`) }, before);
  });

  test('out of gas changes nothing: an EVM gas limit too small, and more gas than the chain allows', async () => {
    const a = counter.slice(2);
    const stateBefore = h.t.chain.getState(`evm/st/${a}/0/${slot(0)}`).value;
    const { receipt } = await h.send('call', { to: counter, data: iface.encodeFunctionData('fill', [50]), gas: 60_000 });
    assert.equal(receipt.status, 'failed');
    assert.equal(receipt.code, 'OUT_OF_GAS');
    // fill(n) writes byCaller[address(i+1)] (mapping at slot 2): none of them exists afterwards.
    const firstSlot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], ['0x' + '00'.repeat(19) + '01', 2])).slice(2);
    assert.equal(h.t.chain.getState(`evm/st/${a}/0/${firstSlot}`).value, null);
    const me = evmAddressOfDid(didFromPublicKey(h.user.publicKey)).slice(2);
    const acctBefore = h.t.chain.getState(`evm/acct/${me}`).value;
    const { receipt: r2 } = await h.send('call', { to: counter, data: iface.encodeFunctionData('fill', [400]) });
    assert.equal(r2.status, 'failed');
    assert.equal(r2.code, 'OUT_OF_GAS', String(r2.message));
    assert.deepEqual(r2.events, []);
    assert.equal(h.t.chain.getState(`evm/st/${a}/0/${slot(0)}`).value, stateBefore);
    assert.equal(h.t.chain.getState(`evm/st/${a}/0/${firstSlot}`).value, null);
    assert.deepEqual(h.t.chain.getState(`evm/acct/${me}`).value, acctBefore, 'not even the EVM nonce moved');
    assert.ok(h.t.chain.getState(`evm/acct/${a}`).value, 'the contract is still there');
  });

  test('nested calls: a reverted inner call\'s writes are undone, the caller\'s kept', async () => {
    const probe = solidityArtefact('Probe');
    const pi = new Interface(probe.abi as never);
    const { receipt } = await h.send('deploy', { code: probe.bytecode });
    assert.equal(receipt.status, 'ok', String(receipt.message));
    const p = (receipt.result as { address: string }).address;
    const { receipt: r } = await h.send('call', { to: p, data: pi.encodeFunctionData('outer', [5]) });
    assert.equal(r.status, 'ok', String(r.message));
    assert.equal(pi.decodeFunctionResult('outer', (r.result as { returnData: string }).returnData)[0], false);
    assert.equal(evmState(`st/${p.slice(2)}/0/${slot(0)}`), null, 'a (written by the reverted inner call) is not stored');
    assert.equal(evmState(`st/${p.slice(2)}/0/${slot(1)}`), '05');

    // A child created and destroyed in one tx (EIP-6780) leaves nothing; created again, it is whole.
    const salt = '0x' + '42'.repeat(32);
    const { receipt: k } = await h.send('call', { to: p, data: pi.encodeFunctionData('spawn', [salt, true]) });
    assert.equal(k.status, 'ok', String(k.message));
    const child = String(pi.decodeFunctionResult('spawn', (k.result as { returnData: string }).returnData)[0]).toLowerCase().slice(2);
    assert.equal(evmState(`acct/${child}`), null);
    assert.equal(evmState(`code/${child}`), null);
    assert.equal(evmState(`st/${child}/0/${slot(0)}`), null);
    const { receipt: k2 } = await h.send('call', { to: p, data: pi.encodeFunctionData('spawn', [salt, false]) });
    assert.equal(k2.status, 'ok', String(k2.message));
    assert.equal(String(pi.decodeFunctionResult('spawn', (k2.result as { returnData: string }).returnData)[0]).toLowerCase().slice(2), child);
    assert.equal(evmState(`st/${child}/0/${slot(0)}`), '07');
    assert.ok(evmState(`code/${child}`));
  });

  test('bad args are refused with a clear error and change nothing', async () => {
    const { receipt } = await h.send('call', { to: 'nope', data: '0x' });
    assert.equal(receipt.code, 'BAD_ARGS');
    assert.match(receipt.message!, /to: an EVM address/);
    const { receipt: r2 } = await h.send('deploy', { code: '0x' });
    assert.equal(r2.code, 'BAD_ARGS');
  });

  test('two users, a deploy and a call to it in one block: executed in order', async () => {
    const other = generateKeyPair('sm2');
    const otherDid = didFromPublicKey(other.publicKey);
    const userDid = didFromPublicKey(h.user.publicKey);
    const t = h.t;
    // The other user's first deploy goes to the CREATE address of its address and EVM nonce 0.
    const { getCreateAddress } = await import('ethers');
    const predicted = getCreateAddress({ from: evmAddressOfDid(otherDid), nonce: 0 }).toLowerCase();
    const n1 = nonces.get(otherDid) ?? 0;
    const n2 = nonces.get(userDid) ?? 0;
    nonces.set(otherDid, n1 + 1);
    nonces.set(userDid, n2 + 1);
    const d = signTx(other, { chain: 'biz', module: 'evm', method: 'deploy', args: { code: deployCode(1) }, nonce: n1, expires: t.chain.height() + 10 });
    const c = signTx(h.user, { chain: 'biz', module: 'evm', method: 'call', args: { to: predicted, data: iface.encodeFunctionData('increment', [5]) }, nonce: n2, expires: t.chain.height() + 10 });
    await t.chain.submit([d.tx, c.tx]);
    const block = (await t.chain.produceBlock(blocks[blocks.length - 1]!.header.time + 1000))!;
    blocks.push(block);
    assert.equal(block.txs.length, 2);
    const rd = block.receipts.find((r) => r.tx === d.hash)!;
    const rc = block.receipts.find((r) => r.tx === c.hash)!;
    assert.equal((rd.result as { address: string }).address, predicted);
    assert.equal(rc.status, 'ok', String(rc.message));
    assert.equal(iface.decodeFunctionResult('increment', (rc.result as { returnData: string }).returnData)[0], 6n);
  });

  test('replay: a second node executing the same blocks gets the same state roots and receipts', async () => {
    const pool = new AdmissionPool({ threads: 1 });
    const replica = await Chain.open({ genesis: h.t.genesis, dir: join(dir, 'replica'), modules: modulesFor(h.t.genesis), admission: pool });
    try {
      for (const b of blocks) {
        const c = await replica.validateBlock(b, b.header.time);
        assert.equal(c.block.header.stateRoot, b.header.stateRoot);
        assert.deepEqual(c.block.receipts, b.receipts);
        await replica.commitCandidate(c);
      }
      assert.equal(replica.info().stateRoot, h.t.chain.info().stateRoot);
      // A tampered block (one more increment claimed in the receipt) is caught by re-execution.
      const last = blocks[blocks.length - 1]!;
      const other = await Chain.open({ genesis: h.t.genesis, dir: join(dir, 'replica2'), modules: modulesFor(h.t.genesis), admission: pool });
      try {
        for (const b of blocks.slice(0, -1)) await other.commitCandidate(await other.validateBlock(b, b.header.time));
        const forged = { ...last, header: { ...last.header, stateRoot: '00'.repeat(32) } };
        await assert.rejects(other.validateBlock(forged, last.header.time), { code: 'BLOCK_INVALID' });
      } finally {
        await other.close();
      }
    } finally {
      await replica.close();
      await pool.close();
    }
  });
});

describe('evm on a real node: SDK writes, ethers reads', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'shulian-evm-node-'));
  type Sdk = typeof import('../src/sdk/index.ts');
  let sdk: Sdk;
  let running: Awaited<ReturnType<typeof import('../src/node/index.ts')['startNode']>>;
  let client: InstanceType<Sdk['ShulianClient']>;
  let key: KeyPair;
  let did: string;
  let provider: JsonRpcProvider;
  let rpcUrl: string;
  let counter: string;
  let deployHash: string;
  let incHash: string;
  // The EVM's worker pool: one worker, three waiting; [0] = 1 holds each task at its start in the worker, [1] counts tasks started.
  const hold = new Int32Array(new SharedArrayBuffer(8));
  const evmPool = new RenderPool({ workers: 1, queue: 3, hold, work: 'EVM calls running' });
  const GAS_CAP = 1_000_000;

  before(async () => {
    sdk = await import('../src/sdk/index.ts');
    const { startNode } = await import('../src/node/index.ts');
    const dataDir = join(tmp, 'node');
    const port = await freePort();
    // First start creates the embedded alliance; a business chain running evm is then added to
    // the alliance file, with this node as its validator, and the node restarted.
    const first = await startNode({ dataDir, port, log: () => {} });
    await first.close();
    const path = join(dataDir, 'alliance.json');
    const alliance = JSON.parse(readFileSync(path, 'utf8')) as { chains: Genesis[] };
    const base = alliance.chains.find((g) => g.chain === 'notary')!;
    alliance.chains.push({ ...base, ...bizGenesis() } as Genesis);
    writeFileSync(path, JSON.stringify(alliance, null, 2));
    running = await startNode({ dataDir, port, log: () => {}, api: { eth: { pool: evmPool, perAddress: 2, gasCap: GAS_CAP } } });
    client = new sdk.ShulianClient({ baseUrl: running.url });
    key = sdk.generateKeyPair('sm2');
    did = sdk.didFromPublicKey(key.publicKey);
    rpcUrl = `${running.url}/v1/chains/biz/eth`;
    provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, polling: false });
  });

  after(async () => {
    Atomics.store(hold, 0, 0);
    Atomics.notify(hold, 0);
    provider?.destroy();
    await running?.close();
    await evmPool.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('deploy and call through the SDK (SM2-signed Shulian txs)', async () => {
    deployHash = await client.send('biz', key, { module: 'evm', method: 'deploy', args: { code: deployCode(100) } });
    const d = await client.waitForTx(deployHash, { timeoutMs: 60_000 });
    assert.equal(d.receipt.status, 'ok', String(d.receipt.message));
    counter = (d.receipt.result as { address: string }).address;
    incHash = await client.send('biz', key, { module: 'evm', method: 'call', args: { to: counter, data: iface.encodeFunctionData('increment', [7]) } });
    const c = await client.waitForTx(incHash, { timeoutMs: 60_000 });
    assert.equal(c.receipt.status, 'ok', String(c.receipt.message));
    // The contract state is provable through the SDK like any state.
    const v = await client.verifiedState('biz', `evm/code/${counter.slice(2)}`);
    assert.equal(v.proofVerified, true);
    assert.equal(v.value, art.deployedBytecode.slice(2));
  });

  test('ethers reads it: network, contract calls, code, storage, balance, nonce', async () => {
    const net = await provider.getNetwork();
    assert.equal(net.chainId, BigInt(evmChainIdOf('biz')));
    const height = await provider.getBlockNumber();
    assert.ok(height >= 2);
    const c = new Contract(counter, art.abi as never, provider);
    assert.equal(await c.getFunction('count')(), 107n);
    const me = evmAddressOfDid(did);
    assert.equal(await c.getFunction('byCaller')(me), 7n);
    assert.equal((await c.getFunction('owner')()).toLowerCase(), me);
    assert.equal(await provider.getCode(counter), art.deployedBytecode);
    assert.equal(BigInt(await provider.getStorage(counter, 0)), 107n);
    assert.equal(await provider.getBalance(me), 0n);
    assert.equal(await provider.getTransactionCount(me), 2);
    // A past block: the count before the increment.
    const inc = await client.tx(incHash);
    assert.equal(inc.status, 'committed');
    const before = (inc as { height: number }).height - 1;
    assert.equal(await c.getFunction('count')({ blockTag: before }), 100n);
  });

  test('ethers reads blocks, receipts, transactions and logs', async () => {
    const receipt = (await provider.getTransactionReceipt('0x' + deployHash))!;
    assert.equal(receipt.status, 1);
    assert.equal(receipt.contractAddress!.toLowerCase(), counter);
    const r2 = (await provider.getTransactionReceipt('0x' + incHash))!;
    assert.equal(r2.logs.length, 1);
    assert.equal(r2.to!.toLowerCase(), counter);
    const parsed = iface.parseLog(r2.logs[0]!)!;
    assert.equal(parsed.args[1], 7n);
    const block = (await provider.getBlock(r2.blockNumber))!;
    assert.equal(block.hash, r2.blockHash);
    assert.ok(block.transactions.includes('0x' + incHash));
    const byHash = (await provider.getBlock(r2.blockHash))!;
    assert.equal(byHash.number, r2.blockNumber);
    const full = (await provider.getBlock(receipt.blockNumber, true))!;
    const deployTx = full.prefetchedTransactions.find((t) => t.hash === '0x' + deployHash)!;
    assert.equal(deployTx.to, null);
    assert.equal(deployTx.data, art.bytecode + iface.encodeDeploy([100]).slice(2));
    const tx = (await provider.getTransaction('0x' + incHash))!;
    assert.equal(tx.from.toLowerCase(), evmAddressOfDid(did));
    assert.equal(tx.data, iface.encodeFunctionData('increment', [7]));
    const c = new Contract(counter, art.abi as never, provider);
    const events = await c.queryFilter(c.filters.Incremented!(evmAddressOfDid(did)), 0, 'latest');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.transactionHash, '0x' + incHash);
    const none = await c.queryFilter(c.filters.Incremented!('0x' + '11'.repeat(20)), 0, 'latest');
    assert.equal(none.length, 0);
    assert.equal(await provider.getTransactionReceipt('0x' + 'ab'.repeat(32)), null);
    assert.equal(await provider.getBlock(height() + 1000), null);
    function height(): number {
      return r2.blockNumber;
    }
  });

  test('eth_call reverts with the reason; eth_estimateGas dry-runs; writes are refused', async () => {
    const c = new Contract(counter, art.abi as never, provider);
    await assert.rejects(c.getFunction('increment').staticCall(0), (e: { code?: string; reason?: string }) => e.code === 'CALL_EXCEPTION' && e.reason === 'amount must be positive');
    const est = await provider.estimateGas({ to: counter, data: iface.encodeFunctionData('increment', [1]), from: evmAddressOfDid(did) });
    assert.ok(est > 10_000n && est < 200_000n, `estimate ${est}`);
    // The estimate is enough as the call's EVM gas limit, one less is not (a binary search).
    const dry = async (gas: bigint): Promise<boolean> => provider.call({ to: counter, data: iface.encodeFunctionData('increment', [1]), from: evmAddressOfDid(did), gasLimit: gas }).then(() => true, () => false);
    assert.equal(await dry(est), true);
    assert.equal(await dry(est - 1n), false);
    // A read-only call changes nothing.
    assert.equal(await c.getFunction('count')(), 107n);
    const wallet = new Wallet('0x' + '11'.repeat(32), provider);
    await assert.rejects(wallet.sendTransaction({ to: counter, data: '0x', gasLimit: 100_000n, gasPrice: 0n, nonce: 0, chainId: BigInt(evmChainIdOf('biz')) }), /SM2-signed Shulian transactions/);
  });

  test('JSON-RPC errors have proper codes; bad input never breaks the endpoint', async () => {
    const post = async (body: string): Promise<{ status: number; json: unknown }> => {
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };
    const code = (j: unknown): number => (j as { error: { code: number } }).error.code;
    assert.equal(code((await post('{bad')).json), -32700);
    assert.equal(code((await post('{"jsonrpc":"2.0","id":1,"method":"eth_nope","params":[]}')).json), -32601);
    assert.equal(code((await post('{"jsonrpc":"2.0","id":1,"method":"eth_getCode","params":["0x12"]}')).json), -32602);
    assert.equal(code((await post('{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}')).json), -32600);
    assert.equal(code((await post('{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x00"]}')).json), -32003);
    assert.equal(code((await post('{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x' + '00'.repeat(20) + '","0xffffff"]}')).json), -32001);
    const batch = (await post('[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"net_version"},{"jsonrpc":"2.0","method":"eth_chainId"}]')).json as Array<{ id: number; result: string }>;
    assert.deepEqual(batch.map((x) => x.id), [1, 2]);
    assert.equal(batch[1]!.result, String(evmChainIdOf('biz')));
    const other = await fetch(`${running.url}/v1/chains/nope/eth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(other.status, 404);
    // The notary chain answers block queries but not EVM calls.
    const notary = await fetch(`${running.url}/v1/chains/notary/eth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x' + '00'.repeat(20) + '"},"latest"]}' });
    assert.equal(code(await notary.json()), -32004);
    const methods = ['eth_call', 'eth_getLogs', 'eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_getStorageAt', 'eth_getTransactionReceipt', 'eth_estimateGas', 'eth_getBalance'];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...methods), fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }), async (m, params) => {
      const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params }));
      assert.equal(r.status, 200);
      const j = r.json as { result?: unknown; error?: { code: number } };
      assert.ok('result' in j || (j.error && j.error.code !== -32603), JSON.stringify(j));
    }), { numRuns: 150 });
    // Still serving.
    assert.equal(await new Contract(counter, art.abi as never, provider).getFunction('count')(), 107n);
  });

  test('a flood of endless eth_calls runs on the EVM workers within the gas cap: one address gets two at once, /v1/health answers and another client is served', async () => {
    /** One JSON-RPC request from `localAddress`, over its own connection. */
    const rpcFrom = (localAddress: string, body: unknown): Promise<{ status: number; json: { result?: string; error?: { code: number; message: string } } }> => new Promise((resolve, reject) => {
      const u = new URL(rpcUrl);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    // Init code that never stops (JUMPDEST; PUSH1 0; JUMP), run by eth_call without `to`: only the gas cap ends it.
    const LOOP = '0x5b600056';
    const spin = (i: number) => ({ jsonrpc: '2.0', id: i, method: 'eth_call', params: [{ data: LOOP }, 'latest'] });
    Atomics.store(hold, 0, 1);
    const started = Atomics.load(hold, 1);
    try {
      // Six at once from one address: two are taken (one in the worker, one waiting), four refused at once.
      const settled = [false, false, false, false, false, false];
      const flood = settled.map((_, i) => rpcFrom('127.0.0.1', spin(i)).then((r) => {
        settled[i] = true;
        return r;
      }));
      await waitFor(() => settled.filter(Boolean).length === 4 && evmPool.running === 1 && evmPool.queued === 1 && Atomics.load(hold, 1) === started + 1, 'four refusals, one call in the worker and one waiting');
      const refused = await Promise.all(flood.filter((_, i) => settled[i]));
      for (const r of refused) {
        assert.equal(r.status, 200);
        assert.equal(r.json.error?.code, -32005);
        assert.match(r.json.error!.message, /2 eth_call \/ eth_estimateGas from this address \(127\.0\.0\.1\) are running, the most one address may run at once/);
      }
      // The node answers while the EVM is busy: health, and a block read, before any of the flood's calls has finished.
      const health = await fetch(`${running.url}/v1/health`);
      assert.deepEqual([health.status, ((await health.json()) as { status: string }).status], [200, 'ok']);
      assert.equal((await rpcFrom('127.0.0.3', { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })).json.result !== undefined, true);
      // Another client's call is taken (it waits for the worker) and answered with the contract's state.
      const count = rpcFrom('127.0.0.2', { jsonrpc: '2.0', id: 9, method: 'eth_call', params: [{ to: counter, data: iface.encodeFunctionData('count') }, 'latest'] });
      await waitFor(() => evmPool.queued === 2, 'the other client\'s call waiting for the worker');
      // Many addresses fill the pool's queue: one more waits, the next is refused at once.
      const third = rpcFrom('127.0.0.4', spin(20));
      await waitFor(() => evmPool.queued === 3, 'a third address waiting');
      const full = await rpcFrom('127.0.0.5', spin(21));
      assert.equal(full.json.error?.code, -32005);
      assert.match(full.json.error!.message, /^limit exceeded: this node has 1 EVM calls running and 3 more waiting, the most it takes; retry in \d+ s$/);
      assert.equal(settled.filter(Boolean).length, 4, 'none of the flood\'s accepted calls has finished');
      Atomics.store(hold, 0, 0);
      Atomics.notify(hold, 0);
      assert.equal(BigInt((await count).json.result!), 107n);
      assert.equal((await third).json.error?.code, -32000, 'the third address\'s loop ran, to the gas cap');
      // The endless calls end at the gas cap, each with a clear error.
      const ran = (await Promise.all(flood)).filter((r) => r.json.error?.code !== -32005);
      assert.equal(ran.length, 2);
      for (const r of ran) assert.deepEqual(r.json.error, { code: -32000, message: `the EVM stopped: out of gas (this node gives one eth_call at most ${GAS_CAP} gas)` });
      // The address may call again once its calls have answered.
      assert.equal(BigInt((await rpcFrom('127.0.0.1', { jsonrpc: '2.0', id: 10, method: 'eth_call', params: [{ to: counter, data: iface.encodeFunctionData('count') }, 'latest'] })).json.result!), 107n);
    } finally {
      Atomics.store(hold, 0, 0);
      Atomics.notify(hold, 0);
    }
  });
});

