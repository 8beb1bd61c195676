/**
 * Port binding (issue #13 item 1): every port takes packets only from its counterpart ports and
 * sends only to them, checked once by xchain before any handler runs; a transaction sends from
 * port xchain, bound to port xchain only. For every packet handler: a packet from every other
 * port, from an unregistered chain and (where the handler is bound to a chain) from another
 * registered chain is refused with nothing written — checked against the chain's whole state,
 * not a key or two. Real LMDB chains, real execution, packets relayed as a gateway would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { jsonSchema } from '../src/codec/schemas.ts';
import { didFromPublicKey, generateKeyPair, sign, sm3, type KeyPair } from '../src/crypto/index.ts';
import { relayOnce, syncRoutes, type ChainEndpoint } from '../src/crosschain/index.ts';
import { attestationMessage, builtinModules, createSettlementModule, createXchainModule, portsOf, type Packet, type RecvRecord, type SendStatus } from '../src/modules/index.ts';
import { method, type ModuleDef } from '../src/runtime/index.ts';
import { openRelayWorld, type HandChain, type XchainWorld } from './helpers/xchain.ts';
import { changedKeys, stateSnapshot } from './helpers/state.ts';

const alice = generateKeyPair('sm2');
const aliceDid = didFromPublicKey(alice.publicKey);
const bob = generateKeyPair('sm2');
const bobDid = didFromPublicKey(bob.publicKey);
const mallory = generateKeyPair('sm2');
const malloryDid = didFromPublicKey(mallory.publicKey);

/** The bindings of this build, as docs/crosschain.md states them: port → the ports it is bound to. */
const BINDINGS: Record<string, string[]> = {
  xchain: ['xchain'], xtransfer: ['xtransfer'], xdoc: ['xdoc'], xcall: ['xcall'],
  xlock: ['xtx'], xtx: ['xlock'], lexcontract: ['settlement'], settlement: ['lexcontract', 'privacy'], privacy: ['settlement'],
};
const PORTS = Object.keys(BINDINGS);
/** Source ports a packet may claim: every port, a module that is no port, and a name no module has. */
const SOURCES = [...PORTS, 'notary', 'rogue'];

const HASH = toHex(sm3(new TextEncoder().encode('B/L forged')));
const CONTRACT = 'ab'.repeat(32);
/** A payload each port's handler would act on (mint, create, answer, …) if the packet got through. */
const PAYLOADS: Record<string, JsonValue> = {
  xchain: { hello: 1 },
  xtransfer: { denom: 'CNY-T', amount: '1000000', sender: malloryDid, receiver: malloryDid },
  xdoc: { doc: { id: 'ext:BL-9', kind: 'bill-of-lading', hash: HASH, issuer: malloryDid, holder: malloryDid, state: 'here', history: [] }, receiver: malloryDid },
  xcall: { module: 'notary', query: 'record', args: { hash: HASH } },
  xlock: { type: 'rollback', id: 't9' },
  xtx: { type: 'inquire', id: 't9' },
  lexcontract: { kind: 'settlement-status', contract: CONTRACT, id: CONTRACT, idempotencyKey: 'k1', status: 'settled' },
  settlement: { kind: 'settlement-instruction', contract: 'c1', instruction: { idempotencyKey: 'x1', payer: aliceDid, currency: 'CNY', payments: [{ to: malloryDid, amount: 10 }] } },
  privacy: { kind: 'settlement-status', contract: 'privacy', id: CONTRACT, idempotencyKey: 'k1', status: 'settled' },
  notary: { put: HASH },
};

type World = XchainWorld & { ea: ChainEndpoint; eb: ChainEndpoint; ex: ChainEndpoint };

function world(t: { after(fn: () => Promise<void>): void }, extraModules: Record<string, ModuleDef[]> = {}): Promise<World> {
  return openRelayWorld(t, { modules: ['lexcontract', 'settlement'], extraModules });
}

async function ok(c: HandChain, key: KeyPair, module: string, m: string, args: JsonValue): Promise<JsonValue | undefined> {
  const r = await c.call(key, module, m, args);
  assert.equal(r.status, 'ok', `${module}.${m}: ${r.code} ${r.message}`);
  return r.result;
}

