/**
 * The off-chain side of governance (以链治链): typed readers over a governance chain's state, the
 * lifecycle watcher that tells a node which chains to start and stop, and admission checks.
 */
export {
  readMeta, readPolicy, readMembers, readMember, readProposal, listProposals, readVotes,
  readChainRegistry, readChain, readRegulators, readGateways,
  type StateSource, type StateRead, type ReadOptions, type ProposalView, type ListProposalsOptions,
} from './readers.ts';
export {
  ChainLifecycleWatcher, lifecycleEventsOf, assignedChains,
  type LifecycleEvent, type BlockSource, type WatcherOptions, type Assignment,
} from './watcher.ts';
export { checkAdmission, type AdmissionFacts, type AdmissionResult } from './admission.ts';
