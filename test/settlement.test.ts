import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { generateKeyPair } from '../src/crypto/index.ts';
import type { JsonValue } from '../src/codec/index.ts';
import { verifyStateLookup } from '../src/ledger/index.ts';
import type { InstructionRecord } from '../src/modules/settlement/index.ts';
import {
  buildInvoices, invoiceXml, readBalances, readClearing, readEntry, readInstruction, readJournal, readStatement, readTotals, formatMinor,
  PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID, instructionFromLex,
} from '../src/settlement/index.ts';
import { didOf, openSettleKit, type Kit } from './helpers/settlement.ts';
import { tempDir } from './helpers/tmp.ts';
import { changedKeys, stateSnapshot } from './helpers/state.ts';

const keys = Array.from({ length: 7 }, () => generateKeyPair('sm2'));
const [bank, payer, p1, p2, p3, taxman, stranger] = keys as [typeof keys[0], typeof keys[0], typeof keys[0], typeof keys[0], typeof keys[0], typeof keys[0], typeof keys[0]];
const D = { bank: didOf(bank!), payer: didOf(payer!), p1: didOf(p1!), p2: didOf(p2!), p3: didOf(p3!), tax: didOf(taxman!), stranger: didOf(stranger!) };

async function setup(k: Kit): Promise<void> {
  const r = await k.run(k.validator, 'registerIssuer', { issuer: D.bank, name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
  assert.equal(r.status, 'ok', r.message ?? '');
  const t = await k.run(k.validator, 'taxPolicy', { authority: D.tax, rates: { service: 600, goods: 1300, exempt: 0 } });
  assert.equal(t.status, 'ok', t.message ?? '');
}

const split3 = (key: string, total: string, extra: Record<string, JsonValue> = {}): JsonValue => ({
  idempotencyKey: key, payer: D.payer, currency: 'CNY', total,
  split: { by: 'bp', shares: [{ to: D.p1, share: 5000 }, { to: D.p2, share: 3000 }, { to: D.p3, share: 2000 }] },
  taxCategory: 'service', service: { description: 'Data analysis service', quantity: 3, unit: 'C62' }, ...extra,
});

test('issuers mint once per deposit; a three-way split with tax pays once; the books balance', async () => {
  const tmp = tempDir();
  const k = await openSettleKit(tmp.dir);
  try {
    const refused = await k.run(stranger!, 'registerIssuer', { issuer: D.stranger, name: 'x', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    assert.equal(refused.code, 'FORBIDDEN');
    await setup(k);
    const notIssuer = await k.run(stranger!, 'mint', { to: D.stranger, currency: 'CNY', amount: '100', ref: 'd1' });
    assert.equal(notIssuer.code, 'NOT_ISSUER');
    const m1 = await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '100000', ref: 'dep-1' });
    assert.equal(m1.status, 'ok', m1.message ?? '');
    const again = await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '100000', ref: 'dep-1' });
    assert.equal((again.result as { duplicate: boolean }).duplicate, true);
    const src = k.t.chain;
    let bal = await readBalances(src, D.payer);
    assert.deepEqual(bal.balances, [{ currency: 'CNY', available: '100000', held: '0', total: '100000' }]);
    assert.equal((await readBalances(src, D.bank)).balances[0]!.issued, '100000');

    const r = await k.run(payer!, 'instruct', split3('order-1', '10001'));
    assert.equal(r.status, 'ok', r.message ?? '');
    const st = r.result as { status: string; id: string; lines: Array<{ to: string; gross: string; tax: string; net: string }> };
    assert.equal(st.status, 'settled');
    // 10001 by 50/30/20 %: 5000, 3000, 2000 rounded down, the remainder 1 to the first payee.
    assert.deepEqual(st.lines.map((l) => l.gross), ['5001', '3000', '2000']);
    // 6 % of the net inside each gross part: net = gross × 10000 / 10600 rounded half up.
    assert.deepEqual(st.lines.map((l) => [l.net, l.tax]), [['4718', '283'], ['2830', '170'], ['1887', '113']]);
    const dup = await k.run(payer!, 'instruct', split3('order-1', '10001'));
    assert.equal((dup.result as { duplicate: boolean; id: string }).duplicate, true);
    assert.equal((dup.result as { id: string }).id, st.id);
    bal = await readBalances(src, D.payer);
    assert.equal(bal.balances[0]!.available, String(100000 - 10001), 'paid exactly once');
    assert.equal((await readBalances(src, D.tax)).balances[0]!.available, String(283 + 170 + 113));
    const totals = await readTotals(src);
    assert.equal(totals.balanced, true);
    assert.deepEqual(totals.totals.map((t) => [t.currency, t.debits, t.entries]), [['CNY', String(100000 + 10001), 2]]);
    // Journal: by account, newest first.
    const j = await readJournal(src, { account: D.p1, currency: 'CNY' });
    assert.equal(j.entries.length, 1);
    assert.equal(j.entries[0]!.kind, 'instruction');
    const all = await readJournal(src, {});
    assert.deepEqual(all.entries.map((e) => e.n), [2, 1]);

    // Someone else's account cannot be instructed directly.
    const theft = await k.run(stranger!, 'instruct', { ...(split3('steal', '10') as object), payer: D.payer });
    assert.equal(theft.code, 'FORBIDDEN');
    // Bad input: a clear error and nothing changes.
    const root = k.t.chain.info().stateRoot;
    for (const bad of [
      { ...(split3('b1', '100') as object), split: { by: 'bp', shares: [{ to: D.p1, share: 9000 }] } },
      { ...(split3('b2', '100') as object), taxCategory: 'nonesuch' },
      { ...(split3('b3', '-5') as object) },
      { ...(split3('b4', '1.5') as object) },
      { ...(split3('b5', '100') as object), payments: [{ to: D.p1, amount: '100' }] },
    ]) {
      const b = await k.run(payer!, 'instruct', bad as JsonValue);
      assert.equal(b.status, 'failed');
      assert.match(b.code!, /BAD_INSTRUCTION|BAD_ARGS|TAX_CATEGORY_UNKNOWN/);
    }
    assert.equal(k.t.chain.info().stateRoot === root, false, 'nonces moved');
    assert.equal((await readBalances(src, D.payer)).balances[0]!.available, String(100000 - 10001));
    assert.equal((await readTotals(src)).totals[0]!.entries, 2);
  } finally {
    await k.close();
    tmp.cleanup();
  }
});

