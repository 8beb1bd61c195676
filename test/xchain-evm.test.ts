/**
 * Tokens between a native chain and an EVM chain (issue #9 item 2): a real ganache node started
 * in this process runs XEndpoint (contracts/solidity/XEndpoint.sol); real LMDB native chains
 * (routing chain + alpha) are driven by hand. The EVM chain is registered on the routing chain as
 * `consensus: "attested"` with 3 gateways and k = 2; each gateway is an EvmGateway instance with
 * its own SM2 DID key (native side) and secp256k1 account (EVM side), and nobody coordinates them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import ganache from 'ganache';
import { Wallet } from 'ethers';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sign, type KeyPair } from '../src/crypto/index.ts';
import { syncRoutes, type ChainEndpoint } from '../src/crosschain/index.ts';
import {
  EvmEndpoint, EvmGateway, evmRecvDigest, nativeClientOf, signDigest, toEvmPacket, type EvmPacket,
} from '../src/crosschain/evm/index.ts';
import { attestationMessage, attestedAckMessage, attestedTimeoutMessage, type AttestedAck, type Packet, type RouteRecord, type SendStatus } from '../src/modules/index.ts';
import type { Receipt } from '../src/ledger/index.ts';
import { openXchainWorld, type HandChain, type XchainWorld } from './helpers/xchain.ts';
import { solidityArtefact } from './helpers/solidity.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const EVM = 'eth-dev';
const art = solidityArtefact('XEndpoint');
const alice = generateKeyPair('sm2');
const aliceDid = didFromPublicKey(alice.publicKey);
const bob = generateKeyPair('sm2');
const bobDid = didFromPublicKey(bob.publicKey);
const gwKeys = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
const gwDids = gwKeys.map((k) => didFromPublicKey(k.publicKey));

let server: ReturnType<typeof ganache.server>;
let url: string;
/** ganache accounts: 0 deploys and is the EVM user, 1-3 are the gateways, 4 an outsider. */
let keys: string[];
let addrs: string[];

before(async () => {
  // ganache's option types do not resolve under this tsconfig, hence the cast (as in adapters.test.ts).
  server = ganache.server({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'shanghai' }, wallet: { deterministic: true, totalAccounts: 5 } } as never);
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const accounts = server.provider.getInitialAccounts();
  addrs = Object.keys(accounts).map((a) => a.toLowerCase());
  keys = Object.keys(accounts).map((a) => accounts[a]!.secretKey);
});

after(async () => {
  await server?.close();
});

/** One tx at a time on the hand-driven native chains (each call is its own block). */
function serial(): { run<T>(f: () => Promise<T>): Promise<T> } {
  let q: Promise<unknown> = Promise.resolve();
  return {
    run<T>(f: () => Promise<T>): Promise<T> {
      const p = q.then(f);
      q = p.catch(() => undefined);
      return p;
    },
  };
}

interface World extends XchainWorld {
  ex: ChainEndpoint;
  evmRoute: RouteRecord;
  user: EvmEndpoint;
  userAddr: string;
  gateways: EvmGateway[];
  gwEvm: EvmEndpoint[];
  lock: ReturnType<typeof serial>;
  call(c: HandChain, key: KeyPair, module: string, method: string, args: JsonValue): Promise<Receipt>;
  ok(c: HandChain, key: KeyPair, module: string, method: string, args: JsonValue): Promise<JsonValue | undefined>;
  nativeEndpoint(key: KeyPair): ChainEndpoint;
}

