import WebSocket from 'ws';
import { ShulianError } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import { hashJson } from '../ledger/hashing.ts';
import { signTx } from '../ledger/tx.ts';
import type { Block, Genesis, StateLookup, Tx } from '../ledger/types.ts';
import type { ConsensusStatus } from '../chain/types.ts';
import { verifyStateLookup, verifyTxInclusion, type ProofCheck } from '../ledger/verify.ts';
import type {
  AccountInfo, AccountTx, BatchResult, BlockSummary, BlocksQuery, Call, ChainDetail, ChainInfo, ClientOptions,
  CommittedTx, FetchLike, Health, SendOptions, StateQuery, StreamMessage, SubmitResult, SubscribeHandlers,
  SubscribeOptions, Subscription, StreamControl, TxStatus, VerifiedState, VerifiedTx, WaitOptions,
} from './types.ts';

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_EXPIRES_IN = 100;
const HASH_RE = /^[0-9a-f]{64}$/;

/** The genesis hash: the chain's hash function over the canonical genesis document. */
export function genesisHashOf(genesis: Genesis): string {
  return hashJson(genesis.suite, genesis);
}

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

/**
 * Typed client for a Shulian node's HTTP API (docs/api.md). Reads return the node's answer;
 * `verifiedTx` / `verifiedState` check proofs locally against the chain's validator set and never
 * trust the node. Every failure is a ShulianError: the node's own code and message for HTTP
 * errors, NODE_UNREACHABLE / NODE_TIMEOUT when the node cannot be reached.
 */
