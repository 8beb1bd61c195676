/** Records the lexcontract module keeps in state: instances, signatures, history, settlement instructions. */
import type { JsonValue } from '../../codec/index.ts';
import type { Settlement } from '../../lex/index.ts';

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
