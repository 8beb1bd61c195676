/**
 * The government blockchain application system (政务区块链应用体系, white paper §5.1; docs/gov.md),
 * `shulian up --preset gov`: the catalog, identity, material and signing chains, created through
 * governance as a member would (ensureBusinessChain: propose → vote → genesis), the supervision
 * chain's regulator and rule on the governance chain, and the city's agencies admitted as member
 * organisations, each with its DID and key kept in the data dir. Every step first looks whether it
 * is done, so a second start changes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShulianError } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair, type KeystoreOptions } from '../crypto/index.ts';
import { keysIn } from './keys.ts';
import { supStateKey } from '../modules/supervision/keys.ts';
import type { RuleSpec } from '../rules/index.ts';
import { GOV_AGENCIES, GOV_CHAINS, GOV_SYSTEM, deployContractTemplate, draftContract, govMember, govRegulators, sendToken, signContract, type AgencySlug, type GovChainRole, type ShulianClient } from '../sdk/index.ts';
import { decide, ensureBusinessChain, type ChainSpec } from './chain.ts';
import { Reporter, type ScenarioReport, type ScenarioStep } from './report.ts';

const SPECS: Array<ChainSpec & { role: GovChainRole }> = GOV_SYSTEM.filter((g) => g.role !== 'supervision').map(({ role, chain, name, nameZh, modules }) => ({ role, chain, name, nameZh, modules }));

/** The rule the market regulator publishes: a material read the chain refused (no grant, expired, revoked). */
export const GOV_REFUSED_READ_RULE: RuleSpec = {
  id: 'gov-material-refused-read', title: 'A material read without a valid grant', titleZh: '无有效授权的材料调用',
  description: 'An agency tried to reuse a material the holder had not granted it (or whose grant expired or was revoked).',
  severity: 'medium', scope: { chains: [GOV_CHAINS.material], modules: ['material'] },
  kind: 'match', when: 'tx.method == "use" && !ok',
} as RuleSpec;

/** The agencies' keys, `<dir>/<slug>.json` with the password in `<dir>/password` (keys.ts). */
export function agencyKeys(dir: string, keystore: KeystoreOptions = {}, suite: KeyPair['suite'] = 'sm2'): Record<AgencySlug, KeyPair> {
  return keysIn(dir, GOV_AGENCIES.map((a) => a.slug), keystore, suite);
}

/**
 * The agencies' data sharing agreement (政务数据共享协议), signed on the signing chain by every
 * party: lex source, deployed by the Big Data Center (docs/lex.md; the lexcontract signing of
 * every executable contract).
 */
export const GOV_SHARING_SOURCE = `-- Government data sharing agreement (政务数据共享协议, docs/gov.md): the Providing Agency shares
-- the data of a catalog entry with the Requesting Agency until a date, for administrative
-- services only; the Requesting Agency reports each use, and the Contract counts them.
contract gov-data-sharing
version 1.0.0
title "Government Data Sharing Agreement" | "政务数据共享协议"
timezone +08:00
currency CNY

party provider "the Providing Agency" | "数据提供方"
party requester "the Requesting Agency" | "数据使用方"

param sharingEnd: Date "the end of the sharing period" | "共享期限"

state uses: Int "the uses reported" | "已报告的使用次数" = 0

en: {provider} shares the data of the catalog entry named in the annex with {requester} until {sharingEnd}, for administrative services only. {requester} reports every use.
zh: {provider}在{sharingEnd}前向{requester}共享附件所列目录数据，仅用于政务服务。{requester}报告每次使用。

clause reporting "Reporting of Uses" | "使用报告"
  on Used "a use of the shared data" | "一次共享数据的使用" from requester
    set uses = uses + 1
    respond uses = uses
`;

export interface GovPresetOptions {
  api: string;
  /** `<dataDir>/gov`: the agencies' keystores in `keys/`, the agreement's id in `agreement.json`. */
  dir: string;
  keystore?: KeystoreOptions;
  onStep?: (s: ScenarioStep) => void;
}

