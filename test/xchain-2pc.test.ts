/**
 * Atomic operations across chains (two-phase commit, modules xtx + xlock) on real chains
 * (LMDB stores, real execution, proofs checked by light clients), relayed by hand as an
 * untrusted gateway would. The running example: alice pays bob 500 CNY-T on alpha, and bob
 * endorses a bill of lading to alice on beta — both or neither. The coordinator runs on gamma.
 *
 * Each failure the brief names is a test: a relay that stops mid-way, a participant voting no,
 * a prepare timing out, a decision packet delayed past its timeout, replayed decisions, and
 * every way someone other than the coordinator might try to commit or release a lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, type KeyPair } from '../src/crypto/index.ts';
import { driveTx, headerProofOf, relayOnce, syncRoutes, txBody, txDigest, txStatus, type ChainEndpoint, type StateRead } from '../src/crosschain/index.ts';
import type { LockTxRecord, XtxParticipant, XtxRecord } from '../src/modules/index.ts';
import { openXchainWorld, type HandChain, type XchainWorld } from './helpers/xchain.ts';
import { tempDir } from './helpers/tmp.ts';

const alice = generateKeyPair('sm2');
const aliceDid = didFromPublicKey(alice.publicKey);
const bob = generateKeyPair('sm2');
const bobDid = didFromPublicKey(bob.publicKey);
const mallory = generateKeyPair('sm2');
const malloryDid = didFromPublicKey(mallory.publicKey);
const BL = 'beta:BL-7';

type World = XchainWorld & { g: HandChain; ea: ChainEndpoint; eb: ChainEndpoint; eg: ChainEndpoint; eps: Record<string, ChainEndpoint>; read: StateRead };

async function world(t: { after(fn: () => Promise<void>): void }): Promise<World> {
  const tmp = tempDir('xchain-2pc-');
  const w = await openXchainWorld(tmp.dir, 'sm2', { extraChains: ['gamma'] });
  t.after(async () => {
    await w.close();
    tmp.cleanup();
  });
  const g = w.extra.gamma!;
  let n = 1;
  for (const c of [w.a, w.b, g]) assert.equal((await w.register(w.routeOf(c), n++)).status, 'ok');
  const ex = w.xroute.endpoint(w.gateway);
  const ea = w.a.endpoint(w.gateway);
  const eb = w.b.endpoint(w.gateway);
  const eg = g.endpoint(w.gateway);
  for (const e of [ea, eb, eg]) assert.deepEqual((await syncRoutes(ex, e)).sort(), ['alpha', 'beta', 'gamma']);
  const eps: Record<string, ChainEndpoint> = { alpha: ea, beta: eb, gamma: eg };
  const read: StateRead = async (chain, key) => (eps[chain] ? eps[chain].state(key) : undefined);
  // alice holds 1000 CNY-T on alpha; bob holds bill of lading BL-7 on beta.
  await ok(w.a, alice, 'xtransfer', 'issue', { denom: 'CNY-T' });
  await ok(w.a, alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount: '1000' });
  await ok(w.b, bob, 'xdoc', 'issue', { id: 'BL-7', kind: 'bill-of-lading', hash: toHex(sm3(new TextEncoder().encode('B/L 7'))), holder: bobDid });
  return { ...w, g, ea, eb, eg, eps, read };
}

async function ok(c: HandChain, key: KeyPair, module: string, method: string, args: JsonValue): Promise<JsonValue | undefined> {
  const r = await c.call(key, module, method, args);
  assert.equal(r.status, 'ok', `${module}.${method}: ${r.code} ${r.message}`);
  return r.result;
}

const bal = (c: HandChain, did: string, denom = 'CNY-T'): string => (c.state(`xtransfer/bal/${did}/${denom}`) as string | null) ?? '0';
const doc = (w: World) => w.b.state(`xdoc/doc/${BL}`) as { holder: string; lock?: string; history: Array<{ event: string }> };
const xtx = (w: World, id: string) => w.g.state(`xtx/tx/${id}`) as unknown as XtxRecord;
const local = (c: HandChain, id: string, coord = 'gamma') => c.state(`xlock/tx/${coord}/${id}`) as unknown as LockTxRecord | null;

/** The trade: alice pays bob on alpha, bob endorses the bill of lading to alice on beta. */
const trade = (amount = '500'): XtxParticipant[] => [
  { chain: 'alpha', ops: [{ kind: 'transfer', denom: 'CNY-T', amount, from: aliceDid, to: bobDid }] },
  { chain: 'beta', ops: [{ kind: 'endorse', id: BL, from: bobDid, to: aliceDid }] },
];

