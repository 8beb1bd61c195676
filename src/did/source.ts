/**
 * Where the resolver reads the identity chain: a small interface over a chain's `getState`, met
 * by a ChainView in the same process and by a node's HTTP API (`httpStateSource`).
 */
import { foreign, ShulianError } from '../codec/index.ts';
import type { BlockHeader, StateLookup, SignedHeader } from '../ledger/index.ts';

/**
 * A signed block header (with its commit on BFT chains): enough to check a block time without the
 * block's transactions.
 */
export type { SignedHeader };

/**
 * Reads of the identity chain that resolution needs. `getState` is all plain resolution uses
 * (a ChainView has it); `height` and `header` are needed only to resolve at a `versionTime`.
 * Any method may answer synchronously or with a promise. Errors are ShulianErrors; a height
 * the chain has not reached is HEIGHT_NOT_FOUND.
 */
export interface DidStateSource {
  getState(key: string, opts?: { height?: number; proof?: boolean }): StateLookup | Promise<StateLookup>;
  height?(): number | Promise<number>;
  header?(height: number): SignedHeader | undefined | Promise<SignedHeader | undefined>;
}

/** What `chainStateSource` needs of a chain: ChainView has all of it. */
export interface ChainReads {
  getState(key: string, opts?: { height?: number; proof?: boolean }): StateLookup;
  height(): number;
  getBlock(height: number): { header: BlockHeader; hash: string; sig: string } | undefined;
}

/** An in-process source over a hosted chain (a ChainView). */
export function chainStateSource(chain: ChainReads): DidStateSource {
  return {
    getState: (key, opts) => chain.getState(key, opts),
    height: () => chain.height(),
    header: (h) => {
      const b = chain.getBlock(h);
      return b ? { header: b.header, hash: b.hash, sig: b.sig } : undefined;
    },
  };
}

/** The part of `fetch` the HTTP source uses. */
export type FetchFn = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface HttpSourceOptions {
  /** Chain id of the identity chain on that node (default "identity"). */
  chain?: string;
  timeoutMs?: number;
  fetch?: FetchFn;
}

/**
 * A source over a node's HTTP API: `GET /v1/chains/<chain>/state?key=…&proof=…&height=…`,
 * `GET /v1/chains/<chain>` (head height) and `GET /v1/chains/<chain>/blocks/<h>` (headers).
 * Nothing it returns is trusted unless the result is checked with `verifyDidResolution`.
 */
export function httpStateSource(baseUrl: string, opts: HttpSourceOptions = {}): DidStateSource {
  let root: string;
  try {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    root = u.href.replace(/\/+$/, '').replace(/\/v1$/, '');
  } catch {
    throw new ShulianError('BAD_OPTIONS', `"${baseUrl}" is not an http(s) URL of a Shulian node, such as http://127.0.0.1:7070`);
  }
  const chain = opts.chain ?? 'identity';
  const doFetch: FetchFn = opts.fetch ?? (globalThis.fetch as unknown as FetchFn);
  const timeoutMs = opts.timeoutMs ?? 15_000;

  async function get<T>(path: string): Promise<T> {
    const url = `${root}/v1/chains/${encodeURIComponent(chain)}${path}`;
    let res: Awaited<ReturnType<FetchFn>>;
    let text: string;
    try {
      res = await doFetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      text = await res.text();
    } catch (err) {
      throw new ShulianError('NODE_UNREACHABLE', `cannot read ${url}: ${(err as Error).message}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ShulianError('BAD_RESPONSE', `${url} answered HTTP ${res.status} with something that is not JSON`);
    }
    if (!res.ok) {
      const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') throw new ShulianError(foreign(e.code), e.message, { status: res.status });
      throw new ShulianError(foreign(`HTTP_${res.status}`), `${url} answered HTTP ${res.status}`);
    }
    return body as T;
  }

  return {
    getState(key, o = {}) {
      const q = new URLSearchParams({ key });
      if (o.proof) q.set('proof', 'true');
      if (o.height !== undefined) q.set('height', String(o.height));
      return get<StateLookup>(`/state?${q.toString()}`);
    },
    async height() {
      const info = await get<{ height: number }>('');
      return info.height;
    },
    async header(h) {
      try {
        const b = await get<{ header: BlockHeader; hash: string; sig: string; commit?: unknown }>(`/blocks/${h}`);
        return { header: b.header, hash: b.hash, sig: b.sig, ...(b.commit === undefined ? {} : { commit: b.commit }) };
      } catch (err) {
        if (err instanceof ShulianError && err.code === 'BLOCK_NOT_FOUND') return undefined;
        throw err;
      }
    },
  };
}
