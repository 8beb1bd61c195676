import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Interface, LogDescription } from 'ethers';
import { z } from '../codec/schemas.ts';
import { ShulianError } from '../codec/index.ts';
import type { ChainAdapter, ChainEvent, ChainHeader, EthereumAdapter } from '../crosschain/adapters/index.ts';
import type { EvmPacket, fromEvmPacket } from '../crosschain/evm/index.ts';
import type { ExternalChainsView } from '../api/index.ts';
import type { ExternalChain as ExternalChainInfo, ExternalMessageView } from '../sdk/index.ts';

/** The file in a node's data directory that lists the external chains it follows. */
export const EXTERNAL_CHAINS_FILE = 'external-chains.json';

const ID_RE = /^[a-z][a-z0-9-]{0,31}$/;

export const externalChainSchema = z.strictObject({
  id: z.string().regex(ID_RE, 'a chain id: a lowercase letter, then lowercase letters, digits or "-", at most 32'),
  engine: z.literal('evm', { error: 'engine must be "evm" (an Ethereum JSON-RPC chain); no other engine has an adapter yet' }),
  rpc: z.string().regex(/^https?:\/\/[^\s]+$/, 'an http:// or https:// JSON-RPC URL'),
  endpoint: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'the XEndpoint contract address, 0x and 40 hex digits').optional(),
  /** The block XEndpoint was deployed in: where its events are read from (default 0). */
  endpointFromBlock: z.number().int().min(0).optional(),
  name: z.string().min(1).max(80).optional(),
  nameZh: z.string().min(1).max(80).optional(),
  /** EIP-155 chain id; asked of the node (eth_chainId) when absent. */
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Blocks after which a block is final (0: instant-finality engines). */
  confirmations: z.number().int().min(0).max(10_000).optional(),
});

export const externalChainsSchema = z.array(externalChainSchema).max(64).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `chain id "${c.id}" is listed twice` });
    seen.add(c.id);
  });
});

export type ExternalChainConfig = z.infer<typeof externalChainSchema>;

const issueText = (where: string, error: z.ZodError): string => {
  const issue = error.issues[0]!;
  return `${where}: ${issue.path.length ? issue.path.join('.') : 'the list'}: ${issue.message}`;
};

/** Checks a list of external chains (as in external-chains.json); CONFIG_INVALID says which entry and field is wrong. */
export function parseExternalChains(raw: unknown, where = EXTERNAL_CHAINS_FILE): ExternalChainConfig[] {
  const parsed = externalChainsSchema.safeParse(raw);
  if (!parsed.success) throw new ShulianError('CONFIG_INVALID', `${issueText(where, parsed.error)}; see docs/engines.md#external-chains-on-a-node`);
  return parsed.data;
}

/** Reads `<dataDir>/external-chains.json`; none when the file is absent. */
export function loadExternalChains(dataDir: string): ExternalChainConfig[] {
  const path = join(dataDir, EXTERNAL_CHAINS_FILE);
  if (!existsSync(path)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ShulianError('CONFIG_INVALID', `cannot read ${path}: ${(err as Error).message}; it must be a JSON array of external chains`);
  }
  return parseExternalChains(raw, path);
}

export interface ExternalChainsOptions {
  /** How often each chain is refreshed, ms (default 2000). */
  refreshMs?: number;
  /** Longest wait for one refresh, ms (default 3000); an RPC that does not answer is marked unreachable. */
  timeoutMs?: number;
  /** Headers kept per chain (default 20, at most 100). */
  latest?: number;
  /** Messages kept per chain (default 500). */
  maxMessages?: number;
  log?: (line: string) => void;
}

interface Entry {
  config: ExternalChainConfig;
  adapter?: ChainAdapter;
  info: ExternalChainInfo;
  /** The refresh still waiting on the chain's node, if any: never two at once. */
  pending?: Promise<void>;
  unsubscribe?: () => void;
  subscribing?: boolean;
  events: Promise<void>;
  times: Map<number, number>;
  messages: Map<string, ExternalMessageView>;
  order: string[];
}

/** What following an EVM chain takes: ethers and the EVM adapter and packets. */
interface EvmLib {
  EthereumAdapter: typeof EthereumAdapter;
  fromEvmPacket: typeof fromEvmPacket;
  /** The XEndpoint contract's ABI, for its events. */
  xendpoint: Interface;
}
let evmLib: Promise<EvmLib> | undefined;
/**
 * Loaded when a node first follows an external chain, not at every node start: ethers and the
 * adapters take about half a second of CPU to load, and most nodes follow none.
 */
function loadEvmLib(): Promise<EvmLib> {
  return (evmLib ??= (async () => {
    const [{ Interface: Abi }, adapters, evm] = await Promise.all([import('ethers'), import('../crosschain/adapters/index.ts'), import('../crosschain/evm/index.ts')]);
    return { EthereumAdapter: adapters.EthereumAdapter, fromEvmPacket: evm.fromEvmPacket, xendpoint: new Abi(evm.XENDPOINT_ABI) };
  })());
}

