/**
 * The alarm store (`<dataDir>/alarms.lmdb`): settings, the alarm history and the delivery outbox,
 * so history and pending deliveries survive a restart. Bounded: the newest HISTORY_MAX events and
 * OUTBOX_MAX deliveries are kept (an entry pushed out of a full outbox is marked failed).
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { ShulianError } from '../codec/index.ts';
import type { AlarmEvent, AlarmSettings } from '../sdk/index.ts';
import { DEFAULT_SETTINGS } from './settings.ts';

export const HISTORY_MAX = 10_000;
export const OUTBOX_MAX = 1_000;

/** One delivery waiting: of event `seq` to `target` (a webhook id, or "smtp"). */
export interface Delivery {
  seq: number;
  target: string;
  attempts: number;
  due: number;
}

const pad = (n: number) => String(n).padStart(12, '0');

export class AlarmStore {
  private readonly root: RootDatabase;
  private readonly meta: Database<unknown, string>;
  private readonly events: Database<AlarmEvent, string>;
  private readonly outbox: Database<Delivery, string>;
  private seq: number;

  constructor(path: string) {
    try {
      this.root = open({ path, maxDbs: 4, mapSize: 1024 ** 3 });
    } catch (err) {
      throw new ShulianError('ALARMS_NOT_RUNNING', `the alarm store ${path} cannot be opened: ${(err as Error).message}`);
    }
    this.meta = this.root.openDB({ name: 'meta' });
    this.events = this.root.openDB({ name: 'events' });
    this.outbox = this.root.openDB({ name: 'outbox' });
    let last = 0;
    for (const k of this.events.getKeys({ reverse: true, limit: 1 })) last = Number(k);
    this.seq = last;
  }

  settings(): AlarmSettings {
    return (this.meta.get('settings') as AlarmSettings | undefined) ?? structuredClone(DEFAULT_SETTINGS);
  }

  async setSettings(s: AlarmSettings): Promise<void> {
    await this.meta.put('settings', s);
  }

  /** Records an event and queues its deliveries; returns it with its seq. */
  async record(e: Omit<AlarmEvent, 'seq' | 'deliveries'>, targets: string[], now: number): Promise<AlarmEvent> {
    const seq = ++this.seq;
    const ev: AlarmEvent = { ...e, seq, deliveries: Object.fromEntries(targets.map((t) => [t, { status: 'pending' as const, attempts: 0 }])) };
    await this.root.transaction(() => {
      void this.events.put(pad(seq), ev);
      for (const t of targets) void this.outbox.put(`${pad(seq)}/${t}`, { seq, target: t, attempts: 0, due: now });
    });
    await this.trim();
    return ev;
  }

  private async trim(): Promise<void> {
    const n = this.events.getCount();
    if (n > HISTORY_MAX) for (const k of this.events.getKeys({ limit: n - HISTORY_MAX })) await this.events.remove(k);
    const m = this.outbox.getCount();
    if (m > OUTBOX_MAX) {
      for (const { key, value } of this.outbox.getRange({ limit: m - OUTBOX_MAX })) await this.finish(value, 'failed', 'dropped: the delivery queue was full', key);
    }
  }

  history(limit = 100, before?: number): AlarmEvent[] {
    const out: AlarmEvent[] = [];
    for (const { value } of this.events.getRange({ reverse: true, limit, ...(before !== undefined ? { start: pad(before - 1) } : {}) })) out.push(value);
    return out;
  }

  due(now: number, limit: number): Delivery[] {
    const out: Delivery[] = [];
    for (const { value } of this.outbox.getRange({})) {
      if (value.due <= now) out.push(value);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A delivery is done (delivered, or given up): off the outbox, its status on the event. */
  async finish(d: Delivery, status: 'delivered' | 'failed', error?: string, key = `${pad(d.seq)}/${d.target}`): Promise<void> {
    // The event is read inside the write transaction: an event's targets are delivered
    // concurrently, and a copy read before another delivery's write would undo its status.
    await this.root.transaction(() => {
      const ev = this.events.get(pad(d.seq));
      void this.outbox.remove(key);
      if (ev) void this.events.put(pad(d.seq), { ...ev, deliveries: { ...ev.deliveries, [d.target]: { status, attempts: d.attempts, ...(error ? { error } : {}) } } });
    });
  }

  /** A failed attempt to retry at `due`. */
  async retry(d: Delivery, due: number, error: string): Promise<void> {
    await this.root.transaction(() => {
      const ev = this.events.get(pad(d.seq));
      void this.outbox.put(`${pad(d.seq)}/${d.target}`, { ...d, due });
      if (ev) void this.events.put(pad(d.seq), { ...ev, deliveries: { ...ev.deliveries, [d.target]: { status: 'pending', attempts: d.attempts, error } } });
    });
  }

  event(seq: number): AlarmEvent | undefined {
    return this.events.get(pad(seq));
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
