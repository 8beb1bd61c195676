/**
 * Worker threads started the same way everywhere: one entry (worker-entry.mjs) that loads the
 * thread's body from dist/ when it was built and from src/ through tsx otherwise, so a pool names
 * only its body and the function that runs it. Node only (node:worker_threads): not part of
 * codec's browser-safe index.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/**
 * A worker thread running `start()` of the module `body`, named as its TypeScript source beside
 * the caller: `spawnWorker(new URL('./verify-worker-impl.ts', import.meta.url), 'startVerifyWorker')`
 * (in dist/ the compiled .js beside it runs). `options` (workerData, transferList, …) are passed
 * on; argv is the entry's own.
 */
export function spawnWorker(body: URL, start: string, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  return new Worker(ENTRY, { ...options, argv: [body.href, start] });
}

/**
 * Asks the OS for a lower priority (a higher nice value) for the calling thread (Linux: a
 * thread's id names it for setpriority). Where that is not possible nothing changes. Only
 * scheduling changes, never what the thread computes.
 */
export function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux, or not permitted: keep the default priority
  }
}

/**
 * How long a process's main thread (this one's unless `pid` names another) has run on a core and
 * how long it was ready to run but waited for one, in ms so far: the first two fields of Linux's
 * /proc/<pid>/task/<pid>/schedstat (ns on the CPU, ns waiting on a run queue; the kernel's
 * Documentation/scheduler/sched-stats.rst). The wait is what threads sharing too few cores lose.
 * Undefined where there is no schedstat (not Linux, a kernel built without CONFIG_SCHEDSTATS, or
 * a process that has exited).
 */
export function threadSchedMs(pid: number = process.pid): { runMs: number; waitMs: number } | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
    return { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return undefined;
  }
}
