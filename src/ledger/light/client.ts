/**
 * The light client: what a party that holds only a trust root (a chain's genesis, or the
 * validators a routing chain registered) needs to accept headers and state of that chain
 * without trusting whoever hands them over. One implementation for every verifier: the SDK and
 * the CLI (verified reads, evidence replay) and the xchain module (src/modules/xchain/
 * lightclient.ts wraps it with gas and module errors).
 *
 * How it follows validator changes (chains that run the `validators` module keep their schedule
 * in state): the client holds a schedule, first the genesis set alone. A header is checked
 * against the set the client's schedule names for its height; a header that comes with its own
 * schedule, proven in its state root, must agree with that set, and the later epochs it proves
 * are adopted. A change takes effect at least SCHEDULE_LEAD blocks after the block that schedules
 * it, so a schedule proven at height L fixes every set up to L + SCHEDULE_LEAD: headers up to
 * there can be checked without a schedule of their own (`checkHeader`). To go further, a client
 * verifies the headers the node's `validatorsAt` answer gives (one just before each change, one
 * just before the height asked about) with `verifyHeaderProof`.
 */
import { fromHex, type JsonValue } from '../../codec/index.ts';
import { hashFor, type Suite } from '../../crypto/index.ts';
import { hashJson, stateKeyHash, stateValueHash } from '../hashing.ts';
import { verifySmtProof, type SmtProof } from '../smt/index.ts';
import type { Genesis, ValidatorInfo } from '../types.ts';
import { LightClientError, lightFail, type LightCheck } from './errors.ts';
import { verifySignedHeader, type ChainTrust, type HeaderCheckOptions, type LightMeter, type SignedHeader } from './header.ts';
import { SCHEDULE_LEAD, SCHEDULE_STATE_KEY, isSchedule, sameSet, validatorsFor, type ValidatorEpoch } from './schedule.ts';

/** What a light client holds about one chain. */
export interface LightState extends ChainTrust {
  /** Validator sets by the height they take effect from; the first is the trust root's. */
  schedule: ValidatorEpoch[];
  /** The chain runs the `validators` module: its headers can prove its schedule. */
  tracksValidators: boolean;
  /** Highest header verified with `verifyHeaderProof` (for tracking chains: its schedule proven there). */
  latestHeight: number;
}

/** A header with what makes it final and, for chains that track validators, its proven schedule. */
export interface HeaderProof extends SignedHeader {
  schedule?: { value: JsonValue | null; proof: SmtProof };
}

/**
 * `GET /v1/chains/:chain/validators?height=H&from=L`: the validator set of height H, and the
 * headers a client that has proven the schedule up to L needs to prove it up to H − 1 — for each
 * change taking effect after L + SCHEDULE_LEAD, the header just before it, then the header of
 * H − 1 — each with its commit and its proven schedule. At most MAX_VALIDATOR_HEADERS at a time:
 * with `more`, ask again from the last one's height.
 */
export interface ValidatorsAt {
  chain: string;
  height: number;
  /** The set the node says validates `height` (the client recomputes it from the proofs). */
  validators: ValidatorInfo[];
  tracksValidators: boolean;
  headers: HeaderProof[];
  more: boolean;
}

export const MAX_VALIDATOR_HEADERS = 64;

/** The genesis hash: the chain's hash over the canonical genesis document. */
export function genesisHash(genesis: Genesis): string {
  return hashJson(genesis.suite, genesis);
}

/**
 * A light client rooted at a genesis document. With `pinned`, the genesis must hash to it
 * (LIGHT_GENESIS_MISMATCH otherwise): the pin is the user's trust root, the document only its
 * expansion.
 */
export function lightStateFromGenesis(genesis: Genesis, pinned?: string): LightState {
  if (pinned !== undefined) {
    const got = genesisHash(genesis);
    if (got !== pinned) {
      throw new LightClientError('LIGHT_GENESIS_MISMATCH', `the genesis of chain ${genesis.chain} hashes to ${got}, not the pinned ${pinned}: it is another chain`);
    }
  }
  return {
    chain: genesis.chain, suite: genesis.suite, consensus: genesis.consensus.type,
    schedule: [{ height: 0, validators: genesis.validators }],
    tracksValidators: genesis.modules.includes('validators'),
    latestHeight: 0,
  };
}

/** Highest height whose validator set the client knows for sure. */
export function trustedThrough(state: LightState): number {
  return state.tracksValidators ? state.latestHeight + SCHEDULE_LEAD : Number.MAX_SAFE_INTEGER;
}

const headerError = (state: Pick<LightState, 'chain'>, height: unknown, check: Extract<LightCheck, { ok: false }>): LightClientError =>
  new LightClientError(check.code, `header ${state.chain}@${String(height)}: ${check.reason}`, check.reason);

