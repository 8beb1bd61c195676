/**
 * Ops alarms of a node (issue #25 item 4, docs/alarms.md): every `checkS` the node's figures
 * (GET /v1/node/stats) are held against the thresholds; an alarm that fires or resolves is
 * recorded in the history and delivered to every webhook (signed, below) and by e-mail, from a
 * persistent outbox with bounded retries. Secrets are never logged; errors name the target only.
 *
 * Webhook signature: HMAC-SHA256 under the webhook's secret over `<timestamp>.<body>`:
 *   x-shulian-timestamp: 1712345678901          (ms since the epoch)
 *   x-shulian-signature: sha256=<hex>
 *   x-shulian-alarm: <seq>                      (the history entry; the same delivery retried has the same seq)
 */
import { createHmac } from 'node:crypto';
import type { AlarmEvent, AlarmSettings, NodeStats } from '../sdk/index.ts';
import { Conditions, breaches } from './rules.ts';
import { mergeSettings, redacted } from './settings.ts';
import { sendMail } from './smtp.ts';
import { AlarmStore, type Delivery } from './store.ts';

export interface AlarmRetry {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  concurrency: number;
}

export const ALARM_RETRY: Readonly<AlarmRetry> = { attempts: 8, firstDelayMs: 1_000, maxDelayMs: 5 * 60_000, timeoutMs: 10_000, concurrency: 4 };

export interface AlarmServiceOptions {
  /** The LMDB folder (`<dataDir>/alarms.lmdb`). */
  path: string;
  retry?: Partial<AlarmRetry>;
  /** The node's DID, named in alarms. */
  node?: string;
  log?: (line: string) => void;
  now?: () => number;
  /** Tests: a CA to trust for SMTP over TLS. */
  smtpCa?: string;
}

/** The signature header value for a body sent at `timestamp`. */
export function alarmSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class AlarmService {
  readonly store: AlarmStore;
  private readonly conditions = new Conditions();
  private stats: (() => NodeStats) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private checking = false;
  private lastCheck = 0;
  private sending = false;
  private closed = false;

  constructor(private readonly opts: AlarmServiceOptions) {
    this.store = new AlarmStore(opts.path);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private get retry(): AlarmRetry {
    return { ...ALARM_RETRY, ...this.opts.retry };
  }

  /** Starts checking `stats` and delivering. */
  attach(stats: () => NodeStats): void {
    this.stats = stats;
    // Ticks every second; the settings' checkS says which ticks check.
    const check = setInterval(() => {
      if (this.now() - this.lastCheck >= (this.store.settings().thresholds.checkS ?? 5) * 1000 - 100) void this.check();
    }, 1_000);
    const send = setInterval(() => this.wake(), 500);
    check.unref();
    send.unref();
    this.timers.push(check, send);
    this.wake();
  }

  settings(): AlarmSettings {
    return redacted(this.store.settings());
  }

  async setSettings(input: unknown): Promise<AlarmSettings> {
    const next = mergeSettings(this.store.settings(), input);
    await this.store.setSettings(next);
    return redacted(next);
  }

  history(limit?: number, before?: number): AlarmEvent[] {
    return this.store.history(limit, before);
  }

  /** Holds the figures against the thresholds once; records and queues what fired or resolved. */
  async check(): Promise<AlarmEvent[]> {
    if (!this.stats || this.checking || this.closed) return [];
    this.checking = true;
    this.lastCheck = this.now();
    try {
      const s = this.store.settings();
      const figures = this.stats();
      const now = figures.time;
      const transitions = this.conditions.step(now, breaches(figures, s.thresholds, this.conditions.stalledMs), s.thresholds.forS ?? 0);
      const targets = [...s.webhooks.map((h) => h.id), ...(s.smtp ? ['smtp'] : [])];
      const out: AlarmEvent[] = [];
      for (const t of transitions) {
        const { state, ...b } = t;
        out.push(await this.store.record({ ...b, state, time: now }, targets, this.now()));
        this.opts.log?.(`alarm ${state}: ${t.message}`);
      }
      if (out.length > 0) this.wake();
      return out;
    } finally {
      this.checking = false;
    }
  }

  /** Sends what is due now. */
  wake(): void {
    if (this.sending || this.closed) return;
    this.sending = true;
    void this.drain().catch((err: unknown) => this.opts.log?.(`alarm deliveries: ${(err as Error).message}`)).finally(() => (this.sending = false));
  }

  private async drain(): Promise<void> {
    const r = this.retry;
    const due = this.store.due(this.now(), r.concurrency * 4);
    for (let i = 0; i < due.length && !this.closed; i += r.concurrency) {
      await Promise.all(due.slice(i, i + r.concurrency).map((d) => this.deliver(d)));
    }
  }

  private async deliver(d: Delivery): Promise<void> {
    const s = this.store.settings();
    const ev = this.store.event(d.seq);
    const hook = s.webhooks.find((h) => h.id === d.target);
    if (!ev || (d.target === 'smtp' ? !s.smtp : !hook)) {
      await this.store.finish(d, 'failed', 'the target was removed from the settings');
      return;
    }
    const attempt = { ...d, attempts: d.attempts + 1 };
    try {
      const { deliveries: _d, ...alarm } = ev;
      if (hook) {
        const body = JSON.stringify({ type: 'alarm', node: this.opts.node, alarm });
        const ts = this.now();
        const res = await fetch(hook.url, {
          method: 'POST', body, signal: AbortSignal.timeout(this.retry.timeoutMs),
          headers: { 'content-type': 'application/json', 'x-shulian-timestamp': String(ts), 'x-shulian-signature': alarmSignature(hook.secret!, ts, body), 'x-shulian-alarm': String(ev.seq) },
        });
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) throw new Error(`answered ${res.status}`);
      } else {
        const smtp = s.smtp!;
        await sendMail({ host: smtp.host, port: smtp.port, security: smtp.security, ...(smtp.user ? { user: smtp.user, password: smtp.password ?? '' } : {}), ...(this.opts.smtpCa ? { ca: this.opts.smtpCa } : {}) }, {
          from: smtp.from, to: smtp.to,
          subject: `[Shulian alarm] ${ev.state === 'firing' ? 'FIRING' : 'resolved'} ${ev.kind}${ev.chain ? ` ${ev.chain}` : ''}`,
          text: `${ev.message}\n\nnode: ${this.opts.node ?? ''}\nalarm: ${ev.id} (#${ev.seq})\ntime: ${new Date(ev.time).toISOString()}\n`,
        }, { id: `alarm-${ev.seq}-${ev.time}@shulian`, timeoutMs: this.retry.timeoutMs });
      }
      await this.store.finish(attempt, 'delivered');
    } catch (err) {
      const why = `${d.target}: ${(err as Error).message}`.slice(0, 300);
      if (attempt.attempts >= this.retry.attempts) {
        await this.store.finish(attempt, 'failed', why);
        this.opts.log?.(`alarm #${d.seq} not delivered to ${d.target} after ${attempt.attempts} attempts (${why})`);
      } else {
        const delay = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (attempt.attempts - 1));
        await this.store.retry(attempt, this.now() + delay, why);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const deadline = Date.now() + 5_000;
    while ((this.sending || this.checking) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.store.close();
  }
}
