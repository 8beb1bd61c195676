/**
 * Ethereum JSON-RPC over a native chain: `POST /v1/chains/:chain/eth` answers the common read
 * calls so ethers/viem scripts can read a chain that runs the `evm` module (docs/engines.md).
 * Blocks, transactions and receipts are Shulian's, shown in Ethereum's shapes: hashes are the
 * Shulian hashes with 0x, addresses the 20 bytes behind a DID, block numbers the heights.
 * Writes are SM2-signed Shulian transactions (module evm): eth_sendRawTransaction is refused.
 * Batches (a JSON array of requests, up to 100) are answered in order.
 *
 * eth_call and eth_estimateGas run EVM code for anyone, unauthenticated (issue #13 follow-up):
 * the EVM runs on a worker pool of its own (render-pool.ts, evm-task.ts), reading state at the
 * call's height from this thread, so a loop contract never stalls the thread that serves the
 * API and drives consensus; every run gets at most `gasCap` gas; one client address may have at
 * most `perAddress` of them running at once, and the pool takes `workers` at once plus `queue`
 * waiting; past either bound the call is refused at once with -32005 (limit exceeded).
 */
import type { FastifyInstance } from 'fastify';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ShulianError, type JsonValue } from '../../codec/index.ts';
import type { ApiErrorCode } from '../errors.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import type { Block, Receipt, Tx } from '../../ledger/index.ts';
import {
  EVM_MODULE, acctKey, codeKey, genKey, storageKey, evmAddressOfDid, evmChainIdOf,
  type AccountRecord, type EvmLog,
} from '../../modules/evm/index.ts';
import type { EvmCallMessage, EvmTask, EvmTaskResult } from '../evm-task.ts';
import { frozenEvmContracts } from '../../modules/governance/index.ts';
import { RenderPool, type RenderPoolOptions } from '../render-pool.ts';

export interface EthOptions {
  /** eth_call / eth_estimateGas running at once for one client address (default 2); more are refused with -32005. */
  perAddress?: number;
  /** Most EVM gas one run may use (default 10,000,000; never more than the chain's maxTxGas). */
  gasCap?: number;
  /** The worker pool the EVM runs on, or its options (default: a pool of its own, closed with the app). */
  pool?: RenderPoolOptions | RenderPool;
}

export const ETH_DEFAULTS = { perAddress: 2, gasCap: 10_000_000 } as const;

/** JSON-RPC 2.0 and EIP-1474 error codes. */
export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  SERVER: -32000,
  RESOURCE_NOT_FOUND: -32001,
  TX_REJECTED: -32003,
  NOT_SUPPORTED: -32004,
  LIMIT_EXCEEDED: -32005,
  EXECUTION_REVERTED: 3,
} as const;

type RpcNumber = (typeof RPC)[keyof typeof RPC];
/** The Shulian code of each JSON-RPC error number (api/errors.ts lists them). */
const RPC_CODE = {
  [RPC.PARSE_ERROR]: 'RPC_PARSE_ERROR',
  [RPC.INVALID_REQUEST]: 'RPC_INVALID_REQUEST',
  [RPC.METHOD_NOT_FOUND]: 'RPC_METHOD_NOT_FOUND',
  [RPC.INVALID_PARAMS]: 'RPC_INVALID_PARAMS',
  [RPC.INTERNAL]: 'RPC_INTERNAL',
  [RPC.SERVER]: 'RPC_SERVER',
  [RPC.RESOURCE_NOT_FOUND]: 'RPC_RESOURCE_NOT_FOUND',
  [RPC.TX_REJECTED]: 'RPC_TX_REJECTED',
  [RPC.NOT_SUPPORTED]: 'RPC_NOT_SUPPORTED',
  [RPC.LIMIT_EXCEEDED]: 'RPC_LIMIT_EXCEEDED',
  [RPC.EXECUTION_REVERTED]: 'RPC_EXECUTION_REVERTED',
} as const satisfies Record<RpcNumber, ApiErrorCode>;

