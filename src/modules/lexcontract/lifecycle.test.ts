import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { canonicalize, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../crypto/index.ts';
import { signTx, type Receipt } from '../../ledger/index.ts';
import { compileSource } from '../../lex/index.ts';
import { method, type ModuleDef } from '../../runtime/index.ts';
import { openTestChain, type TestChain } from '../../../test/helpers/chain.ts';
import { tempDir } from '../../../test/helpers/tmp.ts';
import {
  historyKey, instanceFingerprint, instanceKey, lexcontractModule, lexStateKey, memberCountKey, memberKey, settlementKey,
  SETTLEMENT_CHAIN, SETTLEMENT_PORT, stateKey, TEMPLATE_COUNT_KEY, templateListKey,
  type HistoryEntry, type LexInstance, type SettlementRecord,
} from './index.ts';

const dir = new URL('../../../contracts/late-delivery/', import.meta.url);
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
      doc: 'record a packet', gas: 1_000,
      run(ctx, raw) {
        const args = raw as { dstChain: string; dstPort: string; payload: JsonValue; timeoutTime?: number };
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
