/**
 * `shulian settle balance|journal|faucet|pay|instruct|status|statement|invoice|clear|deposit`: the
 * settlement chain from the command line. main.ts mounts it with
 * `program.addCommand(settleCommand())`. Money is shown in decimal units of its currency and
 * entered the same way ("125.00"); sandbox money is labelled SANDBOX.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { foreign, ShulianError, HEX64_RE, type JsonValue } from '../../codec/index.ts';
import {
  ShulianClient, DEFAULT_SETTLE_CHAIN, formatMinor, parseDecimal, settleBalances, settleClear, settleInstruct,
  settleFaucet, settleFaucetInfo, settleInstruction, settleInstructionByKey, settleInvoices, settleIssuers, settleJournal, settleStatement,
  settleTransfer, type InstructionInput, type InstructionRecord,
} from '../../sdk/index.ts';
import { didFromPublicKey } from '../../crypto/index.ts';
import { didOf, loadKey } from '../keyfile.ts';
import { emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, intArg, jsonOption, keyOption, run } from '../options.ts';
import { verifyingClient } from '../trust.ts';

interface ReadOpts extends CommonOptions {
  chain: string;
  verify?: boolean;
}
interface SignOpts extends CommonOptions {
  chain: string;
  key: string;
  passwordEnv?: string;
  timeout: number;
}

/** Verified reads (--verify) check proofs against the genesis pinned on first use (src/cli/trust.ts). */
const client = (o: CommonOptions): ShulianClient => verifyingClient(o);
const chainOption = (): Option => new Option('--chain <id>', 'settlement chain id').default(DEFAULT_SETTLE_CHAIN);
const reading = (c: Command): Command => c.addOption(chainOption()).addOption(new Option('--verify', 'check every state read\'s proof locally')).addOption(apiOption()).addOption(jsonOption());
const signing = (c: Command): Command => c
  .addOption(keyOption())
  .addOption(new Option('--password-env <var>', 'read the keystore password from this environment variable (default: ask at the terminal)'))
  .option('--timeout <ms>', 'how long to wait for the block', intArg('--timeout', 1), 30000)
  .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption());



function money(minor: string, cur: string): string {
  return `${formatMinor(minor, cur)} ${cur}`;
}

function decimal(amount: string, currency: string): string {
  try {
    return parseDecimal(amount, currency).toString();
  } catch (e) {
    throw usage(`--amount: ${(e as Error).message}`);
  }
}

async function sandboxLine(o: ReadOpts | SignOpts, currencies: string[]): Promise<string[]> {
  const issuers = (await settleIssuers(client(o), { chain: o.chain })).filter((i) => i.sandbox && i.currencies.some((c) => currencies.includes(c)));
  return issuers.length ? [`SANDBOX    ${issuers.map((i) => i.name).join(', ')}: sandbox issuer(s) — test money, not real funds`] : [];
}

async function balanceCmd(who: string, o: ReadOpts): Promise<void> {
  const did = didOf(who, 'the account');
  const b = await settleBalances(client(o), did, { chain: o.chain, verified: o.verify === true });
  const sb = await sandboxLine(o, b.balances.map((x) => x.currency));
  emit(o, { chain: o.chain, ...b, sandbox: sb.length > 0 }, () => [
    `account    ${did} (chain ${o.chain}, height ${b.height}${o.verify ? ', proofs verified' : ''})`,
    ...(b.balances.length === 0 ? ['no balances'] : b.balances.map((x) => `${x.currency}        available ${formatMinor(x.available, x.currency)}  held ${formatMinor(x.held, x.currency)}  total ${formatMinor(x.total, x.currency)}${x.issued ? `  issued ${formatMinor(x.issued, x.currency)}` : ''}`)),
    ...sb,
  ]);
}

async function journalCmd(o: ReadOpts & { account?: string; currency?: string; limit: number }): Promise<void> {
  if (o.account && !o.currency) throw usage('--account needs --currency');
  const q: Parameters<typeof settleJournal>[1] = { limit: o.limit };
  if (o.account) q.account = o.account;
  if (o.currency) q.currency = o.currency;
  const j = await settleJournal(client(o), q, { chain: o.chain, verified: o.verify === true });
  const sbj = o.json ? [] : await sandboxLine(o, [...new Set(j.entries.map((e) => e.currency))]);
  emit(o, { chain: o.chain, ...j }, () => j.entries.length === 0 ? 'no journal entries' : [...j.entries.flatMap((e) => [
    `#${e.n}  ${e.kind}  ${e.currency}  height ${e.height}  ${new Date(e.time).toISOString()}${e.ref ? `  ref ${e.ref}` : ''}`,
    ...e.lines.map((l) => `    ${l.side === 'debit' ? 'Dr' : 'Cr'}  ${l.account}  ${formatMinor(l.amount, e.currency)}${l.for ? `  (tax for ${l.for})` : ''}`),
  ]), ...sbj]);
}

