/**
 * Console administration (issue #8):
 *   GET    /v1/admin/users                        DIDs that signed in (or were granted roles), with their roles
 *   POST   /v1/admin/users/:did/roles {roles}     set the roles an operator grants (operators)
 *   GET    /v1/admin/apikeys                      API keys, without secrets (operators)
 *   POST   /v1/admin/apikeys {name, roles, expiresAt?}  → 201 with the secret, shown this once (operators)
 *   DELETE /v1/admin/apikeys/:id                  revoke (operators)
 *   GET    /v1/admin/audit?limit&before           the audit log, newest first (operators, auditors, regulators)
 *   GET    /v1/admin/audit/verify                 walks the hash chain of the log
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from '../../codec/schemas.ts';
import { ShulianError, toHex } from '../../codec/index.ts';
import { CONSOLE_ROLES, type ApiKeyRecord, type PublicApiKey } from '../console-store.ts';
import { errorSchema } from '../schemas.ts';
import { API_KEY_PREFIX, didSchema, parseBody, tokenHash, type ConsoleAuth } from './auth.ts';

const MAX_KEY_LIFETIME_MS = 366 * 24 * 60 * 60 * 1000;
const DEFAULT_KEY_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

const rolesSchema = z.array(z.enum(CONSOLE_ROLES, `roles are ${CONSOLE_ROLES.join(', ')}`)).max(CONSOLE_ROLES.length)
  .refine((r) => new Set(r).size === r.length, 'roles may not repeat');
export const rolesBody = z.strictObject({ roles: rolesSchema });
export const apiKeyBody = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[^\u0000-\u001f\u007f]+$/, 'name may not contain control characters'),
  roles: rolesSchema.refine((r) => r.length > 0, 'an API key needs at least one role'),
  expiresAt: z.number().int().positive().optional(),
});

const AUDIT_READERS = ['operator', 'auditor', 'regulator'] as const;

export function registerAdminRoutes(app: FastifyInstance, auth: ConsoleAuth): void {
  const { store } = auth;
  const tags = ['console'];
  const errs = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
  const noValidation = () => () => true;

  app.get('/v1/admin/users', {
    schema: { tags, summary: 'Console users: DIDs that signed in or were granted roles, with their current roles (operators)', response: errs },
  }, async (req) => {
    await auth.require(req, 'operator');
    const users = store.listUsers(1000);
    return {
      users: await Promise.all(users.map(async (u) => ({
        did: u.did, firstLogin: u.firstLogin, lastLogin: u.lastLogin, logins: u.logins,
        grantedRoles: u.grantedRoles, governanceRoles: await auth.governanceRoles(u.did), roles: await auth.rolesOf(u.did),
      }))),
    };
  });

  app.post<{ Params: { did: string } }>('/v1/admin/users/:did/roles', {
    schema: {
      tags, summary: 'Set the roles granted to a DID in the console, besides those governance gives (operators)',
      params: { type: 'object', properties: { did: { type: 'string' } }, required: ['did'] },
      body: { type: 'object', required: ['roles'], properties: { roles: { type: 'array', items: { type: 'string', enum: [...CONSOLE_ROLES] } } } },
      response: errs,
    },
    validatorCompiler: noValidation,
    bodyLimit: 4096,
  }, async (req) => {
    const p = await auth.require(req, 'operator');
    const did = parseBody(didSchema, req.params.did, 'POST /v1/admin/users/:did/roles: the DID in the path');
    const { roles } = parseBody(rolesBody, req.body, `POST /v1/admin/users/${did}/roles`);
    const before = store.user(did)?.grantedRoles ?? [];
    const u = store.setGrantedRoles(did, roles, auth.now(), { actor: p.did, action: 'admin.roles', target: did, details: { from: before, to: roles } });
    return { did, grantedRoles: u.grantedRoles, roles: await auth.rolesOf(did) };
  });

  app.get('/v1/admin/apikeys', {
    schema: { tags, summary: 'API keys (never their secrets) (operators)', response: errs },
  }, async (req) => {
    await auth.require(req, 'operator');
    return { apiKeys: store.listApiKeys() };
  });

  app.post('/v1/admin/apikeys', {
    schema: {
      tags, summary: 'Create an API key; the answer holds its secret, shown only this once (operators)',
      body: {
        type: 'object', required: ['name', 'roles'],
        properties: { name: { type: 'string' }, roles: { type: 'array', items: { type: 'string', enum: [...CONSOLE_ROLES] } }, expiresAt: { type: 'integer', description: 'ms since 1970; default 90 days, at most a year' } },
      },
      response: { 201: { type: 'object', additionalProperties: true }, ...errs },
    },
    validatorCompiler: noValidation,
    bodyLimit: 4096,
  }, async (req, reply) => {
    const p = await auth.require(req, 'operator');
    if (p.via !== 'session') throw new ShulianError('FORBIDDEN', 'API keys are created by an operator signed in with a DID, not by another API key');
    const b = parseBody(apiKeyBody, req.body, 'POST /v1/admin/apikeys');
    const now = auth.now();
    const expiresAt = b.expiresAt ?? now + DEFAULT_KEY_LIFETIME_MS;
    if (expiresAt <= now) throw new ShulianError('BAD_REQUEST', 'POST /v1/admin/apikeys: expiresAt is in the past');
    if (expiresAt > now + MAX_KEY_LIFETIME_MS) throw new ShulianError('BAD_REQUEST', 'POST /v1/admin/apikeys: expiresAt may be at most a year ahead');
    const id = toHex(randomBytes(8));
    const secret = `${API_KEY_PREFIX}${id}_${toHex(randomBytes(32))}`;
    const rec: ApiKeyRecord = { id, name: b.name, roles: b.roles, did: p.did, createdAt: now, expiresAt, hash: tokenHash(secret) };
    store.createApiKey(rec, { actor: p.did, action: 'admin.apikey-create', target: `apikey:${id}`, details: { name: b.name, roles: b.roles, expiresAt } });
    const { hash: _hash, ...pub } = rec;
    const out: PublicApiKey & { secret: string } = { ...pub, secret };
    return reply.status(201).send(out);
  });

  app.delete<{ Params: { id: string } }>('/v1/admin/apikeys/:id', {
    schema: { tags, summary: 'Revoke an API key (operators)', params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, response: errs },
  }, async (req) => {
    const p = await auth.require(req, 'operator');
    const id = req.params.id;
    if (!/^[0-9a-f]{16}$/.test(id)) throw new ShulianError('BAD_REQUEST', `"${id.slice(0, 40)}" is not an API key id (16 hex digits)`);
    const rec = store.revokeApiKey(id, auth.now(), { actor: p.did, action: 'admin.apikey-revoke', target: `apikey:${id}`, details: { name: store.apiKey(id)?.name ?? '' } });
    const { hash: _hash, ...pub } = rec;
    return pub;
  });

  app.get<{ Querystring: { limit?: string; before?: string } }>('/v1/admin/audit', {
    schema: {
      tags, summary: 'The audit log of console actions, newest first (operators, auditors, regulators)',
      querystring: { type: 'object', properties: { limit: { type: 'string', pattern: '^[0-9]{1,3}$' }, before: { type: 'string', pattern: '^[0-9]{1,12}$' } } },
      response: errs,
    },
  }, async (req) => {
    await auth.require(req, ...AUDIT_READERS);
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (limit < 1 || limit > 500) throw new ShulianError('BAD_REQUEST', 'limit must be between 1 and 500');
    const entries = store.auditEntries({ limit, ...(req.query.before !== undefined ? { before: Number(req.query.before) } : {}) });
    return { entries, total: store.auditCount() };
  });

  app.get('/v1/admin/audit/verify', {
    schema: { tags, summary: 'Checks the audit log: each entry hashed with SM3 and linked to the one before', response: errs },
  }, async (req) => {
    await auth.require(req, ...AUDIT_READERS);
    return store.verifyAudit();
  });
}
