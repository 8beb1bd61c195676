export type { RailAdapter, RailDeposit, RailEvent, RailPayout } from './types.ts';
export { SandboxRailAdapter, startSandboxRail, signWebhook, SANDBOX_LABEL, SANDBOX_NOTICE, type SandboxRail, type SandboxRailOptions } from './sandbox.ts';
export { startDepositWatcher, type DepositWatcher, type DepositWatcherOptions } from './watcher.ts';
