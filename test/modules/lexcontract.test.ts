import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canonicalize, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Receipt } from '../../src/ledger/index.ts';
import { compileSource, execute, instantiate, readSample, type ContractState } from '../../src/lex/index.ts';
import { fileURLToPath } from 'node:url';
import { openTestChain, type TestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';
import {
  EVENT_GAS_LIMIT, instanceFingerprint, instanceKey, lexcontractModule, lexStateKey, logKey, stateKey,
  type LexInstance, type LexLogEntry,
} from '../../src/modules/lexcontract/index.ts';

const dir = new URL('../../contracts/late-delivery/', import.meta.url);
const SOURCE = readFileSync(new URL('contract.lex', dir), 'utf8');
const SAMPLE = readSample(fileURLToPath(dir));
const TERMS: Record<string, JsonValue> = Object.fromEntries(Object.entries(SAMPLE).filter(([k]) => k !== 'seller' && k !== 'buyer'));
const at = (iso: string): number => Date.parse(iso);

class Driver {
  private nonces = new Map<string, number>();
  private clock = at('2024-01-01T00:00:00+08:00');
  constructor(readonly t: TestChain) {}
  /** Runs calls, in order, in one block at `time` (default: one second after the last block). */
  async block(calls: Array<[KeyPair, string, Record<string, JsonValue>]>, time?: number): Promise<Receipt[]> {
    const txs = calls.map(([key, m, args]) => {
      const did = didFromPublicKey(key.publicKey);
      const nonce = this.nonces.get(did) ?? 0;
      this.nonces.set(did, nonce + 1);
      return signTx(key, { chain: 'sign', module: 'lexcontract', method: m, args, nonce, expires: 1_000 });
    });
    const sub = await this.t.chain.submit(txs.map((x) => x.tx));
    sub.forEach((r, i) => assert.equal(r.accepted, true, `tx ${i}: ${JSON.stringify(r)}`));
    this.clock = time ?? this.clock + 1_000;
    const b = await this.t.chain.produceBlock(this.clock);
    assert.ok(b);
    assert.equal(b.receipts.length, txs.length);
    return b.receipts;
  }
  async one(key: KeyPair, m: string, args: Record<string, JsonValue>, time?: number): Promise<Receipt> {
    return (await this.block([[key, m, args]], time))[0]!;
  }
  state(key: string): JsonValue | null {
    return this.t.chain.getState(lexStateKey(key)).value;
  }
}

function ok(r: Receipt): JsonValue {
  assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
  return r.result ?? null;
}

async function withChain(f: (d: Driver) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2', { chain: 'sign', modules: ['lexcontract'] }, [lexcontractModule]);
  try {
    await f(new Driver(t));
  } finally {
    await t.close();
    tmp.cleanup();
  }
}

interface Setup { template: string; id: string; fp: string; seller: KeyPair; buyer: KeyPair; stranger: KeyPair }

async function deployAndDraft(d: Driver): Promise<Setup> {
  const seller = generateKeyPair('sm2');
  const buyer = generateKeyPair('sm2');
  const stranger = generateKeyPair('sm2');
  const dep = ok(await d.one(stranger, 'deploy', { source: SOURCE })) as { template: string; fresh: boolean };
  assert.equal(dep.fresh, true);
  const template = dep.template;
  const parties = { seller: didFromPublicKey(seller.publicKey), buyer: didFromPublicKey(buyer.publicKey) };
  const r = await d.one(stranger, 'draft', { template, params: TERMS, parties });
  const res = ok(r) as { id: string; fingerprint: string };
  assert.equal(res.id, r.tx, 'the instance id is the draft tx hash');
  const contract = compileSource(SOURCE).contract;
  assert.equal(res.fingerprint, instanceFingerprint(contract, { ...TERMS, ...parties }), 'the fingerprint is reproducible off-chain');
  assert.deepEqual(r.events.map((e) => e.type), ['Drafted']);
  return { template, id: res.id, fp: res.fingerprint, seller, buyer, stranger };
}

async function signBoth(d: Driver, s: Setup): Promise<void> {
  const r1 = await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp });
  assert.deepEqual(ok(r1), { id: s.id, party: 'seller', status: 'signing' });
  const r2 = await d.one(s.buyer, 'sign', { id: s.id, fingerprint: s.fp });
  assert.deepEqual(ok(r2), { id: s.id, party: 'buyer', status: 'active' });
  assert.deepEqual(r2.events.map((e) => e.type), ['Signed', 'Activated']);
}

