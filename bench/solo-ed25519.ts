import { runSoloBench } from './lib/solo.ts';

/** Committed Ed25519-signed notary tx/s on a solo node over HTTP; the target is 4,000 tx/s. */
export default async function run() {
  return runSoloBench('solo-ed25519', 'ed25519', 40_000, { limit: 4000, limitWhat: 'target: 4,000 tx/s on this 2-core machine', target: 1 });
}