async function payCmd(o: SignOpts & { to: string; amount: string; currency: string; memo?: string }): Promise<void> {
  const key = await loadKey(o.key, o.passwordEnv);
  const to = didOf(o.to, '--to');
  const r = await settleTransfer(client(o), key, { to, currency: o.currency, amount: decimal(o.amount, o.currency), ...(o.memo ? { memo: o.memo } : {}) }, { chain: o.chain, timeoutMs: o.timeout });
  const sb = o.json ? [] : await sandboxLine(o, [o.currency]);
  emit(o, r, () => [`paid       ${o.amount} ${o.currency} to ${to}`, `entry      #${r.entry}`, ...(r.settledWaiting.length ? [`also paid  ${r.settledWaiting.length} waiting instruction(s)`] : []), ...sb]);
}

function readJsonArg(v: string, what: string): JsonValue {
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw usage(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function statusLines(r: { id: string; status: string; total: string; currency: string; lines: InstructionRecord['lines']; failure?: { code: string; message: string } | undefined; duplicate?: boolean }): string[] {
  return [
    `instruction ${r.id}`,
    `status     ${r.status}${r.duplicate ? ' (duplicate: the first result)' : ''}${r.failure ? ` — ${r.failure.code}: ${r.failure.message}` : ''}`,
    `total      ${money(r.total, r.currency)}`,
    ...r.lines.map((l) => `  → ${l.to}  ${money(l.net, r.currency)}${l.tax !== '0' ? `  + tax ${money(l.tax, r.currency)} at ${(l.rateBp ?? 0) / 100} % (${l.category})` : ''}`),
  ];
}

/**
 * The instruction's payer and payees may name keys (`"to": "bob"`) instead of DIDs: each becomes
 * that keystore's DID (src/cli/keyfile.ts), so a shipped sample needs no one's DID.
 */
function withDids(ins: InstructionInput): InstructionInput {
  const out = { ...ins } as InstructionInput & Record<string, unknown>;
  const fix = <T extends { to: string }>(xs: T[] | undefined, where: string): T[] | undefined => xs?.map((x, i) => (typeof x?.to === 'string' ? { ...x, to: didOf(x.to, `${where}[${i}].to`) } : x));
  if (typeof out.payer === 'string') out.payer = didOf(out.payer, 'payer');
  if (Array.isArray(out.payments)) out.payments = fix(out.payments, 'payments');
  const split = out.split as { by?: string; shares?: Array<{ to: string }>; tiers?: Array<{ shares: Array<{ to: string }> }> } | undefined;
  if (split && typeof split === 'object') {
    out.split = {
      ...split,
      ...(Array.isArray(split.shares) ? { shares: fix(split.shares, 'split.shares') } : {}),
      ...(Array.isArray(split.tiers) ? { tiers: split.tiers.map((t, i) => ({ ...t, shares: fix(t.shares, `split.tiers[${i}].shares`) ?? t.shares })) } : {}),
    } as InstructionInput['split'];
  }
  return out;
}

async function instructCmd(o: SignOpts & { instruction: string }): Promise<void> {
  const ins = withDids(readJsonArg(o.instruction, '--instruction') as unknown as InstructionInput);
  const key = await loadKey(o.key, o.passwordEnv);
  const payer = didFromPublicKey(key.publicKey);
  const body = { ...ins, payer: (ins as { payer?: string }).payer ?? payer } as InstructionInput;
  const r = await settleInstruct(client(o), key, body, { chain: o.chain, timeoutMs: o.timeout });
  const sb = o.json ? [] : await sandboxLine(o, [r.currency]);
  emit(o, r, () => [...statusLines(r), ...sb]);
}

async function statusCmd(idOrKey: string, o: ReadOpts & { payer?: string }): Promise<void> {
  const c = client(o);
  const r = o.payer
    ? await settleInstructionByKey(c, o.payer, idOrKey, undefined, { chain: o.chain, verified: o.verify === true })
    : HEX64_RE.test(idOrKey) ? await settleInstruction(c, idOrKey, { chain: o.chain, verified: o.verify === true }) : (() => { throw usage('give an instruction id (64 hex digits), or an idempotency key with --payer <did>'); })();
  if (!r) throw new ShulianError('NOT_FOUND', `no settlement instruction ${idOrKey}${o.payer ? ` of ${o.payer}` : ''} on chain ${o.chain}`);
  const sb = o.json ? [] : await sandboxLine(o, [r.currency]);
  emit(o, r, () => [...statusLines(r), ...(r.settled ? [`settled    height ${r.settled.height}, journal entry #${r.settled.entry}`] : []), ...sb]);
}

/** A statement's day: YYYY-MM-DD, or `today` / `yesterday` (UTC, as the chain's periods are). */
export function periodArg(p: string, now = Date.now()): string {
  if (p === 'today' || p === 'yesterday') return new Date(now - (p === 'yesterday' ? 86_400_000 : 0)).toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(p)) throw usage(`the period is a UTC day: YYYY-MM-DD, today or yesterday; not "${p}"`);
  return p;
}

async function statementCmd(day: string, currency: string, who: string, o: ReadOpts): Promise<void> {
  const period = periodArg(day);
  const account = who.startsWith('issue:') || who.startsWith('escrow:') ? who : didOf(who, 'the account');
  const s = await settleStatement(client(o), period, currency, account, { chain: o.chain });
  const r = s.record;
  const sb = o.json ? [] : await sandboxLine(o, [currency]);
  emit(o, s, () => [
    `statement  ${account}  ${currency}  ${period}${s.cleared ? `  (cleared; hash ${r.hash}, state proof verified)` : '  (period not cleared yet: running figures)'}`,
    `opening    ${formatMinor(r.opening, currency)}`,
    ...s.entries.map((e) => `  #${e.n} ${e.kind.padEnd(11)} ${formatMinor(e.lines.filter((l) => l.account === account).reduce((a, l) => a + (l.side === 'credit' ? BigInt(l.amount) : -BigInt(l.amount)), 0n), currency)}`),
    `debits     ${formatMinor(r.debits, currency)}`,
    `credits    ${formatMinor(r.credits, currency)}`,
    `closing    ${formatMinor(r.closing, currency)}`,
    ...sb,
  ]);
}

async function invoiceCmd(id: string, o: ReadOpts & { xml?: boolean; line: number; out?: string; country?: string }): Promise<void> {
  const invs = await settleInvoices(client(o), id, { chain: o.chain, verified: o.verify === true, ...(o.country ? { defaultCountry: o.country } : {}) });
  // An invoice of test money says so; beside the XML (on stderr), so the document stays as built.
  const sb = o.json ? [] : await sandboxLine(o, [...new Set(invs.map((i) => i.currency))]);
  if (o.xml) {
    const inv = invs[o.line - 1];
    if (!inv) throw usage(`instruction ${id} has ${invs.length} invoice(s); --line ${o.line} does not exist`);
    if (o.out) writeFileSync(o.out, inv.xml);
    else process.stdout.write(inv.xml);
    if (sb.length) process.stderr.write(sb.join('\n') + '\n');
    return;
  }
  const json = invs.map(({ xml: _x, ...rest }) => rest);
  if (o.out) writeFileSync(o.out, JSON.stringify(json, null, 2) + '\n');
  emit(o, json, () => [...json.flatMap((i) => [
    `invoice    ${i.id}  ${i.issueDate}  supplier ${i.supplier.did} → customer ${i.customer.did}`,
    `           net ${money(i.totals.taxExclusive, i.currency)}  tax ${money(i.totals.tax, i.currency)}  total ${money(i.totals.payable, i.currency)}`,
  ]), ...sb]);
}

async function clearCmd(day: string, currency: string, o: SignOpts): Promise<void> {
  const period = periodArg(day);
  const key = await loadKey(o.key, o.passwordEnv);
  type Step = { participants: number; processed: number; complete: boolean; root: string; positions: Array<{ account: string; net: string }> };
  const positions: Step['positions'] = [];
  let r: Step;
  // A large period takes several calls; each records the next participants' statements.
  do {
    r = (await settleClear(client(o), key, { period, currency }, { chain: o.chain, timeoutMs: o.timeout })) as unknown as Step;
    positions.push(...r.positions);
  } while (!r.complete);
  emit(o, { ...r, positions }, () => [`cleared    ${period} ${currency}: ${r.participants} participants, root ${r.root}`, ...positions.map((p) => `  ${p.account}  net ${formatMinor(p.net, currency)}`)]);
}

/** SANDBOX: test money from the faucet of a development alliance (`shulian up`), to the key's own DID. */
async function faucetCmd(o: SignOpts & { amount: string; currency: string }): Promise<void> {
  const key = await loadKey(o.key, o.passwordEnv);
  const me = didFromPublicKey(key.publicKey);
  const c = client(o);
  const { policy } = await settleFaucetInfo(c, undefined, undefined, { chain: o.chain });
  if (!policy || policy.perDid === '0') {
    throw new ShulianError('FAUCET_CLOSED', `chain ${o.chain} runs no SANDBOX faucet: only a development alliance started with \`shulian up\` has one (test money); on another alliance money comes in through an issuer (docs/settlement.md)`);
  }
  let r;
  try {
    r = await settleFaucet(c, key, { currency: o.currency, amount: decimal(o.amount, o.currency) }, { chain: o.chain, timeoutMs: o.timeout });
  } catch (e) {
    if (e instanceof ShulianError && e.code === 'FAUCET_LIMIT') {
      const { given } = await settleFaucetInfo(c, me, o.currency, { chain: o.chain });
      const left = BigInt(policy.perDid) - BigInt(given ?? '0');
      throw new ShulianError('FAUCET_LIMIT', `the SANDBOX faucet gives each DID up to ${money(policy.perDid, o.currency)}; ${me} has had ${money(given ?? '0', o.currency)}${left > 0n ? `, so ask for at most ${money(left.toString(), o.currency)}` : ' already'}`);
    }
    throw e;
  }
  emit(o, { ...r, notice: 'SANDBOX: test money, not real funds' }, () => [
    `SANDBOX faucet: ${money(r.amount, r.currency)} to ${me} — test money, not real funds`,
    `entry      #${r.entry} (issuer ${r.issuer})`,
    `left       ${money(r.left, r.currency)} more from the faucet for this DID`,
  ]);
}

/** Pays money in through the SANDBOX rail (test money): the rail's webhook makes its issuer mint it. */
async function depositCmd(o: ReadOpts & { rail: string; to: string; amount: string; currency: string; wait?: boolean; timeout: number }): Promise<void> {
  const amount = decimal(o.amount, o.currency);
  o = { ...o, to: didOf(o.to, '--to') };
  const c = client(o);
  const before = o.wait ? await settleBalances(c, o.to, { chain: o.chain }) : undefined;
  let res: Response;
  try {
    res = await fetch(`${o.rail.replace(/\/+$/, '')}/v1/sandbox/deposits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: o.to, currency: o.currency, amount }), signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new ShulianError('RAIL_UNREACHABLE', `cannot reach the sandbox rail at ${o.rail}; \`shulian up\` runs one and prints its URL (or run \`node --import tsx scripts/sandbox-rail.ts --data-dir DIR --webhook URL\`)`);
  }
  const j = (await res.json()) as { id?: string; error?: { code: string; message: string } };
  if (!res.ok) throw new ShulianError(foreign(j.error?.code) ?? 'RAIL_ERROR', `the sandbox rail refused the deposit: ${j.error?.message ?? res.status}`);
  let minted = false;
  if (o.wait) {
    const was = BigInt(before!.balances.find((b) => b.currency === o.currency)?.available ?? '0');
    const deadline = Date.now() + o.timeout;
    let delay = 50;
    while (!minted) {
      const now = await settleBalances(c, o.to, { chain: o.chain });
      minted = BigInt(now.balances.find((b) => b.currency === o.currency)?.available ?? '0') >= was + BigInt(amount);
      if (minted) break;
      if (Date.now() > deadline) throw new ShulianError('TIMEOUT', `the SANDBOX deposit ${j.id} was not minted on chain ${o.chain} within ${o.timeout} ms; is the deposit watcher running?`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }
  const out = { sandbox: true, rail: 'sandbox', deposit: j.id, to: o.to, currency: o.currency, amount, minted };
  emit(o, out, () => [
    `SANDBOX deposit ${j.id}: ${o.amount} ${o.currency} to ${o.to} — test money, not real funds`,
    o.wait ? `minted     on chain ${o.chain}` : 'sent       the rail notifies the issuer\'s deposit watcher, which mints it on chain',
  ]);
}

export function settleCommand(): Command {
  const s = new Command('settle').description('accounts, payments, instructions, statements and invoices on the settlement chain (结算链)');
  reading(s.command('balance').description('balances of a DID in every currency').argument('<did>', 'account DID, or one of your key names')).action(run<[string], ReadOpts>(balanceCmd));
  reading(s.command('journal').description('journal entries, newest first (of one account with --account and --currency)'))
    .option('--account <account>', 'a DID, issue:<did> or escrow:<did>')
    .option('--currency <code>', 'ISO 4217 code')
    .option('--limit <n>', 'most entries', intArg('--limit', 1), 20)
    .action(run<[], ReadOpts & { account?: string; currency?: string; limit: number }>(journalCmd));
  signing(s.command('faucet').description('SANDBOX: test money (not real funds) from a development alliance\'s faucet to your own DID, up to its limit per DID'))
    .option('--amount <decimal>', 'how much, e.g. 1000.00', '1000.00').option('--currency <code>', 'ISO 4217 code', 'CNY')
    .action(run<[], SignOpts & { amount: string; currency: string }>(faucetCmd));
  signing(s.command('pay').description('pay another DID from your account'))
    .requiredOption('--to <did>', 'payee: a DID or one of your key names').requiredOption('--amount <decimal>', 'e.g. 125.00').requiredOption('--currency <code>', 'e.g. CNY').option('--memo <text>', 'memo')
    .action(run<[], SignOpts & { to: string; amount: string; currency: string; memo?: string }>(payCmd));
  signing(s.command('instruct').description('send a settlement instruction (JSON or @file; amounts in minor units; payer defaults to the signer; payees may be key names, e.g. "to": "bob")'))
    .requiredOption('--instruction <json>', 'e.g. {"idempotencyKey":"o-1","currency":"CNY","total":"30000","split":{"by":"bp","shares":[…]},"taxCategory":"service"}')
    .action(run<[], SignOpts & { instruction: string }>(instructCmd));
  reading(s.command('status').description('status of an instruction by id, or by idempotency key with --payer').argument('<id-or-key>'))
    .option('--payer <did>', 'look up by this payer\'s idempotency key')
    .action(run<[string], ReadOpts & { payer?: string }>(statusCmd));
  reading(s.command('statement').description('a participant\'s statement (对账单) for a UTC day; proof-checked once cleared').argument('<period>', 'YYYY-MM-DD, today or yesterday (UTC)').argument('<currency>').argument('<account>', 'a DID, one of your key names, issue:<did> or escrow:<did>'))
    .action(run<[string, string, string], ReadOpts>(statementCmd));
  reading(s.command('invoice').description('e-invoices of a settled service instruction (JSON, or UBL 2.1 / Peppol BIS 3.0 XML)').argument('<id>'))
    .option('--xml', 'print the UBL XML of one invoice').option('--line <n>', 'which payee\'s invoice', intArg('--line', 1), 1)
    .option('--out <file>', 'write to a file').option('--country <code>', 'ISO 3166 country of the parties (default CN)')
    .action(run<[string], ReadOpts & { xml?: boolean; line: number; out?: string; country?: string }>(invoiceCmd));
  signing(s.command('clear').description('clear a finished UTC day in one currency: net positions and statements').argument('<period>', 'YYYY-MM-DD or yesterday (UTC)').argument('<currency>'))
    .action(run<[string, string], SignOpts>(clearCmd));
  reading(s.command('deposit').description('SANDBOX: pay test money in through the sandbox rail (not real funds)'))
    .requiredOption('--rail <url>', 'sandbox rail URL (`shulian up` prints it)').requiredOption('--to <did>', 'account to credit: a DID or one of your key names')
    .requiredOption('--amount <decimal>', 'e.g. 100.00').requiredOption('--currency <code>', 'e.g. CNY')
    .option('--wait', 'wait until the deposit is minted on chain').option('--timeout <ms>', 'how long to wait', intArg('--timeout', 1), 30000)
    .action(run<[], ReadOpts & { rail: string; to: string; amount: string; currency: string; wait?: boolean; timeout: number }>(depositCmd));
  return s;
}
