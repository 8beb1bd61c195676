/**
 * Scenario 低碳生活 (white paper §4.3; scenarios/lowcarbon/README.md), over the SDK only: a
 * green-travel chain where the travel platform records citizens' trips (metro, shared bike,
 * walking) and carbon points are issued by a methodology the chain's governors registered; the
 * citizens exchange points for a mall's coupons and redeem them at the mall's shop; the mall pays
 * its customer-acquisition cost on the settlement chain, split between the community
 * public-welfare fund and the travel platform; the fund grants to a social worker.
 */
import { ShulianError } from '../codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../crypto/index.ts';
import { carbonStateKey } from '../modules/carbon/keys.ts';
import { couponStateKey } from '../modules/coupon/keys.ts';
import { settlementFullKey as settlementStateKey } from '../modules/settlement/keys.ts';
import {
  authorizeCoupon, carbonBalance, carbonStats, carbonTotals, createCampaign, exchangeCarbon, getCampaign, issueCarbon, proposeMethodology, redeemCoupons,
  settleBalances, settleFaucet, settleGrantMandate, settleTransfer, deployContractTemplate, draftContract, getContract, getContractTemplate, settleContract,
  signContract, submitContractEvent, type Activity, type MethodologyInput, type ShulianClient,
} from '../sdk/index.ts';
import { lexFullKey } from '../modules/lexcontract/keys.ts';
import { ensureBusinessChain } from './chain.ts';
import { Reporter, type ScenarioReport, type ScenarioStep } from './report.ts';
import type { ScenarioServices } from './services.ts';

export { LOWCARBON_CHAIN } from '../sdk/index.ts';
import { LOWCARBON_CHAIN } from '../sdk/index.ts';
const DAY = 86_400_000;
/** Customer-acquisition cost the mall pays per redeemed coupon (fen) and its split (bp): fund 60 %, platform 40 %. */
export const LOWCARBON_TERMS = { acquisitionFen: 500, fundBp: 6000, platformBp: 4000, pointsPrice: '1000', couponOffFen: '2000', grantFen: '300' } as const;

export interface ScenarioOptions {
  api: string;
  /** Tags ids so the scenario can run again on the same alliance. */
  tag?: string;
  onStep?: (s: ScenarioStep) => void;
  /**
   * Starts a gateway relaying between the given chains (and bringing them their routes); the
   * runner stops it when the scenario ends. The scenarios need one for the chains they register
   * for cross-chain calls: `shulian scenario run` runs the project's gateway with the operator's key.
   */
  relay?: (chains: string[]) => Promise<{ stop(): Promise<void> }>;
  /** Privacy parties, the requester's side and a metering gateway (the medical scenario): `shulian scenario run` gives the real ones. */
  services?: ScenarioServices;
}

const did = (k: KeyPair) => didFromPublicKey(k.publicKey);