/** An attested engine `ext` (k = 2 of 3 gateways) registered and synced to beta: it can claim any source port. */
async function withExt(w: World): Promise<(packets: Packet[]) => Promise<{ status: string; code?: string; result?: JsonValue }>> {
  const gws = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
  const gwKeys = gws.map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey) }));
  assert.equal((await w.register({ chain: 'ext', engine: 'evm', suite: 'sm2', consensus: 'attested', validators: [], tracksValidators: false, gateways: gwKeys, attestThreshold: 2, inbound: [], status: 'active' }, 9)).status, 'ok');
  await syncRoutes(w.ex, w.eb);
  return async (packets) => {
    const msg = attestationMessage('sm2', packets[0]!.srcChain, 'beta', packets);
    const attestations = [0, 1].map((i) => ({ gateway: gwKeys[i]!.did, sig: toHex(sign('sm2', gws[i]!.privateKey, msg)) }));
    const r = await w.b.call(gws[0]!, 'xchain', 'recvAttested', { packets, attestations } as unknown as JsonValue);
    return { status: r.status, ...(r.code ? { code: r.code } : {}), ...(r.result !== undefined ? { result: r.result } : {}) };
  };
}

let seq = 0;
const packet = (srcChain: string, srcPort: string, dstPort: string, payload: JsonValue = PAYLOADS[dstPort]!): Packet =>
  ({ srcChain, srcPort, dstChain: 'beta', dstPort, sequence: ++seq, sender: malloryDid, payload, timeoutTime: 1_800_000_000_000 });

/**
 * The only keys a refused packet may write on the destination: xchain's receipt (the error ack)
 * and its log; a proven relay also advances the light client of the source (its header, not the packet).
 */
function onlyReceipts(changed: string[], src: string, seqs: number[]): void {
  const expected = new Set(seqs.map((s) => `xchain/recv/${src}/${s}`));
  const others = changed.filter((k) => !expected.has(k) && !k.startsWith('xchain/log/') && k !== `xchain/client/${src}`);
  assert.deepEqual(others, [], 'a refused packet wrote nothing but its receipt');
  for (const k of expected) assert.ok(changed.includes(k), `receipt ${k} written`);
}

test('every port declares its binding; bindings are symmetric; every module with packet handlers is a port', () => {
  const all: ModuleDef[] = [...builtinModules, createSettlementModule({ chain: 'settle', validators: [] } as never)];
  all.push(createXchainModule({ chain: 'beta' }, portsOf(all)));
  const ports = portsOf(all);
  for (const m of all) {
    const handles = ['onRecvPacket', 'onAcknowledgementPacket', 'onTimeoutPacket'].filter((e) => m.exports && Object.hasOwn(m.exports, e));
    if (handles.length) assert.ok(m.port, `${m.name} exports ${handles.join(', ')} but declares no port`);
    if (m.port) assert.deepEqual([...m.port.counterparts], BINDINGS[m.name], `binding of ${m.name}`);
  }
  assert.deepEqual(Object.keys(BINDINGS).filter((p) => !ports(p)), [], 'every port in the table is declared');
  for (const [p, cs] of Object.entries(BINDINGS)) for (const c of cs) assert.ok(BINDINGS[c]?.includes(p), `${p} → ${c} but not ${c} → ${p}`);
});

