/**
 * Alarm settings (docs/alarms.md): checked on the way in, secrets kept write-only on the way out.
 * A PUT that leaves a secret out keeps the stored one (so the console can save other fields).
 */
import { z } from '../codec/schemas.ts';
import { ShulianError } from '../codec/index.ts';
import type { AlarmSettings } from '../sdk/index.ts';

const thr = (min: number, max: number) => z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`).nullable().optional();
const email = z.string().regex(/^[^\s<>@]+@[^\s<>@]+$/, 'must be an e-mail address').max(254);

export const settingsSchema = z.strictObject({
  thresholds: z.strictObject({
    heightStalledS: thr(1, 86_400),
    validatorsDown: thr(1, 1_000),
    mempoolTxs: thr(1, 10_000_000),
    diskPercent: thr(1, 100),
    eventLoopLagMs: thr(1, 600_000),
    gatewayBacklog: thr(1, 10_000_000),
    forS: z.number().int().min(0).max(86_400).optional(),
    checkS: z.number().int().min(1).max(3_600).optional(),
  }),
  webhooks: z.array(z.strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a short name such as "ops"'),
    url: z.string().max(2_000).refine((u) => /^https?:\/\/[^\s]+$/.test(u), 'must be an http(s) URL'),
    secret: z.string().min(16, 'use at least 16 characters (e.g. openssl rand -hex 16)').max(256).optional(),
    secretSet: z.boolean().optional(),
  })).max(8, 'at most 8 webhooks').refine((a) => new Set(a.map((h) => h.id)).size === a.length, 'two webhooks have the same id'),
  smtp: z.strictObject({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65_535),
    security: z.enum(['tls', 'plain']),
    user: z.string().max(256).optional(),
    password: z.string().max(1_024).optional(),
    passwordSet: z.boolean().optional(),
    from: email,
    to: z.array(email).min(1, 'name at least one recipient').max(20),
  }).nullable().optional(),
});

const path = (p: ReadonlyArray<PropertyKey>) => p.map((x) => (typeof x === 'number' ? `[${x}]` : `.${String(x)}`)).join('').replace(/^\./, '');

/** The settings to store: `input` checked, with secrets it leaves out taken from `stored`. */
export function mergeSettings(stored: AlarmSettings, input: unknown): AlarmSettings {
  const r = settingsSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ShulianError('ALARM_SETTINGS_INVALID', `alarm settings ${path(i.path)}: ${i.message}`);
  }
  const next = r.data as AlarmSettings;
  for (const h of next.webhooks) {
    delete h.secretSet;
    h.secret ??= stored.webhooks.find((o) => o.id === h.id)?.secret;
    if (!h.secret) throw new ShulianError('ALARM_SETTINGS_INVALID', `alarm settings webhooks.${h.id}: give a secret (at least 16 characters); the receiver checks the signature with it`);
  }
  if (next.smtp) {
    delete next.smtp.passwordSet;
    if (next.smtp.user && next.smtp.password === undefined && stored.smtp?.password !== undefined) next.smtp.password = stored.smtp.password;
  }
  return next;
}

/** What the API returns: the settings without any secret. */
export function redacted(s: AlarmSettings): AlarmSettings {
  return {
    thresholds: { ...s.thresholds },
    webhooks: s.webhooks.map((h) => ({ id: h.id, url: h.url, secretSet: !!h.secret })),
    ...(s.smtp ? { smtp: { host: s.smtp.host, port: s.smtp.port, security: s.smtp.security, from: s.smtp.from, to: [...s.smtp.to], ...(s.smtp.user ? { user: s.smtp.user } : {}), passwordSet: s.smtp.password !== undefined } } : { smtp: null }),
  };
}

export const DEFAULT_SETTINGS: AlarmSettings = { thresholds: {}, webhooks: [], smtp: null };