async function world(t: { after(fn: () => Promise<void>): void }): Promise<World> {
  const tmp = tempDir('xchain-evm-');
  const w = await openXchainWorld(tmp.dir);
  // Native block time follows the wall clock from here, so timeouts mean the same on both chains.
  w.clock.now = Math.max(w.clock.now, Date.now());
  const lock = serial();
  const call = (c: HandChain, key: KeyPair, module: string, method: string, args: JsonValue): Promise<Receipt> => lock.run(() => c.call(key, module, method, args));
  const nativeEndpoint = (key: KeyPair): ChainEndpoint => {
    const e = w.a.endpoint(key);
    return { ...e, call: (m, f, a) => lock.run(() => e.call(m, f, a)) };
  };
  const address = await EvmEndpoint.deploy({ url, privateKey: keys[0]!, bytecode: art.bytecode, chainName: EVM, gateways: addrs.slice(1, 4), threshold: 2 });
  const evmRoute: RouteRecord = {
    chain: EVM, engine: 'ethereum', suite: 'sm2', consensus: 'attested', validators: [], tracksValidators: false,
    gateways: gwKeys.map((k, i) => ({ did: gwDids[i]!, publicKey: toHex(k.publicKey) })), attestThreshold: 2,
    inbound: [{ srcChain: '*', dstPort: 'xtransfer', senders: ['*'] }], status: 'active',
  };
  assert.equal((await w.register(w.routeOf(w.a), 1)).status, 'ok');
  assert.equal((await w.register(evmRoute, 2)).status, 'ok');
  const ex = w.xroute.endpoint(w.gateway);
  assert.deepEqual((await syncRoutes(ex, w.a.endpoint(w.gateway))).sort(), ['alpha', EVM]);
  const user = new EvmEndpoint({ id: EVM, url, address, privateKey: keys[0]! });
  const gwEvm = [1, 2, 3].map((i) => user.as(keys[i]!));
  const gateways = gwKeys.map((k, i) => new EvmGateway({ native: nativeEndpoint(k), nativeKey: k, nativeClient: nativeClientOf(w.routeOf(w.a)), evm: gwEvm[i]!, idleMs: 20 }));
  t.after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await user.close();
    await w.close();
    tmp.cleanup();
  });
  const ok = async (c: HandChain, key: KeyPair, module: string, method: string, args: JsonValue): Promise<JsonValue | undefined> => {
    const r = await call(c, key, module, method, args);
    assert.equal(r.status, 'ok', `${module}.${method}: ${r.code} ${r.message}`);
    return r.result;
  };
  return { ...w, ex, evmRoute, user, userAddr: addrs[0]!, gateways, gwEvm, lock, call, ok, nativeEndpoint };
}

const bal = (c: HandChain, did: string, denom: string): string => (c.state(`xtransfer/bal/${did}/${denom}`) as string | null) ?? '0';
const status = (c: HandChain, dst: string, seq: number): SendStatus => c.state(`xchain/st/${dst}/${seq}`) as unknown as SendStatus;

/** Runs the given gateways' rounds by hand, one after another, until a full pass does nothing. */
async function settle(gws: EvmGateway[], maxPasses = 12): Promise<void> {
  for (let i = 0; i < maxPasses; i++) {
    let work = 0;
    for (const g of gws) {
      const r = await g.relayOnce();
      work += r.attestedOnEvm + r.attestedOnNative;
    }
    if (!work) return;
  }
  throw new Error(`gateways still busy after ${maxPasses} passes`);
}

async function fund(w: World, amount = '1000'): Promise<void> {
  await w.ok(w.a, alice, 'xtransfer', 'issue', { denom: 'CNY-T' });
  await w.ok(w.a, alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount });
}

test('tokens go native → EVM and back, and EVM → native and back; k = 2 of 3 gateways each step; supply conserved', async (t) => {
  const w = await world(t);
  const [g0, g1, g2] = w.gateways as [EvmGateway, EvmGateway, EvmGateway];
  await fund(w);
  const sent = await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '300', receiver: w.userAddr }) as { sequence: number };
  assert.equal(sent.sequence, 1);
  assert.equal(w.a.state(`xtransfer/escrow/${EVM}/CNY-T`), '300');
  // One gateway's signature is not enough; the second executes the packet on the EVM chain.
  assert.equal((await g0.relayOnce()).attestedOnEvm, 1);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 0n);
  assert.equal((await g1.relayOnce()).attestedOnEvm, 1);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 300n);
  assert.equal(await w.user.supply('alpha/CNY-T'), 300n);
  // The acknowledgement goes back the same way: two gateways attest the EVM receipt to alpha.
  assert.equal((await g2.relayOnce()).attestedOnNative, 1);
  assert.equal(status(w.a, EVM, 1).status, 'sent');
  assert.equal((await g0.relayOnce()).attestedOnNative, 1);
  assert.equal(status(w.a, EVM, 1).status, 'acknowledged');
  assert.equal(status(w.a, EVM, 1).ack?.ok, true);

  // Home again: the voucher is burnt on the EVM chain, the escrow released on alpha.
  const back = await w.user.send('alpha', 'alpha/CNY-T', 100n, aliceDid, { timeMs: w.clock.now + 600_000 });
  assert.equal(back.status, 'ok', String(back.error));
  assert.equal(await w.user.supply('alpha/CNY-T'), 200n);
  await settle([g1, g2]);
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '800');
  assert.equal(w.a.state(`xtransfer/escrow/${EVM}/CNY-T`), '200');
  assert.equal((await w.user.outbound('alpha', 1)).status, 'acknowledged');

  // A token of the EVM chain goes to alpha as the voucher eth-dev/USD-T, and part of it comes home.
  assert.equal((await w.user.issue('USD-T')).status, 'ok');
  assert.equal((await w.user.mint('USD-T', w.userAddr, 500n)).status, 'ok');
  assert.equal((await w.user.send('alpha', 'USD-T', 200n, bobDid, { timeMs: w.clock.now + 600_000 })).status, 'ok');
  await settle([g0, g2]);
  assert.equal(bal(w.a, bobDid, `${EVM}/USD-T`), '200');
  assert.equal(w.a.state(`xtransfer/supply/${EVM}/USD-T`), '200');
  assert.equal(await w.user.escrow('alpha', 'USD-T'), 200n);
  assert.equal((await w.user.outbound('alpha', 2)).status, 'acknowledged');
  await w.ok(w.a, bob, 'xtransfer', 'send', { dstChain: EVM, denom: `${EVM}/USD-T`, amount: '50', receiver: w.userAddr });
  await settle([g0, g1]);
  assert.equal(await w.user.balanceOf('USD-T', w.userAddr), 350n);
  assert.equal(await w.user.escrow('alpha', 'USD-T'), 150n);
  assert.equal(w.a.state(`xtransfer/supply/${EVM}/USD-T`), '150', 'vouchers on alpha equal the escrow on the EVM chain');
  assert.equal(status(w.a, EVM, 2).status, 'acknowledged');
  // Every gateway's light client followed alpha's headers while signing.
  assert.ok(w.gateways.every((g) => g.client.latestHeight > 0));
});