test('wait or fail on insufficient funds; waiting instructions pay in order when the payer is funded', async () => {
  const tmp = tempDir();
  const k = await openSettleKit(tmp.dir);
  try {
    await setup(k);
    const f = await k.run(payer!, 'instruct', split3('f1', '500', { onInsufficientFunds: 'fail' }));
    assert.equal((f.result as { status: string }).status, 'failed');
    const w1 = await k.run(payer!, 'instruct', split3('w1', '500', { onInsufficientFunds: 'wait' }));
    const w2 = await k.run(payer!, 'instruct', split3('w2', '100', { onInsufficientFunds: 'wait' }));
    assert.equal((w1.result as { status: string }).status, 'waiting');
    assert.equal((w2.result as { status: string }).status, 'waiting');
    // 300 covers w2 but not w1: strict order, nothing pays.
    await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '300', ref: 'a' });
    const id1 = (w1.result as { id: string }).id;
    const id2 = (w2.result as { id: string }).id;
    assert.equal((await readInstruction(k.t.chain, id1))!.status, 'waiting');
    const m = await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '300', ref: 'b' });
    assert.deepEqual((m.result as { settledWaiting: string[] }).settledWaiting, [id1, id2]);
    assert.equal((await readBalances(k.t.chain, D.payer)).balances[0]!.available, '0');
    // A retried duplicate of a settled instruction reports the first result.
    const d = await k.run(payer!, 'instruct', split3('w1', '500', { onInsufficientFunds: 'wait' }));
    assert.equal((d.result as { status: string; duplicate: boolean }).status, 'settled');
    assert.equal((await readTotals(k.t.chain)).balanced, true);
  } finally {
    await k.close();
    tmp.cleanup();
  }
});

