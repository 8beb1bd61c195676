import { BPS, type KindPolicy, type Tally } from './types.ts';

export type Rules = Pick<KindPolicy, 'quorumBps' | 'thresholdBps'>;

/** Enough of the electorate voted (yes, no or abstain): cast × 10000 ≥ quorum × electorate. */
export function quorumMet(t: Tally, electorate: number, rules: Rules): boolean {
  return (t.yes + t.no + t.abstain) * BPS >= rules.quorumBps * electorate;
}

/** Yes is more than the threshold share of yes + no (abstentions do not count here). */
export function thresholdMet(yes: number, no: number, rules: Rules): boolean {
  return yes * BPS > rules.thresholdBps * (yes + no);
}

export function passes(t: Tally, electorate: number, rules: Rules): boolean {
  return quorumMet(t, electorate, rules) && thresholdMet(t.yes, t.no, rules);
}

export type Decision =
  | { decision: 'approved' }
  | { decision: 'rejected'; reason: 'vote' | 'quorum' | 'threshold' }
  | { decision: 'undecided' };

/**
 * Decides a proposal from its tally. While voting (`final` false) it decides only once no votes
 * still to come can change the outcome:
 * - approved when quorum is met already and yes stays above the threshold even if every member
 *   who has not voted votes no (quorum can only grow, and "no" is the worst case for the threshold);
 * - rejected (`vote`) when it would fail even if every member who has not voted votes yes (that
 *   maximises both the turnout and the yes share).
 * When the voting period is over (`final` true) the tally as it stands decides, and a rejection
 * says whether the quorum or the threshold was missed.
 */
export function decide(t: Tally, electorate: number, rules: Rules, final: boolean): Decision {
  if (final) {
    if (!quorumMet(t, electorate, rules)) return { decision: 'rejected', reason: 'quorum' };
    if (!thresholdMet(t.yes, t.no, rules)) return { decision: 'rejected', reason: 'threshold' };
    return { decision: 'approved' };
  }
  const remaining = Math.max(0, electorate - (t.yes + t.no + t.abstain));
  if (quorumMet(t, electorate, rules) && thresholdMet(t.yes, t.no + remaining, rules)) return { decision: 'approved' };
  if (!passes({ yes: t.yes + remaining, no: t.no, abstain: t.abstain }, electorate, rules)) return { decision: 'rejected', reason: 'vote' };
  return { decision: 'undecided' };
}
