import { Contract, ContractFactory, JsonRpcProvider, Wallet, type ContractTransactionResponse, type Log } from 'ethers';
import { ShulianError } from '../../codec/index.ts';
import { PACKET_TUPLE, type EvmDomain, type EvmPacket } from './packets.ts';

/** XEndpoint's ABI (contracts/solidity/XEndpoint.sol), as much of it as Shulian uses. */
export const XENDPOINT_ABI = [
  'constructor(string name, address[] gateways, uint256 threshold)',
  'function chainName() view returns (string)',
  'function gateways() view returns (address[])',
  'function gatewayIndex(address) view returns (uint256)',
  'function threshold() view returns (uint256)',
  'function setVersion() view returns (uint256)',
  'function issuer(string) view returns (address)',
  'function balanceOf(string, address) view returns (uint256)',
  'function supply(string) view returns (uint256)',
  'function escrow(string, string) view returns (uint256)',
  'function sequenceOf(string) view returns (uint64)',
  'function approvals(bytes32) view returns (uint256)',
  'function executed(bytes32) view returns (bool)',
  'function outbound(string dstChain, uint64 sequence) view returns (tuple(bytes32 commitment, address sender, uint256 amount, string denom, uint8 status))',
  'function receiptOf(string srcChain, uint64 sequence) view returns (tuple(bool done, bool ok, string reason))',
  `function recvDigest(${PACKET_TUPLE}[] packets) view returns (bytes32)`,
  'function issue(string denom)',
  'function mint(string denom, address to, uint256 amount)',
  'function transfer(string denom, address to, uint256 amount)',
  'function send(string dstChain, string denom, uint256 amount, string receiver, uint64 timeoutHeight, uint64 timeoutTime) returns (uint64)',
  `function recv(${PACKET_TUPLE}[] packets, bytes[] signatures)`,
  'function acknowledge(string dstChain, uint64 sequence, bool ok, bytes[] signatures)',
  'function timeout(string dstChain, uint64 sequence, bytes[] signatures)',
  'function updateGateways(address[] newGateways, uint256 newThreshold, bytes[] signatures)',
  `event PacketSent(string dstChain, uint64 indexed sequence, bytes32 indexed commitment, ${PACKET_TUPLE} packet)`,
  'event PacketReceived(string srcChain, uint64 indexed sequence, bool ok, string reason)',
  'event PacketExpired(string srcChain, uint64 indexed sequence)',
  'event Attested(bytes32 indexed digest, address indexed gateway, uint256 count)',
  'event PacketAcknowledged(string dstChain, uint64 indexed sequence, bool ok)',
  'event PacketTimedOut(string dstChain, uint64 indexed sequence)',
  'event Refunded(string dstChain, uint64 indexed sequence, address indexed to, string denom, uint256 amount)',
  'error BadGatewaySet(string why)',
  'error BadSignature(uint256 index, string why)',
  'error NotGateway(address signer)',
  'error DuplicateSigner(address signer)',
  'error Quorum(uint256 have, uint256 need)',
  'error WrongPath(string why)',
  'error Insufficient(string what, uint256 have, uint256 need)',
  'error BadAmount()',
  'error Unknown(string what)',
];

export type OutStatus = 'none' | 'sent' | 'acknowledged' | 'timed-out';
const STATUS: OutStatus[] = ['none', 'sent', 'acknowledged', 'timed-out'];

export interface EvmOutbound {
  commitment: string;
  sender: string;
  amount: bigint;
  denom: string;
  status: OutStatus;
}

export interface EvmTxResult {
  status: 'ok' | 'failed';
  hash?: string;
  height?: number;
  /** Decoded custom error or revert reason, for a refused or failed call. */
  error?: string;
  events: Array<{ name: string; args: unknown[] }>;
}

export interface EvmEndpointOptions {
  /** The EVM chain's id in the alliance (as registered on the routing chain). */
  id: string;
  /** JSON-RPC URL of the EVM node. */
  url: string;
  /** XEndpoint's address. */
  address: string;
  /** The account this endpoint sends from (secp256k1, 0x hex). */
  privateKey?: string;
  /** Gas limit of endpoint txs (default 3 000 000): fixed rather than estimated, because whether a
   *  signature is the k-th (and so executes the packets) can change between estimate and mining. */
  gasLimit?: bigint;
  /** The block XEndpoint was deployed in: where PacketSent logs are looked up from (default 0). */
  fromBlock?: number;
}

