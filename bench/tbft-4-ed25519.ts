import { runClusterBench } from './lib/cluster.ts';

/** Committed Ed25519-signed notary tx/s for four tbft validator processes; the target is 1,000 tx/s. */
export default async function run() {
  return runClusterBench('tbft-4-ed25519', 'ed25519', 15_000, { limit: 1000, limitWhat: 'target: 1,000 tx/s for four validators on this 2-core machine', target: 1 });
}
