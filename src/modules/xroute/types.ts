import type { RouteRecord } from '../xchain/types.ts';

/** A registration as the routing chain stores it: the route, its version and the decision behind it. */
export interface StoredRoute extends RouteRecord {
  version: number;
  proposal: number;
  height: number;
}

/** Routing-chain validators that approved one registration so far (keyed by its digest). */
export interface RouteApprovals {
  voters: string[];
}
