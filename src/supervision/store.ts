/**
 * The supervision service's own store (`<dataDir>/supervision.lmdb`): per chain the height it
 * has processed (its cursor), the alerts by id with indexes, the hourly and daily statistics, and
 * the outbox of webhook deliveries. What one block produced is written in one transaction with
 * the cursor, so after a crash a block is either wholly processed or not at all
 * (docs/supervision.md#exactly-once).
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { ShulianError } from '../codec/index.ts';
import type { Alert, AlertStatus, AlertSummary } from '../sdk/index.ts';

export interface Cursor {
  height: number;
  time: number;
}

/** One webhook delivery waiting (or retrying). */
export interface OutboxEntry {
  hook: string;
  alert: string;
  attempts: number;
  /** Not before this time (ms). */
  nextAt: number;
  lastError?: string;
}

export const STORE_LIMITS = {
  /** Alerts kept; past this the oldest closed ones go first, then the oldest. */
  alerts: 200_000,
  /** Webhook deliveries waiting; past this the oldest is dropped (and counted). */
  outbox: 10_000,
} as const;

const pad = (n: number, w = 12): string => String(n).padStart(w, '0');

export class SupervisionStore {
  private readonly root: RootDatabase;
  private readonly cursors: Database<Cursor, string>;
  private readonly alerts: Database<Alert, string>;
  /** `<seq>` → alert id, and `<status>|<seq>` → alert id. */
  private readonly bySeq: Database<string, string>;
  private readonly byStatus: Database<string, string>;
  /** `<period>|<bucket start>|<series>` → a decimal total. */
  private readonly stats: Database<string, string>;
  /** `<period>|<bucket start>|<did>` → 1: senders seen in a bucket (active DIDs). */
  private readonly active: Database<number, string>;
  /** `<nextAt>|<hook>|<alert>` → entry. */
  private readonly outbox: Database<OutboxEntry, string>;
  private readonly meta: Database<number, string>;
  private closed = false;

  private constructor(readonly path: string) {
    this.root = open({ path, maxDbs: 12, mapSize: 4 * 1024 ** 3 });
    this.cursors = this.root.openDB({ name: 'cursors' });
    this.alerts = this.root.openDB({ name: 'alerts' });
    this.bySeq = this.root.openDB({ name: 'alerts-seq', encoding: 'string' });
    this.byStatus = this.root.openDB({ name: 'alerts-status', encoding: 'string' });
    this.stats = this.root.openDB({ name: 'stats', encoding: 'string' });
    this.active = this.root.openDB({ name: 'active' });
    this.outbox = this.root.openDB({ name: 'outbox' });
    this.meta = this.root.openDB({ name: 'meta' });
  }

  static open(path: string): SupervisionStore {
    try {
      return new SupervisionStore(path);
    } catch (err) {
      throw new ShulianError('SUPERVISION_STORE_UNAVAILABLE', `cannot open the supervision store ${path}: ${(err as Error).message}; check the data dir's permissions and free space`);
    }
  }

  cursor(chain: string): Cursor | undefined {
    return this.cursors.get(chain);
  }

  hasAlert(id: string): boolean {
    return this.alerts.get(id) !== undefined;
  }

  alert(id: string): Alert | undefined {
    return this.alerts.get(id);
  }

  /**
   * Writes what one block produced, with the chain's cursor, in one transaction: new alerts
   * (an id already kept is skipped: each alert once), statistics, and webhook deliveries. Returns
   * the alerts that were new.
   */
  commitBlock(chain: string, cursor: Cursor, alerts: Alert[], stats: Map<string, bigint>, active: string[], hooks: string[]): Alert[] {
    this.check();
    const fresh: Alert[] = [];
    this.root.transactionSync(() => {
      for (const a of alerts) {
        if (this.alerts.get(a.id) !== undefined) continue;
        const seq = (this.meta.get('seq') ?? 0) + 1;
        this.meta.putSync('seq', seq);
        this.alerts.putSync(a.id, a);
        this.bySeq.putSync(pad(seq), a.id);
        this.byStatus.putSync(`${a.status}|${pad(seq)}`, a.id);
        this.meta.putSync(`seq:${a.id}`, seq);
        for (const hook of hooks) this.enqueue({ hook, alert: a.id, attempts: 0, nextAt: 0 });
        fresh.push(a);
      }
      for (const [k, v] of stats) {
        const prev = this.stats.get(k);
        this.stats.putSync(k, (BigInt(prev ?? '0') + v).toString());
      }
      for (const k of active) {
        if (this.active.get(k) === undefined) {
          this.active.putSync(k, 1);
          const [period, bucket] = k.split('|');
          const sk = `${period}|${bucket}|active`;
          this.stats.putSync(sk, (BigInt(this.stats.get(sk) ?? '0') + 1n).toString());
        }
      }
      this.cursors.putSync(chain, cursor);
      this.trimAlerts();
    });
    return fresh;
  }

  /** Changes an alert (status, work order, assignee) and keeps its status index right. */
  updateAlert(id: string, change: (a: Alert) => Alert): Alert {
    this.check();
    return this.root.transactionSync(() => {
      const a = this.alerts.get(id);
      if (!a) throw new ShulianError('NOT_FOUND', `no alert ${id}`);
      const next = change(a);
      const seq = this.meta.get(`seq:${id}`) ?? 0;
      if (next.status !== a.status) {
        this.byStatus.removeSync(`${a.status}|${pad(seq)}`);
        this.byStatus.putSync(`${next.status}|${pad(seq)}`, id);
      }
      this.alerts.putSync(id, next);
      return next;
    });
  }