test('settlement takes instructions only from port lexcontract, on the chain its mandate names; refused packets change nothing', async () => {
  const tmp = tempDir();
  const k = await openSettleKit(tmp.dir);
  try {
    await setup(k);
    await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '10000', ref: 'a' });
    const contract = 'd'.repeat(64);
    // A mandate can only name the bound port: one for a DID's plain-message port (xchain) could never be used.
    const bad = await k.run(payer!, 'grantMandate', { grantee: { chain: 'sign', port: 'xchain', contract }, currency: 'CNY', cap: '5000' });
    assert.equal(bad.code, 'MANDATE_BAD_PORT');
    assert.match(bad.message!, /only from port lexcontract/);
    assert.equal((await k.run(payer!, 'grantMandate', { grantee: { chain: 'sign', port: 'lexcontract', contract }, currency: 'CNY', cap: '5000' })).status, 'ok');
    const packet = (seq: number, srcChain: string, srcPort: string) => ({
      srcChain, srcPort, dstChain: 'settle', dstPort: 'settlement', sequence: seq, sender: D.stranger,
      payload: { kind: 'settlement-instruction', contract, instruction: split3(`usage:${seq}`, '100') },
    });
    const before = stateSnapshot(k.t.chain);
    const cases: Array<[string, ReturnType<typeof packet>, string]> = [
      ...['xchain', 'xtransfer', 'xdoc', 'xcall', 'xlock', 'xtx', 'settlement', 'notary'].map((port, i): [string, ReturnType<typeof packet>, string] => [`from port ${port}`, packet(i + 1, 'sign', port), 'XCHAIN_PORT_MISMATCH']),
      ['from lexcontract on another chain than the mandate names', packet(20, 'notary', 'lexcontract'), 'NO_MANDATE'],
    ];
    for (const [what, p, code] of cases) {
      const ack = (await k.run(k.validator, 'deliver', { packet: p }, 'xchain')).result as { ok: boolean; code: string };
      assert.deepEqual([ack.ok, ack.code], [false, code], what);
    }
    // Only the stand-in xchain's own nonce moved: no instruction, no journal entry, no mandate use.
    assert.deepEqual(changedKeys(before, stateSnapshot(k.t.chain)), []);
    assert.equal((await readBalances(k.t.chain, D.payer)).balances[0]!.available, '10000');
    // The bound port on the mandated chain pays.
    const good = (await k.run(k.validator, 'deliver', { packet: packet(21, 'sign', 'lexcontract') }, 'xchain')).result as { ok: boolean; result: { status: string } };
    assert.equal(good.ok, true);
    assert.equal(good.result.status, 'settled');
  } finally {
    await k.close();
    tmp.cleanup();
  }
});

test('a contract on another chain pays only within its mandate; replayed packets pay once; only xchain may deliver', async () => {
  const tmp = tempDir();
  const k = await openSettleKit(tmp.dir);
  try {
    await setup(k);
    await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '10000', ref: 'a' });
    const packet = (seq: number, key: string, total: string) => ({
      srcChain: 'sign', srcPort: 'lexcontract', dstChain: 'settle', dstPort: 'settlement', sequence: seq, sender: D.stranger,
      payload: { kind: 'settlement-instruction', contract: 'c'.repeat(64), instruction: split3(key, total) },
    });
    let r = await k.run(k.validator, 'deliver', { packet: packet(1, 'usage:1', '3000') }, 'xchain');
    assert.equal((r.result as { ok: boolean; code: string }).code, 'NO_MANDATE');
    const g = await k.run(payer!, 'grantMandate', { grantee: { chain: 'sign', port: 'lexcontract', contract: 'c'.repeat(64) }, currency: 'CNY', cap: '5000' });
    assert.equal(g.status, 'ok', g.message ?? '');
    r = await k.run(k.validator, 'deliver', { packet: packet(1, 'usage:1', '3000') }, 'xchain');
    const ack = r.result as { ok: boolean; result: { status: string; id: string } };
    assert.equal(ack.ok, true);
    assert.equal(ack.result.status, 'settled');
    r = await k.run(k.validator, 'deliver', { packet: packet(1, 'usage:1', '3000') }, 'xchain');
    assert.equal((r.result as { result: { duplicate: boolean } }).result.duplicate, true);
    r = await k.run(k.validator, 'deliver', { packet: packet(2, 'usage:2', '3000') }, 'xchain');
    assert.equal((r.result as { code: string }).code, 'MANDATE_EXCEEDED');
    assert.equal((await readBalances(k.t.chain, D.payer)).balances[0]!.available, '7000');
    const poke = await k.run(k.validator, 'poke', { packet: packet(3, 'usage:3', '10') }, 'impostor');
    assert.equal(poke.code, 'FORBIDDEN');
    // The lex bridge: a contract's split becomes explicit payments.
    const ins = instructionFromLex({ kind: 'split', from: D.payer, amount: { currency: 'CNY', minor: 100 }, shares: [{ to: D.p1, amount: { currency: 'CNY', minor: 60 } }, { to: D.p2, amount: { currency: 'CNY', minor: 40 } }], idempotencyKey: 'inst:7' });
    assert.deepEqual(ins.payments, [{ to: D.p1, amount: '60' }, { to: D.p2, amount: '40' }]);
  } finally {
    await k.close();
    tmp.cleanup();
  }
});

