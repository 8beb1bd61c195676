/**
 * The government blockchain application system (政务区块链应用体系, white paper §5.1; docs/gov.md),
 * `shulian up --preset gov`: the catalog, identity, material and signing chains, created through
 * governance as a member would (ensureBusinessChain: propose → vote → genesis), the supervision
 * chain's regulator and rule on the governance chain, and the city's agencies admitted as member
 * organisations, each with its DID and key kept in the data dir. Every step first looks whether it
 * is done, so a second start changes nothing.
 */
import { join } from 'node:path';
import { ShulianError } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair, type KeystoreOptions } from '../crypto/index.ts';
import { keysIn } from './keys.ts';
import { supStateKey } from '../modules/supervision/keys.ts';
import type { RuleSpec } from '../rules/index.ts';
import { GOV_AGENCIES, GOV_CHAINS, GOV_SYSTEM, govMember, govRegulators, sendToken, type AgencySlug, type GovChainRole, type ShulianClient } from '../sdk/index.ts';
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

export interface GovPresetOptions {
  api: string;
  /** Where the agencies' keystores live (`<dataDir>/gov/keys`). */
  keyDir: string;
  keystore?: KeystoreOptions;
  onStep?: (s: ScenarioStep) => void;
}

/** Sets up (or finds set up) the government system on a running alliance whose operator decides alone. */
export async function ensureGovSystem(c: ShulianClient, operator: KeyPair, o: GovPresetOptions): Promise<ScenarioReport> {
  const r = new Reporter(o.api, o.onStep);
  const keys = agencyKeys(o.keyDir, o.keystore, operator.suite);
  const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
  // Chains before members: the agencies join as service providers, outside the create-chain electorate.
  for (const spec of SPECS) await ensureBusinessChain(c, operator, spec, r);
  let admitted = 0;
  for (const a of GOV_AGENCIES) {
    const d = did(keys[a.slug]);
    if (await govMember(c, d)) continue;
    const p = await decide(c, operator, { kind: 'admit-member', title: `Admit ${a.nameZh}`, member: { did: d, name: a.name, nameZh: a.nameZh, roles: ['service-provider'] } } as never);
    admitted++;
    r.step({ title: `governance admits ${a.nameZh} (${a.name}) as a member organisation`, chain: 'gov', tx: p.tx, height: p.height, detail: `admit-member proposal #${p.id} approved; DID ${d}; key ${join(o.keyDir, `${a.slug}.json`)}` });
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
  const chains = await c.chains();
  for (const info of GOV_SYSTEM) {
    if (!chains.some((x) => x.id === info.chain)) throw new ShulianError('SCENARIO_FAILED', `the government system's ${info.nameZh} (${info.chain}) is not running after the preset`);
  }
  return { scenario: 'gov-preset', api: o.api, steps: r.steps, outcome: { chains: GOV_SYSTEM.map((g) => g.chain).join(','), agencies: GOV_AGENCIES.length, admittedNow: admitted } };
}
