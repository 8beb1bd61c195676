import { ShulianError } from '../codec/index.ts';

/**
 * The wall clock a node proposes block times with and judges proposed block times against
 * (issue #21, clock skew between validators). This is the one place the node reads wall time for
 * consensus; block execution never reads it (it uses the block's time, src/chain/blocks.ts).
 *
 * For fault tests only, `SHULIAN_CLOCK_SKEW_MS` (a whole number of ms, at most ±60 s) shifts this
 * clock, as a host whose clock is off would. What a skewed proposer does to block times
 * (docs/operations.md#clock-skew): a block's time is max(proposer's clock, parent's time + 1 ms),
 * so it never goes backwards; a validator refuses (prevotes nil on) a block whose time is more
 * than 10 s ahead of its own clock. A proposer 5 s ahead therefore makes blocks 5 s in the
 * future, which validators up to 5 s behind still accept; the proposers after it, with correct
 * clocks, give parent + 1 ms until real time catches up.
 */
export const CLOCK_SKEW_ENV = 'SHULIAN_CLOCK_SKEW_MS';
export const MAX_CLOCK_SKEW_MS = 60_000;

export interface NodeClock {
  now: () => number;
  skewMs: number;
}

export function nodeClock(env: NodeJS.ProcessEnv = process.env): NodeClock {
  const raw = env[CLOCK_SKEW_ENV];
  if (raw === undefined || raw === '') return { now: Date.now, skewMs: 0 };
  if (!/^[+-]?\d{1,5}$/.test(raw.trim()) || Math.abs(Number(raw)) > MAX_CLOCK_SKEW_MS) {
    throw new ShulianError('CLOCK_SKEW_INVALID', `${CLOCK_SKEW_ENV}="${raw}": give a whole number of milliseconds between -${MAX_CLOCK_SKEW_MS} and ${MAX_CLOCK_SKEW_MS} (it is for fault tests; unset it to use the host's clock)`);
  }
  const skewMs = Number(raw);
  return { now: skewMs === 0 ? Date.now : () => Date.now() + skewMs, skewMs };
}
