import { z } from '../../codec/schemas.ts';
import { canonicalize, toHex, type JsonValue } from '../../codec/index.ts';
import { sm3 } from '../../crypto/index.ts';
import type { Genesis } from '../../ledger/index.ts';
import { method, ModuleError, type ModuleDef } from '../../runtime/index.ts';
import { routeSchema } from '../xchain/types.ts';
import { XROUTE, xrouteKey as k } from './keys.ts';
import type { StoredRoute } from './types.ts';

export * from './types.ts';
export { XROUTE, xrouteKey, xrouteStateKey, routeStateKey } from './keys.ts';

const approveArgs = z.strictObject({
  route: routeSchema,
  /** The governance proposal that decided it. */
  proposal: z.number().int().min(1),
});

/**
 * xroute — the routing chain's registry (跨链路由链): every chain's light-client parameters (or
 * the k-of-n gateway set attesting for it), its gateways and its inbound channel policy.
 * Changes come only from governance: each validator of the routing chain that follows the
 * governance chain sends `approve` with the route an approved proposal decided, and the route
 * is written when validators with more than 2/3 of the power have approved the same route for
 * the same proposal. Nothing in the message path can change it.
 */
export function createXrouteModule(genesis: Pick<Genesis, 'validators' | 'crossChain'>): ModuleDef {
  const validators = genesis.validators;
  const initial = genesis.crossChain?.routes ?? [];
  const total = validators.reduce((n, v) => n + v.power, 0);
  return {
    name: XROUTE,
    description: 'Registry of the alliance\'s chains for cross-chain messages: light-client parameters, gateways and channel policies, changed only by governance.',
    methods: {
      init: method({
        doc: 'Write the registrations named in this chain\'s genesis, once (a validator sends it on first start).',
        args: z.strictObject({}),
        gas: 10_000,
        run(ctx): JsonValue {
          if (!validators.some((v) => v.did === ctx.sender)) throw new ModuleError('XROUTE_NOT_VALIDATOR', `${ctx.sender} is not a validator of the routing chain`);
          if (ctx.has(k.chains())) throw new ModuleError('XROUTE_INITIALISED', 'the registry was initialised already');
          const chains: string[] = [];
          for (const raw of initial) {
            const parsed = routeSchema.safeParse(raw);
            if (!parsed.success) throw new ModuleError('XROUTE_BAD_GENESIS', `a genesis route is invalid: ${parsed.error.issues[0]!.message}`);
            const route = parsed.data;
            ctx.write(k.route(route.chain), { ...route, version: 1, proposal: 0, height: ctx.height });
            chains.push(route.chain);
            ctx.emit('RouteRegistered', { chain: route.chain, version: 1, status: route.status, proposal: 0 });
          }
          ctx.write(k.chains(), chains.sort());
          return { registered: chains.length };
        },
      }),
      approve: method({
        doc: 'Approve a registration decided by governance (routing-chain validators only); applied at more than 2/3 of the power.',
        args: approveArgs,
        gas: 10_000,
        run(ctx, a): JsonValue {
          if (!validators.some((v) => v.did === ctx.sender)) {
            throw new ModuleError('XROUTE_NOT_VALIDATOR', `${ctx.sender} is not a validator of the routing chain; registrations come from governance through them`);
          }
          const route = a.route;
          const prior = ctx.read(k.route(route.chain));
          if (prior && prior.proposal >= a.proposal) throw new ModuleError('XROUTE_STALE', `chain ${route.chain}'s registration already reflects proposal ${prior.proposal}`);
          const id = toHex(sm3(Buffer.from(canonicalize({ route, proposal: a.proposal }))));
          const key = k.approvals(id);
          const rec = ctx.read(key) ?? { voters: [] };
          if (rec.voters.includes(ctx.sender)) throw new ModuleError('XROUTE_ALREADY_APPROVED', `${ctx.sender} already approved this registration`);
          rec.voters.push(ctx.sender);
          const power = validators.filter((v) => rec.voters.includes(v.did)).reduce((n, v) => n + v.power, 0);
          if (power * 3 <= total * 2) {
            ctx.write(key, rec);
            return { applied: false, power, total };
          }
          const stored: StoredRoute = { ...route, version: (prior?.version ?? 0) + 1, proposal: a.proposal, height: ctx.height };
          ctx.write(k.route(route.chain), stored);
          ctx.delete(key);
          const list = ctx.read(k.chains()) ?? [];
          if (!list.includes(route.chain)) ctx.write(k.chains(), [...list, route.chain].sort());
          ctx.emit('RouteRegistered', { chain: route.chain, version: stored.version, status: route.status, proposal: a.proposal });
          return { applied: true, version: stored.version };
        },
      }),
    },
  };
}
