/**
 * Tokens for city life through the SDK (docs/tokens.md): digital collectibles, coupons and
 * carbon points. Every write is a signed transaction; the functions wait for its block and throw
 * the module's error code (COLLECTIBLE_HOLDING, COUPON_USED, CARBON_DOUBLE_CLAIM, …) when the
 * chain refused it. Reads take the light client (`ShulianHttp`) so the console can use them.
 */
import { foreign, resultAs, ShulianError, stateValue, type JsonValue, type StateKey } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import { collectibleStateKey } from '../modules/collectible/keys.ts';
import { mayMove, type AlbumRecord, type ClassRecord, type MayMove, type TokenRecord, type TransferRules } from '../modules/collectible/types.ts';
import { couponStateKey } from '../modules/coupon/keys.ts';
import type { CampaignRecord, CouponRecord, DiscountRule } from '../modules/coupon/types.ts';
import { carbonStateKey } from '../modules/carbon/keys.ts';
import { paramDigestOf, type Activity, type ActivityRecord, type CarbonStats, type MethodologyInput, type MethodologyRecord, type ProposalRecord, type RetirementRecord } from '../modules/carbon/types.ts';
import type { ShulianClient } from './client.ts';
import type { ShulianHttp } from './http.ts';
import type { CommittedTx, SendOptions, WaitOptions } from './types.ts';

export type { AlbumRecord, ClassRecord, MayMove, TokenRecord, TransferRules, CampaignRecord, CouponRecord, DiscountRule, Activity, ActivityRecord, CarbonStats, MethodologyInput, MethodologyRecord, ProposalRecord, RetirementRecord };
export { activityDigest, paramDigestOf, pointsFor } from '../modules/carbon/types.ts';
export { discountOf, maxOffOf } from '../modules/coupon/types.ts';

/** Options of a token write: the chain (required: tokens live on business chains) and send/wait options. */
export type TokenSendOptions = { chain: string } & SendOptions & WaitOptions;
export interface TokenTx<T> {
  tx: CommittedTx;
  result: T;
}

/** Sends a call and waits for its block; throws the module's error when the chain refused it. */
export async function sendToken<T>(client: ShulianClient, key: KeyPair, module: string, method: string, args: object, opts: TokenSendOptions): Promise<TokenTx<T>> {
  const hash = await client.send(opts.chain, key, { module, method, args: args as JsonValue }, opts);
  const inc = await client.waitForTx(hash, opts);
  if (inc.receipt.status !== 'ok') {
    const code = foreign(inc.receipt.code) ?? 'TX_FAILED';
    throw new ShulianError(code, `${module}.${method} was refused at height ${inc.height} of chain ${opts.chain}: ${inc.receipt.message ?? code}`, { tx: hash, height: inc.height });
  }
  return { tx: inc, result: resultAs<T>(inc.receipt.result) };
}

/** The record under a typed full state key, or undefined. */
export async function readToken<T>(client: ShulianHttp, chain: string, key: StateKey<T>): Promise<T | undefined> {
  return stateValue(key, (await client.state(chain, key)).value);
}

// ---- collectibles ----

export interface ClassInput {
  id: string;
  name: string;
  supply: number;
  /** SM3 of the media and metadata (off chain). */
  metadata: string;
  rules: Partial<TransferRules> & { transferable: boolean };
}
export const createCollectibleClass = (c: ShulianClient, key: KeyPair, cls: ClassInput, o: TokenSendOptions) => sendToken<{ id: string }>(c, key, 'collectible', 'createClass', cls, o);
export const mintCollectible = (c: ShulianClient, key: KeyPair, cls: string, to: string, o: TokenSendOptions) => sendToken<{ class: string; serial: number }>(c, key, 'collectible', 'mint', { class: cls, to }, o);
export const giftCollectible = (c: ShulianClient, key: KeyPair, cls: string, serial: number, to: string, o: TokenSendOptions) =>
  sendToken<{ class: string; serial: number; gifts: number }>(c, key, 'collectible', 'gift', { class: cls, serial, to }, o);
