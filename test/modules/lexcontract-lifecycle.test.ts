import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { canonicalize, type JsonValue } from '../../src/codec/index.ts';
import { jsonSchema } from '../../src/codec/schemas.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Receipt } from '../../src/ledger/index.ts';
import { compileSource } from '../../src/lex/index.ts';
import { method, ModuleError, runExport, type ModuleDef } from '../../src/runtime/index.ts';
import { openTestChain, type TestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';
import { changedKeys, stateSnapshot } from '../helpers/state.ts';
import { recvRefusal } from '../../src/modules/xchain/port.ts';
import {
  historyKey, instanceFingerprint, instanceKey, lexcontractModule, lexStateKey, memberCountKey, memberKey, settlementKey,
  SETTLEMENT_CHAIN, SETTLEMENT_PORT, stateKey, TEMPLATE_COUNT_KEY, templateListKey,
  type HistoryEntry, type LexInstance, type SettlementRecord,
} from '../../src/modules/lexcontract/index.ts';

const dir = new URL('../../contracts/late-delivery/', import.meta.url);
const SOURCE = readFileSync(new URL('contract.lex', dir), 'utf8');
const SAMPLE = JSON.parse(readFileSync(new URL('sample.json', dir), 'utf8')) as Record<string, JsonValue>;
const TERMS: Record<string, JsonValue> = Object.fromEntries(Object.entries(SAMPLE).filter(([k]) => k !== 'seller' && k !== 'buyer'));
const at = (iso: string): number => Date.parse(iso);

/**
 * Test-only stand-in for the xchain module (the real one is being built): `send` records the
 * packet as xchain would and returns its sequence; the methods `ack` and `timeout` deliver the
 * result back to lexcontract's exports through the real runtime path (ctx.call, caller = xchain).
 */
const fakeXchain: ModuleDef = {
  name: 'xchain',
  description: 'test-only xchain: records sent packets, delivers acknowledgements and timeouts',
  methods: {
    recv: method({
      doc: 'deliver a packet to lexcontract.onRecvPacket, after xchain\'s own port-binding check', gas: 1_000, args: z.strictObject({ packet: z.record(z.string(), z.unknown()) }),
      run(ctx, a) {
        const p = a.packet as { srcChain?: unknown; srcPort?: unknown; dstPort?: unknown };
        const refused = recvRefusal((m) => (m === 'lexcontract' ? lexcontractModule.port : undefined), { srcChain: String(p.srcChain), srcPort: String(p.srcPort), dstPort: String(p.dstPort ?? 'lexcontract') }, ctx.chain);
        if (refused) throw new ModuleError(refused.code, refused.message);
        return ctx.call('lexcontract', 'onRecvPacket', a.packet as JsonValue);
      },
    }),
    down: method({
      doc: 'make send refuse (or accept again)', gas: 1_000, args: z.strictObject({ down: z.boolean() }),
      run(ctx, a) {
        ctx.set('down', a.down);
      },
    }),
    ack: method({
      doc: 'deliver an acknowledgement', gas: 1_000,
      args: z.strictObject({ sequence: z.number().int(), ok: z.boolean(), code: z.string().optional(), message: z.string().optional(), result: z.record(z.string(), z.string()).optional() }),
      run(ctx, a) {
        const packet = ctx.get(`pkt/${a.sequence}`);
        const ack: JsonValue = a.ok ? { ok: true, result: a.result ?? {} } : { ok: false, code: a.code ?? 'X', message: a.message ?? 'failed' };
        return ctx.call('lexcontract', 'onAcknowledgementPacket', { packet: packet ?? null, ack });
      },
    }),
    timeout: method({
      doc: 'deliver a timeout', gas: 1_000, args: z.strictObject({ sequence: z.number().int() }),
      run(ctx, a) {
        return ctx.call('lexcontract', 'onTimeoutPacket', { packet: ctx.get(`pkt/${a.sequence}`) ?? null });
      },
    }),
  },
  exports: {
    send: {
      doc: 'record a packet', gas: 1_000, args: jsonSchema,
      run(ctx, raw) {
        const args = raw as { dstChain: string; dstPort: string; payload: JsonValue; timeoutTime?: number };
        if (ctx.get('down') === true) throw new ModuleError('XCHAIN_NOT_REGISTERED', 'the route to settle is not known yet');
        const n = (ctx.get('count') as number | undefined) ?? 0;
        const packet = { srcChain: ctx.chain, srcPort: ctx.caller ?? '', dstChain: args.dstChain, dstPort: args.dstPort, sequence: n, sender: ctx.sender, payload: args.payload, ...(args.timeoutTime ? { timeoutTime: args.timeoutTime } : {}) };
        ctx.set(`pkt/${n}`, packet);
        ctx.set('count', n + 1);
        return { sequence: n, packetId: `${ctx.chain}/${ctx.caller ?? ''}/${n}` };
      },
    },
  },
};

/** A module that is not xchain trying to fake a payment confirmation. */
const intruder: ModuleDef = {
  name: 'intruder',
  description: 'test-only: calls lexcontract exports without being xchain',
  methods: {
    fake: method({
      doc: 'fake an ack', gas: 1_000, args: z.strictObject({ packet: z.record(z.string(), z.unknown()) }),
      run(ctx, a) {
        return ctx.call('lexcontract', 'onAcknowledgementPacket', { packet: a.packet as JsonValue, ack: { ok: true } });
      },
    }),
    fakeStatus: method({
      doc: 'fake a settlement-status packet', gas: 1_000, args: z.strictObject({ packet: z.record(z.string(), z.unknown()) }),
      run(ctx, a) {
        return ctx.call('lexcontract', 'onRecvPacket', a.packet as JsonValue);
      },
    }),
  },
};

class Driver {
  private nonces = new Map<string, number>();
  private clock = at('2024-01-01T00:00:00+08:00');
  constructor(readonly t: TestChain) {}
  async call(key: KeyPair, module: string, m: string, args: Record<string, JsonValue>, time?: number): Promise<Receipt> {
    const did = didFromPublicKey(key.publicKey);
    const nonce = this.nonces.get(did) ?? 0;
    this.nonces.set(did, nonce + 1);
    const { tx } = signTx(key, { chain: 'sign', module, method: m, args, nonce, expires: 1_000 });
    const [sub] = await this.t.chain.submit([tx]);
    assert.equal(sub!.accepted, true, JSON.stringify(sub));
    this.clock = time ?? this.clock + 1_000;
    const b = await this.t.chain.produceBlock(this.clock);
    assert.ok(b);
    return b.receipts[0]!;
  }
  one(key: KeyPair, m: string, args: Record<string, JsonValue>, time?: number): Promise<Receipt> {
    return this.call(key, 'lexcontract', m, args, time);
  }
  state(key: string): JsonValue | null {
    return this.t.chain.getState(lexStateKey(key)).value;
  }
  inst(id: string): LexInstance {
    return this.state(instanceKey(id)) as unknown as LexInstance;
  }
  history(id: string): HistoryEntry[] {
    const inst = this.inst(id);
    return Array.from({ length: inst.history }, (_, n) => this.state(historyKey(id, n)) as unknown as HistoryEntry);
  }
}

function ok(r: Receipt): JsonValue {
  assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
  return r.result ?? null;
}

async function withChain(modules: ModuleDef[], f: (d: Driver) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2', { chain: 'sign', modules: modules.map((m) => m.name) }, modules);
  try {
    await f(new Driver(t));
  } finally {
    await t.close();
    tmp.cleanup();
  }
}

interface Setup { template: string; id: string; fp: string; seller: KeyPair; buyer: KeyPair; court: KeyPair; stranger: KeyPair; parties: Record<string, string> }

async function draft(d: Driver, extra: Record<string, JsonValue> = {}): Promise<Setup> {
  const [seller, buyer, court, stranger] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
  const { template } = ok(await d.one(stranger, 'deploy', { source: SOURCE })) as { template: string };
  const parties = { seller: didFromPublicKey(seller.publicKey), buyer: didFromPublicKey(buyer.publicKey) };
  const res = ok(await d.one(buyer, 'draft', { template, params: TERMS, parties, ...extra })) as { id: string; fingerprint: string };
  return { template, id: res.id, fp: res.fingerprint, seller, buyer, court, stranger, parties };
}

test('lexcontract: a court countersigns after both parties; the countersigner and dispute terms are in the fingerprint', async () => {
  await withChain([lexcontractModule], async (d) => {
    const court = generateKeyPair('sm2');
    const courtDid = didFromPublicKey(court.publicKey);
    const s = await draft(d, { countersigner: { did: courtDid, role: 'court' }, disputeAllows: ['ForceMajeure'] });
    const contract = compileSource(SOURCE).contract;
    const params = { ...TERMS, ...s.parties };
    assert.equal(s.fp, instanceFingerprint(contract, params, { countersigner: { did: courtDid, role: 'court' }, disputeAllows: ['ForceMajeure'] }));
    assert.notEqual(s.fp, instanceFingerprint(contract, params), 'the signing terms change the fingerprint');
    assert.equal(d.inst(s.id).status, 'draft');

    // Bad draft terms are refused.
    const bad = await d.one(s.stranger, 'draft', { template: s.template, params: TERMS, parties: s.parties, disputeAllows: ['Nope'] });
    assert.equal(bad.code, 'BAD_DISPUTE_ALLOWS');
    const self = await d.one(s.stranger, 'draft', { template: s.template, params: TERMS, parties: s.parties, countersigner: { did: s.parties.seller!, role: 'notary' } });
    assert.equal(self.code, 'BAD_COUNTERSIGNER');

    // The court cannot countersign before the parties; the court is not a party.
    assert.equal((await d.one(court, 'countersign', { id: s.id, fingerprint: s.fp })).code, 'LEX_PARTIES_NOT_SIGNED');
    const asParty = await d.one(court, 'sign', { id: s.id, fingerprint: s.fp });
    assert.equal(asParty.code, 'LEX_NOT_PARTY');
    assert.match(asParty.message ?? '', /countersign/);
    assert.deepEqual(ok(await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp })), { id: s.id, party: 'seller', status: 'signing' });
    assert.deepEqual(ok(await d.one(s.buyer, 'sign', { id: s.id, fingerprint: s.fp })), { id: s.id, party: 'buyer', status: 'signing' });
    assert.equal(d.state(stateKey(s.id)), null, 'not active before the countersignature');
    assert.equal((await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' })).code, 'LEX_NOT_ACTIVE');
    assert.equal((await d.one(s.stranger, 'countersign', { id: s.id, fingerprint: s.fp })).code, 'LEX_NOT_COUNTERSIGNER');
    assert.equal((await d.one(court, 'countersign', { id: s.id, fingerprint: 'a'.repeat(64) })).code, 'LEX_FINGERPRINT_MISMATCH');
    const cs = await d.one(court, 'countersign', { id: s.id, fingerprint: s.fp });
    assert.deepEqual(ok(cs), { id: s.id, status: 'active' });
    assert.deepEqual(cs.events.map((e) => e.type), ['Countersigned', 'Activated']);
    const inst = d.inst(s.id);
    assert.equal(inst.countersignature?.tx, cs.tx);

    // Every transition is in the history: signed by whom, when, in which tx.
    const h = d.history(s.id);
    assert.deepEqual(h.map((e) => [e.action, e.from, e.to]), [
      ['drafted', null, 'draft'], ['signed', 'draft', 'signing'], ['signed', 'signing', 'signing'],
      ['countersigned', 'signing', 'signing'], ['activated', 'signing', 'active'],
    ]);
    assert.deepEqual(h.map((e) => e.by), [s.parties.buyer, s.parties.seller, s.parties.buyer, courtDid, courtDid]);
    assert.equal(h[3]!.role, 'countersigner');
    assert.ok(h.every((e, i) => e.n === i && e.time > 0 && /^[0-9a-f]{64}$/.test(e.tx)));
    assert.ok(h.every((e, i) => i === 0 || e.time >= h[i - 1]!.time), 'block times never go back');

    // Each DID's instances are indexed (parties and countersigner).
    for (const who of [s.parties.seller!, s.parties.buyer!, courtDid]) {
      assert.equal(d.state(memberCountKey(who)), 1);
      assert.equal(d.state(memberKey(who, 0)), s.id);
    }
    assert.equal(d.state(TEMPLATE_COUNT_KEY), 1);
    assert.equal(d.state(templateListKey(0)), s.template);
  });
});

test('lexcontract: a dispute freezes the contract except for the events it allows; the named court resolves it', async () => {
  await withChain([lexcontractModule], async (d) => {
    const court = generateKeyPair('sm2');
    const courtDid = didFromPublicKey(court.publicKey);
    const s = await draft(d, { countersigner: { did: courtDid, role: 'court' }, disputeAllows: ['ForceMajeure'] });
    ok(await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp }));
    ok(await d.one(s.buyer, 'sign', { id: s.id, fingerprint: s.fp }));
    ok(await d.one(court, 'countersign', { id: s.id, fingerprint: s.fp }));

    assert.equal((await d.one(s.stranger, 'dispute', { id: s.id, reason: 'x' })).code, 'LEX_NOT_PARTY');
    const disp = await d.one(s.buyer, 'dispute', { id: s.id, reason: 'the goods shown are not those ordered' });
    assert.deepEqual(ok(disp), { id: s.id, status: 'disputed' });
    assert.equal(d.inst(s.id).dispute?.party, 'buyer');
    assert.equal((await d.one(s.seller, 'dispute', { id: s.id, reason: 'again' })).code, 'LEX_NOT_ACTIVE');

    // Frozen: delivery refused (state unchanged), the allowed force-majeure notice accepted.
    const before = canonicalize(d.state(stateKey(s.id)));
    const frozen = await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' }, at('2024-02-01T00:00:00+08:00'));
    assert.equal(frozen.code, 'LEX_DISPUTED');
    assert.match(frozen.message ?? '', /ForceMajeure/);
    assert.equal(canonicalize(d.state(stateKey(s.id))), before);
    ok(await d.one(s.seller, 'event', { id: s.id, event: 'ForceMajeure', input: { description: 'port closed' } }));
    assert.equal(d.inst(s.id).status, 'disputed');

    // Only the court resolves; the parties cannot.
    assert.equal((await d.one(s.buyer, 'resolve', { id: s.id, outcome: 'resume' })).code, 'LEX_NOT_ARBITER');
    const res = await d.one(court, 'resolve', { id: s.id, outcome: 'resume', note: 'the goods are as ordered' });
    assert.deepEqual(ok(res), { id: s.id, status: 'active' });
    assert.equal(d.inst(s.id).dispute, undefined);
    assert.equal((await d.one(court, 'resolve', { id: s.id, outcome: 'resume' })).code, 'LEX_NOT_DISPUTED');

    // A second dispute, resolved by termination.
    ok(await d.one(s.seller, 'dispute', { id: s.id, reason: 'the buyer refuses to take delivery' }));
    assert.deepEqual(ok(await d.one(court, 'resolve', { id: s.id, outcome: 'terminate' })), { id: s.id, status: 'terminated' });
    assert.equal((await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' })).code, 'LEX_NOT_ACTIVE');
    const h = d.history(s.id).slice(5);
    assert.deepEqual(h.map((e) => [e.action, e.from, e.to, e.role]), [
      ['disputed', 'active', 'disputed', 'buyer'], ['event', 'disputed', 'disputed', 'seller'],
      ['resolved', 'disputed', 'active', 'countersigner'], ['disputed', 'active', 'disputed', 'seller'],
      ['resolved', 'disputed', 'terminated', 'countersigner'],
    ]);
    assert.equal((h[2]!.detail as { note: string }).note, 'the goods are as ordered');
  });
});

test('lexcontract: without a court, only the party that raised a dispute may withdraw it', async () => {
  await withChain([lexcontractModule], async (d) => {
    const s = await draft(d);
    ok(await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp }));
    ok(await d.one(s.buyer, 'sign', { id: s.id, fingerprint: s.fp }));
    ok(await d.one(s.seller, 'dispute', { id: s.id, reason: 'price' }));
    assert.equal((await d.one(s.buyer, 'resolve', { id: s.id, outcome: 'resume' })).code, 'LEX_NOT_ARBITER');
    assert.equal((await d.one(s.seller, 'resolve', { id: s.id, outcome: 'terminate' })).code, 'LEX_NOT_ARBITER');
    assert.equal((await d.one(s.seller, 'event', { id: s.id, event: 'Tick' })).code, 'LEX_DISPUTED');
    assert.deepEqual(ok(await d.one(s.seller, 'resolve', { id: s.id, outcome: 'resume' })), { id: s.id, status: 'active' });
  });
});

