import { foreign, ShulianError, asJson, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../../crypto/index.ts';
import type { Block, TxEvent, TxInclusion } from '../../ledger/index.ts';
import { didOfEvmAddress, evmAddressOfDid, evmChainIdOf } from '../../modules/evm/index.ts';
import type { ShulianClient, StreamMessage } from '../../sdk/index.ts';
import type {
  ChainAdapter, ChainEvent, ChainHeader, ChainSummary, EngineCapabilities, EngineQuery, EngineTx, EventFilter,
  Finality, ProofRequest, TxOutcome, VerifiedProof,
} from './types.ts';

export interface NativeAdapterOptions {
  client: ShulianClient;
  chain: string;
  /** The account this adapter submits as (its DID is the key's self-certifying DID). */
  key?: KeyPair;
  /** How long submit waits for a tx to be committed, ms (default 60 000). */
  timeoutMs?: number;
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/** A native Shulian chain through the SDK: one node's HTTP API, proofs checked locally. */
export class NativeAdapter implements ChainAdapter {
  readonly engine = 'shulian' as const;
  readonly id: string;
  readonly capabilities: EngineCapabilities;
  readonly #client: ShulianClient;
  readonly #key: KeyPair | undefined;
  readonly #timeoutMs: number;
  readonly #subs = new Set<() => void>();

  constructor(opts: NativeAdapterOptions) {
    this.#client = opts.client;
    this.id = opts.chain;
    this.#key = opts.key;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.capabilities = { modules: true, evm: true, proofs: true, instantFinality: true };
  }

  /** The DID this adapter submits as. */
  get did(): string | undefined {
    return this.#key ? didFromPublicKey(this.#key.publicKey) : undefined;
  }

  #event(height: number, tx: string, e: TxEvent): ChainEvent {
    if (e.module === 'evm' && e.type === 'Log') {
      const l = e.data as { address: string; topics: string[]; data: string };
      return { chain: this.id, height, tx, source: l.address, name: 'Log', topics: l.topics, data: l.data };
    }
    return { chain: this.id, height, tx, source: e.module, name: e.type, data: e.data };
  }

  #outcome(inc: TxInclusion): TxOutcome {
    const r = inc.receipt;
    const out: TxOutcome = {
      hash: inc.hash, height: inc.height, status: r.status, gasUsed: r.gasUsed, events: r.events.map((e) => this.#event(inc.height, inc.hash, e)),
    };
    if (r.status === 'failed') out.error = { code: r.code ?? 'TX_FAILED', message: r.message ?? '' };
    if (r.result !== undefined) {
      out.result = r.result;
      const addr = (r.result as { address?: unknown }).address;
      if (inc.tx.module === 'evm' && inc.tx.method === 'deploy' && typeof addr === 'string') out.contractAddress = addr;
    }
    return out;
  }

  async submit(tx: EngineTx): Promise<TxOutcome> {
    if (!this.#key) throw new ShulianError('ADAPTER_READ_ONLY', `the adapter for chain ${this.id} has no key to sign with; give it one`);
    const call = tx.kind === 'module'
      ? { module: tx.module, method: tx.method, args: tx.args }
      : { module: 'evm', method: 'call', args: { to: tx.to, data: tx.data, ...(tx.value ? { value: tx.value.toString() } : {}), ...(tx.gas ? { gas: tx.gas } : {}) } };
    const hash = await this.#client.send(this.id, this.#key, call);
    return this.#outcome(await this.#client.waitForTx(hash, { timeoutMs: this.#timeoutMs }));
  }

  async deploy(d: { bytecode: string; gas?: number; value?: bigint }): Promise<TxOutcome & { contractAddress: string }> {
    const out = await this.submit({ kind: 'module', module: 'evm', method: 'deploy', args: { code: d.bytecode, ...(d.value ? { value: d.value.toString() } : {}), ...(d.gas ? { gas: d.gas } : {}) } });
    if (out.status !== 'ok' || !out.contractAddress) {
      throw new ShulianError(foreign(out.error?.code) ?? 'DEPLOY_FAILED', `deploy on chain ${this.id} failed: ${out.error?.message ?? 'no contract address'}`);
    }
    return out as TxOutcome & { contractAddress: string };
  }

  async query(q: EngineQuery): Promise<JsonValue> {
    if (q.kind === 'state') return (await this.#client.state(this.id, q.key, q.height === undefined ? {} : { height: q.height })).value;
    const res = await this.#rpc('eth_call', [{ to: q.to, data: q.data, ...(q.from ? { from: q.from } : {}) }, q.height === undefined ? 'latest' : '0x' + q.height.toString(16)]);
    return res as string;
  }

  /** The chain's eth_* endpoint (src/api/routes/eth.ts). */
  async #rpc(method: string, params: unknown[]): Promise<unknown> {
    const url = `${this.#client.baseUrl}/v1/chains/${encodeURIComponent(this.id)}/eth`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      throw new ShulianError('NODE_UNREACHABLE', `cannot reach ${url}: ${(err as Error).message}`);
    }
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: string } };
    if (body.error) throw new ShulianError(body.error.code === 3 ? 'EVM_REVERT' : 'EVM_QUERY_FAILED', body.error.message);
    return body.result;
  }

  async subscribe(filter: EventFilter, onEvent: (e: ChainEvent) => void, onError?: (err: Error) => void): Promise<() => void> {
    const matches = (e: ChainEvent): boolean => (filter.source === undefined || e.source.toLowerCase() === filter.source.toLowerCase())
      && (filter.name === undefined || e.name === filter.name)
      && (filter.topics ?? []).every((t, i) => t === null || e.topics?.[i]?.toLowerCase() === t.toLowerCase());
    // Live events are buffered while blocks up to the head are read; each height is delivered
    // once: from the blocks when at or below the head seen after subscribing, live above it.
    let caughtUp = false;
    let catchUpTo = Number.MAX_SAFE_INTEGER;
    const buffered: StreamMessage[] = [];
    const deliver = (m: StreamMessage): void => {
      if (m.type !== 'event' || m.height <= catchUpTo) return;
      const e = this.#event(m.height, m.tx, { module: m.module, type: m.event, data: m.data });
      if (matches(e)) onEvent(e);
    };
    const sub = this.#client.subscribe({ chains: [this.id] }, (m) => {
      if (caughtUp) deliver(m);
      else buffered.push(m);
    }, onError ? { onError } : {});
    await sub.ready;
    const head = (await this.#client.blocks(this.id, { limit: 1 }))[0]?.height ?? 0;
    catchUpTo = head;
    if (filter.fromHeight !== undefined) {
      for (let h = Math.max(0, filter.fromHeight); h <= head; h++) {
        const b: Block = await this.#client.block(this.id, h);
        b.receipts.forEach((r) => {
          for (const ev of r.events) {
            const e = this.#event(h, r.tx, ev);
            if (matches(e)) onEvent(e);
          }
        });
      }
    }
    for (const m of buffered) deliver(m);
    caughtUp = true;
    const stop = (): void => {
      sub.close();
      this.#subs.delete(stop);
    };
    this.#subs.add(stop);
    return stop;
  }

  async header(at: number | 'latest'): Promise<ChainHeader | null> {
    let b: Block;
    try {
      b = await this.#client.block(this.id, at);
    } catch (err) {
      if (err instanceof ShulianError && err.code === 'BLOCK_NOT_FOUND') return null;
      throw err;
    }
    const h = b.header;
    return { height: h.height, hash: b.hash, parentHash: h.prev, time: h.time, txCount: h.txCount, stateRoot: h.stateRoot, producer: h.proposer };
  }

  async finality(): Promise<Finality> {
    const head = (await this.#client.blocks(this.id, { limit: 1 }))[0]?.height ?? 0;
    return { head, final: head, rule: 'instant: a committed block is final (solo, or tbft with 2/3+ precommits)' };
  }

  async prove(p: ProofRequest): Promise<VerifiedProof> {
    if (p.kind === 'tx') {
      const v = await this.#client.verifiedTx(p.hash);
      return { kind: 'tx', height: v.height, value: asJson({ tx: v.tx, receipt: v.receipt }), proofVerified: true };
    }
    const v = await this.#client.verifiedState(this.id, p.key, p.height === undefined ? {} : { height: p.height });
    return { kind: 'state', height: v.height, value: v.value, proofVerified: true };
  }

  /** On a native chain the account is the DID itself; its EVM address is evmAddressOf(did). */
  accountOf(did: string): string | undefined {
    return did.startsWith('did:shulian:') ? did : undefined;
  }

  evmAddressOf(did: string): string {
    return evmAddressOfDid(did);
  }

  didOf(account: string): string | undefined {
    if (account.startsWith('did:shulian:')) return account;
    return ADDRESS_RE.test(account) ? didOfEvmAddress(account.toLowerCase()) : undefined;
  }

  async summary(latest = 10): Promise<ChainSummary> {
    const [info, blocks] = await Promise.all([this.#client.chain(this.id), this.#client.blocks(this.id, { limit: Math.min(Math.max(latest, 1), 100) })]);
    const headers = await Promise.all(blocks.map((b) => this.header(b.height)));
    return {
      id: this.id, engine: this.engine, name: info.name, height: info.height, headHash: info.headHash, lastBlockTime: info.lastBlockTime,
      ...(info.modules.includes('evm') ? { chainId: evmChainIdOf(this.id) } : {}),
      finality: { head: info.height, final: info.height, rule: 'instant' },
      latestBlocks: headers.filter((h): h is ChainHeader => h !== null),
    };
  }

  async close(): Promise<void> {
    for (const s of [...this.#subs]) s();
  }
}