export const attestRealName = (c: ShulianClient, key: KeyPair, subject: string, credential: string, o: TokenSendOptions) => sendToken<null>(c, key, 'collectible', 'attest', { subject, credential }, o);
export const createAlbum = (c: ShulianClient, key: KeyPair, album: { id: string; name: string; classes: string[]; reward: string }, o: TokenSendOptions) => sendToken<{ id: string }>(c, key, 'collectible', 'createAlbum', album, o);
export const claimAlbum = (c: ShulianClient, key: KeyPair, album: string, o: TokenSendOptions) => sendToken<{ album: string; class: string; serial: number }>(c, key, 'collectible', 'claimAlbum', { album }, o);
export const getCollectibleClass = (c: ShulianHttp, chain: string, id: string) => readToken(c, chain, collectibleStateKey.class(id));
export const getCollectible = (c: ShulianHttp, chain: string, cls: string, serial: number) => readToken(c, chain, collectibleStateKey.token(cls, serial));
export const getAlbum = (c: ShulianHttp, chain: string, id: string) => readToken(c, chain, collectibleStateKey.album(id));
/** Every token of a class, serial order (one read per token: for classes of modest supply). */
export async function listCollectibles(c: ShulianHttp, chain: string, cls: string): Promise<{ class: ClassRecord; tokens: TokenRecord[] } | undefined> {
  const rec = await getCollectibleClass(c, chain, cls);
  if (!rec) return undefined;
  const tokens = await Promise.all(Array.from({ length: rec.minted }, (_, i) => getCollectible(c, chain, cls, i + 1)));
  return { class: rec, tokens: tokens.filter((t): t is TokenRecord => t !== undefined) };
}

/**
 * Whether `from` may gift a token to `to` now (at the chain's latest block time, or `at`), and
 * why not: the chain's own rule (mayMove) on the records read from the node.
 */
export async function collectibleMayMove(c: ShulianHttp, chain: string, q: { class: string; serial: number; from?: string; to: string; at?: number }): Promise<MayMove> {
  const [cls, token] = await Promise.all([getCollectibleClass(c, chain, q.class), getCollectible(c, chain, q.class, q.serial)]);
  if (!cls || !token) throw new ShulianError('NOT_FOUND', `chain ${chain} has no collectible ${q.class}#${q.serial}`);
  const from = q.from ?? token.owner;
  const v = cls.rules.realNameVerifier;
  const [att, lastGift, now] = await Promise.all([
    v ? readToken(c, chain, collectibleStateKey.realName(v, q.to)) : Promise.resolve(undefined),
    readToken(c, chain, collectibleStateKey.lastGift(from, q.class)),
    q.at !== undefined ? Promise.resolve(q.at) : c.block(chain, 'latest').then((b) => b.header.time),
  ]);
  return mayMove(cls, token, from, q.to, now, { realName: att !== undefined, lastGift });
}

// ---- coupons ----

