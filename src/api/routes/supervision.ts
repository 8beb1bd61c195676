/**
 * Supervision (监管服务, docs/supervision.md) over HTTP and WebSocket:
 *
 *   GET  /v1/supervision/status                      the service: rules in force, chains followed, counters
 *   GET  /v1/supervision/rules                       the rules in force at the governance height (public: anyone sees which rules apply)
 *   GET  /v1/supervision/alerts?status&rule&chain&limit&before
 *                                                     alerts newest first: operators all, regulators those in their scope
 *   GET  /v1/supervision/alerts/:id                  one alert with its txs' inclusion proofs
 *   POST /v1/supervision/alerts/:id/ack {note?}      acknowledge: files a work order (kind "alert") that tracks it
 *   POST /v1/supervision/alerts/:id/assign {to, note?}  assign it (and its work order) to a regulator or operator
 *   POST /v1/supervision/alerts/:id/close {note}     close it (its work order resolved)
 *   GET  /v1/supervision/stats?period&from&to        statistics per hour or day (txs, active DIDs, volume, flows, alerts)
 *   GET  /v1/supervision/stream                      WebSocket: new alerts the caller may see, as they are raised
 *
 * Freezes are governance proposals (POST /v1/chains/gov/txs, kind "freeze"); an alert's id is
 * their evidence. Regulators act through their console session or an API key.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HEX64_RE as ID_RE, ShulianError } from '../../codec/index.ts';
import { didSchema, z } from '../../codec/schemas.ts';
import type { Regulator } from '../../modules/governance/types.ts';
import { ALERT_STATUSES, type Alert, type AlertStatus, type WorkOrderStatus } from '../../sdk/index.ts';
import { PERIODS, bucketOf, type Period, type SupervisionService } from '../../supervision/index.ts';
import { errorSchema } from '../schemas.ts';
import { parseBody, type ConsoleAuth, type Principal } from './auth.ts';

/** Alert streams one DID may have open at once. */
const STREAMS_PER_DID = 8;
/** Most stat buckets one request returns (a month of hours, two years of days). */
const MAX_BUCKETS = 800;

const note = z.string().min(1).max(1_000).regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'no control characters');
const ackBody = z.strictObject({ note: note.optional() });
const assignBody = z.strictObject({ to: didSchema, note: note.optional() });
const closeBody = z.strictObject({ note });

/** Whether a regulator's scope covers a chain (its chains, "*" for all). */
export function regulatorCovers(reg: Regulator | undefined, chain: string): boolean {
  return reg !== undefined && (reg.chains.includes('*') || reg.chains.includes(chain));
}

/** The chains a statistic series is about (none: alliance-wide, e.g. volume per currency). */
function seriesChains(series: string): string[] {
  const [kind, a, b] = series.split('|');
  if (kind === 'tx' || kind === 'failed' || kind === 'module') return [a!];
  if (kind === 'xchain') return [a!, b!];
  return [];
}

