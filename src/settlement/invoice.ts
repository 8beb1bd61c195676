/**
 * E-invoices for settled service instructions, generated off-chain and deterministically from
 * on-chain data (the instruction record and its journal entry): one invoice per payee (the
 * supplier) to the payer (the customer), as JSON and as UBL 2.1 XML with the elements Peppol BIS
 * Billing 3.0 requires. Amounts, tax and parties are those of the journal entry, checked here.
 *
 * Mapping: a payee's gross part (what the payer paid for it, tax included) is TaxInclusiveAmount
 * and PayableAmount; the net the payee was credited is LineExtensionAmount / TaxExclusiveAmount
 * / TaxableAmount; the tax credited to the tax authority for that payee is TaxAmount, at the
 * category's rate (VAT category S, or Z at 0 %). Parties are identified by their DIDs (EndpointID
 * scheme "DID": not a Peppol EAS code — a real Peppol access point needs a participant id mapping).
 */
import { ShulianError } from '../codec/index.ts';
import type { InstructionRecord, JournalEntry } from '../modules/settlement/types.ts';
import { formatMinor } from './currency.ts';

export const PEPPOL_CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
export const PEPPOL_PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';

export interface InvoiceParty {
  did: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface InvoiceJson {
  id: string;
  chain: string;
  instruction: string;
  idempotencyKey: string;
  issueDate: string;
  typeCode: '380';
  currency: string;
  supplier: InvoiceParty;
  customer: InvoiceParty;
  line: { id: '1'; description: string; quantity: number; unit: string; net: string; tax: string; gross: string; taxCategory: 'S' | 'Z'; rateBp: number; category?: string };
  /** Minor units. */
  totals: { lineExtension: string; taxExclusive: string; tax: string; taxInclusive: string; payable: string };
  /** Where the money moved: the journal entry and its block. */
  journal: { entry: number; height: number; tx: string; time: number; taxAuthority?: string };
  note?: string;
}

export interface InvoiceOptions {
  chain: string;
  /** Names and countries of parties by DID; default name = the DID, country = defaultCountry. */
  parties?: Record<string, { name?: string; country?: string }>;
  defaultCountry?: string;
}

function party(did: string, o: InvoiceOptions): InvoiceParty {
  const p = o.parties?.[did];
  return { did, name: p?.name ?? did, country: p?.country ?? o.defaultCountry ?? 'CN' };
}

/** The invoices of a settled service instruction, one per payee, checked against its journal entry. */
export function buildInvoices(rec: InstructionRecord, entry: JournalEntry, o: InvoiceOptions): InvoiceJson[] {
  if (rec.status !== 'settled' || !rec.settled) throw new ShulianError('NOT_SETTLED', `instruction ${rec.id} is ${rec.status}; only settled instructions are invoiced`);
  if (!rec.service) throw new ShulianError('NOT_A_SERVICE', `instruction ${rec.id} is not marked as a service; only services are invoiced`);
  if (entry.n !== rec.settled.entry || entry.ref !== rec.id) throw new ShulianError('STATE_INVALID', `journal entry ${entry.n} is not the one that settled instruction ${rec.id}`);
  // The entry must say exactly what the instruction says: payer debited the total, each payee
  // credited its net, the authority credited each payee's tax.
  const expect: string[] = [`debit ${rec.payer} ${rec.total}`];
  for (const l of rec.lines) {
    expect.push(`credit ${l.to} ${l.net}`);
    if (l.tax !== '0') expect.push(`credit ${rec.taxAuthority} ${l.tax} for ${l.to}`);
  }
  const got = entry.lines.map((l) => `${l.side} ${l.account} ${l.amount}${l.for ? ` for ${l.for}` : ''}`);
  if (expect.join('\n') !== got.join('\n') || entry.currency !== rec.currency) {
    throw new ShulianError('STATE_INVALID', `journal entry ${entry.n} does not match instruction ${rec.id}`);
  }
  const issueDate = new Date(rec.settled.time).toISOString().slice(0, 10);
  return rec.lines.map((l, i): InvoiceJson => {
    const inv: InvoiceJson = {
      id: `${o.chain}-${rec.n}-${i + 1}`,
      chain: o.chain,
      instruction: rec.id,
      idempotencyKey: rec.idempotencyKey,
      issueDate,
      typeCode: '380',
      currency: rec.currency,
      supplier: party(l.to, o),
      customer: party(rec.payer, o),
      line: {
        id: '1', description: rec.service!.description, quantity: rec.service!.quantity ?? 1, unit: rec.service!.unit ?? 'C62',
        net: l.net, tax: l.tax, gross: l.gross, taxCategory: (l.rateBp ?? 0) > 0 ? 'S' : 'Z', rateBp: l.rateBp ?? 0,
        ...(l.category ? { category: l.category } : {}),
      },
      totals: { lineExtension: l.net, taxExclusive: l.net, tax: l.tax, taxInclusive: l.gross, payable: l.gross },
      journal: { entry: entry.n, height: rec.settled!.height, tx: rec.settled!.tx, time: rec.settled!.time, ...(l.tax !== '0' ? { taxAuthority: rec.taxAuthority! } : {}) },
    };
    if (rec.memo) inv.note = rec.memo;
    return inv;
  });
}

/** Text and attribute values escaped for XML. */
export const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const esc = xmlEscape;

/** The opening lines of a UBL 2.1 Invoice for Peppol BIS Billing 3.0, up to its IssueDate (schema order). */
export function ublInvoiceHead(id: string, issueDate: string): string[] {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
    `<cbc:CustomizationID>${PEPPOL_CUSTOMIZATION_ID}</cbc:CustomizationID>`,
    `<cbc:ProfileID>${PEPPOL_PROFILE_ID}</cbc:ProfileID>`,
    `<cbc:ID>${esc(id)}</cbc:ID>`,
    `<cbc:IssueDate>${esc(issueDate)}</cbc:IssueDate>`,
  ];
}