/** A JSON-RPC error: `rpcCode` is the number the answer carries, `code` its Shulian name. */
export class RpcError extends ShulianError<(typeof RPC_CODE)[RpcNumber]> {
  readonly rpcCode: RpcNumber;
  constructor(rpcCode: RpcNumber, message: string, readonly data?: string) {
    super(RPC_CODE[rpcCode], message);
    this.name = 'RpcError';
    this.rpcCode = rpcCode;
  }
}

const MAX_BATCH = 100;
/** Most blocks one eth_getLogs may scan. */
export const MAX_LOG_RANGE = 10_000;
const ZERO32 = '0x' + '00'.repeat(32);
const ZERO_ADDRESS = '0x' + '00'.repeat(20);
/** keccak256(rlp([])): the uncles hash of a block without uncles. */
const EMPTY_UNCLES = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const DATA_RE = /^0x([0-9a-fA-F]{2})*$/;
const QUANTITY_RE = /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/;

const qty = (n: number | bigint): string => '0x' + n.toString(16);
const invalid = (msg: string): never => {
  throw new RpcError(RPC.INVALID_PARAMS, msg);
};

function addressOfDid(did: string): string {
  try {
    return evmAddressOfDid(did);
  } catch {
    return ZERO_ADDRESS;
  }
}

function paramAddress(v: unknown, what: string): string {
  if (typeof v !== 'string' || !ADDRESS_RE.test(v)) invalid(`${what}: an address, 0x and 40 hex digits`);
  return (v as string).toLowerCase();
}

function paramQuantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !QUANTITY_RE.test(v)) invalid(`${what}: a hex quantity such as 0x1a, without leading zeros`);
  return BigInt(v as string);
}

function paramData(v: unknown, what: string): string {
  if (typeof v !== 'string' || !DATA_RE.test(v)) invalid(`${what}: hex data starting with 0x`);
  return v as string;
}

/** Logs bloom (Ethereum yellow paper §4.3.1): 3 bits of 2048 per address and topic. */
function bloomOf(logs: EvmLog[]): string {
  const bloom = new Uint8Array(256);
  const add = (hex: string): void => {
    const h = keccak_256(Buffer.from(hex.slice(2), 'hex'));
    for (let i = 0; i < 6; i += 2) {
      const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
      bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
    }
  };
  for (const l of logs) {
    add(l.address);
    for (const t of l.topics) add(t);
  }
  return '0x' + Buffer.from(bloom).toString('hex');
}

const logsOf = (r: Receipt): EvmLog[] => r.status === 'ok'
  ? r.events.filter((e) => e.module === EVM_MODULE && e.type === 'Log').map((e) => e.data as unknown as EvmLog)
  : [];

/** Where EVM runs happen and how many one address may have at once. */
class EvmRunner {
  readonly #running = new Map<string, number>();
  constructor(readonly pool: RenderPool, readonly perAddress: number, readonly gasCap: number) {}

  async run(task: EvmTask, read: (key: string) => JsonValue | undefined, ip: string): Promise<EvmTaskResult> {
    const n = this.#running.get(ip) ?? 0;
    if (n >= this.perAddress) {
      throw new RpcError(RPC.LIMIT_EXCEEDED, `${n} eth_call / eth_estimateGas from this address (${ip}) are running, the most one address may run at once; send the next when one has answered`);
    }
    this.#running.set(ip, n + 1);
    try {
      return (await this.pool.run(task, read)).json as EvmTaskResult;
    } finally {
      const left = (this.#running.get(ip) ?? 1) - 1;
      if (left === 0) this.#running.delete(ip);
      else this.#running.set(ip, left);
    }
  }
}

/** Ethereum view of one chain: blocks, txs, receipts, state and calls. */
class EthChain {
  readonly chainId: number;
  constructor(readonly chain: ChainView, readonly clientVersion: string, readonly runner: EvmRunner, readonly gov: () => ChainView | undefined = () => undefined) {
    this.chainId = evmChainIdOf(chain.id);
  }

