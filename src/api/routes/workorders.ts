/**
 * Work orders (工单): requests from members to the operator — join the alliance, a new chain, more
 * quota, an incident — with comments and a status the operator moves (issue #8). Stored on the
 * node in the console store; every change is in the audit log.
 *
 *   GET  /v1/workorders?status&kind&limit&before  members see their own, operators all
 *   POST /v1/workorders {kind, title, body}        a DID holding a role files one → 201; a DID
 *                                                  without one, one small open `join` request
 *   GET  /v1/workorders/:id                        its author or an operator
 *   POST /v1/workorders/:id/comments {text}        its author or an operator
 *   POST /v1/workorders/:id/status {status, note?} operators only
 *
 * A prospective member organisation has no role yet, so it may ask to join: one open `join`
 * request per DID, of at most JoinLimits.bytes written in all, counted against a bound on open
 * role-less join requests from one client address and in all (console-store.ts), so outsiders
 * cannot grow the store nor take every slot from one address.
 */
import type { FastifyInstance } from 'fastify';
import { z } from '../../codec/schemas.ts';
import { ShulianError } from '../../codec/index.ts';
import {
  WORK_ORDER_KINDS, WORK_ORDER_STATUSES, type StoredOrder, type WorkOrder, type WorkOrderStatus,
} from '../console-store.ts';
import { errorSchema } from '../schemas.ts';
import { parseBody, type ConsoleAuth, type Principal } from './auth.ts';

export { visible as visibleOrder };

export const WORK_ORDER_LIMITS = { title: 200, body: 20_000, comment: 5_000, note: 1_000 } as const;

/** Text a person typed: no control characters but newlines and tabs, not only blanks. */
const text = (max: number, what: string) => z.string()
  .max(max, `${what} may be at most ${max} characters`)
  .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, `${what} may not contain control characters`)
  .refine((s) => s.trim().length > 0, `${what} may not be empty`);

/** Alert work orders are filed by acknowledging the alert (POST /v1/supervision/alerts/:id/ack), not here. */
const FILED_KINDS = WORK_ORDER_KINDS.filter((k) => k !== 'alert');

export const workOrderBody = z.strictObject({
  kind: z.enum(FILED_KINDS, `kind must be one of ${FILED_KINDS.join(', ')} (alert work orders come from acknowledging an alert)`),
  title: text(WORK_ORDER_LIMITS.title, 'title'),
  body: text(WORK_ORDER_LIMITS.body, 'body'),
});
export const commentBody = z.strictObject({ text: text(WORK_ORDER_LIMITS.comment, 'text') });
export const statusBody = z.strictObject({
  status: z.enum(WORK_ORDER_STATUSES, `status must be one of ${WORK_ORDER_STATUSES.join(', ')}`),
  note: text(WORK_ORDER_LIMITS.note, 'note').optional(),
});

const ID_RE = /^[1-9][0-9]{0,9}$/;

function orderId(raw: string): number {
  if (!ID_RE.test(raw)) throw new ShulianError('BAD_REQUEST', `work order id "${raw.slice(0, 40)}" is not a positive whole number`);
  return Number(raw);
}

const isOperator = (p: Principal): boolean => p.roles.includes('operator');
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

const noRole = (p: Principal, what: string): ShulianError =>
  new ShulianError('FORBIDDEN', `${p.did} holds no console role, so it may not ${what}; it may file one join request (kind "join") and comment on it while it is open, or an operator grants the DID a role`);

/** The order, if the caller may see it (its author, its assignee, an operator); NOT_FOUND either way otherwise (do not reveal others' orders). */
function visible<T extends { createdBy: string; assignee?: string }>(o: T | undefined, p: Principal, id: number): T {
  if (!o || (o.createdBy !== p.did && o.assignee !== p.did && !isOperator(p))) throw new ShulianError('NOT_FOUND', `no work order #${id} that ${p.did} may see`);
  return o;
}

const orderSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, kind: { type: 'string', enum: [...WORK_ORDER_KINDS] }, title: { type: 'string' }, body: { type: 'string' },
    status: { type: 'string', enum: [...WORK_ORDER_STATUSES] }, createdBy: { type: 'string' }, createdAt: { type: 'integer' }, updatedAt: { type: 'integer' },
    alert: { type: 'string' }, assignee: { type: 'string' },
    comments: { type: 'array', items: { type: 'object', properties: { by: { type: 'string' }, at: { type: 'integer' }, text: { type: 'string' } } } },
    history: {
      type: 'array',
      items: { type: 'object', properties: { by: { type: 'string' }, at: { type: 'integer' }, from: { type: 'string' }, to: { type: 'string' }, note: { type: 'string' } } },
    },
  },
} as const;

