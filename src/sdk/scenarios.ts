/**
 * What the console's Scenarios page shows (scenarios/<name>/README.md), read from the chains — never
 * from a file a run left behind: the chains a scenario made, its collectibles, campaigns and
 * methodologies (the modules' listings), the county's cross-chain answers and the subsidy it paid
 * (乡村振兴), the carbon-coupons contracts that split the mall's acquisition cost (低碳生活), and the
 * medical statistics product with its privacy runs, subscriptions and consortium split (医研结合).
 * Browser-safe: reads only.
 */
import type { JsonValue } from '../codec/index.ts';
import type { JournalEntry } from '../modules/settlement/types.ts';
import type { DocRecord } from '../modules/xdoc/types.ts';
import type { XtxOp, XtxRecord } from '../modules/xtx/types.ts';
import type { CarbonStats, ClassRecord, CampaignRecord, ProposalRecord } from './tokens.ts';
import { carbonMethodologies, carbonTotals, collectibleClasses, couponCampaigns } from './tokens.ts';
import { xcallResult } from './xcall.ts';
import { getContract, listContracts, type ContractView } from './contracts.ts';
import { listProducts, listSubscriptions, subscriptionUsage, type ProductRecord, type SubscriptionRecord } from './market.ts';
import type { RunRecord } from '../modules/privacy/types.ts';
import type { ShulianClient } from './client.ts';

/** The business chains each scenario creates by governance. */
export const RURAL_CHAINS = { trace: 'farm-trace', nft: 'heritage-nft', county: 'rural-county' } as const;
export const LOWCARBON_CHAIN = 'green-travel';
/** The business chains of the trade scenario (航贸数链): the platform, the carrier's eBL chain, the bank's trade-finance chain. */
export const TRADE_CHAINS = { trade: 'tradechain', carrier: 'carrier-ebl', bank: 'bank-trade' } as const;
/** Class ids the rural scenario gives its delivery and exclusive collectibles (`<prefix><run tag>`). */
export const RURAL_CLASS_PREFIX = { delivery: 'feiyi-delivery-', exclusive: 'feiyi-exclusive-' } as const;
/** The memo the county's subsidy payments carry on the settlement chain. */
export const RURAL_SUBSIDY_MEMO = 'rural revitalisation subsidy';
/** Product ids the medical scenario (医研结合) gives its statistics API on the market (`<prefix><run tag>`). */
export const MEDICAL_PRODUCT_PREFIX = 'medical-stats-';

export interface CrossChainAnswer {
  sequence: number;
  module: string;
  query: string;
  args: JsonValue;
  status: string;
  result?: JsonValue;
  error?: string;
}

export interface RuralRun {
  tag: string;
  delivery: ClassRecord;
  exclusive?: ClassRecord;
  campaign?: CampaignRecord;
  /** The subsidy payments to the delivery class's issuer (the distributor), newest first. */
  subsidies: JournalEntry[];
}

export interface RuralView {
  chains: Record<keyof typeof RURAL_CHAINS, boolean>;
  runs: RuralRun[];
  /** The questions the county chain asked the collectibles chain, and the proven answers it keeps. */
  answers: CrossChainAnswer[];
}

export interface LowCarbonView {
  running: boolean;
  methodologies: Array<{ proposal: ProposalRecord; stats?: CarbonStats }>;
  totals: { supply: string; retired: string; retirements: number };
  campaigns: CampaignRecord[];
  /** The carbon-coupons contracts each campaign's issuer (the mall) is party to, with their settlements. */
  contracts: ContractView[];
}

async function chainIds(c: ShulianClient): Promise<Set<string>> {
  return new Set((await c.chains()).map((x) => x.id));
}

/** The answers kept on `chain` for its xcall packets to `dst` (the newest 50). */
export async function crossChainAnswers(c: ShulianClient, chain: string, dst: string): Promise<CrossChainAnswer[]> {
  const out = await c.getJson<{ lastSequence: number; packets: Array<{ packet: { sequence: number; srcPort: string; payload: JsonValue } }> }>(
    `/chains/${encodeURIComponent(chain)}/xchain/outbox?dst=${encodeURIComponent(dst)}&from=1&limit=50`);
  const calls = out.packets.filter((p) => p.packet.srcPort === 'xcall');
  return Promise.all(calls.map(async ({ packet }) => {
    const q = packet.payload as { module?: string; query?: string; args?: JsonValue };
    const r = await xcallResult(c, chain, dst, packet.sequence);
    return {
      sequence: packet.sequence, module: q.module ?? '', query: q.query ?? '', args: q.args ?? null, status: r?.status ?? 'unknown',
      ...(r?.result !== undefined ? { result: r.result } : {}), ...(r?.error !== undefined ? { error: r.error } : {}),
    };
  }));
}