test('clearing nets a day; statements are recorded, provable and match their entries; invoices match the journal', async () => {
  const tmp = tempDir();
  const day1 = Date.UTC(2023, 10, 15, 1);
  const k = await openSettleKit(tmp.dir, { time: day1 });
  try {
    await setup(k);
    await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '50000', ref: 'a' });
    const r = await k.run(payer!, 'instruct', split3('svc-1', '30000'));
    await k.run(p1!, 'transfer', { to: D.p2, currency: 'CNY', amount: '1000' });
    const open = await k.run(stranger!, 'clear', { period: '2023-11-15', currency: 'CNY' });
    assert.equal(open.code, 'PERIOD_OPEN');
    await k.block([], Date.UTC(2023, 10, 16, 0, 0, 1));
    // A large period is cleared in steps: two participants, then the rest.
    const c1 = await k.run(stranger!, 'clear', { period: '2023-11-15', currency: 'CNY', max: 2 });
    assert.equal(c1.status, 'ok', c1.message ?? '');
    assert.deepEqual([(c1.result as { processed: number }).processed, (c1.result as { complete: boolean }).complete], [2, false]);
    const c = await k.run(stranger!, 'clear', { period: '2023-11-15', currency: 'CNY' });
    assert.equal(c.status, 'ok', c.message ?? '');
    const clr = c.result as { participants: number; complete: boolean; root: string; sumNet: string };
    assert.deepEqual([clr.complete, clr.sumNet], [true, '0']);
    assert.equal(clr.participants, 6); // issue:<bank>, payer, p1, p2, p3, the tax authority
    const again = await k.run(stranger!, 'clear', { period: '2023-11-15', currency: 'CNY' });
    assert.equal((again.result as { root: string }).root, clr.root, 'clearing again changes nothing');
    const view = (await readClearing(k.t.chain, '2023-11-15', 'CNY'))!;
    assert.equal(view.positions.length, 6);
    assert.equal(view.positions.reduce((a, p) => a + BigInt(p.net), 0n), 0n, 'net positions sum to zero');
    assert.equal(view.positions.find((p) => p.account === D.payer)!.net, '20000'); // +50000 minted, −30000 paid
    const s = await readStatement(k.t.chain, 'settle', '2023-11-15', 'CNY', D.p1);
    assert.equal(s.cleared, true);
    assert.equal(s.entries.length, 2);
    assert.equal(s.record.opening, '0');
    const proof = k.t.chain.getState(s.key, { proof: true });
    assert.equal(verifyStateLookup('sm2', proof, k.t.genesis.validators).ok, true);
    assert.equal((proof.value as { hash: string }).hash, s.record.hash);

    // Invoices: one per payee, consistent with the journal entry.
    const rec = (await readInstruction(k.t.chain, (r.result as { id: string }).id)) as InstructionRecord;
    const entry = (await readEntry(k.t.chain, rec.settled!.entry))!;
    const invs = buildInvoices(rec, entry, { chain: 'settle', parties: { [D.p1]: { name: 'Data Source Co <1>', country: 'CN' } } });
    assert.equal(invs.length, 3);
    const grossSum = invs.reduce((a, i) => a + BigInt(i.totals.payable), 0n);
    assert.equal(grossSum.toString(), rec.total);
    for (const inv of invs) {
      const xml = invoiceXml(inv);
      const errors: string[] = [];
      const doc = new DOMParser({ onError: (level: string, msg: string) => { if (level !== 'warning') errors.push(msg); } }).parseFromString(xml, 'text/xml');
      assert.deepEqual(errors, []);
      const CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';
      const CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';
      const root = doc.documentElement!;
      assert.equal(root.localName, 'Invoice');
      const kid = (parent: Element, ns: string, name: string): Element => {
        for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) return n as Element;
        throw new Error(`missing ${name}`);
      };
      const text = (parent: Element, ns: string, name: string): string => kid(parent, ns, name).textContent!;
      assert.equal(text(root, CBC, 'CustomizationID'), PEPPOL_CUSTOMIZATION_ID);
      assert.equal(text(root, CBC, 'ProfileID'), PEPPOL_PROFILE_ID);
      assert.equal(text(root, CBC, 'ID'), inv.id);
      assert.match(text(root, CBC, 'IssueDate'), /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(text(root, CBC, 'InvoiceTypeCode'), '380');
      assert.equal(text(root, CBC, 'DocumentCurrencyCode'), 'CNY');
      const sup = kid(kid(root, CAC, 'AccountingSupplierParty'), CAC, 'Party');
      assert.equal(text(sup, CBC, 'EndpointID'), inv.supplier.did);
      assert.equal(text(kid(sup, CAC, 'PartyLegalEntity'), CBC, 'RegistrationName'), inv.supplier.name);
      const cus = kid(kid(root, CAC, 'AccountingCustomerParty'), CAC, 'Party');
      assert.equal(text(cus, CBC, 'EndpointID'), D.payer);
      const taxTotal = kid(root, CAC, 'TaxTotal');
      const lmt = kid(root, CAC, 'LegalMonetaryTotal');
      const line = kid(root, CAC, 'InvoiceLine');
      const dec = (s: string): bigint => BigInt(s.replace('.', ''));
      const taxAmt = dec(text(taxTotal, CBC, 'TaxAmount'));
      const sub = kid(taxTotal, CAC, 'TaxSubtotal');
      const taxable = dec(text(sub, CBC, 'TaxableAmount'));
      const lineNet = dec(text(line, CBC, 'LineExtensionAmount'));
      assert.equal(dec(text(lmt, CBC, 'LineExtensionAmount')), lineNet);
      assert.equal(dec(text(lmt, CBC, 'TaxExclusiveAmount')), taxable);
      assert.equal(dec(text(lmt, CBC, 'TaxInclusiveAmount')), taxable + taxAmt);
      assert.equal(dec(text(lmt, CBC, 'PayableAmount')), taxable + taxAmt);
      // Rate × taxable within a minor unit (the tax is the part of the gross above the rounded net).
      const pct = Number(text(kid(sub, CAC, 'TaxCategory'), CBC, 'Percent'));
      assert.ok(Math.abs(Number(taxable) * pct / 100 - Number(taxAmt)) <= 1);
      // …and the journal agrees: the payee got the net, the authority the tax, for this payee.
      const credited = entry.lines.filter((l) => l.side === 'credit' && l.account === inv.supplier.did).reduce((a, l) => a + BigInt(l.amount), 0n);
      const taxLine = entry.lines.filter((l) => l.account === D.tax && l.for === inv.supplier.did).reduce((a, l) => a + BigInt(l.amount), 0n);
      assert.equal(credited, lineNet);
      assert.equal(taxLine, taxAmt);
      assert.equal(formatMinor(inv.totals.tax, 'CNY'), text(taxTotal, CBC, 'TaxAmount'));
    }
    assert.match(invoiceXml(invs[0]!), /Data Source Co &lt;1&gt;/);
  } finally {
    await k.close();
    tmp.cleanup();
  }
});