export function registerWorkOrderRoutes(app: FastifyInstance, auth: ConsoleAuth): void {
  const { store } = auth;
  const tags = ['console'];
  const errs = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
  const noValidation = () => () => true;
  const idParam = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

  app.get<{ Querystring: { status?: string; kind?: string; limit?: string; before?: string } }>('/v1/workorders', {
    schema: {
      tags, summary: 'Work orders, newest first: your own, or every one for an operator',
      querystring: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: [...WORK_ORDER_STATUSES] }, kind: { type: 'string', enum: [...WORK_ORDER_KINDS] },
          limit: { type: 'string', pattern: '^[0-9]{1,3}$' }, before: { type: 'string', pattern: '^[0-9]{1,10}$' },
        },
      },
      response: errs,
    },
  }, async (req) => {
    const p = await auth.require(req);
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (limit < 1 || limit > 200) throw new ShulianError('BAD_REQUEST', 'limit must be between 1 and 200');
    const orders = store.listWorkOrders({
      limit,
      ...(isOperator(p) ? {} : { did: p.did }),
      ...(req.query.status !== undefined ? { status: req.query.status as WorkOrderStatus } : {}),
      ...(req.query.kind !== undefined ? { kind: req.query.kind as WorkOrder['kind'] } : {}),
      ...(req.query.before !== undefined ? { before: Number(req.query.before) } : {}),
    });
    return { workOrders: orders };
  });

  app.post('/v1/workorders', {
    schema: {
      tags, summary: 'File a work order (join, chain, quota, incident) to the operator; a DID without a console role may file one small join request',
      body: {
        type: 'object', required: ['kind', 'title', 'body'],
        properties: { kind: { type: 'string', enum: [...WORK_ORDER_KINDS] }, title: { type: 'string', maxLength: WORK_ORDER_LIMITS.title }, body: { type: 'string', maxLength: WORK_ORDER_LIMITS.body } },
      },
      response: { 201: orderSchema, ...errs },
    },
    validatorCompiler: noValidation,
    bodyLimit: 128 * 1024,
  }, async (req, reply) => {
    const p = await auth.require(req);
    const b = parseBody(workOrderBody, req.body, 'POST /v1/workorders');
    const guest = p.roles.length === 0;
    if (guest) {
      if (b.kind !== 'join') throw noRole(p, `file a "${b.kind}" work order`);
      const size = bytes(b.title) + bytes(b.body);
      if (size > auth.joinLimits.bytes) {
        throw new ShulianError('BAD_REQUEST', `POST /v1/workorders: a join request from a DID without a console role may hold at most ${auth.joinLimits.bytes} bytes of title and body; this one has ${size}: shorten it`);
      }
    }
    const now = auth.now();
    const order = store.createWorkOrder(
      { kind: b.kind, title: b.title, body: b.body, status: 'open', createdBy: p.did, createdAt: now, updatedAt: now, history: [] },
      auth.quotaOf(p.roles),
      { actor: p.did, action: 'workorder.create', details: { kind: b.kind, title: b.title, ...(guest ? { withoutRole: true, ip: req.ip } : {}) } },
      guest ? { ip: req.ip, limits: auth.joinLimits } : undefined,
    );
    return reply.status(201).send(order);
  });

  app.get<{ Params: { id: string } }>('/v1/workorders/:id', {
    schema: { tags, summary: 'A work order with its comments and status history', params: idParam, response: { 200: orderSchema, ...errs } },
  }, async (req) => {
    const p = await auth.require(req);
    const id = orderId(req.params.id);
    return visible(store.workOrder(id), p, id);
  });

  app.post<{ Params: { id: string } }>('/v1/workorders/:id/comments', {
    schema: {
      tags, summary: 'Comment on a work order (its author or an operator; without a role, only on one\'s own open join request)', params: idParam,
      body: { type: 'object', required: ['text'], properties: { text: { type: 'string', maxLength: WORK_ORDER_LIMITS.comment } } },
      response: { 201: orderSchema, ...errs },
    },
    validatorCompiler: noValidation,
    bodyLimit: 64 * 1024,
  }, async (req, reply) => {
    const p = await auth.require(req);
    const id = orderId(req.params.id);
    // Without a role, only on one's own join request while it is open.
    const mayComment = (o: StoredOrder): void => {
      visible(o, p, id);
      if (p.roles.length === 0 && (o.kind !== 'join' || (o.status !== 'open' && o.status !== 'in-progress'))) throw noRole(p, `comment on work order #${id} (${o.kind}, ${o.status})`);
    };
    const found = store.storedOrder(id);
    visible(found, p, id);
    mayComment(found!);
    const b = parseBody(commentBody, req.body, `POST /v1/workorders/${id}/comments`);
    const now = auth.now();
    const audit = { actor: p.did, action: 'workorder.comment', target: `workorder:${id}`, details: { length: b.text.length } };
    const order = store.addComment(id, { by: p.did, at: now, text: b.text }, audit, auth.quotaOf(p.roles), mayComment);
    return reply.status(201).send(order);
  });

  app.post<{ Params: { id: string } }>('/v1/workorders/:id/status', {
    schema: {
      tags, summary: 'Move a work order to open, in-progress, resolved or rejected (operators)', params: idParam,
      body: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: [...WORK_ORDER_STATUSES] }, note: { type: 'string' } } },
      response: { 200: orderSchema, ...errs },
    },
    validatorCompiler: noValidation,
    bodyLimit: 16 * 1024,
  }, async (req) => {
    const p = await auth.require(req);
    const id = orderId(req.params.id);
    visible(store.storedOrder(id), p, id);
    if (!isOperator(p)) throw new ShulianError('FORBIDDEN', `only an operator may change a work order's status; ${p.did} has ${p.roles.join(', ') || 'no roles'}`);
    const b = parseBody(statusBody, req.body, `POST /v1/workorders/${id}/status`);
    const now = auth.now();
    const current = store.storedOrder(id)!;
    return store.updateWorkOrder(id, now, {
      actor: p.did, action: 'workorder.status', target: `workorder:${id}`, details: { from: current.status, to: b.status },
    }, { did: p.did, quota: auth.quotaOf(p.roles), bytes: b.note === undefined ? 0 : bytes(b.note) }, (o) => {
      if (o.status === b.status) throw new ShulianError('CONFLICT', `work order #${id} is ${o.status} already`);
      const change = { by: p.did, at: now, from: o.status, to: b.status, ...(b.note !== undefined ? { note: b.note } : {}) };
      return { ...o, status: b.status, updatedAt: now, history: [...o.history, change] };
    });
  });
}
