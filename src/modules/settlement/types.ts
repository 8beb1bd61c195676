/**
 * Records the settlement module keeps in state (JSON; every amount a string of minor units), and
 * what its clients build with: the instruction schema (args.ts) and the pure arithmetic (calc.ts).
 */
import type { SettlementModuleErrorCode } from './errors.ts';

export type Side = 'debit' | 'credit';

/** One line of a journal entry. Credits raise an account's balance, debits lower it. */
export interface JournalLine {
  account: string;
  side: Side;
  amount: string;
  /** For a tax line: the payee the tax was withheld for. */
  for?: string;
}

export type EntryKind = 'mint' | 'withdraw' | 'transfer' | 'instruction' | 'hold' | 'capture' | 'release';

/** A journal entry: numbered from 1 across the chain; Σ debits = Σ credits. */
export interface JournalEntry {
  n: number;
  kind: EntryKind;
  currency: string;
  lines: JournalLine[];
  height: number;
  time: number;
  tx: string;
  /** Instruction id, deposit ref, hold id… */
  ref?: string;
  memo?: string;
}

/** An account per (owner, currency). Owners: a DID, `issue:<did>` (an issuer's issuance account), `escrow:<did>` (holds). */
export interface AccountRecord {
  account: string;
  currency: string;
  /** Signed minor units; only issuance accounts may go below zero (their credit is what they issued). */
  balance: string;
  /** Journal entries this account took part in; `ai/<cur>/<account>/<k>` for k < entries names them. */
  entries: number;
  /** This account's summary of the period of its latest entry (earlier ones: ps/<period>/<cur>/<account>). */
  period?: PeriodSummary;
}

export interface Totals {
  currency: string;
  debits: string;
  credits: string;
  entries: number;
}

export interface IssuerRecord {
  did: string;
  name: string;
  currencies: string[];
  /** Rail the issuer runs, e.g. "sandbox". */
  rail: string;
  /** A sandbox issuer's money is not real; every surface shows it. */
  sandbox: boolean;
  active: boolean;
  registeredBy: string;
  height: number;
}

export interface TaxPolicy {
  /** DID whose account receives withheld tax. */
  authority: string;
  /** Category → rate in basis points of the net amount. */
  rates: Record<string, number>;
  setBy: string;
  height: number;
  time: number;
}

/**
 * The SANDBOX faucet (a development alliance's test money): a sandbox issuer's money, given to
 * any DID that asks, up to `perDid` minor units per currency in all. Set by a validator; only a
 * sandbox issuer's money may be given.
 */
export interface FaucetPolicy {
  issuer: string;
  currencies: string[];
  /** Minor units one DID may receive per currency, in all (decimal digits). */
  perDid: string;
  setBy: string;
  height: number;
}

export interface Mandate {
  payer: string;
  grantee: { chain: string; port: string; contract: string };
  currency: string;
  cap: string;
  used: string;
  expires?: number;
  /** Instructions under this mandate without their own tax category use this one. */
  taxCategory?: string;
  /** Instructions under this mandate count as this service (and are invoiced) unless they say otherwise. */
  service?: ServiceInfo;
  revoked: boolean;
  height: number;
  time: number;
}

export type InstructionStatus = 'settled' | 'waiting' | 'failed' | 'cancelled';

export interface InstructionLine {
  to: string;
  /** What the payer pays for this payee, tax included. */
  gross: string;
  tax: string;
  /** What the payee receives. */
  net: string;
  category?: string;
  rateBp?: number;
}

export type InstructionOrigin =
  | { kind: 'direct'; sender: string }
  | { kind: 'xchain'; chain: string; port: string; contract: string; sequence: number; sender: string };

export interface ServiceInfo {
  description: string;
  quantity?: number;
  unit?: string;
}

export interface InstructionRecord {
  id: string;
  /** Instructions numbered from 1 on this chain. */
  n: number;
  idempotencyKey: string;
  payer: string;
  currency: string;
  total: string;
  lines: InstructionLine[];
  taxAuthority?: string;
  onInsufficientFunds: 'wait' | 'fail';
  origin: InstructionOrigin;
  status: InstructionStatus;
  service?: ServiceInfo;
  memo?: string;
  /** A waiting instruction fails when it is still unpaid at this block time. */
  waitUntil?: number;
  created: { height: number; time: number; tx: string };
  settled?: { height: number; time: number; tx: string; entry: number };
  /** FROZEN: a party was frozen by governance when the instruction was tried (docs/supervision.md#freezes). */
  failure?: { code: SettlementModuleErrorCode | 'FROZEN'; message: string; height: number };
}

export interface HoldRecord {
  id: string;
  owner: string;
  payee: string;
  currency: string;
  amount: string;
  expires?: number;
  status: 'held' | 'captured' | 'released';
  height: number;
}

/** An account's activity in one period (UTC day), kept as entries are posted. */
export interface PeriodSummary {
  period: string;
  currency: string;
  account: string;
  opening: string;
  closing: string;
  debits: string;
  credits: string;
  /** Index range (into the account's entry list) of this period's entries, inclusive. */
  first: number;
  last: number;
  /** Running hash over this period's entries (see chainEntryHash). */
  entriesHash: string;
}

/** A participant's statement (对账单) for a period, as recorded by `clear`. */
export interface StatementRecord extends PeriodSummary {
  chain: string;
  /** credits − debits over the period. */
  net: string;
  /** SM3 of the canonical JSON of everything above. */
  hash: string;
  clearedAt: { height: number; time: number; tx: string };
}

export interface ClearingRecord {
  chain: string;
  period: string;
  currency: string;
  participants: number;
  /** Participants whose statements are recorded so far (clearing a large period takes several calls). */
  processed: number;
  /** Σ net positions so far (credits − debits); zero once complete. */
  sumNet: string;
  /** Σ debits (= Σ credits) over the period, of the participants processed. */
  turnover: string;
  /** Running SM3 over the statement hashes in participant order: root_i = SM3(root_{i−1} ‖ hash_i), from 64 zeros. */
  root: string;
  complete: boolean;
  /** When it was started, then when it completed. */
  height: number;
  time: number;
  tx: string;
}

/** A payer's queue of waiting instructions in one currency: positions head ≤ i < tail are waiting. */
export interface QueueRecord {
  head: number;
  tail: number;
}

/** A deposit an issuer credited (`mint`), kept under its ref so a repeat changes nothing. */
export interface DepositRecord {
  entry: number;
  to: string;
  currency: string;
  amount: string;
  ref: string;
  sandbox: boolean;
}

/**
 * An instruction's status as its sender sees it: the result of `instruct`, the acknowledgement
 * of a contract's instruction, and (with the contract's id) the payload of a settlement-status packet.
 */
export interface StatusReport {
  kind: 'settlement-status';
  id: string;
  n: number;
  idempotencyKey: string;
  status: InstructionStatus;
  payer: string;
  currency: string;
  total: string;
  lines: InstructionLine[];
  duplicate: boolean;
  settled?: InstructionRecord['settled'];
  failure?: InstructionRecord['failure'];
}

// Clients (the SDK, settlement readers, rails) build instructions and predict their ids, splits
// and tax with the module's own pure arithmetic and argument schema.
export * from './calc.ts';
export { instructionSchema, currencySchema, type InstructionInput, type Instruction } from './args.ts';
