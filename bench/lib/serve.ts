/** A node process for benchmarks: `serve.ts DATA_DIR PORT SUITE`; prints READY <url> when serving. */
import { startNode } from '../../src/node/index.ts';
import type { Suite } from '../../src/crypto/index.ts';

const [dataDir, port, suite] = process.argv.slice(2);
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

// Garbage-collection pauses by kind (1 scavenge, 2 minor mark-sweep, 4 mark-sweep-compact, 8 incremental, 16 weak callbacks), printed on stop.
const gcs: Array<{ kind: number; ms: number }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ kind: ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0), ms: e.duration });
}).observe({ entryTypes: ['gc'] });

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
// One load generator on one address: the benchmarks measure the node, not its per-address rate limiter.
const node = await startNode({ dataDir: dataDir!, port: Number(port), suite: (suite ?? 'sm2') as Suite, log: () => {}, api: { rateLimitPerMinute: 100_000_000 } });
console.log(`READY ${node.url}`);
const stop = (): void => {
  // CPU the node used (all threads), for the benchmark's report.
  const cpu = process.cpuUsage();
  console.log(`CPU ${(cpu.user + cpu.system) / 1000}`);
  console.log(`LOOP p50=${(loop.percentile(50) / 1e6).toFixed(1)} p99=${(loop.percentile(99) / 1e6).toFixed(1)} max=${(loop.max / 1e6).toFixed(1)}`);
  for (const kind of [...new Set(gcs.map((g) => g.kind))].sort((a, b) => a - b)) {
    const ms = gcs.filter((g) => g.kind === kind).map((g) => g.ms).sort((a, b) => a - b);
    console.log(`GC kind=${kind} n=${ms.length} total=${ms.reduce((a, b) => a + b, 0).toFixed(0)}ms p50=${ms[ms.length >> 1]!.toFixed(1)} p99=${ms[Math.floor(ms.length * 0.99)]!.toFixed(1)} max=${ms[ms.length - 1]!.toFixed(1)}`);
  }
  void node.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
