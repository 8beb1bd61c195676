/**
 * Typed readers of the settlement module's state. They take a StateSource — a ChainView in the
 * node, or the SDK's client (optionally verifying every read's proof) — and read the keys the
 * module writes. Reads that need several keys read them at one height, so answers are
 * consistent snapshots.
 */
import { ShulianError, type JsonValue } from '../codec/index.ts';
import {
  chainEntryHash, instructionIdOf, ZERO_HASH, type AccountRecord, type ClearingRecord, type FaucetPolicy, type InstructionRecord,
  type IssuerRecord, type JournalEntry, type Mandate, type PeriodSummary, type StatementRecord, type TaxPolicy,
  type Totals,
} from '../modules/settlement/types.ts';
import { sk, fullKey } from '../modules/settlement/keys.ts';

export interface StateRead {
  value: JsonValue | null;
  height: number;
}

/** Anything that reads a chain's state by full key, now or at a past height. */
export interface StateSource {
  getState(key: string, opts?: { height?: number }): StateRead | Promise<StateRead>;
}

export interface At {
  height?: number;
}

async function get<T>(src: StateSource, key: string, height?: number): Promise<{ value: T | null; height: number }> {
  const r = await src.getState(fullKey(key), height === undefined ? {} : { height });
  return { value: r.value as T | null, height: r.height };
}

export async function readAccount(src: StateSource, currency: string, account: string, at: At = {}): Promise<AccountRecord> {
  const r = await get<AccountRecord>(src, sk.account(currency, account), at.height);
  return r.value ?? { account, currency, balance: '0', entries: 0 };
}

export interface Balance {
  currency: string;
  /** Spendable: the DID's own account. */
  available: string;
  /** In escrow (holds). */
  held: string;
  total: string;
  /** For an issuer: what it has issued and not taken back. */
  issued?: string;
}

/** A DID's balances in every currency the chain has seen, at one height. */
export async function readBalances(src: StateSource, did: string, at: At = {}): Promise<{ did: string; height: number; balances: Balance[] }> {
  const curs = await get<string[]>(src, sk.currencies(), at.height);
  const h = curs.height;
  const out: Balance[] = [];
  for (const c of curs.value ?? []) {
    const [own, esc, iss] = await Promise.all([
      readAccount(src, c, did, { height: h }), readAccount(src, c, `escrow:${did}`, { height: h }), readAccount(src, c, `issue:${did}`, { height: h }),
    ]);
    if (own.entries === 0 && esc.entries === 0 && iss.entries === 0) continue;
    const b: Balance = { currency: c, available: own.balance, held: esc.balance, total: (BigInt(own.balance) + BigInt(esc.balance)).toString() };
    if (iss.entries > 0) b.issued = (-BigInt(iss.balance)).toString();
    out.push(b);
  }
  return { did, height: h, balances: out };
}

export async function readEntry(src: StateSource, n: number, at: At = {}): Promise<JournalEntry | null> {
  return (await get<JournalEntry>(src, sk.entry(n), at.height)).value;
}

export interface JournalQuery extends At {
  /** An account (a DID, issue:<did>, escrow:<did>); with currency. Without: the whole chain's journal. */
  account?: string;
  currency?: string;
  limit?: number;
  /** Page: entries before this index (account) or number (chain). */
  before?: number;
}