test('the reproduction: a DID cannot send a token transfer from port xchain; nothing is minted, no escrow moves', async (t) => {
  const w = await world(t);
  await ok(w.a, alice, 'xtransfer', 'issue', { denom: 'CNY-T' });
  await ok(w.a, alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount: '1000' });
  await ok(w.a, alice, 'xtransfer', 'send', { dstChain: 'beta', denom: 'CNY-T', amount: '300', receiver: bobDid });
  const cursor = { from: 1 };
  await relayOnce(w.ea, w.eb, cursor);
  await relayOnce(w.ea, w.eb, cursor);
  const beforeA = stateSnapshot(w.a.chain);
  // Every module port is out of reach of the transaction method xchain.send.
  for (const port of [...PORTS.filter((p) => p !== 'xchain'), 'notary']) {
    const r = await w.a.call(mallory, 'xchain', 'send', { dstChain: 'beta', dstPort: port, payload: PAYLOADS[port]! });
    assert.equal(r.status, 'failed', `xchain.send to port ${port}`);
    assert.equal(r.code, 'XCHAIN_PORT_MISMATCH');
    assert.match(r.message!, new RegExp(`port xchain.*not to port ${port}`));
  }
  assert.deepEqual(changedKeys(beforeA, stateSnapshot(w.a.chain)), [], 'no packet was written on alpha');
  // Nothing reaches beta: mallory holds no voucher, supply is what alpha escrowed, bob can still redeem all of his.
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).received, 0);
  assert.equal(w.b.state(`xtransfer/bal/${malloryDid}/alpha/CNY-T`), null);
  assert.equal(w.b.state('xtransfer/supply/alpha/CNY-T'), '300');
  assert.equal(w.a.state('xtransfer/escrow/beta/CNY-T'), '300');
  await ok(w.b, bob, 'xtransfer', 'send', { dstChain: 'alpha', denom: 'alpha/CNY-T', amount: '300', receiver: bobDid });
  const back = { from: 1 };
  await relayOnce(w.eb, w.ea, back);
  await relayOnce(w.eb, w.ea, back);
  assert.equal(w.a.state(`xtransfer/bal/${bobDid}/CNY-T`), '300', 'the redemption is paid from the escrow');
  assert.equal(w.a.state('xtransfer/escrow/beta/CNY-T'), null);
  // The plain-message port still works, and its acknowledgement reaches no module.
  const msg = await ok(w.a, alice, 'xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: { hello: 1 } }) as { sequence: number };
  const beforeMsg = stateSnapshot(w.a.chain);
  await relayOnce(w.ea, w.eb, cursor);
  await relayOnce(w.ea, w.eb, cursor);
  const st = w.a.state(`xchain/st/beta/${msg.sequence}`) as unknown as SendStatus;
  assert.equal(st.status, 'acknowledged');
  assert.deepEqual(st.ack, { ok: true, result: { received: true } });
  assert.deepEqual(changedKeys(beforeMsg, stateSnapshot(w.a.chain)).filter((k) => !k.startsWith('xchain/')), []);
});

test('every port refuses a packet from every other port, before its handler runs (attested engine, any claimed port)', async (t) => {
  const w = await world(t);
  const recv = await withExt(w);
  for (const dst of [...PORTS, 'notary']) {
    const packets = SOURCES.filter((s) => !BINDINGS[dst]?.includes(s)).map((src) => packet('ext', src, dst));
    const before = stateSnapshot(w.b.chain);
    const r = await recv(packets);
    assert.equal(r.status, 'ok', `recvAttested to ${dst}: ${r.code}`);
    assert.deepEqual((r.result as Array<{ result: string }>).map((x) => x.result), packets.map(() => 'received'));
    for (const p of packets) {
      const rec = w.b.state(`xchain/recv/ext/${p.sequence}`) as unknown as RecvRecord;
      assert.equal(rec.ack.ok, false, `${p.srcPort} → ${dst} was acknowledged ok`);
      if (rec.ack.ok) continue;
      if (BINDINGS[dst]) {
        assert.equal(rec.ack.code, 'XCHAIN_PORT_MISMATCH', `${p.srcPort} → ${dst}: ${rec.ack.message}`);
        assert.match(rec.ack.message, new RegExp(`port ${dst} on beta takes packets only from ports? ${BINDINGS[dst]!.join(', ')}.*port ${p.srcPort} on ext`));
      } else {
        assert.equal(rec.ack.code, 'XCHAIN_NO_HANDLER', `${p.srcPort} → ${dst}`);
      }
    }
    onlyReceipts(changedKeys(before, stateSnapshot(w.b.chain)), 'ext', packets.map((p) => p.sequence));
  }
  assert.equal(w.b.state(`xtransfer/bal/${malloryDid}/ext/CNY-T`), null);
  assert.equal(w.b.state('xdoc/doc/ext:BL-9'), null);
  // The bound pair still passes: ext's xtransfer port mints its voucher on beta.
  const good = packet('ext', 'xtransfer', 'xtransfer');
  assert.equal((await recv([good])).status, 'ok');
  assert.equal((w.b.state(`xchain/recv/ext/${good.sequence}`) as unknown as RecvRecord).ack.ok, true);
  assert.equal(w.b.state(`xtransfer/bal/${malloryDid}/ext/CNY-T`), '1000000');
});