/** Re-runs the logged events off-chain from the instantiated state (the evidence-package property). */
function replay(d: Driver, id: string): ContractState {
  const inst = d.state(instanceKey(id)) as unknown as LexInstance;
  const contract = compileSource(d.state(`tpl/${inst.template}`) as string).contract;
  let state = instantiate(contract, inst.params, { instance: id });
  const stored = d.state(stateKey(id)) as unknown as ContractState;
  for (let seq = 0; seq < stored.seq; seq++) {
    const e = d.state(logKey(id, seq)) as unknown as LexLogEntry;
    assert.ok(e, `log entry ${seq}`);
    const r = execute(contract, state, { event: e.event, input: e.input }, { time: e.time, gasLimit: EVENT_GAS_LIMIT, sender: e.sender });
    assert.ok(r.ok, `replay of ${seq} refused`);
    state = r.state;
  }
  assert.equal(d.state(logKey(id, stored.seq)), null, 'no log entry past seq');
  assert.equal(canonicalize(state as unknown as JsonValue), canonicalize(stored as unknown as JsonValue));
  return state;
}

test('lexcontract: deploy, draft, sign, late delivery with penalty, refusals change nothing, replay', async () => {
  await withChain(async (d) => {
    const s = await deployAndDraft(d);

    // Deploy is idempotent; a broken template is refused with line:column.
    const again = ok(await d.one(s.stranger, 'deploy', { source: SOURCE })) as { template: string; fresh: boolean };
    assert.deepEqual([again.template, again.fresh], [s.template, false]);
    const bad = await d.one(s.stranger, 'deploy', { source: SOURCE.replace('party buyer', 'party buyer\n\tbad') });
    assert.equal(bad.code, 'LEX_COMPILE');
    assert.match(bad.message ?? '', /:\d+:\d+: /);

    // Draft refusals: bad params, wrong parties.
    const parties = { seller: didFromPublicKey(s.seller.publicKey), buyer: didFromPublicKey(s.buyer.publicKey) };
    const refusals = await d.block([
      [s.stranger, 'draft', { template: s.template, params: { ...TERMS, goodsValue: 'lots' }, parties }],
      [s.stranger, 'draft', { template: s.template, params: TERMS, parties: { seller: parties.seller } }],
      [s.stranger, 'draft', { template: s.template, params: SAMPLE, parties }],
      [s.stranger, 'draft', { template: '0'.repeat(64), params: TERMS, parties }],
    ]);
    assert.deepEqual(refusals.map((r) => r.code), ['BAD_PARAMS', 'BAD_PARTIES', 'BAD_PARTIES', 'LEX_TEMPLATE_NOT_FOUND']);

    // Events before activation are refused.
    assert.equal((await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' })).code, 'LEX_NOT_ACTIVE');

    // Sign: non-party and wrong fingerprint refused; double signing refused.
    const signRefusals = await d.block([
      [s.stranger, 'sign', { id: s.id, fingerprint: s.fp }],
      [s.seller, 'sign', { id: s.id, fingerprint: 'f'.repeat(64) }],
    ]);
    assert.deepEqual(signRefusals.map((r) => r.code), ['LEX_NOT_PARTY', 'LEX_FINGERPRINT_MISMATCH']);
    assert.equal((d.state(instanceKey(s.id)) as unknown as LexInstance).status, 'draft');
    assert.equal(d.state(stateKey(s.id)), null);
    await signBoth(d, s);
    assert.equal((await d.one(s.seller, 'sign', { id: s.id, fingerprint: s.fp })).code, 'LEX_NOT_SIGNING');
    const inst = d.state(instanceKey(s.id)) as unknown as LexInstance;
    assert.equal(inst.status, 'active');
    assert.deepEqual(Object.keys(inst.signatures).sort(), ['buyer', 'seller']);
    const initial = d.state(stateKey(s.id)) as unknown as ContractState;
    assert.equal(initial.instance, s.id);
    assert.equal(initial.seq, 0);

    // A refused event (buyer may not report delivery) in its own block: state unchanged.
    const before = canonicalize(d.state(stateKey(s.id)));
    const refused = await d.one(s.buyer, 'event', { id: s.id, event: 'Delivered' }, at('2024-03-02T00:00:00+08:00'));
    assert.equal(refused.code, 'NOT_AUTHORISED');
    assert.ok(refused.gasUsed > 0);
    assert.equal(canonicalize(d.state(stateKey(s.id))), before);
    assert.equal(d.state(logKey(s.id, 0)), null);
    // Too early to terminate: a require fails.
    const early = await d.one(s.buyer, 'event', { id: s.id, event: 'Terminate' });
    assert.equal(early.code, 'REQUIREMENT_NOT_MET');
    assert.match(early.message ?? '', /not yet long enough/);
    assert.equal(canonicalize(d.state(stateKey(s.id))), before);

    // Delivered two and a half days late: 3 days → 10.5% × 100000.00 × 3/2 = 15750.00 CNY.
    const delivered = await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' }, at('2024-03-03T12:00:00+08:00'));
    const res = ok(delivered) as { seq: number; status: string; response: Record<string, JsonValue> };
    assert.equal(res.seq, 0);
    assert.equal(res.status, 'active');
    assert.deepEqual(res.response, { delayDays: 3, penalty: { currency: 'CNY', minor: 1_575_000 } });
    const settlements = delivered.events.filter((e) => e.type === 'Settlement');
    assert.equal(settlements.length, 1);
    const pay = settlements[0]!.data as Record<string, JsonValue>;
    assert.equal(pay.kind, 'pay');
    assert.equal(pay.from, parties.seller);
    assert.equal(pay.to, parties.buyer);
    assert.deepEqual(pay.amount, { currency: 'CNY', minor: 1_575_000 });
    assert.ok(Number.isInteger((pay.amount as { minor: number }).minor));
    assert.equal(pay.idempotencyKey, `${s.id}:0:0`);
    assert.equal(pay.id, s.id);
    const types = delivered.events.map((e) => e.type);
    assert.ok(types.includes('ObligationBreached'), types.join());
    assert.ok(delivered.events.every((e) => e.module === 'lexcontract'));
    const log0 = d.state(logKey(s.id, 0)) as unknown as LexLogEntry;
    assert.deepEqual({ ...log0, tx: '' }, { event: 'Delivered', input: {}, sender: parties.seller, height: log0.height, time: at('2024-03-03T12:00:00+08:00'), tx: '' });
    assert.equal(log0.tx, delivered.tx);

    // Delivering twice is refused and changes nothing.
    const after = canonicalize(d.state(stateKey(s.id)));
    const twice = await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' });
    assert.equal(twice.code, 'REQUIREMENT_NOT_MET');
    assert.equal(canonicalize(d.state(stateKey(s.id))), after);
    assert.equal(d.state(logKey(s.id, 1)), null);

    const replayed = replay(d, s.id);
    assert.equal(replayed.seq, 1);
    assert.equal(replayed.vars.delivered, true);
  });
});

test('lexcontract: termination after a long delay ends the contract; replay reproduces it', async () => {
  await withChain(async (d) => {
    const s = await deployAndDraft(d);
    await signBoth(d, s);
    // Force majeure notified by the seller (with input), then the buyer terminates after > 15 days:
    // the penalty is excused to 0, so no settlement instruction is issued.
    const fm = await d.one(s.seller, 'event', { id: s.id, event: 'ForceMajeure', input: { description: 'flood at the port' } }, at('2024-03-05T00:00:00+08:00'));
    ok(fm);
    const badInput = await d.one(s.seller, 'event', { id: s.id, event: 'ForceMajeure', input: { description: 7 } });
    assert.equal(badInput.code, 'BAD_INPUT');
    const term = await d.one(s.buyer, 'event', { id: s.id, event: 'Terminate' }, at('2024-03-20T00:00:00+08:00'));
    const res = ok(term) as { status: string; response: Record<string, JsonValue> };
    assert.equal(res.status, 'terminated');
    assert.deepEqual(res.response, { penalty: { currency: 'CNY', minor: 0 } });
    assert.equal(term.events.filter((e) => e.type === 'Settlement').length, 0);
    assert.ok(term.events.some((e) => e.type === 'ContractTerminated'));
    assert.equal((d.state(instanceKey(s.id)) as unknown as LexInstance).status, 'terminated');
    assert.equal((await d.one(s.seller, 'event', { id: s.id, event: 'Delivered' })).code, 'LEX_NOT_ACTIVE');
    const replayed = replay(d, s.id);
    assert.equal(replayed.status, 'terminated');
    assert.equal(replayed.seq, 2);
  });
});

test('lexcontract: termination without force majeure pays the capped penalty', async () => {
  await withChain(async (d) => {
    const s = await deployAndDraft(d);
    await signBoth(d, s);
    // 19 days late: 10.5% × 100000.00 × 19/2 = 99750.00, capped at 55% = 55000.00 CNY.
    const term = await d.one(s.buyer, 'event', { id: s.id, event: 'Terminate' }, at('2024-03-20T00:00:00+08:00'));
    ok(term);
    const pays = term.events.filter((e) => e.type === 'Settlement').map((e) => e.data as Record<string, JsonValue>);
    assert.equal(pays.length, 1);
    assert.deepEqual(pays[0]!.amount, { currency: 'CNY', minor: 5_500_000 });
    assert.equal((d.state(instanceKey(s.id)) as unknown as LexInstance).status, 'terminated');
    replay(d, s.id);
    // The stored instance survives reopening the store.
    await d.t.reopen();
    assert.equal((d.state(instanceKey(s.id)) as unknown as LexInstance).status, 'terminated');
  });
});