test('fuzz: packets from other chains and rail webhooks with arbitrary content get a clear error and change nothing', async () => {
  const fc = (await import('fast-check')).default;
  const { SandboxRailAdapter, signWebhook } = await import('../src/rails/index.ts');
  const { toHex } = await import('../src/codec/index.ts');
  const { ShulianError } = await import('../src/codec/index.ts');
  // Webhooks: never anything but a ShulianError, whatever the headers and body.
  const railKey = generateKeyPair('sm2');
  const adapter = new SandboxRailAdapter('http://127.0.0.1:9', toHex(railKey.publicKey));
  fc.assert(fc.property(fc.string(), fc.dictionary(fc.constantFrom('x-shulian-rail-did', 'x-shulian-rail-time', 'x-shulian-rail-signature', 'other'), fc.string()), fc.boolean(), (body, headers, signed) => {
    const h = signed ? { ...headers, ...signWebhook(railKey, body, Date.now()) } : headers;
    try {
      adapter.verifyWebhook(h, body);
    } catch (e) {
      assert.ok(e instanceof ShulianError, String(e));
      assert.match(e.code, /^RAIL_(SIGNATURE|WEBHOOK)_INVALID$/);
    }
  }), { numRuns: 300 });

  const tmp = tempDir();
  const k = await openSettleKit(tmp.dir);
  try {
    await setup(k);
    await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '10000', ref: 'a' });
    await k.run(payer!, 'grantMandate', { grantee: { chain: 'sign', port: 'lexcontract', contract: 'c1' }, currency: 'CNY', cap: '5000' });
    const before = await readTotals(k.t.chain);
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record({ kind: fc.constantFrom('settlement-instruction', 'x'), contract: fc.constantFrom('c1', 'c2', ''), instruction: fc.oneof(fc.jsonValue(), fc.record({
        idempotencyKey: fc.oneof(fc.string(), fc.constant('k')), payer: fc.constantFrom(D.payer, D.p1, 'nobody'), currency: fc.constantFrom('CNY', 'cny', 'USD'),
        total: fc.oneof(fc.string(), fc.integer(), fc.constant('9999999')), payments: fc.jsonValue(),
      }, { requiredKeys: [] })) }, { requiredKeys: [] }),
    );
    // A "__proto__" key is refused at the door (TX_MALFORMED, tested in src/ledger/tx.test.ts), so
    // such a packet never reaches the settlement module; this test is about what reaches it.
    const packets = fc.sample(fc.record({ payload, sequence: fc.integer({ min: -1, max: 10 }) }), 60)
      .filter((p) => !JSON.stringify(p).includes('"__proto__"'));
    const txs = packets.map((p) => k.tx(k.validator, 'deliver', { packet: { srcChain: 'sign', srcPort: 'lexcontract', dstChain: 'settle', dstPort: 'settlement', sender: D.stranger, ...p } as JsonValue }, 'xchain'));
    const b = await k.block(txs);
    for (const r of b.receipts) {
      assert.equal(r.status, 'ok', r.message ?? '');
      const ack = r.result as { ok: boolean; code?: string };
      assert.equal(ack.ok, false, JSON.stringify(ack));
      assert.match(ack.code!, /^(BAD_PACKET|BAD_INSTRUCTION|NO_MANDATE|MANDATE_EXCEEDED|INSUFFICIENT_FUNDS|TAX_CATEGORY_UNKNOWN)$/);
    }
    assert.deepEqual(await readTotals(k.t.chain), { ...before, height: (await readTotals(k.t.chain)).height });
    assert.equal((await readBalances(k.t.chain, D.payer)).balances[0]!.available, '10000');
  } finally {
    await k.close();
    tmp.cleanup();
  }
});

