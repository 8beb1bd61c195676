/**
 * sandbox — the simulation sandbox (安全沙箱 / 监管沙箱, issue #24, docs/simulation.md): copy-on-write
 * forks of chains' committed state at any height, simulation of txs and bundles through the
 * chains' own block execution, effects and a risk report that applies the supervision rules.
 * Not the SANDBOX settlement rail of `shulian up` (test money, src/node/sandbox.ts).
 */
export { SANDBOX_ERRORS, type SandboxErrorCode } from './errors.ts';
export { SimulationSandbox, SANDBOX_LIMITS, type SandboxLimits, type Divergence } from './sandbox.ts';
export { ChainFork, entryOf, type ForkEntry, type ForkBlock } from './fork.ts';
export { effectsOf, MAX_DIFF_KEYS, type Effects } from './effects.ts';
export { riskOf, didsIn, type PartyJudge, type RiskInput } from './risk.ts';
export { relayExecutor, relayPackets, packetsSent, SIM_RELAY, MAX_RELAY_ROUNDS, MAX_RELAYED, type RelayHost } from './relay.ts';