test('lexcontract: on-time delivery discharges every obligation and completes the contract', async () => {
  await withChain([lexcontractModule], async (d) => {
    const s = await draft(d);
    ok(await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp }));
    ok(await d.one(s.buyer, 'sign', { id: s.id, fingerprint: s.fp }));
    const r = await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' }, at('2024-02-28T10:00:00+08:00'));
    assert.equal((ok(r) as { status: string }).status, 'completed');
    assert.ok(r.events.some((e) => e.type === 'ContractCompleted'));
    assert.equal(r.events.filter((e) => e.type === 'Settlement').length, 0, 'no penalty, no instruction');
    const inst = d.inst(s.id);
    assert.equal(inst.status, 'completed');
    assert.ok(inst.endedAt);
    assert.deepEqual(d.history(s.id).slice(-2).map((e) => [e.action, e.from, e.to]), [['event', 'active', 'active'], ['completed', 'active', 'completed']]);
    assert.equal((await d.one(s.buyer, 'event', { id: s.id, event: 'Tick' })).code, 'LEX_NOT_ACTIVE');
    assert.equal((await d.one(s.buyer, 'dispute', { id: s.id, reason: 'late' })).code, 'LEX_NOT_ACTIVE');
  });
});

test('lexcontract: settlement instructions stay pending on a chain without xchain', async () => {
  await withChain([lexcontractModule], async (d) => {
    const s = await draft(d);
    ok(await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp }));
    ok(await d.one(s.buyer, 'sign', { id: s.id, fingerprint: s.fp }));
    const r = await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' }, at('2024-03-03T12:00:00+08:00'));
    ok(r);
    const rec = d.state(settlementKey(s.id, 0)) as unknown as SettlementRecord;
    assert.equal(rec.status, 'pending');
    assert.equal(rec.note, undefined, 'no xchain is not an error');
    assert.equal(rec.instruction.idempotencyKey, `${s.id}:0:0`);
    assert.deepEqual(rec.instruction.amount, { currency: 'CNY', minor: 1_575_000 });
    assert.equal(d.inst(s.id).settlements, 1);
    assert.deepEqual(ok(await d.one(s.stranger, 'settle', { id: s.id })), { id: s.id, sent: 0, pending: 1 });
  });
});

