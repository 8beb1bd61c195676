/**
 * The SDK's light face: a node's HTTP API without signing, proofs or the WebSocket stream, so
 * that a read (`shulian chain list`, a status probe) loads only the codec and `fetch`. The full
 * client (src/sdk/client.ts: signing, verified reads, the stream) extends it; both take the same
 * options and raise the same errors (NODE_UNREACHABLE, NODE_TIMEOUT, the node's own codes).
 */
import { foreign, ShulianError } from '../codec/index.ts';
import type {
  AccountInfo, AccountTx, BatchResult, BlockSummary, BlocksQuery, ChainDetail, ChainInfo, ClientOptions, CommittedTx, FetchLike, Health,
  StateAnswer, StateQuery, SubmitResult, TxStatus, WaitOptions,
} from './types.ts';
import type { Block, ConsensusStatus, Tx } from '../ledger/index.ts';
export { externalChains, type ExternalChain } from './external.ts';

const DEFAULT_TIMEOUT_MS = 15_000;

function errnoOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e !== null && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads and submissions over a node's HTTP API (docs/api.md); ShulianClient adds signing, proofs and the stream. */
export class ShulianHttp {
  /** API root without the trailing `/v1`, e.g. `http://127.0.0.1:7070`. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** Sent as a bearer token with every request (ClientOptions.token). */
  readonly #token: string | undefined;
  readonly #fetch: FetchLike;

  constructor(opts: ClientOptions) {
    if (!opts || typeof opts.baseUrl !== 'string' || opts.baseUrl === '') {
      throw new ShulianError('BAD_OPTIONS', 'ShulianClient needs a baseUrl such as http://127.0.0.1:7070');
    }
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new ShulianError('BAD_OPTIONS', `"${opts.baseUrl}" is not a URL; use one such as http://127.0.0.1:7070`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ShulianError('BAD_OPTIONS', `the node URL must be http(s), got ${url.protocol}`);
    }
    this.baseUrl = url.href.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
  }

  /**
   * What another thread needs to reach the same node as this client: its URL, timeout and token
   * (a method, not a field, so that printing the client never shows the token).
   */
  connection(): Pick<ClientOptions, 'baseUrl' | 'timeoutMs' | 'token'> {
    return { baseUrl: this.baseUrl, timeoutMs: this.timeoutMs, ...(this.#token ? { token: this.#token } : {}) };
  }

  // ---- HTTP plumbing ----

  /** A GET of any `/v1` route (path without the `/v1` prefix), for the SDK's feature modules. */
  getJson<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** A POST of JSON to any `/v1` route that reads (decisions, verifications), for the SDK's feature modules. */
  postJson<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  protected async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}/v1${path}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await this.#fetch(url, {
        method,
        headers: {
          accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (err) {
      throw this.networkError(err, url);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.networkError(err, url);
    }
    let json: unknown;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      if (res.ok) throw new ShulianError('BAD_RESPONSE', `the node at ${this.baseUrl} answered ${method} ${path} with something that is not JSON`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') {
        throw new ShulianError(foreign(e.code), e.message, { status: res.status });
      }
      throw new ShulianError(foreign(`HTTP_${res.status}`), `the node at ${this.baseUrl} answered ${method} ${path} with HTTP ${res.status}`, { status: res.status });
    }
    return json as T;
  }

  protected networkError(err: unknown, url: string): ShulianError {
    if (err instanceof ShulianError) return err;
    const name = (err as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new ShulianError('NODE_TIMEOUT', `the node at ${this.baseUrl} did not answer ${url} within ${this.timeoutMs} ms; check that it is running and not overloaded`);
    }
    const code = errnoOf(err);
    return new ShulianError(
      'NODE_UNREACHABLE',
      `cannot reach the Shulian node at ${this.baseUrl}${code ? ` (${code})` : ''}; start it with \`shulian up\` or point the client at a running node`,
      code ? { cause: code } : undefined,
    );
  }

  // ---- reads ----

  health(): Promise<Health> {
    return this.request('GET', '/health');
  }

  async chains(): Promise<ChainInfo[]> {
    const r = await this.request<{ chains: ChainInfo[] }>('GET', '/chains');
    return r.chains;
  }

  /** Consensus state: height, round, step, proposer, validators and who is up. */
  consensus(id: string): Promise<ConsensusStatus> {
    return this.request('GET', `/chains/${enc(id)}/consensus`);
  }

  chain(id: string): Promise<ChainDetail> {
    return this.request('GET', `/chains/${enc(id)}`);
  }

  block(chain: string, height: number | 'latest'): Promise<Block> {
    return this.request('GET', `/chains/${enc(chain)}/blocks/${height === 'latest' ? 'latest' : String(checkInt(height, 'height'))}`);
  }

  async blocks(chain: string, q: BlocksQuery = {}): Promise<BlockSummary[]> {
    const r = await this.request<{ blocks: BlockSummary[] }>('GET', `/chains/${enc(chain)}/blocks${query({ before: q.before, limit: q.limit })}`);
    return r.blocks;
  }

  tx(hash: string): Promise<TxStatus> {
    return this.request('GET', `/txs/${enc(hash)}`);
  }

  state(chain: string, key: string, q: StateQuery = {}): Promise<StateAnswer> {
    return this.request('GET', `/chains/${enc(chain)}/state${query({ key, proof: q.proof ? 'true' : undefined, height: q.height })}`);
  }

  account(chain: string, did: string): Promise<AccountInfo> {
    return this.request('GET', `/chains/${enc(chain)}/accounts/${enc(did)}`);
  }

  async accountTxs(chain: string, did: string, q: { limit?: number } = {}): Promise<AccountTx[]> {
    const r = await this.request<{ txs: AccountTx[] }>('GET', `/chains/${enc(chain)}/accounts/${enc(did)}/txs${query({ limit: q.limit })}`);
    return r.txs;
  }

  // ---- writes ----

  submit(chain: string, tx: Tx): Promise<SubmitResult> {
    return this.request('POST', `/chains/${enc(chain)}/txs`, tx);
  }

  async submitBatch(chain: string, txs: Tx[]): Promise<BatchResult[]> {
    const r = await this.request<{ results: BatchResult[] }>('POST', `/chains/${enc(chain)}/txs`, { txs });
    return r.results;
  }

  /** Polls until the tx is committed and returns its inclusion; ShulianError TX_TIMEOUT otherwise. */
  async waitForTx(hash: string, opts: WaitOptions = {}): Promise<CommittedTx> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let interval = opts.intervalMs ?? 100;
    let last = 'unknown to the node';
    for (;;) {
      try {
        const r = await this.tx(hash);
        if (r.status === 'committed') return r;
        last = 'still pending';
      } catch (err) {
        // Not found yet (e.g. another node, or a race with submission): keep polling until the deadline.
        if (!(err instanceof ShulianError) || !isNotFound(err)) throw err;
        last = 'unknown to the node';
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ShulianError('TX_TIMEOUT', `transaction ${hash} was not committed within ${timeoutMs} ms (${last}); check it later with \`shulian tx get ${hash}\``);
      }
      await sleep(Math.min(interval, left));
      interval = Math.min(1000, Math.ceil(interval * 1.5));
    }
  }
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}

export function checkInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new ShulianError('BAD_ARGUMENT', `${what} must be a non-negative integer, got ${n}`);
  return n;
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function isNotFound(err: ShulianError): boolean {
  return err.details?.status === 404;
}
