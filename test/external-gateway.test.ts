/**
 * `shulian gateway --evm` wiring (issue #9 item 4), at the library level: `startEvmGateways`
 * (src/cli/commands/xchain.ts, what the command runs next to its native relay) with two gateways
 * of a k = 2 of 3 XEndpoint on a real in-process ganache, and real LMDB native chains driven by
 * hand (test/helpers/xchain.ts). One token lot goes native → EVM and is acknowledged back. Then
 * the same as processes: `shulian gateway --evm` against a `shulian up` node, the EVM chain
 * registered by a governance register-route proposal. The command's flags are checked too.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import ganache from 'ganache';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, writeKeystore, type KeyPair } from '../src/crypto/index.ts';
import { ShulianClient, govPropose, govVote } from '../src/sdk/index.ts';
import { syncRoutes, type ChainEndpoint } from '../src/crosschain/index.ts';
import { EvmEndpoint } from '../src/crosschain/evm/index.ts';
import type { RouteRecord, SendStatus } from '../src/modules/index.ts';
import { parseEvmSpec, readEvmKey, startEvmGateways } from '../src/cli/commands/xchain.ts';
import { openXchainWorld } from './helpers/xchain.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { solidityArtefact } from './helpers/solidity.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const EVM = 'eth-dev';
const art = solidityArtefact('XEndpoint');
let server: ReturnType<typeof ganache.server>;
let url: string;
let keys: string[];
let addrs: string[];

before(async () => {
  server = ganache.server({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'shanghai' }, wallet: { deterministic: true, totalAccounts: 4 } } as never);
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const accounts = server.provider.getInitialAccounts();
  addrs = Object.keys(accounts).map((a) => a.toLowerCase());
  keys = Object.keys(accounts).map((a) => accounts[a]!.secretKey);
});

after(async () => {
  await server?.close();
});

test('--evm and --evm-key are parsed and checked', async () => {
  assert.deepEqual(parseEvmSpec('eth-dev=http://127.0.0.1:8545,0x5FbDB2315678afecb367f032d93F642f64180aa3'),
    { id: 'eth-dev', url: 'http://127.0.0.1:8545', address: '0x5fbdb2315678afecb367f032d93f642f64180aa3' });
  assert.equal(parseEvmSpec('e=https://rpc.example/v1,0x5FbDB2315678afecb367f032d93F642f64180aa3,42').fromBlock, 42);
  for (const bad of ['eth-dev=http://x', 'eth-dev=ftp://x,0x5FbDB2315678afecb367f032d93F642f64180aa3', 'Eth=http://x,0x5F', 'http://x,0x5FbDB2315678afecb367f032d93F642f64180aa3']) {
    assert.throws(() => parseEvmSpec(bad), /--evm takes <chain id>=<rpc url>,<XEndpoint address>/, bad);
  }
  fc.assert(fc.property(fc.oneof(fc.string(), fc.tuple(fc.string(), fc.webUrl(), fc.string()).map(([a, b, c]) => `${a}=${b},${c}`)), (flag) => {
    try {
      const spec = parseEvmSpec(flag);
      assert.match(spec.address, /^0x[0-9a-f]{40}$/);
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'USAGE', String(err));
    }
  }), { numRuns: 300 });
  const tmp = tempDir('evm-key-');
  try {
    const file = join(tmp.dir, 'k.hex');
    writeFileSync(file, `${keys[1]!.slice(2)}\n`);
    assert.equal(await readEvmKey({ evmKey: file }), keys[1]);
    process.env.SHULIAN_TEST_EVM_KEY = keys[2]!;
    assert.equal(await readEvmKey({ evmKeyEnv: 'SHULIAN_TEST_EVM_KEY' }), keys[2]);
    await assert.rejects(readEvmKey({}), /--evm-key <file> or --evm-key-env/);
    await assert.rejects(readEvmKey({ evmKey: file, evmKeyEnv: 'SHULIAN_TEST_EVM_KEY' }), /give the EVM key once/);
    await assert.rejects(readEvmKey({ evmKeyEnv: 'SHULIAN_TEST_NOT_SET' }), /is not set/);
    writeFileSync(file, 'not a key');
    await assert.rejects(readEvmKey({ evmKey: file }), /must hold a secp256k1 private key/);
    await assert.rejects(readEvmKey({ evmKey: join(tmp.dir, 'missing') }), /cannot read --evm-key file/);
  } finally {
    delete process.env.SHULIAN_TEST_EVM_KEY;
    tmp.cleanup();
  }
  // The command refuses a bad flag before it loads any key or reaches any node.
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cliPath, 'gateway', '--chains', 'alpha', '--key', 'none.json', '--evm', 'eth-dev=http://x'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--evm takes <chain id>=<rpc url>,<XEndpoint address>/);
});

test('startEvmGateways: two of three gateways move a token native → EVM and the acknowledgement back', async (t) => {
  const tmp = tempDir('external-gw-');
  const w = await openXchainWorld(tmp.dir);
  w.clock.now = Math.max(w.clock.now, Date.now());
  const gwKeys = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
  // One tx at a time on the hand-driven chain: every call is its own block.
  let q: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = q.then(f);
    q = p.catch(() => undefined);
    return p;
  };
  const nativeEndpoint = (key: KeyPair): ChainEndpoint => {
    const e = w.a.endpoint(key);
    return { ...e, call: (m, f, a) => serial(() => e.call(m, f, a)) };
  };
  const address = await EvmEndpoint.deploy({ url, privateKey: keys[0]!, bytecode: art.bytecode, chainName: EVM, gateways: addrs.slice(1, 4), threshold: 2 });
  const evmRoute: RouteRecord = {
    chain: EVM, engine: 'ethereum', suite: 'sm2', consensus: 'attested', validators: [], tracksValidators: false,
    gateways: gwKeys.map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey) })), attestThreshold: 2,
    inbound: [{ srcChain: '*', dstPort: 'xtransfer', senders: ['*'] }], status: 'active',
  };
  assert.equal((await w.register(w.routeOf(w.a), 1)).status, 'ok');
  assert.equal((await w.register(evmRoute, 2)).status, 'ok');
  const xroute = w.xroute.endpoint(w.gateway);
  await serial(() => syncRoutes(xroute, w.a.endpoint(w.gateway)));
  const user = new EvmEndpoint({ id: EVM, url, address });
  const logs: string[] = [];
  const running = await Promise.all([0, 1].map((i) => startEvmGateways({
    key: gwKeys[i]!, natives: [nativeEndpoint(gwKeys[i]!)], xroute, evm: [parseEvmSpec(`${EVM}=${url},${address}`)], evmKey: keys[i + 1]!, idleMs: 20,
    log: (line) => logs.push(line),
  })));
  t.after(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await user.close();
    await w.close();
    tmp.cleanup();
  });
  assert.deepEqual(running.map((r) => r.account), [addrs[1], addrs[2]]);

  const alice = generateKeyPair('sm2');
  const aliceDid = didFromPublicKey(alice.publicKey);
  const ok = async (method: string, args: JsonValue): Promise<JsonValue | undefined> => {
    const r = await serial(() => w.a.call(alice, 'xtransfer', method, args));
    assert.equal(r.status, 'ok', `${method}: ${r.code} ${r.message}`);
    return r.result;
  };
  await ok('issue', { denom: 'CNY-T' });
  await ok('mint', { denom: 'CNY-T', to: aliceDid, amount: '1000' });
  await ok('send', { dstChain: EVM, denom: 'CNY-T', amount: '300', receiver: addrs[0]! });
  await waitFor(async () => (await user.balanceOf('alpha/CNY-T', addrs[0]!)) === 300n, 'the voucher on the EVM chain', 60_000);
  const st = await waitFor(() => {
    const s = w.a.state(`xchain/st/${EVM}/1`) as unknown as SendStatus | null;
    return s?.status === 'acknowledged' ? s : undefined;
  }, 'the acknowledgement on alpha', 60_000);
  assert.equal(st.ack?.ok, true);
  assert.equal(w.a.state(`xtransfer/escrow/${EVM}/CNY-T`), '300');
  assert.equal(await user.supply('alpha/CNY-T'), 300n);
  const stats = running.flatMap((r) => r.gateways.map((g) => g.stats));
  // A gateway counts its attestation when it sees its own tx committed, which can be just after
  // the k-th one settled the packet: wait for the counters rather than read them at once.
  await waitFor(() => stats.reduce((n, s) => n + s.attestedOnEvm, 0) >= 2, 'k signatures on the EVM side', 30_000);
  await waitFor(() => stats.reduce((n, s) => n + s.attestedOnNative, 0) >= 2, 'k attestations on alpha', 30_000);
  assert.ok(stats.every((s) => s.refused === 0), JSON.stringify(stats));
});

test('`shulian gateway --evm` as a real process against a real node process moves a token native → EVM', async (t) => {
  const tmp = tempDir('external-gw-proc-');
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  const c = new ShulianClient({ baseUrl: node.url });
  let gw: ReturnType<typeof spawn> | undefined;
  let gwOut = '';
  let gwStdout = '';
  const user = { ep: undefined as EvmEndpoint | undefined };
  t.after(async () => {
    if (gw && gw.exitCode === null) {
      const exited = new Promise((resolve) => gw!.once('exit', resolve));
      gw.kill('SIGTERM');
      await exited;
    }
    await user.ep?.close();
    await node.stop();
    tmp.cleanup();
  });
  try {
    await waitFor(async () => (await c.state('gov', 'governance/meta')).value !== null, 'governance.init', 30_000);
    await waitFor(async () => (await c.state('sign', 'xchain/route/notary')).value !== null, 'routes synced', 30_000);
    const operator = readKeystore(join(data, 'node', 'key.json'), readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim());

    // The gateway: an SM2 DID key (keystore) and a ganache account, the only one of XEndpoint's gateways (k = 1 of 1).
    const gwKey = generateKeyPair('sm2');
    const gwFile = join(tmp.dir, 'gw.json');
    writeKeystore(gwFile, gwKey, 'gateway password');
    const evmId = 'eth-proc';
    const address = await EvmEndpoint.deploy({ url, privateKey: keys[0]!, bytecode: art.bytecode, chainName: evmId, gateways: [addrs[3]!], threshold: 1 });
    const route = {
      chain: evmId, engine: 'ethereum', suite: 'sm2', consensus: 'attested', validators: [], tracksValidators: false,
      gateways: [{ did: didFromPublicKey(gwKey.publicKey), publicKey: toHex(gwKey.publicKey) }], attestThreshold: 1,
      inbound: [{ srcChain: '*', dstPort: 'xtransfer', senders: ['*'] }], status: 'active',
    };
    const { id } = await govPropose(c, operator, { kind: 'register-route', title: `Register ${evmId}`, route: route as never });
    assert.equal((await govVote(c, operator, id, 'yes')).status, 'approved');
    await waitFor(async () => (await c.state('xroute', `xroute/routes/${evmId}`)).value !== null, 'the routing chain to register the EVM chain', 30_000);

    gw = spawn(process.execPath, [cliPath, 'gateway', '--key', gwFile, '--password-env', 'SHULIAN_TEST_GW_PW', '--chains', 'sign', '--api', node.url,
      '--evm', `${evmId}=${url},${address}`, '--evm-key-env', 'SHULIAN_TEST_GW_EVM_KEY', '--json'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHULIAN_TEST_GW_PW: 'gateway password', SHULIAN_TEST_GW_EVM_KEY: keys[3]! },
    });
    gw.stdout!.on('data', (d: Buffer) => {
      gwOut += d.toString();
      gwStdout += d.toString();
    });
    gw.stderr!.on('data', (d: Buffer) => (gwOut += d.toString()));
    const started = await waitFor(() => {
      if (gw!.exitCode !== null) throw new Error(`shulian gateway exited:\n${gwOut}`);
      try {
        return JSON.parse(gwStdout) as { status: string; evm: string[]; evmAccount: string };
      } catch {
        return undefined;
      }
    }, 'the gateway to start', 30_000);
    assert.deepEqual([started.status, started.evm, started.evmAccount], ['running', [evmId], addrs[3]]);
    await waitFor(async () => (await c.state('sign', `xchain/route/${evmId}`)).value !== null, 'the EVM route synced to sign', 30_000);

    const alice = generateKeyPair('sm2');
    const aliceDid = didFromPublicKey(alice.publicKey);
    const ok = async (method: string, args: JsonValue): Promise<JsonValue | undefined> => {
      const tx = await c.waitForTx(await c.send('sign', alice, { module: 'xtransfer', method, args }));
      assert.equal(tx.receipt.status, 'ok', `${method}: ${tx.receipt.code} ${tx.receipt.message}`);
      return tx.receipt.result;
    };
    await ok('issue', { denom: 'CNY-P' });
    await ok('mint', { denom: 'CNY-P', to: aliceDid, amount: '100' });
    const sent = await ok('send', { dstChain: evmId, denom: 'CNY-P', amount: '40', receiver: addrs[0]! }) as { sequence: number };
    user.ep = new EvmEndpoint({ id: evmId, url, address });
    await waitFor(async () => (await user.ep!.balanceOf('sign/CNY-P', addrs[0]!)) === 40n, 'the voucher on the EVM chain', 60_000);
    await waitFor(async () => ((await c.state('sign', `xchain/st/${evmId}/${sent.sequence}`)).value as { status: string } | null)?.status === 'acknowledged', 'the acknowledgement on sign', 60_000);
    assert.equal((await c.state('sign', `xtransfer/escrow/${evmId}/CNY-P`)).value, '40');
  } catch (err) {
    process.stderr.write(`--- gateway output\n${gwOut.slice(-3000)}\n--- node output\n${node.output().slice(-3000)}\n`);
    throw err;
  }
});
