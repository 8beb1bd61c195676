import { fullKeys, stateKey } from '../../codec/index.ts';
import type {
  AccountRecord, ClearingRecord, DepositRecord, HoldRecord, InstructionRecord, IssuerRecord, JournalEntry, Mandate, PeriodSummary,
  QueueRecord, StatementRecord, TaxPolicy, Totals,
} from './types.ts';

/** State keys of the settlement module, relative to its namespace (full key: `settlement/<key>`), each with its record. */
export const MODULE = 'settlement';
export const sk = {
  issuer: (did: string) => stateKey<IssuerRecord>(`iss/${did}`),
  issuers: () => stateKey<string[]>('issuers'),
  tax: () => stateKey<TaxPolicy>('tax'),
  account: (cur: string, account: string) => stateKey<AccountRecord>(`acct/${cur}/${account}`),
  /** The k-th journal entry (its number) an account took part in. */
  accountEntry: (cur: string, account: string, k: number) => stateKey<number>(`ai/${cur}/${account}/${k}`),
  entry: (n: number) => stateKey<JournalEntry>(`je/${n}`),
  /** Last journal entry number. */
  seq: () => stateKey<number>('seq'),
  totals: (cur: string) => stateKey<Totals>(`tot/${cur}`),
  currencies: () => stateKey<string[]>('currencies'),
  deposit: (issuer: string, ref: string) => stateKey<DepositRecord>(`dep/${issuer}/${ref}`),
  instruction: (id: string) => stateKey<InstructionRecord>(`ins/${id}`),
  /** Last instruction number. */
  instructionSeq: () => stateKey<number>('insn'),
  /** A payer's k-th instruction id, and how many it has. */
  payerInstruction: (payer: string, k: number) => stateKey<string>(`pi/${payer}/${k}`),
  payerInstructions: (payer: string) => stateKey<number>(`pic/${payer}`),
  /** A payer's waiting instructions: the queue's bounds, and the instruction id at each place. */
  queue: (cur: string, payer: string) => stateKey<QueueRecord>(`wq/${cur}/${payer}`),
  queueItem: (cur: string, payer: string, i: number) => stateKey<string>(`wq/${cur}/${payer}/${i}`),
  mandate: (payer: string, cur: string, chain: string, port: string, contract: string) => stateKey<Mandate>(`md/${payer}/${cur}/${chain}/${port}/${contract}`),
  hold: (owner: string, id: string) => stateKey<HoldRecord>(`hd/${owner}/${id}`),
  /** An account's archived summary of a finished period. */
  period: (p: string, cur: string, account: string) => stateKey<PeriodSummary>(`ps/${p}/${cur}/${account}`),
  /** The accounts with entries in a period: how many, and the i-th. */
  participants: (p: string, cur: string) => stateKey<number>(`pp/${p}/${cur}`),
  participant: (p: string, cur: string, i: number) => stateKey<string>(`pp/${p}/${cur}/${i}`),
  statement: (p: string, cur: string, account: string) => stateKey<StatementRecord>(`stmt/${p}/${cur}/${account}`),
  clearing: (p: string, cur: string) => stateKey<ClearingRecord>(`clr/${p}/${cur}`),
};
/** Full state keys (`settlement/…`), typed like `sk`. */
export const settlementFullKey = fullKeys(MODULE, sk);
/** Full state key (with the module prefix) of any key, for state reads and proofs. */
export const fullKey = (k: string): string => `${MODULE}/${k}`;
