/**
 * Request budgets per client address and route class (issue #13 follow-up), each its own
 * fixed one-minute window (@fastify/rate-limit):
 * - `auth`: sign-in challenges and logins, which an outsider sends and which cost a signature check;
 * - `writes`: everything that changes something — transactions (up to 1,000 per request), work
 *   orders, admin, credential issuing;
 * - `reads`: the rest — GETs, the stream, and POSTs that only compute an answer (JSON-RPC reads,
 *   contract compile / render / scenario runs, credential verification), whose CPU is bounded
 *   on top of this by their worker pools.
 * Past a budget the answer is 429 RATE_LIMITED naming the class and when to retry.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, onRequestAsyncHookHandler, RouteOptions } from 'fastify';
import { ShulianError } from '../codec/index.ts';

export const ROUTE_CLASSES = ['reads', 'writes', 'auth'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

/** Requests per minute per client address, by route class. */
export type RateLimits = Record<RouteClass, number>;

export const RATE_LIMIT_DEFAULTS: Readonly<RateLimits> = { reads: 30_000, writes: 3_000, auth: 300 };

const AUTH_ROUTES = new Set(['/v1/auth/challenge', '/v1/auth/login']);
/** POSTs that change nothing: they compute an answer from what is sent. */
const READ_POSTS = [
  /^\/v1\/chains\/:chain\/eth$/, /^\/v1\/contracts\/compile$/, /^\/v1\/contracts\/render\/pdf$/, /^\/v1\/contracts\/templates\/:name\/test$/,
  /\/credentials\/verify$/, /\/presentations\/verify$/, /^\/v1\/data\/grants\/:id\/decide$/,
];

/** The class of a route, by its method and URL pattern. */
export function routeClass(method: string | string[], url: string): RouteClass {
  if (AUTH_ROUTES.has(url)) return 'auth';
  const methods = (Array.isArray(method) ? method : [method]).map((m) => m.toUpperCase());
  if (methods.every((m) => m === 'GET' || m === 'HEAD' || m === 'OPTIONS')) return 'reads';
  return READ_POSTS.some((re) => re.test(url)) ? 'reads' : 'writes';
}

/** The budgets: `limits` per class over `every` (one budget for all classes) over the defaults. */
export function rateLimitsOf(limits: Partial<RateLimits> | undefined, every: number | undefined): RateLimits {
  const out = { ...RATE_LIMIT_DEFAULTS };
  for (const c of ROUTE_CLASSES) {
    const v = limits?.[c] ?? every ?? RATE_LIMIT_DEFAULTS[c];
    if (!Number.isInteger(v) || v < 1) throw new ShulianError('CONFIG_INVALID', `the ${c} rate limit must be a whole number of requests per minute ≥ 1, not ${String(v)}`);
    out[c] = v;
  }
  return out;
}

/**
 * Registers the budgets on `app`: every route registered after this counts against its class's
 * budget, and so do requests for routes that do not exist (against `reads`).
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits): Promise<Record<RouteClass, onRequestAsyncHookHandler>> {
  await app.register(rateLimit, { global: false, timeWindow: 60_000 });
  const limiter = (cls: RouteClass) => app.rateLimit({
    max: limits[cls],
    timeWindow: 60_000,
    // Counters for this many addresses per class; the least recently seen are forgotten first.
    cache: 20_000,
    errorResponseBuilder: (_req, ctx) => {
      const err = new ShulianError('RATE_LIMITED', `too many ${cls === 'auth' ? 'sign-in' : cls === 'reads' ? 'read' : 'write'} requests from this address: at most ${ctx.max} per minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`);
      (err as ShulianError & { statusCode: number }).statusCode = 429;
      return err;
    },
  }) as unknown as onRequestAsyncHookHandler;
  const hooks: Record<RouteClass, onRequestAsyncHookHandler> = { reads: limiter('reads'), writes: limiter('writes'), auth: limiter('auth') };
  app.addHook('onRoute', (route: RouteOptions) => {
    const hook = hooks[routeClass(route.method, route.url)];
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [hook, ...existing] as RouteOptions['onRequest'];
  });
  return hooks;
}