/** Percent with up to two decimals from basis points: 600 → "6", 650 → "6.5", 1 → "0.01". */
export function percentOf(bp: number): string {
  const s = (bp / 100).toFixed(2);
  return s.replace(/\.?0+$/, '') || '0';
}

/** UBL 2.1 Invoice XML (Peppol BIS Billing 3.0 required elements) of an invoice. */
export function invoiceXml(inv: InvoiceJson): string {
  const c = inv.currency;
  const amt = (minor: string): string => `currencyID="${esc(c)}">${formatMinor(minor, c)}`;
  const pct = percentOf(inv.line.rateBp);
  const taxCategory = (tag: 'TaxCategory' | 'ClassifiedTaxCategory'): string[] => [
    `<cac:${tag}>`,
    `<cbc:ID>${inv.line.taxCategory}</cbc:ID>`,
    `<cbc:Percent>${pct}</cbc:Percent>`,
    '<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>',
    `</cac:${tag}>`,
  ];
  const partyXml = (tag: 'AccountingSupplierParty' | 'AccountingCustomerParty', p: InvoiceParty): string[] => [
    `<cac:${tag}>`,
    '<cac:Party>',
    `<cbc:EndpointID schemeID="DID">${esc(p.did)}</cbc:EndpointID>`,
    `<cac:PartyName><cbc:Name>${esc(p.name)}</cbc:Name></cac:PartyName>`,
    `<cac:PostalAddress><cac:Country><cbc:IdentificationCode>${esc(p.country)}</cbc:IdentificationCode></cac:Country></cac:PostalAddress>`,
    ...(tag === 'AccountingSupplierParty' ? [`<cac:PartyTaxScheme><cbc:CompanyID>${esc(p.did)}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>`] : []),
    `<cac:PartyLegalEntity><cbc:RegistrationName>${esc(p.name)}</cbc:RegistrationName></cac:PartyLegalEntity>`,
    '</cac:Party>',
    `</cac:${tag}>`,
  ];
  const lines = [
    ...ublInvoiceHead(inv.id, inv.issueDate),
    `<cbc:InvoiceTypeCode>${inv.typeCode}</cbc:InvoiceTypeCode>`,
    ...(inv.note ? [`<cbc:Note>${esc(inv.note)}</cbc:Note>`] : []),
    `<cbc:DocumentCurrencyCode>${esc(c)}</cbc:DocumentCurrencyCode>`,
    `<cbc:BuyerReference>${esc(inv.idempotencyKey)}</cbc:BuyerReference>`,
    ...partyXml('AccountingSupplierParty', inv.supplier),
    ...partyXml('AccountingCustomerParty', inv.customer),
    '<cac:PaymentMeans>',
    '<cbc:PaymentMeansCode name="Shulian settlement chain">ZZZ</cbc:PaymentMeansCode>',
    `<cbc:PaymentID>${esc(`${inv.chain}/entry/${inv.journal.entry}`)}</cbc:PaymentID>`,
    '</cac:PaymentMeans>',
    '<cac:TaxTotal>',
    `<cbc:TaxAmount ${amt(inv.totals.tax)}</cbc:TaxAmount>`,
    '<cac:TaxSubtotal>',
    `<cbc:TaxableAmount ${amt(inv.totals.taxExclusive)}</cbc:TaxableAmount>`,
    `<cbc:TaxAmount ${amt(inv.totals.tax)}</cbc:TaxAmount>`,
    ...taxCategory('TaxCategory'),
    '</cac:TaxSubtotal>',
    '</cac:TaxTotal>',
    '<cac:LegalMonetaryTotal>',
    `<cbc:LineExtensionAmount ${amt(inv.totals.lineExtension)}</cbc:LineExtensionAmount>`,
    `<cbc:TaxExclusiveAmount ${amt(inv.totals.taxExclusive)}</cbc:TaxExclusiveAmount>`,
    `<cbc:TaxInclusiveAmount ${amt(inv.totals.taxInclusive)}</cbc:TaxInclusiveAmount>`,
    `<cbc:PayableAmount ${amt(inv.totals.payable)}</cbc:PayableAmount>`,
    '</cac:LegalMonetaryTotal>',
    '<cac:InvoiceLine>',
    `<cbc:ID>${inv.line.id}</cbc:ID>`,
    `<cbc:InvoicedQuantity unitCode="${esc(inv.line.unit)}">${inv.line.quantity}</cbc:InvoicedQuantity>`,
    `<cbc:LineExtensionAmount ${amt(inv.line.net)}</cbc:LineExtensionAmount>`,
    `<cac:Item><cbc:Name>${esc(inv.line.description)}</cbc:Name>`,
    ...taxCategory('ClassifiedTaxCategory'),
    '</cac:Item>',
    // Price of the whole quantity (BaseQuantity) so quantity × price is exact in minor units.
    `<cac:Price><cbc:PriceAmount ${amt(inv.line.net)}</cbc:PriceAmount><cbc:BaseQuantity unitCode="${esc(inv.line.unit)}">${inv.line.quantity}</cbc:BaseQuantity></cac:Price>`,
    '</cac:InvoiceLine>',
    '</Invoice>',
  ];
  return lines.join('\n') + '\n';
}
