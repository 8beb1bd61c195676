/**
 * The simulation sandbox (安全沙箱 / 监管沙箱, docs/simulation.md) through the SDK: fork chains'
 * committed state at any height, simulate txs and bundles on the forks, read their effects and
 * risk verdict. Not the SANDBOX settlement rail of `shulian up` (test money): that is
 * `settleFaucet` and the sandbox rail.
 */
import type { JsonValue } from '../codec/index.ts';
import type { Receipt, Tx, TxEvent } from '../ledger/index.ts';
import type { ShulianHttp } from './http.ts';

/** A chain to fork and where: `height` absent = its head. */
export interface ForkTarget {
  chain: string;
  height?: number;
}

/** A fork of several chains held by the node: copy-on-write over their committed state. */
export interface ForkInfo {
  id: string;
  chains: Array<{ chain: string; forkedAt: number; height: number; stateRoot: string; bytes: number }>;
  createdAt: number;
  /** The fork is dropped at this time (ms since the epoch) unless used; each use extends it. */
  expiresAt: number;
}

/**
 * A tx to simulate: a signed tx (simulated exactly as a block would run it), or an unsigned call
 * from any DID — no signature is needed to simulate; `nonce` defaults to the sender's next.
 */
export type SimTx =
  | { signed: Tx }
  | { chain: string; from: string; module: string; method: string; args: JsonValue; nonce?: number; pubkey?: string };

export interface SimOverrides {
  /** Block time of the simulated block, ms (default: now, after the fork's last block). */
  time?: number;
  /** Height of the simulated block (default: the fork's next); must be above the fork's. */
  height?: number;
  /** Settlement balances to set before simulating (minor units, decimal string). */
  balances?: Array<{ chain: string; did: string; currency: string; amount: string }>;
}

export interface SimRequest {
  txs: SimTx[];
  overrides?: SimOverrides;
  /** Governance proposals the bundle makes are taken as passed: every voter votes yes after it. */
  passProposals?: boolean;
  /** Keep the simulated blocks on the fork (later simulations see them); default false. */
  keep?: boolean;
}

/** A one-shot simulation: forks the chains the txs name (at their heads, or `at`), simulates, drops. */
export interface SimulateOnceRequest extends SimRequest {
  at?: ForkTarget[];
}

export type Verdict = 'none' | 'warn' | 'block';

/** One reason of a verdict, in both languages. */
export interface RiskReason {
  level: 'info' | 'warn' | 'block';
  /** What kind of risk (not an error code). */
  kind: 'TX_FAILS' | 'FROZEN' | 'FROZEN_PARTY' | 'NOT_ADMITTED' | 'RULE' | 'VALIDATORS_CHANGE' | 'POLICY_CHANGE' | 'GOVERNANCE_CHANGE' | 'PACKET' | 'PACKET_FAILS' | 'OVERRIDE';
  en: string;
  zh: string;
  chain: string;
  /** The simulated tx it is about. */
  tx?: string;
  /** The supervision rule that fired (its id and version). */
  rule?: { id: string; version: number; severity: string; title: string };
  /** The governance proposal behind a freeze. */
  proposal?: number;
}

export interface RiskReport {
  verdict: Verdict;
  reasons: RiskReason[];
  /** Supervision rules in force that were applied (their count), and at which governance height. */
  rules: { applied: number; govHeight: number };
}

export interface SimReceipt extends Receipt {
  chain: string;
  height: number;
  index: number;
  from: string;
  module: string;
  method: string;
  /** Added by the simulator (a vote taking a proposal as passed), not by the request. */
  synthetic?: boolean;
}

export interface StateChange {
  key: string;
  before: JsonValue | null;
  after: JsonValue | null;
}

export interface BalanceChange {
  chain: string;
  did: string;
  currency: string;
  before: string;
  after: string;
  delta: string;
}

export interface SimPacket {
  chain: string;
  dstChain: string;
  sequence: number;
  packet: JsonValue;
}

/**
 * A packet delivered between two chains of the same fork (docs/simulation.md#packets-between-forked-chains):
 * received on the far side through its port's handler, then acknowledged (or timed out) back on the source.
 */
export interface SimDelivery {
  srcChain: string;
  dstChain: string;
  sequence: number;
  srcPort: string;
  dstPort: string;
  /** The relay round (1 = packets the txs sent; 2 = packets sent by round 1's handlers; …). */
  round: number;
  /** received: the far side ran it (see ack); expired: past its timeout there, refunded as a timeout; failed: the delivery itself failed (error). */
  status: 'received' | 'expired' | 'failed';
  /** The far side's acknowledgement (ok with its result, or the error code and message). */
  ack?: JsonValue;
  /** Why the delivery or the settling failed (the relay tx's code and message, or the sending port's callback error). */
  error?: string;
  /** The simulated blocks that received and settled it. */
  receivedAt?: number;
  settledAt?: number;
}

export interface SimulationResult {
  fork: string;
  receipts: SimReceipt[];
  events: Array<TxEvent & { chain: string; tx: string }>;
  gasUsed: number;
  /** Per chain, per module: the keys changed (at most MAX_DIFF_KEYS each; `truncated` counts the rest). */
  stateDiff: Record<string, Record<string, { changes: StateChange[]; truncated: number }>>;
  balances: BalanceChange[];
  /** Cross-chain packets the txs would send (to chains in the fork or not). */
  packets: SimPacket[];
  /** Packets delivered to chains in the same fork, with their acknowledgements. */
  delivered: SimDelivery[];
  /** Per chain: the simulated blocks' heights and state roots. */
  blocks: Array<{ chain: string; height: number; time: number; stateRoot: string }>;
  risk: RiskReport;
  /** Whether the blocks were kept on the fork. */
  kept: boolean;
  ms: number;
}

/** Forks chains at heights (absent: heads). */
export function createFork(client: ShulianHttp, chains: ForkTarget[]): Promise<ForkInfo> {
  return client.postJson('/simulation/forks', { chains });
}

export function getFork(client: ShulianHttp, id: string): Promise<ForkInfo> {
  return client.getJson(`/simulation/forks/${encodeURIComponent(id)}`);
}

export function dropFork(client: ShulianHttp, id: string): Promise<{ dropped: string }> {
  return client.postJson(`/simulation/forks/${encodeURIComponent(id)}/drop`, {});
}

/** Simulates txs on a fork made before. */
export function simulateOnFork(client: ShulianHttp, id: string, req: SimRequest): Promise<SimulationResult> {
  return client.postJson(`/simulation/forks/${encodeURIComponent(id)}/simulate`, req);
}

/** Forks, simulates and drops the fork in one call. */
export function simulate(client: ShulianHttp, req: SimulateOnceRequest): Promise<SimulationResult> {
  return client.postJson('/simulate', req);
}
