import { fullKeys, stateKey, type StateKey } from '../../codec/index.ts';
import type { ContractState, HistoryEntry, LexInstance, LexLogEntry, SettlementRecord } from './types.ts';

/** State layout of the lexcontract module: keys inside its namespace, each with its record. */
export const LEXCONTRACT = 'lexcontract';

export const lexKey = {
  /** A deployed template's source, by source hash. */
  template: (hash: string) => stateKey<string>(`tpl/${hash}`),
  instance: (id: string) => stateKey<LexInstance>(`inst/${id}`),
  /** The lex state of an active instance. */
  state: (id: string) => stateKey<ContractState>(`state/${id}`),
  /** The replay log: lex events in order. */
  log: (id: string, seq: number) => stateKey<LexLogEntry>(`log/${id}/${seq}`),
  history: (id: string, n: number) => stateKey<HistoryEntry>(`hist/${id}/${n}`),
  settlement: (id: string, n: number) => stateKey<SettlementRecord>(`stl/${id}/${n}`),
  /** idempotencyKey → n of the settlement record. */
  settlementIndex: (idempotencyKey: string) => stateKey<number>(`stlk/${idempotencyKey}`),
  /** Deployed templates in order: `tpls/count`, `tpls/<i>` → source hash. */
  templateCount: () => stateKey<number>('tpls/count'),
  templateList: (i: number) => stateKey<string>(`tpls/${i}`),
  /** Instances a DID takes part in (as party or countersigner): `by/<did>/count`, `by/<did>/<i>` → id. */
  memberCount: (did: string) => stateKey<number>(`by/${did}/count`),
  member: (did: string, i: number) => stateKey<string>(`by/${did}/${i}`),
};

/** Full chain-state keys (`lexcontract/…`), for chain.getState and proofs. */
export const lexFullKey = fullKeys(LEXCONTRACT, lexKey);

/** The full state key of a module key (for chain.getState); typed keys stay typed. */
export function lexStateKey<T>(key: StateKey<T>): StateKey<T>;
export function lexStateKey(key: string): string;
export function lexStateKey(key: string): string {
  return `${LEXCONTRACT}/${key}`;
}

/** The keys by the names the API, the CLI and the tests read them with. */
export const templateKey = lexKey.template;
export const instanceKey = lexKey.instance;
export const logKey = lexKey.log;
export const historyKey = lexKey.history;
export const settlementKey = lexKey.settlement;
export const TEMPLATE_COUNT_KEY = lexKey.templateCount();
export const templateListKey = lexKey.templateList;
export const memberCountKey = lexKey.memberCount;
export const memberKey = lexKey.member;
/** `stateKey(id)`: the lex state of an instance (its earlier name; this file's `stateKey` is the runtime's). */
const contractStateKey = lexKey.state;
export { contractStateKey as stateKey };