  /** Gas one run may use here: the RPC cap, within the chain's own limit. */
  get gasCap(): number {
    return Math.min(this.runner.gasCap, this.chain.genesis.params.maxTxGas);
  }

  private get hasEvm(): boolean {
    return this.chain.genesis.modules.includes(EVM_MODULE);
  }

  private requireEvm(): void {
    if (!this.hasEvm) throw new RpcError(RPC.NOT_SUPPORTED, `chain ${this.chain.id} does not run the evm module; its genesis would have to name it`);
  }

  /** A block tag or number (or EIP-1898 {blockNumber}/{blockHash}) as a height; future heights fail. */
  height(tag: unknown, what = 'block'): number {
    const head = this.chain.height();
    if (tag === undefined || tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') return head;
    if (tag === 'earliest') return 0;
    if (tag !== null && typeof tag === 'object') {
      const o = tag as { blockNumber?: unknown; blockHash?: unknown };
      if (o.blockHash !== undefined) {
        const h = this.heightOfHash(paramHash(o.blockHash, `${what}.blockHash`));
        if (h === undefined) throw new RpcError(RPC.RESOURCE_NOT_FOUND, `chain ${this.chain.id} has no block ${String(o.blockHash)}`);
        return h;
      }
      return this.height(o.blockNumber, what);
    }
    const n = paramQuantity(tag, `${what}: a block number or latest, earliest, pending, safe, finalized`);
    if (n > BigInt(head)) throw new RpcError(RPC.RESOURCE_NOT_FOUND, `header not found: chain ${this.chain.id} is at block ${head}, not ${n}`);
    return Number(n);
  }

  /** Height of a block hash: recent blocks first (a linear scan; fine for the chains this serves). */
  heightOfHash(hash: string): number | undefined {
    const want = hash.slice(2).toLowerCase();
    let before: number | undefined;
    for (;;) {
      const page = this.chain.blocks(before === undefined ? { limit: 100 } : { before, limit: 100 });
      for (const b of page) if (b.hash === want) return b.height;
      if (page.length === 0 || page[page.length - 1]!.height === 0) return undefined;
      before = page[page.length - 1]!.height;
    }
  }

  state(key: string, height: number): JsonValue | undefined {
    const v = this.chain.getState(`${EVM_MODULE}/${key}`, { height }).value;
    return v === null ? undefined : v;
  }

  block(height: number, full: boolean): Record<string, unknown> | null {
    const b = this.chain.getBlock(height);
    if (!b) return null;
    const h = b.header;
    const logs = b.receipts.flatMap(logsOf);
    const gasUsed = b.receipts.reduce((s, r) => s + r.gasUsed, 0);
    const p = this.chain.genesis.params;
    return {
      number: qty(h.height), hash: '0x' + b.hash, parentHash: '0x' + h.prev, nonce: '0x0000000000000000', sha3Uncles: EMPTY_UNCLES,
      logsBloom: bloomOf(logs), transactionsRoot: '0x' + h.txRoot, stateRoot: '0x' + h.stateRoot, receiptsRoot: '0x' + h.receiptRoot,
      miner: h.proposer === 'genesis' ? ZERO_ADDRESS : addressOfDid(h.proposer), difficulty: '0x0', totalDifficulty: '0x0', extraData: '0x',
      size: qty(b.txs.length), gasLimit: qty(p.maxTxGas * p.maxBlockTxs), gasUsed: qty(gasUsed), timestamp: qty(Math.floor(h.time / 1000)),
      transactions: b.txs.map((tx, i) => full ? this.txObject(tx, b.receipts[i]!.tx, b, i) : '0x' + b.receipts[i]!.tx),
      uncles: [], baseFeePerGas: '0x0', mixHash: ZERO32,
    };
  }

  private txObject(tx: Tx, hash: string, b: Block, index: number): Record<string, unknown> {
    const isEvm = tx.module === EVM_MODULE;
    const args = (tx.args ?? {}) as { to?: string; data?: string; code?: string; value?: string; gas?: number };
    const input = isEvm ? (tx.method === 'deploy' ? args.code : args.data) ?? '0x' : '0x';
    return {
      hash: '0x' + hash, nonce: qty(tx.nonce), blockHash: '0x' + b.hash, blockNumber: qty(b.header.height), transactionIndex: qty(index),
      from: addressOfDid(tx.from), to: isEvm && tx.method === 'call' && args.to ? args.to.toLowerCase() : null,
      value: qty(BigInt(isEvm ? args.value ?? '0' : '0')), gas: qty(args.gas ?? this.chain.genesis.params.maxTxGas), gasPrice: '0x0',
      input: input.startsWith('0x') ? input : '0x' + input, type: '0x0', chainId: qty(this.chainId),
      // A deploy's contract address (the CREATE address of the sender's EVM nonce, not of `nonce`).
      ...(isEvm && tx.method === 'deploy' ? { creates: (b.receipts[index]?.result as { address?: string } | undefined)?.address ?? null } : {}),
      // Shulian txs are SM2-signed (`shulian.sig`); there is no secp256k1 signature to show.
      v: '0x1b', r: ZERO32, s: ZERO32,
      shulian: { module: tx.module, method: tx.method, from: tx.from, sig: tx.sig },
    };
  }

  tx(hash: string): Record<string, unknown> | null {
    const inc = this.chain.getTx(hash.slice(2).toLowerCase());
    if (!inc) return null;
    const b = this.chain.getBlock(inc.height)!;
    return this.txObject(inc.tx, inc.hash, b, inc.index);
  }

  receipt(hash: string): Record<string, unknown> | null {
    const inc = this.chain.getTx(hash.slice(2).toLowerCase());
    if (!inc) return null;
    const b = this.chain.getBlock(inc.height)!;
    let logIndex = 0;
    let cumulative = 0;
    for (let i = 0; i < inc.index; i++) {
      logIndex += logsOf(b.receipts[i]!).length;
      cumulative += b.receipts[i]!.gasUsed;
    }
    const r = inc.receipt;
    const logs = logsOf(r);
    const tx = inc.tx;
    const args = (tx.args ?? {}) as { to?: string };
    const result = (r.result ?? {}) as { address?: string };
    return {
      transactionHash: '0x' + inc.hash, transactionIndex: qty(inc.index), blockHash: '0x' + inc.blockHash, blockNumber: qty(inc.height),
      from: addressOfDid(tx.from), to: tx.module === EVM_MODULE && tx.method === 'call' && args.to ? args.to.toLowerCase() : null,
      contractAddress: tx.module === EVM_MODULE && tx.method === 'deploy' && r.status === 'ok' && result.address ? result.address : null,
      cumulativeGasUsed: qty(cumulative + r.gasUsed), gasUsed: qty(r.gasUsed), effectiveGasPrice: '0x0',
      logs: logs.map((l, i) => this.logObject(l, b, inc.index, inc.hash, logIndex + i)),
      logsBloom: bloomOf(logs), type: '0x0', status: r.status === 'ok' ? '0x1' : '0x0',
      ...(r.status === 'failed' ? { shulian: { code: r.code, message: r.message } } : {}),
    };
  }

  private logObject(l: EvmLog, b: Block, txIndex: number, txHash: string, logIndex: number): Record<string, unknown> {
    return {
      address: l.address, topics: l.topics, data: l.data, blockNumber: qty(b.header.height), blockHash: '0x' + b.hash,
      transactionHash: '0x' + txHash, transactionIndex: qty(txIndex), logIndex: qty(logIndex), removed: false,
    };
  }

  logs(filter: unknown): Array<Record<string, unknown>> {
    if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) invalid('eth_getLogs takes one filter object');
    const f = filter as { fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown; address?: unknown; topics?: unknown };
    let from: number;
    let to: number;
    if (f.blockHash !== undefined) {
      if (f.fromBlock !== undefined || f.toBlock !== undefined) invalid('give blockHash or fromBlock/toBlock, not both');
      const h = this.heightOfHash(paramHash(f.blockHash, 'blockHash'));
      if (h === undefined) throw new RpcError(RPC.RESOURCE_NOT_FOUND, `chain ${this.chain.id} has no block ${String(f.blockHash)}`);
      from = to = h;
    } else {
      from = this.height(f.fromBlock ?? 'latest', 'fromBlock');
      to = this.height(f.toBlock ?? 'latest', 'toBlock');
    }
    if (from > to) invalid(`fromBlock ${from} is after toBlock ${to}`);
    if (to - from + 1 > MAX_LOG_RANGE) throw new RpcError(RPC.LIMIT_EXCEEDED, `a log query may span at most ${MAX_LOG_RANGE} blocks; ask for a smaller range`);
    const addrs = f.address === undefined || f.address === null ? undefined
      : new Set((Array.isArray(f.address) ? f.address : [f.address]).map((a, i) => paramAddress(a, `address[${i}]`)));
    if (f.topics !== undefined && f.topics !== null && !Array.isArray(f.topics)) invalid('topics: an array');
    const topics = ((f.topics ?? []) as unknown[]).map((t, i) => {
      if (t === null) return undefined;
      const list = Array.isArray(t) ? t : [t];
      return new Set(list.map((x) => paramHash(x, `topics[${i}]`).toLowerCase()));
    });
    if (topics.length > 4) invalid('topics: at most 4 positions');
    const out: Array<Record<string, unknown>> = [];
    for (let h = from; h <= to; h++) {
      const b = this.chain.getBlock(h);
      if (!b) continue;
      let logIndex = 0;
      b.receipts.forEach((r, txIndex) => {
        for (const l of logsOf(r)) {
          const ok = (!addrs || addrs.has(l.address.toLowerCase()))
            && topics.every((set, i) => !set || (l.topics[i] !== undefined && set.has(l.topics[i]!.toLowerCase())));
          if (ok) out.push(this.logObject(l, b, txIndex, r.tx, logIndex));
          logIndex++;
        }
      });
    }
    return out;
  }