  /** Alerts newest first, optionally of one status, filtered by `keep`, before a position (`before` = an earlier answer's `next`). */
  listAlerts(opts: { status?: AlertStatus; limit: number; before?: string; keep?: (a: Alert) => boolean }): { alerts: AlertSummary[]; next?: string } {
    const out: AlertSummary[] = [];
    const db = opts.status ? this.byStatus : this.bySeq;
    const prefix = opts.status ? `${opts.status}|` : '';
    const start = opts.before !== undefined ? `${prefix}${opts.before}` : `${prefix}~`;
    let next: string | undefined;
    let scanned = 0;
    for (const { key, value } of db.getRange({ start, end: prefix, reverse: true })) {
      if (opts.before !== undefined && key === start) continue;
      if (++scanned > 20_000) break;
      const a = this.alerts.get(value);
      if (!a || (opts.keep && !opts.keep(a))) continue;
      const { proofs: _p, history: _h, ...summary } = a;
      out.push(summary);
      if (out.length >= opts.limit) {
        next = key.slice(prefix.length);
        break;
      }
    }
    return next === undefined ? { alerts: out } : { alerts: out, next };
  }

  /** Statistic series of a period from `from` (bucket start, ms) up to `to`, as `bucket → series → total`. */
  statsRange(period: 'hour' | 'day', from: number, to: number): Map<number, Record<string, string>> {
    const out = new Map<number, Record<string, string>>();
    for (const { key, value } of this.stats.getRange({ start: `${period}|${pad(from, 15)}`, end: `${period}|${pad(to, 15)}~` })) {
      const [, bucket, ...series] = key.split('|');
      const b = Number(bucket);
      let row = out.get(b);
      if (!row) out.set(b, (row = {}));
      row[series.join('|')] = value;
    }
    return out;
  }

  // ---- webhook outbox ----------------------------------------------------------------------

  private enqueue(e: OutboxEntry): void {
    const count = this.meta.get('outbox') ?? 0;
    if (count >= STORE_LIMITS.outbox) {
      let oldest: string | undefined;
      for (const k of this.outbox.getKeys({ limit: 1 })) oldest = k;
      if (oldest !== undefined) {
        this.outbox.removeSync(oldest);
        this.meta.putSync('outbox-dropped', (this.meta.get('outbox-dropped') ?? 0) + 1);
      }
    } else {
      this.meta.putSync('outbox', count + 1);
    }
    this.outbox.putSync(`${pad(e.nextAt, 15)}|${e.hook}|${e.alert}`, e);
  }

  /** Deliveries due at `now`, oldest first. */
  due(now: number, limit: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const { value } of this.outbox.getRange({ end: `${pad(now, 15)}~`, limit })) out.push(value);
    return out;
  }

  /** A delivery done (or given up): removed. */
  delivered(e: OutboxEntry): void {
    this.check();
    this.root.transactionSync(() => {
      if (this.outbox.get(`${pad(e.nextAt, 15)}|${e.hook}|${e.alert}`) === undefined) return;
      this.outbox.removeSync(`${pad(e.nextAt, 15)}|${e.hook}|${e.alert}`);
      this.meta.putSync('outbox', Math.max(0, (this.meta.get('outbox') ?? 1) - 1));
    });
  }

  /** A delivery failed: tried again at `nextAt`. */
  retry(e: OutboxEntry, nextAt: number, error: string): void {
    this.check();
    this.root.transactionSync(() => {
      this.outbox.removeSync(`${pad(e.nextAt, 15)}|${e.hook}|${e.alert}`);
      this.outbox.putSync(`${pad(nextAt, 15)}|${e.hook}|${e.alert}`, { ...e, attempts: e.attempts + 1, nextAt, lastError: error.slice(0, 300) });
    });
  }

  outboxSize(): { waiting: number; dropped: number } {
    return { waiting: this.meta.get('outbox') ?? 0, dropped: this.meta.get('outbox-dropped') ?? 0 };
  }

  alertCount(): number {
    return this.alerts.getCount();
  }

  /** Past STORE_LIMITS.alerts, the oldest closed alerts go first, then the oldest of any status. */
  private trimAlerts(): void {
    let n = this.alerts.getCount();
    if (n <= STORE_LIMITS.alerts) return;
    for (const status of ['closed', undefined] as const) {
      const db = status ? this.byStatus : this.bySeq;
      const prefix = status ? `${status}|` : '';
      for (const { key, value } of db.getRange({ start: prefix, end: `${prefix}~` })) {
        if (n <= STORE_LIMITS.alerts) return;
        const a = this.alerts.get(value);
        const seq = this.meta.get(`seq:${value}`) ?? 0;
        this.alerts.removeSync(value);
        this.bySeq.removeSync(pad(seq));
        if (a) this.byStatus.removeSync(`${a.status}|${pad(seq)}`);
        this.meta.removeSync(`seq:${value}`);
        if (status) this.byStatus.removeSync(key);
        n--;
      }
    }
  }

  private check(): void {
    if (this.closed) throw new ShulianError('POOL_CLOSED', 'the supervision store is closed (the node is shutting down)');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }
}
