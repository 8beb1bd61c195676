import { measureSm2VerifyAllCores } from './sm2-verify.ts';
import { runClusterBench } from './lib/cluster.ts';

/**
 * Committed SM2-signed notary tx/s for four tbft validator processes on this machine. Limit:
 * the all-core SM2 verify rate ÷ 4, since each validator checks every tx once on the same cores.
 * Issue #20's goals: ratio ≥ 0.6; p50 < 1 s, p99 < 2 s.
 */
export default async function run() {
  const verify = await measureSm2VerifyAllCores(3);
  const limit = verify / 4;
  return runClusterBench('tbft-4', 'sm2', Math.max(3000, Math.round(limit * 10)), {
    limit, limitWhat: "this machine's all-core SM2 verifications/s ÷ 4 validators (measured in this run)", target: 0.6, p50GoalMs: 1000, p99GoalMs: 2000,
  });
}
