/**
 * Where the supervision service reads committed blocks, inclusion proofs and governance state:
 * in process from the chains a node hosts (embedded in `shulian up`), or over a node's HTTP API
 * through the SDK (`shulian supervise --node URL`). Nothing read is trusted for being local: an
 * alert carries inclusion proofs anyone can check against the chain's headers.
 */
import type { JsonValue } from '../codec/index.ts';
import type { NodeView } from '../chain/index.ts';
import type { Block, TxInclusion } from '../ledger/index.ts';
import type { ShulianClient } from '../sdk/index.ts';

export interface FeedChain {
  readonly id: string;
  height(): Promise<number>;
  block(height: number): Promise<Block | undefined>;
  /** A committed tx with its inclusion proof. */
  inclusion(hash: string): Promise<TxInclusion | undefined>;
  /** Calls `wake` after each committed block, when the chain is in this process; returns an unsubscribe. */
  onBlock?(wake: (block: Block) => void): () => void;
}

export interface Feed {
  /** Ids of the chains that can be followed now (governed chains appear when they start). */
  chains(): Promise<string[]>;
  chain(id: string): FeedChain;
  /** A state value of a chain (at a height, else the latest). */
  state(chain: string, key: string, height?: number): Promise<JsonValue | null>;
}

/** The chains a node hosts, read in process. */
export function nodeFeed(node: NodeView): Feed {
  const view = (id: string) => node.chain(id);
  return {
    chains: async () => node.chains().map((c) => c.id),
    chain: (id) => ({
      id,
      height: async () => view(id)?.height() ?? -1,
      block: async (h) => view(id)?.getBlock(h),
      inclusion: async (hash) => view(id)?.getTx(hash),
      onBlock: (wake) => view(id)?.onBlock(wake) ?? (() => {}),
    }),
    state: async (chain, key, height) => {
      const c = view(chain);
      if (!c) return null;
      return c.getState(key, height === undefined ? {} : { height }).value;
    },
  };
}

/** A node's chains read over its HTTP API (polled). */
export function clientFeed(client: ShulianClient): Feed {
  return {
    chains: async () => (await client.chains()).map((c) => c.id),
    chain: (id) => ({
      id,
      height: async () => (await client.chain(id)).height,
      block: async (h) => {
        try {
          return await client.block(id, h);
        } catch (err) {
          if ((err as { code?: string }).code === 'BLOCK_NOT_FOUND') return undefined;
          throw err;
        }
      },
      inclusion: async (hash) => {
        const t = await client.tx(hash);
        return t.status === 'committed' ? t : undefined;
      },
    }),
    state: async (chain, key, height) => (await client.state(chain, key, height === undefined ? {} : { height })).value,
  };
}
