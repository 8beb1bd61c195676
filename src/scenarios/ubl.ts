/**
 * A cross-border commercial invoice as UBL 2.1 XML with the elements Peppol BIS Billing 3.0
 * requires, for the trade scenario (scenarios/trade/README.md): several lines, VAT categories per
 * line, the bill of lading referenced, parties with endpoint ids. Amounts are integer minor units,
 * rendered as decimals of the currency; totals follow EN 16931's business rules (BR-CO-10 line
 * sum, BR-CO-13 tax exclusive, BR-CO-14/17 tax per category rounded half up, BR-CO-15 tax
 * inclusive, BR-CO-16 payable). `checkUblInvoice` reads the XML back and checks those rules and the
 * mandatory elements, so a total altered after rendering is caught. (The settlement chain's
 * one-line service invoices are src/settlement/invoice.ts; this one is a goods invoice.)
 */
import { ShulianError } from '../codec/index.ts';
import { formatMinor, parseDecimal, percentOf, PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID, ublInvoiceHead, xmlEscape as esc } from '../settlement/index.ts';

export interface UblParty {
  /** Peppol endpoint: an EAS scheme code (e.g. 0088 GLN, 0195 Singapore UEN) and the id. */
  endpoint: { scheme: string; id: string };
  name: string;
  street: string;
  city: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** Legal registration id (e.g. the unified social credit code). */
  legalId: string;
  /** VAT / GST number, if registered. */
  vatId?: string;
}

/** VAT categories of EN 16931 (UNCL5305) this renderer supports. */
export type TaxCategory = 'S' | 'Z' | 'G' | 'E';
export interface UblLine {
  name: string;
  /** Integer quantity in `unit` (UN/ECE rec 20, e.g. C62 one, CTM carat). */
  quantity: number;
  unit: string;
  /** Net price of one unit, minor units. */
  unitPriceMinor: bigint;
  category: TaxCategory;
  /** Basis points (600 = 6 %); 0 for Z, G, E. */
  rateBp: number;
  /** HS code of the goods (commodity classification, listID HS). */
  hs?: string;
}

export interface UblInvoiceInput {
  id: string;
  /** YYYY-MM-DD. */
  issueDate: string;
  dueDate?: string;
  currency: string;
  buyerReference: string;
  /** The bill of lading this invoice is for (AdditionalDocumentReference). */
  billOfLading?: string;
  note?: string;
  seller: UblParty;
  buyer: UblParty;
  lines: UblLine[];
  /** Exemption reason for lines of category G / E (BR-G-10, BR-E-10). */
  exemption?: { code: string; reason: string };
}

export interface UblTotals {
  lines: bigint[];
  lineExtension: bigint;
  taxExclusive: bigint;
  /** Per category and rate, in first-seen order. */
  subtotals: Array<{ category: TaxCategory; rateBp: number; taxable: bigint; tax: bigint }>;
  tax: bigint;
  taxInclusive: bigint;
  payable: bigint;
}

export const UBL_LIMITS = { lines: 100, text: 200 } as const;

const bad = (what: string): ShulianError => new ShulianError('SCENARIO_FAILED', `the invoice is not valid: ${what}`);

/** Tax of a category: taxable × rate, rounded half up to the currency's minor unit (BR-CO-17). */
export function taxOf(taxable: bigint, rateBp: number): bigint {
  return (taxable * BigInt(rateBp) + 5_000n) / 10_000n;
}

/** The invoice's totals, in minor units, from its lines (no allowances, charges or prepayment). */
export function ublTotals(inv: Pick<UblInvoiceInput, 'lines'>): UblTotals {
  const lines = inv.lines.map((l) => BigInt(l.quantity) * l.unitPriceMinor);
  const lineExtension = lines.reduce((a, b) => a + b, 0n);
  const subtotals: UblTotals['subtotals'] = [];
  inv.lines.forEach((l, i) => {
    const s = subtotals.find((x) => x.category === l.category && x.rateBp === l.rateBp);
    if (s) s.taxable += lines[i]!;
    else subtotals.push({ category: l.category, rateBp: l.rateBp, taxable: lines[i]!, tax: 0n });
  });
  for (const s of subtotals) s.tax = taxOf(s.taxable, s.rateBp);
  const tax = subtotals.reduce((a, s) => a + s.tax, 0n);
  return { lines, lineExtension, taxExclusive: lineExtension, subtotals, tax, taxInclusive: lineExtension + tax, payable: lineExtension + tax };
}