test('lexcontract: settlement instructions sent through xchain; acknowledgements and timeouts mark them paid or failed', async () => {
  await withChain([lexcontractModule, fakeXchain, intruder], async (d) => {
    const s = await draft(d);
    ok(await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp }));
    ok(await d.one(s.buyer, 'sign', { id: s.id, fingerprint: s.fp }));
    // 19 days late, buyer terminates: capped penalty 55000.00 → one pay instruction, sent.
    const term = await d.one(s.buyer, 'event', { id: s.id, event: 'Terminate' }, at('2024-03-20T00:00:00+08:00'));
    ok(term);
    const rec = d.state(settlementKey(s.id, 0)) as unknown as SettlementRecord;
    assert.equal(rec.status, 'sent');
    assert.deepEqual(rec.packet, { sequence: 0, packetId: `sign/lexcontract/0` });
    const packet = d.t.chain.getState('xchain/pkt/0').value as { srcPort: string; dstChain: string; dstPort: string; payload: { kind: string; contract: string; instruction: Record<string, JsonValue> }; timeoutTime: number };
    assert.equal(packet.srcPort, 'lexcontract');
    assert.equal(packet.dstChain, SETTLEMENT_CHAIN);
    assert.equal(packet.dstPort, SETTLEMENT_PORT);
    assert.equal(packet.payload.kind, 'settlement-instruction');
    assert.equal(packet.payload.contract, s.id);
    assert.deepEqual(packet.payload.instruction, {
      idempotencyKey: `${s.id}:0:0`, payer: s.parties.seller, currency: 'CNY', payments: [{ to: s.parties.buyer, amount: 5_500_000 }],
      memo: 'the penalty for late delivery, accrued to termination (termination)',
    }, 'in the settlement module\'s form');
    assert.ok(packet.timeoutTime > at('2024-03-20T00:00:00+08:00'));
    assert.equal(d.inst(s.id).status, 'terminated');

    // Only xchain may deliver results.
    const fake = await d.call(s.stranger, 'intruder', 'fake', { packet: packet as unknown as Record<string, JsonValue> });
    assert.equal(fake.code, 'FORBIDDEN');
    assert.equal((d.state(settlementKey(s.id, 0)) as unknown as SettlementRecord).status, 'sent');
    // A malformed packet is refused with a clear error.
    assert.equal((await d.call(s.stranger, 'xchain', 'ack', { sequence: 99, ok: true })).code, 'BAD_ARGS');

    const ack = await d.call(s.stranger, 'xchain', 'ack', { sequence: 0, ok: true, result: { receipt: 'r-1' } });
    assert.deepEqual(ok(ack), { id: s.id, idempotencyKey: `${s.id}:0:0`, status: 'paid' });
    assert.ok(ack.events.some((e) => e.module === 'lexcontract' && e.type === 'PaymentConfirmed'));
    const paid = d.state(settlementKey(s.id, 0)) as unknown as SettlementRecord;
    assert.equal(paid.status, 'paid');
    assert.deepEqual(paid.result, { receipt: 'r-1' });
    const last = d.history(s.id).at(-1)!;
    assert.deepEqual([last.action, last.role, (last.detail as { idempotencyKey: string }).idempotencyKey], ['paymentConfirmed', 'relayer', `${s.id}:0:0`]);
    // A second result for the same instruction is refused.
    assert.equal((await d.call(s.stranger, 'xchain', 'timeout', { sequence: 0 })).code, 'LEX_SETTLEMENT_NOT_SENT');

    // Another contract: an error acknowledgement, then a timeout on a third.
    for (const [how, expectNote] of [['error', /INSUFFICIENT_FUNDS/], ['timeout', /TIMEOUT/]] as const) {
      const t = await draft(d);
      ok(await d.one(t.seller, 'sign', { id: t.id, fingerprint: t.fp }));
      ok(await d.one(t.buyer, 'sign', { id: t.id, fingerprint: t.fp }));
      ok(await d.one(t.buyer, 'event', { id: t.id, event: 'Terminate' }));
      const seq = (d.state(settlementKey(t.id, 0)) as unknown as SettlementRecord).packet!.sequence;
      const r = how === 'error'
        ? await d.call(t.stranger, 'xchain', 'ack', { sequence: seq, ok: false, code: 'INSUFFICIENT_FUNDS', message: 'the seller cannot pay' })
        : await d.call(t.stranger, 'xchain', 'timeout', { sequence: seq });
      assert.equal((ok(r) as { status: string }).status, 'failed');
      const failed = d.state(settlementKey(t.id, 0)) as unknown as SettlementRecord;
      assert.equal(failed.status, 'failed');
      assert.match(failed.note ?? '', expectNote);
      assert.equal(d.history(t.id).at(-1)!.action, 'paymentFailed');
    }
  });
});

