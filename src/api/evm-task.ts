/**
 * eth_call and eth_estimateGas as worker tasks (issue #13 follow-up): the EVM runs on a pool
 * worker (render-pool.ts), never on the thread that serves the API and drives consensus. It
 * reads the chain's state at one fixed height through the pool's synchronous bridge to the main
 * thread, so it answers exactly what the main thread would have.
 */
import { ShulianError, type JsonValue } from '../codec/index.ts';
import { evmView, type EvmEnv, type EvmOutcome } from '../modules/evm/index.ts';
import type { Frozen } from '../runtime/index.ts';

export interface EvmCallMessage {
  from?: string;
  to?: string;
  data: string;
  value?: bigint;
  gas?: number;
}

/** One call (`evm-call`) or the least gas it succeeds with (`evm-estimate`); no run gets more than `gasCap`. */
export interface EvmTask {
  kind: 'evm-call' | 'evm-estimate';
  env: EvmEnv;
  msg: EvmCallMessage;
  gasCap: number;
  /** The chain's frozen EVM contracts by 0x address: a run that loads one's code answers `frozen`. */
  frozen?: Record<string, Frozen>;
}

/** The outcome, without the state changes (a call writes nothing); `gas` is the estimate. */
export interface EvmTaskResult {
  ok: boolean;
  returnData: string;
  gasSpent: string;
  error?: string;
  reason?: string;
  gas?: string;
}

const slim = (o: EvmOutcome): EvmTaskResult => ({
  ok: o.ok, returnData: o.returnData, gasSpent: o.gasSpent.toString(),
  ...(o.error !== undefined ? { error: o.error } : {}), ...(o.reason !== undefined ? { reason: o.reason } : {}),
});

export async function runEvmTask(task: EvmTask, read: (key: string) => JsonValue | undefined): Promise<EvmTaskResult> {
  // State at one height never changes: each key crosses the bridge once for all runs of an estimate.
  const cache = new Map<string, JsonValue | undefined>();
  const cached = (k: string): JsonValue | undefined => {
    if (cache.has(k)) return cache.get(k);
    const v = read(k);
    cache.set(k, v);
    return v;
  };
  const cap = task.gasCap;
  const run = (gas: number) => evmView(cached, task.env, { ...task.msg, gas: Math.min(gas, cap) }, task.frozen);
  try {
    return await answer(task, run);
  } catch (err) {
    // A frozen contract reached (directly or by an internal call): refused as a tx would be.
    if (err instanceof ShulianError && err.code === 'FROZEN') return { ok: false, returnData: '0x', gasSpent: '0', error: 'frozen', reason: err.message };
    throw err;
  }
}

async function answer(task: EvmTask, run: (gas: number) => Promise<EvmOutcome>): Promise<EvmTaskResult> {
  const cap = task.gasCap;
  if (task.kind === 'evm-call') return slim(await run(task.msg.gas ?? cap));
  // The least EVM gas limit with which the call succeeds at that state (what a deploy/call tx's
  // `gas` should be): the dry run's gas before refunds, raised by binary search when the 63/64
  // rule of nested calls or SSTORE's 2300-gas sentry needs more. At most 2 + log2(cap) runs.
  const first = await run(cap);
  if (!first.ok) return slim(first);
  const fits = async (gas: bigint): Promise<boolean> => (await run(Number(gas))).ok;
  let lo = first.gasSpent;
  if (await fits(lo)) return { ...slim(first), gas: lo.toString() };
  let hi = BigInt(cap);
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (await fits(mid)) hi = mid;
    else lo = mid;
  }
  return { ...slim(first), gas: hi.toString() };
}
