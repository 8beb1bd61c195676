/**
 * Simulated tbft runs per second through the deterministic harness (test/sim), over every CI
 * scenario in turn — lossy and partitioned networks, crashes with WAL restarts, Byzantine
 * validators — with the safety violations found (must be 0). The limit is measured in the same
 * process: the rate of fault-free runs of the same shape (n = 4 and 7, same heights, a perfectly
 * synchronous network, no faults), i.e. what the harness and consensus cost when nothing goes
 * wrong. Signatures use the simulator's MAC scheme; a short phase reports the rate with real
 * Ed25519 too.
 */
import { simulate, type SimConfig } from '../test/helpers/sim/harness.ts';
import { SCENARIOS, withSigner } from '../test/helpers/sim/scenarios.ts';
import type { BenchResult } from './result.ts';

const FAULTY_MS = 14_000;
const CLEAN_MS = 6_000;
const ED25519_MS = 3_000;

interface Phase {
  runs: number;
  violations: number;
  heights: number;
  secs: number;
  failures: string[];
}

function phase(ms: number, make: (i: number) => SimConfig): Phase {
  const p: Phase = { runs: 0, violations: 0, heights: 0, secs: 0, failures: [] };
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const r = simulate(make(p.runs));
    p.runs++;
    p.heights += r.heightsDecided;
    if (r.violations.length > 0) {
      p.violations += r.violations.length;
      if (p.failures.length < 5) p.failures.push(`${r.name} seed ${r.seed}: ${r.violations[0]}`);
    }
  }
  p.secs = (performance.now() - t0) / 1000;
  return p;
}

/** The i-th run of the mix: scenario i mod k, seed 1 + ⌊i / k⌋ (so every scenario gets its share). */
function faulty(i: number): SimConfig {
  const sc = SCENARIOS[i % SCENARIOS.length]!;
  return sc.make(1 + Math.floor(i / SCENARIOS.length));
}

/** The same shapes with nothing wrong: honest validators, fixed 10 ms delay, no loss. */
function clean(i: number): SimConfig {
  const cfg = faulty(i);
  return {
    ...cfg, name: `${cfg.name}-clean`, behaviours: cfg.behaviours.map(() => 'honest'),
    net: { minDelay: 10, maxDelay: 10, tailProb: 0, tailFactor: 1, drop: 0, dup: 0 }, partitions: [], crashes: [], powerChange: undefined,
  };
}

export default async function run(): Promise<BenchResult> {
  const f = phase(FAULTY_MS, faulty);
  const c = phase(CLEAN_MS, clean);
  const e = phase(ED25519_MS, (i) => withSigner(SCENARIOS[i % SCENARIOS.length]!, 'ed25519', 1).make(1 + Math.floor(i / SCENARIOS.length)));
  const value = Math.round((f.runs / f.secs) * 10) / 10;
  const limit = Math.round((c.runs / c.secs) * 10) / 10;
  return {
    bench: 'sim-safety',
    value,
    unit: 'runs/s',
    limit,
    limitWhat: 'fault-free run rate: the same scenario shapes with a synchronous network and no faults, measured in this run',
    ratio: Math.round((value / limit) * 100) / 100,
    violations: f.violations + c.violations + e.violations,
    runs: f.runs + c.runs + e.runs,
    heightsDecided: f.heights + c.heights + e.heights,
    faultyRuns: f.runs,
    scenarios: SCENARIOS.length,
    cleanRuns: c.runs,
    ed25519RunsPerSec: Math.round((e.runs / e.secs) * 10) / 10,
    ...(f.failures.length + c.failures.length + e.failures.length > 0 ? { failures: [...f.failures, ...c.failures, ...e.failures] } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run()));
}