test('every handler refuses a packet from an unregistered chain: the relay fails and nothing is written', async (t) => {
  const w = await world(t);
  const recv = await withExt(w);
  for (const dst of PORTS) {
    const before = stateSnapshot(w.b.chain);
    const r = await recv([packet('nowhere', BINDINGS[dst]![0]!, dst)]);
    assert.equal(r.status, 'failed', `a packet from an unregistered chain to ${dst} was taken`);
    assert.equal(r.code, 'XCHAIN_NOT_REGISTERED');
    assert.deepEqual(changedKeys(before, stateSnapshot(w.b.chain)), [], `state after the packet to ${dst}`);
  }
});

test('handlers bound to a chain refuse the right port on another registered chain; nothing is written', async (t) => {
  const w = await world(t);
  const recv = await withExt(w);
  // beta's own token and bill of lading are away at alpha; a payer of beta mandated alpha's contract c1.
  await ok(w.b, bob, 'xtransfer', 'issue', { denom: 'TOK' });
  await ok(w.b, bob, 'xtransfer', 'mint', { denom: 'TOK', to: bobDid, amount: '500' });
  await ok(w.b, bob, 'xtransfer', 'send', { dstChain: 'alpha', denom: 'TOK', amount: '500', receiver: bobDid });
  const { id: doc } = await ok(w.b, bob, 'xdoc', 'issue', { id: 'BL-1', kind: 'bill-of-lading', hash: HASH, holder: bobDid }) as { id: string };
  await ok(w.b, bob, 'xdoc', 'send', { id: doc, dstChain: 'alpha', receiver: bobDid });
  await ok(w.b, alice, 'xtx', 'begin', { id: 't9', participants: [{ chain: 'alpha', ops: [{ kind: 'transfer', denom: 'CNY-T', amount: '1', from: aliceDid, to: bobDid }] }], deadline: w.clock.now + 60_000 });
  await ok(w.b, alice, 'settlement', 'grantMandate', { grantee: { chain: 'alpha', port: 'lexcontract', contract: 'c1' }, currency: 'CNY', cap: '1000' });
  const cases: Array<[string, Packet, string]> = [
    ['a token of beta "coming home" from a chain that holds none of it', packet('ext', 'xtransfer', 'xtransfer', { denom: 'beta/TOK', amount: '500', sender: malloryDid, receiver: malloryDid }), 'XTRANSFER_INSUFFICIENT'],
    ['a bill of lading away at alpha "brought home" from ext', packet('ext', 'xdoc', 'xdoc', { doc: { id: doc, kind: 'bill-of-lading', hash: HASH, issuer: bobDid, holder: malloryDid, state: 'here', history: [] }, receiver: malloryDid }), 'XDOC_DUPLICATE'],
    ['a commit from a chain that coordinates no such transaction', packet('ext', 'xtx', 'xlock', { type: 'commit', id: 't9' }), 'XLOCK_NOT_PREPARED'],
    ['an inquiry from a chain that is no participant', packet('ext', 'xlock', 'xtx', { type: 'inquire', id: 't9' }), 'XTX_NOT_PARTICIPANT'],
    ['a settlement status from a chain other than settle', packet('ext', 'settlement', 'lexcontract'), 'FORBIDDEN'],
    ['an instruction from contract c1 on another chain than the mandate names', packet('ext', 'lexcontract', 'settlement'), 'NO_MANDATE'],
  ];
  for (const [what, p, code] of cases) {
    const before = stateSnapshot(w.b.chain);
    assert.equal((await recv([p])).status, 'ok', what);
    const ack = (w.b.state(`xchain/recv/ext/${p.sequence}`) as unknown as RecvRecord).ack;
    assert.deepEqual(ack.ok ? 'ok' : ack.code, code, what);
    onlyReceipts(changedKeys(before, stateSnapshot(w.b.chain)), 'ext', [p.sequence]);
  }
  assert.equal(w.b.state('xtransfer/escrow/alpha/TOK'), '500');
  assert.equal((w.b.state(`xdoc/doc/${doc}`) as { state: string; at: string }).at, 'alpha');
});