const DRS = new URL('../../contracts/data-revenue-share/', import.meta.url);

test('lexcontract: an instruction that may wait is sent with its terms; settlement-status packets end it (paid or failed), idempotently, and nothing else is taken', async () => {
  await withChain([lexcontractModule, fakeXchain, intruder], async (d) => {
    const source = readFileSync(new URL('contract.lex', DRS), 'utf8');
    const sample = JSON.parse(readFileSync(new URL('sample.json', DRS), 'utf8')) as Record<string, JsonValue>;
    const names = ['platform', 'dataSource', 'algorithm', 'compute', 'taxAuthority'];
    const keys = Object.fromEntries(names.map((n) => [n, generateKeyPair('sm2')])) as Record<string, KeyPair>;
    const parties = Object.fromEntries(names.map((n) => [n, didFromPublicKey(keys[n]!.publicKey)]));
    const params = Object.fromEntries(Object.entries(sample).filter(([k]) => !names.includes(k)));
    const { template } = ok(await d.one(keys.platform!, 'deploy', { source })) as { template: string };
    const draftOf = async (): Promise<string> => {
      const r = ok(await d.one(keys.platform!, 'draft', { template, params, parties })) as { id: string; fingerprint: string };
      for (const n of names) ok(await d.one(keys[n]!, 'sign', { id: r.id, fingerprint: r.fingerprint }));
      return r.id;
    };
    const id = await draftOf();
    // Month 1 reported on 3 February: split and withholding may wait until the month's deadline.
    ok(await d.one(keys.platform!, 'event', { id, event: 'MonthlyRevenue', input: { period: 1, calls: 10, revenue: 'CNY 1000.00' } }, at('2024-02-03T10:00:00+08:00')));
    const rec = (n: number): SettlementRecord => d.state(settlementKey(id, n)) as unknown as SettlementRecord;
    const deadline = at('2024-02-11T00:00:00+08:00');
    const pkt = (n: number) => d.t.chain.getState(`xchain/pkt/${rec(n).packet!.sequence}`).value as { payload: { instruction: Record<string, JsonValue> } };
    assert.equal(pkt(0).payload.instruction.onInsufficientFunds, 'wait');
    assert.equal(pkt(0).payload.instruction.waitUntil, deadline);
    assert.equal(pkt(1).payload.instruction.onInsufficientFunds, 'wait');
    assert.equal(pkt(1).payload.instruction.waitUntil, deadline);
    const [splitKey, taxKey] = [rec(0).instruction.idempotencyKey, rec(1).instruction.idempotencyKey];
    const sid = (c: string): string => c.repeat(64);

    // The settlement chain acknowledges the split as waiting: still sent, now marked waiting.
    const w = await d.call(keys.compute!, 'xchain', 'ack', { sequence: rec(0).packet!.sequence, ok: true, result: { status: 'waiting', id: sid('a') } });
    assert.deepEqual(ok(w), { id, idempotencyKey: splitKey, status: 'sent', waiting: true });
    assert.ok(w.events.some((e) => e.type === 'PaymentWaiting'));
    assert.equal(rec(0).status, 'sent');
    assert.equal(rec(0).waiting, true);
    assert.equal(rec(0).settlementId, sid('a'));

    const status = (over: Record<string, JsonValue> = {}, payload: Record<string, JsonValue> = {}): Record<string, JsonValue> => ({
      srcChain: SETTLEMENT_CHAIN, srcPort: SETTLEMENT_PORT, dstChain: 'sign', dstPort: 'lexcontract', sequence: 7, sender: parties.algorithm!,
      payload: {
        kind: 'settlement-status', contract: id, id: sid('a'), n: 1, idempotencyKey: splitKey, status: 'settled', payer: parties.platform!,
        currency: 'CNY', total: '90000', lines: [], duplicate: false, settled: { height: 9, time: deadline - 1, tx: sid('e'), entry: 3 }, ...payload,
      },
      ...over,
    });
    const history = d.inst(id).history;
    const beforeRefused = stateSnapshot(d.t.chain);
    const refused: Array<[string, Record<string, JsonValue>, string]> = [
      ['not from xchain', {}, 'FORBIDDEN'],
      ['from another chain', status({ srcChain: 'notary' }), 'FORBIDDEN'],
      ...['xtransfer', 'xchain', 'lexcontract', 'xdoc', 'xcall', 'xlock', 'xtx', 'notary'].map((port): [string, Record<string, JsonValue>, string] => [`from port ${port}`, status({ srcPort: port }), 'XCHAIN_PORT_MISMATCH']),
      ['not a status', status({}, { kind: 'settlement-instruction' }), 'BAD_PACKET'],
      ['a malformed status', status({}, { status: 'paid' }), 'BAD_PACKET'],
      ['another contract', status({}, { contract: sid('b') }), 'LEX_INSTANCE_NOT_FOUND'],
      ['a key the contract does not have', status({}, { idempotencyKey: `${id}:9:0` }), 'LEX_SETTLEMENT_NOT_FOUND'],
      ['another payer', status({}, { payer: parties.compute! }), 'BAD_PACKET'],
      ['another instruction on the settlement chain', status({}, { id: sid('c') }), 'BAD_PACKET'],
      ['no end', status({}, { status: 'waiting' }), 'BAD_PACKET'],
    ];
    for (const [what, packet, code] of refused) {
      const r = what === 'not from xchain'
        ? await d.call(keys.compute!, 'intruder', 'fakeStatus', { packet: status() })
        : await d.call(keys.compute!, 'xchain', 'recv', { packet });
      assert.equal(r.code, code, `${what}: ${r.code} ${r.message}`);
      assert.ok((r.message ?? '').length > 20, `${what}: a clear message`);
    }
    assert.equal(rec(0).status, 'sent', 'refused packets change nothing');
    assert.equal(d.inst(id).history, history);
    assert.deepEqual(changedKeys(beforeRefused, stateSnapshot(d.t.chain)), [], 'refused packets change no state key');

    // Paid: the status packet marks it paid, with a paymentConfirmed history entry.
    const paid = await d.call(keys.compute!, 'xchain', 'recv', { packet: status() });
    assert.deepEqual(ok(paid), { id, idempotencyKey: splitKey, status: 'paid', duplicate: false });
    assert.ok(paid.events.some((e) => e.module === 'lexcontract' && e.type === 'PaymentConfirmed'));
    assert.equal(rec(0).status, 'paid');
    assert.deepEqual(rec(0).statusPacket, { srcChain: SETTLEMENT_CHAIN, sequence: 7 });
    const last = d.history(id).at(-1)!;
    assert.deepEqual([last.action, (last.detail as { idempotencyKey: string; via: string }).idempotencyKey, (last.detail as { via: string }).via], ['paymentConfirmed', splitKey, 'settlement-status']);
    // Delivered again (or a contradicting late status): nothing changes, the packet does not fail.
    const before = canonicalize(rec(0) as unknown as JsonValue);
    for (const again of [status({ sequence: 8 }), status({ sequence: 9 }, { status: 'failed', failure: { code: 'WAIT_EXPIRED', message: 'late' } })]) {
      assert.deepEqual(ok(await d.call(keys.compute!, 'xchain', 'recv', { packet: again })), { id, idempotencyKey: splitKey, status: 'paid', duplicate: true });
    }
    assert.equal(canonicalize(rec(0) as unknown as JsonValue), before);
    assert.equal(d.inst(id).history, history + 1);

    // The withholding's status overtakes its acknowledgement: it fails (the wait expired), and
    // the late 'waiting' acknowledgement then changes nothing.
    const expired = status({ sequence: 10 }, { id: sid('d'), idempotencyKey: taxKey, payer: parties.dataSource!, status: 'failed', failure: { code: 'WAIT_EXPIRED', message: 'still unpaid at 2024-02-10T16:00:00.000Z' }, settled: null });
    delete (expired.payload as Record<string, JsonValue>).settled;
    assert.deepEqual(ok(await d.call(keys.compute!, 'xchain', 'recv', { packet: expired })), { id, idempotencyKey: taxKey, status: 'failed', duplicate: false });
    assert.equal(rec(1).status, 'failed');
    assert.match(rec(1).note ?? '', /^WAIT_EXPIRED: still unpaid/);
    assert.equal(d.history(id).at(-1)!.action, 'paymentFailed');
    const late = await d.call(keys.compute!, 'xchain', 'ack', { sequence: rec(1).packet!.sequence, ok: true, result: { status: 'waiting', id: sid('d') } });
    assert.deepEqual(ok(late), { id, idempotencyKey: taxKey, status: 'failed', duplicate: true });
    // A second result of another kind for it is still refused, as before.
    assert.equal((await d.call(keys.compute!, 'xchain', 'timeout', { sequence: rec(1).packet!.sequence })).code, 'LEX_SETTLEMENT_NOT_SENT');

    // Cancelled by the payer → failed. An instruction never sent (still pending) takes no status.
    const id2 = await draftOf();
    ok(await d.call(keys.compute!, 'xchain', 'down', { down: true }));
    ok(await d.one(keys.platform!, 'event', { id: id2, event: 'MonthlyRevenue', input: { period: 1, calls: 10, revenue: 'CNY 1000.00' } }, at('2024-02-04T10:00:00+08:00')));
    const rec2 = (n: number): SettlementRecord => d.state(settlementKey(id2, n)) as unknown as SettlementRecord;
    assert.equal(rec2(0).status, 'pending');
    const k2 = rec2(0).instruction.idempotencyKey;
    const never = await d.call(keys.compute!, 'xchain', 'recv', { packet: status({}, { contract: id2, idempotencyKey: k2 }) });
    assert.equal(never.code, 'LEX_SETTLEMENT_NOT_SENT');
    ok(await d.call(keys.compute!, 'xchain', 'down', { down: false }));
    ok(await d.one(keys.compute!, 'settle', { id: id2 }));
    assert.equal(rec2(0).status, 'sent');
    const cancelled = await d.call(keys.compute!, 'xchain', 'recv', { packet: status({}, { contract: id2, idempotencyKey: k2, id: sid('f'), status: 'cancelled', failure: { code: 'CANCELLED', message: 'cancelled by the payer' } }) });
    assert.deepEqual(ok(cancelled), { id: id2, idempotencyKey: k2, status: 'failed', duplicate: false });
    assert.equal(rec2(0).note, 'CANCELLED: cancelled by the payer');

    // Months reported after their deadline are emitted to fail at once if the payer is short.
    ok(await d.one(keys.platform!, 'event', { id, event: 'MonthlyRevenue', input: { period: 2, calls: 10, revenue: 'CNY 10.00' } }, at('2024-03-15T10:00:00+08:00')));
    assert.equal(pkt(2).payload.instruction.onInsufficientFunds, 'fail');
    assert.equal(pkt(2).payload.instruction.waitUntil, undefined);
  });
});