function checkInput(inv: UblInvoiceInput): void {
  if (inv.lines.length === 0 || inv.lines.length > UBL_LIMITS.lines) throw bad(`it needs 1 to ${UBL_LIMITS.lines} lines, not ${inv.lines.length}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(inv.issueDate)) throw bad(`issue date ${inv.issueDate} is not YYYY-MM-DD`);
  if (!/^[A-Z]{3}$/.test(inv.currency)) throw bad(`currency ${inv.currency} is not an ISO 4217 code`);
  for (const p of [inv.seller, inv.buyer]) {
    if (!/^[A-Z]{2}$/.test(p.country)) throw bad(`${p.name}: country ${p.country} is not ISO 3166-1 alpha-2`);
    if (!/^\d{4}$/.test(p.endpoint.scheme)) throw bad(`${p.name}: endpoint scheme ${p.endpoint.scheme} is not a 4-digit EAS code`);
  }
  for (const [i, l] of inv.lines.entries()) {
    if (!Number.isSafeInteger(l.quantity) || l.quantity <= 0) throw bad(`line ${i + 1}: quantity ${l.quantity} is not a positive integer`);
    if (l.unitPriceMinor < 0n) throw bad(`line ${i + 1}: negative price`);
    if (!Number.isInteger(l.rateBp) || l.rateBp < 0 || l.rateBp > 10_000) throw bad(`line ${i + 1}: rate ${l.rateBp} bp`);
    if (l.category === 'S' ? l.rateBp === 0 : l.rateBp !== 0) throw bad(`line ${i + 1}: category ${l.category} with ${percentOf(l.rateBp)} % (S needs a rate above 0, Z/G/E a rate of 0)`);
    if ((l.category === 'G' || l.category === 'E') && !inv.exemption) throw bad(`line ${i + 1}: category ${l.category} needs an exemption reason`);
  }
  for (const s of [inv.id, inv.buyerReference, inv.note ?? '', ...inv.lines.map((l) => l.name)]) if (s.length > UBL_LIMITS.text) throw bad(`a text longer than ${UBL_LIMITS.text} characters`);
}

/** UBL 2.1 Invoice XML (Peppol BIS Billing 3.0) of a goods invoice; refuses an invalid input. */
export function renderUblInvoice(inv: UblInvoiceInput): string {
  checkInput(inv);
  const t = ublTotals(inv);
  const c = inv.currency;
  const amt = (tag: string, minor: bigint): string => `<cbc:${tag} currencyID="${esc(c)}">${formatMinor(minor, c)}</cbc:${tag}>`;
  const category = (tag: 'TaxCategory' | 'ClassifiedTaxCategory', cat: TaxCategory, rateBp: number): string[] => [
    `<cac:${tag}>`, `<cbc:ID>${cat}</cbc:ID>`, `<cbc:Percent>${percentOf(rateBp)}</cbc:Percent>`,
    ...(tag === 'TaxCategory' && (cat === 'G' || cat === 'E') && inv.exemption
      ? [`<cbc:TaxExemptionReasonCode>${esc(inv.exemption.code)}</cbc:TaxExemptionReasonCode>`, `<cbc:TaxExemptionReason>${esc(inv.exemption.reason)}</cbc:TaxExemptionReason>`] : []),
    '<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>', `</cac:${tag}>`,
  ];
  const party = (tag: 'AccountingSupplierParty' | 'AccountingCustomerParty', p: UblParty): string[] => [
    `<cac:${tag}>`, '<cac:Party>',
    `<cbc:EndpointID schemeID="${esc(p.endpoint.scheme)}">${esc(p.endpoint.id)}</cbc:EndpointID>`,
    `<cac:PartyName><cbc:Name>${esc(p.name)}</cbc:Name></cac:PartyName>`,
    '<cac:PostalAddress>', `<cbc:StreetName>${esc(p.street)}</cbc:StreetName>`, `<cbc:CityName>${esc(p.city)}</cbc:CityName>`,
    `<cac:Country><cbc:IdentificationCode>${esc(p.country)}</cbc:IdentificationCode></cac:Country>`, '</cac:PostalAddress>',
    ...(p.vatId ? [`<cac:PartyTaxScheme><cbc:CompanyID>${esc(p.vatId)}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>`] : []),
    `<cac:PartyLegalEntity><cbc:RegistrationName>${esc(p.name)}</cbc:RegistrationName><cbc:CompanyID>${esc(p.legalId)}</cbc:CompanyID></cac:PartyLegalEntity>`,
    '</cac:Party>', `</cac:${tag}>`,
  ];
  // Element order follows the UBL 2.1 Invoice schema.
  const xml = [
    ...ublInvoiceHead(inv.id, inv.issueDate),
    ...(inv.dueDate ? [`<cbc:DueDate>${inv.dueDate}</cbc:DueDate>`] : []),
    '<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>',
    ...(inv.note ? [`<cbc:Note>${esc(inv.note)}</cbc:Note>`] : []),
    `<cbc:DocumentCurrencyCode>${esc(c)}</cbc:DocumentCurrencyCode>`,
    `<cbc:BuyerReference>${esc(inv.buyerReference)}</cbc:BuyerReference>`,
    ...(inv.billOfLading ? ['<cac:AdditionalDocumentReference>', `<cbc:ID>${esc(inv.billOfLading)}</cbc:ID>`, '<cbc:DocumentDescription>Electronic bill of lading</cbc:DocumentDescription>', '</cac:AdditionalDocumentReference>'] : []),
    ...party('AccountingSupplierParty', inv.seller),
    ...party('AccountingCustomerParty', inv.buyer),
    '<cac:TaxTotal>', amt('TaxAmount', t.tax),
    ...t.subtotals.flatMap((s) => ['<cac:TaxSubtotal>', amt('TaxableAmount', s.taxable), amt('TaxAmount', s.tax), ...category('TaxCategory', s.category, s.rateBp), '</cac:TaxSubtotal>']),
    '</cac:TaxTotal>',
    '<cac:LegalMonetaryTotal>', amt('LineExtensionAmount', t.lineExtension), amt('TaxExclusiveAmount', t.taxExclusive), amt('TaxInclusiveAmount', t.taxInclusive), amt('PayableAmount', t.payable), '</cac:LegalMonetaryTotal>',
    ...inv.lines.flatMap((l, i) => [
      '<cac:InvoiceLine>', `<cbc:ID>${i + 1}</cbc:ID>`, `<cbc:InvoicedQuantity unitCode="${esc(l.unit)}">${l.quantity}</cbc:InvoicedQuantity>`, amt('LineExtensionAmount', t.lines[i]!),
      '<cac:Item>', `<cbc:Name>${esc(l.name)}</cbc:Name>`,
      ...(l.hs ? [`<cac:CommodityClassification><cbc:ItemClassificationCode listID="HS">${esc(l.hs)}</cbc:ItemClassificationCode></cac:CommodityClassification>`] : []),
      ...category('ClassifiedTaxCategory', l.category, l.rateBp), '</cac:Item>',
      `<cac:Price>${amt('PriceAmount', l.unitPriceMinor)}</cac:Price>`, '</cac:InvoiceLine>',
    ]),
    '</Invoice>',
  ];
  return xml.join('\n') + '\n';
}

/** What `checkUblInvoice` read back from an invoice's XML. */
export interface UblChecked {
  id: string;
  currency: string;
  seller: string;
  buyer: string;
  billOfLading?: string;
  lineExtension: bigint;
  tax: bigint;
  payable: bigint;
}

const REQUIRED = ['cbc:CustomizationID', 'cbc:ProfileID', 'cbc:ID', 'cbc:IssueDate', 'cbc:InvoiceTypeCode', 'cbc:DocumentCurrencyCode', 'cbc:BuyerReference', 'cac:AccountingSupplierParty', 'cac:AccountingCustomerParty', 'cac:TaxTotal', 'cac:LegalMonetaryTotal', 'cac:InvoiceLine'];

const unesc = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, '\'').replace(/&amp;/g, '&');
function one(xml: string, tag: string, what = tag): string {
  const m = new RegExp(`<${tag}(?: [^>]*)?>([^<]*)</${tag}>`).exec(xml);
  if (!m) throw bad(`no ${what}`);
  return unesc(m[1]!);
}
const blocks = (xml: string, tag: string): string[] => xml.split(`<${tag}>`).slice(1).map((b) => b.split(`</${tag}>`)[0]!);

/**
 * Reads an invoice's XML back and checks it: the BIS 3.0 mandatory elements and identifiers, every
 * amount in the document currency with the currency's decimals, and the totals (BR-CO-10, -13,
 * -14, -15, -16, -17). Throws SCENARIO_FAILED naming the first rule broken.
 */
export function checkUblInvoice(xml: string): UblChecked {
  for (const tag of REQUIRED) if (!xml.includes(`<${tag}`)) throw bad(`the mandatory element ${tag} is missing`);
  if (one(xml, 'cbc:CustomizationID') !== PEPPOL_CUSTOMIZATION_ID) throw bad('CustomizationID is not Peppol BIS Billing 3.0');
  if (one(xml, 'cbc:ProfileID') !== PEPPOL_PROFILE_ID) throw bad('ProfileID is not the Peppol billing profile');
  const currency = one(xml, 'cbc:DocumentCurrencyCode');
  for (const m of xml.matchAll(/currencyID="([^"]*)">([^<]*)</g)) {
    if (m[1] !== currency) throw bad(`an amount in ${m[1]}, not the document currency ${currency}`);
    try {
      parseDecimal(m[2]!, currency);
    } catch {
      throw bad(`amount "${m[2]}" is not a ${currency} amount`);
    }
  }
  const amount = (block: string, tag: string): bigint => parseDecimal(one(block, `cbc:${tag}`), currency);
  const party = (tag: string): string => {
    const b = blocks(xml, `cac:${tag}`)[0]!;
    if (!/<cbc:EndpointID schemeID="\d{4}">[^<]+</.test(b)) throw bad(`${tag} has no EndpointID with an EAS scheme`);
    one(b, 'cbc:IdentificationCode', `${tag} country`);
    return one(b, 'cbc:RegistrationName', `${tag} legal name`);
  };
  const seller = party('AccountingSupplierParty');
  const buyer = party('AccountingCustomerParty');
  const lines = blocks(xml, 'cac:InvoiceLine');
  const lineSum = lines.reduce((a, l) => {
    const net = amount(l, 'LineExtensionAmount');
    const qty = BigInt(one(l, 'cbc:InvoicedQuantity'));
    if (qty * amount(l, 'PriceAmount') !== net) throw bad(`line ${one(l, 'cbc:ID')}: quantity × price ≠ its LineExtensionAmount`);
    return a + net;
  }, 0n);
  const total = blocks(xml, 'cac:LegalMonetaryTotal')[0]!;
  const [lineExtension, taxExclusive, taxInclusive, payable] = ['LineExtensionAmount', 'TaxExclusiveAmount', 'TaxInclusiveAmount', 'PayableAmount'].map((x) => amount(total, x)) as [bigint, bigint, bigint, bigint];
  if (lineExtension !== lineSum) throw bad('BR-CO-10: LineExtensionAmount is not the sum of the lines');
  if (taxExclusive !== lineExtension) throw bad('BR-CO-13: TaxExclusiveAmount is not LineExtensionAmount (no allowances or charges)');
  const taxTotal = blocks(xml, 'cac:TaxTotal')[0]!;
  const tax = parseDecimal(one(taxTotal.split('<cac:TaxSubtotal>')[0]!, 'cbc:TaxAmount', 'TaxTotal TaxAmount'), currency);
  let subTax = 0n;
  let subTaxable = 0n;
  for (const s of blocks(taxTotal, 'cac:TaxSubtotal')) {
    const taxable = amount(s, 'TaxableAmount');
    const t = amount(s, 'TaxAmount');
    const pct = one(s, 'cbc:Percent');
    const bp = Math.round(Number(pct) * 100);
    if (taxOf(taxable, bp) !== t) throw bad(`BR-CO-17: tax of category ${one(s, 'cbc:ID')} at ${pct} % is not ${formatMinor(taxOf(taxable, bp), currency)}`);
    subTax += t;
    subTaxable += taxable;
  }
  if (subTaxable !== taxExclusive) throw bad('the tax subtotals\' taxable amounts do not add up to TaxExclusiveAmount');
  if (tax !== subTax) throw bad('BR-CO-14: TaxAmount is not the sum of the subtotals');
  if (taxInclusive !== taxExclusive + tax) throw bad('BR-CO-15: TaxInclusiveAmount ≠ TaxExclusiveAmount + TaxAmount');
  if (payable !== taxInclusive) throw bad('BR-CO-16: PayableAmount ≠ TaxInclusiveAmount (nothing prepaid)');
  const ref = blocks(xml, 'cac:AdditionalDocumentReference')[0];
  return { id: one(xml, 'cbc:ID'), currency, seller, buyer, ...(ref ? { billOfLading: one(ref, 'cbc:ID') } : {}), lineExtension, tax, payable };
}
