/** A node process for benchmarks: `serve.ts DATA_DIR PORT SUITE`; prints READY <url> when serving. */
import { startNode } from '../../src/node/index.ts';
import type { Suite } from '../../src/crypto/index.ts';

const [dataDir, port, suite] = process.argv.slice(2);
const node = await startNode({ dataDir: dataDir!, port: Number(port), suite: (suite ?? 'sm2') as Suite, log: () => {} });
console.log(`READY ${node.url}`);
const stop = (): void => void node.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