test('a timeout on each side refunds; a late packet is never executed', async (t) => {
  const w = await world(t);
  await fund(w);
  // Native → EVM, timing out at an EVM height: nobody relays it in time.
  const head = await w.user.head();
  await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '400', receiver: w.userAddr, timeoutHeight: head.number + 2 });
  const outPacket = w.a.state(`xchain/out/${EVM}/1`) as unknown as Packet;
  for (let i = 0; i < 3; i++) await w.user.provider.send('evm_mine', []);
  await settle([w.gateways[0]!, w.gateways[1]!]);
  assert.equal(status(w.a, EVM, 1).status, 'timed-out');
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '1000');
  assert.equal(w.a.state(`xtransfer/escrow/${EVM}/CNY-T`), null);
  // Two gateways' signatures delivered late: the endpoint refuses to execute it.
  const ep = toEvmPacket(outPacket) as EvmPacket;
  const digest = evmRecvDigest(await w.user.domain(), [ep]);
  const late = await w.user.recv([ep], [signDigest(new Wallet(keys[1]!), digest), signDigest(new Wallet(keys[2]!), digest)]);
  assert.equal(late.status, 'ok');
  assert.deepEqual(late.events.map((e) => e.name), ['Attested', 'Attested', 'PacketExpired']);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 0n);
  assert.equal((await w.user.receiptOf('alpha', 1)).done, false);

  // EVM → native, timing out at an alpha height: alpha passes it, gateways prove the absence.
  assert.equal((await w.user.issue('USD-T')).status, 'ok');
  assert.equal((await w.user.mint('USD-T', w.userAddr, 100n)).status, 'ok');
  assert.equal((await w.user.send('alpha', 'USD-T', 60n, bobDid, { height: w.a.chain.height() + 2 })).status, 'ok');
  assert.equal(await w.user.balanceOf('USD-T', w.userAddr), 40n);
  for (let i = 0; i < 3; i++) await w.lock.run(() => w.a.tick());
  await settle([w.gateways[1]!, w.gateways[2]!]);
  assert.equal((await w.user.outbound('alpha', 1)).status, 'timed-out');
  assert.equal(await w.user.balanceOf('USD-T', w.userAddr), 100n);
  assert.equal(await w.user.escrow('alpha', 'USD-T'), 0n);
  // The same packet attested late on alpha is not executed.
  const { fromEvmPacket } = await import('../src/crosschain/evm/index.ts');
  const o = await w.user.outbound('alpha', 1);
  const native = fromEvmPacket((await w.user.sentPacket('alpha', 1, o.commitment))!);
  const msg = attestationMessage('sm2', EVM, 'alpha', [native]);
  const r = await w.call(w.a, gwKeys[0]!, 'xchain', 'recvAttested', { packets: [native], attestations: [0, 1].map((i) => ({ gateway: gwDids[i]!, sig: toHex(sign('sm2', gwKeys[i]!.privateKey, msg)) })) } as unknown as JsonValue);
  assert.equal(r.status, 'ok', String(r.message));
  assert.deepEqual((r.result as Array<{ result: string }>)[0]!.result, 'expired');
  assert.equal(bal(w.a, bobDid, `${EVM}/USD-T`), '0');
});

