/**
 * Signing and checking tbft messages. What is signed is a domain tag naming the chain, then the
 * RFC 8785 canonical JSON of the message without its signature (and, for a proposal, with the value
 * reduced to its hash). The tag keeps a vote of one chain from being replayed on another.
 */
import { toHex } from '../../codec/index.ts';
import { didFromPublicKey, publicKeyFromPrivate, sign, type Suite } from '../../crypto/index.ts';
import { signBytes, proposalBody, voteBody, isVote, isProposal, isConsensusValue } from '../../ledger/index.ts';
import type {
  ConsensusValue, Decision, Proposal, Signer, TbftMessage, Vote, VoteType,
} from './types.ts';

// The domain tag, the signed bytes, the commit check and the suite verifier are pure and shared
// with light clients: they live in src/ledger/light/commit.ts (one implementation, used by both).
export { TBFT_DOMAIN, signBytes, verifyCommit, suiteVerifier } from '../../ledger/index.ts';
// So do the message bodies, their signature checks, the shape checks and evidence (votes.ts).
export { proposalBody, voteBody, verifyProposalSig, verifyVoteSig, verifyEvidence, isVote, isProposal } from '../../ledger/index.ts';


export function signProposal(signer: Signer, chain: string, height: number, round: number, value: ConsensusValue, validRound: number): Proposal {
  const unsigned = { type: 'proposal' as const, chain, height, round, value, validRound, proposer: signer.did };
  return { ...unsigned, sig: toHex(signer.sign(signBytes(chain, proposalBody(unsigned)))) };
}

export function signVote(signer: Signer, chain: string, type: VoteType, height: number, round: number, value: string | null): Vote {
  const unsigned = { type, chain, height, round, value, validator: signer.did };
  return { ...unsigned, sig: toHex(signer.sign(signBytes(chain, voteBody(unsigned)))) };
}


/** A Signer over a raw private key of the chain's suite. */
export function keySigner(suite: Suite, privateKey: Uint8Array): Signer {
  const did = didFromPublicKey(publicKeyFromPrivate(suite, privateKey));
  return { did, sign: (message) => sign(suite, privateKey, message) };
}


export function isDecision(x: unknown): x is Decision {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const d = x as Record<string, unknown>;
  return d.type === 'decision' && typeof d.chain === 'string' && typeof d.height === 'number' && Number.isSafeInteger(d.height) && d.height >= 0
    && isConsensusValue(d.value) && typeof d.commit === 'object' && d.commit !== null && !Array.isArray(d.commit);
}

export function isTbftMessage(x: unknown): x is TbftMessage {
  return isVote(x) || isProposal(x) || isDecision(x);
}
