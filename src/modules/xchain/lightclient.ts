import { canonicalize, fromHex, isHex, type JsonValue } from '../../codec/index.ts';
import { hashFor, verify } from '../../crypto/index.ts';
import { headerHashOf, stateKeyHash, stateValueHash } from '../../ledger/index.ts';
import { verifySmtProof, type SmtProof } from '../../ledger/smt/index.ts';
import type { ValidatorInfo } from '../../ledger/index.ts';
import { suiteVerifier, verifyCommit, type Commit } from '../../consensus/tbft/index.ts';
import { ModuleError } from '../../runtime/index.ts';
import type { ClientState, HeaderProof } from './types.ts';

/** State key of a chain's validator schedule (module `validators`). */
const SCHEDULE_STATE_KEY = 'validators/schedule';
const ZERO_ROOT = '0'.repeat(64);

/** Gas for one signature check and one proof node, charged by the caller's meter. */
export const SIG_GAS = 3_000;
export const PROOF_NODE_GAS = 30;

type Charge = (gas: number, what: string) => void;

function validatorsFor(schedule: ClientState['schedule'], height: number): ValidatorInfo[] {
  let current = schedule[0]!.validators;
  for (const e of schedule) if (e.height <= height) current = e.validators;
  return current;
}

const sameSet = (a: ValidatorInfo[], b: ValidatorInfo[]): boolean => canonicalize(a as unknown as JsonValue) === canonicalize(b as unknown as JsonValue);

function isSchedule(v: JsonValue | null): v is JsonValue[] {
  return Array.isArray(v) && v.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e) && typeof e.height === 'number' && Array.isArray(e.validators));
}

/**
 * Verifies that a header is final on the chain `client` follows, and returns the client state
 * advanced by it. Rules (each a past bridge failure):
 * - the header hash recomputes, the header names the right chain, its state root is not zero
 *   (Nomad accepted a zero root as proven);
 * - solo chains: the proposer is the one validator and its signature verifies; BFT chains: a
 *   commit of precommits from more than 2/3 of the voting power of the set the client holds
 *   for that height (Ronin, Poly: too few or the wrong keys);
 * - chains that track validators: the header carries its own schedule, proven in its state
 *   root; the set it says validates this height must be the set that signed it, so a set that
 *   has been replaced cannot sign for heights after the change once the client has seen it.
 *   Later epochs in the proven schedule are adopted (the client follows validator changes).
 */
export function verifyHeaderProof(client: ClientState, hp: HeaderProof, charge: Charge): ClientState {
  const { header } = hp;
  const bad = (why: string): never => {
    throw new ModuleError('XCHAIN_BAD_HEADER', `header ${client.chain}@${header.height}: ${why}`);
  };
  if (header.chain !== client.chain) bad(`it is a header of chain ${header.chain}`);
  if (headerHashOf(client.suite, header) !== hp.hash) bad('its hash does not match its contents');
  if (header.stateRoot === ZERO_ROOT) bad('its state root is zero, which proves nothing');
  const validators = validatorsFor(client.schedule, header.height);
  if (client.consensus === 'solo') {
    const v = validators.length === 1 ? validators[0] : undefined;
    if (!v || v.did !== header.proposer) bad(`the proposer ${header.proposer} is not the chain's only validator`);
    if (!isHex(hp.sig, 64)) bad('the block signature is not 64 bytes of hex');
    charge(SIG_GAS, 'verifying a block signature');
    if (!verify(client.suite, fromHex(v!.publicKey), fromHex(hp.hash), fromHex(hp.sig))) bad('the block signature does not verify under the validator key');
  } else if (client.consensus === 'tbft') {
    const commit = hp.commit as unknown as Commit | undefined;
    if (!commit || typeof commit !== 'object') bad('a BFT header needs its commit');
    if (commit!.blockHash !== hp.hash || commit!.height !== header.height) bad('the commit is for another block');
    charge(SIG_GAS * (Array.isArray(commit!.signatures) ? commit!.signatures.length : 0), 'verifying commit signatures');
    const check = verifyCommit(commit!, validators, client.chain, suiteVerifier(client.suite));
    if (!check.ok) bad(check.reason ?? 'the commit does not verify');
  } else {
    bad('an attested chain has no headers; relay its packets with attestations');
  }
  let next = client;
  if (client.tracksValidators) {
    if (!hp.schedule) bad('this chain tracks validators: the header must come with its validator schedule and proof');
    const value = hp.schedule!.value;
    verifyKeyProof(client, header.stateRoot, SCHEDULE_STATE_KEY, value, hp.schedule!.proof, charge);
    // No schedule in state: the genesis set still validates.
    const proven: JsonValue = value === null ? [client.schedule[0]! as unknown as JsonValue] : value;
    if (!isSchedule(proven)) bad('its validator schedule is malformed');
    const schedule = proven as unknown as ClientState['schedule'];
    if (!sameSet(validatorsFor(schedule, header.height), validators)) {
      bad('the chain\'s own schedule names another validator set for this height; the client is behind, relay the headers of the change first');
    }
    const known = new Set(client.schedule.map((e) => e.height));
    const added = schedule.filter((e) => !known.has(e.height));
    if (added.length) next = { ...next, schedule: [...client.schedule, ...added].sort((a, b) => a.height - b.height) };
  }
  if (header.height > next.latestHeight) next = { ...next, latestHeight: header.height };
  return next;
}

/** Checks that `key` holds `value` (or, with null, is absent) under a verified state root. */
export function verifyKeyProof(client: Pick<ClientState, 'suite' | 'chain'>, stateRoot: string, key: string, value: JsonValue | null, proof: SmtProof, charge: Charge): void {
  charge(PROOF_NODE_GAS * (Array.isArray(proof?.siblings) ? proof.siblings.length + 1 : 1), `verifying a proof of ${key}`);
  const ok = verifySmtProof(fromHex(stateRoot), stateKeyHash(client.suite, key), value === null ? null : stateValueHash(client.suite, value), proof, hashFor(client.suite));
  if (!ok) {
    throw new ModuleError('XCHAIN_BAD_PROOF', `${value === null ? 'non-inclusion' : 'inclusion'} proof of ${client.chain}:${key} does not verify against the state root`);
  }
}
