import { FetchRequest, JsonRpcProvider, Network, Wallet, type Log, type TransactionReceipt, type TransactionResponse } from 'ethers';
import { ShulianError, type JsonValue } from '../../codec/index.ts';
import type {
  ChainAdapter, ChainEvent, ChainHeader, ChainSummary, EngineCapabilities, EngineQuery, EngineTx, EventFilter,
  Finality, ProofRequest, TxOutcome, VerifiedProof,
} from './types.ts';

export interface EthereumAdapterOptions {
  /** The chain's id in the alliance (what the routing chain registers it as). */
  id: string;
  /** JSON-RPC URL of a node (Besu, Geth, Quorum, FISCO BCOS / ChainMaker EVM, ganache...). */
  url: string;
  name?: string;
  /** The account this adapter sends from: a secp256k1 private key, 0x hex. */
  privateKey?: string;
  /**
   * Blocks after which a block counts as final: 0 for instant-finality engines (QBFT/IBFT on
   * Besu and Quorum, FISCO BCOS's PBFT, ganache), more for probabilistic ones. When the node
   * answers the `finalized` block tag (post-merge Ethereum), that is used instead.
   */
  confirmations?: number;
  /** How often events are polled, ms (default 500). */
  pollMs?: number;
  /**
   * Which DID each engine account belongs to. An Ethereum account's key is secp256k1, so the
   * binding is declared (later: read from the routing chain's registry), not derived.
   */
  identities?: Array<{ did: string; address: string }>;
  /**
   * The chain's EIP-155 id, when known: the provider then never probes the network, so an
   * unreachable node fails each request instead of retrying network detection every second.
   */
  chainId?: number;
  /** Longest wait for one JSON-RPC request, ms (default ethers' 300 000). */
  requestTimeoutMs?: number;
}

const revertOf = (err: unknown): ShulianError | undefined => {
  const e = err as { code?: string; reason?: string | null; shortMessage?: string; info?: { error?: { message?: string } } };
  if (e?.code !== 'CALL_EXCEPTION') return undefined;
  const reason = e.reason ?? e.info?.error?.message ?? e.shortMessage ?? 'execution reverted';
  return new ShulianError('EVM_REVERT', `execution reverted${reason && reason !== 'execution reverted' ? `: ${reason.replace(/^execution reverted:?\s*/, '')}` : ''}`);
};

/** An Ethereum JSON-RPC chain through ethers (JsonRpcProvider + Wallet). */
export class EthereumAdapter implements ChainAdapter {
  readonly engine = 'ethereum' as const;
  readonly id: string;
  readonly capabilities: EngineCapabilities;
  readonly provider: JsonRpcProvider;
  readonly #wallet: Wallet | undefined;
  readonly #confirmations: number;
  readonly #pollMs: number;
  readonly #name: string;
  readonly #byDid = new Map<string, string>();
  readonly #byAddress = new Map<string, string>();
  readonly #timers = new Set<() => void>();