/** alice begins on gamma; bob (owner of the beta op) consents on beta first, unless told not to. */
async function begin(w: World, id: string, opts: { consent?: boolean; deadlineIn?: number; recoverIn?: number; decisionTimeoutMs?: number; participants?: XtxParticipant[] } = {}): Promise<{ id: string; deadline: number }> {
  const participants = opts.participants ?? trade();
  const deadline = w.clock.now + (opts.deadlineIn ?? 60_000);
  const recoverAfter = opts.recoverIn === undefined ? undefined : deadline + opts.recoverIn;
  if (opts.consent ?? true) {
    const digest = txDigest(txBody({ coordinator: 'gamma', id, participants, deadline, ...(recoverAfter ? { recoverAfter } : {}) }));
    await ok(w.b, bob, 'xlock', 'consent', { coordinator: 'gamma', id, digest });
  }
  const args: { [k: string]: JsonValue } = { id, participants: participants as unknown as JsonValue, deadline };
  if (recoverAfter) args.recoverAfter = recoverAfter;
  if (opts.decisionTimeoutMs) args.decisionTimeoutMs = opts.decisionTimeoutMs;
  await ok(w.g, alice, 'xtx', 'begin', args);
  return { id, deadline };
}

function assertAllCommitted(w: World, id: string): void {
  assert.equal(xtx(w, id).status, 'committed');
  assert.equal(local(w.a, id)!.state, 'committed');
  assert.equal(local(w.b, id)!.state, 'committed');
  assert.equal(bal(w.a, aliceDid), '500');
  assert.equal(bal(w.a, bobDid), '500');
  assert.equal(doc(w).holder, aliceDid);
  assert.equal(doc(w).lock, undefined);
}

function assertAllRolledBack(w: World, id: string): void {
  assert.equal(xtx(w, id).status, 'aborted');
  assert.equal(xtx(w, id).decision?.outcome, 'abort');
  for (const c of [w.a, w.b]) assert.ok([undefined, 'rolled-back', 'refused'].includes(local(c, id)?.state), `${c.genesis.chain}: ${local(c, id)?.state}`);
  assert.equal(bal(w.a, aliceDid), '1000');
  assert.equal(bal(w.a, bobDid), '0');
  assert.equal(doc(w).holder, bobDid);
  assert.equal(doc(w).lock, undefined);
}

test('payment on one chain and bill-of-lading endorsement on another commit together; every state is provable', async (t) => {
  const w = await world(t);
  await begin(w, 'trade-1');
  const r = await driveTx(w.eps, 'gamma', 'trade-1');
  assert.equal(r.done, true);
  assert.equal(r.view.atomicity, 'all-committed');
  assertAllCommitted(w, 'trade-1');
  const rec = xtx(w, 'trade-1');
  assert.deepEqual(rec.participants.map((p) => [p.chain, p.vote, p.outcome]), [['alpha', 'yes', 'committed'], ['beta', 'yes', 'committed']]);
  assert.equal(rec.decision!.reason, 'every participant voted yes');
  assert.deepEqual(doc(w).history.map((h) => h.event), ['issued', 'endorsed']);
  assert.equal((w.a.state('xtransfer/hold/gamma/trade-1/0') as { state: string }).state, 'committed');
  // The coordinator's decision and each participant's lock state are in state: proven under the state root.
  const proven = await w.eg.proof(w.g.chain.height(), ['xtx/tx/trade-1']);
  assert.equal((proven.proofs[0]!.value as { decision: { outcome: string } }).decision.outcome, 'commit');
  assert.ok(proven.proofs[0]!.proof.siblings.length > 0);
  const pa = await w.ea.proof(w.a.chain.height(), ['xlock/tx/gamma/trade-1']);
  assert.equal((pa.proofs[0]!.value as { state: string }).state, 'committed');
  // The status view agrees.
  const v = await txStatus(w.read, 'gamma', 'trade-1');
  assert.deepEqual(v!.participants.map((p) => [p.chain, p.local?.state, p.local?.locks.map((l) => l.state)]), [['alpha', 'committed', ['committed']], ['beta', 'committed', ['committed']]]);
});

