/**
 * `shulian indexer` (docs/explorer.md): index the committed blocks of one or more nodes into
 * PostgreSQL, for the explorer routes of a node started with `--pg`:
 *
 *   shulian indexer --pg postgres://user@host/db [--api URL ...] [--poll-ms 500]
 *
 * The connection URL may also come from an environment variable (`--pg-env VAR`), so a password
 * never shows in the process list. Stops cleanly on Ctrl-C; a kill at any moment loses nothing
 * (each block is written with its chain's cursor in one transaction) and restarts where it was.
 */
import { Command, Option } from 'commander';
import { emit, usage, type CommonOptions } from '../output.ts';
import { jsonOption, run } from '../options.ts';
import { nodeFetch } from '../node-fetch.ts';

interface IndexerOpts extends CommonOptions {
  pg?: string;
  pgEnv?: string;
  apis?: string[];
  pollMs: string;
}

async function serve(o: IndexerOpts): Promise<void> {
  const url = o.pg ?? (o.pgEnv ? process.env[o.pgEnv] : undefined);
  if (!url) throw usage(o.pgEnv ? `the environment variable ${o.pgEnv} is empty: put the PostgreSQL URL in it` : 'give the database: --pg postgres://user@host:5432/db (or --pg-env VAR)');
  const pollMs = Number(o.pollMs);
  if (!Number.isInteger(pollMs) || pollMs < 20 || pollMs > 60_000) throw usage(`--poll-ms takes a whole number of ms from 20 to 60000, not "${o.pollMs}"`);
  const apis = o.apis?.length ? o.apis : [process.env.SHULIAN_API ?? 'http://127.0.0.1:7070'];
  const { ShulianHttp } = await import('../../sdk/http.ts');
  const { Indexer, PgIndex, redact } = await import('../../indexer/index.ts');
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const index = await PgIndex.open(url);
  // Each source keeps its own connections: the indexer reads blocks ahead in parallel.
  const sources = apis.map((a) => new ShulianHttp({ baseUrl: a, fetch: nodeFetch }));
  const indexer = new Indexer({ index, sources, pollMs, log });
  await indexer.start();
  log(`indexer: ${apis.join(', ')} → ${redact(url)}; Ctrl-C to stop`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      void indexer.close().then(() => index.close()).then(() => {
        const s = indexer.status();
        emit(o, s, () => `indexer stopped: ${s.blocks} blocks, ${s.txs} txs indexed in this run`);
        done();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function indexerCommand(): Command {
  return new Command('indexer')
    .description('index the committed blocks of one or more nodes into PostgreSQL, for the explorer (docs/explorer.md)')
    .option('--pg <url>', 'the PostgreSQL database, postgres://user[:password]@host[:port]/db')
    .option('--pg-env <var>', 'read the PostgreSQL URL from this environment variable (keeps a password out of the process list)')
    .addOption(new Option('--api <url>', 'a node to read from; repeat for several, in order of preference (default: $SHULIAN_API or http://127.0.0.1:7070)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .option('--poll-ms <ms>', 'how often to look for new blocks', '500')
    .addOption(jsonOption())
    .action(run<[], IndexerOpts & { api?: string[] }>(async (o) => serve({ ...o, apis: o.api ?? [] })));
}
