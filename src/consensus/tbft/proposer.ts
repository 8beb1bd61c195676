/**
 * Weighted round-robin proposer selection with priority accumulators, the scheme CometBFT uses:
 * at every step each validator's priority grows by its voting power, the one with the highest
 * priority (ties: the smaller DID) proposes and its priority drops by the total power.
 *
 * Started from all-zero priorities the sequence is periodic: after P = Σ power steps (powers
 * divided by their gcd) every validator has proposed exactly `power` times and all priorities are
 * back to zero. So proposer(h, r) = sequence[(h + r) mod P] is a pure function of the set, the
 * height and the round, equal to CometBFT's choice for a fixed set started at height 0 (which
 * also advances one step per height and one per round). A set change simply continues at index
 * (h + r) mod P' of the new set's sequence. Very large periods (> 2^16) are computed on powers
 * scaled down to a 2^16 period, which keeps the proportions to within one slot.
 */
import { ShulianError } from '../../codec/index.ts';
import type { ValidatorInfo } from '../../ledger/index.ts';

export const MAX_PROPOSER_PERIOD = 1 << 16;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class ProposerSchedule {
  /** DIDs in proposing order over one period. */
  readonly sequence: readonly string[];

  constructor(validators: readonly ValidatorInfo[]) {
    const vals = validators.filter((v) => v.power > 0).slice().sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0));
    if (vals.length === 0) throw new ShulianError('TBFT_EMPTY_SET', 'validator set has no voting power');
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i]!;
      if (!Number.isSafeInteger(v.power)) throw new ShulianError('TBFT_BAD_POWER', `voting power of ${v.did} must be a safe integer`);
      if (i > 0 && vals[i - 1]!.did === v.did) throw new ShulianError('TBFT_DUPLICATE_VALIDATOR', `${v.did} appears twice in the validator set`);
    }
    const g = vals.reduce((acc, v) => gcd(acc, v.power), 0);
    let powers = vals.map((v) => v.power / g);
    let period = powers.reduce((a, b) => a + b, 0);
    if (period > MAX_PROPOSER_PERIOD) {
      powers = powers.map((p) => Math.max(1, Math.round((p * MAX_PROPOSER_PERIOD) / period)));
      period = powers.reduce((a, b) => a + b, 0);
    }
    const prio = new Array<number>(vals.length).fill(0);
    const seq: string[] = [];
    for (let k = 0; k < period; k++) {
      let best = 0;
      for (let i = 0; i < vals.length; i++) {
        prio[i] += powers[i];
        if (prio[i] > prio[best]) best = i; // strict: ties keep the smaller DID (sorted first)
      }
      prio[best] -= period;
      seq.push(vals[best]!.did);
    }
    this.sequence = seq;
  }

  proposer(height: number, round: number): string {
    return this.sequence[(height + round) % this.sequence.length]!;
  }
}

/** proposer(h, r) for a validator set (see ProposerSchedule). */
export function proposerOf(validators: readonly ValidatorInfo[], height: number, round: number): string {
  return new ProposerSchedule(validators).proposer(height, round);
}