test('XEndpoint takes xtransfer packets only from port xtransfer: k signatures over a packet from another port credit nothing', async (t) => {
  const w = await world(t);
  const [gw0, gw1] = [1, 2].map((i) => new Wallet(keys[i]!));
  // A token of the EVM chain sits in escrow for alpha (a real send); then packets from other ports try to mint or drain.
  assert.equal((await w.user.issue('USD-T')).status, 'ok');
  assert.equal((await w.user.mint('USD-T', w.userAddr, 500n)).status, 'ok');
  assert.equal((await w.user.send('alpha', 'USD-T', 500n, bobDid, { timeMs: w.clock.now + 600_000 })).status, 'ok');
  const domain = await w.user.domain();
  const timeoutTime = BigInt(Date.now() + 600_000);
  const forged = (sequence: bigint, srcPort: string, denom: string, amount: bigint): EvmPacket => ({
    srcChain: 'alpha', srcPort, dstChain: EVM, dstPort: 'xtransfer', sequence, sender: aliceDid, denom, amount, receiver: w.userAddr, timeoutHeight: 0n, timeoutTime,
  });
  const packets = [
    forged(1n, 'xchain', 'CNY-T', 1_000_000n), // a DID's plain message shaped like a transfer: would mint alpha/CNY-T
    forged(2n, 'xdoc', 'CNY-T', 1_000_000n),
    forged(3n, 'xchain', `${EVM}/USD-T`, 500n), // "bringing home" USD-T: would drain the escrow held for alpha
  ];
  const digest = evmRecvDigest(domain, packets);
  const r = await w.user.recv(packets, [signDigest(gw0!, digest), signDigest(gw1!, digest)]);
  assert.equal(r.status, 'ok', String(r.error));
  for (const p of packets) {
    const rec = await w.user.receiptOf('alpha', Number(p.sequence));
    assert.deepEqual([rec.done, rec.ok], [true, false], `packet from port ${p.srcPort}`);
    assert.match(rec.reason, /^XCHAIN_PORT_MISMATCH: port xtransfer takes packets only from port xtransfer/);
  }
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 0n);
  assert.equal(await w.user.supply('alpha/CNY-T'), 0n);
  assert.equal(await w.user.escrow('alpha', 'USD-T'), 500n, 'the escrow held for alpha is untouched');
  assert.equal(await w.user.balanceOf('USD-T', w.userAddr), 0n);
  // The bound pair still credits.
  const good = [forged(4n, 'xtransfer', 'CNY-T', 7n)];
  const gd = evmRecvDigest(domain, good);
  assert.equal((await w.user.recv(good, [signDigest(gw0!, gd), signDigest(gw1!, gd)])).status, 'ok');
  assert.equal((await w.user.receiptOf('alpha', 4)).ok, true);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 7n);
  // And an honest gateway never signs a native packet from another port for the EVM chain.
  assert.match((toEvmPacket({ srcChain: 'alpha', srcPort: 'xchain', dstChain: EVM, dstPort: 'xtransfer', sequence: 9, sender: aliceDid, payload: { denom: 'CNY-T', amount: '5', sender: aliceDid, receiver: w.userAddr } }) as { untranslatable: string }).untranslatable, /only from port xtransfer/);
});

