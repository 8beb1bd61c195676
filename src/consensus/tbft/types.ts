/**
 * Types of the `tbft` consensus core: Tendermint BFT as in "The latest gossip on BFT consensus"
 * (Buchman, Kwon, Milosevic 2018), written as a pure state machine (events in, actions out).
 */
import type { ValidatorInfo, Commit, VerifyFn } from '../../ledger/index.ts';

export type Step = 'propose' | 'prevote' | 'precommit';

// Votes, proposals and evidence live with light clients (src/ledger/light/votes.ts).
export type {
  ConsensusValue, VoteType, Proposal, Vote, DuplicateVoteEvidence, DuplicateProposalEvidence, Evidence,
} from '../../ledger/index.ts';
import type { ConsensusValue, Proposal, Vote, Evidence } from '../../ledger/index.ts';

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