const asPacket = (r: unknown): EvmPacket => {
  const a = r as unknown[];
  return {
    srcChain: String(a[0]), srcPort: String(a[1]), dstChain: String(a[2]), dstPort: String(a[3]), sequence: BigInt(a[4] as bigint),
    sender: String(a[5]), denom: String(a[6]), amount: BigInt(a[7] as bigint), receiver: String(a[8]), timeoutHeight: BigInt(a[9] as bigint), timeoutTime: BigInt(a[10] as bigint),
  };
};
const tuple = (p: EvmPacket): unknown[] => [p.srcChain, p.srcPort, p.dstChain, p.dstPort, p.sequence, p.sender, p.denom, p.amount, p.receiver, p.timeoutHeight, p.timeoutTime];

/**
 * Shulian's cross-chain endpoint contract on an EVM chain, over ethers and JSON-RPC: the reads a
 * gateway needs (packets sent, receipts, approvals, the gateway set) and its writes (attestations
 * of packets, acknowledgements and timeouts), plus the token calls users make.
 */
export class EvmEndpoint {
  readonly id: string;
  readonly address: string;
  readonly provider: JsonRpcProvider;
  readonly contract: Contract;
  readonly wallet: Wallet | undefined;
  readonly #gasLimit: bigint;
  readonly #fromBlock: number;
  readonly #ownsProvider: boolean;
  readonly #packets = new Map<string, EvmPacket>();

  constructor(opts: EvmEndpointOptions, provider?: JsonRpcProvider) {
    this.id = opts.id;
    this.address = opts.address.toLowerCase();
    this.#ownsProvider = !provider;
    this.provider = provider ?? new JsonRpcProvider(opts.url, undefined, { cacheTimeout: -1, polling: false });
    this.wallet = opts.privateKey ? new Wallet(opts.privateKey, this.provider) : undefined;
    this.contract = new Contract(this.address, XENDPOINT_ABI, this.wallet ?? this.provider);
    this.#gasLimit = opts.gasLimit ?? 3_000_000n;
    this.#fromBlock = opts.fromBlock ?? 0;
  }