  /** Runs the call (or its gas estimate) on the EVM pool, reading state at the tag's height. */
  async call(callObj: unknown, tag: unknown, ip: string, kind: EvmTask['kind'] = 'evm-call'): Promise<EvmTaskResult> {
    this.requireEvm();
    if (callObj === null || typeof callObj !== 'object' || Array.isArray(callObj)) invalid('the call: an object {from?, to?, data?, value?, gas?}');
    const c = callObj as { from?: unknown; to?: unknown; data?: unknown; input?: unknown; value?: unknown; gas?: unknown };
    const height = this.height(tag);
    const b = this.chain.getBlock(height)!;
    const msg: EvmCallMessage = {
      data: c.input !== undefined ? paramData(c.input, 'input') : c.data !== undefined ? paramData(c.data, 'data') : '0x',
    };
    if (c.from !== undefined && c.from !== null) msg.from = paramAddress(c.from, 'from');
    if (c.to !== undefined && c.to !== null) msg.to = paramAddress(c.to, 'to');
    if (c.value !== undefined && c.value !== null) msg.value = paramQuantity(c.value, 'value');
    if (c.gas !== undefined && c.gas !== null) {
      const g = paramQuantity(c.gas, 'gas');
      msg.gas = g > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(g);
    }
    const env = { chain: this.chain.id, height, time: b.header.time, blockGasLimit: this.chain.genesis.params.maxTxGas };
    // Freezes as the governance chain's latest state says: a dry run refuses what a tx sent now would meet.
    const gov = this.gov();
    const frozen = gov ? frozenEvmContracts((k) => gov.getState(k).value, gov.height(), this.chain.id) : {};
    return this.runner.run({ kind, env, msg, gasCap: this.gasCap, ...(Object.keys(frozen).length ? { frozen } : {}) }, (k) => this.state(k, height), ip);
  }