export async function runLowCarbon(c: ShulianClient, operator: KeyPair, o: ScenarioOptions): Promise<ScenarioReport> {
  const r = new Reporter(o.api, o.onStep);
  const chain = LOWCARBON_CHAIN;
  const tag = o.tag ?? Date.now().toString(36);
  const opts = { chain, timeoutMs: 60_000 };
  const suite = operator.suite;
  const [platform, mall, shop, fund, worker, wang, li] = Array.from({ length: 7 }, () => generateKeyPair(suite));
  const names = new Map([[platform, 'travel platform 出行平台'], [mall, 'mall 商场'], [shop, 'mall shop 门店'], [fund, 'community fund 社区公益基金'], [worker, 'social worker 社工'], [wang, 'citizen Wang'], [li, 'citizen Li']]);
  r.step({ title: 'participants', detail: [...names].map(([k, n]) => `${n}: ${did(k)}`).join('; ') });

  await ensureBusinessChain(c, operator, { chain, name: 'Green travel chain', nameZh: '绿色出行链', modules: ['notary', 'carbon', 'coupon', 'collectible'], operatorRole: 'carbon governor' }, r);

  // 1. The governors register the methodology (Beijing DB11/T 3043-2024 style travel factors, g CO2e/km).
  const m: MethodologyInput = {
    id: `bj-green-travel-${tag}`, version: 1, name: '低碳出行 (after DB11/T 3043-2024)', recorders: [did(platform)], cap: '100000000',
    params: { kind: 'travel', baselineGPerKm: 135, modes: { metro: { gPerKm: 37, maxM: 80_000 }, bike: { gPerKm: 0, maxM: 20_000 }, walk: { gPerKm: 0, maxM: 10_000 } } },
  };
  const reg = await proposeMethodology(c, operator, m, opts);
  if (reg.result.status !== 'registered') throw new ShulianError('SCENARIO_FAILED', `methodology proposal #${reg.result.proposal} is ${reg.result.status}: the chain has governors other than the operator`);
  r.step({ title: `methodology ${m.id} v1 registered by the chain's governors`, chain, tx: reg.tx.hash, height: reg.tx.height, detail: `baseline 135 g/km; metro 37, bike 0, walk 0; proposal #${reg.result.proposal}`, state: carbonStateKey.methodology(m.id, 1) });

  // 2. The platform records trips; each earns points once.
  const t0 = Date.now() - 2 * DAY;
  const trips: Array<[KeyPair, Activity]> = [
    [wang, { kind: 'travel', ref: `${tag}-W1`, citizen: did(wang), mode: 'metro', distanceM: 18_000, start: t0, end: t0 + 2_400_000 }],
    [wang, { kind: 'travel', ref: `${tag}-W2`, citizen: did(wang), mode: 'bike', distanceM: 4_000, start: t0 + 3_600_000, end: t0 + 4_800_000 }],
    [wang, { kind: 'travel', ref: `${tag}-W3`, citizen: did(wang), mode: 'walk', distanceM: 2_500, start: t0 + DAY, end: t0 + DAY + 1_800_000 }],
    [li, { kind: 'travel', ref: `${tag}-L1`, citizen: did(li), mode: 'metro', distanceM: 22_000, start: t0, end: t0 + 3_000_000 }],
    [li, { kind: 'travel', ref: `${tag}-L2`, citizen: did(li), mode: 'bike', distanceM: 6_000, start: t0 + DAY, end: t0 + DAY + 1_500_000 }],
  ];
  for (const [who, a] of trips) {
    const x = await issueCarbon(c, platform, { methodology: m.id, version: 1, activity: a }, opts);
    r.step({ title: `trip ${a.ref}: ${names.get(who)} by ${(a as { mode: string }).mode}, ${(a as { distanceM: number }).distanceM / 1000} km`, chain, tx: x.tx.hash, height: x.tx.height, detail: `${x.result.points} points (g CO2e reduced), activity ${x.result.digest}`, state: carbonStateKey.activity(x.result.digest) });
  }
  // The same trip again, under a new reference, and a trip sent by someone other than the platform.
  await r.refusal('the same trip submitted again (new reference)', chain, 'CARBON_DOUBLE_CLAIM', () => issueCarbon(c, platform, { methodology: m.id, version: 1, activity: { ...trips[0]![1], ref: `${tag}-W1-again` } }, opts));
  await r.refusal('a trip submitted by the citizen, not the platform', chain, 'CARBON_NOT_RECORDER', () => issueCarbon(c, wang, { methodology: m.id, version: 1, activity: { kind: 'travel', ref: `${tag}-self`, citizen: did(wang), mode: 'walk', distanceM: 1_000, start: t0 + 2 * DAY - 600_000, end: t0 + 2 * DAY - 1 } }, opts));

  // 3. The mall offers coupons for points; the citizens exchange and redeem them at the shop.
  const campaignId = `green-mall-${tag}`;
  const now = Date.now();
  const camp = await createCampaign(c, mall, { id: campaignId, name: '绿色出行积分兑换 立减20元', budget: String(Number(LOWCARBON_TERMS.couponOffFen) * 10), rule: { kind: 'fixed', off: LOWCARBON_TERMS.couponOffFen }, group: 'green', validFrom: now - DAY, validUntil: now + 30 * DAY, merchants: [did(shop)], perHolder: 2, pointsPrice: LOWCARBON_TERMS.pointsPrice }, opts);
  r.step({ title: 'the mall opens a coupon campaign for carbon points', chain, tx: camp.tx.hash, height: camp.tx.height, detail: `20 元 off, ${LOWCARBON_TERMS.pointsPrice} points each, budget 200 元, redeemable at the mall's shop`, state: couponStateKey.campaign(campaignId) });
  const redeemed: string[] = [];
  const amounts = ['8800', '12600'];
  for (const [who, amount] of [[wang, amounts[0]!], [li, amounts[1]!]] as const) {
    const x = await exchangeCarbon(c, who, campaignId, opts);
    r.step({ title: `${names.get(who)} exchanges points for a coupon`, chain, tx: x.tx.hash, height: x.tx.height, detail: `paid ${x.result.points} points to the mall for coupon ${x.result.coupon}`, state: couponStateKey.coupon(x.result.coupon) });
    await authorizeCoupon(c, who, x.result.coupon, did(shop), opts);
    const red = await redeemCoupons(c, shop, { coupons: [x.result.coupon], holder: did(who), amount }, opts);
    redeemed.push(x.result.coupon);
    r.step({ title: `the shop redeems ${x.result.coupon} with ${names.get(who)}'s authorisation`, chain, tx: red.tx.hash, height: red.tx.height, detail: `purchase ${amount} fen, ${red.result.discount} off, ${red.result.due} paid`, state: couponStateKey.coupon(x.result.coupon) });
  }
  await r.refusal('the same coupon redeemed again', chain, 'COUPON_USED', () => redeemCoupons(c, shop, { coupons: [redeemed[0]!], holder: did(wang), amount: '8800' }, opts));

  // 4. The mall pays its customer-acquisition cost under the carbon-coupons lex contract (the
  // template library's contracts/carbon-coupons), signed by the mall, the platform and the fund:
  // the platform reports each exchange, the mall each coupon used, and the contract's split
  // crosses to the settlement chain within the mall's mandate; the fund grants to a social worker.
  const contract = await acquisitionContract(c, { mall, platform, fund }, tag, now, r);
  const faucet = await settleFaucet(c, mall, { currency: 'CNY', amount: String(LOWCARBON_TERMS.acquisitionFen * redeemed.length) });
  r.step({ title: 'the mall funds its settlement account (sandbox faucet)', chain: 'settle', detail: `${faucet.amount} fen ${faucet.currency} from ${faucet.issuer}, journal entry ${faucet.entry}`, state: settlementStateKey.entry(faucet.entry) });
  for (const [i, coupon] of redeemed.entries()) {
    const who = i === 0 ? wang : li;
    const red = await submitContractEvent(c, platform, contract, 'Redemption', { citizen: did(who), points: Number(LOWCARBON_TERMS.pointsPrice), couponId: coupon });
    r.step({ title: `the platform reports ${names.get(who)}'s exchange to the contract`, chain: 'sign', tx: red.tx, height: red.height, detail: `coupon ${coupon} for ${LOWCARBON_TERMS.pointsPrice} points; ${String(red.result.response.remaining)} coupons left under the contract`, state: lexFullKey.instance(contract) });
    const used = await submitContractEvent(c, mall, contract, 'CouponUsed', { couponId: coupon, purchase: `CNY ${(Number(amounts[i]) / 100).toFixed(2)}` });
    r.step({ title: `the mall reports coupon ${coupon} used: the contract splits the acquisition fee`, chain: 'sign', tx: used.tx, height: used.height, detail: `${used.result.settlements.length} settlement instruction: ¥${LOWCARBON_TERMS.acquisitionFen / 100} from the mall, ${LOWCARBON_TERMS.fundBp / 100} % to the community fund, ${LOWCARBON_TERMS.platformBp / 100} % to the platform`, state: lexFullKey.instance(contract) });
  }
  await r.refusal('the mall reports the same coupon used twice', 'sign', 'REQUIREMENT_NOT_MET', () => submitContractEvent(c, mall, contract, 'CouponUsed', { couponId: redeemed[0]!, purchase: 'CNY 88.00' }));
  const paid = await contractPaid(c, mall, contract, redeemed.length);
  r.step({ title: 'the settlement chain pays the contract\'s splits; the contract records them paid', chain: 'sign', detail: paid.map((x) => `instruction ${x.n}: ${x.status}`).join('; '), state: lexFullKey.instance(contract) });
  const due = BigInt(LOWCARBON_TERMS.acquisitionFen) * BigInt(redeemed.length);
  const grant = await settleTransfer(c, fund, { to: did(worker), currency: 'CNY', amount: LOWCARBON_TERMS.grantFen, memo: 'grant to a community social worker' });
  r.step({ title: 'the community fund grants to a social worker', chain: 'settle', detail: `${LOWCARBON_TERMS.grantFen} fen, journal entry ${grant.entry}`, state: settlementStateKey.entry(grant.entry) });

  // Outcome.
  const bal = async (k: KeyPair) => ((await settleBalances(c, did(k))).balances.find((b) => b.currency === 'CNY')?.available ?? '0');
  const stats = await carbonStats(c, chain, m.id, 1);
  const totals = await carbonTotals(c, chain);
  const campaign = await getCampaign(c, chain, campaignId);
  const report: ScenarioReport = {
    scenario: 'lowcarbon', api: o.api, steps: r.steps,
    outcome: {
      methodology: `${m.id} v1`,
      tripsCredited: stats?.records ?? 0,
      pointsIssued: stats?.issued ?? '0',
      pointsWang: await carbonBalance(c, chain, did(wang)),
      pointsLi: await carbonBalance(c, chain, did(li)),
      pointsMall: await carbonBalance(c, chain, did(mall)),
      chainSupply: totals.supply,
      couponsRedeemed: campaign?.redeemed ?? 0,
      campaignSpent: campaign?.spent ?? '0',
      campaignBudget: campaign?.budget ?? '0',
      acquisitionPaid: due.toString(),
      contract,
      contractPayments: paid.filter((x) => x.status === 'paid').length,
      fundCNY: await bal(fund),
      platformCNY: await bal(platform),
      socialWorkerCNY: await bal(worker),
    },
  };
  return report;
}