test('(a) the relay stops after the prepares are delivered, before the votes return: locks hold, a new relay round finishes', async (t) => {
  const w = await world(t);
  await begin(w, 'trade-a');
  assert.equal((await relayOnce(w.eg, w.ea, { from: 1 })).received, 1);
  assert.equal((await relayOnce(w.eg, w.eb, { from: 1 })).received, 1);
  // The gateway is gone. Both participants voted yes and hold their locks; nothing moved yet.
  assert.equal(local(w.a, 'trade-a')!.state, 'prepared');
  assert.equal(local(w.b, 'trade-a')!.state, 'prepared');
  assert.equal(xtx(w, 'trade-a').status, 'preparing');
  assert.equal(bal(w.a, aliceDid), '500', 'alice\'s 500 are in the hold');
  assert.equal(bal(w.a, bobDid), '0');
  // The held funds and the locked document cannot be used meanwhile.
  assert.equal((await w.a.call(alice, 'xtransfer', 'transfer', { denom: 'CNY-T', to: malloryDid, amount: '600' })).code, 'XTRANSFER_INSUFFICIENT');
  assert.equal((await w.b.call(bob, 'xdoc', 'endorse', { id: BL, to: malloryDid })).code, 'XDOC_LOCKED');
  assert.equal((await w.b.call(bob, 'xdoc', 'send', { id: BL, dstChain: 'alpha', receiver: malloryDid })).code, 'XDOC_LOCKED');
  // The lock waits for the coordinator: no inquiry before recoverAfter.
  assert.equal((await w.a.call(alice, 'xlock', 'inquire', { coordinator: 'gamma', id: 'trade-a' })).code, 'XLOCK_TOO_EARLY');
  // A new manager with no memory of the first (fresh cursors) finishes from what the chains hold.
  const r = await driveTx(w.eps, 'gamma', 'trade-a');
  assert.equal(r.done, true);
  assertAllCommitted(w, 'trade-a');
});

test('(b) one participant votes no (its owner never consented): the other rolls back, nothing moves', async (t) => {
  const w = await world(t);
  await begin(w, 'trade-b', { consent: false });
  const r = await driveTx(w.eps, 'gamma', 'trade-b');
  assert.equal(r.done, true);
  assert.equal(r.view.atomicity, 'all-rolled-back');
  assertAllRolledBack(w, 'trade-b');
  const rec = xtx(w, 'trade-b');
  assert.equal(rec.participants[1]!.vote, 'no');
  assert.match(rec.participants[1]!.reason!, /XLOCK_NO_CONSENT/);
  assert.match(rec.decision!.reason, /beta voted no/);
  assert.equal(local(w.a, 'trade-b')!.state, 'rolled-back');
  assert.equal(local(w.b, 'trade-b')!.state, 'refused');
  assert.equal((w.a.state('xtransfer/hold/gamma/trade-b/0') as { state: string }).state, 'released');
  // A no for lack of funds works the same way: alice cannot pay 5000.
  await begin(w, 'trade-b2', { participants: trade('5000') });
  await driveTx(w.eps, 'gamma', 'trade-b2');
  assert.match(xtx(w, 'trade-b2').participants[0]!.reason!, /XTRANSFER_INSUFFICIENT/);
  assertAllRolledBack(w, 'trade-b2');
});