export class ShulianClient {
  /** API root without the trailing `/v1`, e.g. `http://127.0.0.1:7070`. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #fetch: FetchLike;
  readonly #pins = new Map<string, string>();
  readonly #genesis = new Map<string, Promise<Genesis>>();
  /** Per chain+sender: serialises `send` and remembers the next nonce this client handed out. */
  readonly #senders = new Map<string, { queue: Promise<unknown>; next: number }>();

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
    this.#fetch = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
    for (const [chain, hash] of Object.entries(opts.genesisHashes ?? {})) this.pinGenesis(chain, hash);
  }

  /**
   * Pins a chain's genesis hash: proofs on that chain are only accepted when the node's genesis
   * document hashes to it.
   */
  pinGenesis(chain: string, genesisHash: string): void {
    if (!HASH_RE.test(genesisHash)) {
      throw new ShulianError('BAD_GENESIS_HASH', `genesis hash for ${chain} must be 64 lowercase hex digits`);
    }
    this.#pins.set(chain, genesisHash);
    this.#genesis.delete(chain);
  }

  // ---- HTTP plumbing ----

  /** A GET of any `/v1` route (path without the `/v1` prefix), for the SDK's feature modules. */
  getJson<T>(path: string): Promise<T> {
    return this.#request<T>('GET', path);
  }

  async #request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}/v1${path}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await this.#fetch(url, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (err) {
      throw this.#networkError(err, url);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.#networkError(err, url);
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
        throw new ShulianError(e.code, e.message, { status: res.status });
      }
      throw new ShulianError(`HTTP_${res.status}`, `the node at ${this.baseUrl} answered ${method} ${path} with HTTP ${res.status}`, { status: res.status });
    }
    return json as T;
  }

  #networkError(err: unknown, url: string): ShulianError {
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
    return this.#request('GET', '/health');
  }

  async chains(): Promise<ChainInfo[]> {
    const r = await this.#request<{ chains: ChainInfo[] }>('GET', '/chains');
    return r.chains;
  }

  /** Consensus state: height, round, step, proposer, validators and who is up. */
  consensus(id: string): Promise<ConsensusStatus> {
    return this.#request('GET', `/chains/${enc(id)}/consensus`);
  }

  chain(id: string): Promise<ChainDetail> {
    return this.#request('GET', `/chains/${enc(id)}`);
  }

  block(chain: string, height: number | 'latest'): Promise<Block> {
    return this.#request('GET', `/chains/${enc(chain)}/blocks/${height === 'latest' ? 'latest' : String(checkInt(height, 'height'))}`);
  }

  async blocks(chain: string, q: BlocksQuery = {}): Promise<BlockSummary[]> {
    const r = await this.#request<{ blocks: BlockSummary[] }>('GET', `/chains/${enc(chain)}/blocks${query({ before: q.before, limit: q.limit })}`);
    return r.blocks;
  }

  tx(hash: string): Promise<TxStatus> {
    return this.#request('GET', `/txs/${enc(hash)}`);
  }

  state(chain: string, key: string, q: StateQuery = {}): Promise<StateLookup> {
    return this.#request('GET', `/chains/${enc(chain)}/state${query({ key, proof: q.proof ? 'true' : undefined, height: q.height })}`);
  }

  account(chain: string, did: string): Promise<AccountInfo> {
    return this.#request('GET', `/chains/${enc(chain)}/accounts/${enc(did)}`);
  }

  async accountTxs(chain: string, did: string, q: { limit?: number } = {}): Promise<AccountTx[]> {
    const r = await this.#request<{ txs: AccountTx[] }>('GET', `/chains/${enc(chain)}/accounts/${enc(did)}/txs${query({ limit: q.limit })}`);
    return r.txs;
  }

  // ---- writes ----

  submit(chain: string, tx: Tx): Promise<SubmitResult> {
    return this.#request('POST', `/chains/${enc(chain)}/txs`, tx);
  }

  async submitBatch(chain: string, txs: Tx[]): Promise<BatchResult[]> {
    const r = await this.#request<{ results: BatchResult[] }>('POST', `/chains/${enc(chain)}/txs`, { txs });
    return r.results;
  }

  /**
   * Signs a call locally and submits it: takes the sender's pending nonce from the node (or the
   * next one this client already used, if higher), expires `expiresIn` blocks after the current
   * height. Calls from one client for the same sender and chain are serialised so their nonces
   * never collide. Returns the tx hash.
   */
  send(chain: string, key: KeyPair, call: Call, opts: SendOptions = {}): Promise<string> {
    const expiresIn = opts.expiresIn ?? DEFAULT_EXPIRES_IN;
    checkInt(expiresIn, 'expiresIn');
    const from = opts.from ?? didFromPublicKey(key.publicKey);
    const id = `${chain}\u0000${from}`;
    let s = this.#senders.get(id);
    if (!s) this.#senders.set(id, (s = { queue: Promise.resolve(), next: 0 }));
    const sender = s;
    const run = async (): Promise<string> => {
      const [acct, head] = await Promise.all([this.account(chain, from), this.blocks(chain, { limit: 1 })]);
      const nonce = Math.max(acct.pendingNonce, sender.next);
      const height = head[0]?.height ?? 0;
      const { tx, hash } = signTx(key, { chain, from, module: call.module, method: call.method, args: call.args, nonce, expires: height + expiresIn });
      try {
        await this.submit(chain, tx);
      } catch (err) {
        // The node's view is the truth again after a rejection (stale or gapped nonce, etc.).
        sender.next = 0;
        throw err;
      }
      sender.next = nonce + 1;
      return hash;
    };
    const p = sender.queue.then(run, run);
    sender.queue = p.catch(() => undefined);
    return p;
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

  // ---- verified reads ----

  /**
   * The genesis document the client trusts for `chain`: fetched once per client, and checked
   * against the pinned hash when one was given.
   */
  genesis(chain: string): Promise<Genesis> {
    let p = this.#genesis.get(chain);
    if (!p) {
      p = this.#loadGenesis(chain);
      this.#genesis.set(chain, p);
      p.catch(() => this.#genesis.delete(chain));
    }
    return p;
  }

  async #loadGenesis(chain: string): Promise<Genesis> {
    const info = await this.chain(chain);
    const g = info.genesis;
    if (!g || typeof g !== 'object' || !Array.isArray(g.validators) || (g.suite !== 'sm2' && g.suite !== 'ed25519')) {
      throw new ShulianError('PROOF_INVALID', `the node sent no usable genesis document for chain ${chain}`);
    }
    if (g.chain !== chain) throw new ShulianError('PROOF_INVALID', `the node sent the genesis of chain ${g.chain} when asked for ${chain}`);
    const pin = this.#pins.get(chain);
    if (pin !== undefined) {
      const got = genesisHashOf(g);
      if (got !== pin) {
        throw new ShulianError('PROOF_INVALID', `genesis of chain ${chain} hashes to ${got}, not the pinned ${pin}: this node serves another chain`);
      }
    }
    return g;
  }

  /** Fetches a committed tx and checks its inclusion proof locally. */
  async verifiedTx(hash: string): Promise<VerifiedTx> {
    const r = await this.tx(hash);
    if (r.status !== 'committed') {
      throw new ShulianError('TX_PENDING', `transaction ${hash} is not committed yet; wait for it and try again`);
    }
    const g = await this.genesis(r.chain);
    const bad = (reason: string): never => {
      throw new ShulianError('PROOF_INVALID', `transaction ${hash}: ${reason}`);
    };
    if (r.hash !== hash) bad(`the node answered with transaction ${r.hash}`);
    if (r.tx?.chain !== r.chain || r.header?.chain !== r.chain) bad(`the transaction or block belongs to another chain than ${r.chain}`);
    if (r.header.height !== r.height) bad('the block height does not match the inclusion');
    const check = safeCheck(() => verifyTxInclusion(g.suite, r, g.validators));
    if (!check.ok) bad(check.reason ?? 'the inclusion proof does not verify');
    return { ...r, proofVerified: true };
  }

  /** Fetches a state key with proof and checks it locally; `value: null` is a verified absence. */
  async verifiedState(chain: string, key: string, q: { height?: number } = {}): Promise<VerifiedState> {
    const [s, g] = await Promise.all([this.state(chain, key, { proof: true, height: q.height }), this.genesis(chain)]);
    const bad = (reason: string): never => {
      throw new ShulianError('PROOF_INVALID', `state ${chain}:${key}: ${reason}`);
    };
    if (s.key !== key) bad(`the node answered for key ${s.key}`);
    if (!s.header || s.header.chain !== chain) bad('the proof hangs from a block of another chain');
    if (q.height !== undefined && s.height !== q.height) bad(`asked for height ${q.height}, got ${s.height}`);
    const check = safeCheck(() => verifyStateLookup(g.suite, s, g.validators));
    if (!check.ok) bad(check.reason ?? 'the state proof does not verify');
    return { ...s, proofVerified: true };
  }

  // ---- stream ----

  /**
   * Subscribes to committed blocks and their events on the given chains over WebSocket.
   * `ready` resolves when the node confirms; close() ends it.
   */
  subscribe(opts: SubscribeOptions, onMessage: (msg: StreamMessage) => void, handlers: SubscribeHandlers = {}): Subscription {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/v1/stream${query({ chains: opts.chains.join(',') || undefined })}`;
    const ws = new WebSocket(url);
    let settled = false;
    let userClosed = false;
    let resolveReady!: () => void;
    let rejectReady!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined);
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      if (err) rejectReady(err);
      else resolveReady();
    };
    ws.on('error', (err) => {
      const e = settled ? err : this.#networkError(err, url);
      settle(e);
      if (!userClosed) handlers.onError?.(e);
    });
    ws.on('close', (code, reason) => {
      settle(new ShulianError('STREAM_CLOSED', `the stream at ${url} closed (${code}${reason.length ? ` ${reason.toString()}` : ''}) before the subscription was confirmed`));
      handlers.onClose?.(code, reason.toString());
    });
    ws.on('message', (data) => {
      let msg: StreamMessage | StreamControl;
      try {
        msg = JSON.parse(data.toString()) as StreamMessage | StreamControl;
      } catch {
        handlers.onError?.(new ShulianError('BAD_RESPONSE', 'the stream sent a message that is not JSON'));
        return;
      }
      if (msg.type === 'subscribed') {
        settle();
      } else if (msg.type === 'error') {
        const e = new ShulianError(msg.error?.code ?? 'STREAM_ERROR', msg.error?.message ?? 'the stream reported an error');
        settle(e);
        handlers.onError?.(e);
      } else {
        settle();
        onMessage(msg);
      }
    });
    return {
      ready,
      close: () => {
        userClosed = true;
        if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close();
      },
    };
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function checkInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new ShulianError('BAD_ARGUMENT', `${what} must be a non-negative integer, got ${n}`);
  return n;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Proof checkers may throw on malformed input (bad hex, missing fields): that is a failed proof too. */
function safeCheck(f: () => ProofCheck): ProofCheck {
  try {
    return f();
  } catch (err) {
    return { ok: false, reason: `malformed proof (${err instanceof Error ? err.message : String(err)})` };
  }
}

function isNotFound(err: ShulianError): boolean {
  return err.details?.status === 404;
}