  constructor(opts: EthereumAdapterOptions) {
    this.id = opts.id;
    this.#name = opts.name ?? opts.id;
    this.#confirmations = opts.confirmations ?? 0;
    this.#pollMs = opts.pollMs ?? 500;
    let conn: string | FetchRequest = opts.url;
    if (opts.requestTimeoutMs !== undefined) {
      // ethers' own Node transport leaves a timed-out request's socket open (a hung node would
      // keep the process alive); fetch with an abort signal closes it.
      const ms = opts.requestTimeoutMs;
      conn = new FetchRequest(opts.url);
      conn.timeout = ms;
      conn.getUrlFunc = async (req) => {
        const res = await fetch(req.url, { method: req.method, headers: req.headers, ...(req.body ? { body: Buffer.from(req.body) } : {}), signal: AbortSignal.timeout(ms) });
        return { statusCode: res.status, statusMessage: res.statusText, headers: Object.fromEntries(res.headers), body: new Uint8Array(await res.arrayBuffer()) };
      };
    }
    this.provider = opts.chainId === undefined
      ? new JsonRpcProvider(conn, undefined, { cacheTimeout: -1, polling: false })
      : new JsonRpcProvider(conn, Network.from(opts.chainId), { cacheTimeout: -1, polling: false, staticNetwork: true });
    this.#wallet = opts.privateKey ? new Wallet(opts.privateKey, this.provider) : undefined;
    for (const { did, address } of opts.identities ?? []) {
      this.#byDid.set(did, address.toLowerCase());
      this.#byAddress.set(address.toLowerCase(), did);
    }
    this.capabilities = { modules: false, evm: true, proofs: false, instantFinality: this.#confirmations === 0 };
  }

  /**
   * Asks a JSON-RPC node for its EIP-155 chain id (`eth_chainId`), giving up after `timeoutMs`:
   * a probe that cannot hang, for when the id is not configured.
   */
  static async chainIdOf(url: string, timeoutMs = 3000): Promise<number> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }), signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new ShulianError('EXTERNAL_UNREACHABLE', `no answer from ${url} within ${timeoutMs} ms (${e.name === 'TimeoutError' ? 'timed out' : e.cause?.code ?? e.message}); is the node running?`);
    }
    const body = await res.json().catch(() => null) as { result?: unknown; error?: { message?: string } } | null;
    if (!res.ok || typeof body?.result !== 'string' || !/^0x[0-9a-f]+$/i.test(body.result)) {
      throw new ShulianError('EXTERNAL_BAD_ANSWER', `${url} did not answer eth_chainId (HTTP ${res.status}${body?.error?.message ? `: ${body.error.message}` : ''}); is it an Ethereum JSON-RPC endpoint?`);
    }
    return Number(BigInt(body.result));
  }

  /** The address this adapter sends from. */
  get address(): string | undefined {
    return this.#wallet?.address.toLowerCase();
  }

  #events(r: TransactionReceipt): ChainEvent[] {
    return r.logs.map((l) => this.#logEvent(l));
  }

  #logEvent(l: Log): ChainEvent {
    return { chain: this.id, height: l.blockNumber, tx: l.transactionHash, source: l.address.toLowerCase(), name: 'Log', topics: [...l.topics], data: l.data };
  }

  async #send(req: { to?: string; data: string; value?: bigint; gasLimit?: bigint }): Promise<TxOutcome> {
    if (!this.#wallet) throw new ShulianError('ADAPTER_READ_ONLY', `the adapter for chain ${this.id} has no private key to send with; give it one`);
    let sent: TransactionResponse;
    try {
      sent = await this.#wallet.sendTransaction(req);
    } catch (err) {
      // ethers estimates gas first: a call that would revert is refused before it is sent.
      throw revertOf(err) ?? new ShulianError('TX_REJECTED', `chain ${this.id} refused the transaction: ${(err as Error).message}`);
    }
    let r: TransactionReceipt | null;
    try {
      r = await sent.wait(this.#confirmations + 1);
    } catch (err) {
      const rec = (err as { receipt?: TransactionReceipt }).receipt;
      if (!rec) throw err;
      return { hash: rec.hash, height: rec.blockNumber, status: 'failed', error: { code: 'EVM_REVERT', message: revertOf(err)?.message ?? 'execution reverted' }, gasUsed: Number(rec.gasUsed), events: [] };
    }
    if (!r) throw new ShulianError('TX_DROPPED', `transaction ${sent.hash} on chain ${this.id} was not mined`);
    const out: TxOutcome = { hash: r.hash, height: r.blockNumber, status: r.status === 1 ? 'ok' : 'failed', gasUsed: Number(r.gasUsed), events: this.#events(r) };
    if (r.contractAddress) out.contractAddress = r.contractAddress.toLowerCase();
    if (r.status !== 1) out.error = { code: 'EVM_REVERT', message: 'execution reverted' };
    return out;
  }

  async submit(tx: EngineTx): Promise<TxOutcome> {
    if (tx.kind !== 'evm') throw new ShulianError('ENGINE_UNSUPPORTED', `chain ${this.id} is an Ethereum chain: it has no module "${tx.module}"; send an evm transaction`);
    return this.#send({ to: tx.to, data: tx.data, ...(tx.value ? { value: tx.value } : {}), ...(tx.gas ? { gasLimit: BigInt(tx.gas) } : {}) });
  }

  async deploy(d: { bytecode: string; gas?: number; value?: bigint }): Promise<TxOutcome & { contractAddress: string }> {
    const out = await this.#send({ data: d.bytecode, ...(d.value ? { value: d.value } : {}), ...(d.gas ? { gasLimit: BigInt(d.gas) } : {}) });
    if (out.status !== 'ok' || !out.contractAddress) throw new ShulianError('DEPLOY_FAILED', `deploy on chain ${this.id} failed: ${out.error?.message ?? 'no contract address'}`);
    return out as TxOutcome & { contractAddress: string };
  }

  async query(q: EngineQuery): Promise<JsonValue> {
    if (q.kind !== 'evm') throw new ShulianError('ENGINE_UNSUPPORTED', `chain ${this.id} is an Ethereum chain: it has no key-value state to read; call a contract instead`);
    try {
      return await this.provider.call({ to: q.to, data: q.data, ...(q.from ? { from: q.from } : {}), ...(q.height !== undefined ? { blockTag: q.height } : {}) });
    } catch (err) {
      throw revertOf(err) ?? err;
    }
  }

  /** Polls for new blocks' logs every pollMs; events come in block and log order. */
  async subscribe(filter: EventFilter, onEvent: (e: ChainEvent) => void, onError?: (err: Error) => void): Promise<() => void> {
    let next = filter.fromHeight ?? (await this.provider.getBlockNumber()) + 1;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const topics = filter.topics?.map((t) => t ?? null);
    const tick = async (): Promise<void> => {
      try {
        const head = await this.provider.getBlockNumber();
        if (head >= next) {
          const logs = await this.provider.getLogs({ fromBlock: next, toBlock: head, ...(filter.source ? { address: filter.source } : {}), ...(topics ? { topics } : {}) });
          for (const l of logs) {
            if (stopped) return;
            const e = this.#logEvent(l);
            if (filter.name === undefined || e.name === filter.name) onEvent(e);
          }
          next = head + 1;
        }
      } catch (err) {
        onError?.(err as Error);
      }
      if (!stopped) timer = setTimeout(() => void tick(), this.#pollMs);
    };
    await tick();
    const stop = (): void => {
      stopped = true;
      if (timer) clearTimeout(timer);
      this.#timers.delete(stop);
    };
    this.#timers.add(stop);
    return stop;
  }

  async header(at: number | 'latest'): Promise<ChainHeader | null> {
    const b = await this.provider.getBlock(at);
    if (!b) return null;
    return { height: b.number, hash: b.hash!, parentHash: b.parentHash, time: b.timestamp * 1000, txCount: b.transactions.length, stateRoot: b.stateRoot ?? '', producer: b.miner.toLowerCase() };
  }

  async finality(): Promise<Finality> {
    const head = await this.provider.getBlockNumber();
    if (this.#confirmations > 0) {
      try {
        const f = await this.provider.getBlock('finalized');
        if (f) return { head, final: f.number, rule: 'the node\'s finalized block' };
      } catch {
        // Nodes without the finalized tag: count confirmations.
      }
      return { head, final: Math.max(-1, head - this.#confirmations), rule: `${this.#confirmations} confirmations` };
    }
    return { head, final: head, rule: 'instant: the engine finalises each block (BFT consensus or a dev node)' };
  }

  async prove(p: ProofRequest): Promise<VerifiedProof> {
    throw new ShulianError('ENGINE_UNSUPPORTED', `chain ${this.id} (Ethereum JSON-RPC) gives no proofs this adapter can check against headers it trusts (${p.kind}); its messages are trusted through a k-of-n quorum of gateway attestations instead`);
  }

  accountOf(did: string): string | undefined {
    return this.#byDid.get(did);
  }

  didOf(account: string): string | undefined {
    return this.#byAddress.get(account.toLowerCase());
  }

  async summary(latest = 10): Promise<ChainSummary> {
    const [net, fin] = await Promise.all([this.provider.getNetwork(), this.finality()]);
    const n = Math.min(Math.max(latest, 1), 100);
    const heights = Array.from({ length: Math.min(n, fin.head + 1) }, (_, i) => fin.head - i);
    const headers = (await Promise.all(heights.map((h) => this.header(h)))).filter((h): h is ChainHeader => h !== null);
    const top = headers[0];
    return {
      id: this.id, engine: this.engine, name: this.#name, chainId: Number(net.chainId), height: fin.head,
      headHash: top?.hash ?? '', lastBlockTime: top?.time ?? 0, finality: fin, latestBlocks: headers,
    };
  }

  async close(): Promise<void> {
    for (const s of [...this.#timers]) s();
    this.provider.destroy();
  }
}
