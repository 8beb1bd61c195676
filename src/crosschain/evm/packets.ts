import { AbiCoder, getBytes, keccak256, toUtf8Bytes, Wallet } from 'ethers';
import type { JsonValue } from '../../codec/index.ts';
import type { Ack, Packet } from '../../modules/xchain/types.ts';

/**
 * The EVM side's view of packets and what its gateways sign (contracts/solidity/XEndpoint.sol).
 * Everything here is computed the way the contract computes it, so a gateway signs only what it
 * derived itself from the packet it verified.
 */

/** A packet as XEndpoint takes and emits it: the native packet with its xtransfer payload spread out. */
export interface EvmPacket {
  srcChain: string;
  srcPort: string;
  dstChain: string;
  dstPort: string;
  sequence: bigint;
  sender: string;
  denom: string;
  amount: bigint;
  receiver: string;
  /** 0 = none. */
  timeoutHeight: bigint;
  /** 0 = none; ms. */
  timeoutTime: bigint;
}

export const PACKET_TUPLE = 'tuple(string srcChain, string srcPort, string dstChain, string dstPort, uint64 sequence, string sender, string denom, uint256 amount, string receiver, uint64 timeoutHeight, uint64 timeoutTime)';

/** What the digests bind besides the packets: this deployment and its gateway-set version. */
export interface EvmDomain {
  chainId: bigint;
  address: string;
  setVersion: bigint;
  chainName: string;
}

const coder = AbiCoder.defaultAbiCoder();
const tag = (s: string): string => keccak256(toUtf8Bytes(s));
export const RECV_TAG = tag('shulian-xendpoint-recv-v1');
export const ACK_TAG = tag('shulian-xendpoint-ack-v1');
export const TIMEOUT_TAG = tag('shulian-xendpoint-timeout-v1');
export const SET_TAG = tag('shulian-xendpoint-gateways-v1');

const tuple = (p: EvmPacket): unknown[] => [p.srcChain, p.srcPort, p.dstChain, p.dstPort, p.sequence, p.sender, p.denom, p.amount, p.receiver, p.timeoutHeight, p.timeoutTime];

export function evmPacketCommitment(p: EvmPacket): string {
  return keccak256(coder.encode([PACKET_TUPLE], [tuple(p)]));
}

export function evmRecvDigest(d: EvmDomain, packets: EvmPacket[]): string {
  return keccak256(coder.encode(['bytes32', 'uint256', 'address', 'uint256', 'string', 'string', 'bytes32[]'],
    [RECV_TAG, d.chainId, d.address, d.setVersion, packets[0]!.srcChain, d.chainName, packets.map(evmPacketCommitment)]));
}

export function evmAckDigest(d: EvmDomain, dstChain: string, sequence: bigint, commitment: string, ok: boolean): string {
  return keccak256(coder.encode(['bytes32', 'uint256', 'address', 'uint256', 'string', 'string', 'uint64', 'bytes32', 'bool'],
    [ACK_TAG, d.chainId, d.address, d.setVersion, d.chainName, dstChain, sequence, commitment, ok]));
}

export function evmTimeoutDigest(d: EvmDomain, dstChain: string, sequence: bigint, commitment: string): string {
  return keccak256(coder.encode(['bytes32', 'uint256', 'address', 'uint256', 'string', 'string', 'uint64', 'bytes32'],
    [TIMEOUT_TAG, d.chainId, d.address, d.setVersion, d.chainName, dstChain, sequence, commitment]));
}

export function evmGatewaySetDigest(d: EvmDomain, gateways: string[], threshold: number): string {
  return keccak256(coder.encode(['bytes32', 'uint256', 'address', 'uint256', 'address[]', 'uint256'], [SET_TAG, d.chainId, d.address, d.setVersion, gateways, threshold]));
}

/** An EIP-191 (personal_sign) signature over a 32-byte digest, as XEndpoint recovers it. */
export function signDigest(wallet: Wallet, digest: string): string {
  return wallet.signMessageSync(getBytes(digest));
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The EVM form of a native packet bound for the EVM chain, or why it has none: only xtransfer
 * payloads ({denom, amount, sender, receiver}, sender the packet's sender) from port xtransfer
 * to port xtransfer cross; anything else
 * is never attested there and times out on the native chain (refunded).
 */
export function toEvmPacket(p: Packet): EvmPacket | { untranslatable: string } {
  // XEndpoint's port xtransfer is bound to port xtransfer (as on the native chains): sign nothing else.
  if (p.srcPort !== 'xtransfer' || p.dstPort !== 'xtransfer') return { untranslatable: `port ${p.dstPort} on the EVM chain takes packets only from port xtransfer to port xtransfer, not from port ${p.srcPort}` };
  const pl = p.payload as { [k: string]: JsonValue } | null;
  if (!pl || typeof pl !== 'object' || Array.isArray(pl)) return { untranslatable: 'the payload is not an object' };
  const keys = Object.keys(pl).sort().join(',');
  if (keys !== 'amount,denom,receiver,sender') return { untranslatable: 'the payload is not {denom, amount, sender, receiver}' };
  if (typeof pl.denom !== 'string' || typeof pl.amount !== 'string' || typeof pl.receiver !== 'string' || pl.sender !== p.sender) {
    return { untranslatable: 'the payload fields are not strings, or its sender is not the packet\'s' };
  }
  if (!/^[1-9][0-9]{0,37}$/.test(pl.amount)) return { untranslatable: 'the amount is not a positive integer of at most 38 digits' };
  return {
    srcChain: p.srcChain, srcPort: p.srcPort, dstChain: p.dstChain, dstPort: p.dstPort, sequence: BigInt(p.sequence), sender: p.sender,
    denom: pl.denom, amount: BigInt(pl.amount), receiver: pl.receiver,
    timeoutHeight: BigInt(p.timeoutHeight ?? 0), timeoutTime: BigInt(p.timeoutTime ?? 0),
  };
}

/** The native form of a packet sent on the EVM chain: what `xtransfer.onRecvPacket` takes. */
export function fromEvmPacket(e: EvmPacket): Packet {
  const p: Packet = {
    srcChain: e.srcChain, srcPort: e.srcPort, dstChain: e.dstChain, dstPort: e.dstPort, sequence: Number(e.sequence), sender: e.sender,
    payload: { denom: e.denom, amount: e.amount.toString(), sender: e.sender, receiver: e.receiver },
  };
  if (e.timeoutHeight > 0n) p.timeoutHeight = Number(e.timeoutHeight);
  if (e.timeoutTime > 0n) p.timeoutTime = Number(e.timeoutTime);
  return p;
}

/** The native acknowledgement of the EVM receipt: the contract's reason "CODE: message" split. */
export function ackOfReceipt(r: { ok: boolean; reason: string }): Ack {
  if (r.ok) return { ok: true, result: null };
  const m = /^([A-Z][A-Z0-9_]*): (.*)$/s.exec(r.reason);
  return m ? { ok: false, code: m[1]!, message: m[2]! } : { ok: false, code: 'XENDPOINT_ERROR', message: r.reason };
}

export const isEvmAddress = (s: string): boolean => ADDRESS.test(s);
