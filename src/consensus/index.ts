export { SoloConsensus, type SoloOptions } from './solo.ts';
export type { BlockProducer, ConsensusEngine } from './types.ts';
export * from './tbft/index.ts';
