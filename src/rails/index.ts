/**
 * Settlement rails: adapters to external payment rails and the deposit watcher that turns a
 * rail's deposits into mints on the settlement chain. Client daemons over the SDK (docs/settlement.md).
 */
export type { RailAdapter, RailDeposit, RailEvent, RailPayout } from './types.ts';
export {
  SandboxRailAdapter, startSandboxRail, signWebhook, SANDBOX_LABEL, SANDBOX_NOTICE, type SandboxRail,
  type SandboxRailOptions,
} from './sandbox.ts';
export { startDepositWatcher, type DepositWatcher, type DepositWatcherOptions } from './watcher.ts';
