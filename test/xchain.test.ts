/**
 * Cross-chain messages between real chains (LMDB stores, real execution), relayed by hand as an
 * untrusted gateway would, and attacked the ways past bridges were: forged headers and proofs,
 * zero roots, replays, unregistered handlers, forbidden senders, wrong gateways, reordering,
 * dropped packets (timeouts) and colluding attesters. Each attack test fails if the attack works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sign, sm3 } from '../src/crypto/index.ts';
import { headerProofOf, relayOnce, syncRoutes, type ChainEndpoint } from '../src/crosschain/index.ts';
import { attestationMessage, type Packet, type SendStatus } from '../src/modules/index.ts';
import { openRelayWorld, type HandChain, type XchainWorld } from './helpers/xchain.ts';
import { changedKeys, stateSnapshot } from './helpers/state.ts';

const alice = generateKeyPair('sm2');
const aliceDid = didFromPublicKey(alice.publicKey);
const bob = generateKeyPair('sm2');
const bobDid = didFromPublicKey(bob.publicKey);

const world = openRelayWorld;

async function ok(c: HandChain, key: typeof alice, module: string, method: string, args: JsonValue): Promise<JsonValue | undefined> {
  const r = await c.call(key, module, method, args);
  assert.equal(r.status, 'ok', `${module}.${method}: ${r.code} ${r.message}`);
  return r.result;
}

const bal = (c: HandChain, did: string, denom: string): string => (c.state(`xtransfer/bal/${did}/${denom}`) as string | null) ?? '0';
const status = (c: HandChain, dst: string, seq: number): SendStatus => c.state(`xchain/st/${dst}/${seq}`) as unknown as SendStatus;

async function fund(w: XchainWorld, amount = '1000'): Promise<void> {
  await ok(w.a, alice, 'xtransfer', 'issue', { denom: 'CNY-T' });
  await ok(w.a, alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount });
}

/** The raw recv a gateway would send for packet `seq` from a to b, for tampering. */
async function recvArgs(w: XchainWorld & { ea: ChainEndpoint }, seqs: number[]): Promise<{ proof: JsonValue; packets: Array<{ packet: Packet; proof: JsonValue }> }> {
  const h = w.a.chain.height();
  const b = await w.ea.proof(h, seqs.map((s) => `xchain/out/beta/${s}`));
  return {
    proof: headerProofOf(b, false) as unknown as JsonValue,
    packets: b.proofs.map((p) => ({ packet: p.value as unknown as Packet, proof: p.proof as unknown as JsonValue })),
  };
}

test('tokens go to another chain and back; supply never grows; the path is recorded', async (t) => {
  const w = await world(t);
  await fund(w);
  const sent = await ok(w.a, alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount: '300', receiver: bobDid }) as { sequence: number };
  assert.equal(sent.sequence, 1);
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '700');
  assert.equal(w.a.state('xtransfer/escrow/beta/CNY-T'), '300');
  const cursor = { from: 1 };
  // Backlog (docs/alarms.md): unsettled packets as the round found them, past its batch too.
  assert.equal((await relayOnce(w.ea, w.eb, { from: 1 }, { batch: 0 })).backlog, 1, 'a packet past the batch read still counts');
  const first = await relayOnce(w.ea, w.eb, cursor);
  assert.deepEqual([first.received, first.backlog], [1, 1]);
  assert.equal(bal(w.b, bobDid, 'alpha/CNY-T'), '300');
  const second = await relayOnce(w.ea, w.eb, cursor);
  assert.deepEqual([second.acknowledged, second.backlog], [1, 1], 'received but not yet acknowledged: still waiting');
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).backlog, 0, 'settled: nothing waits');
  assert.equal(status(w.a, 'beta', 1).status, 'acknowledged');
  assert.equal(status(w.a, 'beta', 1).done?.gateway, w.gatewayDid);
  // Back home: the voucher is burnt on beta, the escrow released on alpha.
  await ok(w.b, bob, 'xtransfer', 'send', { dstChain: 'alpha', denom: 'alpha/CNY-T', amount: '100', receiver: aliceDid });
  const back = { from: 1 };
  assert.equal((await relayOnce(w.eb, w.ea, back)).received, 1);
  assert.equal((await relayOnce(w.eb, w.ea, back)).acknowledged, 1);
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '800');
  assert.equal(w.a.state('xtransfer/escrow/beta/CNY-T'), '200');
  assert.equal(bal(w.b, bobDid, 'alpha/CNY-T'), '200');
  assert.equal(w.b.state('xtransfer/supply/alpha/CNY-T'), '200', 'vouchers on beta equal the escrow on alpha');
  // A voucher cannot come home for more than was escrowed for its chain.
  await ok(w.b, bob, 'xtransfer', 'send', { dstChain: 'alpha', denom: 'alpha/CNY-T', amount: '200', receiver: aliceDid });
  await relayOnce(w.eb, w.ea, back);
  assert.equal(w.a.state('xtransfer/escrow/beta/CNY-T'), null);
});