export async function ruralView(c: ShulianClient): Promise<RuralView> {
  const ids = await chainIds(c);
  const chains = { trace: ids.has(RURAL_CHAINS.trace), nft: ids.has(RURAL_CHAINS.nft), county: ids.has(RURAL_CHAINS.county) };
  if (!chains.nft) return { chains, runs: [], answers: [] };
  const [classes, campaigns] = await Promise.all([collectibleClasses(c, RURAL_CHAINS.nft), couponCampaigns(c, RURAL_CHAINS.nft)]);
  const runs = await Promise.all(classes.filter((x) => x.id.startsWith(RURAL_CLASS_PREFIX.delivery)).map(async (delivery): Promise<RuralRun> => {
    const tag = delivery.id.slice(RURAL_CLASS_PREFIX.delivery.length);
    const exclusive = classes.find((x) => x.id === `${RURAL_CLASS_PREFIX.exclusive}${tag}`);
    const campaign = campaigns.find((x) => x.id === `homestay-${tag}`);
    const journal = await c.getJson<{ entries: JournalEntry[] }>(`/settlement/journal?account=${encodeURIComponent(delivery.issuer)}&currency=CNY&limit=100`).catch(() => ({ entries: [] }));
    const subsidies = journal.entries.filter((e) => e.memo?.startsWith(RURAL_SUBSIDY_MEMO));
    return { tag, delivery, subsidies, ...(exclusive ? { exclusive } : {}), ...(campaign ? { campaign } : {}) };
  }));
  const answers = chains.county ? await crossChainAnswers(c, RURAL_CHAINS.county, RURAL_CHAINS.nft) : [];
  return { chains, runs, answers };
}

export async function lowCarbonView(c: ShulianClient): Promise<LowCarbonView> {
  const running = (await chainIds(c)).has(LOWCARBON_CHAIN);
  if (!running) return { running, methodologies: [], totals: { supply: '0', retired: '0', retirements: 0 }, campaigns: [], contracts: [] };
  const [methodologies, totals, campaigns] = await Promise.all([carbonMethodologies(c, LOWCARBON_CHAIN), carbonTotals(c, LOWCARBON_CHAIN), couponCampaigns(c, LOWCARBON_CHAIN)]);
  const malls = [...new Set(campaigns.map((x) => x.issuer))];
  const listed = (await Promise.all(malls.map((m) => listContracts(c, m).catch(() => ({ instances: [] }))))).flatMap((l) => l.instances);
  const views = await Promise.all(listed.map((i) => getContract(c, i.id)));
  // The carbon-coupons template's parties: the mall, the travel platform and the community fund.
  const contracts = views.filter((v) => ['mall', 'travel', 'fund'].every((p) => p in v.instance.parties));
  return { running, methodologies, totals, campaigns, contracts };
}

/** Class ids the trade scenario gives its gemstones (`gem-<run tag>`). */
export const TRADE_GEM_PREFIX = 'gem-';

/** One release-against-payment (2PC) transaction on the trade chain, as the API's /v1/xtx lists it. */
export interface TradeDvp {
  id: string;
  status: XtxRecord['status'];
  atomicity: 'all-committed' | 'all-rolled-back' | 'in-progress' | 'violation';
  decision?: { outcome: 'commit' | 'abort'; reason: string };
  participants: Array<{ chain: string; vote: string; ops: XtxOp[] }>;
}

export interface TradeView {
  chains: Record<keyof typeof TRADE_CHAINS, boolean>;
  /** The gemstone classes (one per run), newest last. */
  gems: ClassRecord[];
  /** Release-against-payment transactions coordinated on the trade chain, newest first. */
  dvp: TradeDvp[];
  /** The bills of lading those transactions endorse, as the carrier's chain holds them now. */
  bills: DocRecord[];
}