test('(c) a prepare times out: abort, every lock released; the late prepare never executes', async (t) => {
  const w = await world(t);
  const { deadline } = await begin(w, 'trade-c', { deadlineIn: 20_000 });
  // alpha gets its prepare and votes; beta's prepare is dropped by the relay.
  assert.equal((await relayOnce(w.eg, w.ea, { from: 1 })).received, 1);
  const late = await w.eg.proof(w.g.chain.height(), ['xchain/out/beta/1']);
  assert.equal(local(w.a, 'trade-c')!.state, 'prepared');
  while ((w.b.chain.getBlock(w.b.chain.height())!.header.time) < deadline) await w.b.tick();
  const r = await driveTx(w.eps, 'gamma', 'trade-c');
  assert.equal(r.done, true);
  assertAllRolledBack(w, 'trade-c');
  const rec = xtx(w, 'trade-c');
  assert.equal(rec.participants[1]!.vote, 'timeout');
  assert.match(rec.decision!.reason, /beta did not receive the prepare/);
  assert.equal(local(w.b, 'trade-c'), null, 'nothing was ever locked on beta');
  // The dropped prepare delivered now is expired: beta locks nothing.
  const again = await w.b.call(w.gateway, 'xchain', 'recv', { proof: headerProofOf(late, false), packets: [{ packet: late.proofs[0]!.value, proof: late.proofs[0]!.proof }] } as unknown as JsonValue);
  assert.deepEqual((again.result as Array<{ result: string }>)[0]!.result, 'expired');
  assert.equal(doc(w).lock, undefined);
});

test('(d) after a commit decision, a commit packet delayed past its timeout is sent again and still commits', async (t) => {
  const w = await world(t);
  await begin(w, 'trade-d', { decisionTimeoutMs: 5_000 });
  const ga = { from: 1 }; const gb = { from: 1 }; const ag = { from: 1 }; const bg = { from: 1 };
  await relayOnce(w.eg, w.ea, ga);
  await relayOnce(w.eg, w.eb, gb);
  // Votes return: the coordinator decides commit (in state) and sends the decision.
  await relayOnce(w.eg, w.ea, ga);
  await relayOnce(w.eg, w.eb, gb);
  const rec = xtx(w, 'trade-d');
  assert.equal(rec.decision?.outcome, 'commit');
  assert.equal(rec.status, 'committing');
  // alpha commits at once; beta's commit packet is held back.
  await relayOnce(w.eg, w.ea, ga);
  await relayOnce(w.eg, w.ea, ga);
  assert.equal(local(w.a, 'trade-d')!.state, 'committed');
  assert.equal(bal(w.a, bobDid), '500');
  const firstCommit = xtx(w, 'trade-d').participants[1]!.decisionSeqs[0]!;
  const held = await w.eg.proof(w.g.chain.height(), [`xchain/out/beta/${firstCommit}`]);
  assert.equal((held.proofs[0]!.value as { payload: { type: string } }).payload.type, 'commit');
  for (let i = 0; i < 7; i++) await w.b.tick();
  // The timeout of a decision is proven... and means "send it again", never the other outcome.
  const tr = await relayOnce(w.eg, w.eb, gb);
  assert.equal(tr.timedOut, 1);
  const after = xtx(w, 'trade-d');
  assert.equal(after.decision?.outcome, 'commit');
  assert.equal(after.participants[1]!.decisionSeqs.length, 2);
  assert.equal(local(w.b, 'trade-d')!.state, 'prepared', 'beta still holds its lock, waiting');
  // The expired first packet, delivered late, does nothing.
  const lateRecv = await w.b.call(w.gateway, 'xchain', 'recv', { proof: headerProofOf(held, false), packets: [{ packet: held.proofs[0]!.value, proof: held.proofs[0]!.proof }] } as unknown as JsonValue);
  assert.deepEqual((lateRecv.result as Array<{ result: string }>)[0]!.result, 'expired');
  const r = await driveTx(w.eps, 'gamma', 'trade-d', { cursors: new Map([['gamma>alpha', ga], ['gamma>beta', gb], ['alpha>gamma', ag], ['beta>gamma', bg]]) });
  assert.equal(r.done, true);
  assertAllCommitted(w, 'trade-d');
});

