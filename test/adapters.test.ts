/**
 * ChainAdapter: the same code drives a native Shulian business chain (evm module, through the
 * SDK) and an Ethereum chain (a real ganache node started in this process, through ethers).
 * Hardhat is not in node_modules here, so there is no second run against a Hardhat node.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ganache from 'ganache';
import { Interface } from 'ethers';
import { EthereumAdapter, NativeAdapter, type ChainAdapter, type ChainEvent } from '../src/crosschain/adapters/index.ts';
import type { Genesis } from '../src/ledger/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { freePort } from './helpers/node-process.ts';
import { solidityArtefact } from './helpers/solidity.ts';

const art = solidityArtefact('Counter');
const iface = new Interface(art.abi as never);

/** Resolves with the first `n` events the subscription delivers, or fails after `ms`. */
function collect(n: number, ms = 30_000): { events: ChainEvent[]; onEvent: (e: ChainEvent) => void; done: Promise<ChainEvent[]> } {
  const events: ChainEvent[] = [];
  let resolve!: (v: ChainEvent[]) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<ChainEvent[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${n} events within ${ms} ms`)), ms);
  return {
    events, done,
    onEvent: (e) => {
      events.push(e);
      if (events.length === n) {
        clearTimeout(timer);
        resolve(events);
      }
    },
  };
}

/** The engine-independent part: what any caller of the interface does. */
async function counterScenario(a: ChainAdapter, me: string): Promise<void> {
  const deployed = await a.deploy({ bytecode: art.bytecode + iface.encodeDeploy([10]).slice(2) });
  assert.equal(deployed.status, 'ok');
  const counter = deployed.contractAddress.toLowerCase();
  assert.match(counter, /^0x[0-9a-f]{40}$/);
  const read = async (fn: string, args: unknown[] = []): Promise<unknown> => iface.decodeFunctionResult(fn, await a.query({ kind: 'evm', to: counter, data: iface.encodeFunctionData(fn, args) }) as string)[0];
  assert.equal(await read('count'), 10n);
  assert.equal(String(await read('owner')).toLowerCase(), me);

  const topic = iface.getEvent('Incremented')!.topicHash;
  const sub = collect(2);
  const stop = await a.subscribe({ source: counter, topics: [topic] }, sub.onEvent);
  const inc = await a.submit({ kind: 'evm', to: counter, data: iface.encodeFunctionData('increment', [3]) });
  assert.equal(inc.status, 'ok', JSON.stringify(inc.error));
  assert.equal(inc.events.length, 1);
  assert.equal(iface.parseLog({ topics: inc.events[0]!.topics!, data: inc.events[0]!.data as string })!.args[2], 13n);
  await a.submit({ kind: 'evm', to: counter, data: iface.encodeFunctionData('increment', [4]) });
  const events = await sub.done;
  stop();
  assert.deepEqual(events.map((e) => iface.parseLog({ topics: e.topics!, data: e.data as string })!.args[1]), [3n, 4n]);
  assert.ok(events.every((e) => e.source === counter && e.chain === a.id));
  assert.equal(await read('count'), 17n);
  assert.equal(await read('count', []), 17n);
  // Reads at a past height see the past.
  assert.equal(iface.decodeFunctionResult('count', await a.query({ kind: 'evm', to: counter, data: iface.encodeFunctionData('count'), height: inc.height }) as string)[0], 13n);

  // A reverting call is refused with its reason and changes nothing.
  await assert.rejects(a.query({ kind: 'evm', to: counter, data: iface.encodeFunctionData('increment', [0]) }), { code: 'EVM_REVERT', message: /amount must be positive/ });
  const bad = await a.submit({ kind: 'evm', to: counter, data: iface.encodeFunctionData('increment', [0]) }).catch((e: { code: string; message: string }) => e);
  if ('status' in bad) {
    assert.equal(bad.status, 'failed');
    assert.match(bad.error!.message, /amount must be positive/);
  } else {
    assert.equal(bad.code, 'EVM_REVERT');
    assert.match(bad.message, /amount must be positive/);
  }
  assert.equal(await read('count'), 17n);

  // Headers and finality.
  const head = (await a.header('latest'))!;
  assert.ok(head.height >= inc.height);
  const at = (await a.header(inc.height))!;
  assert.equal(at.height, inc.height);
  const parent = (await a.header(inc.height - 1))!;
  assert.equal(at.parentHash, parent.hash);
  assert.equal(await a.header(head.height + 1000), null);
  const fin = await a.finality();
  assert.ok(fin.final <= fin.head && fin.final >= inc.height);

  // Management parity: what `shulian chain list` and the console show for any chain.
  const s = await a.summary(3);
  assert.equal(s.id, a.id);
  assert.equal(s.engine, a.engine);
  assert.ok(s.height >= inc.height);
  assert.equal(s.latestBlocks.length, 3);
  assert.equal(s.latestBlocks[0]!.height, s.height);
  assert.equal(s.latestBlocks[1]!.hash, s.latestBlocks[0]!.parentHash);
}

describe('EthereumAdapter against a real ganache node (in-process)', () => {
  let server: ReturnType<typeof ganache.server>;
  let adapter: EthereumAdapter;
  let url: string;
  let me: string;
  const did = didFromPublicKey(generateKeyPair('sm2').publicKey);

  before(async () => {
    // ganache's option types do not resolve under this tsconfig (its d.ts needs skipped lib checks), hence the cast.
    server = ganache.server({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'shanghai' }, wallet: { deterministic: true, totalAccounts: 2 } } as never);
    await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const accounts = server.provider.getInitialAccounts();
    me = Object.keys(accounts)[0]!;
    adapter = new EthereumAdapter({ id: 'ganache', url, name: 'ganache dev chain', privateKey: accounts[me]!.secretKey, pollMs: 100, identities: [{ did, address: me }] });
  });

  after(async () => {
    await adapter?.close();
    await server?.close();
  });

  test('deploy, call, read, events, revert, headers, finality, summary', async () => {
    assert.equal(adapter.address, me);
    await counterScenario(adapter, me);
    const s = await adapter.summary(1);
    assert.equal(s.chainId, 1337);
    assert.equal(s.name, 'ganache dev chain');
  });

  test('identity mapping is declared per account', () => {
    assert.equal(adapter.accountOf(did), me);
    assert.equal(adapter.didOf(me.toUpperCase().replace('0X', '0x')), did);
    assert.equal(adapter.didOf('0x' + '00'.repeat(20)), undefined);
  });

  test('what an Ethereum chain does not have is refused as ENGINE_UNSUPPORTED', async () => {
    await assert.rejects(adapter.submit({ kind: 'module', module: 'notary', method: 'put', args: {} }), { code: 'ENGINE_UNSUPPORTED' });
    await assert.rejects(adapter.query({ kind: 'state', key: 'x' }), { code: 'ENGINE_UNSUPPORTED' });
    await assert.rejects(adapter.prove({ kind: 'tx', hash: '0x' + '00'.repeat(32) }), { code: 'ENGINE_UNSUPPORTED', message: /k-of-n quorum/ });
    const ro = new EthereumAdapter({ id: 'ro', url });
    await assert.rejects(ro.deploy({ bytecode: art.bytecode }), { code: 'ADAPTER_READ_ONLY' });
    await ro.close();
  });
});

describe('NativeAdapter against a real node with an evm business chain', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'shulian-adapter-'));
  let running: Awaited<ReturnType<typeof import('../src/node/index.ts')['startNode']>>;
  let adapter: NativeAdapter;
  const key = generateKeyPair('sm2');
  const did = didFromPublicKey(key.publicKey);

  before(async () => {
    const { startNode } = await import('../src/node/index.ts');
    const { ShulianClient } = await import('../src/sdk/index.ts');
    const dataDir = join(tmp, 'node');
    const port = await freePort();
    const first = await startNode({ dataDir, port, log: () => {} });
    await first.close();
    const path = join(dataDir, 'alliance.json');
    const alliance = JSON.parse(readFileSync(path, 'utf8')) as { chains: Genesis[] };
    const base = alliance.chains.find((g) => g.chain === 'notary')!;
    alliance.chains.push({ ...base, chain: 'biz', kind: 'business', name: 'EVM business chain', nameZh: 'EVM 业务链', modules: ['evm', 'notary'] });
    writeFileSync(path, JSON.stringify(alliance, null, 2));
    running = await startNode({ dataDir, port, log: () => {} });
    adapter = new NativeAdapter({ client: new ShulianClient({ baseUrl: running.url }), chain: 'biz', key });
  });

  after(async () => {
    await adapter?.close();
    await running?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the same scenario as on ganache', async () => {
    await counterScenario(adapter, adapter.evmAddressOf(did));
  });

  test('module txs, state reads and proofs checked locally', async () => {
    const hash = 'ab'.repeat(32);
    const out = await adapter.submit({ kind: 'module', module: 'notary', method: 'put', args: { hash } });
    assert.equal(out.status, 'ok');
    assert.deepEqual(out.events.map((e) => [e.source, e.name]), [['notary', 'Recorded']]);
    const rec = await adapter.query({ kind: 'state', key: `notary/rec/${hash}` }) as { owner: string };
    assert.equal(rec.owner, did);
    const p = await adapter.prove({ kind: 'state', key: `notary/rec/${hash}` });
    assert.equal(p.proofVerified, true);
    const t = await adapter.prove({ kind: 'tx', hash: out.hash });
    assert.equal(t.height, out.height);
    const again = await adapter.submit({ kind: 'module', module: 'notary', method: 'put', args: { hash } });
    assert.equal(again.status, 'failed');
    assert.equal(again.error!.code, 'NOTARY_EXISTS');
  });

  test('identity: the account is the DID; its EVM address maps back', async () => {
    assert.equal(adapter.accountOf(did), did);
    assert.equal(adapter.didOf(adapter.evmAddressOf(did)), did);
    assert.equal(adapter.didOf(did), did);
    assert.equal(adapter.didOf('nope'), undefined);
    const s = await adapter.summary(2);
    assert.equal(s.engine, 'shulian');
    assert.equal(typeof s.chainId, 'number');
    assert.equal(s.finality.final, s.height);
  });
});