  account(address: string, height: number): AccountRecord | undefined {
    return this.state(acctKey(address.slice(2)), height) as AccountRecord | undefined;
  }

  code(address: string, height: number): string {
    const c = this.state(codeKey(address.slice(2)), height);
    return typeof c === 'string' ? '0x' + c : '0x';
  }

  storage(address: string, slot: bigint, height: number): string {
    const a = address.slice(2);
    const g = this.state(genKey(a), height);
    const v = this.state(storageKey(a, typeof g === 'number' ? g : 0, slot.toString(16).padStart(64, '0')), height);
    return '0x' + (typeof v === 'string' ? v : '').padStart(64, '0');
  }
}

function paramHash(v: unknown, what: string): string {
  if (typeof v !== 'string' || !HASH_RE.test(v)) invalid(`${what}: a 32-byte hash, 0x and 64 hex digits`);
  return v as string;
}

function failure(out: EvmTaskResult, e: EthChain): RpcError {
  if (out.error === 'frozen') return new RpcError(RPC.SERVER, `FROZEN: ${out.reason ?? 'a contract the call reaches is frozen by governance'}`, 'FROZEN');
  if (out.error === 'revert') return new RpcError(RPC.EXECUTION_REVERTED, `execution reverted${out.reason && !out.reason.startsWith('0x') ? `: ${out.reason}` : ''}`, out.returnData);
  const capped = out.error === 'out of gas' && e.gasCap < e.chain.genesis.params.maxTxGas;
  return new RpcError(RPC.SERVER, `the EVM stopped: ${out.error}${capped ? ` (this node gives one eth_call at most ${e.gasCap} gas)` : ''}`);
}

type Params = unknown[];

/** Answers one JSON-RPC method for a client at `ip`. */
async function dispatch(e: EthChain, method: string, params: Params, ip: string): Promise<unknown> {
  const p = (i: number): unknown => params[i];
  switch (method) {
    case 'web3_clientVersion': return e.clientVersion;
    case 'web3_sha3': return '0x' + Buffer.from(keccak_256(Buffer.from(paramData(p(0), 'data').slice(2), 'hex'))).toString('hex');
    case 'net_version': return String(e.chainId);
    case 'net_listening': return true;
    case 'net_peerCount': return '0x0';
    case 'eth_chainId': return qty(e.chainId);
    case 'eth_blockNumber': return qty(e.chain.height());
    case 'eth_syncing': return false;
    case 'eth_mining': return false;
    case 'eth_hashrate': return '0x0';
    case 'eth_gasPrice': return '0x0';
    case 'eth_maxPriorityFeePerGas': return '0x0';
    case 'eth_accounts': return [];
    case 'eth_getBlockByNumber': {
      const head = e.chain.height();
      const tag = p(0);
      // A block not yet produced is null, as in Ethereum.
      if (typeof tag === 'string' && QUANTITY_RE.test(tag) && BigInt(tag) > BigInt(head)) return null;
      return e.block(e.height(tag), p(1) === true);
    }
    case 'eth_getBlockByHash': {
      const h = e.heightOfHash(paramHash(p(0), 'block hash'));
      return h === undefined ? null : e.block(h, p(1) === true);
    }
    case 'eth_getBlockTransactionCountByNumber': {
      const b = e.chain.getBlock(e.height(p(0)));
      return b ? qty(b.txs.length) : null;
    }
    case 'eth_getTransactionByHash': return e.tx(paramHash(p(0), 'transaction hash'));
    case 'eth_getTransactionReceipt': return e.receipt(paramHash(p(0), 'transaction hash'));
    case 'eth_getTransactionCount': {
      const a = e.account(paramAddress(p(0), 'address'), e.height(p(1)));
      return qty(BigInt(a?.nonce ?? '0'));
    }
    case 'eth_getBalance': {
      const a = e.account(paramAddress(p(0), 'address'), e.height(p(1)));
      return qty(BigInt(a?.balance ?? '0'));
    }
    case 'eth_getCode': return e.code(paramAddress(p(0), 'address'), e.height(p(1)));
    case 'eth_getStorageAt': return e.storage(paramAddress(p(0), 'address'), paramQuantity(p(1), 'storage slot'), e.height(p(2)));
    case 'eth_call': {
      const out = await e.call(p(0), p(1), ip);
      if (!out.ok) throw failure(out, e);
      return out.returnData;
    }
    case 'eth_estimateGas': {
      // The least gas the call succeeds with, found on the worker (evm-task.ts).
      const callObj = p(0) !== null && typeof p(0) === 'object' && !Array.isArray(p(0)) ? { ...(p(0) as Record<string, unknown>) } : p(0);
      if (callObj !== null && typeof callObj === 'object') delete (callObj as Record<string, unknown>).gas;
      const out = await e.call(callObj, p(1), ip, 'evm-estimate');
      if (!out.ok) throw failure(out, e);
      return qty(BigInt(out.gas!));
    }
    case 'eth_getLogs': return e.logs(p(0));
    case 'eth_feeHistory': return { oldestBlock: qty(e.chain.height()), baseFeePerGas: ['0x0', '0x0'], gasUsedRatio: [0], reward: [] };
    case 'eth_sendRawTransaction':
    case 'eth_sendTransaction':
    case 'eth_sign':
    case 'eth_signTransaction':
      throw new RpcError(RPC.TX_REJECTED, `${method} is not supported: writes on Shulian chain ${e.chain.id} are SM2-signed Shulian transactions (module "evm", methods "deploy" and "call"); send them with the SDK (ShulianClient.send) or \`shulian tx\``);
    default:
      throw new RpcError(RPC.METHOD_NOT_FOUND, `method ${method} is not supported here; see docs/engines.md for the eth_* methods a Shulian chain answers`);
  }
}

interface RpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

type RpcResponse = { jsonrpc: '2.0'; id: unknown; result: unknown } | { jsonrpc: '2.0'; id: unknown; error: { code: number; message: string; data?: string } };

const errorResponse = (id: unknown, err: RpcError): RpcResponse => ({
  jsonrpc: '2.0', id, error: { code: err.rpcCode, message: err.message, ...(err.data !== undefined ? { data: err.data } : {}) },
});

async function answer(e: EthChain, req: unknown, ip: string): Promise<RpcResponse | undefined> {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return errorResponse(null, new RpcError(RPC.INVALID_REQUEST, 'a request is an object {jsonrpc: "2.0", id, method, params}'));
  const r = req as RpcRequest;
  const id = typeof r.id === 'string' || typeof r.id === 'number' || r.id === null ? r.id : undefined;
  if (r.id !== undefined && id === undefined) return errorResponse(null, new RpcError(RPC.INVALID_REQUEST, 'id must be a string, a number or null'));
  if (r.jsonrpc !== '2.0') return errorResponse(id ?? null, new RpcError(RPC.INVALID_REQUEST, 'jsonrpc must be "2.0"'));
  if (typeof r.method !== 'string' || r.method.length === 0 || r.method.length > 64) return errorResponse(id ?? null, new RpcError(RPC.INVALID_REQUEST, 'method must be a method name'));
  if (r.params !== undefined && !Array.isArray(r.params)) return errorResponse(id ?? null, new RpcError(RPC.INVALID_PARAMS, 'params must be an array'));
  let res: RpcResponse;
  try {
    res = { jsonrpc: '2.0', id: id ?? null, result: await dispatch(e, r.method, (r.params ?? []) as Params, ip) };
  } catch (err) {
    if (err instanceof RpcError) res = errorResponse(id ?? null, err);
    else if (err instanceof ShulianError && err.code === 'BUSY') res = errorResponse(id ?? null, new RpcError(RPC.LIMIT_EXCEEDED, `limit exceeded: ${err.message}`));
    else if (err instanceof ShulianError) res = errorResponse(id ?? null, new RpcError(err.code === 'HEIGHT_NOT_FOUND' ? RPC.RESOURCE_NOT_FOUND : RPC.SERVER, `${err.code}: ${err.message}`));
    else res = errorResponse(id ?? null, new RpcError(RPC.INTERNAL, `internal error: ${(err as Error).message}`));
  }
  // A notification (no id) gets no answer.
  return id === undefined ? undefined : res;
}

export function registerEthRoutes(app: FastifyInstance, node: NodeView, opts: EthOptions = {}): void {
  const views = new Map<string, EthChain>();
  const pool = opts.pool instanceof RenderPool ? opts.pool : new RenderPool({ work: 'EVM calls running', ...opts.pool });
  if (!(opts.pool instanceof RenderPool)) app.addHook('onClose', async () => pool.close());
  const perAddress = opts.perAddress ?? ETH_DEFAULTS.perAddress;
  const gasCap = opts.gasCap ?? ETH_DEFAULTS.gasCap;
  if (!Number.isInteger(perAddress) || perAddress < 1) throw new ShulianError('BAD_OPTIONS', `eth.perAddress must be a whole number ≥ 1, not ${perAddress}`);
  if (!Number.isInteger(gasCap) || gasCap < 21_000) throw new ShulianError('BAD_OPTIONS', `eth.gasCap must be a whole number ≥ 21000, not ${gasCap}`);
  const runner = new EvmRunner(pool, perAddress, gasCap);
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { chain: string }; Body: string }>('/v1/chains/:chain/eth', {
      schema: {
        tags: ['ethereum'], summary: 'Ethereum JSON-RPC (read calls: eth_call, eth_getLogs, blocks, receipts...) over a chain running the evm module; see docs/engines.md',
        params: { type: 'object', properties: { chain: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } }, required: ['chain'] },
      },
      validatorCompiler: () => () => true,
    }, async (req, reply) => {
      const chain = node.chain(req.params.chain);
      if (!chain) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${req.params.chain}"; GET /v1/chains lists them`);
      let e = views.get(chain.id);
      if (!e || e.chain !== chain) views.set(chain.id, (e = new EthChain(chain, `Shulian/v${node.version}/node${process.versions.node}`, runner, () => node.chains().find((c) => c.genesis.modules.includes('governance')))));
      let body: unknown;
      try {
        body = JSON.parse(typeof req.body === 'string' ? req.body : '');
      } catch {
        return reply.send(errorResponse(null, new RpcError(RPC.PARSE_ERROR, 'the body is not valid JSON')));
      }
      if (Array.isArray(body)) {
        if (body.length === 0) return reply.send(errorResponse(null, new RpcError(RPC.INVALID_REQUEST, 'an empty batch')));
        if (body.length > MAX_BATCH) return reply.send(errorResponse(null, new RpcError(RPC.LIMIT_EXCEEDED, `a batch may hold at most ${MAX_BATCH} requests`)));
        const out: RpcResponse[] = [];
        for (const r of body) {
          const a = await answer(e, r, req.ip);
          if (a) out.push(a);
        }
        return out.length === 0 ? reply.status(204).send() : reply.send(out);
      }
      const a = await answer(e, body, req.ip);
      return a ? reply.send(a) : reply.status(204).send();
    });
  });
}
