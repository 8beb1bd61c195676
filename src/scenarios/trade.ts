/**
 * Scenario 航贸数链 TradeChain (white paper §4.4; scenarios/trade/README.md), over the SDK only.
 * Three business chains made by governance: the trade platform chain (航贸数链), where gemstones
 * are traced as collectibles that move only by their holder's signature, with inspection
 * credentials (VCs) checked, where the UBL / Peppol BIS 3.0 invoice's digest is anchored and where
 * release against payment is coordinated (2PC); the carrier's chain (船公司提单链), where the
 * electronic bill of lading (eBL, an xdoc document of title) is issued and follows the shipment's
 * logistics events; the bank's chain (银行贸易金融链), where the eBL is presented and examined and
 * the buyer's money is held. Customs and the foreign-exchange regulator watch through supervision
 * rules (提单+监管, 离岸贸易 three-flow match); a partner EVM network, reached through attested
 * gateways, funds the buyer (when the runner is given one).
 */
import { canonicalBytes, ShulianError, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../crypto/index.ts';
import { issueCredential, keyPairSigner, shulianKeyResolver, verifyCredential, type VerifiableCredential } from '../did/index.ts';
import { collectibleStateKey } from '../modules/collectible/keys.ts';
import { recordStateKey } from '../modules/notary/keys.ts';
import { txDigest, type XtxBody, type XtxParticipant } from '../modules/xtx/types.ts';
import {
  ConsoleClient, createCollectibleClass, giftCollectible, mintCollectible, notaryPut, readToken, sendToken, sm3Hex, supPublishCall,
  TRADE_CHAINS, type AlertSummary, type ShulianClient, type TokenSendOptions,
} from '../sdk/index.ts';
import { decide, ensureBusinessChain, until } from './chain.ts';
import { ensureEvmRoute, type PartnerEvm } from './partner.ts';
import { tradeRules } from './trade-rules.ts';
import type { ScenarioOptions } from './lowcarbon.ts';
import { Reporter, type ScenarioReport } from './report.ts';
import { checkUblInvoice, renderUblInvoice, ublTotals, type UblInvoiceInput } from './ubl.ts';

export { TRADE_CHAINS };
export { tradeRules } from './trade-rules.ts';
export type { PartnerEvm } from './partner.ts';

export type TradeOptions = ScenarioOptions & { partner?: PartnerEvm };

/** The deal (money in US cents): two gem lots zero-rated for export, the inspection service at 6 % VAT. */
export const TRADE_TERMS = {
  currency: 'USD',
  /** The payment token on the bank chain when no partner network pays: issued by the bank, `USD-<run tag>`. */
  localDenomPrefix: 'USD-',
  gems: [
    { key: 'sapphire', name: 'Blue sapphire, Ratnapura, 3.02 ct, unheated', species: 'Corundum (sapphire)', carat: '3.02', priceMinor: 1_850_000n, hs: '710391' },
    { key: 'ruby', name: 'Ruby, Mogok, 2.15 ct, unheated', species: 'Corundum (ruby)', carat: '2.15', priceMinor: 980_000n, hs: '710391' },
  ],
  inspectionFeeMinor: 30_000n,
  inspectionRateBp: 600,
  logistics: ['gate-in Colombo', 'loaded on MV Pujiang Star', 'departed Colombo', 'arrived Singapore', 'discharged Singapore'],
} as const;

const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
const digestOf = (doc: unknown) => sm3Hex(canonicalBytes(doc as JsonValue));
const utf8 = (s: string) => new TextEncoder().encode(s);

export async function runTrade(c: ShulianClient, operator: KeyPair, o: TradeOptions): Promise<ScenarioReport> {
  const r = new Reporter(o.api, o.onStep);
  const { trade, carrier, bank } = TRADE_CHAINS;
  const tag = o.tag ?? Date.now().toString(36);
  const at = (chain: string): TokenSendOptions => ({ chain, timeoutMs: 60_000 });
  const suite = operator.suite;
  const names = {
    inspector: 'gem inspection agency 珠宝玉石检测中心', mine: 'Ratnapura mine 斯里兰卡矿主', cutter: 'Bangkok cutter 曼谷切磨商',
    seller: 'Shanghai gem trader (offshore reseller) 上海宝石贸易公司', buyer: 'Singapore jeweller 新加坡珠宝商', dealer: 'another dealer 其他经销商',
    carrier: 'shipping line 船公司', bankDesk: 'trade-finance bank 银行贸易金融部', shell: 'an unrelated offshore company 无关离岸公司', regulator: 'customs & foreign-exchange supervision 海关·外汇监管',
  } as const;
  type Who = keyof typeof names;
  const keys = Object.fromEntries(Object.keys(names).map((n) => [n, generateKeyPair(suite)])) as Record<Who, KeyPair>;
  const k = (n: Who) => keys[n];
  r.step({ title: 'participants', detail: (Object.keys(names) as Who[]).map((n) => `${names[n]}: ${did(k(n))}`).join('; ') });

  await ensureBusinessChain(c, operator, { chain: trade, name: 'TradeChain platform', nameZh: '航贸数链', modules: ['notary', 'collectible', 'xchain', 'xtx', 'xlock'], crossChain: true }, r);
  await ensureBusinessChain(c, operator, { chain: carrier, name: 'Carrier eBL chain', nameZh: '船公司提单链', modules: ['notary', 'xchain', 'xdoc', 'xtx', 'xlock'], crossChain: true }, r);
  await ensureBusinessChain(c, operator, { chain: bank, name: 'Bank trade-finance chain', nameZh: '银行贸易金融链', modules: ['notary', 'xchain', 'xdoc', 'xtransfer', 'xtx', 'xlock'], crossChain: true }, r);

  // Supervision: a regulator of the three chains, registered by governance, and its two rules.
  const reg = await decide(c, operator, { kind: 'register-regulator', title: `Register ${names.regulator}`, regulator: { did: did(k('regulator')), name: 'Customs & FX trade supervision', nameZh: '海关·外汇贸易监管', chains: [trade, carrier, bank] } } as never);
  r.step({ title: 'governance registers the customs & foreign-exchange regulator for the three trade chains', chain: 'gov', tx: reg.tx, height: reg.height, detail: `register-regulator proposal #${reg.id} approved; scope ${trade}, ${carrier}, ${bank}`, state: `governance/regulator/${did(k('regulator'))}` });
  const rules = tradeRules(tag);
  for (const rule of [rules.eblMove, rules.offshore]) {
    const p = await sendToken<JsonValue>(c, k('regulator'), 'supervision', 'publish', supPublishCall(rule).args as object, at('gov'));
    r.step({ title: `the regulator publishes rule ${rule.id}: ${rule.titleZh}`, chain: 'gov', tx: p.tx.hash, height: p.tx.height, detail: `${rule.kind} rule, severity ${rule.severity}, on ${rule.scope.chains.join(', ')}: ${rule.title}`, state: `supervision/rule/${rule.id}/v/1` });
  }

  // The partner EVM network: registered once as an attested engine whose one gateway is the operator.
  const partner = o.partner;
  if (partner) await ensureEvmRoute(c, operator, partner, r);
  const relay = o.relay ? await o.relay([trade, carrier, bank]) : undefined;
  let evmGateway: { stop(): Promise<void> } | undefined;
  try {
    if (partner) evmGateway = await partner.startGateway([bank]);
    return await story();
  } finally {
    await evmGateway?.stop();
    await relay?.stop();
  }

  async function story(): Promise<ScenarioReport> {
    const refusalCodes: string[] = [];
    const refused = async (title: string, chain: string, code: string, call: () => Promise<unknown>) => {
      const s = await r.refusal(title, chain, code, call);
      refusalCodes.push(code);
      return s;
    };

    // 1. Gemstones: inspection credentials, then a collectible per stone that moves only by its holder's signature.
    const resolver = shulianKeyResolver({ fragments: ['multikey'] });
    const gemClass = `gem-${tag}`;
    const cls = await createCollectibleClass(c, k('mine'), { id: gemClass, name: 'Gemstones of lot RP-2026 (cross-border traceability)', supply: 100, metadata: digestOf({ lot: `RP-2026-${tag}`, mine: 'Ratnapura' }), rules: { transferable: true, holdDays: 0, cooldownDays: 0 } }, at(trade));
    r.step({ title: `the mine creates the gemstone class ${gemClass}`, chain: trade, tx: cls.tx.hash, height: cls.tx.height, detail: 'one token per stone; a token moves only when its holder signs the handover (collectible.gift); never sold on chain', state: collectibleStateKey.class(gemClass) });
    const stones: Array<{ key: string; serial: number; vc: VerifiableCredential; name: string }> = [];
    for (const g of TRADE_TERMS.gems) {
      const vc = await issueCredential({
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
        type: ['VerifiableCredential', 'GemInspectionCredential'], issuer: did(k('inspector')), validFrom: '2026-03-01T00:00:00Z',
        credentialSubject: { id: did(k('mine')), stone: g.name, species: g.species, carat: g.carat, treatment: 'none detected', origin: 'Sri Lanka', report: `NGTC-${tag}-${g.key}` },
      }, keyPairSigner(k('inspector'), { fragment: 'multikey' }));
      const v = await verifyCredential(vc, { resolver });
      if (!v.verified || v.issuer !== did(k('inspector'))) throw new ShulianError('SCENARIO_FAILED', `the inspection credential of the ${g.key} does not verify as the agency's: ${v.errors.map((e) => e.message).join('; ')}`);
      const m = await mintCollectible(c, k('mine'), gemClass, did(k('mine')), at(trade));
      const rec = await notaryPut(c, k('inspector'), { hash: digestOf(vc), name: `inspection ${g.key} ${gemClass}#${m.result.serial}` }, at(trade));
      stones.push({ key: g.key, serial: m.result.serial, vc, name: g.name });
      r.step({ title: `${g.name}: inspected and minted as ${gemClass}#${m.result.serial}`, chain: trade, tx: m.tx.hash, height: m.tx.height, detail: `the agency's GemInspectionCredential verifies (${v.checks.join(', ')}); its SM3 ${digestOf(vc)} is recorded on ${trade} at height ${rec.height}`, state: collectibleStateKey.token(gemClass, m.result.serial), links: [r.txLink(rec.hash), r.stateLink(trade, recordStateKey(digestOf(vc)))] });
    }
    const first = stones[0]!;
    const altered = { ...first.vc, credentialSubject: { ...(first.vc.credentialSubject as Record<string, JsonValue>), carat: '4.02' } };
    const av = await verifyCredential(altered, { resolver });
    if (av.verified) throw new ShulianError('SCENARIO_FAILED', 'an inspection credential altered after signing verified');
    r.step({ title: 'an inspection credential altered after signing is refused', refused: av.errors.map((e) => e.code).join(', '), detail: `carat 3.02 → 4.02: ${av.errors.map((e) => e.message).join('; ')}` });
    const handover = async (from: Who, to: Who, where: string) => {
      for (const s of stones) {
        const g = await giftCollectible(c, k(from), gemClass, s.serial, did(k(to)), at(trade));
        const doc = { kind: 'gem-handover', token: `${gemClass}#${s.serial}`, from: did(k(from)), to: did(k(to)), where, inspection: digestOf(s.vc) };
        const n = await notaryPut(c, k(from), { hash: digestOf(doc), name: `handover ${gemClass}#${s.serial} ${where}` }, at(trade));
        r.step({ title: `${names[from]} hands ${gemClass}#${s.serial} to ${names[to]} (${where})`, chain: trade, tx: g.tx.hash, height: g.tx.height, detail: `signed by the holder; handover record at height ${n.height}`, state: collectibleStateKey.token(gemClass, s.serial), links: [r.txLink(n.hash)] });
      }
    };
    await handover('mine', 'cutter', 'Ratnapura → Bangkok, for cutting');
    await handover('cutter', 'seller', 'Bangkok → Shanghai trader, sold in bond');
    await refused('the cutter, no longer the holder, tries to hand the sapphire to another dealer', trade, 'COLLECTIBLE_NOT_OWNER', () => giftCollectible(c, k('cutter'), gemClass, first.serial, did(k('dealer')), at(trade)));
    const goods = stones.map((s) => `${gemClass}#${s.serial}`).join(',');

    // 2. The electronic bill of lading on the carrier's chain, following the logistics events (提单+物流).
    const blLocal = `BL-${tag}`;
    const blId = `${carrier}:${blLocal}`;
    const bl = { kind: 'bill-of-lading', number: blLocal, shipper: did(k('seller')), consignee: 'to order', notify: did(k('buyer')), vessel: 'MV Pujiang Star', from: 'LKCMB', to: 'SGSIN', goods, carrier: did(k('carrier')) };
    const issued = await sendToken<{ id: string }>(c, k('carrier'), 'xdoc', 'issue', { id: blLocal, kind: 'bill-of-lading', hash: digestOf(bl), holder: did(k('seller')) }, at(carrier));
    r.step({ title: `the carrier issues eBL ${blId} to the shipper (the Shanghai trader)`, chain: carrier, tx: issued.tx.hash, height: issued.tx.height, detail: `${bl.vessel} ${bl.from} → ${bl.to}, to order, goods ${goods}; SM3 ${digestOf(bl)}`, state: `xdoc/doc/${blId}` });
    let prev = digestOf(bl);
    const events: string[] = [];
    const logistics = async (event: string) => {
      const doc = { kind: 'logistics-event', bl: blId, event, prev, by: did(k('carrier')) };
      const n = await notaryPut(c, k('carrier'), { hash: digestOf(doc), name: `${blId} ${event}` }, at(carrier));
      prev = digestOf(doc);
      events.push(event);
      r.step({ title: `logistics: ${event} (eBL ${blLocal})`, chain: carrier, tx: n.hash, height: n.height, detail: `the event names the eBL and the previous event (SM3 chain ${prev.slice(0, 16)}…)`, state: recordStateKey(prev) });
    };
    for (const e of TRADE_TERMS.logistics.slice(0, 3)) await logistics(e);

    // 3. The invoice: UBL 2.1 / Peppol BIS Billing 3.0, checked and anchored.
    const invoice: UblInvoiceInput = {
      id: `INV-${tag}`, issueDate: '2026-03-10', dueDate: '2026-04-09', currency: TRADE_TERMS.currency, buyerReference: `PO-${tag}`, billOfLading: blId,
      note: 'Offshore resale (离岸转手买卖): goods shipped Colombo → Singapore, not through China',
      seller: { endpoint: { scheme: '0230', id: `SH${tag}` }, name: 'Shanghai Pujiang Gem Trading Co., Ltd.', street: '88 Century Avenue', city: 'Shanghai', country: 'CN', legalId: '91310115MA1K4XXXXX', vatId: 'CN91310115MA1K4XXXXX' },
      buyer: { endpoint: { scheme: '0195', id: `SGUEN${tag}` }, name: 'Lion City Jewellers Pte. Ltd.', street: '2 Orchard Turn', city: 'Singapore', country: 'SG', legalId: '201912345K' },
      lines: [
        ...TRADE_TERMS.gems.map((g) => ({ name: g.name, quantity: 1, unit: 'C62', unitPriceMinor: g.priceMinor, category: 'Z' as const, rateBp: 0, hs: g.hs })),
        { name: 'Inspection and certification service', quantity: 1, unit: 'C62', unitPriceMinor: TRADE_TERMS.inspectionFeeMinor, category: 'S' as const, rateBp: TRADE_TERMS.inspectionRateBp },
      ],
    };
    const xml = renderUblInvoice(invoice);
    const checked = checkUblInvoice(xml);
    const totals = ublTotals(invoice);
    if (checked.payable !== totals.payable) throw new ShulianError('SCENARIO_FAILED', 'the invoice read back does not have the payable amount it was rendered with');
    const invDigest = sm3Hex(utf8(xml));
    const anchor = await notaryPut(c, k('seller'), { hash: invDigest, name: `UBL invoice ${invoice.id} (Peppol BIS Billing 3.0)`, size: utf8(xml).length, mime: 'application/xml' }, at(trade));
    const amount = totals.payable.toString();
    r.step({ title: `the trader issues invoice ${invoice.id} (UBL 2.1, Peppol BIS Billing 3.0) and anchors its digest`, chain: trade, tx: anchor.hash, height: anchor.height, detail: `lines ${totals.lines.map(String).join(' + ')} = ${totals.lineExtension}, VAT ${totals.tax} (S 6 % on the service, Z on the export goods), payable ${amount} US cents; totals checked against BR-CO-10…17; SM3 of the XML ${invDigest}`, state: recordStateKey(invDigest) });
    const tampered = xml.replace(/<cbc:PayableAmount currencyID="USD">[^<]*</, '<cbc:PayableAmount currencyID="USD">28000.00<');
    try {
      checkUblInvoice(tampered);
      throw new ShulianError('SCENARIO_FAILED', 'an invoice with an altered payable amount passed the check');
    } catch (e) {
      if (!(e instanceof ShulianError) || !/BR-CO-16/.test(e.message)) throw e;
      r.step({ title: 'an invoice whose payable amount was altered fails the BIS 3.0 check', refused: 'BR-CO-16', detail: e.message });
    }

    // 4. The buyer's money: from the partner EVM network through the attested gateway, or the bank's own token.
    let denom = `${TRADE_TERMS.localDenomPrefix}${tag.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(-11) || 'RUN'}`;
    if (partner) {
      const f = await partner.fund(TRADE_TERMS.currency, totals.payable * 2n);
      r.step({ title: `the partner bank on ${partner.id} (EVM) holds ${formatUsd(totals.payable * 2n)}`, chain: partner.id, detail: `XEndpoint ${partner.address}, account ${partner.account}${f.hash ? `, tx ${f.hash} at block ${f.height}` : ''}` });
      const sent = await partner.send(bank, TRADE_TERMS.currency, totals.payable, did(k('buyer')), Date.now() + 600_000);
      if (sent.status !== 'ok') throw new ShulianError('SCENARIO_FAILED', `the partner bank's XEndpoint.send failed: ${sent.error ?? sent.status}`);
      denom = `${partner.id}/${TRADE_TERMS.currency}`;
      const balKey = `xtransfer/bal/${did(k('buyer'))}/${denom}`;
      await until(`the payment from ${partner.id} to reach ${bank}`, 120_000, async () => ((await c.state(bank, balKey)).value === amount ? true : undefined));
      r.step({ title: `the buyer's bank on ${partner.id} pays ${formatUsd(totals.payable)} to the buyer on ${bank} through the attested gateway`, chain: bank, detail: `XEndpoint.send tx ${sent.hash} (EVM block ${sent.height}), attested by the registered gateway and minted as voucher ${denom} on ${bank}`, state: balKey });
    } else {
      await sendToken(c, k('bankDesk'), 'xtransfer', 'issue', { denom }, at(bank));
      const m = await sendToken(c, k('bankDesk'), 'xtransfer', 'mint', { denom, to: did(k('buyer')), amount }, at(bank));
      r.step({ title: `the bank credits the buyer's deposit: ${formatUsd(totals.payable)}`, chain: bank, tx: m.tx.hash, height: m.tx.height, detail: `token ${denom} issued by the bank (no partner EVM network was given)`, state: `xtransfer/bal/${did(k('buyer'))}/${denom}` });
    }

    // 5. Presentation to the bank (提单+金融): the eBL moves carrier → bank chain; presenting it twice is refused.
    const pres = await sendToken<{ sequence: number }>(c, k('seller'), 'xdoc', 'send', { id: blId, dstChain: bank, receiver: did(k('bankDesk')) }, at(carrier));
    await until(`eBL ${blId} to reach ${bank}`, 120_000, async () => {
      const d = (await c.state(bank, `xdoc/doc/${blId}`)).value as { holder?: string; state?: string } | null;
      return d?.holder === did(k('bankDesk')) && d.state === 'here' ? true : undefined;
    });
    r.step({ title: `the trader presents eBL ${blLocal} with invoice ${invoice.id} to the bank: the eBL moves ${carrier} → ${bank}`, chain: carrier, tx: pres.tx.hash, height: pres.tx.height, detail: `xdoc packet #${pres.result.sequence}; on ${bank} the bank now holds it (the document is away on ${carrier}, live only on ${bank})`, links: [r.stateLink(bank, `xdoc/doc/${blId}`), r.stateLink(carrier, `xdoc/doc/${blId}`)] });
    await refused('the trader presents the same eBL a second time', carrier, 'XDOC_AWAY', () => sendToken(c, k('seller'), 'xdoc', 'send', { id: blId, dstChain: bank, receiver: did(k('dealer')) }, at(carrier)));
    const blDoc = { number: blLocal, hash: digestOf(bl), shipper: did(k('seller')), goods };
    if (blDoc.goods !== goods || checked.billOfLading !== blId) throw new ShulianError('SCENARIO_FAILED', 'the invoice does not name the bill of lading presented');
    r.step({ title: 'the bank examines the documents: the invoice names the eBL, the eBL the goods, the gems\' inspection credentials verify', chain: bank, detail: `invoice ${invoice.id} → ${blId}; eBL goods ${goods}`, state: `xdoc/doc/${blId}` });

    // 6. Release against payment (2PC coordinated from the trade chain): the eBL to the buyer only if the payment commits.
    const dvp = async (n: number) => {
      const id = `dvp-${tag}-${n}`;
      const participants: XtxParticipant[] = [
        { chain: carrier, ops: [{ kind: 'endorse', id: blId, from: did(k('bankDesk')), to: did(k('buyer')) }] },
        { chain: bank, ops: [{ kind: 'transfer', denom, amount, from: did(k('buyer')), to: did(k('seller')) }] },
      ];
      const now = Date.now();
      // Prepares must arrive within 5 minutes (a loaded machine); participants may inquire an hour after.
      const body: XtxBody = { coordinator: trade, id, participants, deadline: now + 300_000, recoverAfter: now + 3_900_000 };
      const consent = await sendToken(c, k('bankDesk'), 'xlock', 'consent', { coordinator: trade, id, digest: txDigest(body) }, at(carrier));
      const begun = await sendToken<{ digest: string }>(c, k('buyer'), 'xtx', 'begin', { id, participants, deadline: body.deadline, recoverAfter: body.recoverAfter }, at(trade));
      const view = await until(`atomic transaction ${trade}/${id} to finish`, 360_000, async () => {
        const v = await c.getJson<{ status: string; atomicity: string; decision?: { outcome: string; reason: string }; participants: Array<{ chain: string; vote: string }> }>(`/xtx/${trade}/${encodeURIComponent(id)}`);
        return (v.status === 'committed' || v.status === 'aborted') && (v.atomicity === 'all-committed' || v.atomicity === 'all-rolled-back') ? v : undefined;
      });
      return { id, consent, begun, view };
    };
    const t1 = await dvp(1);
    // The coordinator's decision names the participant that voted no and its code.
    const code = /voted no: ([A-Z][A-Z0-9_]+):/.exec(t1.view.decision?.reason ?? '')?.[1];
    if (t1.view.status !== 'aborted' || t1.view.atomicity !== 'all-rolled-back' || code !== 'XDOC_AWAY') {
      throw new ShulianError('SCENARIO_FAILED', `a payment against an eBL not on ${carrier} should have been rolled back everywhere, but ${t1.id} is ${t1.view.status} / ${t1.view.atomicity} (${t1.view.decision?.reason ?? ''})`);
    }
    refusalCodes.push(code);
    r.step({ title: `the buyer's payment is released without the document: atomic transaction ${t1.id} aborts, nothing moves`, chain: trade, tx: t1.begun.tx.hash, height: t1.begun.tx.height, refused: code, detail: `${t1.view.decision?.reason ?? ''}; the buyer's hold on ${bank} was rolled back (${t1.view.atomicity})`, state: `xtx/tx/${t1.id}`, links: [r.stateLink(bank, `xtransfer/bal/${did(k('buyer'))}/${denom}`)] });
    // The bank returns the examined eBL to the carrier's title registry, as its holder.
    const back = await sendToken<{ sequence: number }>(c, k('bankDesk'), 'xdoc', 'send', { id: blId, dstChain: carrier, receiver: did(k('bankDesk')) }, at(bank));
    await until(`eBL ${blId} to return to ${carrier}`, 120_000, async () => {
      const d = (await c.state(carrier, `xdoc/doc/${blId}`)).value as { holder?: string; state?: string } | null;
      return d?.holder === did(k('bankDesk')) && d.state === 'here' ? true : undefined;
    });
    r.step({ title: `the bank registers itself as the eBL's holder on the carrier's chain: ${bank} → ${carrier}`, chain: bank, tx: back.tx.hash, height: back.tx.height, detail: `xdoc packet #${back.result.sequence}; the eBL is live on ${carrier} again, held by the bank until paid`, state: `xdoc/doc/${blId}`, links: [r.stateLink(carrier, `xdoc/doc/${blId}`)] });
    const t2 = await dvp(2);
    if (t2.view.status !== 'committed' || t2.view.atomicity !== 'all-committed') throw new ShulianError('SCENARIO_FAILED', `release against payment ${t2.id} is ${t2.view.status} / ${t2.view.atomicity}: ${t2.view.decision?.reason ?? ''}`);
    r.step({ title: `release against payment: atomic transaction ${t2.id} commits on both chains`, chain: trade, tx: t2.begun.tx.hash, height: t2.begun.tx.height, detail: `the bank consented on ${carrier} (tx ${t2.consent.tx.hash}), the buyer began on ${trade}; eBL ${blLocal} endorsed to the buyer on ${carrier} and ${formatUsd(totals.payable)} paid to the trader on ${bank}, together`, state: `xtx/tx/${t2.id}`, links: [r.stateLink(carrier, `xdoc/doc/${blId}`), r.stateLink(bank, `xtransfer/bal/${did(k('seller'))}/${denom}`)] });

    // 7. Arrival: the last logistics events, the buyer surrenders the eBL for delivery, the stones change hands.
    for (const e of TRADE_TERMS.logistics.slice(3)) await logistics(e);
    const surrender = await sendToken(c, k('buyer'), 'xdoc', 'endorse', { id: blId, to: did(k('carrier')) }, at(carrier));
    r.step({ title: `the buyer surrenders eBL ${blLocal} to the carrier and takes delivery`, chain: carrier, tx: surrender.tx.hash, height: surrender.tx.height, detail: 'the surrendered eBL is held by the carrier that issued it: accomplished', state: `xdoc/doc/${blId}` });
    await refused('the surrendered eBL is presented again for delivery', carrier, 'XDOC_NOT_HOLDER', () => sendToken(c, k('buyer'), 'xdoc', 'endorse', { id: blId, to: did(k('dealer')) }, at(carrier)));
    await handover('seller', 'buyer', 'delivered in Singapore against the eBL');

    // 8. Offshore-trade compliance (离岸贸易): the bank files each deal's three flows; the rule compares them.
    const declare = async (ref: string, paymentTo: string) => {
      const payload = {
        kind: 'offshore-trade', ref,
        invoice: { id: invoice.id, digest: invDigest, seller: did(k('seller')), buyer: did(k('buyer')), amount, currency: TRADE_TERMS.currency, goods },
        ebl: { id: blId, digest: digestOf(bl), shipper: did(k('seller')), goods },
        payment: { chain: bank, denom, amount, currency: TRADE_TERMS.currency, from: did(k('buyer')), to: paymentTo },
      };
      return sendToken<{ sequence: number }>(c, k('bankDesk'), 'xchain', 'send', { dstChain: trade, dstPort: 'xchain', payload }, at(bank));
    };
    const good = await declare(`${tag}-1`, did(k('seller')));
    r.step({ title: 'the bank files the deal\'s invoice, eBL and payment with the trade platform (三流一致): they match', chain: bank, tx: good.tx.hash, height: good.tx.height, detail: `a message to ${trade} (packet #${good.result.sequence}); rule ${rules.offshore.id} raises nothing for it` });
    const badDeal = await declare(`${tag}-2`, did(k('shell')));
    const regConsole = new ConsoleClient({ baseUrl: o.api });
    await regConsole.login(k('regulator'));
    const alerts = await until(`the regulator's alert on rule ${rules.offshore.id}`, 120_000, async () => {
      const a = (await regConsole.alerts({ rule: rules.offshore.id })).alerts;
      return a.length > 0 ? a : undefined;
    });
    const alert = alerts[0]!;
    const offshoreAlerts = alerts.filter((a) => a.txs.some((t) => t.hash === badDeal.tx.hash)).length;
    if (alerts.length !== 1 || offshoreAlerts !== 1) throw new ShulianError('SCENARIO_FAILED', `rule ${rules.offshore.id} should raise exactly one alert, for the mismatched deal; it raised ${alerts.length}`);
    refusalCodes.push('OFFSHORE_MISMATCH');
    r.step({ title: `a deal whose payment goes to a company not on the invoice raises alert ${alert.id} (${alert.severity})`, chain: bank, tx: badDeal.tx.hash, height: badDeal.tx.height, refused: 'OFFSHORE_MISMATCH', detail: `rule ${alert.rule} v${alert.version}: ${alert.title}; the alert carries the tx with its inclusion proof (GET /v1/supervision/alerts/${alert.id}, regulators and operators)`, links: [`${o.api}/v1/supervision/alerts/${alert.id}`] });
    const moves = await until(`the regulator's alerts on rule ${rules.eblMove.id}`, 60_000, async () => {
      const a = (await regConsole.alerts({ rule: rules.eblMove.id })).alerts;
      return a.length >= 2 ? a : undefined;
    });
    r.step({ title: `customs sees the eBL move between chains (提单+监管): ${moves.length} alerts of rule ${rules.eblMove.id}`, chain: carrier, detail: moves.map((a: AlertSummary) => `${a.chain}@${a.height} ${a.id}`).join('; '), links: moves.map((a) => `${o.api}/v1/supervision/alerts/${a.id}`) });

    // Outcome.
    const doc = (chain: string) => c.state(chain, `xdoc/doc/${blId}`).then((x) => x.value as { holder: string; state: string; history: Array<{ event: string; chain: string }> } | null);
    const [onCarrier, onBank] = await Promise.all([doc(carrier), doc(bank)]);
    const bal = async (who: Who) => String((await c.state(bank, `xtransfer/bal/${did(k(who))}/${denom}`)).value ?? '0');
    const held = async (who: Who) => (await readToken(c, trade, collectibleStateKey.held(did(k(who)), gemClass))) ?? 0;
    const owner = async (serial: number) => (await readToken(c, trade, collectibleStateKey.token(gemClass, serial)))?.owner ?? '';
    return {
      scenario: 'trade', api: o.api, steps: r.steps,
      outcome: {
        gemClass, stones: stones.length, buyerStones: await held('buyer'), sapphireOwner: await owner(first.serial),
        seller: did(k('seller')), buyer: did(k('buyer')), bank: did(k('bankDesk')), carrier: did(k('carrier')), shell: did(k('shell')), regulator: did(k('regulator')),
        billOfLading: blId, eblHolder: onCarrier?.holder ?? '', eblState: onCarrier?.state ?? '', eblOnBank: onBank?.state ?? 'absent',
        eblHistory: (onCarrier?.history ?? []).map((h) => `${h.event}@${h.chain}`).join(' '),
        logisticsEvents: events.length,
        invoice: invoice.id, invoiceDigest: invDigest, invoicePayable: amount, invoiceTax: totals.tax.toString(),
        denom, sellerPaid: await bal('seller'), buyerLeft: await bal('buyer'), shellPaid: await bal('shell'),
        abortedTx: `${trade}/${t1.id}`, committedTx: `${trade}/${t2.id}`,
        offshoreRule: rules.offshore.id, offshoreAlert: alert.id, eblMoveRule: rules.eblMove.id, eblMoveAlerts: moves.length,
        partner: partner ? partner.id : 'none',
        refusals: refusalCodes.join(' '),
      },
    };
  }
}

const formatUsd = (minor: bigint): string => `US$${(minor / 100n).toLocaleString('en-US')}.${(minor % 100n).toString().padStart(2, '0')}`;
