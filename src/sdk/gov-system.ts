/**
 * The government application system (政务区块链应用体系, docs/gov.md) as clients see it: its
 * chains and agencies (the names `shulian up --preset gov` gives them) and a view of what runs,
 * read from the node — for the console's 政务系统 page, the CLI and the preset itself.
 */
import type { ChainStatus, Member } from '../modules/governance/types.ts';
import type { ShulianClient } from './client.ts';
import { govChains, govMembers, govRegulators } from './governance.ts';

/** The five chains of §5.1: four business chains made by governance, and the governance chain's supervision. */
export const GOV_CHAINS = {
  catalog: 'gov-catalog', identity: 'gov-identity', material: 'gov-material', sign: 'gov-sign', supervision: 'gov',
} as const;
export type GovChainRole = keyof typeof GOV_CHAINS;

export interface GovChainInfo {
  role: GovChainRole;
  chain: string;
  name: string;
  nameZh: string;
  modules: string[];
}

export const GOV_SYSTEM: readonly GovChainInfo[] = [
  { role: 'catalog', chain: GOV_CHAINS.catalog, name: 'Government catalog chain', nameZh: '目录链', modules: ['catalog', 'notary'] },
  { role: 'identity', chain: GOV_CHAINS.identity, name: 'Government identity chain', nameZh: '身份链', modules: ['did', 'vcstatus', 'credadmit', 'notary'] },
  { role: 'material', chain: GOV_CHAINS.material, name: 'Government material chain', nameZh: '材料链', modules: ['material', 'notary'] },
  { role: 'sign', chain: GOV_CHAINS.sign, name: 'Government signing chain', nameZh: '签署链', modules: ['lexcontract', 'notary'] },
  { role: 'supervision', chain: GOV_CHAINS.supervision, name: 'Supervision chain (the governance chain\'s supervision)', nameZh: '监管链', modules: ['supervision'] },
];

/** The agencies, admitted as member organisations; `slug` names their keystore in `<data-dir>/gov/keys/`. */
export const GOV_AGENCIES = [
  { slug: 'bigdata', name: 'Municipal Big Data Center', nameZh: '市大数据中心', regulator: false },
  { slug: 'market', name: 'Municipal Administration for Market Regulation', nameZh: '市场监管局', regulator: true },
  { slug: 'hrss', name: 'Municipal Human Resources and Social Security Bureau', nameZh: '人社局', regulator: false },
  { slug: 'health', name: 'Municipal Health Commission', nameZh: '卫健委', regulator: false },
  { slug: 'police', name: 'Municipal Public Security Bureau', nameZh: '公安局', regulator: false },
] as const;
export type AgencySlug = (typeof GOV_AGENCIES)[number]['slug'];

export interface GovChainView extends GovChainInfo {
  /** The node runs it. */
  running: boolean;
  height?: number;
  lastBlockTime?: number;
  /** Its status in the governance registry (the governance chain itself: `active`). */
  status?: ChainStatus;
}

export interface GovAgencyView {
  name: string;
  nameZh: string;
  /** Present once governance admitted it. */
  member?: Member;
  /** Registered as a regulator, with the chains it observes. */
  regulates?: string[];
}

export interface GovSystemView {
  chains: GovChainView[];
  agencies: GovAgencyView[];
  /** Whether every chain runs and every agency is a member: the preset ran. */
  ready: boolean;
}

/** What runs of the government system on the node: its chains with status and heights, its agencies as the member registry knows them. */
export async function govSystemView(c: ShulianClient): Promise<GovSystemView> {
  const [chains, registry, members, regulators] = await Promise.all([c.chains(), govChains(c), govMembers(c), govRegulators(c)]);
  const views: GovChainView[] = GOV_SYSTEM.map((g) => {
    const live = chains.find((x) => x.id === g.chain);
    const rec = registry.find((r) => r.id === g.chain);
    return { ...g, running: live !== undefined, ...(live ? { height: live.height, lastBlockTime: live.lastBlockTime } : {}), ...(rec ? { status: rec.status } : live ? { status: 'active' as const } : {}) };
  });
  // The agencies are the members the preset admitted under these names.
  const agencies: GovAgencyView[] = GOV_AGENCIES.map((a) => {
    const member = members.find((m) => m.nameZh === a.nameZh && m.name === a.name);
    const reg = member ? regulators.find((r) => r.did === member.did) : undefined;
    return { name: a.name, nameZh: a.nameZh, ...(member ? { member } : {}), ...(reg ? { regulates: reg.chains } : {}) };
  });
  return { chains: views, agencies, ready: views.every((v) => v.running) && agencies.every((a) => a.member !== undefined) };
}
