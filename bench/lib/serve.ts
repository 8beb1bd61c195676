/** A node process for benchmarks: `serve.ts DATA_DIR PORT SUITE`; prints READY <url> when serving. */
import { startNode } from '../../src/node/index.ts';
import type { Suite } from '../../src/crypto/index.ts';

const [dataDir, port, suite] = process.argv.slice(2);
import { monitorEventLoopDelay } from 'node:perf_hooks';

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const node = await startNode({ dataDir: dataDir!, port: Number(port), suite: (suite ?? 'sm2') as Suite, log: () => {} });
console.log(`READY ${node.url}`);
const stop = (): void => {
  // CPU the node used (all threads), for the benchmark's report.
  const cpu = process.cpuUsage();
  console.log(`CPU ${(cpu.user + cpu.system) / 1000}`);
  console.log(`LOOP p50=${(loop.percentile(50) / 1e6).toFixed(1)} p99=${(loop.percentile(99) / 1e6).toFixed(1)} max=${(loop.max / 1e6).toFixed(1)}`);
  void node.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