test('tiers, holds, cancel, waitUntil and revoked mandates', async () => {
  const { splitByShares, splitByTiers, taxIn } = await import('../src/modules/settlement/calc.ts');
  // Pure rules: round down, remainder one unit at a time in listed order (skipping zero shares).
  assert.deepEqual(splitByShares(10n, [1n, 0n, 1n, 1n]), [4n, 0n, 3n, 3n]);
  assert.deepEqual(splitByShares(2n, [3333n, 3333n, 3334n]), [1n, 1n, 0n]);
  assert.deepEqual(splitByTiers(15000n, [{ upTo: 10000n, shares: [9n, 1n] }, { shares: [1n, 1n] }]), [[9000n, 1000n], [2500n, 2500n]]);
  assert.deepEqual(taxIn(10600n, 600n), { net: 10000n, tax: 600n });
  const tmp = tempDir();
  const k = await openSettleKit(tmp.dir);
  try {
    await setup(k);
    await k.run(bank!, 'mint', { to: D.payer, currency: 'CNY', amount: '100000', ref: 'a' });
    // Tiers: the first 100.00 split 90/10, the rest 50/50.
    const t = await k.run(payer!, 'instruct', {
      idempotencyKey: 'tier-1', payer: D.payer, currency: 'CNY', total: '15000',
      split: { by: 'tiers', tiers: [{ upTo: '10000', shares: [{ to: D.p1, share: 9 }, { to: D.p2, share: 1 }] }, { shares: [{ to: D.p1, share: 1 }, { to: D.p2, share: 1 }] }] },
    });
    assert.deepEqual((t.result as { lines: Array<{ to: string; gross: string }> }).lines.map((l) => [l.to, l.gross]), [[D.p1, '9000'], [D.p2, '1000'], [D.p1, '2500'], [D.p2, '2500']]);
    const badTier = await k.run(payer!, 'instruct', { idempotencyKey: 'tier-2', payer: D.payer, currency: 'CNY', total: '20000', split: { by: 'tiers', tiers: [{ upTo: '10000', shares: [{ to: D.p1, share: 1 }] }] } });
    assert.equal(badTier.code, 'BAD_INSTRUCTION');

    // Holds: escrow shows as held; the payee releases, or the owner captures to the payee.
    await k.run(payer!, 'hold', { id: 'h1', payee: D.p3, currency: 'CNY', amount: '5000' });
    let b = (await readBalances(k.t.chain, D.payer)).balances[0]!;
    assert.deepEqual([b.available, b.held, b.total], ['80000', '5000', '85000']);
    assert.equal((await k.run(payer!, 'release', { owner: D.payer, id: 'h1' })).code, 'FORBIDDEN', 'the owner may not release before expiry');
    assert.equal((await k.run(p3!, 'release', { owner: D.payer, id: 'h1' })).status, 'ok');
    await k.run(payer!, 'hold', { id: 'h2', payee: D.p3, currency: 'CNY', amount: '1000' });
    assert.equal((await k.run(payer!, 'capture', { id: 'h2' })).status, 'ok');
    assert.equal((await readBalances(k.t.chain, D.p3)).balances[0]!.available, '1000');

    // Waiting: cancel by the payer; waitUntil fails it when it is next tried after the deadline.
    const w = await k.run(payer!, 'instruct', { idempotencyKey: 'big', payer: D.payer, currency: 'CNY', payments: [{ to: D.p1, amount: '500000' }], onInsufficientFunds: 'wait' });
    const wid = (w.result as { id: string }).id;
    assert.equal((await k.run(p1!, 'cancel', { id: wid })).code, 'FORBIDDEN');
    assert.equal((await k.run(payer!, 'cancel', { id: wid })).status, 'ok');
    assert.equal((await readInstruction(k.t.chain, wid))!.status, 'cancelled');
    const w2 = await k.run(payer!, 'instruct', { idempotencyKey: 'late', payer: D.payer, currency: 'CNY', payments: [{ to: D.p1, amount: '500000' }], onInsufficientFunds: 'wait', waitUntil: k.time + 5_000 });
    await k.block([], k.time + 10_000);
    const rr = await k.run(stranger!, 'retry', { payer: D.payer, currency: 'CNY' });
    assert.deepEqual(rr.result, { settled: [], failed: [(w2.result as { id: string }).id] });
    assert.equal((await readInstruction(k.t.chain, (w2.result as { id: string }).id))!.failure!.code, 'WAIT_EXPIRED');

    // A revoked mandate no longer lets the contract pay.
    const grantee = { chain: 'sign', port: 'lexcontract', contract: 'c9' };
    await k.run(payer!, 'grantMandate', { grantee, currency: 'CNY', cap: '100000' });
    await k.run(payer!, 'revokeMandate', { grantee, currency: 'CNY' });
    const packet = { srcChain: 'sign', srcPort: 'lexcontract', dstChain: 'settle', dstPort: 'settlement', sequence: 1, sender: D.stranger, payload: { kind: 'settlement-instruction', contract: 'c9', instruction: { idempotencyKey: 'x', payer: D.payer, currency: 'CNY', payments: [{ to: D.p1, amount: 10 }] } } };
    const ack = (await k.run(k.validator, 'deliver', { packet }, 'xchain')).result as { ok: boolean; code: string };
    assert.deepEqual([ack.ok, ack.code], [false, 'NO_MANDATE']);
    assert.equal((await readTotals(k.t.chain)).balanced, true);
  } finally {
    await k.close();
    tmp.cleanup();
  }
});

