/**
 * Ops alarms (issue #25 item 4, docs/alarms.md), operators only:
 *   GET /v1/alarms/settings   thresholds, webhooks and SMTP settings, secrets left out (`secretSet`, `passwordSet`)
 *   PUT /v1/alarms/settings   replace them (a secret left out keeps the stored one)
 *   GET /v1/alarms/history    alarms fired and resolved, newest first, with their deliveries
 */
import type { FastifyInstance } from 'fastify';
import { ShulianError } from '../../codec/index.ts';
import type { AlarmService } from '../../alarms/index.ts';
import type { ConsoleAuth } from './auth.ts';

const tags = ['alarms'];

export function registerAlarmRoutes(app: FastifyInstance, alarms: AlarmService | undefined, auth: ConsoleAuth | undefined): void {
  const ready = (): { alarms: AlarmService; auth: ConsoleAuth } => {
    if (!alarms || !auth) throw new ShulianError('ALARMS_NOT_RUNNING', 'this node runs no alarms: start it with a data dir');
    return { alarms, auth };
  };
  app.get('/v1/alarms/settings', { schema: { tags, summary: 'Alarm thresholds and delivery settings, without secrets (operators)' } }, async (req) => {
    const r = ready();
    await r.auth.require(req, 'operator');
    return r.alarms.settings();
  });
  app.put('/v1/alarms/settings', { schema: { tags, summary: 'Replace the alarm settings; a secret left out keeps the stored one (operators)' } }, async (req) => {
    const r = ready();
    await r.auth.require(req, 'operator');
    return r.alarms.setSettings(req.body);
  });
  app.get<{ Querystring: { limit?: string; before?: string } }>('/v1/alarms/history', { schema: { tags, summary: 'Alarms fired and resolved, newest first, with their deliveries (operators)' } }, async (req) => {
    const r = ready();
    await r.auth.require(req, 'operator');
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    const before = req.query.before === undefined ? undefined : Number(req.query.before);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ShulianError('BAD_REQUEST', `limit must be a whole number from 1 to 500, not ${req.query.limit}`);
    if (before !== undefined && (!Number.isInteger(before) || before < 1)) throw new ShulianError('BAD_REQUEST', `before must be the seq of an alarm, not ${req.query.before}`);
    return { alarms: r.alarms.history(limit, before) };
  });
}
