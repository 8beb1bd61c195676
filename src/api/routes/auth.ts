/**
 * Console sign-in with a DID (issue #8; the message and challenges per issue #13):
 *   POST /v1/auth/challenge {did, origin}                       → {challenge: {node, did, origin, nonce, expiresAt, mac}, expiresAt}
 *   POST /v1/auth/login {did, challenge, signature, publicKey}  → {token, did, roles, expiresAt}
 *   GET  /v1/auth/me                                            → {did, roles, via, expiresAt, keyId?}
 *   POST /v1/auth/logout                                        → {loggedOut: true}
 *
 * The client builds the framed sign-in message from the challenge's fields itself
 * (src/sdk/console-signin.ts: a fixed prefix, this node's DID, the DID, the origin, a nonce, the
 * expiry) and signs its hash, never bytes the node chose. Challenges are stateless (an HMAC over
 * the message with the node's secret, src/api/signin-challenges.ts); the nonce of a successful
 * sign-in is remembered until expiry so a challenge signs in once. The key must be able to sign
 * for the DID by the rule transactions follow (the DID document's current authentication or
 * capability-invocation keys, else the self-certifying key), and a session lasts only while it
 * still can: a rotated-out key or a deactivated DID ends it (401 SESSION_KEY_REVOKED /
 * SESSION_DID_DEACTIVATED, issue #27). The answer is an opaque bearer token whose SM3 hash alone
 * is stored. API keys created by an operator (src/api/routes/admin.ts) are bearer tokens too.
 *
 * Roles come from the governance chain (operator: the founding operator, members holding the
 * operator role and validators of the governance chain; member: member organisations and the
 * controllers of their DID documents; regulator: registered regulators and members with that
 * role), plus roles an operator granted in the console.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from '../../codec/schemas.ts';
import { ShulianError, fromHex, toHex, PUBKEY_HEX_RE, DID_RE } from '../../codec/index.ts';
import { didFromPublicKey, sm3, type Suite } from '../../crypto/index.ts';
import { authorizeSenderSync } from '../../did/index.ts';
import { readMembers, readMeta, readRegulators } from '../../governance/index.ts';
import { readDidDocState } from '../../modules/did/types.ts';
import { docStateKey } from '../../modules/did/keys.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import { signInShapeError, verifySignIn, type SignInChallenge } from '../../sdk/index.ts';
import {
  CONSOLE_ROLES, ConsoleStore, JOIN_LIMITS, ROLE_QUOTAS, quotaFor, type ConsoleRole, type JoinLimits, type RoleQuota, type SessionRecord,
} from '../console-store.ts';
import { errorSchema } from '../schemas.ts';
import { SIGNIN_SECRET_FILE, SignInChallenges, loadSignInSecret } from '../signin-challenges.ts';
import type { ApiSite } from '../site.ts';

export interface ConsoleOptions {
  /** The node's data dir: the console store is `<dataDir>/console.lmdb`. Without it (or `store`) no console routes are served. */
  dataDir?: string;
  /** An open store to use instead (the caller closes it). */
  store?: ConsoleStore;
  /** Clock (ms), for expiry checks; default Date.now. */
  now?: () => number;
  /** Lifetime of a sign-in token (default 12 h). */
  sessionTtlMs?: number;
  /** Lifetime of a challenge (default 5 min). */
  challengeTtlMs?: number;
  /** Most sign-ins remembered (to keep challenges single-use) within one challenge lifetime (default 100 000). */
  maxUsedChallenges?: number;
  /** Work-order quotas by role, over console-store.ts ROLE_QUOTAS. */
  quotas?: Partial<Record<ConsoleRole | 'none', RoleQuota>>;
  /** Join requests from DIDs holding no role: open at once in all and per client address, bytes per DID (default 200, 5, 8 KiB). */
  joinRequests?: Partial<JoinLimits>;
  /** Most sessions of DIDs holding no role, kept in memory only; the oldest goes first (default 10 000). */
  maxGuestSessions?: number;
  /** Origins (scheme://host:port) sign-ins may name besides the node's public URL. */
  origins?: string[];
  /** DIDs that are console operators whatever the governance chain says: for a node that does not host it. */
  operators?: string[];
  /** Failed sign-ins allowed per DID from one client address, and per address, in `windowMs` before refusing (default 5, 20, 15 min). */
  loginFailures?: { perDid?: number; perAddress?: number; windowMs?: number };
}

