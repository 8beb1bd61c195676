import { fullKeys, stateKey } from '../../codec/index.ts';
import { ROUTE_REGISTRY } from '../xchain/keys.ts';
import type { RouteApprovals, StoredRoute } from './types.ts';

/** The routing chain's registry; where it keeps a route is what every xchain module proves (ROUTE_REGISTRY). */
export const XROUTE = ROUTE_REGISTRY.module;

/** State layout of the routing chain's registry. */
export const xrouteKey = {
  /** A chain's registration: what every chain's xchain module proves. */
  route: (chain: string) => stateKey<StoredRoute>(ROUTE_REGISTRY.route(chain)),
  /** Sorted ids of the registered chains. */
  chains: () => stateKey<string[]>('chains'),
  /** Approvals gathered for a registration (SM3 of route and proposal) not applied yet. */
  approvals: (id: string) => stateKey<RouteApprovals>(`approvals/${id}`),
};

export const xrouteStateKey = fullKeys(XROUTE, xrouteKey);
/** Full state key of a chain's registration; what every chain's xchain module proves. */
export const routeStateKey = xrouteStateKey.route;