// Issue #15: the SANDBOX faucet of a development alliance. Opened by a validator only, only with
// a sandbox issuer's money; each DID gets at most its allowance per currency; every refusal
// changes nothing; the money is a mint by the sandbox issuer, so the books still balance.
test('the SANDBOX faucet: validators open it for a sandbox issuer only; each DID has an allowance; refusals change nothing', async () => {
  const tmp = tempDir();
  const k = await openSettleKit(tmp.dir);
  try {
    const closed = await k.run(payer!, 'faucet', { currency: 'CNY', amount: '100' });
    assert.equal(closed.code, 'FAUCET_CLOSED', 'no faucet until a validator opens one');
    await setup(k); // D.bank: a sandbox issuer of CNY
    const realBank = generateKeyPair('sm2');
    assert.equal((await k.run(k.validator, 'registerIssuer', { issuer: didOf(realBank), name: 'Real Bank', currencies: ['CNY'], rail: 'cips', sandbox: false })).status, 'ok');

    // Wrong role, wrong issuer, wrong currency: refused, and the state root does not move.
    const snap = stateSnapshot(k.t.chain);
    for (const [key, args, code] of [
      [stranger!, { issuer: D.bank, currencies: ['CNY'], perDid: '1000' }, 'FORBIDDEN'],
      [bank!, { issuer: D.bank, currencies: ['CNY'], perDid: '1000' }, 'FORBIDDEN'],
      [k.validator, { issuer: didOf(realBank), currencies: ['CNY'], perDid: '1000' }, 'FAUCET_NOT_SANDBOX'],
      [k.validator, { issuer: D.bank, currencies: ['USD'], perDid: '1000' }, 'NOT_ISSUER'],
      [k.validator, { issuer: D.stranger, currencies: ['CNY'], perDid: '1000' }, 'NOT_ISSUER'],
      [k.validator, { issuer: D.bank, currencies: ['CNY'], perDid: '-1' }, 'BAD_ARGS'],
    ] as const) {
      const r = await k.run(key, 'faucetPolicy', args as unknown as JsonValue);
      assert.equal(r.code, code, `${JSON.stringify(args)}: ${r.message}`);
    }
    assert.deepEqual(changedKeys(snap, stateSnapshot(k.t.chain)).filter((key) => !key.startsWith('sys/')), [], 'refused policies change nothing');

    assert.equal((await k.run(k.validator, 'faucetPolicy', { issuer: D.bank, currencies: ['CNY'], perDid: '1000' })).status, 'ok');
    const paid = await k.run(payer!, 'faucet', { currency: 'CNY', amount: '600' });
    assert.equal(paid.status, 'ok', paid.message ?? '');
    assert.deepEqual(paid.result, { entry: 1, to: D.payer, currency: 'CNY', amount: '600', issuer: D.bank, sandbox: true, left: '400', settledWaiting: [] });
    const entry = await readEntry(k.t.chain, 1);
    assert.equal(entry!.kind, 'mint');
    assert.match(entry!.memo ?? '', /^SANDBOX faucet/);
    assert.deepEqual(entry!.lines.map((l) => [l.account, l.side, l.amount]), [[`issue:${D.bank}`, 'debit', '600'], [D.payer, 'credit', '600']]);

    // Over the allowance (in one go or in all), another currency, nothing: refused, nothing paid.
    for (const [args, code] of [
      [{ currency: 'CNY', amount: '401' }, 'FAUCET_LIMIT'],
      [{ currency: 'USD', amount: '1' }, 'FAUCET_CLOSED'],
      [{ currency: 'CNY', amount: '0' }, 'BAD_ARGS'],
    ] as const) {
      const r = await k.run(payer!, 'faucet', args);
      assert.equal(r.code, code, `${JSON.stringify(args)}: ${r.message}`);
    }
    assert.equal((await k.run(payer!, 'faucet', { currency: 'CNY', amount: '400' })).status, 'ok');
    assert.equal((await k.run(payer!, 'faucet', { currency: 'CNY', amount: '1' })).code, 'FAUCET_LIMIT');
    // Another DID has its own allowance; the money is the sandbox issuer's, and the books balance.
    assert.equal((await k.run(p1!, 'faucet', { currency: 'CNY', amount: '1000' })).status, 'ok');
    assert.equal((await readBalances(k.t.chain, D.payer)).balances[0]!.available, '1000');
    assert.equal((await readBalances(k.t.chain, D.bank)).balances[0]!.issued, '2000');
    assert.equal((await readTotals(k.t.chain)).balanced, true);

    // Faucet money is a credit like any other: it pays the DID's waiting instruction.
    const w = await k.run(p2!, 'instruct', { idempotencyKey: 'needs-faucet', payer: D.p2, currency: 'CNY', payments: [{ to: D.p3, amount: '300' }], onInsufficientFunds: 'wait' });
    assert.equal((w.result as { status: string }).status, 'waiting');
    const f = await k.run(p2!, 'faucet', { currency: 'CNY', amount: '500' });
    assert.deepEqual((f.result as { settledWaiting: string[] }).settledWaiting, [(w.result as { id: string }).id]);

    // Closing it (perDid "0") closes it for everyone; revoking the issuer stops it too.
    assert.equal((await k.run(k.validator, 'faucetPolicy', { issuer: D.bank, currencies: ['CNY'], perDid: '0' })).status, 'ok');
    assert.equal((await k.run(p3!, 'faucet', { currency: 'CNY', amount: '1' })).code, 'FAUCET_CLOSED');
    assert.equal((await k.run(k.validator, 'faucetPolicy', { issuer: D.bank, currencies: ['CNY'], perDid: '5000' })).status, 'ok');
    assert.equal((await k.run(k.validator, 'revokeIssuer', { issuer: D.bank })).status, 'ok');
    assert.equal((await k.run(p3!, 'faucet', { currency: 'CNY', amount: '1' })).code, 'NOT_ISSUER');
  } finally {
    await k.close();
    tmp.cleanup();
  }
});