test('k-1 colluding gateways cannot mint on the EVM chain; an honest gateway signs nothing unproven', async (t) => {
  const w = await world(t);
  await fund(w);
  const [gw0, gw1, gw2] = [1, 2, 3].map((i) => new Wallet(keys[i]!));
  const outsider = new Wallet(keys[4]!);
  const forged: EvmPacket = {
    srcChain: 'alpha', srcPort: 'xtransfer', dstChain: EVM, dstPort: 'xtransfer', sequence: 1n, sender: aliceDid,
    denom: 'CNY-T', amount: 1_000_000n, receiver: w.userAddr, timeoutHeight: 0n, timeoutTime: BigInt(Date.now() + 600_000),
  };
  const domain = await w.user.domain();
  const digest = evmRecvDigest(domain, [forged]);
  // One colluder (k-1): the signature is counted, nothing runs.
  const one = await w.user.recv([forged], [signDigest(gw0!, digest)]);
  assert.equal(one.status, 'ok');
  assert.deepEqual(one.events.map((e) => e.name), ['Attested']);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 0n);
  // Counting the same gateway twice, an outsider, a signature over other packets: refused outright.
  assert.match((await w.user.recv([forged], [signDigest(gw0!, digest), signDigest(gw0!, digest)])).error!, /^DuplicateSigner/);
  assert.match((await w.user.recv([forged], [signDigest(outsider, digest)])).error!, /^NotGateway/);
  const other = evmRecvDigest(domain, [{ ...forged, amount: 1n }]);
  assert.match((await w.user.recv([forged], [signDigest(gw1!, other)])).error!, /^NotGateway/, 'a signature over another packet recovers to no gateway');
  // The same colluder again adds nothing.
  const again = await w.user.recv([forged], [signDigest(gw0!, digest)]);
  assert.deepEqual(again.events, []);
  assert.equal((await w.user.approvals(digest)).executed, false);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 0n);
  // A gateway set can only be replaced by k of the current gateways.
  assert.match((await w.user.updateGateways([outsider.address], 1, [])).error!, /^Quorum|BadGatewaySet/);

  // An honest gateway shown an inflated packet (a lying native node) refuses to sign it.
  await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '10', receiver: w.userAddr });
  const real = w.nativeEndpoint(gwKeys[2]!);
  const lying: ChainEndpoint = {
    ...real,
    async outbox(dst, from, limit) {
      const o = await real.outbox(dst, from, limit);
      return { ...o, packets: o.packets.map((p) => ({ ...p, packet: { ...p.packet, payload: { ...(p.packet.payload as object), amount: '1000000' } } as Packet })) };
    },
  };
  const honest = new EvmGateway({ native: lying, nativeKey: gwKeys[2]!, nativeClient: nativeClientOf(w.routeOf(w.a)), evm: w.gwEvm[2]! });
  const rep = await honest.relayOnce();
  assert.equal(rep.refused, 1);
  assert.equal(rep.attestedOnEvm, 0);
  const inflated = toEvmPacket({ ...(w.a.state(`xchain/out/${EVM}/1`) as unknown as Packet), payload: { amount: '1000000', denom: 'CNY-T', receiver: w.userAddr, sender: aliceDid } }) as EvmPacket;
  assert.equal((await w.user.approvals(evmRecvDigest(domain, [inflated]))).bits, 0n);

  // k of the current gateways replace the set (version 2); signatures for version 1 no longer count.
  const { evmGatewaySetDigest } = await import('../src/crosschain/evm/index.ts');
  const next = [gw1!.address, gw2!.address, outsider.address];
  const setDigest = evmGatewaySetDigest(domain, next, 2);
  assert.match((await w.user.updateGateways(next, 2, [signDigest(gw1!, setDigest)])).error!, /^Quorum/);
  const changed = await w.user.updateGateways(next, 2, [signDigest(gw1!, setDigest), signDigest(gw2!, setDigest)]);
  assert.equal(changed.status, 'ok', String(changed.error));
  assert.equal((await w.user.domain()).setVersion, 2n);
  assert.equal(await w.user.gatewayIndex(gw0!.address), 0);
  const stale = await w.user.recv([forged], [signDigest(gw1!, digest), signDigest(gw2!, digest)]);
  assert.match(stale.error!, /^NotGateway/, 'the digest now binds version 2, which they did not sign');
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 0n);
});

test('an error on the EVM side comes back as an error acknowledgement and refunds', async (t) => {
  const w = await world(t);
  await fund(w);
  // A receiver that is not an EVM address: the endpoint records an error receipt, mints nothing.
  await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '70', receiver: bobDid });
  await settle(w.gateways);
  assert.equal((await w.user.receiptOf('alpha', 1)).ok, false);
  const st = status(w.a, EVM, 1);
  assert.equal(st.status, 'acknowledged');
  assert.deepEqual(st.ack, { ok: false, code: 'XTRANSFER_BAD_PACKET', message: 'receiver is not a 0x address' });
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '1000');
  assert.equal(w.a.state(`xtransfer/escrow/${EVM}/CNY-T`), null);
  // A packet alpha's xtransfer refuses (a lowercase denom) is refunded on the EVM side.
  assert.equal((await w.user.issue('usd')).status, 'ok');
  assert.equal((await w.user.mint('usd', w.userAddr, 10n)).status, 'ok');
  assert.equal((await w.user.send('alpha', 'usd', 10n, bobDid, { timeMs: w.clock.now + 600_000 })).status, 'ok');
  await settle(w.gateways);
  assert.equal((await w.user.outbound('alpha', 1)).status, 'acknowledged');
  assert.equal(await w.user.balanceOf('usd', w.userAddr), 10n);
  assert.equal(await w.user.escrow('alpha', 'usd'), 0n);
});

