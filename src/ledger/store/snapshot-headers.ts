/**
 * The validator-change headers of a snapshot offer (issue #21 item 4; CometBFT's light client
 * verifies sequentially the same way, one trusted set to the next): on a chain whose validator
 * set changed since genesis, the receiver's light client — rooted at the genesis set — cannot
 * check the snapshot's header until it has followed each change. The offer carries, for every
 * change taking effect up to the snapshot height, the header just before it (signed by the set
 * before the change, proving in its state the schedule that names the next set: `changeHeights`
 * in src/ledger/light/schedule.ts), each with its commit and its proven schedule. They are
 * checked in height order, each against the set the client trusts so far (more than 2/3 of its
 * power precommitted; the proven schedule names that set for the header's height), and the
 * client adopts the next set only from a header that passed. Refusals, each typed:
 *   - more headers (or bytes) than a receiver takes         SNAPSHOT_TOO_MANY_HEADERS
 *   - not a list, heights not increasing below the snapshot  SNAPSHOT_MALFORMED
 *   - a header of another chain                              SNAPSHOT_WRONG_CHAIN
 *   - a change none of the headers proves                    SNAPSHOT_MISSING_CHANGE_HEADER
 *   - a change header that is not final for the trusted set  SNAPSHOT_BAD_CHANGE_HEADER
 *     (a forged set, a minority of the old set, a bad signature: the light-client code is in
 *     `details.check`)
 */
import { ShulianError } from '../../codec/index.ts';
import {
  isSchedule, sameSet, trustedThrough, verifyHeaderProof, verifyKeyProof, SCHEDULE_STATE_KEY,
  type HeaderProof, type LightState, type ValidatorEpoch,
} from '../light/index.ts';

/** Most change headers an offer may carry (one per validator change since genesis). */
export const MAX_SNAPSHOT_CHANGE_HEADERS = 256;
/** Most bytes (as JSON) those headers may take together. */
export const MAX_SNAPSHOT_CHANGE_BYTES = 2 * 1024 * 1024;

const codeOf = (err: unknown): string => (err instanceof ShulianError ? err.code : 'LIGHT_MALFORMED');

/**
 * A change the header's own schedule names for a height at or below its own that the client has
 * not verified (so the offer skipped the header proving it). The schedule is read from the
 * header's state root before the header is verified: it only names the refusal, and a header
 * that passes this check is verified in full anyway.
 */
function unprovenChange(state: LightState, hp: HeaderProof): ValidatorEpoch | undefined {
  const height = hp.header.height;
  if (!state.tracksValidators || height <= trustedThrough(state)) return undefined;
  const value = hp.schedule?.value;
  if (!isSchedule(value)) return undefined;
  try {
    verifyKeyProof(state, hp.header.stateRoot, SCHEDULE_STATE_KEY, value, hp.schedule!.proof);
  } catch {
    return undefined;
  }
  return value.find((e) => e.height <= height && !state.schedule.some((k) => k.height === e.height && sameSet(k.validators, e.validators)));
}

const isHeaderProof = (x: unknown): x is HeaderProof => {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const h = (x as { header?: unknown }).header;
  return h !== null && typeof h === 'object' && !Array.isArray(h)
    && typeof (h as { chain?: unknown }).chain === 'string' && Number.isSafeInteger((h as { height?: unknown }).height);
};

/** One step: `hp` checked against the set `state` trusts for its height; the advanced client. */
function step(state: LightState, hp: HeaderProof, role: 'change' | 'snapshot'): LightState {
  const { chain, height } = hp.header;
  if (chain !== state.chain) {
    throw new ShulianError('SNAPSHOT_WRONG_CHAIN', `the ${role} header at height ${height} is of chain ${chain}, not ${state.chain}`);
  }
  const missing = unprovenChange(state, hp);
  if (missing) {
    throw new ShulianError('SNAPSHOT_MISSING_CHANGE_HEADER', `the validator set of ${state.chain} changed at height ${missing.height} (by the schedule in the ${role} header at height ${height}), and the offer carries no header proving it: it must carry header ${missing.height - 1}, committed by the set before the change`, { changeHeight: missing.height, height });
  }
  try {
    return verifyHeaderProof(state, hp, { reader: true });
  } catch (err) {
    const check = codeOf(err);
    const msg = (err as Error).message;
    if (role === 'snapshot') {
      throw new ShulianError('SNAPSHOT_BAD_HEADER', `the header of the snapshot at ${state.chain}@${height} is not final for this light client (${check}: ${msg})`, { check, height });
    }
    throw new ShulianError('SNAPSHOT_BAD_CHANGE_HEADER', `the validator-change header ${state.chain}@${height} is not final under the set trusted for it (${check}: ${msg})`, { check, height });
  }
}

/**
 * Follows `changes` from `light` and then checks the snapshot's `header`; returns the client
 * advanced through both. `changes` is what an offer carries (unchecked): absent is none.
 */
export function verifySnapshotHeaders(light: LightState, changes: unknown, header: HeaderProof): LightState {
  const list = changes ?? [];
  if (!Array.isArray(list)) throw new ShulianError('SNAPSHOT_MALFORMED', 'the offer\'s validator-change headers are not a list');
  if (list.length > MAX_SNAPSHOT_CHANGE_HEADERS) {
    throw new ShulianError('SNAPSHOT_TOO_MANY_HEADERS', `the offer carries ${list.length} validator-change headers; at most ${MAX_SNAPSHOT_CHANGE_HEADERS} are accepted`);
  }
  const bytes = JSON.stringify(list).length;
  if (bytes > MAX_SNAPSHOT_CHANGE_BYTES) {
    throw new ShulianError('SNAPSHOT_TOO_MANY_HEADERS', `the offer's validator-change headers take ${bytes} bytes; at most ${MAX_SNAPSHOT_CHANGE_BYTES} are accepted`);
  }
  let prev = 0;
  for (const [i, hp] of list.entries()) {
    if (!isHeaderProof(hp)) throw new ShulianError('SNAPSHOT_MALFORMED', `validator-change header ${i} of the offer is not a signed header`);
    const h = hp.header.height;
    if (h <= prev || h >= header.header.height) {
      throw new ShulianError('SNAPSHOT_MALFORMED', `validator-change header ${i} is at height ${h}: the headers must be in increasing height order, above 0 and below the snapshot's ${header.header.height}`);
    }
    prev = h;
  }
  let state = light;
  for (const hp of list as HeaderProof[]) state = step(state, hp, 'change');
  return step(state, header, 'snapshot');
}
