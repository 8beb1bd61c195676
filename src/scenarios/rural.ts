/**
 * Scenario 乡村振兴 (white paper §4.2; scenarios/rural/README.md), over the SDK only. Three
 * business chains made by governance: the traceability chain (农产品溯源链) where a cooperative
 * records a produce batch with its geographic-indication and green-food credentials (real VCs,
 * verified) and consumers record their subscriptions; the collectibles chain (数字藏品链) where
 * each delivery earns a 非遗 collectible, 20 deliveries or ¥2,000 spent earn an exclusive one with
 * a homestay coupon "满1500减400", and the distributor's donation to the heritage fund earns craft
 * collectibles and an album; the county's revitalisation chain (乡村振兴链), which reads the
 * verified deliveries from the collectibles chain by cross-chain calls (xcall packets with proofs)
 * and computes the subsidy, paid on the settlement chain.
 */
import { canonicalBytes, ShulianError, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../crypto/index.ts';
import { issueCredential, keyPairSigner, shulianKeyResolver, verifyCredential } from '../did/index.ts';
import { collectibleStateKey } from '../modules/collectible/keys.ts';
import type { ClassAnswer } from '../modules/collectible/types.ts';
import { couponStateKey } from '../modules/coupon/keys.ts';
import { recordStateKey } from '../modules/notary/keys.ts';
import { settlementFullKey as settlementStateKey } from '../modules/settlement/keys.ts';
import {
  attestRealName, authorizeCoupon, claimAlbum, collectibleMayMove, createAlbum, createCampaign, createCollectibleClass, getAlbum, getCampaign, getCollectibleClass,
  giftCollectible, issueCoupon, RURAL_CHAINS, RURAL_CLASS_PREFIX, RURAL_SUBSIDY_MEMO, mintCollectible, notaryPut, readToken, redeemCoupons, settleBalances, settleFaucet, settleTransfer, sm3Hex, xcallAsk,
  type ShulianClient,
} from '../sdk/index.ts';
import { ensureBusinessChain } from './chain.ts';
import type { ScenarioOptions } from './lowcarbon.ts';
import { Reporter, type ScenarioReport } from './report.ts';

/**
 * The numbers of the story (money in fen). A subscription is prepaid on the settlement chain; the
 * exclusive collectible comes at 20 deliveries or ¥2,000 spent, whichever first; the county pays
 * the distributor per verified delivery and per consumer who reached the exclusive tier.
 */
export { RURAL_CHAINS };
export const RURAL_TERMS = {
  exclusiveDeliveries: 20, exclusiveSpendFen: 200_000,
  couponMinFen: '150000', couponOffFen: '40000', couponBudgetFen: '160000',
  donationFen: '500000', subsidyPerDeliveryFen: 600, subsidyPerExclusiveFen: 10_000,
  /** Zhang: 20 boxes of rice at ¥68 (reaches 20 deliveries); Chen: 10 boxes of premium rice at ¥218 (passes ¥2,000 at the 10th). */
  subscriptions: [{ who: 'zhang', deliveries: 20, priceFen: 6_800 }, { who: 'chen', deliveries: 10, priceFen: 21_800 }],
  homestayBillFen: '168000',
} as const;

const DAY = 86_400_000;
const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
const digestOf = (doc: JsonValue) => sm3Hex(canonicalBytes(doc));
/** The SM3 of a class's media and metadata (the media stays off chain). */
const mediaDigest = (what: string) => digestOf({ media: what });

export async function runRural(c: ShulianClient, operator: KeyPair, o: ScenarioOptions): Promise<ScenarioReport> {
  const r = new Reporter(o.api, o.onStep);
  const { trace, nft, county } = RURAL_CHAINS;
  const tag = o.tag ?? Date.now().toString(36);
  const at = (chain: string) => ({ chain, timeoutMs: 60_000 });
  const suite = operator.suite;
  const keys = Object.fromEntries(['geoCert', 'greenCert', 'coop', 'distributor', 'fund', 'platform', 'homestay', 'otherShop', 'countyBureau', 'zhang', 'chen', 'zhao'].map((n) => [n, generateKeyPair(suite)])) as Record<string, KeyPair>;
  const k = (n: string) => keys[n]!;
  const names: Record<string, string> = {
    geoCert: 'geographic-indication certifier 地理标志认证机构', greenCert: 'green-food certifier 绿色食品认证中心', coop: 'farmers\' cooperative 合作社',
    distributor: 'produce distributor 农产品流通商', fund: 'intangible-heritage fund 非遗基金', platform: 'collectibles platform (real-name verifier) 藏品平台',
    homestay: 'farm homestay 农民民宿', otherShop: 'a shop not in the campaign', countyBureau: 'county revitalisation bureau 县乡村振兴局',
    zhang: 'consumer Zhang', chen: 'consumer Chen', zhao: 'Zhang\'s friend Zhao (real-name verified)',
  };
  r.step({ title: 'participants', detail: Object.entries(names).map(([n, label]) => `${label}: ${did(k(n))}`).join('; ') });

  await ensureBusinessChain(c, operator, { chain: trace, name: 'Farm produce traceability chain', nameZh: '农产品溯源链', modules: ['notary'] }, r);
  await ensureBusinessChain(c, operator, { chain: nft, name: 'Digital collectibles chain', nameZh: '数字藏品链', modules: ['notary', 'collectible', 'coupon', 'xchain', 'xcall'], crossChain: true }, r);
  await ensureBusinessChain(c, operator, { chain: county, name: 'County revitalisation chain', nameZh: '乡村振兴链', modules: ['notary', 'xchain', 'xcall'], crossChain: true }, r);
  const relay = o.relay ? await o.relay([nft, county]) : undefined;
  try {
    return await story();
  } finally {
    await relay?.stop();
  }

  async function story(): Promise<ScenarioReport> {
    // 1. Certified produce: the certifiers issue VCs to the cooperative, verified before the batch is recorded.
    const product = { name: '五常大米 Wuchang rice', region: '黑龙江省五常市' };
    const vc = async (issuer: KeyPair, type: string, claim: Record<string, JsonValue>) => issueCredential({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
      type: ['VerifiableCredential', type], issuer: did(issuer), validFrom: '2026-01-01T00:00:00Z',
      credentialSubject: { id: did(k('coop')), product: product.name, ...claim },
    }, keyPairSigner(issuer, { fragment: 'multikey' }));
    const geo = await vc(k('geoCert'), 'GeographicIndicationCredential', { region: product.region, registration: 'AGI-00036' });
    const green = await vc(k('greenCert'), 'GreenFoodCredential', { certificate: 'LB-18-2301', grade: 'AA' });
    const resolver = shulianKeyResolver({ fragments: ['multikey'] });
    for (const [label, cred] of [['geographic indication 地理标志', geo], ['green food 绿色食品', green]] as const) {
      const v = await verifyCredential(cred, { resolver });
      if (!v.verified) throw new ShulianError('SCENARIO_FAILED', `the ${label} credential does not verify: ${v.errors.map((e) => e.message).join('; ')}`);
      r.step({ title: `the ${label} credential verifies`, detail: `issued by ${v.issuer} to the cooperative; checks ${v.checks.join(', ')}; SM3 ${digestOf(cred as unknown as JsonValue)}` });
    }
    const forged = { ...green, credentialSubject: { ...(green.credentialSubject as Record<string, JsonValue>), grade: 'AAA' } };
    const fv = await verifyCredential(forged, { resolver });
    if (fv.verified) throw new ShulianError('SCENARIO_FAILED', 'a credential altered after signing verified');
    r.step({ title: 'an altered green-food credential is refused', refused: fv.errors.map((e) => e.code).join(', '), detail: `grade changed AA → AAA after signing: ${fv.errors.map((e) => e.message).join('; ')}` });
    const batch = { kind: 'produce-batch', id: `wuchang-2026-${tag}`, product: product.name, region: product.region, harvested: '2026-10-08', kg: 3_000, cooperative: did(k('coop')), credentials: [digestOf(geo as unknown as JsonValue), digestOf(green as unknown as JsonValue)] };
    const batchTx = await notaryPut(c, k('coop'), { hash: digestOf(batch), name: `produce batch ${batch.id}` }, at(trace));
    r.step({ title: `the cooperative records produce batch ${batch.id} with both credentials`, chain: trace, tx: batchTx.hash, height: batchTx.height, detail: `${batch.kg} kg harvested ${batch.harvested}; the batch document (SM3 ${digestOf(batch)}) names the credentials by digest`, state: recordStateKey(digestOf(batch)) });

    // 2. Collectible classes and the homestay campaign.
    const cls = { delivery: `${RURAL_CLASS_PREFIX.delivery}${tag}`, exclusive: `${RURAL_CLASS_PREFIX.exclusive}${tag}`, crafts: ['bamboo', 'indigo', 'papercut'].map((x) => `craft-${x}-${tag}`), reward: `guardian-${tag}` };
    const att = await attestRealName(c, k('platform'), did(k('zhao')), digestOf({ realName: 'Zhao', id: tag }), at(nft));
    r.step({ title: 'the collectibles platform attests Zhao\'s real name', chain: nft, tx: att.tx.hash, height: att.tx.height, detail: 'the credential it checked stays off chain; only its digest is kept', state: collectibleStateKey.realName(did(k('platform')), did(k('zhao'))) });
    const dc = await createCollectibleClass(c, k('distributor'), { id: cls.delivery, name: '非遗·五常稻作 delivery collectible', supply: 10_000, metadata: mediaDigest('rice-farming heritage'), rules: { transferable: true, holdDays: 180, realNameVerifier: did(k('platform')), maxGifts: 1, cooldownDays: 30 } }, at(nft));
    r.step({ title: `the distributor creates the 非遗 delivery collectible ${cls.delivery}`, chain: nft, tx: dc.tx.hash, height: dc.tx.height, detail: 'one per delivery; may be gifted only after 180 days, only to a real-name verified DID, once, 30 days apart; never sold', state: collectibleStateKey.class(cls.delivery) });
    const now = Date.now();
    const campaignId = `homestay-${tag}`;
    const camp = await createCampaign(c, k('fund'), { id: campaignId, name: '农民民宿 满1500减400', budget: RURAL_TERMS.couponBudgetFen, rule: { kind: 'threshold', min: RURAL_TERMS.couponMinFen, off: RURAL_TERMS.couponOffFen }, group: 'homestay', exclusive: true, validFrom: now - DAY, validUntil: now + 180 * DAY, merchants: [did(k('homestay'))], perHolder: 1 }, at(nft));
    r.step({ title: 'the heritage fund opens the homestay campaign 满1500减400', chain: nft, tx: camp.tx.hash, height: camp.tx.height, detail: `budget ¥${Number(RURAL_TERMS.couponBudgetFen) / 100}, one coupon per holder, redeemable only at the farm homestay`, state: couponStateKey.campaign(campaignId) });
    const ec = await createCollectibleClass(c, k('distributor'), { id: cls.exclusive, name: '非遗·专属权益藏品 (homestay 满1500减400)', supply: 1_000, metadata: digestOf({ media: 'exclusive heritage collectible', coupon: campaignId }), rules: { transferable: false } }, at(nft));
    r.step({ title: `the distributor creates the exclusive collectible ${cls.exclusive}`, chain: nft, tx: ec.tx.hash, height: ec.tx.height, detail: `soulbound; its metadata names campaign ${campaignId}, whose coupon comes with it`, state: collectibleStateKey.class(cls.exclusive) });

    // 3. Subscriptions, prepaid on the settlement chain; deliveries each earn a collectible.
    const granted: Record<string, string> = {};
    for (const sub of RURAL_TERMS.subscriptions) {
      const who = k(sub.who);
      const total = sub.deliveries * sub.priceFen;
      const doc = { kind: 'subscription', id: `${sub.who}-${tag}`, consumer: did(who), distributor: did(k('distributor')), batch: batch.id, deliveries: sub.deliveries, priceFen: sub.priceFen };
      const s = await notaryPut(c, who, { hash: digestOf(doc), name: `subscription ${doc.id}` }, at(trace));
      r.step({ title: `${names[sub.who]} subscribes to ${sub.deliveries} deliveries of ${product.name}`, chain: trace, tx: s.hash, height: s.height, detail: `¥${sub.priceFen / 100} a delivery, batch ${batch.id}; the consumer signs the subscription record`, state: recordStateKey(digestOf(doc)) });
      await settleFaucet(c, who, { currency: 'CNY', amount: String(total) });
      const pay = await settleTransfer(c, who, { to: did(k('distributor')), currency: 'CNY', amount: String(total), memo: `subscription ${doc.id}` });
      r.step({ title: `${names[sub.who]} prepays ¥${total / 100} to the distributor`, chain: 'settle', detail: `journal entry ${pay.entry} (the consumer's money from the sandbox faucet)`, state: settlementStateKey.entry(pay.entry) });
      let spent = 0;
      for (let n = 1; n <= sub.deliveries; n++) {
        const delivery = { kind: 'delivery', subscription: doc.id, n, consumer: did(who), batch: batch.id, priceFen: sub.priceFen };
        const [rec, mint] = await Promise.all([
          notaryPut(c, k('distributor'), { hash: digestOf(delivery), name: `delivery ${doc.id}/${n}` }, at(trace)),
          mintCollectible(c, k('distributor'), cls.delivery, did(who), at(nft)),
        ]);
        spent += sub.priceFen;
        if (n === 1 || n === sub.deliveries) {
          r.step({ title: `delivery ${n} of ${sub.deliveries} to ${names[sub.who]}: traced and rewarded with ${cls.delivery}#${mint.result.serial}`, chain: nft, tx: mint.tx.hash, height: mint.tx.height, detail: `delivery record on ${trace} at height ${rec.height} (tx ${rec.hash})`, state: collectibleStateKey.token(cls.delivery, mint.result.serial), links: [r.txLink(rec.hash)] });
        }
        const held = (await readToken(c, nft, collectibleStateKey.held(did(who), cls.delivery))) ?? 0;
        if (!granted[sub.who] && (held >= RURAL_TERMS.exclusiveDeliveries || spent >= RURAL_TERMS.exclusiveSpendFen)) {
          const why = held >= RURAL_TERMS.exclusiveDeliveries ? `${held} deliveries` : `¥${spent / 100} spent`;
          const coupon = await issueCoupon(c, k('fund'), campaignId, did(who), at(nft));
          const ex = await mintCollectible(c, k('distributor'), cls.exclusive, did(who), at(nft));
          granted[sub.who] = coupon.result.coupon;
          r.step({ title: `${names[sub.who]} reaches the exclusive tier (${why}): ${cls.exclusive}#${ex.result.serial} with coupon ${coupon.result.coupon}`, chain: nft, tx: ex.tx.hash, height: ex.tx.height, detail: `the heritage fund issued the homestay coupon 满1500减400 (tx ${coupon.tx.hash})`, state: collectibleStateKey.token(cls.exclusive, ex.result.serial), links: [r.txLink(coupon.tx.hash)] });
        }
      }
    }
    await r.refusal('a second homestay coupon for Zhang (no double issuance)', nft, 'COUPON_HOLDER_LIMIT', () => issueCoupon(c, k('fund'), campaignId, did(k('zhang')), at(nft)));

    // 4. The homestay redeems Zhang's coupon; the refusals around it.
    const zc = granted.zhang!;
    const cc = granted.chen!;
    await r.refusal('Zhang authorises a shop that is not in the campaign', nft, 'COUPON_MERCHANT', () => authorizeCoupon(c, k('zhang'), zc, did(k('otherShop')), at(nft)));
    await authorizeCoupon(c, k('zhang'), zc, did(k('homestay')), at(nft));
    await r.refusal('another shop tries to redeem Zhang\'s coupon', nft, 'COUPON_MERCHANT', () => redeemCoupons(c, k('otherShop'), { coupons: [zc], holder: did(k('zhang')), amount: RURAL_TERMS.homestayBillFen }, at(nft)));
    const red = await redeemCoupons(c, k('homestay'), { coupons: [zc], holder: did(k('zhang')), amount: RURAL_TERMS.homestayBillFen }, at(nft));
    r.step({ title: `the homestay redeems Zhang's coupon on a ¥${Number(RURAL_TERMS.homestayBillFen) / 100} stay`, chain: nft, tx: red.tx.hash, height: red.tx.height, detail: `discount ¥${Number(red.result.discount) / 100}, Zhang pays ¥${Number(red.result.due) / 100}`, state: couponStateKey.coupon(zc) });
    await r.refusal('the homestay redeems the same coupon again', nft, 'COUPON_USED', () => redeemCoupons(c, k('homestay'), { coupons: [zc], holder: did(k('zhang')), amount: RURAL_TERMS.homestayBillFen }, at(nft)));
    await authorizeCoupon(c, k('chen'), cc, did(k('homestay')), at(nft));
    await r.refusal('Chen\'s ¥1,200 stay does not reach 满1500', nft, 'COUPON_THRESHOLD', () => redeemCoupons(c, k('homestay'), { coupons: [cc], holder: did(k('chen')), amount: '120000' }, at(nft)));

    // 5. Gifts: the holding period and soulbound tokens.
    const may = await collectibleMayMove(c, nft, { class: cls.delivery, serial: 1, to: did(k('zhao')) });
    r.step({ title: `may Zhang gift ${cls.delivery}#1 to Zhao now?`, chain: nft, detail: may.ok ? 'yes' : `no: ${may.code} — ${may.reason}`, state: collectibleStateKey.token(cls.delivery, 1) });
    await r.refusal('Zhang gifts a delivery collectible before 180 days of holding', nft, 'COLLECTIBLE_HOLDING', () => giftCollectible(c, k('zhang'), cls.delivery, 1, did(k('zhao')), at(nft)));
    await r.refusal('Zhang gifts the exclusive collectible (soulbound)', nft, 'COLLECTIBLE_LOCKED', () => giftCollectible(c, k('zhang'), cls.exclusive, 1, did(k('zhao')), at(nft)));

    // 6. The distributor donates to the heritage fund and receives craft collectibles and an album.
    await settleFaucet(c, k('distributor'), { currency: 'CNY', amount: RURAL_TERMS.donationFen });
    const don = await settleTransfer(c, k('distributor'), { to: did(k('fund')), currency: 'CNY', amount: RURAL_TERMS.donationFen, memo: 'donation to the intangible-heritage fund' });
    r.step({ title: `the distributor donates ¥${Number(RURAL_TERMS.donationFen) / 100} to the heritage fund`, chain: 'settle', detail: `journal entry ${don.entry}`, state: settlementStateKey.entry(don.entry) });
    const craftNames = ['竹编 bamboo weaving', '蓝印花布 indigo cloth', '剪纸 paper cutting'];
    for (const [i, id] of cls.crafts.entries()) {
      await createCollectibleClass(c, k('fund'), { id, name: `非遗·${craftNames[i]}`, supply: 500, metadata: mediaDigest(craftNames[i]!), rules: { transferable: false } }, at(nft));
    }
    await createCollectibleClass(c, k('fund'), { id: cls.reward, name: '非遗守护人 heritage guardian', supply: 500, metadata: mediaDigest('guardian'), rules: { transferable: false } }, at(nft));
    const albumId = `heritage-album-${tag}`;
    const al = await createAlbum(c, k('fund'), { id: albumId, name: '非遗集邮册', classes: cls.crafts, reward: cls.reward }, at(nft));
    r.step({ title: `the heritage fund creates album ${albumId}`, chain: nft, tx: al.tx.hash, height: al.tx.height, detail: `${craftNames.join(', ')}; completing it earns ${cls.reward}`, state: collectibleStateKey.album(albumId) });
    for (const id of cls.crafts) await mintCollectible(c, k('fund'), id, did(k('distributor')), at(nft));
    r.step({ title: 'the heritage fund gives the distributor one collectible of each craft', chain: nft, detail: cls.crafts.join(', '), state: collectibleStateKey.held(did(k('distributor')), cls.crafts[0]!) });
    const claim = await claimAlbum(c, k('distributor'), albumId, at(nft));
    r.step({ title: `the distributor completes the album and receives ${claim.result.class}#${claim.result.serial}`, chain: nft, tx: claim.tx.hash, height: claim.tx.height, detail: 'the album\'s reward, once per holder', state: collectibleStateKey.token(claim.result.class, claim.result.serial) });
    await r.refusal('the distributor claims the album again', nft, 'COLLECTIBLE_ALBUM_CLAIMED', () => claimAlbum(c, k('distributor'), albumId, at(nft)));

    // 7. The county reads the verified deliveries across chains and pays the subsidy.
    const ask = async (id: string) => {
      const a = await xcallAsk(c, k('countyBureau'), { dstChain: nft, module: 'collectible', query: 'class', args: { id } }, { ...at(county), answerTimeoutMs: 120_000 });
      const ans = a.result as unknown as ClassAnswer | null;
      r.step({ title: `the county asks ${nft} for class ${id} by cross-chain call #${a.sent.result.sequence}`, chain: county, tx: a.sent.tx.hash, height: a.sent.tx.height, detail: ans ? `answer (proven packet and acknowledgement): issuer ${ans.issuer}, ${ans.minted} minted` : 'no such class', state: a.stateKey });
      return ans;
    };
    const deliveries = await ask(cls.delivery);
    const exclusive = await ask(cls.exclusive);
    const ownIssuer = (a: ClassAnswer | null) => (a && a.issuer === did(k('distributor')) ? a.minted : 0);
    const verifiedDeliveries = ownIssuer(deliveries);
    const verifiedExclusive = ownIssuer(exclusive);
    const subsidy = verifiedDeliveries * RURAL_TERMS.subsidyPerDeliveryFen + verifiedExclusive * RURAL_TERMS.subsidyPerExclusiveFen;
    const decision = { kind: 'subsidy-decision', distributor: did(k('distributor')), deliveries: verifiedDeliveries, exclusive: verifiedExclusive, subsidyFen: subsidy, rule: `${RURAL_TERMS.subsidyPerDeliveryFen} fen per delivery + ${RURAL_TERMS.subsidyPerExclusiveFen} fen per exclusive tier`, tag };
    const dec = await notaryPut(c, k('countyBureau'), { hash: digestOf(decision), name: `subsidy decision ${tag}` }, at(county));
    r.step({ title: `the county records its subsidy decision: ¥${subsidy / 100}`, chain: county, tx: dec.hash, height: dec.height, detail: `${verifiedDeliveries} verified deliveries × ¥${RURAL_TERMS.subsidyPerDeliveryFen / 100} + ${verifiedExclusive} exclusive tiers × ¥${RURAL_TERMS.subsidyPerExclusiveFen / 100}`, state: recordStateKey(digestOf(decision)) });
    await settleFaucet(c, k('countyBureau'), { currency: 'CNY', amount: String(subsidy) });
    const paid = await settleTransfer(c, k('countyBureau'), { to: did(k('distributor')), currency: 'CNY', amount: String(subsidy), memo: `${RURAL_SUBSIDY_MEMO}, decision ${digestOf(decision)}` });
    r.step({ title: `the county pays the subsidy to the distributor`, chain: 'settle', detail: `¥${subsidy / 100}, journal entry ${paid.entry}`, state: settlementStateKey.entry(paid.entry) });

    // Outcome.
    const bal = async (n: string) => ((await settleBalances(c, did(k(n)))).balances.find((b) => b.currency === 'CNY')?.available ?? '0');
    const [dcls, ecls, campaign, album] = await Promise.all([getCollectibleClass(c, nft, cls.delivery), getCollectibleClass(c, nft, cls.exclusive), getCampaign(c, nft, campaignId), getAlbum(c, nft, albumId)]);
    return {
      scenario: 'rural', api: o.api, steps: r.steps,
      outcome: {
        batch: batch.id,
        credentialsVerified: 2,
        distributor: did(k('distributor')),
        zhang: did(k('zhang')),
        deliveryClass: cls.delivery,
        deliveriesMinted: dcls?.minted ?? 0,
        zhangDeliveries: (await readToken(c, nft, collectibleStateKey.held(did(k('zhang')), cls.delivery))) ?? 0,
        chenDeliveries: (await readToken(c, nft, collectibleStateKey.held(did(k('chen')), cls.delivery))) ?? 0,
        exclusiveMinted: ecls?.minted ?? 0,
        campaign: campaignId,
        couponsIssued: campaign?.issued ?? 0,
        couponsRedeemed: campaign?.redeemed ?? 0,
        campaignSpent: campaign?.spent ?? '0',
        campaignReserved: campaign?.reserved ?? '0',
        campaignBudget: campaign?.budget ?? '0',
        album: albumId,
        albumClaimed: album?.claimed ?? 0,
        verifiedDeliveries,
        verifiedExclusive,
        subsidyFen: String(subsidy),
        distributorCNY: await bal('distributor'),
        fundCNY: await bal('fund'),
        countyCNY: await bal('countyBureau'),
      },
    };
  }
}