/**
 * A member chain running other code (a module `rogue` that declares itself bound to every port)
 * can send its packets, proven like any other; the destination's binding refuses them all.
 */
const ROGUE_TARGETS = [...PORTS, 'notary'];
const rogue: ModuleDef = {
  name: 'rogue',
  description: 'test: a module of another build claiming every port as its counterpart',
  port: { counterparts: ROGUE_TARGETS },
  methods: {
    forge: method({
      doc: 'send a packet to any port', gas: 1_000,
      args: z.strictObject({ dstChain: z.string(), dstPort: z.string(), payload: z.unknown() }),
      run: (ctx, a) => ctx.call('xchain', 'send', { dstChain: a.dstChain, dstPort: a.dstPort, payload: a.payload as JsonValue }) ?? null,
    }),
  },
  exports: {
    onAcknowledgementPacket: {
      doc: 'keep the ack', gas: 500, args: jsonSchema,
      run(ctx, args) {
        const { packet: p, ack } = args as unknown as { packet: Packet; ack: { ok: boolean; code?: string } };
        ctx.set(`ack/${p.sequence}`, ack.ok ? 'ok' : ack.code!);
      },
    },
  },
};
const narrow: ModuleDef = {
  name: 'narrow', description: 'test: a port bound to xdoc only', port: { counterparts: ['xdoc'] },
  methods: { forge: rogue.methods.forge! },
};
const portless: ModuleDef = { name: 'portless', description: 'test: a module that is no port', methods: { forge: rogue.methods.forge! } };

test('a proven packet from a port of another build is refused by every port; the ack goes back to the sending port only', async (t) => {
  const w = await world(t, { alpha: [rogue, narrow, portless] });
  // On alpha a port sends only within its own binding, and a module that is no port sends nothing.
  const beforeA = stateSnapshot(w.a.chain);
  const mis = await w.a.call(mallory, 'narrow', 'forge', { dstChain: 'beta', dstPort: 'xtransfer', payload: PAYLOADS.xtransfer! });
  assert.equal(mis.code, 'XCHAIN_PORT_MISMATCH');
  assert.match(mis.message!, /port narrow on alpha is bound to port xdoc on other chains, not to port xtransfer/);
  assert.equal((await w.a.call(mallory, 'portless', 'forge', { dstChain: 'beta', dstPort: 'xchain', payload: 1 })).code, 'XCHAIN_NOT_A_PORT');
  assert.deepEqual(changedKeys(beforeA, stateSnapshot(w.a.chain)), []);

  for (const dst of ROGUE_TARGETS) await ok(w.a, mallory, 'rogue', 'forge', { dstChain: 'beta', dstPort: dst, payload: PAYLOADS[dst]! });
  const before = stateSnapshot(w.b.chain);
  const beforeA2 = stateSnapshot(w.a.chain);
  const cursor = { from: 1 };
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).received, ROGUE_TARGETS.length);
  const seqs = ROGUE_TARGETS.map((_, i) => i + 1);
  for (const [i, dst] of ROGUE_TARGETS.entries()) {
    const ack = (w.b.state(`xchain/recv/alpha/${i + 1}`) as unknown as RecvRecord).ack;
    assert.equal(ack.ok ? 'ok' : ack.code, BINDINGS[dst] ? 'XCHAIN_PORT_MISMATCH' : 'XCHAIN_NO_HANDLER', `rogue → ${dst}`);
  }
  onlyReceipts(changedKeys(before, stateSnapshot(w.b.chain)), 'alpha', seqs);
  // The error acks come back to rogue, the port that sent them, and to no other module of alpha.
  assert.equal((await relayOnce(w.ea, w.eb, cursor)).acknowledged, ROGUE_TARGETS.length);
  for (const [i, dst] of ROGUE_TARGETS.entries()) assert.equal(w.a.state(`rogue/ack/${i + 1}`), BINDINGS[dst] ? 'XCHAIN_PORT_MISMATCH' : 'XCHAIN_NO_HANDLER');
  const touched = changedKeys(beforeA2, stateSnapshot(w.a.chain)).filter((k) => !k.startsWith('xchain/') && !k.startsWith('rogue/ack/'));
  assert.deepEqual(touched, [], 'acknowledgements reached only the sending port');
});