test('(d2) recovery by inquiry: past recoverAfter with no decision, the coordinator presumes abort and the participant applies its proven answer', async (t) => {
  const w = await world(t);
  const { deadline } = await begin(w, 'trade-r', { deadlineIn: 10_000, recoverIn: 10_000 });
  await relayOnce(w.eg, w.ea, { from: 1 });
  await relayOnce(w.eg, w.eb, { from: 1 });
  assert.equal(local(w.a, 'trade-r')!.state, 'prepared');
  // No relayer brings the votes back. Time passes the deadline and recoverAfter everywhere.
  while (w.clock.now < deadline + 12_000) await w.a.tick();
  await w.g.tick();
  const q = await ok(w.a, bob, 'xlock', 'inquire', { coordinator: 'gamma', id: 'trade-r' }) as { sequence: number };
  // The inquiry reaches the coordinator, which has no decision past the deadline: abort, written there first.
  const ag = { from: 1 };
  const r1 = await relayOnce(w.ea, w.eg, ag);
  assert.equal(r1.received, 1, JSON.stringify(r1));
  assert.equal(xtx(w, 'trade-r').decision?.outcome, 'abort');
  // Its proven answer (the acknowledgement) releases alpha's hold.
  await relayOnce(w.ea, w.eg, ag);
  assert.equal(w.a.state(`xchain/st/gamma/${q.sequence}`) !== null, true);
  assert.equal(local(w.a, 'trade-r')!.state, 'rolled-back');
  assert.equal(local(w.a, 'trade-r')!.decision?.via, 'inquiry');
  assert.equal(bal(w.a, aliceDid), '1000');
  // The rest is relayed: beta rolls back on the coordinator's packet; the late yes votes change nothing.
  const r = await driveTx(w.eps, 'gamma', 'trade-r', { cursors: new Map([['alpha>gamma', ag]]) });
  assert.equal(r.done, true);
  assertAllRolledBack(w, 'trade-r');
  assert.deepEqual(xtx(w, 'trade-r').participants.map((p) => p.vote), ['yes', 'yes']);
});

test('(e2) a participant that learnt the commit by inquiry takes the delayed commit packet as a duplicate decision', async (t) => {
  const w = await world(t);
  await begin(w, 'trade-q', { deadlineIn: 10_000, recoverIn: 5_000 });
  const ga = { from: 1 }; const gb = { from: 1 };
  for (let i = 0; i < 2; i++) {
    await relayOnce(w.eg, w.ea, ga);
    await relayOnce(w.eg, w.eb, gb);
  }
  assert.equal(xtx(w, 'trade-q').decision?.outcome, 'commit');
  // beta's commit packet is not relayed yet; beta passes recoverAfter and asks.
  const rec = xtx(w, 'trade-q');
  while (w.clock.now < rec.recoverAfter + 1_000) await w.b.tick();
  await ok(w.b, alice, 'xlock', 'inquire', { coordinator: 'gamma', id: 'trade-q', timeoutTime: w.clock.now + 600_000 });
  const bg = { from: 1 };
  await relayOnce(w.eb, w.eg, bg);
  await relayOnce(w.eb, w.eg, bg);
  assert.equal(local(w.b, 'trade-q')!.state, 'committed');
  assert.equal(local(w.b, 'trade-q')!.decision?.via, 'inquiry');
  assert.equal(doc(w).holder, aliceDid);
  // Now the commit packet arrives (its timeout is an hour away): acknowledged as committed, nothing done twice.
  await relayOnce(w.eg, w.eb, gb);
  const seq = xtx(w, 'trade-q').participants[1]!.decisionSeqs[0]!;
  const ack = (w.b.state(`xchain/recv/gamma/${seq}`) as { ack: { ok: boolean; result: { state: string } } }).ack;
  assert.deepEqual([ack.ok, ack.result.state], [true, 'committed']);
  assert.deepEqual(doc(w).history.map((h) => h.event), ['issued', 'endorsed']);
  const r = await driveTx(w.eps, 'gamma', 'trade-q');
  assert.equal(r.done, true);
  assertAllCommitted(w, 'trade-q');
});

