/**
 * The indexer's tables in PostgreSQL (docs/explorer.md). One row per block, tx and event, plus
 * the rows the explorer asks for directly: cross-chain packets and settlement entries (events of
 * those modules), and search documents (notary record names, contract titles) with the terms the
 * catalog search uses (words, Chinese characters and bigrams) in a GIN-indexed array: the same
 * terms whatever the database's locale, which decides how PostgreSQL's own text parser splits
 * Chinese. A cursor per chain is written in the
 * same transaction as its block's rows: a block is indexed entirely or not at all.
 */
import type { PoolClient } from 'pg';
import { ShulianError } from '../codec/index.ts';

/** Bumped with each change of the tables; older databases are migrated by MIGRATIONS. */
export const SCHEMA_VERSION = 2;

const V1 = `
CREATE TABLE IF NOT EXISTS shulian_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (chain text PRIMARY KEY, height bigint NOT NULL, hash text NOT NULL, source text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS blocks (
  chain text NOT NULL, height bigint NOT NULL, hash text NOT NULL, prev text NOT NULL, time bigint NOT NULL,
  proposer text NOT NULL, tx_count int NOT NULL, PRIMARY KEY (chain, height));
CREATE TABLE IF NOT EXISTS txs (
  chain text NOT NULL, height bigint NOT NULL, idx int NOT NULL, hash text NOT NULL, sender text NOT NULL,
  module text NOT NULL, method text NOT NULL, status text NOT NULL, code text, time bigint NOT NULL,
  nonce bigint NOT NULL, gas_used bigint NOT NULL, args jsonb NOT NULL, result jsonb,
  PRIMARY KEY (chain, height, idx));
CREATE INDEX IF NOT EXISTS txs_by_hash ON txs (hash);
CREATE INDEX IF NOT EXISTS txs_by_sender ON txs (chain, sender, height DESC, idx DESC);
CREATE INDEX IF NOT EXISTS txs_by_method ON txs (chain, module, method, height DESC, idx DESC);
CREATE INDEX IF NOT EXISTS txs_by_status ON txs (chain, status, height DESC, idx DESC);
CREATE INDEX IF NOT EXISTS txs_by_time ON txs (chain, time);
CREATE TABLE IF NOT EXISTS events (
  chain text NOT NULL, height bigint NOT NULL, tx_idx int NOT NULL, ev_idx int NOT NULL,
  module text NOT NULL, type text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (chain, height, tx_idx, ev_idx));
CREATE INDEX IF NOT EXISTS events_by_type ON events (chain, module, type, height DESC);
CREATE TABLE IF NOT EXISTS xchain_packets (
  chain text NOT NULL, height bigint NOT NULL, tx_idx int NOT NULL, ev_idx int NOT NULL, type text NOT NULL,
  src_chain text, dst_chain text, sequence bigint, data jsonb NOT NULL, PRIMARY KEY (chain, height, tx_idx, ev_idx));
CREATE TABLE IF NOT EXISTS settlement_entries (
  chain text NOT NULL, height bigint NOT NULL, tx_idx int NOT NULL, ev_idx int NOT NULL, type text NOT NULL,
  currency text, amount numeric, data jsonb NOT NULL, PRIMARY KEY (chain, height, tx_idx, ev_idx));
CREATE TABLE IF NOT EXISTS lex_templates (
  chain text NOT NULL, template text NOT NULL, id text NOT NULL, version text NOT NULL, title text, title_zh text,
  PRIMARY KEY (chain, template));
CREATE TABLE IF NOT EXISTS search_docs (
  chain text NOT NULL, height bigint NOT NULL, tx_idx int NOT NULL, kind text NOT NULL, ref text NOT NULL,
  title text NOT NULL, terms text[] NOT NULL, PRIMARY KEY (chain, height, tx_idx, kind));
CREATE INDEX IF NOT EXISTS search_docs_terms ON search_docs USING gin (terms);
`;

/** Version 2: blocks by time, so a tx list's time bounds become height bounds (queries.ts). */
const V2 = `
CREATE INDEX IF NOT EXISTS blocks_by_time ON blocks (chain, time, height);
`;

/** SQL to bring a database at version N-1 to version N (index 0 creates version 1). */
const MIGRATIONS: string[] = [V1, V2];

/** Creates or migrates the tables; refuses a database written by a newer version. */
export async function ensureSchema(c: PoolClient): Promise<void> {
  await c.query('BEGIN');
  try {
    // One indexer migrates at a time; the others wait here and then find the work done.
    await c.query('SELECT pg_advisory_xact_lock(7212001)');
    await c.query('CREATE TABLE IF NOT EXISTS shulian_meta (key text PRIMARY KEY, value text NOT NULL)');
    const r = await c.query<{ value: string }>("SELECT value FROM shulian_meta WHERE key = 'schema'");
    const have = r.rows[0] ? Number(r.rows[0].value) : 0;
    if (have > SCHEMA_VERSION) {
      throw new ShulianError('INDEXER_SCHEMA_NEWER', `the database holds indexer schema ${have}; this Shulian writes schema ${SCHEMA_VERSION}: upgrade Shulian, or index into another database`);
    }
    for (let v = have; v < SCHEMA_VERSION; v++) await c.query(MIGRATIONS[v]!);
    await c.query("INSERT INTO shulian_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [String(SCHEMA_VERSION)]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  }
}