  /** The same endpoint sending from another account (sharing the connection). */
  as(privateKey: string): EvmEndpoint {
    return new EvmEndpoint({ id: this.id, url: '', address: this.address, privateKey, gasLimit: this.#gasLimit, fromBlock: this.#fromBlock }, this.provider);
  }

  /** Deploys XEndpoint (bytecode from build/solidity/XEndpoint.json) and returns its address. */
  static async deploy(opts: { url: string; privateKey: string; bytecode: string; chainName: string; gateways: string[]; threshold: number }): Promise<string> {
    const provider = new JsonRpcProvider(opts.url, undefined, { cacheTimeout: -1, polling: false });
    try {
      const factory = new ContractFactory(XENDPOINT_ABI, opts.bytecode, new Wallet(opts.privateKey, provider));
      const c = await factory.deploy(opts.chainName, opts.gateways, opts.threshold);
      await c.waitForDeployment();
      return (await c.getAddress()).toLowerCase();
    } finally {
      provider.destroy();
    }
  }

  get account(): string | undefined {
    return this.wallet?.address.toLowerCase();
  }

  async domain(): Promise<EvmDomain> {
    const [net, setVersion, chainName] = await Promise.all([this.provider.getNetwork(), this.contract.setVersion!() as Promise<bigint>, this.contract.chainName!() as Promise<string>]);
    return { chainId: net.chainId, address: this.address, setVersion, chainName };
  }

  /** The latest block: its number and time in ms (what native packets' timeouts are measured in). */
  async head(): Promise<{ number: number; timeMs: number }> {
    const b = await this.provider.getBlock('latest');
    if (!b) throw new ShulianError('EVM_NO_BLOCK', `chain ${this.id} answered no latest block`);
    return { number: b.number, timeMs: b.timestamp * 1000 };
  }

  async gatewayIndex(addr: string): Promise<number> {
    return Number(await this.contract.gatewayIndex!(addr));
  }

  async sequenceOf(dst: string): Promise<number> {
    return Number(await this.contract.sequenceOf!(dst));
  }

  async outbound(dst: string, seq: number): Promise<EvmOutbound> {
    const o = await this.contract.outbound!(dst, seq) as unknown[];
    return { commitment: String(o[0]), sender: String(o[1]).toLowerCase(), amount: BigInt(o[2] as bigint), denom: String(o[3]), status: STATUS[Number(o[4])] ?? 'none' };
  }

  /** The packet sent as `seq` to `dst`, from its PacketSent log (cached: a sent packet never changes). */
  async sentPacket(dst: string, seq: number, commitment: string): Promise<EvmPacket | null> {
    const key = `${dst}/${seq}`;
    const hit = this.#packets.get(key);
    if (hit) return hit;
    const logs = await this.contract.queryFilter(this.contract.filters.PacketSent!(null, seq, commitment), this.#fromBlock, 'latest');
    for (const l of logs) {
      const parsed = this.contract.interface.parseLog(l as Log);
      if (!parsed || parsed.args[0] !== dst) continue;
      const p = asPacket(parsed.args[3]);
      this.#packets.set(key, p);
      return p;
    }
    return null;
  }

  async receiptOf(src: string, seq: number, blockTag?: number): Promise<{ done: boolean; ok: boolean; reason: string }> {
    const r = await this.contract.receiptOf!(src, seq, blockTag === undefined ? {} : { blockTag }) as unknown[];
    return { done: Boolean(r[0]), ok: Boolean(r[1]), reason: String(r[2]) };
  }

  async approvals(digest: string): Promise<{ bits: bigint; executed: boolean }> {
    const [bits, executed] = await Promise.all([this.contract.approvals!(digest) as Promise<bigint>, this.contract.executed!(digest) as Promise<boolean>]);
    return { bits, executed };
  }

  async balanceOf(denom: string, account: string): Promise<bigint> {
    return this.contract.balanceOf!(denom, account) as Promise<bigint>;
  }

  async escrow(dst: string, denom: string): Promise<bigint> {
    return this.contract.escrow!(dst, denom) as Promise<bigint>;
  }

  async supply(denom: string): Promise<bigint> {
    return this.contract.supply!(denom) as Promise<bigint>;
  }

  recv(packets: EvmPacket[], signatures: string[]): Promise<EvmTxResult> {
    return this.#tx('recv', [packets.map(tuple), signatures]);
  }

  acknowledge(dst: string, seq: number, ok: boolean, signatures: string[]): Promise<EvmTxResult> {
    return this.#tx('acknowledge', [dst, seq, ok, signatures]);
  }

  timeout(dst: string, seq: number, signatures: string[]): Promise<EvmTxResult> {
    return this.#tx('timeout', [dst, seq, signatures]);
  }

  updateGateways(gateways: string[], threshold: number, signatures: string[]): Promise<EvmTxResult> {
    return this.#tx('updateGateways', [gateways, threshold, signatures]);
  }

  issue(denom: string): Promise<EvmTxResult> {
    return this.#tx('issue', [denom]);
  }

  mint(denom: string, to: string, amount: bigint): Promise<EvmTxResult> {
    return this.#tx('mint', [denom, to, amount]);
  }

  /** Sends tokens to a DID on a native chain; timeouts in the destination's height / ms. */
  send(dst: string, denom: string, amount: bigint, receiver: string, timeout: { height?: number; timeMs?: number }): Promise<EvmTxResult> {
    return this.#tx('send', [dst, denom, amount, receiver, timeout.height ?? 0, timeout.timeMs ?? 0]);
  }

  async #tx(fn: string, args: unknown[]): Promise<EvmTxResult> {
    if (!this.wallet) throw new ShulianError('ADAPTER_READ_ONLY', `the endpoint of chain ${this.id} has no private key to send with`);
    let sent: ContractTransactionResponse;
    try {
      // A dry run first: a call that would revert is refused with its decoded error, unsent.
      await (this.contract[fn] as unknown as { staticCall: (...a: unknown[]) => Promise<unknown> }).staticCall(...args);
      sent = await (this.contract[fn] as (...a: unknown[]) => Promise<ContractTransactionResponse>)(...args, { gasLimit: this.#gasLimit });
    } catch (err) {
      return { status: 'failed', error: this.#reason(err), events: [] };
    }
    try {
      const r = await sent.wait();
      if (!r) throw new ShulianError('TX_DROPPED', `transaction ${sent.hash} on chain ${this.id} was not mined`);
      const events = r.logs.flatMap((l) => {
        const p = this.contract.interface.parseLog(l);
        return p ? [{ name: p.name, args: [...p.args] as unknown[] }] : [];
      });
      return { status: r.status === 1 ? 'ok' : 'failed', hash: r.hash, height: r.blockNumber, events };
    } catch (err) {
      const rec = (err as { receipt?: { hash: string; blockNumber: number } }).receipt;
      if (!rec) throw err;
      return { status: 'failed', hash: rec.hash, height: rec.blockNumber, error: this.#reason(err), events: [] };
    }
  }

  #reason(err: unknown): string {
    const e = err as { revert?: { name: string; args: unknown[] } | null; reason?: string | null; shortMessage?: string; message?: string; data?: string };
    if (e.revert) return `${e.revert.name}(${e.revert.args.map(String).join(', ')})`;
    if (e.data && typeof e.data === 'string') {
      try {
        const d = this.contract.interface.parseError(e.data);
        if (d) return `${d.name}(${[...d.args].map(String).join(', ')})`;
      } catch {
        // not one of ours
      }
    }
    return e.reason ?? e.shortMessage ?? e.message ?? 'execution reverted';
  }

  async close(): Promise<void> {
    if (this.#ownsProvider) this.provider.destroy();
  }
}