/**
 * The external chains a node follows, each through its ChainAdapter (docs/engines.md): a
 * background loop per chain refreshes its height, latest headers and finality, with a timeout,
 * into a cache the API serves; with an XEndpoint configured, its events are followed into
 * cross-chain message views. Nothing here sends a transaction.
 */
export class ExternalChains implements ExternalChainsView {
  readonly #entries = new Map<string, Entry>();
  readonly #abort = new AbortController();
  readonly #refreshMs: number;
  readonly #timeoutMs: number;
  readonly #latest: number;
  readonly #maxMessages: number;
  readonly #log: (line: string) => void;
  #loops: Promise<void>[] = [];

  constructor(configs: ExternalChainConfig[], opts: ExternalChainsOptions = {}) {
    this.#refreshMs = opts.refreshMs ?? 2000;
    this.#timeoutMs = opts.timeoutMs ?? 3000;
    this.#latest = Math.min(Math.max(opts.latest ?? 20, 1), 100);
    this.#maxMessages = opts.maxMessages ?? 500;
    this.#log = opts.log ?? (() => {});
    for (const config of parseExternalChains(configs, 'external chains')) {
      this.#entries.set(config.id, {
        config, events: Promise.resolve(), times: new Map(), messages: new Map(), order: [],
        info: {
          id: config.id, engine: config.engine, name: config.name ?? config.id, ...(config.nameZh ? { nameZh: config.nameZh } : {}),
          ...(config.endpoint ? { endpoint: config.endpoint.toLowerCase() } : {}), ...(config.chainId ? { chainId: config.chainId } : {}),
          reachable: false, checkedAt: 0, height: -1, latestBlocks: [],
        },
      });
    }
  }

  get ids(): string[] {
    return [...this.#entries.keys()];
  }

  /** Starts the background refresh of every chain; returns at once. */
  start(): void {
    if (this.#loops.length) return;
    this.#loops = [...this.#entries.values()].map((e) => this.#loop(e));
  }

  /** Refreshes every chain once (each bounded by the timeout) and resolves when all are done. */
  async refreshAll(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => this.#refresh(e)));
  }

  list(): ExternalChainInfo[] {
    return [...this.#entries.values()].map((e) => ({ ...e.info }));
  }

  get(id: string): ExternalChainInfo | undefined {
    const e = this.#entries.get(id);
    return e ? { ...e.info } : undefined;
  }

  messages(id: string, limit: number): ExternalMessageView[] | undefined {
    const e = this.#entries.get(id);
    if (!e?.config.endpoint) return undefined;
    return e.order.slice(-limit).reverse().map((k) => e.messages.get(k)!);
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
    for (const e of this.#entries.values()) {
      e.unsubscribe?.();
      await e.adapter?.close();
    }
  }

  async #loop(e: Entry): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await this.#refresh(e);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, this.#refreshMs);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  async #refresh(e: Entry): Promise<void> {
    e.pending ??= this.#update(e).finally(() => {
      e.pending = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#timeoutMs);
    });
    // Closing does not wait on a node that does not answer.
    const signal = this.#abort.signal;
    let onAbort: (() => void) | undefined;
    const closed = new Promise<'closed'>((resolve) => {
      onAbort = () => resolve('closed');
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const r = await Promise.race([e.pending.then(() => 'done' as const, (err: unknown) => err as Error), timedOut, closed]);
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
    if (r === 'closed') return;
    e.info.checkedAt = Date.now();
    if (r === 'done') return;
    const why = r === 'timeout' ? `no answer from its node within ${this.#timeoutMs} ms` : r.message;
    if (e.info.reachable || e.info.error !== why) this.#log(`external chain ${e.config.id}: unreachable (${why})`);
    e.info.reachable = false;
    e.info.error = why;
  }

  async #adapterOf(e: Entry): Promise<ChainAdapter> {
    if (e.adapter) return e.adapter;
    const { config } = e;
    const { EthereumAdapter } = await loadEvmLib();
    const chainId = config.chainId ?? await EthereumAdapter.chainIdOf(config.rpc, this.#timeoutMs);
    e.info.chainId = chainId;
    e.adapter = new EthereumAdapter({ id: config.id, url: config.rpc, name: e.info.name, chainId, confirmations: config.confirmations ?? 0, pollMs: this.#refreshMs, requestTimeoutMs: this.#timeoutMs });
    return e.adapter;
  }

  async #update(e: Entry): Promise<void> {
    const adapter = await this.#adapterOf(e);
    if (e.config.endpoint && !e.unsubscribe && !e.subscribing) this.#follow(e, adapter);
    const have = e.info.latestBlocks;
    const fin = await adapter.finality();
    let headers: ChainHeader[];
    if (have.length && fin.head >= have[0]!.height && fin.head - have[0]!.height < this.#latest) {
      const fresh = await Promise.all(Array.from({ length: fin.head - have[0]!.height }, (_, i) => adapter.header(fin.head - i)));
      headers = [...fresh.filter((h): h is ChainHeader => h !== null), ...have];
      // A reorganisation below the head replaced blocks: start over.
      const joined = headers.every((h, i) => i === 0 || headers[i - 1]!.parentHash === h.hash);
      if (!joined) headers = (await adapter.summary(this.#latest)).latestBlocks;
    } else {
      headers = (await adapter.summary(this.#latest)).latestBlocks;
    }
    headers = headers.slice(0, this.#latest);
    for (const h of headers) e.times.set(h.height, h.time);
    const top = headers[0];
    const wasDown = !e.info.reachable;
    Object.assign(e.info, { reachable: true, updatedAt: Date.now(), height: fin.head, finality: fin, latestBlocks: headers, headHash: top?.hash ?? '', lastBlockTime: top?.time ?? 0 });
    delete e.info.error;
    if (wasDown) this.#log(`external chain ${e.config.id}: reachable at height ${fin.head}`);
  }

  /** Follows the XEndpoint's events (through the adapter's subscription, from its deploy block). */
  #follow(e: Entry, adapter: ChainAdapter): void {
    e.subscribing = true;
    const onEvent = (ev: ChainEvent): void => {
      e.events = e.events.then(() => this.#onEvent(e, adapter, ev)).catch((err: unknown) => this.#log(`external chain ${e.config.id}: event: ${(err as Error).message}`));
    };
    let lastError = '';
    const onError = (err: Error): void => {
      // Polled every round: say it once, not every time (a refresh marks the chain unreachable anyway).
      if (err.message === lastError) return;
      lastError = err.message;
      this.#log(`external chain ${e.config.id}: reading its endpoint's events: ${err.message}`);
    };
    adapter.subscribe({ source: e.config.endpoint!.toLowerCase(), fromHeight: e.config.endpointFromBlock ?? 0 }, onEvent, onError)
      .then((stop) => {
        if (this.#abort.signal.aborted) stop();
        else e.unsubscribe = stop;
      }, (err: unknown) => {
        this.#log(`external chain ${e.config.id}: cannot follow its endpoint: ${(err as Error).message}`);
      })
      .finally(() => {
        e.subscribing = false;
      });
  }

  async #timeOf(adapter: ChainAdapter, e: Entry, height: number): Promise<number> {
    const hit = e.times.get(height);
    if (hit !== undefined) return hit;
    const h = await adapter.header(height);
    const t = h?.time ?? 0;
    e.times.set(height, t);
    if (e.times.size > 4 * this.#maxMessages) e.times.delete(e.times.keys().next().value!);
    return t;
  }

  async #onEvent(e: Entry, adapter: ChainAdapter, ev: ChainEvent): Promise<void> {
    const { xendpoint, fromEvmPacket } = await loadEvmLib();
    let log: LogDescription | null;
    try {
      log = xendpoint.parseLog({ topics: ev.topics ?? [], data: String(ev.data) });
    } catch {
      return;
    }
    if (!log) return;
    const step = async (name: 'sent' | 'acknowledged' | 'timed-out', by: string, ok?: boolean): Promise<ExternalMessageView['path'][number]> => ({
      step: name, chain: e.config.id, height: ev.height, time: await this.#timeOf(adapter, e, ev.height), tx: ev.tx, by, ...(ok === undefined ? {} : { ok }),
    });
    if (log.name === 'PacketSent') {
      const a = log.args[3] as unknown as unknown[];
      const p: EvmPacket = {
        srcChain: String(a[0]), srcPort: String(a[1]), dstChain: String(a[2]), dstPort: String(a[3]), sequence: BigInt(a[4] as bigint),
        sender: String(a[5]), denom: String(a[6]), amount: BigInt(a[7] as bigint), receiver: String(a[8]), timeoutHeight: BigInt(a[9] as bigint), timeoutTime: BigInt(a[10] as bigint),
      };
      const id = `${e.config.id}/${p.dstChain}/${p.sequence}`;
      if (e.messages.has(id)) return;
      e.messages.set(id, { id, engine: 'evm', packet: fromEvmPacket(p), status: 'sent', path: [await step('sent', p.sender.toLowerCase())] });
      e.order.push(id);
      while (e.order.length > this.#maxMessages) e.messages.delete(e.order.shift()!);
    } else if (log.name === 'PacketAcknowledged' || log.name === 'PacketTimedOut') {
      const id = `${e.config.id}/${String(log.args[0])}/${BigInt(log.args[1] as bigint)}`;
      const m = e.messages.get(id);
      if (!m || m.status !== 'sent') return;
      // The endpoint acts once k gateways have signed: "by" names the quorum, not one gateway.
      if (log.name === 'PacketAcknowledged') {
        m.status = 'acknowledged';
        m.path.push(await step('acknowledged', 'k-of-n gateways', Boolean(log.args[2])));
      } else {
        m.status = 'timed-out';
        m.path.push(await step('timed-out', 'k-of-n gateways'));
      }
    }
  }
}