test('(e) replayed and duplicated decision packets change nothing', async (t) => {
  const w = await world(t);
  await begin(w, 'trade-e');
  await driveTx(w.eps, 'gamma', 'trade-e');
  assertAllCommitted(w, 'trade-e');
  const rec = xtx(w, 'trade-e');
  const seqs = rec.participants.map((p) => p.decisionSeqs[0]!);
  // Replay the commit packets with valid proofs: duplicates, nothing paid twice.
  for (const [i, c] of [[0, w.a], [1, w.b]] as const) {
    const dst = c.genesis.chain;
    const b = await w.eg.proof(w.g.chain.height(), [`xchain/out/${dst}/${seqs[i]}`]);
    const rr = await c.call(w.gateway, 'xchain', 'recv', { proof: headerProofOf(b, false), packets: [{ packet: b.proofs[0]!.value, proof: b.proofs[0]!.proof }] } as unknown as JsonValue);
    assert.deepEqual((rr.result as Array<{ result: string }>)[0]!.result, 'duplicate');
  }
  // The coordinator will not send a completed decision again.
  assert.equal((await w.g.call(mallory, 'xtx', 'resend', { id: 'trade-e' })).code, 'XTX_NOTHING_TO_RESEND');
  assert.equal((await w.g.call(alice, 'xtx', 'abort', { id: 'trade-e' })).code, 'XTX_DECIDED');
  // A second transaction with the same id is refused at the coordinator.
  assert.equal((await w.g.call(alice, 'xtx', 'begin', { id: 'trade-e', participants: trade() as unknown as JsonValue, deadline: w.clock.now + 60_000 })).code, 'XTX_EXISTS');
  assertAllCommitted(w, 'trade-e');
  // An inquiry after completion is refused here: nothing to recover.
  assert.equal((await w.a.call(alice, 'xlock', 'inquire', { coordinator: 'gamma', id: 'trade-e' })).code, 'XLOCK_SETTLED');
});

test('(f) nobody but the coordinator\'s xchain deliveries commits or releases a lock; nobody locks what they do not own', async (t) => {
  const w = await world(t);
  await begin(w, 'trade-f');
  await relayOnce(w.eg, w.ea, { from: 1 });
  await relayOnce(w.eg, w.eb, { from: 1 });
  assert.equal(local(w.b, 'trade-f')!.state, 'prepared');
  const lockTx = (c: HandChain) => JSON.stringify(local(c, 'trade-f'));
  const before = [lockTx(w.a), lockTx(w.b), bal(w.a, aliceDid)];
  // 1. Handlers and lock exports are not methods: a tx cannot reach them.
  const forgedPacket = { srcChain: 'gamma', srcPort: 'xtx', dstChain: 'beta', dstPort: 'xlock', sequence: 99, sender: aliceDid, payload: { type: 'rollback', id: 'trade-f' } };
  assert.equal((await w.b.call(mallory, 'xlock', 'onRecvPacket', forgedPacket as unknown as JsonValue)).code, 'METHOD_NOT_FOUND');
  assert.equal((await w.a.call(bob, 'xtransfer', 'holdCommit', { hold: 'gamma/trade-f/0' })).code, 'METHOD_NOT_FOUND');
  assert.equal((await w.a.call(alice, 'xtransfer', 'holdRelease', { hold: 'gamma/trade-f/0' })).code, 'METHOD_NOT_FOUND');
  assert.equal((await w.b.call(bob, 'xdoc', 'releaseLock', { lock: 'gamma/trade-f/0' })).code, 'METHOD_NOT_FOUND');
  // 2. A packet from a DID (gamma's xchain port, not the xtx module) to xlock: refused at the source by the port binding.
  const fromTx = await w.g.call(mallory, 'xchain', 'send', { dstChain: 'beta', dstPort: 'xlock', payload: { type: 'rollback', id: 'trade-f' } });
  assert.equal(fromTx.code, 'XCHAIN_PORT_MISMATCH');
  // 3. Another chain's coordinator with the same id: its decisions are about its own transaction, not gamma's.
  await ok(w.a, mallory, 'xtx', 'begin', { id: 'trade-f', participants: [{ chain: 'beta', ops: [{ kind: 'endorse', id: BL, from: bobDid, to: malloryDid }] }], deadline: w.clock.now + 60_000 });
  const eab = { from: 1 };
  await relayOnce(w.ea, w.eb, eab);
  await relayOnce(w.ea, w.eb, eab);
  assert.equal((w.a.state('xtx/tx/trade-f') as { status: string }).status, 'aborted');
  const gb = { from: 1 };
  await relayOnce(w.eg, w.eb, gb);
  assert.equal(w.g.state('xchain/seq/beta'), 1, 'gamma sent beta only the prepare');
  assert.equal(w.b.state('xchain/recv/gamma/2'), null);
  // Mallory's own transaction (coordinated from alpha) wanted bob's document: beta voted no, locked nothing.
  assert.equal(local(w.b, 'trade-f', 'alpha')!.state, 'refused');
  assert.match(JSON.stringify(local(w.b, 'trade-f', 'alpha')!.vote), /XLOCK_NO_CONSENT/);
  // 4. The initiator's abort is the only early abort; others must wait for the deadline.
  assert.equal((await w.g.call(mallory, 'xtx', 'abort', { id: 'trade-f' })).code, 'XTX_FORBIDDEN');
  // 5. A participant cannot inquire early, and a consent after the prepare changes nothing.
  assert.equal((await w.b.call(bob, 'xlock', 'inquire', { coordinator: 'gamma', id: 'trade-f' })).code, 'XLOCK_TOO_EARLY');
  assert.equal((await w.b.call(bob, 'xlock', 'revoke', { coordinator: 'gamma', id: 'trade-f' })).code, 'XLOCK_ALREADY_PREPARED');
  assert.deepEqual([lockTx(w.a), lockTx(w.b), bal(w.a, aliceDid)], before, 'gamma\'s locks are untouched');
  assert.equal(doc(w).lock, 'gamma/trade-f/0');
  // 6. Mallory begins a transaction that pays herself from alice's balance: alpha votes no.
  await ok(w.g, mallory, 'xtx', 'begin', { id: 'steal', participants: [{ chain: 'alpha', ops: [{ kind: 'transfer', denom: 'CNY-T', amount: '100', from: aliceDid, to: malloryDid }] }], deadline: w.clock.now + 60_000 });
  await driveTx(w.eps, 'gamma', 'steal');
  assert.equal(xtx(w, 'steal').status, 'aborted');
  assert.match(xtx(w, 'steal').participants[0]!.reason!, /XLOCK_NO_CONSENT/);
  assert.equal(bal(w.a, malloryDid), '0');
  // A consent to a different body (here: another amount) does not authorise this one.
  const other = [{ chain: 'alpha', ops: [{ kind: 'transfer' as const, denom: 'CNY-T', amount: '1', from: aliceDid, to: malloryDid }] }];
  const deadline = w.clock.now + 60_000;
  await ok(w.a, alice, 'xlock', 'consent', { coordinator: 'gamma', id: 'steal-2', digest: txDigest(txBody({ coordinator: 'gamma', id: 'steal-2', participants: other, deadline })) });
  await ok(w.g, mallory, 'xtx', 'begin', { id: 'steal-2', participants: [{ chain: 'alpha', ops: [{ ...other[0]!.ops[0]!, amount: '900' }] }] as unknown as JsonValue, deadline });
  await driveTx(w.eps, 'gamma', 'steal-2');
  assert.equal(xtx(w, 'steal-2').status, 'aborted');
  assert.match(xtx(w, 'steal-2').participants[0]!.reason!, /consented to digest/);
  // Finally the real transaction completes as the coordinator decides.
  const r = await driveTx(w.eps, 'gamma', 'trade-f');
  assert.equal(r.done, true);
  assertAllCommitted(w, 'trade-f');
});

