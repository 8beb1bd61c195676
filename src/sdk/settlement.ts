/**
 * The settlement chain through the SDK: send payments, instructions, deposits (issuers),
 * mandates and clearing; read balances, journal, instruction status and statements — optionally
 * with every state read's proof checked locally — and build e-invoices locally from chain data.
 */
import { foreign, ShulianError, asJson, resultAs, type JsonValue } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { InstructionInput, InstructionRecord, JournalEntry } from '../modules/settlement/types.ts';
import {
  buildInvoices, invoiceXml, readBalances, readClearing, readEntry, readInstruction, readInstructionByKey, readInstructionsOf,
  readFaucet, readIssuers, readJournal, readStatement, readTaxPolicy, readTotals,
  type InvoiceJson, type InvoiceOptions, type JournalQuery, type StateSource, type Statement,
} from '../settlement/index.ts';
import type { ShulianClient } from './client.ts';
import type { Call, CommittedTx, SendOptions, VerifiedState, WaitOptions } from './types.ts';

export type {
  AccountRecord, ClearingRecord, FaucetPolicy, InstructionInput, InstructionRecord, InstructionLine, InstructionStatus, IssuerRecord,
  JournalEntry, JournalLine, Mandate, StatementRecord, TaxPolicy, Totals,
} from '../modules/settlement/types.ts';
export { instructionIdOf, splitByShares, taxIn } from '../modules/settlement/types.ts';
export {
  formatMinor, parseDecimal, minorDigits, invoiceXml, buildInvoices, instructionFromLex,
  type Balance, type InvoiceJson, type InvoiceOptions, type Statement, type LexSettlement,
} from '../settlement/index.ts';

export const DEFAULT_SETTLE_CHAIN = 'settle';
const MODULE = 'settlement';

export interface SettleReadOptions {
  /** Settlement chain id (default "settle"). */
  chain?: string;
  height?: number;
  /** Check every state read's proof locally against the chain's validators. */
  verified?: boolean;
}
export type SettleSendOptions = { chain?: string } & SendOptions & WaitOptions;

export function settleStateSource(client: ShulianClient, opts: { chain?: string; verified?: boolean } = {}): StateSource {
  const chain = opts.chain ?? DEFAULT_SETTLE_CHAIN;
  return {
    getState: (key, q = {}) => (opts.verified ? client.verifiedState(chain, key, q) : client.state(chain, key, q)),
  };
}

const at = (o: SettleReadOptions) => (o.height === undefined ? {} : { height: o.height });

// ---- calls ---------------------------------------------------------------------------------

export const settleCall = (method: string, args: JsonValue): Call => ({ module: MODULE, method, args });

async function sendSettle(client: ShulianClient, key: KeyPair, call: Call, opts: SettleSendOptions): Promise<CommittedTx> {
  const chain = opts.chain ?? DEFAULT_SETTLE_CHAIN;
  let hash: string | undefined;
  // Another process signing as the same DID (e.g. the node's own gateway, for a validator key)
  // may take a nonce between our read and our submit: read it again and resend.
  for (let attempt = 0; hash === undefined; attempt++) {
    try {
      hash = await client.send(chain, key, call, opts);
    } catch (e) {
      if (attempt >= 4 || !(e instanceof ShulianError) || (e.code !== 'TX_NONCE_TAKEN' && e.code !== 'TX_NONCE_STALE')) throw e;
    }
  }
  const inc = await client.waitForTx(hash, opts);
  if (inc.receipt.status !== 'ok') {
    const code = foreign(inc.receipt.code) ?? 'TX_FAILED';
    throw new ShulianError(code, `settlement.${call.method} failed at height ${inc.height} of chain ${chain}: ${inc.receipt.message ?? code}`, { tx: hash, height: inc.height });
  }
  return inc;
}

/** What `instruct` (and a contract's acknowledgement) reports. */
export interface InstructionStatusReport {
  kind: 'settlement-status';
  id: string;
  n: number;
  idempotencyKey: string;
  status: InstructionRecord['status'];
  payer: string;
  currency: string;
  total: string;
  lines: InstructionRecord['lines'];
  duplicate: boolean;
  settled?: InstructionRecord['settled'];
  failure?: InstructionRecord['failure'];
}

