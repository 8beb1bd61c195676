/**
 * Carbon points (碳普惠, issue #19): methodologies registered by a vote of the chain's governors
 * (its genesis validators) with an id, a version and the digest of their parameters (emission
 * factors), after the draft ERC-8393 (methodology and vintage); points issued from activity
 * records signed by the platforms a methodology names, one point per gram of CO2e reduced.
 *
 * - Low-carbon travel (after Beijing DB11/T 3043-2024): reduction = (baseline factor − mode
 *   factor) × distance, factors in g CO2e per km, distance in metres, rounded down.
 * - Household electricity (after Shenzhen's 碳普惠 methodology): reduction = (baseline − actual
 *   consumption) × grid factor, consumption in Wh, factor in g CO2e per kWh, rounded down.
 *
 * The same reduction is never claimed twice: an activity's digest (its content without the
 * platform's reference) is issued once; a citizen's trips may not overlap in time; a household's
 * period is claimed once.
 */
import { canonicalize, toHex } from '../../codec/index.ts';
import { amountSchema, didSchema, digestSchema, z } from '../../codec/schemas.ts';
import { sm3 } from '../../crypto/index.ts';

export const CARBON = 'carbon';
export const CARBON_LIMITS = { recorders: 32, modes: 16, tripM: 1_000_000, factor: 10_000_000, wh: 1_000_000_000_000, name: 100, purpose: 200 } as const;
export const METHODOLOGY_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const idSchema = z.string().regex(METHODOLOGY_ID_RE, 'a methodology id of 1-64 lowercase letters, digits, ".", "_" or "-"');
const factor = z.number().int().min(0).max(CARBON_LIMITS.factor);
const mode = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a travel mode such as metro, bike, walk');

export interface TravelParams {
  kind: 'travel';
  /** g CO2e per km of the baseline (a private car). */
  baselineGPerKm: number;
  /** Per mode: its factor (g CO2e per km) and the longest trip it credits (m). */
  modes: Record<string, { gPerKm: number; maxM: number }>;
}
export interface ElectricityParams {
  kind: 'electricity';
  /** Grid emission factor, g CO2e per kWh. */
  gridGPerKwh: number;
}
export type MethodologyParams = TravelParams | ElectricityParams;

export const paramsSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('travel'),
    baselineGPerKm: factor,
    modes: z.record(mode, z.strictObject({ gPerKm: factor, maxM: z.number().int().min(1).max(CARBON_LIMITS.tripM) }))
      .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= CARBON_LIMITS.modes, `1 to ${CARBON_LIMITS.modes} modes`),
  }).refine((p) => Object.values(p.modes).every((m) => m.gPerKm <= p.baselineGPerKm), { path: ['modes'], message: 'a mode\'s factor cannot exceed the baseline\'s' }),
  z.strictObject({ kind: z.literal('electricity'), gridGPerKwh: factor }),
]);

/** What a governor proposes: the methodology and the platforms that may record activities under it. */
export interface MethodologyInput {
  id: string;
  version: number;
  name: string;
  params: MethodologyParams;
  /** DIDs of the platforms whose activity records it accepts. */
  recorders: string[];
  /** Most points ever issued under this version. */
  cap: string;
}
export const methodologySchema = z.strictObject({
  id: idSchema,
  version: z.number().int().min(1).max(1_000_000),
  name: z.string().min(1).max(CARBON_LIMITS.name),
  params: paramsSchema,
  recorders: z.array(didSchema).min(1).max(CARBON_LIMITS.recorders).refine((r) => new Set(r).size === r.length, 'a recorder appears twice'),
  cap: amountSchema,
});

export interface MethodologyRecord extends MethodologyInput {
  /** SM3 of the canonical params: what the governors voted on. */
  paramDigest: string;
  proposal: number;
  registeredAt: number;
}

export interface ProposalRecord {
  n: number;
  methodology: MethodologyInput;
  paramDigest: string;
  proposer: string;
  approvals: string[];
  status: 'open' | 'registered';
  height: number;
}

