/**
 * The light client (browser-safe: codec, crypto and ledger only). See client.ts for how it
 * follows a chain from its genesis through validator changes, header.ts for what makes one
 * header final, commit.ts for tbft commits, errors.ts for its error codes.
 */
export { LightClientError, LIGHT_OK, lightFail, type LightCheck, type LightErrorCode } from './errors.ts';
export {
  TBFT_DOMAIN, signBytes, precommitBody, suiteVerifier, verifyCommit, type Commit, type CommitSig, type CommitCheck, type VerifyFn,
} from './commit.ts';
export { SCHEDULE_LEAD, SCHEDULE_STATE_KEY, validatorsFor, changeHeights, sameSet, isSchedule, type ValidatorEpoch } from './schedule.ts';
export { verifySignedHeader, type SignedHeader, type ChainTrust, type LightMeter, type HeaderCheckOptions } from './header.ts';
export {
  genesisHash, lightStateFromGenesis, trustedThrough, verifyHeaderProof, verifyKeyProof, checkHeader, headerVerifier, chainTrustOf,
  MAX_VALIDATOR_HEADERS, type LightState, type HeaderProof, type HeaderVerifier, type ValidatorsAt,
} from './client.ts';
export {
  proposalBody, voteBody, verifyProposalSig, verifyVoteSig, verifyEvidence, isVote, isProposal, isConsensusValue,
  type ConsensusValue, type VoteType, type Proposal, type Vote, type DuplicateVoteEvidence, type DuplicateProposalEvidence, type Evidence,
} from './votes.ts';
