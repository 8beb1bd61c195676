import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds (user + system, every thread) another process has used so far, from
 * /proc/<pid>/stat; NaN where there is no /proc (not Linux). 10 ms resolution.
 */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th, stime the 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * CPU milliseconds (user + system) of this process's children that have exited and been waited
 * for (cutime + cstime of /proc/self/stat); NaN where there is no /proc. Read around a spawnSync
 * (which blocks the event loop, so no other child is reaped meanwhile), it is what that child used.
 */
export function reapedChildrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Extra Node options for the node processes a benchmark starts, from BENCH_NODE_ARGS (split on
 * spaces): `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"` writes each node's CPU profile
 * (one file per thread), which `node scripts/profile-summary.mjs /tmp/p` summarises.
 */
export function benchNodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}
