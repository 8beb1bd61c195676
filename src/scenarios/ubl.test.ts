/**
 * The trade scenario's UBL 2.1 / Peppol BIS Billing 3.0 goods invoice: rendered with the mandatory
 * elements in schema order, integer minor units as decimals, totals by EN 16931's rules; the
 * checker reads the XML back and names the rule an altered document breaks; bad input is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID } from '../settlement/index.ts';
import { checkUblInvoice, renderUblInvoice, taxOf, ublTotals, type UblInvoiceInput } from './ubl.ts';

const invoice = (): UblInvoiceInput => ({
  id: 'INV-1', issueDate: '2026-03-10', dueDate: '2026-04-09', currency: 'USD', buyerReference: 'PO-1', billOfLading: 'carrier-ebl:BL-1', note: 'R&D <samples>',
  seller: { endpoint: { scheme: '0230', id: 'SH1' }, name: 'Pujiang Gem & Co.', street: '88 Century Avenue', city: 'Shanghai', country: 'CN', legalId: '9131', vatId: 'CN9131' },
  buyer: { endpoint: { scheme: '0195', id: 'SG1' }, name: 'Lion City Jewellers', street: '2 Orchard Turn', city: 'Singapore', country: 'SG', legalId: '2019' },
  lines: [
    { name: 'Sapphire', quantity: 1, unit: 'C62', unitPriceMinor: 1_850_000n, category: 'Z', rateBp: 0, hs: '710391' },
    { name: 'Ruby', quantity: 2, unit: 'C62', unitPriceMinor: 490_000n, category: 'Z', rateBp: 0 },
    { name: 'Inspection', quantity: 3, unit: 'C62', unitPriceMinor: 10_005n, category: 'S', rateBp: 600 },
  ],
});

test('totals in minor units: lines, tax per category rounded half up, payable', () => {
  const t = ublTotals(invoice());
  assert.deepEqual(t.lines, [1_850_000n, 980_000n, 30_015n]);
  assert.equal(t.lineExtension, 2_860_015n);
  // 6 % of 300.15 = 18.009 → 18.01
  assert.deepEqual(t.subtotals.map((s) => [s.category, s.rateBp, s.taxable, s.tax]), [['Z', 0, 2_830_000n, 0n], ['S', 600, 30_015n, 1_801n]]);
  assert.equal(t.payable, 2_861_816n);
  assert.equal(taxOf(25n, 2000), 5n);
  assert.equal(taxOf(2n, 2500), 1n, '0.5 rounds up');
  assert.equal(taxOf(1n, 2499), 0n);
});

test('the XML has the BIS 3.0 mandatory elements in order, decimals, escaping; it checks', () => {
  const xml = renderUblInvoice(invoice());
  const order = ['CustomizationID', 'ProfileID', '<cbc:ID>INV-1', 'IssueDate', 'DueDate', 'InvoiceTypeCode>380', 'Note', 'DocumentCurrencyCode', 'BuyerReference', 'AdditionalDocumentReference', 'AccountingSupplierParty', 'AccountingCustomerParty', 'TaxTotal', 'LegalMonetaryTotal', 'InvoiceLine'];
  const at = order.map((x) => xml.indexOf(x));
  assert.ok(at.every((i) => i >= 0), `missing: ${order.filter((_, i) => at[i]! < 0).join(', ')}`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, 'schema order');
  assert.ok(xml.includes(`<cbc:CustomizationID>${PEPPOL_CUSTOMIZATION_ID}</cbc:CustomizationID>`));
  assert.ok(xml.includes(`<cbc:ProfileID>${PEPPOL_PROFILE_ID}</cbc:ProfileID>`));
  assert.ok(xml.includes('<cbc:EndpointID schemeID="0195">SG1</cbc:EndpointID>'));
  assert.ok(xml.includes('<cbc:PayableAmount currencyID="USD">28618.16</cbc:PayableAmount>'));
  assert.ok(xml.includes('<cbc:TaxAmount currencyID="USD">18.01</cbc:TaxAmount>'));
  assert.ok(xml.includes('<cbc:Note>R&amp;D &lt;samples&gt;</cbc:Note>'));
  assert.ok(xml.includes('<cbc:Name>Pujiang Gem &amp; Co.</cbc:Name>'));
  const c = checkUblInvoice(xml);
  assert.deepEqual({ ...c }, { id: 'INV-1', currency: 'USD', seller: 'Pujiang Gem & Co.', buyer: 'Lion City Jewellers', billOfLading: 'carrier-ebl:BL-1', lineExtension: 2_860_015n, tax: 1_801n, payable: 2_861_816n });
  assert.equal(renderUblInvoice(invoice()), xml, 'deterministic');
});

test('an altered document fails the check, naming the rule', () => {
  const xml = renderUblInvoice(invoice());
  const cases: Array<[string, string, RegExp]> = [
    ['<cbc:PayableAmount currencyID="USD">28618.16<', '<cbc:PayableAmount currencyID="USD">28000.00<', /BR-CO-16/],
    ['<cbc:TaxInclusiveAmount currencyID="USD">28618.16<', '<cbc:TaxInclusiveAmount currencyID="USD">28618.17<', /BR-CO-15/],
    ['<cbc:LineExtensionAmount currencyID="USD">28600.15</cbc:LineExtensionAmount>\n<cbc:TaxExclusive', '<cbc:LineExtensionAmount currencyID="USD">28600.16</cbc:LineExtensionAmount>\n<cbc:TaxExclusive', /BR-CO-10/],
    ['<cbc:TaxAmount currencyID="USD">18.01</cbc:TaxAmount>\n<cac:TaxCategory>', '<cbc:TaxAmount currencyID="USD">18.00</cbc:TaxAmount>\n<cac:TaxCategory>', /BR-CO-17/],
    ['<cbc:LineExtensionAmount currencyID="USD">300.15<', '<cbc:LineExtensionAmount currencyID="USD">300.16<', /line 3: quantity × price/],
    ['currencyID="USD">18500.00<', 'currencyID="EUR">18500.00<', /not the document currency USD/],
    ['currencyID="USD">18500.00<', 'currencyID="USD">18500.001<', /is not a USD amount/],
    [`<cbc:ProfileID>${PEPPOL_PROFILE_ID}`, '<cbc:ProfileID>urn:other', /ProfileID is not the Peppol billing profile/],
    ['<cbc:BuyerReference>PO-1</cbc:BuyerReference>', '', /mandatory element cbc:BuyerReference is missing/],
    ['schemeID="0195"', 'schemeID="DID"', /AccountingCustomerParty has no EndpointID with an EAS scheme/],
  ];
  for (const [from, to, err] of cases) {
    assert.ok(xml.includes(from), from);
    assert.throws(() => checkUblInvoice(xml.replace(from, to)), (e: Error & { code?: string }) => e.code === 'SCENARIO_FAILED' && err.test(e.message), `${to}: ${err}`);
  }
});

test('bad input is refused with what is wrong', () => {
  const bad = (f: (i: UblInvoiceInput) => void, msg: RegExp) => {
    const i = invoice();
    f(i);
    assert.throws(() => renderUblInvoice(i), msg);
  };
  bad((i) => { i.lines = []; }, /1 to 100 lines, not 0/);
  bad((i) => { i.lines[0]!.quantity = 1.5; }, /line 1: quantity 1.5 is not a positive integer/);
  bad((i) => { i.lines[2]!.rateBp = 0; }, /line 3: category S with 0 %/);
  bad((i) => { i.lines[0]!.rateBp = 600; }, /line 1: category Z with 6 %/);
  bad((i) => { i.lines[0]!.category = 'G'; }, /line 1: category G needs an exemption reason/);
  bad((i) => { i.currency = 'usd'; }, /currency usd is not an ISO 4217 code/);
  bad((i) => { i.buyer.country = 'Singapore'; }, /country Singapore is not ISO 3166-1 alpha-2/);
  bad((i) => { i.seller.endpoint.scheme = 'DID'; }, /endpoint scheme DID is not a 4-digit EAS code/);
  bad((i) => { i.issueDate = '10/03/2026'; }, /not YYYY-MM-DD/);
  bad((i) => { i.note = 'x'.repeat(201); }, /longer than 200/);
  // An exempt line with its reason renders the reason in the tax subtotal and still checks.
  const g = invoice();
  g.lines[0]!.category = 'G';
  g.exemption = { code: 'VATEX-EU-G', reason: 'Export outside the EU' };
  const xml = renderUblInvoice(g);
  assert.ok(xml.includes('<cbc:TaxExemptionReasonCode>VATEX-EU-G</cbc:TaxExemptionReasonCode>'));
  assert.equal(checkUblInvoice(xml).payable, 2_861_816n);
});