export interface CampaignInput {
  id: string;
  name: string;
  budget: string;
  rule: DiscountRule;
  group: string;
  exclusive?: boolean;
  validFrom: number;
  validUntil: number;
  merchants: string[];
  perHolder?: number;
  pointsPrice?: string;
}
export interface Redemption {
  amount: string;
  discount: string;
  due: string;
  coupons: Array<{ coupon: string; discount: string }>;
}
export const createCampaign = (c: ShulianClient, key: KeyPair, campaign: CampaignInput, o: TokenSendOptions) => sendToken<{ id: string }>(c, key, 'coupon', 'createCampaign', campaign, o);
export const issueCoupon = (c: ShulianClient, key: KeyPair, campaign: string, to: string, o: TokenSendOptions) => sendToken<{ coupon: string }>(c, key, 'coupon', 'issue', { campaign, to }, o);
export const authorizeCoupon = (c: ShulianClient, key: KeyPair, coupon: string, merchant: string, o: TokenSendOptions) => sendToken<null>(c, key, 'coupon', 'authorize', { coupon, merchant }, o);
export const redeemCoupons = (c: ShulianClient, key: KeyPair, r: { coupons: string[]; holder: string; amount: string }, o: TokenSendOptions) => sendToken<Redemption>(c, key, 'coupon', 'redeem', r, o);
export const expireCoupon = (c: ShulianClient, key: KeyPair, coupon: string, o: TokenSendOptions) => sendToken<null>(c, key, 'coupon', 'expire', { coupon }, o);
export const refundCoupon = (c: ShulianClient, key: KeyPair, coupon: string, o: TokenSendOptions) => sendToken<null>(c, key, 'coupon', 'refund', { coupon }, o);
export const getCampaign = (c: ShulianHttp, chain: string, id: string) => readToken(c, chain, couponStateKey.campaign(id));
export const getCoupon = (c: ShulianHttp, chain: string, id: string) => readToken(c, chain, couponStateKey.coupon(id));
/** Every coupon of a campaign, serial order. */
export async function listCoupons(c: ShulianHttp, chain: string, campaign: string): Promise<{ campaign: CampaignRecord; coupons: CouponRecord[] } | undefined> {
  const rec = await getCampaign(c, chain, campaign);
  if (!rec) return undefined;
  const coupons = await Promise.all(Array.from({ length: rec.issued }, (_, i) => getCoupon(c, chain, `${campaign}:${i + 1}`)));
  return { campaign: rec, coupons: coupons.filter((x): x is CouponRecord => x !== undefined) };
}

// ---- carbon points ----

/** Proposes a methodology with the SM3 digest of its params (computed here, checked by the chain). */
export const proposeMethodology = (c: ShulianClient, key: KeyPair, m: MethodologyInput, o: TokenSendOptions) =>
  sendToken<{ proposal: number; status: 'open' | 'registered' }>(c, key, 'carbon', 'propose', { methodology: m, paramDigest: paramDigestOf(m.params) }, o);
export const approveMethodology = (c: ShulianClient, key: KeyPair, proposal: number, o: TokenSendOptions) =>
  sendToken<{ proposal: number; status: 'open' | 'registered'; approvals: number }>(c, key, 'carbon', 'approve', { proposal }, o);
export const issueCarbon = (c: ShulianClient, key: KeyPair, m: { methodology: string; version: number; activity: Activity }, o: TokenSendOptions) =>
  sendToken<{ digest: string; points: string }>(c, key, 'carbon', 'issue', m, o);
export const transferCarbon = (c: ShulianClient, key: KeyPair, to: string, amount: string, o: TokenSendOptions) => sendToken<null>(c, key, 'carbon', 'transfer', { to, amount }, o);
export const retireCarbon = (c: ShulianClient, key: KeyPair, amount: string, purpose: string, o: TokenSendOptions) => sendToken<{ retirement: number }>(c, key, 'carbon', 'retire', { amount, purpose }, o);
export const exchangeCarbon = (c: ShulianClient, key: KeyPair, campaign: string, o: TokenSendOptions) => sendToken<{ coupon: string; points: string }>(c, key, 'carbon', 'exchange', { campaign }, o);
export const getMethodology = (c: ShulianHttp, chain: string, id: string, version: number) => readToken(c, chain, carbonStateKey.methodology(id, version));
export const getCarbonActivity = (c: ShulianHttp, chain: string, digest: string) => readToken(c, chain, carbonStateKey.activity(digest));
export const carbonStats = (c: ShulianHttp, chain: string, id: string, version: number) => readToken(c, chain, carbonStateKey.stats(id, version));
export async function carbonBalance(c: ShulianHttp, chain: string, who: string): Promise<string> {
  return (await readToken(c, chain, carbonStateKey.balance(who))) ?? '0';
}
/** Points outstanding and retired on a chain. */
export async function carbonTotals(c: ShulianHttp, chain: string): Promise<{ supply: string; retired: string; retirements: number }> {
  const [supply, retired, retirements] = await Promise.all([readToken(c, chain, carbonStateKey.supply()), readToken(c, chain, carbonStateKey.retired()), readToken(c, chain, carbonStateKey.retirements())]);
  return { supply: supply ?? '0', retired: retired ?? '0', retirements: retirements ?? 0 };
}

