/**
 * A trace of what each height waits for on one node (docs/consensus.md#tracing-a-height): when a
 * block was built, a proposal arrived and was rebuilt, a block validated, each vote sent and
 * received, a decision taken and committed. For finding where the time of a height goes on a
 * test rig, as issue #21's trace did; `node scripts/tbft-trace.mjs DIR` lines up the nodes' files.
 *
 * Off unless the node's environment sets SHULIAN_TBFT_TRACE to a directory; then each chain a
 * node process runs appends JSON lines `{"t": ms, "ev": …, "h": height, …}` to
 * DIR/<chain>-<pid>.jsonl. `t` is wall-clock milliseconds with a fraction, comparable between
 * the processes of one machine. Lines go through a buffered stream: the consensus path never
 * waits for the disk. On a disk slower than the node, at most `maxBufferedBytes` (8 MiB) wait in
 * memory; lines past that are dropped, and the next line written (or the close) is preceded by
 * `{"ev": "dropped", "n": …}`, saying how many. Nothing secret is written (heights, rounds, sizes,
 * peers' DIDs).
 *
 * The steps that run on the node's CPU (building, validating, deciding: the `-start` and `-end`
 * lines) also carry `run` and `wait`: the ms the node's main thread has so far spent on a core
 * and ready to run but waiting for one (the first two fields of Linux's
 * /proc/<pid>/task/<pid>/schedstat; absent where the kernel gives none). Between a step's start
 * and end they split its time into work, waiting for a core (validators sharing too few cores),
 * and the rest (waiting on the disk or another thread).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ShulianError } from '../../codec/index.ts';
import { threadSchedMs } from '../../codec/worker.ts';

export type TraceEvent =
  | 'propose-start' | 'propose-end'
  | 'proposal-in' | 'proposal-rebuilt'
  | 'validate-start' | 'validate-end'
  | 'send' | 'recv'
  | 'decide-start' | 'decide-end'
  | 'dropped';

/** Records one step at a height; `extra` adds fields (tx count, vote type, round, peer). */
export type TbftTrace = (ev: TraceEvent, height: number, extra?: Record<string, string | number | boolean | undefined>) => void;

/** The steps whose lines carry the main thread's scheduler times. */
const TIMED: ReadonlySet<TraceEvent> = new Set(['propose-start', 'propose-end', 'validate-start', 'validate-end', 'decide-start', 'decide-end']);

/** This process's main thread: ms on a core and ms waiting for one so far (0.1 ms), or nothing where Linux's schedstat is missing. */
function mainThreadSched(): { run: number; wait: number } | undefined {
  const s = threadSchedMs();
  return s && { run: Math.round(s.runMs * 10) / 10, wait: Math.round(s.waitMs * 10) / 10 };
}

/** The environment variable that turns tracing on: a directory to write into. */
export const TRACE_ENV = 'SHULIAN_TBFT_TRACE';

/** How much of the trace may wait in memory for the disk before lines are dropped. */
export const TRACE_MAX_BUFFERED = 8 << 20;

/**
 * A trace for `chain` when SHULIAN_TBFT_TRACE is set, else undefined (and nothing is opened).
 * The directory is made if missing; TBFT_TRACE_DIR_INVALID when it cannot be.
 */
export function traceFromEnv(chain: string, env: NodeJS.ProcessEnv = process.env, maxBufferedBytes = TRACE_MAX_BUFFERED): { trace: TbftTrace; close: () => void } | undefined {
  const dir = env[TRACE_ENV];
  if (!dir) return undefined;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ShulianError('TBFT_TRACE_DIR_INVALID', `${TRACE_ENV}="${dir}": cannot make that directory (${(err as Error).message}); name a writable directory, or unset it to trace nothing`);
  }
  const out: WriteStream = createWriteStream(join(dir, `${chain}-${process.pid}.jsonl`), { flags: 'a' });
  // A trace that cannot be written is not the node's problem: it stops tracing.
  let broken = false;
  out.on('error', () => {
    broken = true;
  });
  let dropped = 0;
  const line = (ev: TraceEvent, h: number, extra?: Record<string, unknown>): void => {
    out.write(JSON.stringify({ t: Math.round((performance.timeOrigin + performance.now()) * 10) / 10, ev, h, ...extra }) + '\n');
  };
  const reportDropped = (): void => {
    if (dropped === 0) return;
    line('dropped', 0, { n: dropped });
    dropped = 0;
  };
  const trace: TbftTrace = (ev, h, extra) => {
    if (broken) return;
    if (out.writableLength >= maxBufferedBytes) {
      dropped++;
      return;
    }
    reportDropped();
    line(ev, h, TIMED.has(ev) ? { ...extra, ...mainThreadSched() } : extra);
  };
  const close = (): void => {
    if (!broken) reportDropped();
    out.end();
  };
  return { trace, close };
}
