/**
 * Bounds of the fuzz targets in test/fuzz (docs/testing.md#fuzzing). Each property has a number
 * of runs and a time budget so a file stays well under 30 s on a loaded 2-core machine. For a
 * longer fuzz locally:
 *
 *   FUZZ_RUNS=5000 node --import tsx --test test/fuzz/codec.test.ts   more runs per property (no time budget unless FUZZ_TIME_MS)
 *   FUZZ_TIME_MS=600000 …                                                 a time budget of 10 minutes per property
 *   FUZZ_SEED=1234 …                                                      replay the seed a failure printed
 */
import fc from 'fast-check';

const int = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, not ${JSON.stringify(v)}`);
  return n;
};

const RUNS = int('FUZZ_RUNS');
const TIME_MS = int('FUZZ_TIME_MS');
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** Whether the bounds were raised from the environment (a local long fuzz). */
export const longFuzz = RUNS !== undefined || TIME_MS !== undefined;

export interface Bounds {
  /** Parameters for fc.assert. */
  params: fc.Parameters<unknown>;
  /**
   * Wraps a property's predicate: once the time budget is spent, the remaining runs pass without
   * running (so a slow run under load cannot fail the file by timing out), unless a run has failed,
   * in which case every run executes so fast-check can shrink the counterexample.
   */
  guard<A extends unknown[], R>(predicate: (...args: A) => R): (...args: A) => R;
  /** Runs that executed. */
  readonly runs: number;
}

/**
 * `runs` runs (FUZZ_RUNS overrides) within `timeMs` (FUZZ_TIME_MS overrides; no budget when
 * FUZZ_RUNS is set alone). At least one run always executes.
 */
export function bounded(runs: number, timeMs: number, extra: fc.Parameters<unknown> = {}): Bounds {
  const budget = TIME_MS ?? (RUNS !== undefined ? undefined : timeMs);
  let start: number | undefined;
  let failed = false;
  let executed = 0;
  const spent = (): boolean => {
    if (failed || budget === undefined) return false;
    start ??= Date.now();
    return executed > 0 && Date.now() - start > budget;
  };
  return {
    params: {
      numRuns: RUNS ?? runs,
      ...(SEED !== undefined && Number.isSafeInteger(SEED) ? { seed: SEED } : {}),
      // The report shows what the property found wrong, not only the counterexample.
      includeErrorInReport: true,
      ...extra,
    },
    guard<A extends unknown[], R>(predicate: (...args: A) => R) {
      return (...args: A): R => {
        // undefined is a passing run for fast-check, from a property or an async property alike.
        if (spent()) return undefined as R;
        executed++;
        // A failed precondition (fc.pre) is not a failure.
        const fail = (err: unknown): never => {
          if (!fc.PreconditionFailure.isFailure(err)) failed = true;
          throw err;
        };
        try {
          const r = predicate(...args);
          return (r instanceof Promise ? r.catch(fail) : r) as R;
        } catch (err) {
          return fail(err);
        }
      };
    },
    get runs() {
      return executed;
    },
  };
}
