import { ShulianError, asJson, type JsonValue } from '../codec/index.ts';
import { statementHash, type JournalEntry, type StatementRecord } from '../modules/settlement/types.ts';
import { readPeriod, readStatementEntries, readStatementRecord, type StateSource } from './readers.ts';

/** A statement (对账单) of one participant for one period: the chain's record and the entries it covers. */
export interface Statement {
  /** True once `clear` recorded it on chain (its hash provable with a state proof). */
  cleared: boolean;
  record: StatementRecord | (Omit<StatementRecord, 'hash' | 'clearedAt'> & { hash?: undefined });
  entries: JournalEntry[];
  /** State key of the record, for GET /v1/chains/<chain>/state?proof=true. */
  key: string;
}

/**
 * Reads a participant's statement for a period: once cleared, the recorded one (its hash checked
 * against its content and its entries against the running hash the chain kept); before, the
 * running summary so far.
 */
export async function readStatement(src: StateSource, chain: string, period: string, currency: string, account: string, at: { height?: number } = {}): Promise<Statement> {
  const st = await readStatementRecord(src, period, currency, account, at);
  if (st.record) {
    const { hash, clearedAt, ...summary } = st.record;
    void clearedAt;
    if (statementHash(summary) !== hash) throw new ShulianError('STATE_INVALID', `statement ${st.key} does not hash to its recorded hash`);
    const entries = await readStatementEntries(src, st.record, { height: st.height });
    return { cleared: true, record: st.record, entries, key: st.key };
  }
  const ps = await readPeriod(src, period, currency, account, { height: st.height });
  if (!ps) throw new ShulianError('NOT_FOUND', `${account} has no ${currency} entries in ${period} on chain ${chain}`);
  const entries = await readStatementEntries(src, ps, { height: st.height });
  return { cleared: false, record: { chain, ...ps, net: (BigInt(ps.credits) - BigInt(ps.debits)).toString() }, entries, key: st.key };
}

export function statementJson(s: Statement): JsonValue {
  return asJson(s);
}