/**
 * The carbon-coupons contract between the mall, the travel platform and the community fund, from
 * the template library, deployed (idempotent), drafted by the mall and signed by all three; the
 * mall grants it a mandate for the acquisition fees of the campaign's coupons.
 */
async function acquisitionContract(c: ShulianClient, p: { mall: KeyPair; platform: KeyPair; fund: KeyPair }, tag: string, now: number, r: Reporter): Promise<string> {
  const t = await getContractTemplate(c, 'carbon-coupons');
  const dep = await deployContractTemplate(c, p.mall, t.source);
  const maxCoupons = 10;
  const params = {
    pointsPerCoupon: Number(LOWCARBON_TERMS.pointsPrice), couponValue: `CNY ${(Number(LOWCARBON_TERMS.couponOffFen) / 100).toFixed(2)}`, minimumSpend: `CNY ${(Number(LOWCARBON_TERMS.couponOffFen) / 100).toFixed(2)}`,
    acquisitionFee: `CNY ${(LOWCARBON_TERMS.acquisitionFen / 100).toFixed(2)}`, fundShare: `${LOWCARBON_TERMS.fundBp / 100}%`, travelShare: `${LOWCARBON_TERMS.platformBp / 100}%`,
    maxCoupons, campaignEnd: new Date(now + 30 * DAY).toISOString().slice(0, 10),
  };
  const d = await draftContract(c, p.mall, { template: dep.result.template, params, parties: { mall: did(p.mall), travel: did(p.platform), fund: did(p.fund) } });
  const id = d.result.id;
  for (const k of [p.mall, p.platform, p.fund]) await signContract(c, k, id, d.result.fingerprint);
  r.step({ title: 'the mall, the platform and the fund sign the carbon-coupons contract (lex)', chain: 'sign', tx: d.tx, height: d.height, detail: `contract ${id} from template ${dep.result.template.slice(0, 12)}…: fee ¥${LOWCARBON_TERMS.acquisitionFen / 100} a coupon used, ${LOWCARBON_TERMS.fundBp / 100} % fund / ${LOWCARBON_TERMS.platformBp / 100} % platform; tag ${tag}`, state: lexFullKey.instance(id) });
  const cap = String(LOWCARBON_TERMS.acquisitionFen * maxCoupons);
  await settleGrantMandate(c, p.mall, { grantee: { chain: 'sign', port: 'lexcontract', contract: id }, currency: 'CNY', cap });
  r.step({ title: 'the mall grants the contract a mandate on its settlement account', chain: 'settle', detail: `up to ${cap} fen CNY, for contract ${id} on sign`, state: settlementStateKey.mandate(did(p.mall), 'CNY', 'sign', 'lexcontract', id) });
  return id;
}

