/**
 * The numbers of the medical-research scenario (医研结合, scenarios/medical/README.md): the
 * hospitals' records of the alumni (by alumnus, keyed at run time by each alumnus' pairwise DID
 * for the association), the consent threshold, who consents when and who withdraws, the plans the
 * buyers subscribe to and the calls they make, and the consortium agreement's shares. Money is
 * integer fen; shares and rates basis points.
 */

/** One hospital record: visits in the study period, their cost (fen), and whether the diagnosis is diabetes (0/1). */
export interface HospitalRow {
  alumnus?: number;
  visits: number;
  costFen: number;
  diabetic: 0 | 1;
}

export const MEDICAL_COLUMNS = ['visits', 'costFen', 'diabetic'] as const;

export const MEDICAL_TERMS = {
  /** The consortium agreement's minimum: no computation before this many alumni consented. */
  minConsents: 5,
  alumni: 7,
  /** Alumni 0–3 consent first (below the threshold), then 4 and 5; alumnus 6 never does. */
  firstConsents: [0, 1, 2, 3],
  laterConsents: [4, 5],
  /** Alumnus 2, a patient of both hospitals, withdraws after the first round. */
  withdraws: 2,
  purpose: 'dpv:AcademicResearch',
  /** Each hospital's grant to the association: one use per round (two rounds). */
  hospitalGrantCount: 2,
  /** The compute provider's grant of the cohort: more uses than the two rounds need, so the hospitals' grants are what bound the runs. */
  cohortGrantCount: 6,
  /** Records without `alumnus` are other patients: never in the cohort. */
  hospitals: {
    a: [
      { alumnus: 0, visits: 4, costFen: 128_000, diabetic: 1 },
      { alumnus: 1, visits: 2, costFen: 35_000, diabetic: 0 },
      { alumnus: 2, visits: 6, costFen: 240_000, diabetic: 1 },
      { alumnus: 3, visits: 1, costFen: 9_800, diabetic: 0 },
      { alumnus: 6, visits: 3, costFen: 50_000, diabetic: 1 },
      { visits: 5, costFen: 70_000, diabetic: 0 },
      { visits: 2, costFen: 20_000, diabetic: 1 },
    ],
    b: [
      { alumnus: 1, visits: 3, costFen: 61_000, diabetic: 1 },
      { alumnus: 2, visits: 1, costFen: 15_000, diabetic: 0 },
      { alumnus: 4, visits: 5, costFen: 187_000, diabetic: 1 },
      { alumnus: 5, visits: 2, costFen: 42_000, diabetic: 0 },
      { alumnus: 6, visits: 1, costFen: 8_000, diabetic: 0 },
      { visits: 4, costFen: 90_000, diabetic: 1 },
    ],
  } satisfies Record<'a' | 'b', HospitalRow[]>,
  /** Billing: one period of this length from the subscriptions' start; gateways may commit for `graceSeconds` after it. */
  periodSeconds: 60,
  graceSeconds: 2,
  /** The buyers, their plans (market plan ids) and how many calls each makes in the period. */
  buyers: [
    { who: 'teacher', plan: 'academic', calls: 3 },
    { who: 'clinic', plan: 'clinical', calls: 5 },
    { who: 'government', plan: 'government', calls: 4 },
    { who: 'pharma', plan: 'pharma', calls: 2 },
  ],
  /** Plan prices (fen): per-call, tiered (first `tierUnits` at `unitPrice`), a subscription with a base fee and included calls. */
  plans: {
    academic: { kind: 'per-call', baseFee: 0, includedUnits: 0, unitPrice: 20, tierUnits: 0, tierPrice: 20, quota: 0 },
    clinical: { kind: 'tiered', baseFee: 0, includedUnits: 0, unitPrice: 50, tierUnits: 3, tierPrice: 30, quota: 0 },
    government: { kind: 'subscription', baseFee: 50_000, includedUnits: 10, unitPrice: 0, tierUnits: 0, tierPrice: 0, quota: 10 },
    pharma: { kind: 'per-call', baseFee: 0, includedUnits: 0, unitPrice: 500, tierUnits: 0, tierPrice: 500, quota: 0 },
  },
  /** Money each buyer draws from the sandbox faucet before subscribing (fen). */
  buyerFundsFen: 100_000,
  /** The consortium agreement: the association's fee off the top, the rest split; tax withheld on the hospitals' shares. */
  consortium: { associationFeeBp: 3_000, hospitalABp: 3_500, hospitalBBp: 3_000, algorithmBp: 2_000, computeBp: 1_500, withholdingBp: 300 },
} as const;

export type MedicalBuyer = (typeof MEDICAL_TERMS.buyers)[number]['who'];
export type MedicalPlanId = keyof typeof MEDICAL_TERMS.plans;

/** A plan's charge for `units` in a period, as the api-subscription contract computes it. */
export function planCharge(plan: MedicalPlanId, units: number): number {
  const p = MEDICAL_TERMS.plans[plan];
  const billable = Math.max(0, units - p.includedUnits);
  const first = Math.min(billable, p.tierUnits > 0 ? p.tierUnits : billable);
  return p.baseFee + p.unitPrice * first + p.tierPrice * (billable - first);
}

/** lex's split: each part rounded down, the remainder one fen at a time in the order listed. */
export function splitFen(total: number, bps: number[]): number[] {
  const parts = bps.map((b) => Math.floor((total * b) / 10_000));
  let left = total - parts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % parts.length) if (bps[i]! > 0) { parts[i]! += 1; left--; }
  return parts;
}

/** `rate of x rounded half up` for non-negative integers: bp basis points of x. */
export const bpHalfUp = (x: number, bp: number): number => Math.floor((2 * x * bp + 10_000) / 20_000);

/**
 * What the consortium agreement pays for a period's revenue: the association's fee, the split of
 * the rest (hospital A, hospital B, algorithm, compute) and the tax withheld from each hospital.
 */
export function consortiumPayout(revenue: number): { fee: number; distributable: number; hospitalA: number; hospitalB: number; algorithm: number; compute: number; taxA: number; taxB: number } {
  const k = MEDICAL_TERMS.consortium;
  const fee = bpHalfUp(revenue, k.associationFeeBp);
  const distributable = revenue - fee;
  const [hospitalA, hospitalB, algorithm, compute] = splitFen(distributable, [k.hospitalABp, k.hospitalBBp, k.algorithmBp, k.computeBp]) as [number, number, number, number];
  const taxA = bpHalfUp(Math.floor((distributable * k.hospitalABp) / 10_000), k.withholdingBp);
  const taxB = bpHalfUp(Math.floor((distributable * k.hospitalBBp) / 10_000), k.withholdingBp);
  return { fee, distributable, hospitalA, hospitalB, algorithm, compute, taxA, taxB };
}

/** A hospital's aggregate over the alumni in `cohort`: what its PSI-sum run must give. */
export function expectedAggregate(hospital: 'a' | 'b', cohort: readonly number[]): { count: number; sums: Record<(typeof MEDICAL_COLUMNS)[number], string> } {
  const rows = (MEDICAL_TERMS.hospitals[hospital] as readonly HospitalRow[]).filter((r) => r.alumnus !== undefined && cohort.includes(r.alumnus));
  const sum = (f: (r: HospitalRow) => number) => String(rows.reduce((a, r) => a + f(r), 0));
  return { count: rows.length, sums: { visits: sum((r) => r.visits), costFen: sum((r) => r.costFen), diabetic: sum((r) => r.diabetic) } };
}