test('lexcontract.onRecvPacket: arbitrary packets never crash it; refused ones change nothing (property)', async () => {
  const fc = (await import('fast-check')).default;
  const { MapContext } = await import('../../src/runtime/index.ts');
  const id = 'a'.repeat(64);
  const key = `${id}:0:0`;
  const payer = 'did:shulian:payer';
  const inst = { id, template: 'b'.repeat(64), params: {}, parties: { p: payer }, fingerprint: 'c'.repeat(64), status: 'active', signatures: {}, createdAt: { height: 1, time: 1 }, history: 0, settlements: 1 };
  const rec = {
    n: 0, seq: 0, status: 'sent', waiting: true, settlementId: 'd'.repeat(64), packet: { sequence: 1, packetId: 'sign/settle/1' }, updated: { height: 1, time: 1, tx: 'e'.repeat(64) },
    instruction: { kind: 'pay', from: payer, to: 'did:shulian:payee', amount: { currency: 'CNY', minor: 100 }, reason: { en: 'x', 'zh-CN': 'x' }, idempotencyKey: key, clause: 'c' },
  };
  const base = (): Map<string, string> => new Map([
    [instanceKey(id), canonicalize(inst as unknown as JsonValue)], [settlementKey(id, 0), canonicalize(rec as unknown as JsonValue)], [`stlk/${key}`, '0'],
  ]);
  const valid = {
    srcChain: SETTLEMENT_CHAIN, srcPort: SETTLEMENT_PORT, dstChain: 'sign', dstPort: 'lexcontract', sequence: 3, sender: payer,
    payload: { kind: 'settlement-status', contract: id, id: 'd'.repeat(64), idempotencyKey: key, status: 'settled', payer, currency: 'CNY' },
  };
  const run = (store: Map<string, string>, packet: unknown): { ok: boolean; result?: JsonValue; code?: string } => {
    const ctx = Object.assign(new MapContext(store, 'did:shulian:gateway', 5, 1_700_000_000_000, 'sign', 'f'.repeat(64)), { caller: 'xchain' });
    try {
      return { ok: true, result: runExport(lexcontractModule, 'onRecvPacket', ctx, packet) ?? null };
    } catch (e) {
      assert.ok(e instanceof ModuleError, `only ModuleErrors: ${String(e)}`);
      return { ok: false, code: e.code };
    }
  };
  assert.deepEqual(run(base(), valid), { ok: true, result: { id, idempotencyKey: key, status: 'paid', duplicate: false } });
  const field = fc.constantFrom('srcChain', 'srcPort', 'sequence', 'payload', 'payload.kind', 'payload.contract', 'payload.id', 'payload.idempotencyKey', 'payload.status', 'payload.payer', 'payload.currency', 'payload.failure');
  const junk = fc.oneof(fc.jsonValue(), fc.constantFrom<JsonValue>(SETTLEMENT_CHAIN, SETTLEMENT_PORT, 'failed', 'cancelled', 'waiting', id, key, 'd'.repeat(64), payer, 'CNY', -1, null));
  fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.tuple(field, junk), { minLength: 1, maxLength: 4 }).map((edits) => {
    const p = structuredClone(valid) as Record<string, unknown>;
    for (const [f, v] of edits) {
      const pl = p.payload;
      if (!f.startsWith('payload.')) p[f] = v;
      else if (typeof pl === 'object' && pl !== null && !Array.isArray(pl)) (pl as Record<string, unknown>)[f.slice(8)] = v;
    }
    return p as unknown as JsonValue;
  })), (packet) => {
    const store = base();
    const before = [...store.entries()];
    const r = run(store, packet);
    if (!r.ok) assert.deepEqual([...store.entries()], before, `refused (${r.code}) yet changed state`);
    else assert.ok(['paid', 'failed'].includes((r.result as { status: string }).status));
  }), { numRuns: 500 });
});
