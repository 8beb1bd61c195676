import { measureSm2VerifyAllCores } from './sm2-verify.ts';
import { runSoloBench } from './lib/solo.ts';

/** Committed SM2-signed notary tx/s on a solo node over HTTP, against the machine's all-core SM2 verify rate; issue #20's goal: ratio ≥ 0.7. */
export default async function run() {
  const limit = await measureSm2VerifyAllCores(3);
  return runSoloBench('solo-sm2', 'sm2', Math.max(6000, Math.round(limit * 6)), {
    limit, limitWhat: "this machine's SM2 verifications/s on all cores (measured in this run)", target: 0.7,
  });
}