/**
 * Waits until the contract's `n` settlements are paid or failed (the acknowledgements come back
 * through the node's gateway); until the routes are synced the signing chain may keep them
 * pending, so `lexcontract.settle` (anyone may send it) sends them again now and then.
 */
export async function contractPaid(c: ShulianClient, key: KeyPair, id: string, n: number): Promise<Array<{ n: number; status: string }>> {
  const deadline = Date.now() + 120_000;
  let resent = Date.now();
  for (;;) {
    const v = await getContract(c, id);
    if (v.settlements.length >= n && v.settlements.every((s) => s.status === 'paid' || s.status === 'failed')) {
      const bad = v.settlements.filter((s) => s.status !== 'paid');
      if (bad.length) throw new ShulianError('SCENARIO_FAILED', `the contract's settlements ${bad.map((s) => `${s.n} (${s.note ?? s.status})`).join(', ')} failed on the settlement chain`);
      return v.settlements.map((s) => ({ n: s.n, status: s.status }));
    }
    if (Date.now() > deadline) throw new ShulianError('SCENARIO_FAILED', `the contract's settlements were not acknowledged within 120 s: ${v.settlements.map((s) => `${s.n} ${s.status}${s.note ? ` (${s.note})` : ''}`).join(', ')}`);
    if (v.settlements.some((s) => s.status === 'pending') && Date.now() - resent > 2_000) {
      resent = Date.now();
      await settleContract(c, key, id);
    }
    await new Promise((res) => setTimeout(res, 300));
  }
}