/** Sets up (or finds set up) the government system on a running alliance whose operator decides alone. */
export async function ensureGovSystem(c: ShulianClient, operator: KeyPair, o: GovPresetOptions): Promise<ScenarioReport> {
  const r = new Reporter(o.api, o.onStep);
  const keyDir = join(o.dir, 'keys');
  const keys = agencyKeys(keyDir, o.keystore, operator.suite);
  const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
  // Chains before members: the agencies join as service providers, outside the create-chain electorate.
  for (const spec of SPECS) await ensureBusinessChain(c, operator, spec, r);
  let admitted = 0;
  for (const a of GOV_AGENCIES) {
    const d = did(keys[a.slug]);
    if (await govMember(c, d)) continue;
    const p = await decide(c, operator, { kind: 'admit-member', title: `Admit ${a.nameZh}`, member: { did: d, name: a.name, nameZh: a.nameZh, roles: ['service-provider'] } } as never);
    admitted++;
    r.step({ title: `governance admits ${a.nameZh} (${a.name}) as a member organisation`, chain: 'gov', tx: p.tx, height: p.height, detail: `admit-member proposal #${p.id} approved; DID ${d}; key ${join(keyDir, `${a.slug}.json`)}` });
  }
  if (admitted === 0) r.step({ title: 'the agencies are members', chain: 'gov', detail: GOV_AGENCIES.map((a) => `${a.nameZh} ${did(keys[a.slug])}`).join('; ') });
  const market = GOV_AGENCIES.find((a) => a.regulator)!;
  const regDid = did(keys[market.slug]);
  if (!(await govRegulators(c)).some((x) => x.did === regDid)) {
    const p = await decide(c, operator, {
      kind: 'register-regulator', title: `Register ${market.nameZh} as the government system's regulator`,
      regulator: { did: regDid, name: market.name, nameZh: market.nameZh, chains: SPECS.map((s) => s.chain) },
    } as never);
    r.step({ title: `governance registers ${market.nameZh} as regulator of the government chains`, chain: 'gov', tx: p.tx, height: p.height, detail: `register-regulator proposal #${p.id}; scope ${SPECS.map((s) => s.chain).join(', ')}` });
  }
  if ((await c.state('gov', supStateKey.rule(GOV_REFUSED_READ_RULE.id))).value === null) {
    const p = await sendToken<{ version: number }>(c, keys[market.slug], 'supervision', 'publish', { rule: GOV_REFUSED_READ_RULE }, { chain: 'gov', timeoutMs: 60_000 });
    r.step({ title: `${market.nameZh} publishes the rule "${GOV_REFUSED_READ_RULE.titleZh}"`, chain: 'gov', tx: p.tx.hash, height: p.tx.height, detail: 'an alert for every material read the material chain refused', state: supStateKey.rule(GOV_REFUSED_READ_RULE.id) });
  }
  const agreement = await ensureAgreement(c, keys, o.dir, r);
  const chains = await c.chains();
  for (const info of GOV_SYSTEM) {
    if (!chains.some((x) => x.id === info.chain)) throw new ShulianError('SCENARIO_FAILED', `the government system's ${info.nameZh} (${info.chain}) is not running after the preset`);
  }
  return { scenario: 'gov-preset', api: o.api, steps: r.steps, outcome: { chains: GOV_SYSTEM.map((g) => g.chain).join(','), agencies: GOV_AGENCIES.length, admittedNow: admitted, agreement } };
}

/**
 * The Big Data Center shares data with the Health Commission under a lex contract on the signing
 * chain, signed by both (a contract in force on 签署链); its id is kept in `<dir>/agreement.json`
 * so a later start finds it instead of drafting another.
 */
async function ensureAgreement(c: ShulianClient, keys: Record<AgencySlug, KeyPair>, dir: string, r: Reporter): Promise<string> {
  const file = join(dir, 'agreement.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { id: string }).id;
  const chain = GOV_CHAINS.sign;
  const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
  const dep = await deployContractTemplate(c, keys.bigdata, GOV_SHARING_SOURCE, { chain });
  const sharingEnd = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  const d = await draftContract(c, keys.bigdata, { template: dep.result.template, params: { sharingEnd }, parties: { provider: did(keys.bigdata), requester: did(keys.health) } }, { chain });
  let status = '';
  for (const k of [keys.bigdata, keys.health]) status = (await signContract(c, k, d.result.id, d.result.fingerprint, { chain })).result.status;
  if (status !== 'active') throw new ShulianError('SCENARIO_FAILED', `the data sharing agreement ${d.result.id} is ${status} after both agencies signed, not active`);
  writeFileSync(file, JSON.stringify({ id: d.result.id, template: dep.result.template, chain }) + '\n');
  r.step({ title: '市大数据中心 and 卫健委 sign the data sharing agreement 政务数据共享协议 on the signing chain', chain, tx: d.tx, height: d.height, detail: `contract ${d.result.id} (template ${dep.result.template.slice(0, 12)}…), in force until ${sharingEnd}; the rendered text's fingerprint signed by both parties` });
  return d.result.id;
}