test('a bill of lading moves to another chain and back, never live on two chains', async (t) => {
  const w = await world(t);
  const digest = toHex(sm3(new TextEncoder().encode('B/L COSU-0001')));
  const { id } = await ok(w.a, alice, 'xdoc', 'issue', { id: 'BL-0001', kind: 'bill-of-lading', hash: digest, holder: aliceDid }) as { id: string };
  assert.equal(id, 'alpha:BL-0001');
  await ok(w.a, alice, 'xdoc', 'send', { id, dstChain: 'beta', receiver: bobDid });
  assert.equal((w.a.state(`xdoc/doc/${id}`) as { state: string }).state, 'away');
  // While away it cannot be endorsed or sent again on alpha.
  assert.equal((await w.a.call(alice, 'xdoc', 'endorse', { id, to: bobDid })).code, 'XDOC_AWAY');
  const c = { from: 1 };
  await relayOnce(w.ea, w.eb, c);
  await relayOnce(w.ea, w.eb, c);
  assert.equal((w.b.state(`xdoc/doc/${id}`) as { holder: string }).holder, bobDid);
  await ok(w.b, bob, 'xdoc', 'send', { id, dstChain: 'alpha', receiver: aliceDid });
  const back = { from: 1 };
  await relayOnce(w.eb, w.ea, back);
  await relayOnce(w.eb, w.ea, back);
  const home = w.a.state(`xdoc/doc/${id}`) as { state: string; holder: string; history: Array<{ event: string; chain: string }> };
  assert.equal(home.state, 'here');
  assert.equal(home.holder, aliceDid);
  assert.deepEqual(home.history.map((h) => `${h.event}@${h.chain}`), ['issued@alpha', 'sent@alpha', 'received@beta', 'sent@beta', 'received@alpha']);
  assert.equal((w.b.state(`xdoc/doc/${id}`) as { state: string }).state, 'away');
});

test('a cross-chain call returns its result: a notary record on another chain', async (t) => {
  const w = await world(t);
  const hash = toHex(sm3(new TextEncoder().encode('contract.pdf')));
  await ok(w.b, bob, 'notary', 'put', { hash, name: 'contract.pdf' });
  const { sequence } = await ok(w.a, alice, 'xcall', 'call', { dstChain: 'beta', module: 'notary', query: 'record', args: { hash } }) as { sequence: number };
  const c = { from: 1 };
  await relayOnce(w.ea, w.eb, c);
  await relayOnce(w.ea, w.eb, c);
  const r = w.a.state(`xcall/result/beta/${sequence}`) as { status: string; result: { owner: string; name: string } };
  assert.equal(r.status, 'answered');
  assert.equal(r.result.owner, bobDid);
  assert.equal(r.result.name, 'contract.pdf');
});

test('a cross-chain call reads a collectible class and a holding; a malformed question is answered with COLLECTIBLE_BAD_QUERY', async (t) => {
  const w = await world(t, { modules: ['collectible'] });
  const metadata = toHex(sm3(new TextEncoder().encode('heritage media')));
  await ok(w.b, bob, 'collectible', 'createClass', { id: 'feiyi', name: '非遗', supply: 10, metadata, rules: { transferable: false } });
  await ok(w.b, bob, 'collectible', 'mint', { class: 'feiyi', to: aliceDid });
  await ok(w.b, bob, 'collectible', 'mint', { class: 'feiyi', to: aliceDid });
  const ask = async (query: string, args: JsonValue) => ((await ok(w.a, alice, 'xcall', 'call', { dstChain: 'beta', module: 'collectible', query, args })) as { sequence: number }).sequence;
  const seqs = [await ask('class', { id: 'feiyi' }), await ask('held', { owner: aliceDid, class: 'feiyi' }), await ask('class', { id: 'nope' }), await ask('tokens', { id: 'feiyi' })];
  const c = { from: 1 };
  await relayOnce(w.ea, w.eb, c);
  await relayOnce(w.ea, w.eb, c);
  const r = seqs.map((s) => w.a.state(`xcall/result/beta/${s}`) as { status: string; result?: JsonValue; error?: string });
  assert.deepEqual(r[0], { status: 'answered', caller: aliceDid, result: { id: 'feiyi', issuer: bobDid, name: '非遗', supply: 10, minted: 2, metadata } });
  assert.equal(r[1]!.result, 2);
  assert.deepEqual([r[2]!.status, r[2]!.result], ['answered', null]);
  assert.equal(r[3]!.status, 'failed');
  assert.match(r[3]!.error!, /^COLLECTIBLE_BAD_QUERY/);
  // Answering writes nothing on the collectibles chain.
  assert.equal((w.b.state('collectible/class/feiyi') as { minted: number }).minted, 2);
});

