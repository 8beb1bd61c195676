import type { Evidence } from '../../ledger/index.ts';

/** Evidence as a transaction carries it: JSON claiming tbft's Evidence shape (verifyEvidence checks it). */
export type SubmittedEvidence = Evidence & { voteType?: string };

/** A recorded equivocation: the evidence, who reported it and when. */
export interface EvidenceRecord {
  evidence: SubmittedEvidence;
  reportedBy: string;
  height: number;
  time: number;
  tx: string;
}