test('begin refuses bad transactions and changes nothing', async (t) => {
  const w = await world(t);
  const bad = async (args: JsonValue, code: string) => assert.equal((await w.g.call(alice, 'xtx', 'begin', args)).code, code);
  const deadline = w.clock.now + 60_000;
  await bad({ id: 'x', participants: [{ chain: 'gamma', ops: trade()[0]!.ops }] as unknown as JsonValue, deadline }, 'XTX_BAD_TX');
  await bad({ id: 'x', participants: [trade()[0]!, trade()[0]!] as unknown as JsonValue, deadline }, 'XTX_BAD_TX');
  await bad({ id: 'x', participants: trade() as unknown as JsonValue, deadline: 5 }, 'XTX_BAD_DEADLINE');
  await bad({ id: 'x', participants: trade() as unknown as JsonValue, deadline, recoverAfter: deadline }, 'XTX_BAD_DEADLINE');
  await bad({ id: 'x', participants: [{ chain: 'alpha', ops: [{ kind: 'burn', from: aliceDid }] }], deadline }, 'BAD_ARGS');
  await bad({ id: 'x/y', participants: trade() as unknown as JsonValue, deadline }, 'BAD_ARGS');
  await bad({ id: 'x', participants: [{ chain: 'alpha', ops: [{ kind: 'transfer', denom: 'CNY-T', amount: '-5', from: aliceDid, to: bobDid }] }], deadline }, 'BAD_ARGS');
  assert.equal(w.g.state('xtx/log/count'), null);
  assert.equal(w.g.state('xchain/seq/alpha'), null);
});

