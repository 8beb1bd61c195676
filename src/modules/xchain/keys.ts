import { fullKeys, stateKey } from '../../codec/index.ts';
import type { AttestRecord, ClientState, Packet, RecvRecord, SendStatus, SyncedRoute, XchainLogEntry } from './types.ts';

/** State layout of the xchain module: keys inside its namespace, each with the record kept there. */
export const XCHAIN = 'xchain';

export const xchainKey = {
  /** A registered chain, as synced from the routing chain. */
  route: (chain: string) => stateKey<SyncedRoute>(`route/${chain}`),
  /** Sorted ids of the registered chains. */
  routes: () => stateKey<string[]>('routes'),
  /** This chain's light client of another. */
  client: (chain: string) => stateKey<ClientState>(`client/${chain}`),
  /** Last sequence sent to a chain. */
  seq: (dst: string) => stateKey<number>(`seq/${dst}`),
  /** A packet sent: what a gateway proves to the destination. */
  out: (dst: string, seq: number) => stateKey<Packet>(`out/${dst}/${seq}`),
  /** Where a sent packet stands. */
  st: (dst: string, seq: number) => stateKey<SendStatus>(`st/${dst}/${seq}`),
  /** The receipt of a packet executed here: what the source proves its acknowledgement with. */
  recv: (src: string, seq: number) => stateKey<RecvRecord>(`recv/${src}/${seq}`),
  /** Gateway signatures gathered for one attested message. */
  att: (msgHex: string) => stateKey<AttestRecord>(`att/${msgHex}`),
  logCount: () => stateKey<number>('log/count'),
  log: (n: number) => stateKey<XchainLogEntry>(`log/${n}`),
};

/**
 * Where the routing chain's `xroute` module keeps a chain's registration (xroute/keys.ts builds
 * its own keys from this): the key every chain's xchain module verifies route proofs under.
 */
export const ROUTE_REGISTRY = { module: 'xroute', route: (chain: string): string => `routes/${chain}` } as const;
/** Full state key of a chain's registration on the routing chain, as xchain syncs it. */
export const ROUTE_STATE_KEY = (chain: string) => stateKey<SyncedRoute>(`${ROUTE_REGISTRY.module}/${ROUTE_REGISTRY.route(chain)}`);

/** Full chain-state keys (`xchain/…`): what gateways prove and readers read. */
export const xchainStateKey = fullKeys(XCHAIN, xchainKey);
/** Full state keys a gateway proves. */
export const outStateKey = xchainStateKey.out;
export const recvStateKey = xchainStateKey.recv;
