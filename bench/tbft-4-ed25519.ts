import { runClusterBench } from './lib/cluster.ts';

/** Committed Ed25519-signed notary tx/s for four tbft validator processes; issue #20's goals: ≥ 1,500 tx/s, p50 < 1 s. */
export default async function run() {
  return runClusterBench('tbft-4-ed25519', 'ed25519', 15_000, { limit: 1500, limitWhat: 'goal: 1,500 tx/s for four validators on this 2-core machine (issue #20)', target: 1, p50GoalMs: 1000 });
}
