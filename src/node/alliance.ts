import { asJson } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import type { ChainParams, Genesis, ValidatorInfo } from '../ledger/index.ts';
import type { Role } from '../modules/governance/types.ts';

/** Defaults for a chain's parameters; a genesis document may override any of them. */
export const DEFAULT_PARAMS: ChainParams = {
  maxBlockTxs: 1_000,
  maxTxBytes: 64 * 1024,
  maxTxGas: 2_000_000,
  mempoolMaxTxs: 50_000,
  mempoolMaxBytes: 64 * 1024 * 1024,
  maxNonceGap: 1_000,
};

interface ChainPreset {
  chain: string;
  name: string;
  nameZh: string;
  kind: Genesis['kind'];
  modules: string[];
  /** Modules the white paper assigns to this chain that later releases add (see docs/concepts.md). */
  planned: string[];
}

/**
 * The embedded alliance of `shulian up`: the governance chain and the public service chains of
 * the white paper's "public basic service platform" (§ 1+1+1+X). Each chain lists the modules it
 * runs today; `planned` names those its issues will add.
 */
/** Cross-chain modules of every chain that sends or receives: messages, tokens, documents, calls, atomic transactions (xtx coordinates, xlock takes part). */
const XAPPS = ['xchain', 'xtransfer', 'xdoc', 'xcall', 'xlock', 'xtx'];
export const ROUTING_CHAIN = 'xroute';

/**
 * The embedded alliance's founding operator: one organisation that runs the node and, with a
 * `member` seat, also makes up the electorate of the kinds the default policy leaves to member
 * organisations (create-chain and the other business-chain kinds), so a fresh `shulian up` can
 * propose and approve a business chain on its own. Members it admits later vote beside it.
 */
export const EMBEDDED_FOUNDER: { name: string; nameZh: string; roles: Role[] } = {
  name: 'Shulian local alliance operator', nameZh: '数链本地联盟运营方', roles: ['operator', 'member'],
};

export const EMBEDDED_CHAINS: ChainPreset[] = [
  { chain: 'gov', name: 'Governance chain', nameZh: '治理链', kind: 'governance', modules: ['governance', 'supervision', 'notary'], planned: [] },
  { chain: 'identity', name: 'Identity chain', nameZh: '身份链', kind: 'public-service', modules: ['did', 'vcstatus', 'credadmit', 'notary'], planned: [] },
  { chain: 'sign', name: 'Signing chain', nameZh: '签约链', kind: 'public-service', modules: ['lexcontract', 'market', 'notary', ...XAPPS], planned: [] },
  { chain: 'settle', name: 'Settlement chain', nameZh: '结算链', kind: 'public-service', modules: ['settlement', 'notary', ...XAPPS], planned: [] },
  { chain: 'xroute', name: 'Cross-chain routing chain', nameZh: '跨链路由链', kind: 'public-service', modules: ['xroute', 'notary'], planned: [] },
  { chain: 'data', name: 'Public data authorisation chain', nameZh: '公共数据授权链', kind: 'public-service', modules: ['catalog', 'dataauth', 'consent', 'privacy', 'vcstatus', 'notary', ...XAPPS], planned: [] },
  { chain: 'notary', name: 'Notarisation chain', nameZh: '存证链', kind: 'public-service', modules: ['notary', ...XAPPS], planned: [] },
];

/**
 * Cross-chain settings of the embedded alliance: every chain with `xchain` follows the routing
 * chain (trust root: its genesis validators); the routing chain's genesis registers each of
 * them, verified by light client, relayed by `gateways` (default: the validators themselves,
 * whose node runs a gateway), open to any sender. Governance may narrow the policies later.
 */
function withCrossChain(geneses: Genesis[], gateways: Array<{ did: string; publicKey: string }>): Genesis[] {
  const xr = geneses.find((g) => g.chain === ROUTING_CHAIN)!;
  const crossChain = { routeChain: xr.chain, routeSuite: xr.suite, routeConsensus: xr.consensus.type, routeValidators: xr.validators };
  const members = geneses.filter((g) => g.modules.includes('xchain'));
  const routes = members.map((g) => ({
    chain: g.chain, engine: 'shulian', suite: g.suite, consensus: g.consensus.type, validators: g.validators,
    tracksValidators: g.modules.includes('validators'), gateways, inbound: [{ srcChain: '*', dstPort: '*', senders: ['*'] }], status: 'active',
  }));
  return geneses.map((g) => {
    if (g.chain === ROUTING_CHAIN) return { ...g, crossChain: { ...crossChain, routes: routes.map((r) => asJson(r)) } };
    if (g.modules.includes('xchain')) return { ...g, crossChain };
    return g;
  });
}

export interface EmbeddedGenesesOptions {
  alliance: string;
  validators: ValidatorInfo[];
  time: number;
  suite?: Suite;
  gateways?: Array<{ did: string; publicKey: string }>;
  /** Consensus of every chain (default solo; a local cluster runs tbft). */
  consensus?: 'solo' | 'tbft';
  /** Modules every chain runs besides its own (a tbft cluster adds `evidence` and `validators`). */
  extraModules?: string[];
}

/**
 * The embedded alliance's geneses. The routing chain's registrations are computed from the
 * finished geneses, so each route names its chain's real consensus and validator tracking: a
 * route that said `solo` for a tbft chain made every relay fail the light client
 * (XCHAIN_BAD_HEADER "not the chain's only validator", issue #15).
 */
export function embeddedGeneses(opts: EmbeddedGenesesOptions): Genesis[] {
  const gateways = opts.gateways ?? opts.validators.map((v) => ({ did: v.did, publicKey: v.publicKey }));
  return withCrossChain(embeddedGenesesPlain(opts), gateways);
}

function embeddedGenesesPlain(opts: EmbeddedGenesesOptions): Genesis[] {
  return EMBEDDED_CHAINS.map((p) => ({
    chain: p.chain,
    alliance: opts.alliance,
    name: p.name,
    nameZh: p.nameZh,
    kind: p.kind,
    suite: opts.suite ?? 'sm2',
    consensus: { type: opts.consensus ?? 'solo' },
    validators: opts.validators,
    modules: [...p.modules, ...(opts.extraModules ?? [])],
    params: { ...DEFAULT_PARAMS },
    time: opts.time,
  }));
}