/**
 * Verifies that a header is final on the chain `state` follows and returns the state advanced by
 * it (LightClientError otherwise). Each rule is a past bridge failure:
 * - the header hash recomputes, names the right chain, its state root is not zero (Nomad);
 * - solo: the one validator signed it; BFT: a commit of more than 2/3 of the voting power of the
 *   set the client holds for that height (Ronin, Poly: too few or the wrong keys);
 * - chains that track validators: the header carries its own schedule, proven in its state
 *   root; the set it names for this height must be the set that signed it, so a replaced set
 *   cannot sign for heights after the change once the client has seen it. Later epochs in the
 *   proven schedule are adopted (the client follows validator changes).
 */
export function verifyHeaderProof(state: LightState, hp: HeaderProof, opts: HeaderCheckOptions = {}): LightState {
  const height = hp?.header?.height;
  const validators = validatorsFor(state.schedule, typeof height === 'number' ? height : 0);
  const check = verifySignedHeader(state, validators, hp, opts);
  if (!check.ok) throw headerError(state, height, check);
  const { header } = hp;
  let next = state;
  if (state.tracksValidators) {
    const bad = (code: 'LIGHT_NO_SCHEDULE' | 'LIGHT_MALFORMED_SCHEDULE' | 'LIGHT_SCHEDULE_MISMATCH', reason: string): never => {
      throw headerError(state, header.height, { ok: false, code, reason });
    };
    if (!hp.schedule || typeof hp.schedule !== 'object') bad('LIGHT_NO_SCHEDULE', 'this chain tracks validators: the header must come with its validator schedule and proof');
    const value = hp.schedule!.value;
    verifyKeyProof(state, header.stateRoot, SCHEDULE_STATE_KEY, value, hp.schedule!.proof, opts.meter);
    // No schedule in state: the genesis set still validates.
    const proven = value === null ? [state.schedule[0]!] : value;
    const schedule = isSchedule(proven) ? proven : bad('LIGHT_MALFORMED_SCHEDULE', 'its validator schedule is malformed');
    if (!sameSet(validatorsFor(schedule, header.height), validators)) {
      bad('LIGHT_SCHEDULE_MISMATCH', 'the chain\'s own schedule names another validator set for this height; the client is behind, relay the headers of the change first');
    }
    const known = new Set(state.schedule.map((e) => e.height));
    const added = schedule.filter((e) => !known.has(e.height));
    if (added.length) next = { ...next, schedule: [...state.schedule, ...added].sort((a, b) => a.height - b.height) };
  }
  if (header.height > next.latestHeight) next = { ...next, latestHeight: header.height };
  return next;
}

/** Checks that `key` holds `value` (or, with null, is absent) under a verified state root; LightClientError LIGHT_BAD_KEY_PROOF otherwise. */
export function verifyKeyProof(t: Pick<ChainTrust, 'suite' | 'chain'>, stateRoot: string, key: string, value: JsonValue | null, proof: SmtProof, meter?: LightMeter): void {
  meter?.proofNodes(Array.isArray(proof?.siblings) ? proof.siblings.length + 1 : 1, key);
  let ok = false;
  try {
    ok = verifySmtProof(fromHex(stateRoot), stateKeyHash(t.suite, key), value === null ? null : stateValueHash(t.suite, value), proof, hashFor(t.suite));
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new LightClientError('LIGHT_BAD_KEY_PROOF', `${value === null ? 'non-inclusion' : 'inclusion'} proof of ${t.chain}:${key} does not verify against the state root`);
  }
}

/**
 * Checks a header a reader was handed (a tx's block, a state proof's block) against the set the
 * client knows for its height, its proposer signature included. It does not advance the client:
 * heights beyond `trustedThrough` fail with LIGHT_HEIGHT_NOT_TRUSTED until the client has
 * verified the headers that prove the schedule up to there.
 */
export function checkHeader(state: LightState, sh: SignedHeader): LightCheck {
  const height = sh?.header?.height;
  if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0) return lightFail('LIGHT_MALFORMED', 'not a signed header');
  if (height > trustedThrough(state)) {
    return lightFail('LIGHT_HEIGHT_NOT_TRUSTED', `no proven validator schedule covers height ${height} yet (known through ${trustedThrough(state)}); fetch the validator set for it first`);
  }
  return verifySignedHeader(state, validatorsFor(state.schedule, height), sh, { reader: true });
}

/** Checks a header for a reader; a function so the proof checks can take a client or a fixed set alike. */
export type HeaderVerifier = (sh: SignedHeader) => LightCheck;

export function headerVerifier(state: LightState): HeaderVerifier {
  return (sh) => checkHeader(state, sh);
}

/** Suite, chain and consensus of a chain, from its genesis. */
export function chainTrustOf(genesis: Pick<Genesis, 'chain' | 'suite' | 'consensus'>): ChainTrust {
  return { chain: genesis.chain, suite: genesis.suite, consensus: genesis.consensus.type };
}