test('forged header, foreign signer, zero root and forged proof are all refused; nothing changes', async (t) => {
  const w = await world(t);
  await fund(w);
  await ok(w.a, alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount: '300', receiver: bobDid });
  const args = await recvArgs(w, [1]);
  // Everything beta holds, without the senders' nonces (a failed tx still uses its nonce).
  const before = stateSnapshot(w.b.chain);
  const attempt = async (a: JsonValue): Promise<string | undefined> => (await w.b.call(w.gateway, 'xchain', 'recv', a)).code;
  const proof = args.proof as { header: { stateRoot: string; height: number }; hash: string; sig: string };

  // 1. A header whose contents were changed (a made-up state root) no longer matches its hash.
  assert.equal(await attempt({ ...args, proof: { ...proof, header: { ...proof.header, stateRoot: 'ab'.repeat(32) } } } as unknown as JsonValue), 'XCHAIN_BAD_HEADER');
  // 2. A header re-hashed and signed by a key that is not alpha's validator.
  const mallory = generateKeyPair('sm2');
  const { headerHashOf } = await import('../src/ledger/index.ts');
  const forged = { ...proof.header, stateRoot: 'cd'.repeat(32), proposer: didFromPublicKey(mallory.publicKey) };
  const fh = headerHashOf('sm2', forged as never);
  assert.equal(await attempt({ ...args, proof: { header: forged, hash: fh, sig: toHex(sign('sm2', mallory.privateKey, Buffer.from(fh, 'hex'))) } } as unknown as JsonValue), 'XCHAIN_BAD_HEADER');
  // 3. The same forgery claiming to be from alpha's validator: its signature does not verify.
  const forged2 = { ...proof.header, stateRoot: 'cd'.repeat(32) };
  const fh2 = headerHashOf('sm2', forged2 as never);
  assert.equal(await attempt({ ...args, proof: { header: forged2, hash: fh2, sig: toHex(sign('sm2', mallory.privateKey, Buffer.from(fh2, 'hex'))) } } as unknown as JsonValue), 'XCHAIN_BAD_HEADER');
  // 4. A zero state root (Nomad) is never accepted, even if someone signed it.
  const zero = { ...proof.header, stateRoot: '0'.repeat(64) };
  const zh = headerHashOf('sm2', zero as never);
  assert.equal(await attempt({ ...args, proof: { header: zero, hash: zh, sig: toHex(sign('sm2', w.a.validator.privateKey, Buffer.from(zh, 'hex'))) } } as unknown as JsonValue), 'XCHAIN_BAD_HEADER');
  // 5. The real header, but the packet's amount inflated: its proof no longer verifies.
  const inflated = { ...args.packets[0]!, packet: { ...args.packets[0]!.packet, payload: { ...(args.packets[0]!.packet.payload as object), amount: '300000' } } };
  assert.equal(await attempt({ proof: args.proof, packets: [inflated] } as unknown as JsonValue), 'XCHAIN_BAD_PROOF');
  // 6. An empty (default) proof for the real packet.
  assert.equal(await attempt({ proof: args.proof, packets: [{ packet: args.packets[0]!.packet, proof: { siblings: [] } }] } as unknown as JsonValue), 'XCHAIN_BAD_PROOF');
  // 7. A packet that never existed, with another packet's proof.
  assert.equal(await attempt({ proof: args.proof, packets: [{ packet: { ...args.packets[0]!.packet, sequence: 2 }, proof: args.packets[0]!.proof }] } as unknown as JsonValue), 'XCHAIN_BAD_PROOF');
  assert.equal(bal(w.b, bobDid, 'alpha/CNY-T'), '0');
  // Failed txs leave only the gateway's nonce behind: not one state key changed (light client included).
  assert.deepEqual(changedKeys(before, stateSnapshot(w.b.chain)), []);
  assert.equal(w.b.state('xchain/recv/alpha/1'), null);
  // The genuine relay still works afterwards.
  assert.equal((await w.b.call(w.gateway, 'xchain', 'recv', args as unknown as JsonValue)).status, 'ok');
  assert.equal(bal(w.b, bobDid, 'alpha/CNY-T'), '300');
});