test('k-1 colluding gateways cannot mint, acknowledge or time out on the native chain', async (t) => {
  const w = await world(t);
  await fund(w);
  const sig = (i: number, msg: Uint8Array): { gateway: string; sig: string } => ({ gateway: gwDids[i]!, sig: toHex(sign('sm2', gwKeys[i]!.privateKey, msg)) });
  // attest: one gateway's attestation of a packet that was never sent is kept pending, nothing minted.
  const fake: Packet = { srcChain: EVM, srcPort: 'xtransfer', dstChain: 'alpha', dstPort: 'xtransfer', sequence: 1, sender: w.userAddr, payload: { denom: 'USD-T', amount: '999999', sender: w.userAddr, receiver: bobDid } };
  const fmsg = attestationMessage('sm2', EVM, 'alpha', [fake]);
  const pending = await w.ok(w.a, gwKeys[0]!, 'xchain', 'attest', { op: 'recv', packets: [fake], sig: sig(0, fmsg).sig } as unknown as JsonValue) as { state: string };
  assert.equal(pending.state, 'pending');
  assert.deepEqual(await w.ok(w.a, gwKeys[0]!, 'xchain', 'attest', { op: 'recv', packets: [fake], sig: sig(0, fmsg).sig } as unknown as JsonValue), { state: 'already-attested', attestations: 1, needed: 2 });
  assert.equal(bal(w.a, bobDid, `${EVM}/USD-T`), '0');
  // Someone else's signature, or an outsider, does not count.
  assert.equal((await w.call(w.a, gwKeys[1]!, 'xchain', 'attest', { op: 'recv', packets: [fake], sig: sig(2, fmsg).sig } as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  assert.equal((await w.call(w.a, alice, 'xchain', 'attest', { op: 'recv', packets: [fake], sig: toHex(sign('sm2', alice.privateKey, fmsg)) } as unknown as JsonValue)).code, 'XCHAIN_NOT_GATEWAY');
  assert.equal(bal(w.a, bobDid, `${EVM}/USD-T`), '0');

  // Two packets to the EVM chain, still unsettled.
  await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '100', receiver: w.userAddr });
  await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '200', receiver: w.userAddr });
  const errAck: AttestedAck[] = [{ sequence: 1, ack: { ok: false, code: 'XTRANSFER_BAD_PACKET', message: 'forged' } }];
  const amsg = attestedAckMessage('sm2', 'alpha', EVM, errAck);
  const ackCall = (acks: JsonValue, attestations: JsonValue): Promise<Receipt> => w.call(w.a, gwKeys[0]!, 'xchain', 'acknowledgeAttested', { chain: EVM, acks, attestations });
  // k-1 signatures: an error ack (which would refund alice while the tokens may be minted there) is refused.
  assert.equal((await ackCall(errAck as unknown as JsonValue, [sig(0, amsg)] as unknown as JsonValue)).code, 'XCHAIN_QUORUM');
  // One signer twice.
  assert.equal((await ackCall(errAck as unknown as JsonValue, [sig(0, amsg), sig(0, amsg)] as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  // Signatures over packet 1's ack used for packet 2 (the wrong packet).
  const wrong = [{ sequence: 2, ack: errAck[0]!.ack }];
  assert.equal((await ackCall(wrong as unknown as JsonValue, [sig(0, amsg), sig(1, amsg)] as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  // Signatures over an ok ack presented as an error ack.
  const okMsg = attestedAckMessage('sm2', 'alpha', EVM, [{ sequence: 1, ack: { ok: true, result: null } }]);
  assert.equal((await ackCall(errAck as unknown as JsonValue, [sig(0, okMsg), sig(1, okMsg)] as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  // Not a gateway of the EVM chain.
  assert.equal((await ackCall(errAck as unknown as JsonValue, [sig(0, amsg), { gateway: aliceDid, sig: toHex(sign('sm2', alice.privateKey, amsg)) }] as unknown as JsonValue)).code, 'XCHAIN_NOT_GATEWAY');
  // Timeouts: k-1, duplicate, wrong packet.
  const tmsg = attestedTimeoutMessage('sm2', 'alpha', EVM, [1]);
  const toCall = (sequences: number[], attestations: JsonValue): Promise<Receipt> => w.call(w.a, gwKeys[1]!, 'xchain', 'timeoutAttested', { chain: EVM, sequences, attestations });
  assert.equal((await toCall([1], [sig(1, tmsg)] as unknown as JsonValue)).code, 'XCHAIN_QUORUM');
  assert.equal((await toCall([1], [sig(1, tmsg), sig(1, tmsg)] as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  assert.equal((await toCall([2], [sig(1, tmsg), sig(2, tmsg)] as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  // A light-client chain's acks cannot come this way.
  assert.equal((await w.call(w.a, gwKeys[0]!, 'xchain', 'timeoutAttested', { chain: 'beta', sequences: [1], attestations: [sig(0, tmsg)] } as unknown as JsonValue)).code, 'XCHAIN_NOT_REGISTERED');
  assert.equal(status(w.a, EVM, 1).status, 'sent');
  assert.equal(status(w.a, EVM, 2).status, 'sent');
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '700');

  // k genuine signatures settle exactly once: a refund runs once, a replay is a duplicate.
  const good = await ackCall(errAck as unknown as JsonValue, [sig(2, amsg), sig(1, amsg)] as unknown as JsonValue);
  assert.equal(good.status, 'ok', String(good.message));
  assert.deepEqual(good.result, [{ sequence: 1, result: 'settled' }]);
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '800');
  assert.deepEqual((await ackCall(errAck as unknown as JsonValue, [sig(0, amsg), sig(1, amsg)] as unknown as JsonValue)).result, [{ sequence: 1, result: 'duplicate' }]);
  const tgood = await w.call(w.a, gwKeys[1]!, 'xchain', 'timeoutAttested', { chain: EVM, sequences: [2], attestations: [sig(0, attestedTimeoutMessage('sm2', 'alpha', EVM, [2])), sig(2, attestedTimeoutMessage('sm2', 'alpha', EVM, [2]))] } as unknown as JsonValue);
  assert.deepEqual(tgood.result, [{ sequence: 2, result: 'settled' }]);
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '1000');
  assert.equal(status(w.a, EVM, 1).status, 'acknowledged');
  assert.equal(status(w.a, EVM, 2).status, 'timed-out');
});

test('a replayed attested packet executes once on either side', async (t) => {
  const w = await world(t);
  await fund(w);
  await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '30', receiver: w.userAddr });
  await settle([w.gateways[0]!, w.gateways[1]!]);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 30n);
  // The same packet with the same (and a third) gateway's signatures again: nothing more is minted.
  const ep = toEvmPacket(w.a.state(`xchain/out/${EVM}/1`) as unknown as Packet) as EvmPacket;
  const digest = evmRecvDigest(await w.user.domain(), [ep]);
  const sigs = [1, 2, 3].map((i) => signDigest(new Wallet(keys[i]!), digest));
  for (const s of [sigs.slice(0, 2), [sigs[2]!], sigs]) {
    const r = await w.user.recv([ep], s);
    assert.equal(r.status, 'ok', String(r.error));
    assert.deepEqual(r.events, [], 'an executed digest takes no more signatures and runs nothing');
  }
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 30n);
  assert.equal(await w.user.supply('alpha/CNY-T'), 30n);

  // EVM → native, replayed through both native paths.
  assert.equal((await w.user.send('alpha', 'alpha/CNY-T', 10n, aliceDid, { timeMs: w.clock.now + 600_000 })).status, 'ok');
  await settle([w.gateways[1]!, w.gateways[2]!]);
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '980');
  const o = await w.user.outbound('alpha', 1);
  const { fromEvmPacket } = await import('../src/crosschain/evm/index.ts');
  const native = fromEvmPacket((await w.user.sentPacket('alpha', 1, o.commitment))!);
  const msg = attestationMessage('sm2', EVM, 'alpha', [native]);
  const att = [0, 1].map((i) => ({ gateway: gwDids[i]!, sig: toHex(sign('sm2', gwKeys[i]!.privateKey, msg)) }));
  const replay = await w.ok(w.a, gwKeys[0]!, 'xchain', 'recvAttested', { packets: [native], attestations: att } as unknown as JsonValue) as Array<{ result: string }>;
  assert.equal(replay[0]!.result, 'duplicate');
  const late = await w.ok(w.a, gwKeys[0]!, 'xchain', 'attest', { op: 'recv', packets: [native], sig: att[0]!.sig } as unknown as JsonValue) as { state: string };
  assert.equal(late.state, 'done');
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '980');
  assert.equal(w.a.state(`xtransfer/escrow/${EVM}/CNY-T`), '20');
});

test('three gateways relay on their own; one stopped mid-relay, the other two finish everything', async (t) => {
  const w = await world(t);
  await fund(w);
  assert.equal((await w.user.issue('USD-T')).status, 'ok');
  assert.equal((await w.user.mint('USD-T', w.userAddr, 1000n)).status, 'ok');
  for (const g of w.gateways) g.start();
  for (const amount of ['10', '20', '30']) await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount, receiver: w.userAddr });
  // Gateway 0 is stopped once it has started signing.
  await waitFor(() => w.gateways[0]!.stats.attestedOnEvm + w.gateways[0]!.stats.attestedOnNative > 0, 'gateway 0 to sign something', 30_000);
  await w.gateways[0]!.stop();
  for (const amount of [5n, 7n]) assert.equal((await w.user.send('alpha', 'USD-T', amount, bobDid, { timeMs: w.clock.now + 600_000 })).status, 'ok');
  await w.ok(w.a, alice, 'xtransfer', 'send', { dstChain: EVM, denom: 'CNY-T', amount: '40', receiver: w.userAddr });
  await waitFor(async () => [1, 2, 3, 4].every((s) => status(w.a, EVM, s)?.status === 'acknowledged')
    && (await w.user.outbound('alpha', 1)).status === 'acknowledged' && (await w.user.outbound('alpha', 2)).status === 'acknowledged', 'every packet to be acknowledged', 45_000);
  assert.equal(await w.user.balanceOf('alpha/CNY-T', w.userAddr), 100n);
  assert.equal(w.a.state(`xtransfer/escrow/${EVM}/CNY-T`), '100');
  assert.equal(bal(w.a, bobDid, `${EVM}/USD-T`), '12');
  assert.equal(await w.user.escrow('alpha', 'USD-T'), 12n);
  for (let s = 1; s <= 4; s++) assert.equal((await w.user.receiptOf('alpha', s)).ok, true);
  assert.ok(w.gateways[1]!.stats.attestedOnEvm + w.gateways[2]!.stats.attestedOnEvm >= 4);
  assert.equal(w.gateways.reduce((n, g) => n + g.stats.refused, 0), 0);
});

test('native ↔ EVM packet forms round-trip; anything but an xtransfer payload does not cross', async () => {
  const { fromEvmPacket } = await import('../src/crosschain/evm/index.ts');
  const fc = (await import('fast-check')).default;
  const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
  await fc.assert(fc.property(
    id, id, fc.integer({ min: 1, max: 2 ** 40 }), fc.string({ minLength: 1, maxLength: 64 }), fc.stringMatching(/^[A-Z][A-Z0-9-]{1,15}$/),
    fc.bigInt({ min: 1n, max: 10n ** 38n - 1n }), fc.string({ minLength: 1, maxLength: 64 }), fc.option(fc.integer({ min: 1, max: 2 ** 50 }), { nil: undefined }),
    (src, dst, sequence, sender, denom, amount, receiver, timeoutTime) => {
      const p: Packet = { srcChain: src, srcPort: 'xtransfer', dstChain: dst, dstPort: 'xtransfer', sequence, sender, payload: { denom, amount: amount.toString(), sender, receiver }, ...(timeoutTime ? { timeoutTime } : {}) };
      const e = toEvmPacket(p);
      assert.ok(!('untranslatable' in e));
      assert.deepEqual(fromEvmPacket(e), p);
    },
  ), { numRuns: 200 });
  // Other payloads, or a payload whose sender is not the packet's, are never signed for the EVM chain.
  await fc.assert(fc.property(fc.jsonValue(), (payload) => {
    const p: Packet = { srcChain: 'alpha', srcPort: 'xchain', dstChain: EVM, dstPort: 'xtransfer', sequence: 1, sender: aliceDid, payload: payload as JsonValue };
    const e = toEvmPacket(p);
    const ok = typeof payload === 'object' && payload !== null && !Array.isArray(payload) && 'untranslatable' in e === false;
    if (ok) assert.equal((payload as { sender: unknown }).sender, aliceDid);
  }), { numRuns: 200 });
  assert.ok('untranslatable' in toEvmPacket({ srcChain: 'alpha', srcPort: 'xtransfer', dstChain: EVM, dstPort: 'xtransfer', sequence: 1, sender: aliceDid, payload: { denom: 'X-1', amount: '5', sender: bobDid, receiver: '0x' + '11'.repeat(20) } }));
});

test('malformed attest / acknowledgeAttested / timeoutAttested args are refused and change nothing', async (t) => {
  const w = await world(t);
  const fc = (await import('fast-check')).default;
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('attest', 'acknowledgeAttested', 'timeoutAttested'),
    fc.oneof(
      fc.jsonValue(),
      fc.record({ op: fc.constantFrom('recv', 'ack', 'timeout', 'x'), chain: fc.constantFrom(EVM, 'alpha', 'Bad'), sig: fc.constantFrom('00', 'zz', 'ab'.repeat(64)), sequences: fc.array(fc.integer(), { maxLength: 3 }) }),
      fc.record({ chain: fc.constantFrom(EVM, 'nope'), acks: fc.array(fc.record({ sequence: fc.integer({ min: -1, max: 3 }), ack: fc.jsonValue() }), { maxLength: 2 }), attestations: fc.array(fc.record({ gateway: fc.constantFrom(...gwDids, 'x'), sig: fc.constantFrom('ab'.repeat(64), '') }), { maxLength: 3 }) }),
    ),
    async (method, args) => {
      const before = w.a.state(`xchain/st/${EVM}/1`);
      const r = await w.call(w.a, gwKeys[0]!, 'xchain', method, args as JsonValue);
      assert.equal(r.status, 'failed', `${method} ${JSON.stringify(args)} was accepted`);
      assert.match(String(r.code), /^(BAD_ARGS|XCHAIN_[A-Z_]+)$/);
      assert.ok(r.message && r.message.length > 10);
      assert.deepEqual(w.a.state(`xchain/st/${EVM}/1`), before);
    },
  ), { numRuns: 40 });
  // A failed transaction's writes are discarded: no attestation was stored, no packet settled.
  assert.equal(w.a.state('xchain/log/count'), null);
});