// ---- listings (the console's token views) ----

/** At most this many of the newest items are read by a listing. */
export const TOKEN_LIST_LIMIT = 200;

async function listedIds(c: ShulianHttp, chain: string, count: StateKey<number>, at: (n: number) => StateKey<string>): Promise<string[]> {
  const n = (await readToken(c, chain, count)) ?? 0;
  const from = Math.max(1, n - TOKEN_LIST_LIMIT + 1);
  const ids = await Promise.all(Array.from({ length: n - from + 1 }, (_, i) => readToken(c, chain, at(from + i))));
  return ids.filter((x): x is string => x !== undefined);
}

/** The collectible classes of a chain, creation order (the newest TOKEN_LIST_LIMIT). */
export async function collectibleClasses(c: ShulianHttp, chain: string): Promise<ClassRecord[]> {
  const ids = await listedIds(c, chain, collectibleStateKey.classes(), collectibleStateKey.classAt);
  return (await Promise.all(ids.map((id) => getCollectibleClass(c, chain, id)))).filter((x): x is ClassRecord => x !== undefined);
}
/** The albums of a chain, creation order. */
export async function collectibleAlbums(c: ShulianHttp, chain: string): Promise<AlbumRecord[]> {
  const ids = await listedIds(c, chain, collectibleStateKey.albums(), collectibleStateKey.albumAt);
  return (await Promise.all(ids.map((id) => getAlbum(c, chain, id)))).filter((x): x is AlbumRecord => x !== undefined);
}
/** The coupon campaigns of a chain, creation order. */
export async function couponCampaigns(c: ShulianHttp, chain: string): Promise<CampaignRecord[]> {
  const ids = await listedIds(c, chain, couponStateKey.campaigns(), couponStateKey.campaignAt);
  return (await Promise.all(ids.map((id) => getCampaign(c, chain, id)))).filter((x): x is CampaignRecord => x !== undefined);
}
/** Every methodology proposal of a chain (open or registered), with the points issued under each registered version. */
export async function carbonMethodologies(c: ShulianHttp, chain: string): Promise<Array<{ proposal: ProposalRecord; stats?: CarbonStats }>> {
  const n = (await readToken(c, chain, carbonStateKey.proposals())) ?? 0;
  const from = Math.max(1, n - TOKEN_LIST_LIMIT + 1);
  const ps = (await Promise.all(Array.from({ length: n - from + 1 }, (_, i) => readToken(c, chain, carbonStateKey.proposal(from + i))))).filter((x): x is ProposalRecord => x !== undefined);
  return Promise.all(ps.map(async (p) => {
    const stats = p.status === 'registered' ? await carbonStats(c, chain, p.methodology.id, p.methodology.version) : undefined;
    return stats ? { proposal: p, stats } : { proposal: p };
  }));
}
/** The newest retirements of a chain (irrevocable), newest first. */
export async function carbonRetirementList(c: ShulianHttp, chain: string, limit = 50): Promise<RetirementRecord[]> {
  const n = (await readToken(c, chain, carbonStateKey.retirements())) ?? 0;
  const rs = await Promise.all(Array.from({ length: Math.min(n, limit) }, (_, i) => readToken(c, chain, carbonStateKey.retirement(n - i))));
  return rs.filter((x): x is RetirementRecord => x !== undefined);
}