export async function settleInstruct(client: ShulianClient, key: KeyPair, ins: InstructionInput, opts: SettleSendOptions = {}): Promise<InstructionStatusReport> {
  const inc = await sendSettle(client, key, settleCall('instruct', asJson(ins)), opts);
  return resultAs<InstructionStatusReport>(inc.receipt.result);
}

export async function settleTransfer(client: ShulianClient, key: KeyPair, args: { to: string; currency: string; amount: string; memo?: string }, opts: SettleSendOptions = {}): Promise<{ entry: number; settledWaiting: string[] }> {
  return resultAs<{ entry: number; settledWaiting: string[] }>((await sendSettle(client, key, settleCall('transfer', args), opts)).receipt.result);
}

/** An issuer credits a deposit (idempotent on ref). */
export async function settleMint(client: ShulianClient, issuerKey: KeyPair, args: { to: string; currency: string; amount: string; ref: string; memo?: string }, opts: SettleSendOptions = {}): Promise<{ entry: number; duplicate: boolean; sandbox: boolean }> {
  return resultAs<{ entry: number; duplicate: boolean; sandbox: boolean }>((await sendSettle(client, issuerKey, settleCall('mint', args), opts)).receipt.result);
}

export async function settleWithdraw(client: ShulianClient, key: KeyPair, args: { issuer: string; currency: string; amount: string; ref: string }, opts: SettleSendOptions = {}): Promise<CommittedTx> {
  return sendSettle(client, key, settleCall('withdraw', args), opts);
}

export async function settleGrantMandate(client: ShulianClient, key: KeyPair, args: { grantee: { chain: string; port: string; contract: string }; currency: string; cap: string; expires?: number }, opts: SettleSendOptions = {}): Promise<CommittedTx> {
  return sendSettle(client, key, settleCall('grantMandate', asJson(args)), opts);
}

export async function settleRegisterIssuer(client: ShulianClient, validatorKey: KeyPair, args: { issuer: string; name: string; currencies: string[]; rail: string; sandbox: boolean }, opts: SettleSendOptions = {}): Promise<CommittedTx> {
  return sendSettle(client, validatorKey, settleCall('registerIssuer', args), opts);
}

/** A validator opens (or changes, or closes with perDid "0") the SANDBOX faucet of a sandbox issuer. */
export async function settleFaucetPolicy(client: ShulianClient, validatorKey: KeyPair, args: { issuer: string; currencies: string[]; perDid: string }, opts: SettleSendOptions = {}): Promise<CommittedTx> {
  return sendSettle(client, validatorKey, settleCall('faucetPolicy', args), opts);
}

/** What the SANDBOX faucet paid: test money, not real funds. */
export interface FaucetPayment {
  entry: number;
  to: string;
  currency: string;
  amount: string;
  issuer: string;
  sandbox: true;
  /** What this DID may still receive of the currency. */
  left: string;
  settledWaiting: string[];
}

/** SANDBOX: test money from the faucet of a development alliance, to the key's own DID. */
export async function settleFaucet(client: ShulianClient, key: KeyPair, args: { currency: string; amount: string }, opts: SettleSendOptions = {}): Promise<FaucetPayment> {
  return resultAs<FaucetPayment>((await sendSettle(client, key, settleCall('faucet', args), opts)).receipt.result);
}

export async function settleTaxPolicy(client: ShulianClient, key: KeyPair, args: { authority: string; rates: Record<string, number> }, opts: SettleSendOptions = {}): Promise<CommittedTx> {
  return sendSettle(client, key, settleCall('taxPolicy', args), opts);
}

export async function settleClear(client: ShulianClient, key: KeyPair, args: { period: string; currency: string }, opts: SettleSendOptions = {}): Promise<JsonValue> {
  return (await sendSettle(client, key, settleCall('clear', args), opts)).receipt.result ?? null;
}

export async function settleRetry(client: ShulianClient, key: KeyPair, args: { payer: string; currency: string }, opts: SettleSendOptions = {}): Promise<{ settled: string[]; failed: string[] }> {
  return resultAs<{ settled: string[]; failed: string[] }>((await sendSettle(client, key, settleCall('retry', args), opts)).receipt.result);
}

