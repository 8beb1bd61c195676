/**
 * External chains (engines other than Shulian) a node follows read-only through its
 * ChainAdapter: what GET /v1/external-chains answers. Browser-safe.
 */
import type { ShulianClient } from './client.ts';

export interface ExternalChain {
  id: string;
  engine: string;
  name: string;
  nameZh?: string;
  /** XEndpoint contract, when configured. */
  endpoint?: string;
  /** Whether the node's last refresh reached the chain; `error` says why not. */
  reachable: boolean;
  error?: string;
  checkedAt: number;
  updatedAt?: number;
  chainId?: number;
  /** -1 until the chain has been reached once. */
  height: number;
  lastBlockTime?: number;
  finality?: { head: number; final: number; rule: string };
  latestBlocks: Array<{ height: number; hash: string; parentHash: string; time: number; txCount: number; producer: string }>;
}

/** The node's external chains; none from a node that predates them (404). */
export async function externalChains(client: ShulianClient): Promise<ExternalChain[]> {
  try {
    return (await client.getJson<{ chains: ExternalChain[] }>('/external-chains')).chains;
  } catch (err) {
    if ((err as { code?: string }).code === 'NOT_FOUND') return [];
    throw err;
  }
}
