/**
 * The validator schedule a chain keeps in its own state (module `validators`, state key
 * `validators/schedule`): the genesis set first, then each approved change with the height it
 * takes effect at. The light client follows it through proven headers.
 */
import { canonicalize, asJson, stateKey } from '../../codec/index.ts';
import type { ValidatorInfo } from '../types.ts';

/** One scheduled validator set: it validates heights from `height` on. */
export interface ValidatorEpoch {
  height: number;
  validators: ValidatorInfo[];
}

/** Where the `validators` module keeps the schedule (full state key). */
export const SCHEDULE_STATE_KEY = stateKey<ValidatorEpoch[]>('validators/schedule');

/**
 * How far ahead a change takes effect at the least (the `validators` module's MIN_DELAY): a change
 * scheduled in block b validates from b + 2 on. So the schedule proven in the state of height L
 * fixes the validator sets of every height up to L + 2.
 */
export const SCHEDULE_LEAD = 2;

/** The set that validates `height`, from a schedule (the genesis set first). */
export function validatorsFor(schedule: readonly ValidatorEpoch[], height: number): ValidatorInfo[] {
  let current = schedule[0]!.validators;
  for (const e of schedule) if (e.height <= height) current = e.validators;
  return current;
}

/**
 * The heights of the headers that carry a light client which has proven the schedule up to `from`
 * across every change taking effect up to `height`: the header just before each change it cannot
 * know of yet (it knows every set up to from + SCHEDULE_LEAD), that header being signed by the set
 * before the change and proving the new one in its state. Sorted, each at least 1.
 */
export function changeHeights(schedule: readonly ValidatorEpoch[], from: number, height: number): number[] {
  const out = new Set<number>();
  for (const e of schedule) if (e.height > from + SCHEDULE_LEAD && e.height <= height && e.height - 1 >= 1) out.add(e.height - 1);
  return [...out].sort((a, b) => a - b);
}

export function sameSet(a: readonly ValidatorInfo[], b: readonly ValidatorInfo[]): boolean {
  return canonicalize(asJson(a)) === canonicalize(asJson(b));
}

const isValidator = (v: unknown): boolean => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const x = v as Record<string, unknown>;
  return typeof x.did === 'string' && typeof x.publicKey === 'string' && typeof x.power === 'number' && Number.isSafeInteger(x.power) && x.power >= 0;
};

/** A proven schedule value: a list of epochs, each a height and a list of validators. */
export function isSchedule(v: unknown): v is ValidatorEpoch[] {
  return Array.isArray(v) && v.length > 0 && v.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e)
    && typeof e.height === 'number' && Number.isSafeInteger(e.height) && e.height >= 0
    && Array.isArray(e.validators) && e.validators.length > 0 && e.validators.every(isValidator));
}