// ---- reads ---------------------------------------------------------------------------------

const srcOf = (client: ShulianClient, o: SettleReadOptions): StateSource => settleStateSource(client, o);

export const settleBalances = (client: ShulianClient, did: string, o: SettleReadOptions = {}) => readBalances(srcOf(client, o), did, at(o));
export const settleJournal = (client: ShulianClient, q: Omit<JournalQuery, 'height'> = {}, o: SettleReadOptions = {}) => readJournal(srcOf(client, o), { ...q, ...at(o) });
export const settleEntry = (client: ShulianClient, n: number, o: SettleReadOptions = {}): Promise<JournalEntry | null> => readEntry(srcOf(client, o), n, at(o));
export const settleTotals = (client: ShulianClient, o: SettleReadOptions = {}) => readTotals(srcOf(client, o), at(o));
export const settleIssuers = (client: ShulianClient, o: SettleReadOptions = {}) => readIssuers(srcOf(client, o), at(o));
export const settleFaucetInfo = (client: ShulianClient, did?: string, currency?: string, o: SettleReadOptions = {}) => readFaucet(srcOf(client, o), did, currency, at(o));
export const settleTax = (client: ShulianClient, o: SettleReadOptions = {}) => readTaxPolicy(srcOf(client, o), at(o));
export const settleClearing = (client: ShulianClient, period: string, currency: string, o: SettleReadOptions = {}) => readClearing(srcOf(client, o), period, currency, at(o));
export const settleInstruction = (client: ShulianClient, id: string, o: SettleReadOptions = {}) => readInstruction(srcOf(client, o), id, at(o));
export const settleInstructionByKey = (client: ShulianClient, payer: string, key: string, origin?: { chain: string; port: string; contract: string }, o: SettleReadOptions = {}) =>
  readInstructionByKey(srcOf(client, o), payer, key, origin, at(o));
export const settleInstructionsOf = (client: ShulianClient, payer: string, o: SettleReadOptions & { limit?: number } = {}) => readInstructionsOf(srcOf(client, o), payer, { ...at(o), ...(o.limit ? { limit: o.limit } : {}) });

/** A statement; once cleared, with the state proof of its recorded hash checked locally. */
export async function settleStatement(client: ShulianClient, period: string, currency: string, account: string, o: SettleReadOptions = {}): Promise<Statement & { proof?: VerifiedState }> {
  const chain = o.chain ?? DEFAULT_SETTLE_CHAIN;
  const s = await readStatement(srcOf(client, o), chain, period, currency, account, at(o));
  if (!s.cleared) return s;
  const proof = await client.verifiedState(chain, s.key);
  if ((proof.value as { hash?: unknown } | null)?.hash !== s.record.hash) throw new ShulianError('PROOF_INVALID', `the proven statement ${s.key} does not carry hash ${s.record.hash}`);
  return { ...s, proof };
}

/** The e-invoices of a settled service instruction, built locally from the chain's records. */
export async function settleInvoices(client: ShulianClient, id: string, o: SettleReadOptions & Omit<InvoiceOptions, 'chain'> = {}): Promise<Array<InvoiceJson & { xml: string }>> {
  const chain = o.chain ?? DEFAULT_SETTLE_CHAIN;
  const src = srcOf(client, o);
  const rec = await readInstruction(src, id, at(o));
  if (!rec) throw new ShulianError('NOT_FOUND', `no settlement instruction ${id} on chain ${chain}`);
  if (!rec.settled) throw new ShulianError('NOT_SETTLED', `instruction ${id} is ${rec.status}; only settled instructions are invoiced`);
  const entry = await readEntry(src, rec.settled.entry, at(o));
  if (!entry) throw new ShulianError('NOT_FOUND', `journal entry ${rec.settled.entry} is missing`);
  const io: InvoiceOptions = { chain };
  if (o.parties) io.parties = o.parties;
  if (o.defaultCountry) io.defaultCountry = o.defaultCountry;
  return buildInvoices(rec, entry, io).map((inv) => ({ ...inv, xml: invoiceXml(inv) }));
}
