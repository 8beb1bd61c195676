import { readFileSync } from 'node:fs';
import { threadSchedMs } from '../../src/codec/worker.ts';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/**
 * The fields of a /proc stat file after the command name (which may hold spaces, in
 * parentheses): index 0 is the state, the 3rd field of proc(5); index i is field i + 3.
 */
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Two clock-tick counters of a /proc stat file, summed, in ms; NaN where there is no /proc (not Linux). */
function ticksMs(path: string, a: number, b: number): number {
  try {
    const f = statFields(path);
    return ((Number(f[a]) + Number(f[b])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * CPU milliseconds (user + system, every thread) another process has used so far, from
 * /proc/<pid>/stat (utime and stime, its 14th and 15th fields); NaN where there is no /proc. 10 ms resolution.
 */
export function procCpuMs(pid: number): number {
  return ticksMs(`/proc/${pid}/stat`, 11, 12);
}

/**
 * CPU milliseconds (user + system) of this process's children that have exited and been waited
 * for (cutime and cstime, the 16th and 17th fields of /proc/self/stat); NaN where there is no
 * /proc. Read around a spawnSync (which blocks the event loop, so no other child is reaped
 * meanwhile), it is what that child used.
 */
export function reapedChildrenCpuMs(): number {
  return ticksMs('/proc/self/stat', 13, 14);
}

/**
 * How long another process's main thread (where a node runs consensus and executes blocks) has
 * run on a core and waited for one, in ms (threadSchedMs, src/codec/worker.ts); NaN for both
 * where there is no schedstat, so a sum over nodes reads NaN rather than a made-up 0.
 */
export function mainThreadSchedMs(pid: number): { runMs: number; waitMs: number } {
  return threadSchedMs(pid) ?? { runMs: NaN, waitMs: NaN };
}

/**
 * Extra Node options for the node processes a benchmark starts, from BENCH_NODE_ARGS (split on
 * spaces): `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"` writes each node's CPU profile
 * (one file per thread), which `node scripts/profile-summary.mjs /tmp/p` summarises.
 */
export function benchNodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}
