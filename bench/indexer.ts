/**
 * The explorer's PostgreSQL indexer (issue #25): a real node in its own process commits a load of
 * SM2 notary txs; then an indexer in this process indexes those blocks into a throwaway
 * PostgreSQL cluster (Debian's server).
 *
 * - limit: blocks/s the node committed under the load in this run;
 * - value: blocks/s the indexer wrote (fetched over HTTP, checked, one transaction each);
 * - ratio = value ÷ limit (target ≥ 1: the indexer keeps up with the node);
 * - queryP50Ms / queryP99Ms: a filtered tx-list page (sender, module+method, status or a time
 *   range; 50 rows, newest first) through the explorer's own queries, over `--txs N` generated
 *   rows (default 10⁷; generate_series, then ANALYZE) besides the indexed ones (target p99 < 50 ms).
 *
 *   npm run bench -- indexer [--txs 1000000]
 */
import { ExplorerQueries, Indexer, PgIndex, type TxFilter } from '../src/indexer/index.ts';
import { ShulianHttp } from '../src/sdk/index.ts';
import { createDatabase, startPostgres } from '../test/helpers/postgres.ts';
import { driveLoad, percentile, presignNotaryTxs, startBenchNode } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const TXS = Number(arg('--txs') ?? 10_000_000);
const LOAD = Number(process.env.INDEXER_BENCH_LOAD ?? 6_000);
const SENDERS = 1_000;
const QUERIES = 400;

export default async function run(): Promise<BenchResult> {
  if (!Number.isSafeInteger(TXS) || TXS < 1_000) throw new Error(`--txs must be a whole number of at least 1000, not ${arg('--txs')}`);
  const pgServer = await startPostgres();
  const node = await startBenchNode('sm2');
  try {
    const db = await createDatabase(pgServer, 'bench');
    const http = new ShulianHttp({ baseUrl: node.url });
    const startHeight = (await http.chain('notary')).height;
    const load = await driveLoad(node.url, 'notary', presignNotaryTxs('sm2', LOAD, 200));
    const endHeight = (await http.chain('notary')).height;
    const loadBlocks = endHeight - startHeight;
    const committedBlocksPerSec = loadBlocks / load.seconds;

    // Index everything the node has, timing the load's blocks (the chains' earlier blocks are few).
    const index = await PgIndex.open(db, { max: 8 });
    const indexer = new Indexer({ index, sources: [http], pollMs: 50, prefetch: 16 });
    const t0 = performance.now();
    await indexer.start();
    await indexer.caughtUp(600_000);
    const seconds = (performance.now() - t0) / 1000;
    const st = indexer.status();
    await indexer.close();
    const indexedBlocks = Object.values(st.chains).reduce((n, c) => n + c.indexed + 1, 0);
    const indexedPerSec = indexedBlocks / seconds;

    // Generated rows for the query figures: 100 txs a block (blocks 1 s apart, each tx its block's time), SENDERS senders, three modules, 2 % failed.
    const T0 = 1_700_000_000_000;
    const g0 = performance.now();
    await index.pool.query(`
      INSERT INTO txs (chain, height, idx, hash, sender, module, method, status, code, time, nonce, gas_used, args, result)
      SELECT 'gen', i / 100, i % 100, md5(i::text) || md5((i + 1)::text), 'did:shulian:gen' || (i % ${SENDERS}),
             (ARRAY['notary', 'settlement', 'xdoc'])[i % 3 + 1], (ARRAY['put', 'transfer', 'issue'])[i % 3 + 1],
             CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'ok' END, CASE WHEN i % 50 = 0 THEN 'NOTARY_EXISTS' END,
             ${T0} + (i / 100)::bigint * 1000, i / ${SENDERS}, 1000 + i % 700, '{}'::jsonb, NULL
      FROM generate_series(0, ${TXS - 1}) AS i`);
    await index.pool.query(`
      INSERT INTO blocks (chain, height, hash, prev, time, proposer, tx_count)
      SELECT 'gen', h, md5(h::text), md5((h - 1)::text), ${T0} + h::bigint * 1000, 'did:shulian:gen', 100
      FROM generate_series(0, ${Math.ceil(TXS / 100) - 1}) AS h`);
    await index.pool.query('ANALYZE txs');
    await index.pool.query('ANALYZE blocks');
    const generateSeconds = (performance.now() - g0) / 1000;

    const q = new ExplorerQueries(index.pool);
    const span = TXS * 10;
    const filters: TxFilter[] = [];
    for (let k = 0; k < QUERIES; k++) {
      const f: TxFilter = { chain: 'gen', limit: 50 };
      switch (k % 4) {
        case 0: f.sender = `did:shulian:gen${(k * 7919) % SENDERS}`; break;
        case 1: f.module = 'settlement'; f.method = 'transfer'; break;
        case 2: f.status = 'failed'; break;
        case 3: { const since = T0 + Math.floor(((k * 104_729) % 1000) / 1000 * span); f.since = since; f.until = since + 3_600_000; break; }
      }
      filters.push(f);
    }
    for (const f of filters.slice(0, 20)) await q.txs(f); // warm the cache as a serving node would be
    const times: number[] = [];
    for (const f of filters) {
      const s = performance.now();
      const page = await q.txs(f);
      times.push(performance.now() - s);
      if (page.txs.length === 0) throw new Error(`filter ${JSON.stringify(f)} selected nothing`);
    }
    times.sort((a, b) => a - b);
    await index.close();
    return {
      bench: 'indexer', value: Number(indexedPerSec.toFixed(1)), unit: 'blocks/s indexed into PostgreSQL',
      limit: Number(committedBlocksPerSec.toFixed(1)), limitWhat: `blocks/s the node committed under ${LOAD} SM2 notary txs in this run`,
      ratio: Number((indexedPerSec / committedBlocksPerSec).toFixed(2)),
      indexedBlocks, indexedTxs: st.txs, loadTxPerSec: Math.round(load.txPerSec), loadBlocks,
      txs: TXS, generateSeconds: Number(generateSeconds.toFixed(1)),
      queryP50Ms: Number(percentile(times, 50).toFixed(2)), queryP99Ms: Number(percentile(times, 99).toFixed(2)),
      queryTargetMet: percentile(times, 99) < 50,
    };
  } finally {
    await node.stop();
    await pgServer.stop();
  }
}
