/**
 * One header against one validator set: is this block final on the chain? The checks, in order,
 * each with the code it fails with:
 *   1. the header names the chain                     LIGHT_WRONG_CHAIN
 *   2. its hash recomputes                            LIGHT_HASH_MISMATCH
 *   3. its state root is not zero (bridges only)      LIGHT_ZERO_STATE_ROOT
 *   4. solo: the proposer is the one validator and its block signature verifies
 *                                                     LIGHT_NOT_VALIDATOR, LIGHT_BAD_BLOCK_SIGNATURE
 *      tbft: a commit for this block by more than 2/3 of the set's power
 *                                                     LIGHT_NO_COMMIT, LIGHT_COMMIT_OTHER_BLOCK,
 *                                                     LIGHT_COMMIT_*, LIGHT_NOT_ENOUGH_POWER
 *      attested: no headers                          LIGHT_ATTESTED_CHAIN
 *   5. for a reader, on tbft too: the proposer is in the set and signed the block hash (so a
 *      reader binds every byte it was handed, not only those the commit covers).
 * A reader accepts a zero state root under a valid commit: it is an empty state, signed. The
 * rule against it is for bridges, where an unset root was once taken as proven (Nomad).
 * Which set is the right one for the height is the caller's business (client.ts follows the
 * schedule; see there).
 */
import { fromHex, isHex } from '../../codec/index.ts';
import { verify, type Suite } from '../../crypto/index.ts';
import { headerHashOf } from '../hashing.ts';
import type { BlockHeader, ValidatorInfo } from '../types.ts';
import { suiteVerifier, verifyCommit, type Commit } from './commit.ts';
import { LIGHT_OK, lightFail, type LightCheck } from './errors.ts';

/** A block header with what makes it final: the proposer's signature and, on BFT chains, a commit. */
export interface SignedHeader {
  header: BlockHeader;
  hash: string;
  sig: string;
  commit?: unknown;
}

/** What the client knows of the chain itself: its id, suite and consensus. */
export interface ChainTrust {
  chain: string;
  suite: Suite;
  consensus: 'solo' | 'tbft' | 'attested';
}

/** Called before signature and proof work is done, so a caller can meter it (xchain charges gas). */
export interface LightMeter {
  signatures(count: number, of: 'block' | 'commit'): void;
  proofNodes(count: number, key: string): void;
}

export interface HeaderCheckOptions {
  meter?: LightMeter;
  /**
   * Checks for a reader (the SDK, the CLI): the proposer's block signature on tbft chains too, and
   * a zero state root accepted. The xchain module checks as a bridge (without this).
   */
  reader?: boolean;
}

const ZERO_ROOT = '0'.repeat(64);

function isHeaderShape(h: unknown): h is BlockHeader {
  if (h === null || typeof h !== 'object' || Array.isArray(h)) return false;
  const x = h as Record<string, unknown>;
  return typeof x.chain === 'string' && typeof x.height === 'number' && Number.isSafeInteger(x.height) && x.height >= 0
    && typeof x.stateRoot === 'string' && typeof x.proposer === 'string';
}

function proposerSig(t: ChainTrust, validators: readonly ValidatorInfo[], sh: SignedHeader, meter: LightMeter | undefined): LightCheck {
  const v = validators.find((x) => x.did === sh.header.proposer);
  if (!v) return lightFail('LIGHT_NOT_VALIDATOR', `the proposer ${sh.header.proposer} is not a validator at height ${sh.header.height}`);
  if (!isHex(sh.sig, 64)) return lightFail('LIGHT_MALFORMED', 'the block signature is not 64 bytes of hex');
  meter?.signatures(1, 'block');
  let ok = false;
  try {
    ok = verify(t.suite, fromHex(v.publicKey), fromHex(sh.hash), fromHex(sh.sig));
  } catch {
    ok = false;
  }
  return ok ? LIGHT_OK : lightFail('LIGHT_BAD_BLOCK_SIGNATURE', 'the block signature does not verify under the proposer key');
}

/** Checks that `sh` is a final block of chain `t.chain` signed by `validators` (see the file comment). */
export function verifySignedHeader(t: ChainTrust, validators: readonly ValidatorInfo[], sh: SignedHeader, opts: HeaderCheckOptions = {}): LightCheck {
  if (sh === null || typeof sh !== 'object' || !isHeaderShape(sh.header) || typeof sh.hash !== 'string') return lightFail('LIGHT_MALFORMED', 'not a signed header');
  const { header } = sh;
  if (header.chain !== t.chain) return lightFail('LIGHT_WRONG_CHAIN', `it is a header of chain ${header.chain}`);
  let hash: string;
  try {
    hash = headerHashOf(t.suite, header);
  } catch {
    return lightFail('LIGHT_MALFORMED', 'the header cannot be hashed');
  }
  if (hash !== sh.hash) return lightFail('LIGHT_HASH_MISMATCH', 'its hash does not match its contents');
  if (header.stateRoot === ZERO_ROOT && !opts.reader) return lightFail('LIGHT_ZERO_STATE_ROOT', 'its state root is zero, which proves nothing');
  if (t.consensus === 'solo') {
    const v = validators.length === 1 ? validators[0] : undefined;
    if (!v || v.did !== header.proposer) return lightFail('LIGHT_NOT_VALIDATOR', `the proposer ${header.proposer} is not the chain's only validator`);
    if (!isHex(sh.sig, 64)) return lightFail('LIGHT_MALFORMED', 'the block signature is not 64 bytes of hex');
    opts.meter?.signatures(1, 'block');
    let ok = false;
    try {
      ok = verify(t.suite, fromHex(v.publicKey), fromHex(sh.hash), fromHex(sh.sig));
    } catch {
      ok = false;
    }
    return ok ? LIGHT_OK : lightFail('LIGHT_BAD_BLOCK_SIGNATURE', 'the block signature does not verify under the validator key');
  }
  if (t.consensus === 'tbft') {
    const commit = sh.commit as Commit | undefined;
    if (!commit || typeof commit !== 'object' || Array.isArray(commit)) return lightFail('LIGHT_NO_COMMIT', 'a BFT header needs its commit');
    if (commit.blockHash !== sh.hash || commit.height !== header.height) return lightFail('LIGHT_COMMIT_OTHER_BLOCK', 'the commit is for another block');
    opts.meter?.signatures(Array.isArray(commit.signatures) ? commit.signatures.length : 0, 'commit');
    const check = verifyCommit(commit, validators, t.chain, suiteVerifier(t.suite));
    if (!check.ok) return lightFail(check.code ?? 'LIGHT_MALFORMED', check.reason ?? 'the commit does not verify');
    return opts.reader ? proposerSig(t, validators, sh, undefined) : LIGHT_OK;
  }
  return lightFail('LIGHT_ATTESTED_CHAIN', 'an attested chain has no headers; relay its packets with attestations');
}
