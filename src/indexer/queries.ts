/**
 * The explorer's reads from the PostgreSQL index (docs/explorer.md): a chain's txs filtered by
 * sender, module, method, status and block time, newest first, paged by a (height, index) key so
 * a page costs the same at any depth; daily statistics; CSV export; search of notary record
 * names and contract titles. Every filter is a bound parameter; every page is limited.
 */
import type pg from 'pg';
import { ShulianError, type JsonValue } from '../codec/index.ts';
import { MAX_QUERY_TERMS, terms } from '../data/index.ts';

export const MAX_PAGE = 200;
export const MAX_CSV_ROWS = 100_000;
const MAX_DAYS = 366;

export interface TxFilter {
  chain: string;
  sender?: string;
  module?: string;
  method?: string;
  status?: 'ok' | 'failed';
  /** Block time bounds, ms since the epoch (since inclusive, until exclusive). */
  since?: number;
  until?: number;
  /** The `next` of the previous page. */
  before?: string;
  limit?: number;
}

/** What a filter selects, without paging: the CSV export takes this and a row cap. */
export type TxSelection = Omit<TxFilter, 'before' | 'limit'>;

export interface ExplorerTx {
  chain: string; height: number; index: number; hash: string; from: string; module: string; method: string;
  status: string; code: string | null; time: number; nonce: number; gasUsed: number;
}

export interface TxPage {
  txs: ExplorerTx[];
  /** Pass as `before` for the next page; absent on the last. */
  next?: string;
}

export interface DailyStat {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  txs: number;
  failed: number;
  senders: number;
  blocks: number;
}

export interface SearchHit {
  chain: string; height: number; index: number; kind: 'notary' | 'contract'; ref: string; title: string;
}

const bad = (msg: string): ShulianError => new ShulianError('EXPLORER_BAD_QUERY', msg);
const BEFORE_RE = /^(\d{1,15}):(\d{1,9})$/;

interface TxRowDb { chain: string; height: string; idx: number; hash: string; sender: string; module: string; method: string; status: string; code: string | null; time: string; nonce: string; gas_used: string }

const toTx = (r: TxRowDb): ExplorerTx => ({
  chain: r.chain, height: Number(r.height), index: r.idx, hash: r.hash, from: r.sender, module: r.module, method: r.method,
  status: r.status, code: r.code, time: Number(r.time), nonce: Number(r.nonce), gasUsed: Number(r.gas_used),
});

export class ExplorerQueries {
  constructor(private readonly pool: pg.Pool) {}

  /** The WHERE clause and parameters of a filter (without paging). */
  private where(f: TxSelection): { sql: string; params: JsonValue[] } {
    const params: JsonValue[] = [f.chain];
    const conds = ['chain = $1'];
    const add = (col: string, op: string, v: JsonValue): void => {
      params.push(v);
      conds.push(`${col} ${op} $${params.length}`);
    };
    if (f.sender !== undefined) add('sender', '=', f.sender);
    if (f.module !== undefined) add('module', '=', f.module);
    if (f.method !== undefined) add('method', '=', f.method);
    if (f.status !== undefined) add('status', '=', f.status);
    if (f.since !== undefined) add('time', '>=', f.since);
    if (f.until !== undefined) add('time', '<', f.until);
    // Block time never decreases with height, so time bounds are also height bounds, found in
    // the blocks table: the list then reads a range of the primary key instead of walking it
    // back from the head and filtering on time (which the planner may choose for a LIMIT).
    if (f.since !== undefined) {
      params.push(f.since);
      conds.push(`height >= COALESCE((SELECT height FROM blocks WHERE chain = $1 AND time >= $${params.length} ORDER BY time, height LIMIT 1), 9223372036854775807)`);
    }
    if (f.until !== undefined) {
      params.push(f.until);
      conds.push(`height <= COALESCE((SELECT height FROM blocks WHERE chain = $1 AND time < $${params.length} ORDER BY time DESC, height DESC LIMIT 1), -1)`);
    }
    return { sql: conds.join(' AND '), params };
  }

  async txs(f: TxFilter): Promise<TxPage> {
    const limit = f.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw bad(`limit must be a whole number from 1 to ${MAX_PAGE}, not ${String(f.limit)}`);
    const w = this.where(f);
    if (f.before !== undefined) {
      const m = BEFORE_RE.exec(f.before);
      if (!m) throw bad(`before must be the "next" of a previous page (height:index), not "${f.before.slice(0, 40)}"`);
      w.params.push(Number(m[1]), Number(m[2]));
      w.sql += ` AND (height, idx) < ($${w.params.length - 1}, $${w.params.length})`;
    }
    w.params.push(limit + 1);
    const r = await this.pool.query<TxRowDb>(
      `SELECT chain, height, idx, hash, sender, module, method, status, code, time, nonce, gas_used FROM txs WHERE ${w.sql}
       ORDER BY height DESC, idx DESC LIMIT $${w.params.length}`, w.params);
    const rows = r.rows.slice(0, limit).map(toTx);
    const last = rows[rows.length - 1];
    return { txs: rows, ...(r.rows.length > limit && last ? { next: `${last.height}:${last.index}` } : {}) };
  }

