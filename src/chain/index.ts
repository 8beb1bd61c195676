export { Chain, type ChainOptions } from './chain.ts';
export type { ChainView, ChainInfo, SubmitResult, BlockSummary, NodeView } from './types.ts';
