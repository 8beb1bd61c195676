/**
 * The indexer's PostgreSQL side: a pool, the schema, each chain's cursor, and one block written
 * per transaction with its cursor. Exactly once: the cursor row is locked (`FOR UPDATE`) and the
 * block must be the next one — its height one above the cursor and its `prev` the indexed hash —
 * so a restarted or second indexer can neither skip nor repeat a block; a crash rolls back the
 * whole block.
 */
import pg from 'pg';
import { ShulianError } from '../codec/index.ts';
import { parseTemplate } from '../lex/index.ts';
import type { BlockRows } from './rows.ts';
import { searchTerms } from './rows.ts';
import { ensureSchema } from './schema.ts';

export interface Cursor {
  height: number;
  hash: string;
}

/** What the writer reports of a block: written, or already there (another indexer was first). */
export type WriteOutcome = 'written' | 'already-indexed';

function pgError(err: unknown, url: string): ShulianError {
  if (err instanceof ShulianError) return err;
  const e = err as { code?: string; message?: string };
  return new ShulianError('INDEXER_PG_UNAVAILABLE', `PostgreSQL at ${redact(url)}: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`);
}

/** A connection URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable PostgreSQL URL)';
  }
}

export class PgIndex {
  private constructor(readonly pool: pg.Pool, private readonly url: string) {}

  /** Connects, creates or migrates the tables. */
  static async open(url: string, opts: { max?: number } = {}): Promise<PgIndex> {
    const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 4, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => undefined); // an idle client's error: the next query reports it
    let c: pg.PoolClient | undefined;
    try {
      c = await pool.connect();
      await ensureSchema(c);
    } catch (err) {
      c?.release();
      await pool.end().catch(() => undefined);
      throw pgError(err, url);
    }
    c.release();
    return new PgIndex(pool, url);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async cursor(chain: string): Promise<Cursor | undefined> {
    try {
      const r = await this.pool.query<{ height: string; hash: string }>('SELECT height, hash FROM cursors WHERE chain = $1', [chain]);
      return r.rows[0] ? { height: Number(r.rows[0].height), hash: r.rows[0].hash } : undefined;
    } catch (err) {
      throw pgError(err, this.url);
    }
  }

  /** Writes a block's rows and advances its chain's cursor, in one transaction. */
  async write(rows: BlockRows, source: string): Promise<WriteOutcome> {
    const b = rows.block;
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw pgError(err, this.url);
    }
    try {
      await c.query('BEGIN');
      // The first block of a chain has no cursor row to lock: serialise on the chain's name instead.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`shulian-index:${b.chain}`]);
      const cur = await c.query<{ height: string; hash: string }>('SELECT height, hash FROM cursors WHERE chain = $1 FOR UPDATE', [b.chain]);
      const at = cur.rows[0] ? { height: Number(cur.rows[0].height), hash: cur.rows[0].hash } : undefined;
      if (at && b.height <= at.height) {
        await c.query('ROLLBACK');
        return 'already-indexed';
      }
      const expected = at ? at.height + 1 : 0;
      if (b.height !== expected) throw new ShulianError('INDEXER_CHAIN_BROKEN', `chain ${b.chain}: block ${b.height} is not the next one to index (${expected})`);
      if (at && b.prev !== at.hash) {
        throw new ShulianError('INDEXER_CHAIN_BROKEN', `chain ${b.chain}: block ${b.height} names prev ${b.prev}, but block ${at.height} was indexed with hash ${at.hash}: ${source} serves another chain`);
      }
      await this.insertRows(c, rows);
      await c.query(
        `INSERT INTO cursors (chain, height, hash, source, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (chain) DO UPDATE SET height = EXCLUDED.height, hash = EXCLUDED.hash, source = EXCLUDED.source, updated_at = now()`,
        [b.chain, b.height, b.hash, source],
      );
      await c.query('COMMIT');
      return 'written';
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw pgError(err, this.url);
    } finally {
      c.release();
    }
  }

  private async insertRows(c: pg.PoolClient, rows: BlockRows): Promise<void> {
    const b = rows.block;
    await c.query('INSERT INTO blocks (chain, height, hash, prev, time, proposer, tx_count) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [b.chain, b.height, b.hash, b.prev, b.time, b.proposer, b.txCount]);
    // Rows go in as one JSON array per table (jsonb_to_recordset): one round trip each, whatever the block's size.
    if (rows.txs.length) {
      await c.query(
        `INSERT INTO txs (chain, height, idx, hash, sender, module, method, status, code, time, nonce, gas_used, args, result)
         SELECT chain, height, idx, hash, sender, module, method, status, code, time, nonce, "gasUsed", args, result
         FROM jsonb_to_recordset($1::jsonb) AS x(chain text, height bigint, idx int, hash text, sender text, module text, method text, status text,
           code text, time bigint, nonce bigint, "gasUsed" bigint, args jsonb, result jsonb)`,
        [JSON.stringify(rows.txs)],
      );
    }
    if (rows.events.length) {
      await c.query(
        `INSERT INTO events (chain, height, tx_idx, ev_idx, module, type, data)
         SELECT chain, height, "txIdx", "evIdx", module, type, data FROM jsonb_to_recordset($1::jsonb)
         AS x(chain text, height bigint, "txIdx" int, "evIdx" int, module text, type text, data jsonb)`,
        [JSON.stringify(rows.events)],
      );
    }
    if (rows.packets.length) {
      await c.query(
        `INSERT INTO xchain_packets (chain, height, tx_idx, ev_idx, type, src_chain, dst_chain, sequence, data)
         SELECT chain, height, "txIdx", "evIdx", type, "srcChain", "dstChain", sequence, data FROM jsonb_to_recordset($1::jsonb)
         AS x(chain text, height bigint, "txIdx" int, "evIdx" int, type text, "srcChain" text, "dstChain" text, sequence bigint, data jsonb)`,
        [JSON.stringify(rows.packets)],
      );
    }
    if (rows.entries.length) {
      await c.query(
        `INSERT INTO settlement_entries (chain, height, tx_idx, ev_idx, type, currency, amount, data)
         SELECT chain, height, "txIdx", "evIdx", type, currency, amount::numeric, data FROM jsonb_to_recordset($1::jsonb)
         AS x(chain text, height bigint, "txIdx" int, "evIdx" int, type text, currency text, amount text, data jsonb)`,
        [JSON.stringify(rows.entries)],
      );
    }
    for (const t of rows.templates) {
      const title = templateTitle(t.source);
      await c.query('INSERT INTO lex_templates (chain, template, id, version, title, title_zh) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
        [t.chain, t.template, t.id, t.version, title.en, title.zh]);
    }
    for (const s of rows.search) {
      let title = s.title;
      if (s.kind === 'contract') {
        const t = await c.query<{ id: string; title: string | null; title_zh: string | null }>('SELECT id, title, title_zh FROM lex_templates WHERE chain = $1 AND template = $2', [s.chain, s.template]);
        const row = t.rows[0];
        title = [row?.title, row?.title_zh].filter(Boolean).join(' / ') || row?.id || s.template || s.ref;
      }
      await c.query('INSERT INTO search_docs (chain, height, tx_idx, kind, ref, title, terms) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [s.chain, s.height, s.txIdx, s.kind, s.ref, title.slice(0, 500), searchTerms(title, s.ref)]);
    }
  }
}

/** A deployed template's title in both languages (its `title` line), if it parses (it compiled on chain). */
function templateTitle(source: string): { en: string | null; zh: string | null } {
  try {
    const ast = parseTemplate(source);
    return { en: ast.title?.en ?? null, zh: ast.title?.zh ?? null };
  } catch {
    return { en: null, zh: null };
  }
}