test('a replayed or duplicated packet executes once; reordered packets each execute once', async (t) => {
  const w = await world(t);
  await fund(w);
  for (const amount of ['10', '20', '30']) await ok(w.a, alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount, receiver: bobDid });
  const all = await recvArgs(w, [1, 2, 3]);
  // Reordered: 3, then 1, then 2 (each its own relay tx), then the whole batch replayed twice.
  for (const i of [2, 0, 1]) assert.equal((await w.b.call(w.gateway, 'xchain', 'recv', { proof: all.proof, packets: [all.packets[i]!] } as unknown as JsonValue)).status, 'ok');
  const replay = await w.b.call(w.gateway, 'xchain', 'recv', all as unknown as JsonValue);
  assert.equal(replay.status, 'ok');
  assert.deepEqual((replay.result as Array<{ result: string }>).map((r) => r.result), ['duplicate', 'duplicate', 'duplicate']);
  assert.equal(bal(w.b, bobDid, 'alpha/CNY-T'), '60');
  // Acknowledgements replayed settle once: the refund path cannot run twice either.
  const c = { from: 1 };
  assert.equal((await relayOnce(w.ea, w.eb, c)).acknowledged, 3);
  const hb = await w.eb.proof(w.b.chain.height(), ['xchain/recv/alpha/1']);
  const again = await w.a.call(w.gateway, 'xchain', 'acknowledge', { proof: headerProofOf(hb, false), acks: [{ sequence: 1, value: hb.proofs[0]!.value, proof: hb.proofs[0]!.proof }] } as unknown as JsonValue);
  assert.deepEqual((again.result as Array<{ result: string }>)[0]!.result, 'duplicate');
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '940');
});

test('only registered gateways relay; only registered handlers run; the channel policy is enforced', async (t) => {
  const w = await world(t);
  await fund(w);
  await ok(w.a, alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount: '50', receiver: bobDid });
  const args = await recvArgs(w, [1]);
  const stranger = generateKeyPair('sm2');
  assert.equal((await w.b.call(stranger, 'xchain', 'recv', args as unknown as JsonValue)).code, 'XCHAIN_NOT_GATEWAY');
  // A packet handler is an export, never a method a tx can call.
  assert.equal((await w.b.call(alice, 'xtransfer', 'onRecvPacket', args.packets[0]!.packet as unknown as JsonValue)).code, 'METHOD_NOT_FOUND');
  // A message from a DID to a module that is no port (notary) is refused at the source.
  assert.equal((await w.a.call(alice, 'xchain', 'send', { dstChain: 'beta', dstPort: 'notary', payload: { put: 'x' } })).code, 'XCHAIN_PORT_MISMATCH');
  // Beta narrows its policy by governance: only bob may send, and only to xdoc.
  assert.equal((await w.register(w.routeOf(w.b, { inbound: [{ srcChain: 'alpha', dstPort: 'xdoc', senders: [bobDid] }] }), 3)).status, 'ok');
  await syncRoutes(w.ex, w.eb);
  await ok(w.a, alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount: '70', receiver: bobDid });
  const c = { from: 1 };
  await relayOnce(w.ea, w.eb, c);
  await relayOnce(w.ea, w.eb, c);
  const rec = (seq: number) => w.b.state(`xchain/recv/alpha/${seq}`) as { ack: { ok: boolean; code?: string } };
  assert.equal(rec(1).ack.code, 'XCHAIN_FORBIDDEN', 'the policy now applies to every packet still in flight');
  assert.equal(rec(2).ack.code, 'XCHAIN_FORBIDDEN');
  assert.equal(bal(w.b, bobDid, 'alpha/CNY-T'), '0');
  // Error acks refunded alice: everything she sent is back.
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '1000');
  assert.equal(w.a.state('xtransfer/escrow/beta/CNY-T'), null);
});

