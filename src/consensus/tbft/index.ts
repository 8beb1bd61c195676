/**
 * `tbft`: Tendermint BFT consensus ("The latest gossip on BFT consensus", Buchman, Kwon,
 * Milosevic 2018) as a pure state machine, its messages, commits, evidence, proposer selection
 * and write-ahead logs, and the driver that runs it for a chain. See docs/consensus.md.
 */
export { TbftCore, DEFAULT_TIMEOUTS } from './core.ts';
export {
  TBFT_DOMAIN, signBytes, proposalBody, voteBody, signProposal, signVote, verifyProposalSig, verifyVoteSig,
  verifyCommit, verifyEvidence, keySigner, suiteVerifier, isTbftMessage,
} from './messages.ts';
export { ProposerSchedule, proposerOf, MAX_PROPOSER_PERIOD } from './proposer.ts';
export { MemoryWal, FileWal, walEntryHeight, type WalRecovery } from './wal.ts';
export {
  TbftDriver, type TbftDriverOptions, type TbftDriverStatus, type TbftTransport, type CatchUpTarget, type BlockCatchUp,
} from './driver.ts';
export { traceFromEnv, TRACE_ENV, type TbftTrace, type TraceEvent } from './trace.ts';
export type {
  ConsensusValue, VoteType, Step, Proposal, Vote, CommitSig, Commit, Decision, TbftMessage, DuplicateVoteEvidence,
  DuplicateProposalEvidence, Evidence, TimeoutKind, ValidationResult, TbftAction, Signer, VerifyFn, WalEntry, Wal,
  TimeoutConfig, TbftOptions, TbftStatus, CommitCheck,
} from './types.ts';
