/**
 * Types of the `tbft` consensus core: Tendermint BFT as in "The latest gossip on BFT consensus"
 * (Buchman, Kwon, Milosevic 2018), written as a pure state machine (events in, actions out).
 */
import type { ValidatorInfo, Commit, VerifyFn } from '../../ledger/index.ts';

/**
 * What consensus agrees on. Opaque to the core: `hash` identifies the value (a block hash) and is
 * all that votes carry; `payload` (the block) travels only in proposals and decisions. The payload
 * must be JSON (it is written to the WAL as canonical JSON).
 */
export interface ConsensusValue {
  hash: string;
  payload?: unknown;
}

export type VoteType = 'prevote' | 'precommit';
export type Step = 'propose' | 'prevote' | 'precommit';

/** ⟨PROPOSAL, h, r, v, validRound⟩ signed by proposer(h, r). The signature covers `value.hash`, not the payload. */
export interface Proposal {
  type: 'proposal';
  chain: string;
  height: number;
  round: number;
  value: ConsensusValue;
  /** −1, or the round in which the proposer saw 2f+1 prevotes for this value. */
  validRound: number;
  proposer: string;
  /** Hex signature over signBytes(chain, proposal body). */
  sig: string;
}

/** ⟨PREVOTE | PRECOMMIT, h, r, id(v) | nil⟩ signed by a validator. */
export interface Vote {
  type: VoteType;
  chain: string;
  height: number;
  round: number;
  /** The value hash, or null for nil. */
  value: string | null;
  validator: string;
  sig: string;
}

// Commits, their check's result and the verify function type are shared with light clients.
export type { CommitSig, Commit, CommitCheck, VerifyFn } from '../../ledger/index.ts';

/** A decided value with its commit; sent to a validator that is behind (and usable by block sync). */
export interface Decision {
  type: 'decision';
  chain: string;
  height: number;
  value: ConsensusValue;
  commit: Commit;
}

export type TbftMessage = Proposal | Vote | Decision;

/** Two different signed votes from one validator for the same (height, round, type). */
export interface DuplicateVoteEvidence {
  type: 'duplicate-vote';
  validator: string;
  height: number;
  round: number;
  voteType: VoteType;
  a: Vote;
  b: Vote;
}

/** Two different signed proposals from the proposer of one (height, round); payloads left out. */
export interface DuplicateProposalEvidence {
  type: 'duplicate-proposal';
  validator: string;
  height: number;
  round: number;
  a: Proposal;
  b: Proposal;
}

export type Evidence = DuplicateVoteEvidence | DuplicateProposalEvidence;

/**
 * `propose`, `prevote`, `precommit`: the paper's three timeouts. `commit`: the pause after a decision
 * before the next height starts. `rebroadcast`: resend this validator's own messages of the current
 * height (the paper assumes gossip that eventually delivers; over a lossy link this provides it).
 */
export type TimeoutKind = 'propose' | 'prevote' | 'precommit' | 'commit' | 'rebroadcast';

/** What the app answers to a `validate` action. `mismatch`: the payload is not the value its hash names (drop that copy, judge nothing). */
export type ValidationResult = 'valid' | 'invalid' | 'mismatch';

export type TbftAction =
  /** Send to every validator (the node's own copy is already applied). */
  | { type: 'broadcast'; message: TbftMessage }
  /** Send to one peer: `to` is the `from` given to receive(), else the message author's DID. */
  | { type: 'send'; to: string; message: TbftMessage }
  /** Call core.timeout(kind, height, round) after `ms`. Stale timeouts are ignored by the core. */
  | { type: 'scheduleTimeout'; kind: TimeoutKind; height: number; round: number; ms: number }
  /** This validator proposes at (height, round): build a block, answer with core.proposalValue(). */
  | { type: 'requestProposal'; height: number; round: number }
  /** Check a proposed value, answer with core.validated(height, value.hash, result). */
  | { type: 'validate'; height: number; value: ConsensusValue }
  /** Final: apply and store the block with its commit. */
  | { type: 'decide'; height: number; round: number; value: ConsensusValue; commit: Commit }
  | { type: 'recordEvidence'; evidence: Evidence };

/** Signs bytes with this validator's key (SM2 or Ed25519 per the chain). */
export interface Signer {
  readonly did: string;
  sign(message: Uint8Array): Uint8Array;
}

/**
 * A WAL record. The core appends its own proposals and votes (a precommit for a value carries the
 * lock it sets) and validValue updates, each before the message can leave.
 */
export type WalEntry =
  | { kind: 'proposal'; proposal: Proposal }
  | { kind: 'vote'; vote: Vote; lock?: ConsensusValue }
  | { kind: 'valid'; height: number; round: number; value: ConsensusValue };

/** Write-ahead log. `append` is durable when it returns (a file WAL fsyncs); it throws if it cannot be. */
export interface Wal {
  append(entry: WalEntry): void;
  /** Every entry in append order, as recovered on open. */
  entries(): readonly WalEntry[];
}

/** Timeouts grow linearly per round: base + delta × round (paper §"Tendermint consensus algorithm"). */
export interface TimeoutConfig {
  proposeMs: number;
  proposeDeltaMs: number;
  prevoteMs: number;
  prevoteDeltaMs: number;
  precommitMs: number;
  precommitDeltaMs: number;
  /** Pause between a decision and the next height (0: start it at once). */
  commitMs: number;
  /** How often to resend own messages of the current height while it is undecided. */
  rebroadcastMs: number;
}

export interface TbftOptions {
  chainId: string;
  /** The validator set that decides `height`. Must be known once height − 1 is decided. */
  validatorsAt(height: number): readonly ValidatorInfo[];
  verify: VerifyFn;
  wal: Wal;
  /** Absent, or a DID outside the set: the core follows and decides but never signs. */
  signer?: Signer;
  timeouts?: Partial<TimeoutConfig>;
  /**
   * A decided height from the app's store (block + commit), sent to validators that are behind
   * when the core no longer holds it in memory (after a restart, or older than keepDecisions).
   */
  decisionAt?(height: number): { value: ConsensusValue; commit: Commit } | undefined;
  /** Decisions kept in memory to help validators that are behind (default 64). */
  keepDecisions?: number;
  /** Messages more than this many rounds ahead only count for round skipping (default 8). */
  maxRoundsAhead?: number;
  /** Distinct proposals kept per round from an equivocating proposer (default 4). */
  maxProposalsPerRound?: number;
  /** Messages buffered for the next height (default 4096). */
  maxBuffered?: number;
}

/** A snapshot of the core's state, for monitoring and tests. */
export interface TbftStatus {
  height: number;
  round: number;
  step: Step;
  decided: boolean;
  lockedRound: number;
  lockedHash: string | null;
  validRound: number;
  validHash: string | null;
}

