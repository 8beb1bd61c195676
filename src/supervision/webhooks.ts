/**
 * Signed webhooks (docs/supervision.md#webhooks): each new alert is POSTed as JSON to every
 * configured URL, from the store's outbox (so deliveries survive a restart), retried with
 * exponential backoff, at most a few at a time. The body is signed with HMAC-SHA256 under the
 * hook's secret over `<timestamp>.<body>`:
 *
 *   x-shulian-timestamp: 1712345678901
 *   x-shulian-signature: sha256=<hex>
 *   x-shulian-alert: <alert id>            (the same alert always has the same id: de-duplicate on it)
 *
 * A receiver recomputes the HMAC, compares in constant time and refuses old timestamps.
 */
import { createHmac } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import type { Alert } from '../sdk/index.ts';
import type { OutboxEntry, SupervisionStore } from './store.ts';

export interface Webhook {
  /** Stable name of the hook (its outbox entries are keyed by it). */
  id: string;
  url: string;
  secret: string;
}

/** How deliveries are retried: attempts in all, the first delay doubling up to the longest, each request's timeout, at once. */
export interface WebhookRetry {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  concurrency: number;
}

export const WEBHOOK_RETRY: Readonly<WebhookRetry> = { attempts: 12, firstDelayMs: 1_000, maxDelayMs: 10 * 60_000, timeoutMs: 10_000, concurrency: 4 };

export function checkWebhook(h: Webhook): Webhook {
  let u: URL;
  try {
    u = new URL(h.url);
  } catch {
    throw new ShulianError('WEBHOOK_INVALID', `webhook "${h.id}": "${h.url.slice(0, 100)}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ShulianError('WEBHOOK_INVALID', `webhook "${h.id}": ${u.protocol} is not http or https`);
  if (h.secret.length < 16) throw new ShulianError('WEBHOOK_INVALID', `webhook "${h.id}": the secret has ${h.secret.length} characters; use at least 16 (e.g. openssl rand -hex 16)`);
  return h;
}

/** The signature header value for a body sent at `timestamp`. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookSender {
  private readonly hooks: Map<string, Webhook>;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  readonly stats = { delivered: 0, failed: 0, gaveUp: 0 };

  constructor(
    private readonly store: SupervisionStore,
    hooks: Webhook[],
    private readonly opts: { now?: () => number; log?: (line: string) => void; retry?: Partial<WebhookRetry>; withProofs?: (a: Alert) => Promise<Alert> } = {},
  ) {
    this.hooks = new Map(hooks.map((h) => [h.id, checkWebhook(h)]));
  }

  get ids(): string[] {
    return [...this.hooks.keys()];
  }

  private get retry(): WebhookRetry {
    return { ...WEBHOOK_RETRY, ...this.opts.retry };
  }

  start(): void {
    if (this.hooks.size === 0) return;
    this.timer = setInterval(() => this.wake(), 500);
    this.timer.unref();
    this.wake();
  }

  /** Sends what is due now (called when an alert is stored, and periodically for retries). */
  wake(): void {
    if (this.running || this.closed || this.hooks.size === 0) return;
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
    });
  }

  private async drain(): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    const due = this.store.due(now, this.retry.concurrency * 4);
    for (let i = 0; i < due.length && !this.closed; i += this.retry.concurrency) {
      await Promise.all(due.slice(i, i + this.retry.concurrency).map((e) => this.deliver(e)));
    }
  }

  private async deliver(e: OutboxEntry): Promise<void> {
    const hook = this.hooks.get(e.hook);
    const alert = this.store.alert(e.alert);
    if (!hook || !alert) {
      this.store.delivered(e); // the hook was removed from the configuration, or the alert trimmed
      return;
    }
    let full: Alert = alert;
    try {
      full = this.opts.withProofs ? await this.opts.withProofs(alert) : alert;
    } catch {
      // Delivered without proofs rather than not at all; the receiver can fetch them by id.
    }
    const body = JSON.stringify({ type: 'alert', alert: full });
    const ts = (this.opts.now ?? Date.now)();
    let error: string | undefined;
    try {
      const res = await fetch(hook.url, {
        method: 'POST', body, signal: AbortSignal.timeout(this.retry.timeoutMs),
        headers: { 'content-type': 'application/json', 'x-shulian-timestamp': String(ts), 'x-shulian-signature': webhookSignature(hook.secret, ts, body), 'x-shulian-alert': alert.id },
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    if (this.closed) return;
    if (error === undefined) {
      this.stats.delivered++;
      this.store.delivered(e);
      return;
    }
    this.stats.failed++;
    if (e.attempts + 1 >= this.retry.attempts) {
      this.stats.gaveUp++;
      this.opts.log?.(`webhook ${hook.id}: gave up on alert ${alert.id} after ${e.attempts + 1} attempts (${error})`);
      this.store.delivered(e);
      return;
    }
    const delay = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** e.attempts);
    this.store.retry(e, (this.opts.now ?? Date.now)() + delay, error);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }
}