  /** Per UTC day of block time: txs, failed txs, distinct senders, blocks (days without txs are left out). */
  async daily(chain: string, from: number, to: number): Promise<DailyStat[]> {
    if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from < to)) throw bad('from and to must be times in ms since the epoch, from before to');
    if (to - from > MAX_DAYS * 86_400_000) throw bad(`at most ${MAX_DAYS} days per request`);
    const r = await this.pool.query<{ day: string; txs: string; failed: string; senders: string; blocks: string }>(
      `SELECT to_char(to_timestamp(time / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS txs,
              count(*) FILTER (WHERE status = 'failed') AS failed, count(DISTINCT sender) AS senders, count(DISTINCT height) AS blocks
       FROM txs WHERE chain = $1 AND time >= $2 AND time < $3 GROUP BY day ORDER BY day`, [chain, from, to]);
    return r.rows.map((x) => ({ day: x.day, txs: Number(x.txs), failed: Number(x.failed), senders: Number(x.senders), blocks: Number(x.blocks) }));
  }

  /** The filter's txs as CSV (RFC 4180), newest first, at most `max` rows. */
  async csv(f: TxSelection, max = MAX_CSV_ROWS): Promise<string> {
    if (!Number.isInteger(max) || max < 1 || max > MAX_CSV_ROWS) throw bad(`at most ${MAX_CSV_ROWS} rows per export`);
    const w = this.where(f);
    w.params.push(max);
    const r = await this.pool.query<TxRowDb>(
      `SELECT chain, height, idx, hash, sender, module, method, status, code, time, nonce, gas_used FROM txs WHERE ${w.sql}
       ORDER BY height DESC, idx DESC LIMIT $${w.params.length}`, w.params);
    const head = ['chain', 'height', 'index', 'hash', 'from', 'module', 'method', 'status', 'code', 'time', 'nonce', 'gasUsed'];
    const lines = [head.join(',')];
    for (const t of r.rows.map(toTx)) {
      lines.push([t.chain, t.height, t.index, t.hash, t.from, t.module, t.method, t.status, t.code ?? '', new Date(t.time).toISOString(), t.nonce, t.gasUsed].map(csvCell).join(','));
    }
    return lines.join('\r\n') + '\r\n';
  }

  /** Notary records by name and contracts by title containing every term of `q`, newest first. */
  async search(q: string, opts: { chains?: string[]; limit?: number } = {}): Promise<SearchHit[]> {
    const t = terms(q).slice(0, MAX_QUERY_TERMS);
    if (t.length === 0) throw bad('q must contain a word or a Chinese character');
    const limit = opts.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw bad(`limit must be a whole number from 1 to ${MAX_PAGE}`);
    const params: JsonValue[] = [t, limit];
    let chainCond = '';
    if (opts.chains) {
      params.push(opts.chains);
      chainCond = ` AND chain = ANY($3)`;
    }
    const r = await this.pool.query<{ chain: string; height: string; tx_idx: number; kind: 'notary' | 'contract'; ref: string; title: string }>(
      `SELECT chain, height, tx_idx, kind, ref, title FROM search_docs WHERE terms @> $1${chainCond} ORDER BY height DESC, tx_idx DESC LIMIT $2`, params);
    return r.rows.map((x) => ({ chain: x.chain, height: Number(x.height), index: x.tx_idx, kind: x.kind, ref: x.ref, title: x.title }));
  }

  /** Each indexed chain's cursor (what the explorer can answer for). */
  async cursors(): Promise<Array<{ chain: string; height: number; source: string; updatedAt: string }>> {
    const r = await this.pool.query<{ chain: string; height: string; source: string; updated_at: Date }>('SELECT chain, height, source, updated_at FROM cursors ORDER BY chain');
    return r.rows.map((x) => ({ chain: x.chain, height: Number(x.height), source: x.source, updatedAt: x.updated_at.toISOString() }));
  }
}

/** A CSV cell (RFC 4180 §2): quoted when it holds a comma, quote or line break; a leading =+-@ is prefixed with ' so spreadsheets do not run it. */
function csvCell(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