test('a port that is not registered yields an error acknowledgement; a plain message to port xchain is acknowledged', async (t) => {
  const w = await world(t);
  // Only an attested engine (or a chain of another build) can still address a module that is no port.
  const gw = generateKeyPair('sm2');
  const gwKey = { did: didFromPublicKey(gw.publicKey), publicKey: toHex(gw.publicKey) };
  assert.equal((await w.register({ chain: 'ext', engine: 'evm', suite: 'sm2', consensus: 'attested', validators: [], tracksValidators: false, gateways: [gwKey], attestThreshold: 1, inbound: [], status: 'active' }, 5)).status, 'ok');
  await syncRoutes(w.ex, w.eb);
  const packet: Packet = { srcChain: 'ext', srcPort: 'xchain', dstChain: 'beta', dstPort: 'notary', sequence: 1, sender: aliceDid, payload: { anything: 1 } };
  const sig = toHex(sign('sm2', gw.privateKey, attestationMessage('sm2', 'ext', 'beta', [packet])));
  assert.equal((await w.b.call(gw, 'xchain', 'recvAttested', { packets: [packet], attestations: [{ gateway: gwKey.did, sig }] } as unknown as JsonValue)).status, 'ok');
  const rec = w.b.state('xchain/recv/ext/1') as { ack: { ok: boolean; code?: string } };
  assert.equal(rec.ack.ok, false);
  assert.equal(rec.ack.code, 'XCHAIN_NO_HANDLER');
  await ok(w.a, alice, 'xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: { anything: 1 } });
  const c = { from: 1 };
  await relayOnce(w.ea, w.eb, c);
  await relayOnce(w.ea, w.eb, c);
  assert.deepEqual(status(w.a, 'beta', 1).ack, { ok: true, result: { received: true } });
});

test('a dropped packet times out and is refunded; it can never be received afterwards', async (t) => {
  const w = await world(t);
  await fund(w);
  await ok(w.a, alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount: '400', receiver: bobDid, timeoutTime: w.clock.now + 5_000 });
  const args = await recvArgs(w, [1]);
  // Too early to prove a timeout.
  const early = await w.eb.proof(w.b.chain.height(), ['xchain/recv/alpha/1']);
  const tooEarly = await w.a.call(w.gateway, 'xchain', 'timeout', { proof: headerProofOf(early, false), items: [{ sequence: 1, proof: early.proofs[0]!.proof }] } as unknown as JsonValue);
  assert.equal(tooEarly.code, 'XCHAIN_NOT_TIMED_OUT');
  // The gateway drops it; beta's clock passes the timeout.
  for (let i = 0; i < 6; i++) await w.b.tick();
  const r = await relayOnce(w.ea, w.eb, { from: 1 });
  assert.equal(r.timedOut, 1);
  assert.equal(status(w.a, 'beta', 1).status, 'timed-out');
  assert.equal(bal(w.a, aliceDid, 'CNY-T'), '1000');
  // A late delivery of the same packet is not executed.
  const late = await w.b.call(w.gateway, 'xchain', 'recv', args as unknown as JsonValue);
  assert.deepEqual((late.result as Array<{ result: string }>)[0]!.result, 'expired');
  assert.equal(bal(w.b, bobDid, 'alpha/CNY-T'), '0');
});