test('packet handlers take any payload from any port without faulting: a clear refusal or a vote, never a crash', async () => {
  const fc = (await import('fast-check')).default;
  const { MapContext, runExport } = await import('../src/runtime/index.ts');
  const { ShulianError } = await import('../src/codec/index.ts');
  const { xlockModule, xtxModule } = await import('../src/modules/index.ts');
  class FromXchain extends MapContext {
    readonly caller = 'xchain';
  }
  const json = fc.jsonValue({ maxDepth: 3 }) as unknown as ReturnType<typeof fc.constant<JsonValue>>;
  const payload = fc.oneof(
    json,
    fc.record({ type: fc.constantFrom('prepare', 'commit', 'rollback', 'inquire', 'x'), id: fc.oneof(fc.string(), fc.constant('t1')) }),
    fc.record({
      type: fc.constant('prepare'), id: fc.constant('t1'), initiator: fc.constantFrom(aliceDid, bobDid), coordinator: fc.constantFrom('gamma', 'beta'),
      participants: fc.array(fc.record({ chain: fc.constantFrom('alpha', 'beta', 'Bad'), ops: fc.array(json, { maxLength: 3 }) }), { maxLength: 3 }),
      deadline: fc.integer(), recoverAfter: fc.integer(),
    }),
  );
  const packet = fc.record({
    srcChain: fc.constantFrom('gamma', 'beta', ''), srcPort: fc.constantFrom('xtx', 'xlock', 'xchain'), dstChain: fc.constant('alpha'), dstPort: fc.constant('xlock'),
    sequence: fc.integer({ min: 1, max: 5 }), sender: fc.constantFrom(aliceDid, bobDid), payload,
  });
  const ack = fc.oneof(fc.record({ ok: fc.constant(true), result: json }), fc.record({ ok: fc.constant(false), code: fc.string(), message: fc.string() }));
  fc.assert(fc.property(packet, ack, (p, a) => {
    const store = new Map<string, string>();
    // A coordinator record for t1, so ack/timeout handlers reach their real logic.
    store.set('tx/t1', JSON.stringify({ id: 't1', coordinator: 'gamma', initiator: aliceDid, digest: '00', deadline: 5, recoverAfter: 9, decisionTimeoutMs: 1000, status: 'preparing', created: { height: 1, time: 1, tx: '' }, participants: [{ chain: 'alpha', ops: [], prepareSeq: 1, vote: 'pending', decisionSeqs: [], inFlight: false }] }));
    const calls: Array<() => unknown> = [
      () => runExport(xlockModule, 'onRecvPacket', new FromXchain(new Map(), 'gw', 1, 1_700_000_000_000, 'alpha'), p as unknown as JsonValue),
      () => runExport(xlockModule, 'onAcknowledgementPacket', new FromXchain(new Map(), 'gw', 1, 1_700_000_000_000, 'alpha'), { packet: p, ack: a } as unknown as JsonValue),
      () => runExport(xtxModule, 'onRecvPacket', new FromXchain(new Map(store), 'gw', 1, 1_700_000_000_000, 'gamma'), p as unknown as JsonValue),
      () => runExport(xtxModule, 'onAcknowledgementPacket', new FromXchain(new Map(store), 'gw', 1, 1_700_000_000_000, 'gamma'), { packet: { ...p, payload: { ...(typeof p.payload === 'object' && p.payload && !Array.isArray(p.payload) ? p.payload : {}), id: 't1' } }, ack: a } as unknown as JsonValue),
      () => runExport(xtxModule, 'onTimeoutPacket', new FromXchain(new Map(store), 'gw', 1, 1_700_000_000_000, 'gamma'), { packet: { ...p, payload: { type: 'prepare', id: 't1' } } } as unknown as JsonValue),
    ];
    for (const call of calls) {
      try {
        call();
      } catch (err) {
        assert.ok(err instanceof ShulianError, `a fault, not a refusal: ${(err as Error).stack}`);
      }
    }
  }), { numRuns: 300 });
});
