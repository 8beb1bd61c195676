/**
 * The explorer's index in PostgreSQL (docs/explorer.md): `Indexer` follows nodes and writes
 * committed blocks exactly once (`PgIndex`); `ExplorerQueries` answers the explorer's routes
 * from it (filtered tx lists, daily statistics, CSV, full-text search).
 */
export { INDEXER_ERRORS, type IndexerErrorCode } from './errors.ts';
export { SCHEMA_VERSION, ensureSchema } from './schema.ts';
export { rowsOf, searchTerms, type BlockRows, type TxRow } from './rows.ts';
export { PgIndex, redact, type Cursor, type WriteOutcome } from './store.ts';
export { Indexer, type IndexerOptions, type IndexerStatus } from './indexer.ts';
export { ExplorerQueries, type TxFilter, type TxSelection, type TxPage, type DailyStat, type SearchHit } from './queries.ts';