/** Journal entries, newest first: of one account in one currency, or of the whole chain. */
export async function readJournal(src: StateSource, q: JournalQuery = {}): Promise<{ height: number; entries: JournalEntry[]; next?: number }> {
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
  if (q.account !== undefined) {
    if (!q.currency) throw new ShulianError('BAD_REQUEST', 'an account\'s journal needs a currency');
    const accR = await get<AccountRecord>(src, sk.account(q.currency, q.account), q.height);
    const count = accR.value?.entries ?? 0;
    const top = Math.min(q.before ?? count, count);
    const ks = [];
    for (let k = top - 1; k >= 0 && ks.length < limit; k--) ks.push(k);
    const ns = await Promise.all(ks.map((k) => get<number>(src, sk.accountEntry(q.currency!, q.account!, k), accR.height)));
    const entries = await Promise.all(ns.map((n) => readEntry(src, n.value!, { height: accR.height })));
    const out: { height: number; entries: JournalEntry[]; next?: number } = { height: accR.height, entries: entries.filter((e): e is JournalEntry => e !== null) };
    if (ks.length && ks[ks.length - 1]! > 0) out.next = ks[ks.length - 1]!;
    return out;
  }
  const seq = await get<number>(src, sk.seq(), q.height);
  const last = Math.min(q.before !== undefined ? q.before - 1 : seq.value ?? 0, seq.value ?? 0);
  const ns = [];
  for (let n = last; n >= 1 && ns.length < limit; n--) ns.push(n);
  const entries = await Promise.all(ns.map((n) => readEntry(src, n, { height: seq.height })));
  const out: { height: number; entries: JournalEntry[]; next?: number } = { height: seq.height, entries: entries.filter((e): e is JournalEntry => e !== null) };
  if (ns.length && ns[ns.length - 1]! > 1) out.next = ns[ns.length - 1]!;
  return out;
}

export async function readTotals(src: StateSource, at: At = {}): Promise<{ height: number; totals: Totals[]; balanced: boolean }> {
  const curs = await get<string[]>(src, sk.currencies(), at.height);
  const totals = await Promise.all((curs.value ?? []).map(async (c) => (await get<Totals>(src, sk.totals(c), curs.height)).value!));
  return { height: curs.height, totals, balanced: totals.every((t) => t.debits === t.credits) };
}

export async function readInstruction(src: StateSource, id: string, at: At = {}): Promise<InstructionRecord | null> {
  return (await get<InstructionRecord>(src, sk.instruction(id), at.height)).value;
}

/** Looks an instruction up by payer and idempotency key (and, for a contract's, where it came from). */
export async function readInstructionByKey(
  src: StateSource, payer: string, key: string, origin?: { chain: string; port: string; contract: string }, at: At = {},
): Promise<InstructionRecord | null> {
  return readInstruction(src, instructionIdOf(origin, payer, key), at);
}

/** A payer's instructions, newest first. */
export async function readInstructionsOf(src: StateSource, payer: string, q: { limit?: number } & At = {}): Promise<InstructionRecord[]> {
  const c = await get<number>(src, sk.payerInstructions(payer), q.height);
  const ids = [];
  for (let k = (c.value ?? 0) - 1; k >= 0 && ids.length < Math.min(q.limit ?? 50, 200); k--) ids.push(k);
  const idr = await Promise.all(ids.map((k) => get<string>(src, sk.payerInstruction(payer, k), c.height)));
  const recs = await Promise.all(idr.map((r) => readInstruction(src, r.value!, { height: c.height })));
  return recs.filter((r): r is InstructionRecord => r !== null);
}

export async function readIssuers(src: StateSource, at: At = {}): Promise<IssuerRecord[]> {
  const l = await get<string[]>(src, sk.issuers(), at.height);
  const rs = await Promise.all((l.value ?? []).map((d) => get<IssuerRecord>(src, sk.issuer(d), l.height)));
  return rs.map((r) => r.value).filter((r): r is IssuerRecord => r !== null);
}

export async function readTaxPolicy(src: StateSource, at: At = {}): Promise<TaxPolicy | null> {
  return (await get<TaxPolicy>(src, sk.tax(), at.height)).value;
}

/** The SANDBOX faucet's policy, and what `did` has received of `currency` from it so far. */
export async function readFaucet(src: StateSource, did?: string, currency?: string, at: At = {}): Promise<{ policy: FaucetPolicy | null; given?: string }> {
  const p = await get<FaucetPolicy>(src, sk.faucet(), at.height);
  if (did === undefined || currency === undefined) return { policy: p.value };
  const g = await get<string>(src, sk.faucetGiven(did, currency), p.height);
  return { policy: p.value, given: g.value ?? '0' };
}

