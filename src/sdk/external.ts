/**
 * External chains (engines other than Shulian) a node follows read-only through its
 * ChainAdapter: what GET /v1/external-chains answers. Browser-safe.
 */
import type { ShulianHttp } from './http.ts';
import type { Packet } from '../modules/xchain/types.ts';

/** The engines an external chain may run on (external-chains.json `engine`). */
export type ExternalEngine = 'evm';

/** A block header of any engine, as a ChainAdapter reads it (docs/engines.md). */
export interface ChainHeader {
  height: number;
  hash: string;
  parentHash: string;
  /** Block time, ms since the Unix epoch. */
  time: number;
  txCount: number;
  stateRoot: string;
  /** Who made the block: a validator DID (native), the coinbase/miner address (Ethereum). */
  producer: string;
}

export interface Finality {
  head: number;
  /** Highest height that can no longer change. */
  final: number;
  rule: string;
}

/** `GET /v1/external-chains` items: an external chain as the node last saw it through its ChainAdapter. */
export interface ExternalChain {
  id: string;
  engine: ExternalEngine;
  name: string;
  nameZh?: string;
  /** XEndpoint contract, when configured. */
  endpoint?: string;
  /** Whether the node's last refresh reached the chain; `error` says why not. */
  reachable: boolean;
  error?: string;
  /** When the node last tried (ms), and last succeeded. */
  checkedAt: number;
  updatedAt?: number;
  /** EIP-155 chain id. */
  chainId?: number;
  /** -1 until the chain has been reached once. */
  height: number;
  headHash?: string;
  lastBlockTime?: number;
  finality?: Finality;
  /** Newest first. */
  latestBlocks: ChainHeader[];
}

/** `GET /v1/xchain/messages` items: a message as the console draws it: sent, relayed by whom, received, acknowledged. */
export interface MessageView {
  id: string;
  packet: Packet;
  status: 'sent' | 'acknowledged' | 'timed-out' | 'received';
  path: Array<{ step: 'sent' | 'received' | 'acknowledged' | 'timed-out'; chain: string; height: number; time: number; tx: string; by: string; ok?: boolean }>;
}

/** `GET /v1/external-chains/:id/messages` items: a message seen on an external chain's XEndpoint. */
export interface ExternalMessageView extends MessageView {
  engine: ExternalEngine;
}

/** The node's external chains; none from a node that predates them (404). */
export async function externalChains(client: ShulianHttp): Promise<ExternalChain[]> {
  try {
    return (await client.getJson<{ chains: ExternalChain[] }>('/external-chains')).chains;
  } catch (err) {
    if ((err as { code?: string }).code === 'NOT_FOUND') return [];
    throw err;
  }
}
