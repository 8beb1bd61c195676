/**
 * Errors of the simulation sandbox (安全沙箱, src/sandbox): forks of chain state and simulations.
 * Not the SANDBOX settlement rail of a development alliance (src/node/sandbox.ts).
 */
import type { ErrorList, Registered } from '../codec/index.ts';

export const SANDBOX_ERRORS = {
  SIM_FORK_NOT_FOUND: 'no simulation fork with that id (it expired, was dropped, or never existed)',
  SIM_FORK_LIMIT: 'this node keeps as many simulation forks as it allows at once; drop one or wait for one to expire',
  SIM_FORK_FULL: 'a simulation fork holds as many changed bytes as it may; drop it and fork again',
  SIM_TOO_MANY_TXS: 'a simulation has more transactions than one may have',
  SIM_TIMEOUT: 'a simulation ran past its time limit; nothing of it was kept',
  SIM_BAD_REQUEST: 'a simulation request is malformed (the message names the field)',
  SIM_CHAIN_NOT_FORKED: 'a simulated transaction names a chain the fork does not hold',
} as const satisfies ErrorList;

export type SandboxErrorCode = keyof typeof SANDBOX_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof SANDBOX_ERRORS, 'sandbox'> {}
}