export type AuthVia = 'session' | 'apikey';

/** Who is calling, from the bearer token. */
export interface Principal {
  did: string;
  roles: ConsoleRole[];
  via: AuthVia;
  expiresAt: number;
  /** The API key's id, when the bearer is an API key. */
  keyId?: string;
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
const SESSION_PREFIX = 'shs_';
export const API_KEY_PREFIX = 'shk_';

const hexKey = z.string().regex(PUBKEY_HEX_RE, 'a public key as lowercase hex: 65 bytes 04‖X‖Y for SM2, 32 bytes for Ed25519');
export const didSchema = z.string().max(64).regex(DID_RE, 'a DID such as did:shulian:<base58 id>');
const originSchema = z.string().max(300).regex(/^https?:\/\/[^/?#\s]+$/, 'the origin the client talks to, scheme://host[:port], such as https://node.example');
export const challengeBody = z.strictObject({ did: didSchema, origin: originSchema });
export const loginBody = z.strictObject({
  did: didSchema,
  challenge: z.unknown().transform((c, ctx): SignInChallenge => {
    const why = signInShapeError(c);
    if (why) ctx.addIssue({ code: 'custom', message: `${why}; send the challenge object exactly as POST /v1/auth/challenge returned it` });
    return c as SignInChallenge;
  }),
  signature: z.string().regex(/^[0-9a-f]{128}$/, 'a 64-byte signature (r‖s) as 128 lowercase hex digits'),
  publicKey: hexKey,
});

/** Parses a request body with a zod schema; a mismatch is BAD_REQUEST naming the field and what it must be. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length > 0 ? issue.path.join('.') : 'body';
  const detail = body === undefined || body === null ? 'the body is missing; send a JSON object' : `${at}: ${issue.message}`;
  throw new ShulianError('BAD_REQUEST', `${what}: ${detail}`);
}

export function tokenHash(token: string): string {
  return toHex(sm3(new TextEncoder().encode(token)));
}

interface Failures {
  count: number;
  resetAt: number;
}

const NO_SITE: ApiSite = { publicUrl: () => undefined, signInOrigins: () => [] };

/** Sign-in, bearer checks and roles for the console routes. One per API instance. */
export class ConsoleAuth {
  readonly now: () => number;
  readonly sessionTtlMs: number;
  readonly challengeTtlMs: number;
  private readonly operators: ReadonlySet<string>;
  private readonly failuresPerDid: number;
  private readonly failuresPerAddress: number;
  private readonly failureWindowMs: number;
  private readonly challenges: SignInChallenges;
  private readonly extraOrigins: readonly string[];
  private readonly failures = new Map<string, Failures>();
  /** Sessions of DIDs that held no role at sign-in: in memory, bounded, never in the store. */
  private readonly guests = new Map<string, SessionRecord>();
  private readonly maxGuests: number;
  private readonly quotas: Readonly<Record<ConsoleRole | 'none', RoleQuota>>;
  /** Bounds on join requests from DIDs holding no role. */
  readonly joinLimits: Readonly<JoinLimits>;
  private roles: { at: string; index: Promise<Map<string, Set<ConsoleRole>>> } | undefined;

  constructor(readonly node: NodeView, readonly store: ConsoleStore, opts: ConsoleOptions = {}, private readonly site: ApiSite = NO_SITE) {
    this.now = opts.now ?? Date.now;
    this.sessionTtlMs = opts.sessionTtlMs ?? SESSION_TTL_MS;
    this.challengeTtlMs = opts.challengeTtlMs ?? CHALLENGE_TTL_MS;
    this.operators = new Set(opts.operators ?? []);
    this.failuresPerDid = opts.loginFailures?.perDid ?? 5;
    this.failuresPerAddress = opts.loginFailures?.perAddress ?? 20;
    this.failureWindowMs = opts.loginFailures?.windowMs ?? 15 * 60 * 1000;
    this.maxGuests = opts.maxGuestSessions ?? 10_000;
    this.quotas = { ...ROLE_QUOTAS, ...opts.quotas };
    this.joinLimits = { ...JOIN_LIMITS, ...opts.joinRequests };
    for (const [k, v] of Object.entries(this.joinLimits)) {
      if (!Number.isInteger(v) || v < 0) throw new ShulianError('BAD_OPTIONS', `console joinRequests.${k} must be a whole number ≥ 0, not ${String(v)}`);
    }
    this.extraOrigins = (opts.origins ?? []).map((o) => new URL(o).origin);
    const secret = opts.dataDir ? loadSignInSecret(join(opts.dataDir, SIGNIN_SECRET_FILE)) : randomBytes(32);
    this.challenges = new SignInChallenges({ secret, ttlMs: this.challengeTtlMs, maxUsed: opts.maxUsedChallenges ?? 100_000 });
  }

  // ---- challenges ----

  /** Origins a sign-in may name: the public URL's, the listen port's loopback names, and the configured ones. */
  acceptedOrigins(): string[] {
    return [...new Set([...this.site.signInOrigins(), ...this.extraOrigins])];
  }

  /** A stateless challenge for `did` at `origin`: nothing is stored, so a flood of them fills nothing. */
  issueChallenge(did: string, origin: string): { challenge: SignInChallenge; expiresAt: number } {
    const accepted = this.acceptedOrigins();
    let normal: string;
    try {
      normal = new URL(origin).origin;
    } catch {
      throw new ShulianError('BAD_REQUEST', `origin ${JSON.stringify(origin.slice(0, 80))} is not a URL origin such as https://node.example`);
    }
    if (normal !== origin || !accepted.includes(origin)) {
      throw new ShulianError('SIGNIN_ORIGIN_REFUSED', `this node takes sign-ins at ${accepted.join(', ') || 'no origin yet'}, not ${origin.slice(0, 120)}; if it is reached at another address, its operator sets the public URL (shulian up --public-url) or adds the origin`);
    }
    const challenge = this.challenges.issue({ node: this.node.did, did, origin }, this.now());
    return { challenge, expiresAt: challenge.expiresAt };
  }

  // ---- failed sign-ins ----

  private limited(key: string, max: number, now: number): number | undefined {
    const f = this.failures.get(key);
    if (!f || f.resetAt <= now) return undefined;
    return f.count >= max ? f.resetAt : undefined;
  }

  private fail(keys: string[], now: number): void {
    if (this.failures.size > 50_000) for (const [k, f] of this.failures) if (f.resetAt <= now) this.failures.delete(k);
    for (const key of keys) {
      const f = this.failures.get(key);
      if (!f || f.resetAt <= now) this.failures.set(key, { count: 1, resetAt: now + this.failureWindowMs });
      else f.count++;
    }
  }

  // ---- login ----

  /** Checks a signed challenge and opens a session. Throws NOT_AUTHORISED (401) saying why, or RATE_LIMITED. */
  async login(body: z.infer<typeof loginBody>, ip: string): Promise<{ token: string; did: string; roles: ConsoleRole[]; expiresAt: number }> {
    const now = this.now();
    // Counted per (DID, address) and per address: a stranger elsewhere cannot lock a DID out.
    const keys = [`did:${body.did}|${ip}`, `ip:${ip}`];
    const until = this.limited(keys[0]!, this.failuresPerDid, now) ?? this.limited(keys[1]!, this.failuresPerAddress, now);
    if (until !== undefined) {
      throw new ShulianError('RATE_LIMITED', `too many failed sign-ins from this address${this.limited(keys[0]!, this.failuresPerDid, now) !== undefined ? ` for ${body.did}` : ''}; try again in ${Math.ceil((until - now) / 1000)} s`);
    }
    const refuse = (why: string): never => {
      this.fail(keys, now);
      this.store.record(now, { actor: body.did, action: 'auth.login-refused', details: { reason: why, ip } });
      throw new ShulianError('NOT_AUTHORISED', `sign-in refused: ${why}`);
    };
    const c = body.challenge;
    const again = 'ask POST /v1/auth/challenge for a new one';
    if (!this.challenges.authentic(c)) refuse(`the challenge was not issued by this node, or was changed (its MAC does not verify); ${again}`);
    if (c.node !== this.node.did) refuse(`the challenge names the node ${c.node}, not this node ${this.node.did}`);
    if (c.did !== body.did) refuse(`the challenge was issued for ${c.did}, not ${body.did}`);
    if (c.expiresAt <= now) refuse(`the challenge expired; ${again} and sign it within ${Math.round(this.challengeTtlMs / 1000)} s`);
    if (!this.acceptedOrigins().includes(c.origin)) refuse(`the challenge names the origin ${c.origin}, where this node no longer takes sign-ins`);
    if (this.challenges.spent(c.nonce)) refuse(`the challenge was used already; ${again}`);
    const pub = fromHex(body.publicKey);
    const suite: Suite = pub.length === 65 ? 'sm2' : 'ed25519';
    const authz = this.keyAuthorised(body.did, body.publicKey);
    if (!authz.ok) return refuse(authz.message);
    if (!verifySignIn(suite, pub, c, fromHex(body.signature))) {
      refuse(`the signature does not verify over the sign-in message with this ${suite === 'sm2' ? 'SM2' : 'Ed25519'} key; sign the ${suite === 'sm2' ? 'SM3' : 'SHA-256'} hash of the message built from the challenge's fields (docs/api.md "Sign-in message")`);
    }
    this.challenges.spend(c.nonce, c.expiresAt, now);
    const roles = await this.rolesOf(body.did);
    const token = SESSION_PREFIX + toHex(randomBytes(32));
    const expiresAt = now + this.sessionTtlMs;
    const rec: SessionRecord = { did: body.did, createdAt: now, expiresAt, suite, publicKey: body.publicKey };
    if (roles.length > 0) {
      this.store.createSession(tokenHash(token), rec, { actor: body.did, action: 'auth.login', details: { suite, ip, via: authz.via } });
    } else {
      this.keepGuest(tokenHash(token), rec, now);
    }
    return { token, did: body.did, roles, expiresAt };
  }

  /** A role-less DID's session: kept in memory, the oldest dropped when full (so outsiders fill nothing on disk). */
  private keepGuest(hash: string, s: SessionRecord, now: number): void {
    if (this.guests.size >= this.maxGuests) for (const [h, g] of this.guests) if (g.expiresAt <= now) this.guests.delete(h);
    while (this.guests.size >= this.maxGuests) this.guests.delete(this.guests.keys().next().value!);
    this.guests.set(hash, s);
  }

  /** The work-order quota of a DID with these roles (the largest of its roles'); a DID with none may keep one join request open. */
  quotaOf(roles: readonly ConsoleRole[]): RoleQuota {
    if (roles.length === 0) return { openOrders: 1, bytes: this.joinLimits.bytes };
    return quotaFor(roles, this.quotas);
  }

  /** Sessions held in memory for DIDs without a role. */
  guestSessions(): number {
    return this.guests.size;
  }

  /** May `pubkeyHex` sign for `did`: the identity chain's document when there is one, else the self-certifying rule. */
  private keyAuthorised(did: string, pubkeyHex: string): { ok: true; via: string } | { ok: false; code: string; message: string } {
    const identity = this.node.chains().find((c) => c.genesis.modules.includes('did'));
    if (identity) {
      const r = authorizeSenderSync(identity, did, pubkeyHex);
      return r.ok ? { ok: true, via: r.via } : { ok: false, code: r.code, message: `the key may not sign for ${did}: ${r.message} (${r.code})` };
    }
    return didFromPublicKey(fromHex(pubkeyHex)) === did
      ? { ok: true, via: 'self-certifying' }
      : { ok: false, code: 'DID_KEY_NOT_AUTHORIZED', message: `the key is not ${did}'s self-certifying key (this node has no identity chain to look up a DID document)` };
  }

  // ---- bearer tokens ----

  /** The caller, from `Authorization: Bearer <token>`; NOT_AUTHORISED when missing, unknown, expired or revoked. */
  async authenticate(req: FastifyRequest): Promise<Principal> {
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !/^Bearer\s+\S+$/i.test(h.trim())) {
      throw new ShulianError('NOT_AUTHORISED', 'sign in first: send Authorization: Bearer <token> (POST /v1/auth/login) or an API key');
    }
    const token = h.trim().split(/\s+/)[1]!;
    if (token.length > 256) throw new ShulianError('NOT_AUTHORISED', 'the bearer token is not one this node issued');
    const hash = tokenHash(token);
    const now = this.now();
    const s = this.store.session(hash) ?? this.guests.get(hash);
    if (s) {
      if (s.expiresAt <= now) throw new ShulianError('NOT_AUTHORISED', 'the sign-in expired; sign in again');
      // A session lasts only while its key may still sign for the DID (issue #27 item 3).
      if (s.publicKey === undefined) throw new ShulianError('SESSION_KEY_REVOKED', 'this session was opened before sessions were bound to their key; sign in again');
      const k = this.keyAuthorised(s.did, s.publicKey);
      if (!k.ok) {
        if (k.code === 'DID_DEACTIVATED') throw new ShulianError('SESSION_DID_DEACTIVATED', `the session ended: ${s.did} was deactivated on the identity chain`);
        throw new ShulianError('SESSION_KEY_REVOKED', `the session ended: the key it was opened with no longer signs for ${s.did} (${k.message}); sign in with a current key`);
      }
      return { did: s.did, roles: await this.rolesOf(s.did), via: 'session', expiresAt: s.expiresAt };
    }
    const k = this.store.apiKeyByHash(hash);
    if (k) {
      if (k.revokedAt !== undefined) throw new ShulianError('NOT_AUTHORISED', `API key ${k.id} was revoked`);
      if (k.expiresAt <= now) throw new ShulianError('NOT_AUTHORISED', `API key ${k.id} expired; an operator can create a new one`);
      if (!(await this.rolesOf(k.did)).includes('operator')) {
        throw new ShulianError('NOT_AUTHORISED', `API key ${k.id} was created by ${k.did}, who is no longer an operator; an operator can create a new one`);
      }
      return { did: k.did, roles: k.roles, via: 'apikey', expiresAt: k.expiresAt, keyId: k.id };
    }
    throw new ShulianError('NOT_AUTHORISED', 'the bearer token is unknown: it was never issued, or the session was logged out; sign in again');
  }

  /** The caller, who must hold one of `roles` (none given: any signed-in caller). */
  async require(req: FastifyRequest, ...roles: ConsoleRole[]): Promise<Principal> {
    const p = await this.authenticate(req);
    if (roles.length > 0 && !roles.some((r) => p.roles.includes(r))) {
      throw new ShulianError('FORBIDDEN', `${p.did} lacks the role for this: it needs ${roles.join(' or ')} and has ${p.roles.length > 0 ? p.roles.join(', ') : 'none'}`);
    }
    return p;
  }

  logout(token: string, did: string): boolean {
    const hash = tokenHash(token);
    if (this.guests.delete(hash)) return true;
    return this.store.deleteSession(hash, this.now(), { actor: did, action: 'auth.logout', details: {} });
  }

  // ---- roles ----

  private gov(): ChainView | undefined {
    return this.node.chains().find((c) => c.genesis.modules.includes('governance'));
  }

  /**
   * Who holds which role by the governance chain, read once per (governance height, identity
   * height): the founding operator, members with their roles, governance validators, regulators,
   * and the controllers of member organisations' DID documents (their admins).
   */
  private roleIndex(): Promise<Map<string, Set<ConsoleRole>>> {
    const gov = this.gov();
    if (!gov) return Promise.resolve(new Map());
    const identity = this.node.chains().find((c) => c.genesis.modules.includes('did'));
    const at = `${gov.id}@${gov.height()}/${identity ? `${identity.id}@${identity.height()}` : '-'}`;
    if (this.roles?.at === at) return this.roles.index;
    const index = (async () => {
      const height = gov.height();
      const [meta, members, regulators] = await Promise.all([readMeta(gov, { height }), readMembers(gov, { height }), readRegulators(gov, { height })]);
      const out = new Map<string, Set<ConsoleRole>>();
      const add = (did: string, role: ConsoleRole) => {
        let set = out.get(did);
        if (!set) out.set(did, (set = new Set()));
        set.add(role);
      };
      if (meta) add(meta.operator, 'operator');
      for (const v of gov.info().validators) add(v.did, 'operator');
      for (const m of members) {
        add(m.did, 'member');
        if (m.roles.includes('operator')) add(m.did, 'operator');
        if (m.roles.includes('regulator')) add(m.did, 'regulator');
        const doc = identity ? readDidDocState(identity.getState(docStateKey(m.did)).value) : undefined;
        if (doc && !doc.deactivated) for (const c of doc.controllers) add(c, 'member');
      }
      for (const r of regulators) add(r.did, 'regulator');
      return out;
    })();
    this.roles = { at, index };
    index.catch(() => {
      if (this.roles?.index === index) this.roles = undefined;
    });
    return index;
  }

  /** Roles the governance chain gives `did`. */
  async governanceRoles(did: string): Promise<ConsoleRole[]> {
    const set = (await this.roleIndex()).get(did);
    return set ? CONSOLE_ROLES.filter((r) => set.has(r)) : [];
  }

  /** Governance roles plus roles granted in the console. */
  async rolesOf(did: string): Promise<ConsoleRole[]> {
    const fromGov = await this.governanceRoles(did);
    const granted = this.store.user(did)?.grantedRoles ?? [];
    return CONSOLE_ROLES.filter((r) => fromGov.includes(r) || granted.includes(r) || (r === 'operator' && this.operators.has(did)));
  }
}

const principalSchema = {
  type: 'object',
  properties: {
    did: { type: 'string' }, roles: { type: 'array', items: { type: 'string', enum: [...CONSOLE_ROLES] } },
    via: { type: 'string', enum: ['session', 'apikey'] }, expiresAt: { type: 'integer' }, keyId: { type: 'string' },
  },
} as const;

/** Registers /v1/auth/*. Bodies are checked with zod (the OpenAPI schemas document them). */
export function registerAuthRoutes(app: FastifyInstance, auth: ConsoleAuth): void {
  const tags = ['console'];
  const errs = { 400: errorSchema, 401: errorSchema, 429: errorSchema };
  const noValidation = () => () => true;

  app.post('/v1/auth/challenge', {
    schema: {
      tags, summary: 'A single-use sign-in challenge for a DID at an origin (expires in 5 minutes); the client signs the message it builds from the fields',
      body: { type: 'object', properties: { did: { type: 'string' }, origin: { type: 'string' } }, required: ['did', 'origin'] },
      response: {
        200: {
          type: 'object',
          properties: {
            challenge: {
              type: 'object',
              properties: { node: { type: 'string' }, did: { type: 'string' }, origin: { type: 'string' }, nonce: { type: 'string' }, expiresAt: { type: 'integer' }, mac: { type: 'string' } },
            },
            expiresAt: { type: 'integer' },
          },
        },
        ...errs,
      },
    },
    validatorCompiler: noValidation,
    bodyLimit: 4096,
  }, async (req) => {
    const { did, origin } = parseBody(challengeBody, req.body, 'POST /v1/auth/challenge');
    return auth.issueChallenge(did, origin);
  });

  app.post('/v1/auth/login', {
    schema: {
      tags, summary: 'Sign in: the challenge signed by a key of the DID; returns a bearer token (12 h)',
      body: {
        type: 'object', required: ['did', 'challenge', 'signature', 'publicKey'],
        properties: {
          did: { type: 'string' }, challenge: { type: 'object', description: 'the challenge object as POST /v1/auth/challenge returned it' },
          signature: { type: 'string', description: '64 bytes r‖s, hex, over the hash of the sign-in message built from the challenge (SM2 with SM3 and the default user ID, or Ed25519 over SHA-256); docs/api.md' },
          publicKey: { type: 'string', description: 'hex: 65 bytes SM2 (04‖X‖Y) or 32 bytes Ed25519' },
        },
      },
      response: {
        200: { type: 'object', properties: { token: { type: 'string' }, did: { type: 'string' }, roles: principalSchema.properties.roles, expiresAt: { type: 'integer' } } },
        ...errs,
      },
    },
    validatorCompiler: noValidation,
    bodyLimit: 4096,
  }, async (req) => {
    const body = parseBody(loginBody, req.body, 'POST /v1/auth/login');
    return auth.login(body, req.ip);
  });

  app.get('/v1/auth/me', {
    schema: { tags, summary: 'Who the bearer token belongs to, with current roles', response: { 200: principalSchema, 401: errorSchema } },
  }, async (req) => auth.authenticate(req));

  app.post('/v1/auth/logout', {
    schema: { tags, summary: 'Ends the session of the bearer token', response: { 200: { type: 'object', properties: { loggedOut: { type: 'boolean' } } }, 401: errorSchema } },
    validatorCompiler: noValidation,
    bodyLimit: 1024,
  }, async (req) => {
    const p = await auth.authenticate(req);
    if (p.via !== 'session') throw new ShulianError('BAD_REQUEST', `an API key cannot log out; an operator deletes it with DELETE /v1/admin/apikeys/${p.keyId}`);
    auth.logout(req.headers.authorization!.trim().split(/\s+/)[1]!, p.did);
    return { loggedOut: true };
  });
}