/** The trade scenario (航贸数链) as the chains hold it: gemstones, release-against-payment 2PCs, bills of lading. */
export async function tradeView(c: ShulianClient): Promise<TradeView> {
  const ids = await chainIds(c);
  const chains = { trade: ids.has(TRADE_CHAINS.trade), carrier: ids.has(TRADE_CHAINS.carrier), bank: ids.has(TRADE_CHAINS.bank) };
  if (!chains.trade) return { chains, gems: [], dvp: [], bills: [] };
  const [classes, listed] = await Promise.all([
    collectibleClasses(c, TRADE_CHAINS.trade),
    c.getJson<{ transactions: Array<Omit<TradeDvp, 'participants'> & { participants: Array<{ chain: string; vote: string }> }> }>(`/xtx?chain=${encodeURIComponent(TRADE_CHAINS.trade)}&limit=50`).catch(() => ({ transactions: [] })),
  ]);
  // The list shows each participant's state; the ops are in the coordinator's record.
  const withOps = await Promise.all(listed.transactions.map(async (t): Promise<TradeDvp> => {
    const rec = (await c.state(TRADE_CHAINS.trade, `xtx/tx/${t.id}`)).value as XtxRecord | null;
    return { id: t.id, status: t.status, atomicity: t.atomicity, ...(t.decision ? { decision: { outcome: t.decision.outcome, reason: t.decision.reason } } : {}), participants: t.participants.map((p) => ({ chain: p.chain, vote: p.vote, ops: rec?.participants.find((x) => x.chain === p.chain)?.ops ?? [] })) };
  }));
  const dvp = withOps.filter((t) => t.participants.some((p) => p.ops.some((op) => op.kind === 'endorse')));
  const billIds = [...new Set(dvp.flatMap((t) => t.participants.flatMap((p) => p.ops.flatMap((op) => (op.kind === 'endorse' ? [op.id] : [])))))];
  const bills = chains.carrier
    ? (await Promise.all(billIds.map(async (id) => (await c.state(TRADE_CHAINS.carrier, `xdoc/doc/${id}`)).value as DocRecord | null))).filter((d): d is DocRecord => d !== null)
    : [];
  return { chains, gems: classes.filter((x) => x.id.startsWith(TRADE_GEM_PREFIX)), dvp, bills };
}

export interface MedicalRun {
  tag: string;
  /** The statistics API the association published (its provider is the association). */
  product: ProductRecord;
  /** The privacy computations the association asked for, newest first: consents named, records each side reported. */
  runs: RunRecord[];
  subscriptions: Array<{ subscription: SubscriptionRecord; units: number; settled: boolean }>;
  /** The consortium agreements the association is party to (association, two hospitals, algorithm, compute), with their settlements. */
  agreements: ContractView[];
}

/** The medical scenario's runs (newest first, at most `limit`), each from its product on the market. */
export async function medicalView(c: ShulianClient, o: { limit?: number } = {}): Promise<{ runs: MedicalRun[] }> {
  const products = (await listProducts(c, { category: 'computation', includeDelisted: true, limit: 1_000 })).filter((p) => p.id.startsWith(MEDICAL_PRODUCT_PREFIX)).slice(0, o.limit ?? 3);
  const runs = await Promise.all(products.map(async (product): Promise<MedicalRun> => {
    const [privacy, subs, listed] = await Promise.all([
      c.getJson<{ runs: RunRecord[] }>(`/data/privacy/runs?requester=${encodeURIComponent(product.provider)}`).catch(() => ({ runs: [] })),
      listSubscriptions(c, { product: product.id }),
      listContracts(c, product.provider).catch(() => ({ instances: [] })),
    ]);
    const subscriptions = await Promise.all(subs.map(async (subscription) => {
      const p = (await subscriptionUsage(c, subscription.id)).periods[0];
      return { subscription, units: p?.settled?.units ?? p?.usage.units ?? 0, settled: !!p?.settled };
    }));
    const views = await Promise.all(listed.instances.map((i) => getContract(c, i.id)));
    const agreements = views.filter((v) => v.instance.parties.association === product.provider && ['hospitalA', 'hospitalB', 'algorithm', 'compute'].every((p) => p in v.instance.parties));
    return { tag: product.id.slice(MEDICAL_PRODUCT_PREFIX.length), product, runs: privacy.runs, subscriptions, agreements };
  }));
  return { runs };
}
