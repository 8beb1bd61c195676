export { Chain, MAX_BATCH, DEFAULT_MEMPOOL_POLICY, type ChainOptions, type MempoolPolicy } from './chain.ts';
export type { BlockCandidate } from './blocks.ts';
export { REFS_KEY, refsEqual, type ReferenceChain, type StateAt, type Verdict, type SenderAuthority, type AdmissionRule, type AllianceRule, type Refs } from './refs.ts';
export { AdmissionPool } from './admission/pool.ts';
export { admitTxs, admitBody, type AdmitParams, type AdmitOutcome, type AdmitAnswer } from './admission/admit.ts';
export { Mempool, type MempoolEntry, type MempoolLimits } from './mempool.ts';
export type { ChainView, ChainInfo, SubmitResult, SubmitAnswer, BlockSummary, NodeView, ConsensusStatus } from './types.ts';
export { runBlock, type RunContext, type ParentState, type BlockRun } from './execute.ts';
export type { ForkBase } from './fork.ts';
