export { Chain, MAX_BATCH, type ChainOptions, type BlockCandidate, type AdmissionCheck, type SenderAuthority } from './chain.ts';
export { AdmissionPool } from './admission/pool.ts';
export { admitTxs, admitBody, type AdmitParams, type AdmitOutcome, type AdmitAnswer } from './admission/admit.ts';
export type { ChainView, ChainInfo, SubmitResult, SubmitAnswer, BlockSummary, NodeView, ConsensusStatus } from './types.ts';
