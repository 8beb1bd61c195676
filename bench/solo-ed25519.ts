import { measureVerifyAllCores } from './sm2-verify.ts';
import { runSoloBench } from './lib/solo.ts';

/** Committed Ed25519-signed notary tx/s on a solo node over HTTP, against the machine's all-core Ed25519 verify rate; issue #20's goal: ratio ≥ 0.5. */
export default async function run() {
  const limit = await measureVerifyAllCores('ed25519', 3);
  return runSoloBench('solo-ed25519', 'ed25519', Math.min(40_000, Math.max(6000, Math.round(limit * 2))), {
    limit, limitWhat: "this machine's Ed25519 verifications/s on all cores (measured in this run)", target: 0.5,
  });
}
