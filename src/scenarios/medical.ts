/**
 * Scenario 医研结合 (white paper §4.1; scenarios/medical/README.md), over the SDK and the services
 * its caller hands in (privacy parties, the requester's side, a metering gateway). Alumni register
 * their DIDs on the identity chain and consent, under pairwise DIDs, that the alumni association
 * use their hospital records for research, usable but not visible; the hospitals grant the
 * association aggregate use only once the consortium's threshold of consents is reached; the
 * compute provider holds the cohort and runs the receiving side of a PSI-sum with each hospital,
 * the association receives only the sums (a federated statistic pooled over both hospitals); a
 * withdrawn consent leaves that alumnus out of the next round. The result is an API product on
 * the market; teachers, a clinic, the government and a pharmaceutical company call it through the
 * metering gateway on four plans; the period's revenue is split by the consortium agreement signed
 * beforehand, with tax withheld and invoices on the settlement chain.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalBytes, foreign, ShulianError, toHex, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, type KeyPair } from '../crypto/index.ts';
import { encodeMultikey, issueCredential, keyPairSigner } from '../did/index.ts';
import { catalogStateKey } from '../modules/catalog/keys.ts';
import { consentStateKey } from '../modules/consent/keys.ts';
import { dataauthStateKey } from '../modules/dataauth/keys.ts';
import { docStateKey } from '../modules/did/keys.ts';
import { lexFullKey } from '../modules/lexcontract/keys.ts';
import { marketStateKey } from '../modules/market/keys.ts';
import { recordStateKey } from '../modules/notary/keys.ts';
import { settlementFullKey as settlementStateKey } from '../modules/settlement/keys.ts';
import { privacyStateKey } from '../modules/privacy/keys.ts';
import {
  approveRequest, callProduct, deployContractTemplate, draftContract, draftSubscription, getConsent, getContract, getContractTemplate, giveConsent, notaryPut,
  pairwiseKey, providerRevenue, publishDataset, publishProduct, refuseRequest, requestData, settleBalances, settleFaucet, settleGrantMandate,
  settleInstructionByKey, settleInvoices, settlePeriod, signContract, signSubscription, submitContractEvent, subscribe, subscriptionUsage, withdrawConsent,
  MEDICAL_PRODUCT_PREFIX, type DatasetInput, type Plan, type ProductInput, type ShulianClient,
} from '../sdk/index.ts';
import { until } from './chain.ts';
import { contractPaid, type ScenarioOptions } from './lowcarbon.ts';
import { MEDICAL_CONTRACT_SOURCE } from './medical-contract.ts';
import { consortiumPayout, MEDICAL_COLUMNS, MEDICAL_TERMS as T, planCharge, type HospitalRow } from './medical-terms.ts';
import { Reporter, type ScenarioReport } from './report.ts';
import type { PrivacyOutcome, RunningService } from './services.ts';

const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
const digestOf = (doc: JsonValue) => toHex(sm3(canonicalBytes(doc)));
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;
/** A lex Money value as the contract responds it ({currency, minor}). */
const money = (v: JsonValue | undefined) => yuan(Number((v as { minor?: number } | null)?.minor ?? NaN));
const ORGS = ['association', 'hospitalA', 'hospitalB', 'algorithm', 'compute', 'gateway', 'taxBureau', 'teacher', 'clinic', 'government', 'pharma', 'student'] as const;
type Org = (typeof ORGS)[number];
const NAMES: Record<Org, string> = {
  association: 'alumni association 校友会', hospitalA: 'First Hospital 第一医院', hospitalB: 'Second Hospital 第二医院', algorithm: 'algorithm provider 算法服务商',
  compute: 'compute provider 算力提供方', gateway: 'the association\'s metering gateway 计量网关', taxBureau: 'tax bureau 税务机关', teacher: 'a medical school teacher 教师科研',
  clinic: 'a community hospital 医院诊断', government: 'the health commission 政府采购', pharma: 'a pharmaceutical company 药企研发', student: 'a student without a subscription',
};

/**
 * Runs the story on the alliance `c` serves. Everything it needs is on the embedded chains (identity,
 * notary, data, sign, settle), so no governance vote is asked for; the operator's key only fixes
 * the signature suite of the organisations' fresh keys.
 */