export function registerSupervisionRoutes(app: FastifyInstance, service: SupervisionService | undefined, auth: ConsoleAuth | undefined): void {
  const tags = ['supervision'];
  const errs = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema };
  const noValidation = () => () => true;
  const idParam = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

  const running = (): SupervisionService => {
    if (!service) throw new ShulianError('SUPERVISION_NOT_RUNNING', 'this node runs no supervision service; start the node with shulian up (it embeds one) or run shulian supervise');
    return service;
  };
  const console_ = (): ConsoleAuth => {
    if (!auth) throw new ShulianError('SUPERVISION_NOT_RUNNING', 'this node serves no console sign-in, so alerts are shown to no one; start it with a data dir');
    return auth;
  };
  const regulatorOf = (did: string): Regulator | undefined => running().rules?.regulators.find((r) => r.did === did);
  /** Operators see every alert; regulators the alerts of their own rules and of the chains in their scope. */
  const maySee = (p: Principal, a: Pick<Alert, 'owner' | 'chain'>): boolean =>
    p.roles.includes('operator') || a.owner === p.did || regulatorCovers(regulatorOf(p.did), a.chain);
  const alertFor = (p: Principal, id: string): Alert => {
    if (!ID_RE.test(id)) throw new ShulianError('BAD_REQUEST', `alert id "${id.slice(0, 80)}" is not 64 lowercase hex digits`);
    const a = running().store.alert(id);
    if (!a || !maySee(p, a)) throw new ShulianError('NOT_FOUND', `no alert ${id} that ${p.did} may see`);
    return a;
  };
  const caller = (req: FastifyRequest) => console_().require(req, 'operator', 'regulator');

  app.get('/v1/supervision/status', { schema: { tags, summary: 'The supervision service: rules in force, chains followed and how far, counters', response: errs } },
    async () => running().status());

  app.get('/v1/supervision/rules', { schema: { tags, summary: 'The rules in force (with their version and regulator) at the governance height the service read', response: errs } }, async () => {
    const loaded = running().rules;
    return { govHeight: loaded?.ctx.govHeight ?? -1, rules: loaded?.records ?? [], skipped: loaded?.skipped ?? [] };
  });

  app.get<{ Querystring: { status?: AlertStatus; rule?: string; chain?: string; limit?: number; before?: string } }>('/v1/supervision/alerts', {
    schema: {
      tags, summary: 'Alerts newest first (without proofs): an operator sees all, a regulator those of its rules and chains',
      querystring: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: [...ALERT_STATUSES] }, rule: { type: 'string', maxLength: 64 }, chain: { type: 'string', maxLength: 32 },
          limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, before: { type: 'string', pattern: '^[0-9]{1,12}$' },
        },
      },
      response: errs,
    },
  }, async (req) => {
    const p = await caller(req);
    const q = req.query;
    return running().store.listAlerts({
      limit: q.limit ?? 50, ...(q.status ? { status: q.status } : {}), ...(q.before ? { before: q.before } : {}),
      keep: (a) => maySee(p, a) && (q.rule === undefined || a.rule === q.rule) && (q.chain === undefined || a.chain === q.chain),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/supervision/alerts/:id', {
    schema: { tags, summary: 'One alert with the inclusion proofs of its txs and its handling history', params: idParam, response: errs },
  }, async (req) => running().withProofs(alertFor(await caller(req), req.params.id)));

  /** Moves an alert and its work order in step; the work order is filed on acknowledgement. */
  const move = (p: Principal, id: string, to: AlertStatus, extra: { note?: string; assignee?: string }): Alert => {
    const a = alertFor(p, id);
    const svc = running();
    const auth_ = console_();
    const now = auth_.now();
    if (a.status === 'closed') throw new ShulianError('CONFLICT', `alert ${id} is closed already`);
    if (to === 'acknowledged' && a.status !== 'open') throw new ShulianError('CONFLICT', `alert ${id} is ${a.status} already; assign or close it`);
    let workOrder = a.workOrder;
    const store = auth_.store;
    const quota = auth_.quotaOf(p.roles);
    if (workOrder === undefined) {
      const o = store.createWorkOrder({
        kind: 'alert', alert: a.id, title: `[${a.severity}] ${a.title}`.slice(0, 200),
        body: `Alert ${a.id}\nRule ${a.rule} v${a.version} on ${a.chain} at height ${a.height}\n${a.detail}${extra.note ? `\n\n${extra.note}` : ''}`.slice(0, 20_000),
        status: 'in-progress', createdBy: p.did, createdAt: now, updatedAt: now, history: [], ...(extra.assignee ? { assignee: extra.assignee } : {}),
      }, quota, { actor: p.did, action: 'alert.ack', details: { alert: a.id } });
      workOrder = o.id;
    }
    const woStatus: WorkOrderStatus = to === 'closed' ? 'resolved' : 'in-progress';
    store.updateWorkOrder(workOrder, now, { actor: p.did, action: `alert.${to}`, target: `workorder:${workOrder}`, details: { alert: a.id } }, { did: p.did, quota, bytes: extra.note?.length ?? 0 }, (o) => {
      const change = o.status === woStatus ? [] : [{ by: p.did, at: now, from: o.status, to: woStatus, ...(extra.note ? { note: extra.note } : {}) }];
      return { ...o, status: woStatus, updatedAt: now, history: [...o.history, ...change], ...(extra.assignee ? { assignee: extra.assignee } : {}) };
    });
    return svc.store.updateAlert(id, (x) => ({
      ...x, status: to, workOrder, ...(extra.assignee ? { assignee: extra.assignee } : {}),
      history: [...x.history, { at: now, by: p.did, status: to, ...(extra.note ? { note: extra.note } : {}) }],
    }));
  };

  const bodyRoute = (path: string, summary: string, body: object) => ({
    schema: { tags, summary, params: idParam, body, response: errs },
    validatorCompiler: noValidation,
    bodyLimit: 16 * 1024,
  });
  app.post<{ Params: { id: string } }>('/v1/supervision/alerts/:id/ack', bodyRoute('ack', 'Acknowledge an alert: files the work order that tracks it (kind "alert")', { type: 'object', properties: { note: { type: 'string' } } }), async (req) => {
    const p = await caller(req);
    const b = parseBody(ackBody, req.body ?? {}, `POST /v1/supervision/alerts/${req.params.id}/ack`);
    return move(p, req.params.id, 'acknowledged', b.note ? { note: b.note } : {});
  });
  app.post<{ Params: { id: string } }>('/v1/supervision/alerts/:id/assign', bodyRoute('assign', 'Assign an alert and its work order to a regulator or operator', { type: 'object', required: ['to'], properties: { to: { type: 'string' }, note: { type: 'string' } } }), async (req) => {
    const p = await caller(req);
    const b = parseBody(assignBody, req.body, `POST /v1/supervision/alerts/${req.params.id}/assign`);
    const roles = await console_().rolesOf(b.to);
    if (!roles.includes('regulator') && !roles.includes('operator')) throw new ShulianError('BAD_REQUEST', `${b.to} is neither a regulator nor an operator; alerts are assigned to those who may see them`);
    return move(p, req.params.id, 'assigned', { assignee: b.to, ...(b.note ? { note: b.note } : {}) });
  });
  app.post<{ Params: { id: string } }>('/v1/supervision/alerts/:id/close', bodyRoute('close', 'Close an alert (its work order resolved), saying why', { type: 'object', required: ['note'], properties: { note: { type: 'string' } } }), async (req) => {
    const p = await caller(req);
    const b = parseBody(closeBody, req.body, `POST /v1/supervision/alerts/${req.params.id}/close`);
    return move(p, req.params.id, 'closed', { note: b.note });
  });

  app.get<{ Querystring: { period?: Period; from?: number; to?: number } }>('/v1/supervision/stats', {
    schema: {
      tags, summary: 'Statistics per hour or UTC day of block time: txs per chain, module and organisation, failed txs, active DIDs, settled volume per currency, cross-chain packets, alerts per severity',
      querystring: {
        type: 'object',
        properties: { period: { type: 'string', enum: Object.keys(PERIODS) }, from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 0 } },
      },
      response: errs,
    },
  }, async (req) => {
    const p = await caller(req);
    const period = req.query.period ?? 'hour';
    const span = PERIODS[period];
    const to = bucketOf(period, req.query.to ?? Date.now());
    const from = bucketOf(period, req.query.from ?? to - 23 * span);
    if (from > to) throw new ShulianError('BAD_REQUEST', `from (${from}) is after to (${to})`);
    if ((to - from) / span + 1 > MAX_BUCKETS) throw new ShulianError('BAD_REQUEST', `${(to - from) / span + 1} ${period}s asked for; at most ${MAX_BUCKETS} per request`);
    const reg = p.roles.includes('operator') ? undefined : regulatorOf(p.did);
    const all = p.roles.includes('operator') || reg?.chains.includes('*');
    const rows = running().store.statsRange(period, from, to);
    const buckets = [...rows].sort(([a], [b]) => a - b).map(([start, series]) => {
      const kept: Record<string, string> = {};
      for (const [k, v] of Object.entries(series)) {
        const chains = seriesChains(k);
        if (all || (chains.length > 0 && chains.some((c) => regulatorCovers(reg, c))) || k.startsWith('alerts|')) kept[k] = v;
      }
      return { start, series: kept };
    });
    return { period, from, to, scope: all ? '*' : (reg?.chains ?? []), buckets };
  });

  const streams = new Map<string, number>();
  app.get('/v1/supervision/stream', {
    websocket: true,
    schema: { tags, summary: 'WebSocket: {type:"alert", alert} for each new alert the caller may see (send Authorization: Bearer <token>)' },
  }, async (socket, req) => {
    let p: Principal;
    try {
      p = await caller(req);
      running();
    } catch (err) {
      const e = err as ShulianError;
      socket.send(JSON.stringify({ type: 'error', error: { code: e.code ?? 'NOT_AUTHORISED', message: e.message } }));
      socket.close(1008, String(e.code ?? 'NOT_AUTHORISED'));
      return;
    }
    const open = streams.get(p.did) ?? 0;
    if (open >= STREAMS_PER_DID) {
      socket.send(JSON.stringify({ type: 'error', error: { code: 'RATE_LIMITED', message: `${p.did} has ${open} alert streams open, the most allowed; close one` } }));
      socket.close(1008, 'RATE_LIMITED');
      return;
    }
    streams.set(p.did, open + 1);
    const off = running().onAlert((a) => {
      if (!maySee(p, a)) return;
      if (socket.bufferedAmount > 4 * 1024 * 1024) {
        socket.close(1013, 'subscriber too slow');
        return;
      }
      socket.send(JSON.stringify({ type: 'alert', alert: a }));
    });
    socket.send(JSON.stringify({ type: 'subscribed', did: p.did }));
    socket.on('close', () => {
      off();
      const n = (streams.get(p.did) ?? 1) - 1;
      if (n <= 0) streams.delete(p.did);
      else streams.set(p.did, n);
    });
  });
}
