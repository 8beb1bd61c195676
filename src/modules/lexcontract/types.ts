import type { JsonValue } from '../../codec/index.ts';
import type { ContractState, Settlement } from '../../lex/index.ts';

/**
 * Types of the lexcontract module (executable legal contracts): what it keeps in state and the
 * constants its clients share. Plain data, so the SDK, the API and the CLI import this file
 * without the execution code. State layout: keys.ts; what parties sign: terms.ts.
 */

export type InstanceStatus = 'draft' | 'signing' | 'active' | 'completed' | 'terminated' | 'disputed';

export interface SignatureRecord {
  height: number;
  time: number;
  tx: string;
}

export interface Countersigner {
  did: string;
  role: 'notary' | 'court';
}

export interface DisputeRecord {
  /** The party (by its name in the template) that raised it, and its DID. */
  party: string;
  did: string;
  reason: string;
  height: number;
  time: number;
  tx: string;
}

export interface LexInstance {
  id: string;
  template: string;
  /** Full parameters: the terms and each party's DID. */
  params: Record<string, JsonValue>;
  /** Party name → DID. */
  parties: Record<string, string>;
  fingerprint: string;
  status: InstanceStatus;
  /** Party name → signature record. */
  signatures: Record<string, SignatureRecord>;
  /** A notary or court that countersigns after every party, and resolves disputes. */
  countersigner?: Countersigner;
  countersignature?: SignatureRecord;
  /** Events the contract still accepts while disputed. */
  disputeAllows?: string[];
  dispute?: DisputeRecord;
  createdAt: { height: number; time: number };
  activatedAt?: { height: number; time: number };
  endedAt?: { height: number; time: number };
  /** Number of entries in the history `hist/<id>/<n>`. */
  history: number;
  /** Number of settlement instructions `stl/<id>/<n>`. */
  settlements: number;
}

export interface LexLogEntry {
  event: string;
  input: Record<string, JsonValue>;
  sender: string;
  height: number;
  time: number;
  tx: string;
}

export type HistoryAction =
  | 'drafted' | 'signed' | 'countersigned' | 'activated' | 'event' | 'completed' | 'terminated'
  | 'disputed' | 'resolved' | 'settlementSent' | 'paymentConfirmed' | 'paymentFailed';

/** One step in an instance's life: who did it (the tx signer), in which tx, at which block time. */
export interface HistoryEntry {
  n: number;
  action: HistoryAction;
  /** Status before and after. */
  from: InstanceStatus | null;
  to: InstanceStatus;
  /** DID of the signer of the transaction that made the step. */
  by: string;
  /** The signer's role: a party name, 'countersigner', or 'relayer' for settlement results. */
  role?: string;
  height: number;
  time: number;
  tx: string;
  detail?: { [k: string]: JsonValue };
}

export type SettlementStatus = 'pending' | 'sent' | 'paid' | 'failed';

export interface SettlementRecord {
  n: number;
  /** The lex event (its seq in the replay log) that emitted it. */
  seq: number;
  instruction: Settlement;
  status: SettlementStatus;
  packet?: { sequence: number; packetId: string };
  /** Why it is still pending (xchain refused), or why it failed. */
  note?: string;
  result?: JsonValue;
  /**
   * The settlement chain accepted it but the payer's funds did not cover it, and the contract
   * let it wait: still 'sent' until a `settlement-status` packet says it was paid or failed.
   */
  waiting?: boolean;
  /** The settlement chain's id of the instruction (SM3 of origin, payer and key), once known. */
  settlementId?: string;
  /** The `settlement-status` packet that ended a waiting instruction: its source chain and sequence. */
  statusPacket?: { srcChain: string; sequence: number };
  updated: { height: number; time: number; tx: string };
}

/** Gas per byte of template source compiled on deploy (on top of the write of the source). */
export const DEPLOY_GAS_PER_BYTE = 20;
/** Gas cap handed to the lex engine for one event. */
export const EVENT_GAS_LIMIT = 1_000_000;
/** Destination of settlement instructions. */
export const SETTLEMENT_CHAIN = 'settle';
export const SETTLEMENT_PORT = 'settlement';
/** A settlement packet not received within this much destination block time times out. */
export const SETTLEMENT_TIMEOUT_MS = 86_400_000;
/** At most this many pending instructions are (re)sent by one `settle` call. */
export const SETTLE_BATCH = 50;

/** A lex contract's own state (its variables and obligations), as the lex engine keeps it. */
export type { ContractState };