export async function readMandate(src: StateSource, payer: string, currency: string, grantee: { chain: string; port: string; contract: string }, at: At = {}): Promise<Mandate | null> {
  return (await get<Mandate>(src, sk.mandate(payer, currency, grantee.chain, grantee.port, grantee.contract), at.height)).value;
}

export interface ClearingView extends ClearingRecord {
  /** Each processed participant's net position and statement hash, in clearing order. */
  positions: Array<{ account: string; net: string; statement: string }>;
}

/** A period's clearing with the net positions of the participants cleared so far (at most `limit`). */
export async function readClearing(src: StateSource, period: string, currency: string, at: At & { limit?: number } = {}): Promise<ClearingView | null> {
  const r = await get<ClearingRecord>(src, sk.clearing(period, currency), at.height);
  if (!r.value) return null;
  const n = Math.min(r.value.processed, at.limit ?? 1_000);
  const accts = await Promise.all(Array.from({ length: n }, (_, i) => get<string>(src, sk.participant(period, currency, i), r.height)));
  const sts = await Promise.all(accts.map((a) => get<StatementRecord>(src, sk.statement(period, currency, a.value!), r.height)));
  return { ...r.value, positions: sts.map((st) => ({ account: st.value!.account, net: st.value!.net, statement: st.value!.hash })) };
}

/** An account's running activity in a period (before or after clearing). */
export async function readPeriod(src: StateSource, period: string, currency: string, account: string, at: At = {}): Promise<PeriodSummary | null> {
  const archived = await get<PeriodSummary>(src, sk.period(period, currency, account), at.height);
  if (archived.value) return archived.value;
  const live = await get<AccountRecord>(src, sk.account(currency, account), archived.height);
  return live.value?.period?.period === period ? live.value.period : null;
}

/** The statement record `clear` wrote, with the state key a proof is asked for. */
export async function readStatementRecord(src: StateSource, period: string, currency: string, account: string, at: At = {}): Promise<{ record: StatementRecord | null; key: string; height: number }> {
  const r = await get<StatementRecord>(src, sk.statement(period, currency, account), at.height);
  return { record: r.value, key: fullKey(sk.statement(period, currency, account)), height: r.height };
}

/** The entries of an account's statement, checked against the running hash the chain kept. */
export async function readStatementEntries(src: StateSource, summary: PeriodSummary, at: At = {}): Promise<JournalEntry[]> {
  const ks = [];
  for (let k = summary.first; k <= summary.last; k++) ks.push(k);
  const ns = await Promise.all(ks.map((k) => get<number>(src, sk.accountEntry(summary.currency, summary.account, k), at.height)));
  const entries = await Promise.all(ns.map((n) => readEntry(src, n.value!, at)));
  let h = ZERO_HASH;
  let bal = BigInt(summary.opening);
  const out: JournalEntry[] = [];
  for (const e of entries) {
    if (!e) throw new ShulianError('STATE_INVALID', 'a statement entry is missing');
    const d = deltaOf(e, summary.account);
    h = chainEntryHash(h, e.n, d);
    bal += d;
    out.push(e);
  }
  if (h !== summary.entriesHash) throw new ShulianError('STATE_INVALID', `the entries of ${summary.account} in ${summary.period} do not hash to the recorded ${summary.entriesHash}`);
  if (bal.toString() !== summary.closing) throw new ShulianError('STATE_INVALID', `the entries of ${summary.account} in ${summary.period} do not lead from the opening to the closing balance`);
  return out;
}

/** An account's signed change in an entry (credits − debits). */
export function deltaOf(e: JournalEntry, account: string): bigint {
  let d = 0n;
  for (const l of e.lines) if (l.account === account) d += l.side === 'credit' ? BigInt(l.amount) : -BigInt(l.amount);
  return d;
}