export async function runMedical(c: ShulianClient, operator: KeyPair, o: ScenarioOptions): Promise<ScenarioReport> {
  if (!o.services) throw new ShulianError('SCENARIO_FAILED', 'the medical scenario runs privacy parties and a metering gateway: run it with `shulian scenario run medical`, which provides them');
  const svc = o.services;
  const r = new Reporter(o.api, o.onStep);
  const tag = o.tag ?? Date.now().toString(36);
  const suite = operator.suite;
  const k = Object.fromEntries(ORGS.map((n) => [n, generateKeyPair(suite)])) as Record<Org, KeyPair>;
  const alumni = Array.from({ length: T.alumni }, () => generateKeyPair(suite));
  // Each alumnus' DID for the association (pairwise: unlinkable to their other relationships); the hospitals index the study's records under it.
  const pairwise = alumni.map((m) => pairwiseKey(m, did(k.association)));
  const dir = mkdtempSync(join(tmpdir(), 'shulian-medical-'));
  const running: Array<{ stop(): Promise<void> }> = [];
  try {
    return await story();
  } finally {
    for (const s of running.reverse()) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }

  async function story(): Promise<ScenarioReport> {
    r.step({ title: 'participants', detail: ORGS.map((n) => `${NAMES[n]}: ${did(k[n])}`).join('; ') });

    // 1. Alumni sign in with their government-app identity: their DIDs on the identity chain.
    const created = await Promise.all(alumni.map(async (m) => c.waitForTx(await c.send('identity', m, { module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey(m.suite, m.publicKey) } }))));
    for (const x of created) if (x.receipt.status !== 'ok') throw new ShulianError('SCENARIO_FAILED', `an alumnus' did.create failed: ${x.receipt.message ?? x.receipt.code}`);
    r.step({ title: `${T.alumni} alumni sign in with their government-app identity (DIDs on the identity chain)`, chain: 'identity', tx: created[0]!.hash, height: created[0]!.height, detail: `did.create for ${alumni.map(did).join(', ')}; each then consents under a pairwise DID for the association`, state: docStateKey(did(alumni[0]!)), links: created.slice(1).map((x) => r.txLink(x.hash)) });

    // 2. The algorithm provider registers the federated statistic it contributes.
    const algorithm = { kind: 'federated-statistic', name: 'alumni diabetes burden', protocol: 'psi-sum', columns: [...MEDICAL_COLUMNS], pooled: 'sum over hospitals of count, visits, costFen, diabetic; mean cost = costFen / count', minCohort: T.minConsents };
    const alg = await notaryPut(c, k.algorithm, { hash: digestOf(algorithm), name: `medical statistic ${tag}` });
    r.step({ title: 'the algorithm provider registers the federated statistic', chain: 'notary', tx: alg.hash, height: alg.height, detail: `PSI-sum of ${MEDICAL_COLUMNS.join(', ')} per hospital over the consenting cohort, pooled across hospitals; specification SM3 ${digestOf(algorithm)}`, state: recordStateKey(digestOf(algorithm)) });

    // 3. Datasets keyed by DID, each served by its owner's privacy party and listed in the catalog.
    const ids = { cohort: `alumni-cohort-${tag}`, a: `hospital-a-visits-${tag}`, b: `hospital-b-visits-${tag}` };
    const cohortFile = join(dir, 'cohort.jsonl');
    writeFileSync(cohortFile, pairwise.map((p, i) => JSON.stringify({ did: did(p), year: 2001 + i })).join('\n') + '\n');
    const hospitalFile = (h: 'a' | 'b') => {
      const f = join(dir, `hospital-${h}.csv`);
      const rows = (T.hospitals[h] as readonly HospitalRow[]).map((x) => [x.alumnus !== undefined ? did(pairwise[x.alumnus]!) : did(generateKeyPair(suite)), x.visits, x.costFen, x.diabetic].join(','));
      writeFileSync(f, [`did,${MEDICAL_COLUMNS.join(',')}`, ...rows].join('\n') + '\n');
      return f;
    };
    const parties: Record<'cohort' | 'a' | 'b', RunningService> = {
      cohort: await svc.privacyParty(k.compute, { [ids.cohort]: cohortFile }),
      a: await svc.privacyParty(k.hospitalA, { [ids.a]: hospitalFile('a') }),
      b: await svc.privacyParty(k.hospitalB, { [ids.b]: hospitalFile('b') }),
    };
    running.push(...Object.values(parties));
    const owner: Record<'cohort' | 'a' | 'b', KeyPair> = { cohort: k.compute, a: k.hospitalA, b: k.hospitalB };
    const titles = { cohort: ['Alumni research cohort', '校友研究队列'], a: ['First Hospital visits of study participants', '第一医院研究对象就诊记录'], b: ['Second Hospital visits of study participants', '第二医院研究对象就诊记录'] } as const;
    for (const x of ['cohort', 'a', 'b'] as const) {
      const ds: DatasetInput = {
        id: ids[x], title: { en: titles[x][0], zh: titles[x][1] }, description: { en: `${titles[x][0]}, keyed by pairwise DID; usable through privacy computing only`, zh: `${titles[x][1]}，以成对DID为键，仅可通过隐私计算使用` },
        keywords: ['health', 'alumni'], themes: ['HEAL'], frequency: 'MONTHLY', sensitivity: 'conditional',
        distributions: [{ id: 'psi', mediaType: x === 'cohort' ? 'application/jsonl' : 'text/csv', accessUrl: parties[x].url, service: 'psi' }],
        services: [{ id: 'psi', title: { en: 'PSI party' }, kind: 'privacy-computing', endpointUrl: parties[x].url }],
      } as DatasetInput;
      const p = await publishDataset(c, owner[x], ds);
      r.step({ title: `${x === 'cohort' ? NAMES.compute : NAMES[x === 'a' ? 'hospitalA' : 'hospitalB']} lists ${ids[x]} in the catalog, served by its privacy party`, chain: 'data', tx: p.tx.hash, height: p.tx.height, detail: `sensitivity conditional (有条件开放); the records never leave ${parties[x].url}: only masked identifiers and encrypted sums do`, state: catalogStateKey.dataset(ids[x]) });
    }
    const cohortGrant = await grantOf(ids.cohort, k.compute, T.cohortGrantCount);
    r.step({ title: 'the compute provider grants the association aggregate use of the cohort', chain: 'data', detail: `grant ${cohortGrant} (ODRL: aggregate, purpose ${T.purpose}, at most ${T.cohortGrantCount} uses: a run with each hospital per round, and room for more hospitals)`, state: dataauthStateKey.grant(cohortGrant) });

    // 4. Consents: four alumni first — below the consortium's threshold.
    const consents = new Map<number, string>();
    const consent = async (i: number) => {
      const g = await giveConsent(c, pairwise[i]!, { controller: did(k.association), purpose: T.purpose, personalData: ['dpv-pd:HealthRecord', 'dpv-pd:MedicalHealth'], processing: ['dpv:Analyse'] },
        async (u) => (await issueCredential(u, keyPairSigner(pairwise[i]!, { fragment: 'multikey' }))) as unknown as Record<string, unknown>);
      consents.set(i, g.digest);
      return g;
    };
    const first = await Promise.all(T.firstConsents.map(consent));
    r.step({ title: `${first.length} alumni consent: their hospital records, for the association's research, usable but not visible`, chain: 'data', tx: first[0]!.tx.hash, height: first[0]!.tx.height, detail: `consent VCs signed by each pairwise DID (DPV: controller the association, purpose ${T.purpose}, processing dpv:Analyse); only digests on chain: ${first.map((g) => g.digest.slice(0, 12)).join(', ')}…`, state: consentStateKey.consent(first[0]!.digest), links: first.slice(1).map((g) => r.txLink(g.tx.hash)) });

    // The association asks each hospital; each counts the consents in force on chain and refuses below the threshold.
    const hospitals = [['a', k.hospitalA, 'hospitalA'], ['b', k.hospitalB, 'hospitalB']] as const;
    for (const [h, key, name] of hospitals) {
      const req = await requestData(c, k.association, { dataset: ids[h], purpose: T.purpose, actions: ['aggregate'], count: T.hospitalGrantCount });
      const n = await activeConsents([...consents.values()]);
      if (n >= T.minConsents) throw new ShulianError('SCENARIO_FAILED', `${n} consents before the threshold step; the story needs fewer than ${T.minConsents}`);
      const ref = await refuseRequest(c, key, req.result.request, `${n} alumni consents in force; the consortium agreement needs ${T.minConsents} before any computation`);
      r.step({ title: `${NAMES[name]} refuses the association's request #${req.result.request}: ${n} of ${T.minConsents} consents`, chain: 'data', tx: ref.tx.hash, height: ref.tx.height, detail: 'the hospital counted the consents the association showed it, each read from the data chain (in force, controller the association, purpose research)', state: dataauthStateKey.request(req.result.request) });
    }
    await r.refusal('a run below the threshold, without a hospital\'s grant (naming the cohort grant for the hospital\'s data)', 'data', 'PRIVACY_BAD_REQUEST', () => svc.privacyRun(k.association, {
      protocol: 'psi-sum', receiver: { dataset: ids.cohort, grant: cohortGrant }, sender: { dataset: ids.a, grant: cohortGrant }, columns: [...MEDICAL_COLUMNS], purpose: T.purpose, consents: [...consents.values()],
    }));

    // 5. Two more alumni consent: the threshold is reached and the hospitals grant.
    const later = await Promise.all(T.laterConsents.map(consent));
    r.step({ title: `${later.length} more alumni consent: ${consents.size} in force, the threshold of ${T.minConsents} is reached`, chain: 'data', tx: later[0]!.tx.hash, height: later[0]!.tx.height, detail: `digests ${later.map((g) => g.digest.slice(0, 12)).join(', ')}…; alumnus ${T.alumni - 1} never consents and stays out of every run`, state: consentStateKey.consent(later[0]!.digest), links: later.slice(1).map((g) => r.txLink(g.tx.hash)) });
    const grants: Record<'a' | 'b', number> = { a: 0, b: 0 };
    for (const [h, key, name] of hospitals) {
      const n = await activeConsents([...consents.values()]);
      if (n < T.minConsents) throw new ShulianError('SCENARIO_FAILED', `only ${n} consents in force`);
      grants[h] = await grantOf(ids[h], key, T.hospitalGrantCount);
      r.step({ title: `${NAMES[name]} grants the association aggregate use of ${ids[h]}`, chain: 'data', detail: `${n} consents in force ≥ ${T.minConsents}: grant ${grants[h]} (aggregate, ${T.purpose}, at most ${T.hospitalGrantCount} runs)`, state: dataauthStateKey.grant(grants[h]) });
    }

    // 6. Round 1: a PSI-sum with each hospital; the association learns only the sums.
    const round = async (n: number, cohort: number[]) => {
      const out: Record<'a' | 'b', PrivacyOutcome> = {} as Record<'a' | 'b', PrivacyOutcome>;
      for (const [h, , name] of hospitals) {
        const res = await svc.privacyRun(k.association, {
          protocol: 'psi-sum', receiver: { dataset: ids.cohort, grant: cohortGrant }, sender: { dataset: ids[h], grant: grants[h] }, columns: [...MEDICAL_COLUMNS], purpose: T.purpose, consents: cohort.map((i) => consents.get(i)!),
        });
        out[h] = res;
        r.step({ title: `round ${n}: PSI-sum #${res.run} over the cohort and ${NAMES[name]}: ${res.count} consenting alumni among its patients`, chain: 'data', detail: `sums ${Object.entries(res.sums ?? {}).map(([col, v]) => `${col} ${v}`).join(', ')}; admitted against ${cohort.length} consents (their Merkle root on the run); result SM3 ${res.resultDigest} recorded by the association`, state: privacyStateKey.run(res.run) });
      }
      return out;
    };
    const cohort1 = [...consents.keys()].sort();
    const round1 = await round(1, cohort1);

    // 7. An alumnus withdraws: the old consent list is refused, the next round leaves them out.
    const w = await withdrawConsent(c, pairwise[T.withdraws]!, consents.get(T.withdraws)!);
    r.step({ title: `alumnus ${T.withdraws} withdraws their consent`, chain: 'data', tx: w.tx.hash, height: w.tx.height, detail: `effective from block ${w.result.effectiveFrom}; the consent's history keeps both states`, state: consentStateKey.consent(consents.get(T.withdraws)!) });
    await r.refusal('a run naming the withdrawn consent', 'data', 'CONSENT_WITHDRAWN', () => svc.privacyRun(k.association, {
      protocol: 'psi-sum', receiver: { dataset: ids.cohort, grant: cohortGrant }, sender: { dataset: ids.a, grant: grants.a }, columns: [...MEDICAL_COLUMNS], purpose: T.purpose, consents: cohort1.map((i) => consents.get(i)!),
    }));
    const cohort2 = cohort1.filter((i) => i !== T.withdraws);
    if (await activeConsents(cohort2.map((i) => consents.get(i)!)) < T.minConsents) throw new ShulianError('SCENARIO_FAILED', 'the second round is below the threshold');
    const round2 = await round(2, cohort2);
    // Each hospital's grant allows two runs (the owner's bound on differencing, docs/privacy.md): a third is refused.
    await r.refusal(`a third run with ${NAMES.hospitalA}'s records, past its grant's ${T.hospitalGrantCount} uses`, 'data', 'ODRL_CONSTRAINT', () => svc.privacyRun(k.association, {
      protocol: 'psi-sum', receiver: { dataset: ids.cohort, grant: cohortGrant }, sender: { dataset: ids.a, grant: grants.a }, columns: [...MEDICAL_COLUMNS], purpose: T.purpose, consents: cohort2.map((i) => consents.get(i)!),
    }));
    const pooled = (rd: Record<'a' | 'b', PrivacyOutcome>) => {
      const s = (col: string) => Number(rd.a.sums?.[col] ?? 0) + Number(rd.b.sums?.[col] ?? 0);
      const count = rd.a.count + rd.b.count;
      return { records: count, visits: s('visits'), costFen: s('costFen'), diabetic: s('diabetic'), meanCostFen: count ? Math.floor(s('costFen') / count) : 0, runs: [rd.a.run, rd.b.run] };
    };
    const [p1, p2] = [pooled(round1), pooled(round2)];
    r.step({ title: `the pooled statistic: ${p1.records} → ${p2.records} patient records after the withdrawal`, detail: `round 1 (${cohort1.length} consents): ${p1.records} records, ${p1.visits} visits, ${p1.diabetic} diabetic, mean cost ${yuan(p1.meanCostFen)}; round 2 (${cohort2.length}): ${p2.records} records, ${p2.visits} visits, ${p2.diabetic} diabetic, mean cost ${yuan(p2.meanCostFen)}` });

    // 8. The consortium agreement, signed by all before the product exists.
    const start = Date.now();
    const periodMs = T.periodSeconds * 1000;
    const dep = await deployContractTemplate(c, k.association, MEDICAL_CONTRACT_SOURCE);
    const K = T.consortium;
    const pct = (bp: number) => `${bp / 100}%`;
    const d = await draftContract(c, k.association, {
      template: dep.result.template,
      params: { minConsents: T.minConsents, firstPeriod: start, periodLength: periodMs, periods: 1, settleWithin: 86_400_000, associationFee: pct(K.associationFeeBp), hospitalAShare: pct(K.hospitalABp), hospitalBShare: pct(K.hospitalBBp), algorithmShare: pct(K.algorithmBp), computeShare: pct(K.computeBp), withholdingRate: pct(K.withholdingBp) },
      parties: { association: did(k.association), hospitalA: did(k.hospitalA), hospitalB: did(k.hospitalB), algorithm: did(k.algorithm), compute: did(k.compute), taxAuthority: did(k.taxBureau) },
    });
    const agreement = d.result.id;
    await Promise.all((['association', 'hospitalA', 'hospitalB', 'algorithm', 'compute', 'taxBureau'] as const).map((n) => signContract(c, k[n], agreement, d.result.fingerprint)));
    r.step({ title: 'the association, both hospitals, the algorithm and the compute provider sign the consortium agreement (lex)', chain: 'sign', tx: d.tx, height: d.height, detail: `contract ${agreement}: no computation below ${T.minConsents} consents; the association's fee ${pct(K.associationFeeBp)}, the rest ${pct(K.hospitalABp)} / ${pct(K.hospitalBBp)} to the hospitals, ${pct(K.algorithmBp)} algorithm, ${pct(K.computeBp)} compute; ${pct(K.withholdingBp)} tax withheld on each hospital's share`, state: lexFullKey.instance(agreement) });
    const agreementGrantee = { chain: 'sign', port: 'lexcontract', contract: agreement };
    await settleGrantMandate(c, k.association, { grantee: agreementGrantee, currency: 'CNY', cap: '10000000', service: { description: 'Medical research statistics API: consortium revenue share' } } as Parameters<typeof settleGrantMandate>[2]);
    for (const h of [k.hospitalA, k.hospitalB]) await settleGrantMandate(c, h, { grantee: agreementGrantee, currency: 'CNY', cap: '1000000' });
    r.step({ title: 'mandates: the association lets the agreement pay its partners (invoiced); the hospitals let it withhold their tax', chain: 'settle', detail: `grantee sign/lexcontract/${agreement}`, state: settlementStateKey.mandate(did(k.association), 'CNY', 'sign', 'lexcontract', agreement), links: [k.hospitalA, k.hospitalB].map((h) => r.stateLink('settle', settlementStateKey.mandate(did(h), 'CNY', 'sign', 'lexcontract', agreement))) });

    // 9. The result as an API product, behind the association's metering gateway.
    const product = `${MEDICAL_PRODUCT_PREFIX}${tag}`;
    const api = await upstream({ product, algorithm: digestOf(algorithm), minConsents: T.minConsents, latest: { round: 2, consents: cohort2.length, ...p2 }, history: [{ round: 1, consents: cohort1.length, ...p1 }] });
    running.push(api);
    const gw = await svc.meteringGateway(k.gateway, join(dir, 'gateway'), { [product]: { upstream: api.url } });
    running.push(gw);
    const sub = await getContractTemplate(c, 'api-subscription');
    const subTemplate = (await deployContractTemplate(c, k.association, sub.source)).result.template;
    const plans: Plan[] = (Object.entries(T.plans) as Array<[keyof typeof T.plans, (typeof T.plans)[keyof typeof T.plans]]>).map(([id, p]) => ({
      id, kind: p.kind, unit: 'call', currency: 'CNY', template: subTemplate, baseFee: p.baseFee, includedUnits: p.includedUnits, unitPrice: p.unitPrice, tierUnits: p.tierUnits, tierPrice: p.tierPrice, quota: p.quota,
      rateLimit: 50, periodSeconds: T.periodSeconds, periods: 1, graceSeconds: T.graceSeconds,
      // The buyers pay the association, the seller; the consortium agreement shares it out.
      shares: { provider: 10_000, dataSource: 0, algorithm: 0, compute: 0 }, withholdingBp: 0, taxAuthority: did(k.taxBureau),
    }));
    const input: ProductInput = {
      id: product, title: 'Alumni medical research statistics', titleZh: '校友医疗科研统计', category: 'computation', openapi: digestOf({ openapi: '3.1.0', paths: { '/stats': { get: {} } } }),
      description: 'Statistics over two hospitals\' records of consenting alumni, computed by PSI-sum (usable but not visible)',
      datasets: [ids.cohort, ids.a, ids.b], grants: [cohortGrant, grants.a, grants.b], contributors: { dataSource: did(k.hospitalA), algorithm: did(k.algorithm), compute: did(k.compute) },
      plans, components: [], gateways: [did(k.gateway)],
    };
    const pub = await publishProduct(c, k.association, input);
    r.step({ title: `the association publishes ${product} on the market`, chain: 'sign', tx: pub.tx.hash, height: pub.tx.height, detail: `four plans: ${Object.entries(T.plans).map(([id, p]) => `${id} (${p.kind}${p.baseFee ? ` ${yuan(p.baseFee)}/period, ${p.includedUnits} calls` : ` ${yuan(p.unitPrice)}/call${p.tierUnits ? `, ${yuan(p.tierPrice)} beyond ${p.tierUnits}` : ''}`})`).join(', ')}; relies on grants ${cohortGrant}, ${grants.a}, ${grants.b}: revoking one stops the calls`, state: marketStateKey.product(product) });

    // 10. Four buyers subscribe, each by a contract every party signs, and fund it.
    const subs = {} as Record<Org, string>;
    await Promise.all(T.buyers.map(async (b) => {
      await settleFaucet(c, k[b.who], { currency: 'CNY', amount: String(T.buyerFundsFen) });
      const dr = await draftSubscription(c, k[b.who], product, b.plan, { start });
      await Promise.all((['association', b.who, 'hospitalA', 'algorithm', 'compute', 'taxBureau'] as const).map((n) => signSubscription(c, k[n], dr.id, dr.fingerprint)));
      const s = await subscribe(c, k[b.who], { product, plan: b.plan, contract: dr.id });
      subs[b.who] = s.result.id;
      await settleGrantMandate(c, k[b.who], { grantee: { chain: 'sign', port: 'lexcontract', contract: s.result.id }, currency: 'CNY', cap: String(T.buyerFundsFen), service: { description: 'Alumni medical research statistics API' } } as Parameters<typeof settleGrantMandate>[2]);
      r.step({ title: `${NAMES[b.who]} subscribes on plan ${b.plan}`, chain: 'sign', tx: s.tx.hash, height: s.tx.height, detail: `api-subscription contract ${s.result.id}, signed by the six parties; a mandate lets it pay (invoiced)`, state: marketStateKey.subscription(s.result.id) });
    }));

    // 11. Calls through the gateway; a caller without a subscription is refused.
    const call = async (who: Org, subscription: string): Promise<JsonValue> => {
      const res = await callProduct(gw.url, k[who], { product, subscription, path: '/stats' });
      const body = await res.json() as JsonValue & { error?: { code: string; message: string } };
      if (res.status !== 200) {
        // The gateway's own refusal code (docs/market.md#calling), as the report's refusal steps expect.
        if (body.error?.code) throw new ShulianError(foreign(body.error.code), body.error.message);
        throw new ShulianError('SCENARIO_FAILED', `the gateway answered HTTP ${res.status} with no error code`);
      }
      return body;
    };
    let answered: JsonValue = null;
    for (const b of T.buyers) {
      for (let i = 0; i < b.calls; i++) answered = await call(b.who, subs[b.who]);
      r.step({ title: `${NAMES[b.who]} calls the API ${b.calls} times`, detail: `through the gateway ${gw.url}; each answer's receipt is journaled, signed and committed to the signing chain` });
    }
    await r.refusal('a student calls with the teacher\'s subscription', 'sign', 'GATEWAY_NO_SUBSCRIPTION', () => call('student', subs.teacher));
    const latest = (answered as { latest?: { records?: number } } | null)?.latest?.records;
    if (latest !== p2.records) throw new ShulianError('SCENARIO_FAILED', `the API answered ${JSON.stringify(answered)}, not the second round's statistic`);

    // 12. Period end: each subscription settles by its contract, then the consortium agreement splits the revenue.
    await until('the gateway to commit its receipts', 60_000, async () => (gw.pending() === 0 ? true : undefined));
    await new Promise((res) => setTimeout(res, Math.max(0, start + periodMs + T.graceSeconds * 1000 - Date.now())));
    for (const b of T.buyers) {
      await until(`period 1 of ${b.who}'s subscription to settle`, 60_000, async () => {
        try {
          return await settlePeriod(c, k.association, { subscription: subs[b.who], period: 1 });
        } catch (e) {
          if (e instanceof ShulianError && e.code === 'MARKET_PERIOD_OPEN') return undefined;
          throw e;
        }
      });
    }
    let revenue = 0;
    let calls = 0;
    for (const b of T.buyers) {
      await contractPaid(c, k.association, subs[b.who], 1);
      const u = (await subscriptionUsage(c, subs[b.who])).periods[0]!;
      const charge = planCharge(b.plan, u.usage.units);
      revenue += charge;
      calls += u.usage.units;
      r.step({ title: `${NAMES[b.who]}'s period settles: ${u.usage.units} calls, ${yuan(charge)} paid to the association`, chain: 'sign', detail: `the market reported the usage the gateway committed (MeteredUsage) to contract ${subs[b.who]}, which paid through its mandate on the settlement chain`, state: lexFullKey.instance(subs[b.who]) });
    }
    const rev = await providerRevenue(c, did(k.association));
    if (rev.gross !== revenue) throw new ShulianError('SCENARIO_FAILED', `the subscriptions' contracts charged ${rev.gross} fen, the plans say ${revenue}`);
    const ev = await submitContractEvent(c, k.association, agreement, 'PeriodRevenue', { period: 1, calls, revenue: `CNY ${(revenue / 100).toFixed(2)}` });
    r.step({ title: `the association reports the period's revenue to the consortium agreement: ${yuan(revenue)}`, chain: 'sign', tx: ev.tx, height: ev.height, detail: `the association's fee ${money(ev.result.response.fee)}, shared ${money(ev.result.response.distributable)}, tax withheld ${money(ev.result.response.taxA)} + ${money(ev.result.response.taxB)}; ${ev.result.settlements.length} settlement instructions (the split and two withholdings)`, state: lexFullKey.instance(agreement) });
    const paid = await contractPaid(c, k.association, agreement, ev.result.settlements.length);
    const view = await getContract(c, agreement);
    const split = view.settlements.find((s) => s.instruction.kind === 'split')!;
    const ins = await settleInstructionByKey(c, did(k.association), split.instruction.idempotencyKey, agreementGrantee);
    const invoices = ins ? await settleInvoices(c, ins.id) : [];
    if (!ins || invoices.length !== 4) throw new ShulianError('SCENARIO_FAILED', `the consortium split was not invoiced to its four recipients (${invoices.length} invoices)`);
    const who = new Map<string, string>(ORGS.map((n) => [did(k[n]), NAMES[n]]));
    r.step({ title: 'the settlement chain pays the split and the tax, and invoices each partner', chain: 'settle', detail: `${paid.map((x) => `instruction ${x.n}: ${x.status}`).join('; ')}; invoices (UBL) to the association: ${invoices.map((i) => `${i.id} from ${who.get(i.supplier.did) ?? i.supplier.did} ${yuan(Number(i.totals.payable))}`).join(', ')}`, state: settlementStateKey.instruction(ins.id), links: [r.stateLink('sign', lexFullKey.instance(agreement))] });

    const bal = async (n: Org) => Number((await settleBalances(c, did(k[n]))).balances.find((b) => b.currency === 'CNY')?.available ?? '0');
    const want = consortiumPayout(revenue);
    const outcome: ScenarioReport['outcome'] = {
      tag, association: did(k.association), hospitalA: did(k.hospitalA), hospitalB: did(k.hospitalB), algorithm: did(k.algorithm), compute: did(k.compute), taxBureau: did(k.taxBureau),
      product, agreement, cohortGrant, grantA: grants.a, grantB: grants.b,
      consentsRound1: cohort1.length, consentsRound2: cohort2.length,
      round1A: JSON.stringify({ count: round1.a.count, sums: round1.a.sums }), round1B: JSON.stringify({ count: round1.b.count, sums: round1.b.sums }),
      round2A: JSON.stringify({ count: round2.a.count, sums: round2.a.sums }), round2B: JSON.stringify({ count: round2.b.count, sums: round2.b.sums }),
      recordsRound1: p1.records, recordsRound2: p2.records, runs: [round1.a.run, round1.b.run, round2.a.run, round2.b.run].join(','),
      revenueFen: revenue, calls, invoices: invoices.length,
      ...Object.fromEntries(T.buyers.map((b) => [`sub_${b.who}`, subs[b.who]])),
      ...Object.fromEntries(await Promise.all((['association', 'hospitalA', 'hospitalB', 'algorithm', 'compute', 'taxBureau', 'teacher', 'clinic', 'government', 'pharma'] as const).map(async (n) => [`${n}CNY`, await bal(n)]))),
      associationFeeFen: want.fee,
    };
    return { scenario: 'medical', api: o.api, steps: r.steps, outcome };
  }

  /** The grant the owner gives the association for `dataset` (aggregate use for research, at most `count` uses). */
  async function grantOf(dataset: string, ownerKey: KeyPair, count: number): Promise<number> {
    const req = await requestData(c, k.association, { dataset, purpose: T.purpose, actions: ['aggregate'], count });
    const g = await approveRequest(c, ownerKey, req.result.request);
    return g.result.grant;
  }

  /** How many of `digests` are consents in force for the association and the research purpose, read from the data chain. */
  async function activeConsents(digests: string[]): Promise<number> {
    const recs = await Promise.all(digests.map((x) => getConsent(c, x).catch(() => undefined)));
    return recs.filter((x) => x && x.state === 'given' && x.controller === did(k.association) && x.purpose === T.purpose).length;
  }
}

/** The association's service behind the gateway: the latest pooled statistic, as JSON. */
async function upstream(stats: JsonValue): Promise<RunningService> {
  const body = JSON.stringify(stats);
  const server: Server = createServer((req, res) => {
    if (!req.url?.startsWith('/stats')) { res.writeHead(404, { 'content-type': 'application/json' }); return void res.end('{"error":{"code":"NOT_FOUND","message":"GET /stats"}}'); }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const a = server.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, stop: () => new Promise<void>((ok) => server.close(() => ok())) };
}
