export { SoloConsensus, type SoloOptions } from './solo.ts';
export type { Candidate, ConsensusHost, ConsensusEngine } from './types.ts';
export * from './tbft/index.ts';