export interface TravelActivity {
  kind: 'travel';
  /** The platform's own reference (not part of the digest). */
  ref: string;
  citizen: string;
  mode: string;
  distanceM: number;
  start: number;
  end: number;
}
export interface ElectricityActivity {
  kind: 'electricity';
  ref: string;
  citizen: string;
  /** The billing month, YYYY-MM. */
  period: string;
  baselineWh: number;
  actualWh: number;
}
export type Activity = TravelActivity | ElectricityActivity;

const ref = z.string().min(1).max(64);
const time = z.number().int().min(0).max(8.64e15);
export const activitySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('travel'), ref, citizen: didSchema, mode, distanceM: z.number().int().min(1).max(CARBON_LIMITS.tripM), start: time, end: time })
    .refine((a) => a.start < a.end, { path: ['end'], message: 'a trip ends after it starts' }),
  z.strictObject({
    kind: z.literal('electricity'), ref, citizen: didSchema, period: z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM'),
    baselineWh: z.number().int().min(0).max(CARBON_LIMITS.wh), actualWh: z.number().int().min(0).max(CARBON_LIMITS.wh),
  }),
]);

export interface ActivityRecord {
  digest: string;
  methodology: string;
  version: number;
  recorder: string;
  citizen: string;
  ref: string;
  points: string;
  height: number;
  tx: string;
}

/** Issuance under one methodology version (points are fungible once issued; retirements are counted overall). */
export interface CarbonStats {
  records: number;
  issued: string;
}

export interface RetirementRecord {
  n: number;
  holder: string;
  amount: string;
  purpose: string;
  height: number;
  time: number;
  tx: string;
}

export const proposeArgs = z.strictObject({ methodology: methodologySchema, paramDigest: digestSchema });
export const approveArgs = z.strictObject({ proposal: z.number().int().min(1) });
export const issueArgs = z.strictObject({ methodology: idSchema, version: z.number().int().min(1).max(1_000_000), activity: activitySchema });
export const transferArgs = z.strictObject({ to: didSchema, amount: amountSchema });
export const retireArgs = z.strictObject({ amount: amountSchema, purpose: z.string().min(1).max(CARBON_LIMITS.purpose) });
export const exchangeArgs = z.strictObject({ campaign: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a coupon campaign id') });

const hex = (v: Parameters<typeof canonicalize>[0]): string => toHex(sm3(new TextEncoder().encode(canonicalize(v))));
/** SM3 of a methodology's canonical params: what a proposer sends and the chain checks. */
export const paramDigestOf = (p: MethodologyParams): string => hex(p as unknown as Parameters<typeof canonicalize>[0]);

/** The digest an activity is issued under once: its content without the platform's reference. */
export function activityDigest(a: Activity): string {
  const { ref: _ref, ...content } = a;
  return hex(content as unknown as Parameters<typeof canonicalize>[0]);
}

/** The points (grams of CO2e reduced) an activity earns under a methodology; a string for why not. */
export function pointsFor(p: MethodologyParams, a: Activity): bigint | string {
  if (p.kind !== a.kind) return `the methodology is for ${p.kind} activities, not ${a.kind}`;
  if (p.kind === 'travel' && a.kind === 'travel') {
    const m = Object.hasOwn(p.modes, a.mode) ? p.modes[a.mode] : undefined;
    if (!m) return `mode "${a.mode}" is not one the methodology credits (${Object.keys(p.modes).join(', ')})`;
    if (a.distanceM > m.maxM) return `a ${a.mode} trip of ${a.distanceM} m is longer than the ${m.maxM} m the methodology credits`;
    return (BigInt(p.baselineGPerKm - m.gPerKm) * BigInt(a.distanceM)) / 1000n;
  }
  if (p.kind === 'electricity' && a.kind === 'electricity') {
    if (a.actualWh >= a.baselineWh) return `consumption ${a.actualWh} Wh is not below the baseline ${a.baselineWh} Wh`;
    return (BigInt(a.baselineWh - a.actualWh) * BigInt(p.gridGPerKwh)) / 1000n;
  }
  return 'unreachable';
}

/** The exports a coupon campaign is bought with (coupon module). */
export const CARBON_EXCHANGE = { module: 'coupon', export: 'exchange' } as const;