test('registrations change only through the routing chain; an old registration cannot be replayed', async (t) => {
  const w = await world(t);
  // Suspend beta by governance; alpha learns it and refuses to send there.
  assert.equal((await w.register(w.routeOf(w.b, { status: 'suspended' }), 3)).status, 'ok');
  const oldProof = await w.ex.proof(w.xroute.chain.height() - 1, ['xroute/routes/beta']);
  await syncRoutes(w.ex, w.ea);
  assert.equal((await w.a.call(alice, 'xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: 1 })).code, 'XCHAIN_SUSPENDED');
  // Replaying the earlier (active) registration, validly proven at an earlier height, changes nothing.
  const replay = await w.a.call(w.gateway, 'xchain', 'syncRoutes', { proof: headerProofOf(oldProof, false), routes: [{ chain: 'beta', value: oldProof.proofs[0]!.value, proof: oldProof.proofs[0]!.proof }] } as unknown as JsonValue);
  assert.equal(replay.status, 'ok');
  assert.deepEqual(replay.result, []);
  assert.equal((w.a.state('xchain/route/beta') as { status: string }).status, 'suspended');
  // A made-up registration does not verify.
  const cur = await w.ex.proof(w.xroute.chain.height(), ['xroute/routes/beta']);
  const fake = { ...(cur.proofs[0]!.value as object), status: 'active', version: 99 };
  const forged = await w.a.call(w.gateway, 'xchain', 'syncRoutes', { proof: headerProofOf(cur, false), routes: [{ chain: 'beta', value: fake, proof: cur.proofs[0]!.proof }] } as unknown as JsonValue);
  assert.equal(forged.code, 'XCHAIN_BAD_PROOF');
  // And only routing-chain validators approve registrations.
  assert.equal((await w.xroute.call(alice, 'xroute', 'approve', { route: w.routeOf(w.a) as unknown as JsonValue, proposal: 9 })).code, 'XROUTE_NOT_VALIDATOR');
});

test('an attested engine needs k of its n gateways: k-1 colluding gateways cannot mint', async (t) => {
  const w = await world(t);
  const gws = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
  const gwKeys = gws.map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey) }));
  assert.equal((await w.register({ chain: 'ext', engine: 'evm', suite: 'sm2', consensus: 'attested', validators: [], tracksValidators: false, gateways: gwKeys, attestThreshold: 2, inbound: [], status: 'active' }, 5)).status, 'ok');
  await syncRoutes(w.ex, w.eb);
  const packet: Packet = { srcChain: 'ext', srcPort: 'xtransfer', dstChain: 'beta', dstPort: 'xtransfer', sequence: 1, sender: '0x00000000000000000000000000000000000000aa', payload: { denom: 'USD-T', amount: '5000', sender: '0x00000000000000000000000000000000000000aa', receiver: bobDid }, timeoutTime: w.clock.now + 600_000 };
  const msg = attestationMessage('sm2', 'ext', 'beta', [packet]);
  const attest = (i: number) => ({ gateway: gwKeys[i]!.did, sig: toHex(sign('sm2', gws[i]!.privateKey, msg)) });
  // One colluding gateway (k-1) alone: refused.
  assert.equal((await w.b.call(gws[0]!, 'xchain', 'recvAttested', { packets: [packet], attestations: [attest(0)] } as unknown as JsonValue)).code, 'XCHAIN_QUORUM');
  // The same signature twice does not count twice.
  assert.equal((await w.b.call(gws[0]!, 'xchain', 'recvAttested', { packets: [packet], attestations: [attest(0), attest(0)] } as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  // Two attestations, but over a different amount than the packet relayed.
  const bigger = { ...packet, payload: { ...(packet.payload as object), amount: '5000000' } } as Packet;
  assert.equal((await w.b.call(gws[0]!, 'xchain', 'recvAttested', { packets: [bigger], attestations: [attest(0), attest(1)] } as unknown as JsonValue)).code, 'XCHAIN_BAD_ATTESTATION');
  assert.equal(bal(w.b, bobDid, 'ext/USD-T'), '0');
  // A policy of beta's still applies: the inbound rules allow anyone (registered at setup).
  const okr = await w.b.call(gws[1]!, 'xchain', 'recvAttested', { packets: [packet], attestations: [attest(0), attest(2)] } as unknown as JsonValue);
  assert.equal(okr.status, 'ok', String(okr.message));
  assert.equal(bal(w.b, bobDid, 'ext/USD-T'), '5000');
  const again = await w.b.call(gws[2]!, 'xchain', 'recvAttested', { packets: [packet], attestations: [attest(1), attest(2)] } as unknown as JsonValue);
  assert.deepEqual((again.result as Array<{ result: string }>)[0]!.result, 'duplicate');
  assert.equal(bal(w.b, bobDid, 'ext/USD-T'), '5000');
});

test('attestation message binds source, destination and packets', () => {
  const p: Packet = { srcChain: 'ext', srcPort: 'x', dstChain: 'beta', dstPort: 'y', sequence: 1, sender: 's', payload: 1 };
  const m1 = toHex(attestationMessage('sm2', 'ext', 'beta', [p]));
  assert.notEqual(m1, toHex(attestationMessage('sm2', 'ext', 'gamma', [p])));
  assert.notEqual(m1, toHex(attestationMessage('sm2', 'ext', 'beta', [{ ...p, sequence: 2 }])));
  assert.equal(m1.length, 64);
});
