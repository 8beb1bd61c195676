import type { Genesis } from '../../ledger/index.ts';
import { didSchema as did, digestSchema, z } from '../../codec/schemas.ts';
import { exported, method, ModuleError, refuseFrozen, type ExportDef, type ModuleContext, type ModuleDef, type ModuleErrorCode } from '../../runtime/index.ts';
import { asJson, type StateKey } from '../../codec/index.ts';
import { FROM_XCHAIN, sendPacket } from '../xchain/index.ts';
import { ackCallbackArgs, timeoutCallbackArgs } from '../xchain/types.ts';
import {
  PERIOD_RE, chainEntryHash, instructionIdOf, periodEnd, periodOf, sm3Hex, splitByShares, splitByTiers,
  statementHash, taxIn, ZERO_HASH,
} from './calc.ts';
import { sk } from './keys.ts';
import {
  amountSchema as amount, categorySchema as category, currencySchema as currency, instructionSchema as instructionArgs, memoSchema as memo, nameSchema as name,
  positiveAmountSchema as positive, refSchema as ref, serviceSchema, shareSchema as share, timeSchema as time, type Instruction,
} from './args.ts';
import type { SettlementModuleErrorCode } from './errors.ts';
import type {
  AccountRecord, ClearingRecord, EntryKind, FaucetPolicy, HoldRecord, InstructionLine, InstructionOrigin, InstructionRecord, IssuerRecord,
  JournalEntry, JournalLine, Mandate, PeriodSummary, StatementRecord, StatusReport, TaxPolicy, Totals,
} from './types.ts';

export * from './types.ts';
export * from './calc.ts';
export { sk as settlementKeys, fullKey as settlementStateKey, settlementFullKey, MODULE as SETTLEMENT_MODULE } from './keys.ts';

/**
 * settlement — accounts per DID and currency, a double-entry journal, funding rails (issuers),
 * settlement instructions (split, tax, idempotency, wait-or-fail, mandates for cross-chain
 * contracts), holds, clearing with statements, all in integer minor units (see docs/settlement.md).
 *
 * Authority: the chain's genesis validators register issuers and may set the tax policy (so may
 * the tax authority the policy names); a registered issuer mints its currencies against deposits;
 * any DID pays from its own account; a lex contract on another chain pays from a payer's account
 * only within a mandate the payer granted it.
 */

const packetArgs = z.object({
  srcChain: name, srcPort: name, dstChain: name, dstPort: name,
  sequence: z.number().int().min(0), sender: did,
  payload: z.unknown(),
});
const instructionPayload = z.strictObject({ kind: z.literal('settlement-instruction'), contract: ref, instruction: instructionArgs });

/**
 * Waiting instructions a crediting tx pays at most (a 32-payee split with tax costs about 175k
 * gas, so eight stay well inside the default 2M per tx); `retry` pays more.
 */
const MAX_DRAIN = 8;
const MAX_DRAIN_XCHAIN = 2;
/** Participants one `clear` call settles at most (a period with more is cleared in several calls). */
const MAX_CLEAR_STEP = 500;

/** The ports settlement is bound to (ModuleDef.port): lex contracts send instructions, get statuses back. */
const SETTLEMENT_COUNTERPARTS: readonly string[] = ['lexcontract', 'privacy'];

const isIssue = (account: string): boolean => account.startsWith('issue:');

interface TxScope {
  /** DIDs credited by this tx whose waiting instructions may now be paid. */
  credited: Set<string>;
}

function fail(code: ModuleErrorCode, message: string): never {
  throw new ModuleError(code, message);
}

function hereOf(ctx: ModuleContext) {
  return { height: ctx.height, time: ctx.time, tx: ctx.txHash };
}

export function createSettlementModule(genesis: Pick<Genesis, 'chain' | 'validators' | 'sandbox'>): ModuleDef {
  const validators = new Set(genesis.validators.map((v) => v.did));

  /**
   * A chain born in sandbox mode takes only sandbox issuers' money until it is promoted; the
   * promotion reaches it as its own route without the sandbox label (docs/governance.md#sandbox-chains).
   * Until that route is synced here the chain counts as a sandbox: the safe side.
   */
  function inSandbox(ctx: ModuleContext): boolean {
    if (genesis.sandbox !== true) return false;
    try {
      const l = ctx.call('xchain', 'label', {});
      const o = l && typeof l === 'object' && !Array.isArray(l) ? l : {};
      return !(o.registered === true && o.sandbox === false);
    } catch (err) {
      if (err instanceof ModuleError && err.code === 'EXPORT_NOT_FOUND') return true;
      throw err;
    }
  }

  // ---- journal ---------------------------------------------------------------------------

  function account(ctx: ModuleContext, cur: string, acct: string): AccountRecord {
    return ctx.read(sk.account(cur, acct)) ?? { account: acct, currency: cur, balance: '0', entries: 0 };
  }

  function balanceOf(ctx: ModuleContext, cur: string, acct: string): bigint {
    return BigInt(account(ctx, cur, acct).balance);
  }

  /** Posts one balanced entry: balances, per-account index, period summaries, totals. */
  function post(ctx: ModuleContext, scope: TxScope | undefined, kind: EntryKind, cur: string, lines: JournalLine[], extra: { ref?: string; memo?: string } = {}): number {
    let debits = 0n;
    let credits = 0n;
    const delta = new Map<string, bigint>();
    for (const l of lines) {
      const a = BigInt(l.amount);
      if (a <= 0n) fail('SETTLEMENT_FAULT', 'a journal line has no positive amount');
      if (l.side === 'debit') debits += a;
      else credits += a;
      delta.set(l.account, (delta.get(l.account) ?? 0n) + (l.side === 'credit' ? a : -a));
    }
    if (debits !== credits) fail('SETTLEMENT_FAULT', `unbalanced entry: debits ${debits} ≠ credits ${credits}`);
    // Nothing moves to, from or in a frozen party, whoever asks (a tx, a contract's instruction, a packet).
    refuseFrozen(ctx, { type: 'token', denom: cur });
    for (const acct of delta.keys()) if (acct.startsWith('did:')) refuseFrozen(ctx, { type: 'account', did: acct, currency: cur });
    const n = (ctx.read(sk.seq()) ?? 0) + 1;
    ctx.write(sk.seq(), n);
    const period = periodOf(ctx.time);
    for (const [acct, d] of delta) {
      const rec = account(ctx, cur, acct);
      const before = BigInt(rec.balance);
      const after = before + d;
      if (after < 0n && !isIssue(acct)) {
        fail('INSUFFICIENT_FUNDS', `${acct} has ${before} ${cur} minor units; ${-d} are needed`);
      }
      if (after > 0n && isIssue(acct)) fail('SETTLEMENT_FAULT', `issuance account ${acct} would hold more than it issued`);
      const k = rec.entries;
      ctx.write(sk.accountEntry(cur, acct, k), n);
      // The current period's summary rides in the account record (one key per account per
      // entry); when a new period starts, the finished one is archived under ps/<period>/….
      let ps = rec.period;
      if (!ps || ps.period !== period) {
        if (ps) ctx.write(sk.period(ps.period, cur, acct), ps);
        ps = { period, currency: cur, account: acct, opening: before.toString(), closing: before.toString(), debits: '0', credits: '0', first: k, last: k, entriesHash: ZERO_HASH };
        const count = ctx.read(sk.participants(period, cur)) ?? 0;
        ctx.write(sk.participant(period, cur, count), acct);
        ctx.write(sk.participants(period, cur), count + 1);
      } else {
        ps = { ...ps };
      }
      ps.closing = after.toString();
      if (d < 0n) ps.debits = (BigInt(ps.debits) - d).toString();
      else ps.credits = (BigInt(ps.credits) + d).toString();
      ps.last = k;
      ps.entriesHash = chainEntryHash(ps.entriesHash, n, d);
      ctx.write(sk.account(cur, acct), { account: acct, currency: cur, balance: after.toString(), entries: k + 1, period: ps });
      if (d > 0n && scope && acct.startsWith('did:')) scope.credited.add(acct);
    }
    const tkey = sk.totals(cur);
    const t = ctx.read(tkey);
    if (!t) {
      const curs = ctx.read(sk.currencies()) ?? [];
      ctx.write(sk.currencies(), [...curs, cur].sort());
    }
    const tot: Totals = {
      currency: cur,
      debits: (BigInt(t?.debits ?? '0') + debits).toString(),
      credits: (BigInt(t?.credits ?? '0') + credits).toString(),
      entries: (t?.entries ?? 0) + 1,
    };
    if (tot.debits !== tot.credits) fail('SETTLEMENT_FAULT', `books of ${cur} would not balance`);
    ctx.write(tkey, tot);
    const entry: JournalEntry = { n, kind, currency: cur, lines, ...hereOf(ctx) };
    if (extra.ref !== undefined) entry.ref = extra.ref;
    if (extra.memo !== undefined) entry.memo = extra.memo;
    ctx.write(sk.entry(n), entry);
    return n;
  }

  /** An account's summary of a period: archived, or still in its account record. */
  function periodSummary(ctx: ModuleContext, period: string, cur: string, acct: string): PeriodSummary {
    const archived = ctx.read(sk.period(period, cur, acct));
    if (archived) return archived;
    const live = account(ctx, cur, acct).period;
    if (live?.period !== period) fail('SETTLEMENT_FAULT', `no ${period} summary for ${acct}`);
    return live;
  }

  const debit = (account: string, amt: bigint): JournalLine => ({ account, side: 'debit', amount: amt.toString() });
  const credit = (account: string, amt: bigint, forPayee?: string): JournalLine =>
    forPayee === undefined ? { account, side: 'credit', amount: amt.toString() } : { account, side: 'credit', amount: amt.toString(), for: forPayee };

  // ---- authority -------------------------------------------------------------------------

  function issuerFor(ctx: ModuleContext, issuer: string, cur: string, mustBeActive = true): IssuerRecord {
    const rec = ctx.read(sk.issuer(issuer));
    if (!rec || (mustBeActive && !rec.active)) fail('NOT_ISSUER', `${issuer} is not a registered issuer on chain ${ctx.chain}; a validator registers issuers with settlement.registerIssuer`);
    if (!rec.currencies.includes(cur)) fail('NOT_ISSUER', `issuer ${issuer} is not registered for ${cur} (it issues ${rec.currencies.join(', ')})`);
    return rec;
  }

  function requireValidator(ctx: ModuleContext, what: string): void {
    if (!validators.has(ctx.sender)) fail('FORBIDDEN', `only a validator of chain ${ctx.chain} may ${what}; ${ctx.sender} is not one`);
  }

  // ---- instructions ----------------------------------------------------------------------

  function planLines(ctx: ModuleContext, ins: Instruction): { total: bigint; lines: InstructionLine[]; authority?: string } {
    if ((ins.payments === undefined) === (ins.split === undefined)) fail('BAD_INSTRUCTION', 'give either payments (explicit amounts) or split (with total), not both or neither');
    const parts: Array<{ to: string; gross: bigint; category?: string }> = [];
    let total: bigint;
    if (ins.payments) {
      for (const p of ins.payments) parts.push({ to: p.to, gross: p.amount, ...(p.category ? { category: p.category } : {}) });
      total = parts.reduce((a, p) => a + p.gross, 0n);
      if (ins.total !== undefined && ins.total !== total) fail('BAD_INSTRUCTION', `total ${ins.total} is not the sum of the payments (${total})`);
    } else {
      if (ins.total === undefined) fail('BAD_INSTRUCTION', 'a split needs a total to divide');
      total = ins.total;
      const s = ins.split!;
      const push = (sh: z.output<typeof share>, g: bigint): void => {
        parts.push({ to: sh.to, gross: g, ...(sh.category ? { category: sh.category } : {}) });
      };
      if (s.by === 'tiers') {
        let prev = 0n;
        s.tiers.forEach((t, i) => {
          if (t.upTo === undefined && i !== s.tiers.length - 1) fail('BAD_INSTRUCTION', `tier ${i + 1} has no upTo; only the last tier may be open`);
          if (t.upTo !== undefined && t.upTo <= prev) fail('BAD_INSTRUCTION', `tier ${i + 1}: upTo must rise from tier to tier`);
          if (t.upTo !== undefined) prev = t.upTo;
          if (t.shares.every((x) => x.share === 0)) fail('BAD_INSTRUCTION', `tier ${i + 1}: the shares add up to zero`);
        });
        if (s.tiers[s.tiers.length - 1]!.upTo !== undefined && total > prev) fail('BAD_INSTRUCTION', `the total ${total} is above the last tier (${prev}); make the last tier open`);
        const amounts = splitByTiers(total, s.tiers.map((t) => ({ ...(t.upTo !== undefined ? { upTo: t.upTo } : {}), shares: t.shares.map((x) => BigInt(x.share)) })));
        s.tiers.forEach((t, i) => t.shares.forEach((sh, j) => push(sh, amounts[i]![j]!)));
      } else {
        const sum = s.shares.reduce((a, x) => a + x.share, 0);
        if (s.by === 'bp' && sum !== 10_000) fail('BAD_INSTRUCTION', `basis-point shares add up to ${sum}, not 10000 (100 %)`);
        if (sum === 0) fail('BAD_INSTRUCTION', 'the shares add up to zero');
        const amounts = splitByShares(total, s.shares.map((x) => BigInt(x.share)));
        s.shares.forEach((sh, i) => push(sh, amounts[i]!));
      }
    }
    const policy = ctx.read(sk.tax());
    const lines: InstructionLine[] = [];
    let taxed = false;
    for (const p of parts) {
      if (p.to === ins.payer) fail('BAD_INSTRUCTION', `payee ${p.to} is the payer`);
      if (p.gross === 0n) continue;
      const cat = p.category ?? ins.taxCategory;
      const line: InstructionLine = { to: p.to, gross: p.gross.toString(), tax: '0', net: p.gross.toString() };
      if (cat !== undefined) {
        if (!policy) fail('NO_TAX_POLICY', `tax category "${cat}" was given but chain ${ctx.chain} has no tax policy yet (settlement.taxPolicy)`);
        const rate = Object.hasOwn(policy.rates, cat) ? policy.rates[cat]! : fail('TAX_CATEGORY_UNKNOWN', `the tax policy has no category "${cat}"; it has ${Object.keys(policy.rates).join(', ') || 'none'}`);
        const { net, tax } = taxIn(p.gross, BigInt(rate));
        line.category = cat;
        line.rateBp = rate;
        line.tax = tax.toString();
        line.net = net.toString();
        if (tax > 0n) taxed = true;
        if (p.to === policy.authority && tax > 0n) fail('BAD_INSTRUCTION', 'the tax authority cannot be a taxed payee');
      }
      lines.push(line);
    }
    if (lines.length === 0) fail('BAD_INSTRUCTION', 'every payee\'s part is zero');
    return taxed ? { total, lines, authority: policy!.authority } : { total, lines };
  }

  function instructionId(origin: InstructionOrigin, payer: string, key: string): string {
    return instructionIdOf(origin.kind === 'xchain' ? { chain: origin.chain, port: origin.port, contract: origin.contract } : undefined, payer, key);
  }

  function mandateKeyOf(rec: InstructionRecord): StateKey<Mandate> | undefined {
    return rec.origin.kind === 'xchain' ? sk.mandate(rec.payer, rec.currency, rec.origin.chain, rec.origin.port, rec.origin.contract) : undefined;
  }

  /** Checks a mandate covers `total` now; returns the mandate or the reason it does not. */
  function mandateCheck(ctx: ModuleContext, key: StateKey<Mandate>, total: bigint): { ok: true; m: Mandate } | { ok: false; code: SettlementModuleErrorCode; message: string } {
    const m = ctx.read(key);
    if (!m || m.revoked) return { ok: false, code: 'NO_MANDATE', message: `the payer has granted no ${m?.revoked ? 'unrevoked ' : ''}mandate to this contract (settlement.grantMandate)` };
    if (m.expires !== undefined && ctx.time >= m.expires) return { ok: false, code: 'MANDATE_EXPIRED', message: `the mandate expired at ${new Date(m.expires).toISOString()}` };
    if (BigInt(m.used) + total > BigInt(m.cap)) return { ok: false, code: 'MANDATE_EXCEEDED', message: `the mandate's cap ${m.cap} would be exceeded (${m.used} used, ${total} asked)` };
    return { ok: true, m };
  }

  /** Pays a recorded instruction now if funds allow; returns whether it settled. */
  function trySettle(ctx: ModuleContext, scope: TxScope, rec: InstructionRecord): 'settled' | 'short' | 'failed' {
    const total = BigInt(rec.total);
    const mkey = mandateKeyOf(rec);
    let mandate: Mandate | undefined;
    if (mkey) {
      const c = mandateCheck(ctx, mkey, total);
      if (!c.ok) {
        rec.status = 'failed';
        rec.failure = { code: c.code, message: c.message, height: ctx.height };
        return 'failed';
      }
      mandate = c.m;
    }
    if (balanceOf(ctx, rec.currency, rec.payer) < total) return 'short';
    const lines: JournalLine[] = [debit(rec.payer, total)];
    for (const l of rec.lines) {
      lines.push(credit(l.to, BigInt(l.net)));
      if (l.tax !== '0') lines.push(credit(rec.taxAuthority!, BigInt(l.tax), l.to));
    }
    let entry: number;
    try {
      entry = post(ctx, scope, 'instruction', rec.currency, lines, { ref: rec.id, ...(rec.memo ? { memo: rec.memo } : {}) });
    } catch (err) {
      // A party frozen since the instruction was made: the instruction fails, the tx that tried it does not.
      if (!(err instanceof ModuleError) || err.code !== 'FROZEN') throw err;
      rec.status = 'failed';
      rec.failure = { code: 'FROZEN', message: err.message, height: ctx.height };
      return 'failed';
    }
    if (mkey && mandate) ctx.write(mkey, { ...mandate, used: (BigInt(mandate.used) + total).toString() });
    rec.status = 'settled';
    rec.settled = { ...hereOf(ctx), entry };
    return 'settled';
  }

  function statusOf(rec: InstructionRecord, duplicate: boolean): StatusReport {
    const out: StatusReport = {
      kind: 'settlement-status', id: rec.id, n: rec.n, idempotencyKey: rec.idempotencyKey, status: rec.status,
      payer: rec.payer, currency: rec.currency, total: rec.total, lines: rec.lines, duplicate,
    };
    if (rec.settled) out.settled = rec.settled;
    if (rec.failure) out.failure = rec.failure;
    return out;
  }

  /** Tells the contract that sent a (formerly waiting) instruction how it ended, if xchain runs here. */
  function notifyOrigin(ctx: ModuleContext, rec: InstructionRecord): void {
    if (rec.origin.kind !== 'xchain') return;
    try {
      sendPacket(ctx, { dstChain: rec.origin.chain, dstPort: rec.origin.port, payload: asJson({ ...statusOf(rec, false), contract: rec.origin.contract }) });
    } catch {
      // No xchain module on this chain (or it refused): the status stays queryable here.
    }
  }

  function enqueue(ctx: ModuleContext, rec: InstructionRecord): void {
    const qk = sk.queue(rec.currency, rec.payer);
    const q = ctx.read(qk) ?? { head: 0, tail: 0 };
    ctx.write(sk.queueItem(rec.currency, rec.payer, q.tail), rec.id);
    ctx.write(qk, { head: q.head, tail: q.tail + 1 });
  }

  /**
   * Pays a payer's waiting instructions in the order they arrived, until one does not fit the
   * balance (strict order: a later, smaller one never overtakes) or `budget` runs out.
   */
  function drain(ctx: ModuleContext, scope: TxScope, payer: string, cur: string, budget: number): { settled: string[]; failed: string[]; budget: number } {
    const qk = sk.queue(cur, payer);
    const q = ctx.read(qk);
    const out = { settled: [] as string[], failed: [] as string[], budget };
    if (!q || q.head >= q.tail) return out;
    let head = q.head;
    while (head < q.tail && out.budget > 0) {
      const id = ctx.read(sk.queueItem(cur, payer, head))!;
      const rec = ctx.read(sk.instruction(id))!;
      if (rec.status !== 'waiting') {
        ctx.delete(sk.queueItem(cur, payer, head));
        head++;
        continue;
      }
      out.budget--;
      let r: 'settled' | 'short' | 'failed';
      if (rec.waitUntil !== undefined && ctx.time >= rec.waitUntil) {
        rec.status = 'failed';
        rec.failure = { code: 'WAIT_EXPIRED', message: `still unpaid at ${new Date(rec.waitUntil).toISOString()}`, height: ctx.height };
        r = 'failed';
      } else {
        r = trySettle(ctx, scope, rec);
      }
      if (r === 'short') break;
      ctx.write(sk.instruction(id), rec);
      ctx.delete(sk.queueItem(cur, payer, head));
      head++;
      (r === 'settled' ? out.settled : out.failed).push(id);
      ctx.emit(r === 'settled' ? 'InstructionSettled' : 'InstructionFailed', { id, payer, currency: cur, total: rec.total, waited: true });
      notifyOrigin(ctx, rec);
    }
    ctx.write(qk, { head, tail: q.tail });
    return out;
  }

  /** After a tx credited DIDs: pay what they had waiting (one level, bounded; `retry` continues). */
  function drainCredited(ctx: ModuleContext, scope: TxScope, cur: string, max = MAX_DRAIN): string[] {
    let budget = max;
    const settled: string[] = [];
    const seen = new Set<string>();
    for (const payer of [...scope.credited].sort()) {
      if (budget <= 0) break;
      seen.add(payer);
      const r = drain(ctx, { credited: new Set() }, payer, cur, budget);
      budget = r.budget;
      settled.push(...r.settled);
    }
    return settled;
  }

  function instruct(ctx: ModuleContext, scope: TxScope, insIn: Instruction, origin: InstructionOrigin, mandateKey?: StateKey<Mandate>): StatusReport {
    let ins = insIn;
    const id = instructionId(origin, ins.payer, ins.idempotencyKey);
    const prior = ctx.read(sk.instruction(id));
    if (prior) return statusOf(prior, true);
    if (mandateKey) {
      // The payer's mandate may say how the contract's payments count: as a service (invoiced)
      // of a tax category; the instruction's own fields win.
      const m = ctx.read(mandateKey);
      if (m?.taxCategory !== undefined && ins.taxCategory === undefined) ins = { ...ins, taxCategory: m.taxCategory };
      if (m?.service !== undefined && ins.service === undefined) ins = { ...ins, service: m.service };
    }
    const plan = planLines(ctx, ins);
    if (mandateKey) {
      const c = mandateCheck(ctx, mandateKey, plan.total);
      if (!c.ok) fail(c.code, c.message);
      if (ins.currency !== c.m.currency) fail('NO_MANDATE', `the mandate is for ${c.m.currency}`);
    }
    const n = (ctx.read(sk.instructionSeq()) ?? 0) + 1;
    ctx.write(sk.instructionSeq(), n);
    const rec: InstructionRecord = {
      id, n, idempotencyKey: ins.idempotencyKey, payer: ins.payer, currency: ins.currency, total: plan.total.toString(),
      lines: plan.lines, onInsufficientFunds: ins.onInsufficientFunds, origin, status: 'waiting', created: hereOf(ctx),
    };
    if (plan.authority !== undefined) rec.taxAuthority = plan.authority;
    if (ins.service) rec.service = ins.service;
    if (ins.memo !== undefined) rec.memo = ins.memo;
    if (ins.waitUntil !== undefined) rec.waitUntil = ins.waitUntil;
    // Strict order: while earlier instructions of this payer wait, a new one waits behind them.
    const q = ctx.read(sk.queue(ins.currency, ins.payer));
    const queued = q !== undefined && q.head < q.tail;
    const r = queued ? 'short' : trySettle(ctx, scope, rec);
    if (r === 'short') {
      if (ins.onInsufficientFunds === 'fail') {
        rec.status = 'failed';
        rec.failure = {
          code: 'INSUFFICIENT_FUNDS',
          message: queued ? 'earlier instructions of this payer are waiting for funds' : `the payer has ${balanceOf(ctx, ins.currency, ins.payer)} of ${plan.total} ${ins.currency} minor units`,
          height: ctx.height,
        };
      } else {
        enqueue(ctx, rec);
      }
    }
    ctx.write(sk.instruction(id), rec);
    const pk = ctx.read(sk.payerInstructions(ins.payer)) ?? 0;
    ctx.write(sk.payerInstruction(ins.payer, pk), id);
    ctx.write(sk.payerInstructions(ins.payer), pk + 1);
    const evt = rec.status === 'settled' ? 'InstructionSettled' : rec.status === 'waiting' ? 'InstructionWaiting' : 'InstructionFailed';
    ctx.emit(evt, { id, payer: ins.payer, currency: ins.currency, total: rec.total, idempotencyKey: ins.idempotencyKey });
    return statusOf(rec, false);
  }

  // ---- exports ---------------------------------------------------------------------------

  const exports: Record<string, ExportDef> = {
    onRecvPacket: exported({
      doc: 'Receives a settlement instruction from a contract on another chain; pays within the mandate its payer granted that contract. The ack is the instruction\'s status.',
      gas: 5_000,
      callers: FROM_XCHAIN,
      args: packetArgs,
      argsError: 'BAD_PACKET',
      run(ctx, packet) {
        const pl = instructionPayload.safeParse(packet.payload);
        if (!pl.success) {
          const i = pl.error.issues[0]!;
          fail('BAD_INSTRUCTION', `payload${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}; expected { kind: 'settlement-instruction', contract, instruction }`);
        }
        const ins = pl.data.instruction;
        const origin: InstructionOrigin = { kind: 'xchain', chain: packet.srcChain, port: packet.srcPort, contract: pl.data.contract, sequence: packet.sequence, sender: packet.sender };
        const scope: TxScope = { credited: new Set() };
        const r = instruct(ctx, scope, ins, origin, sk.mandate(ins.payer, ins.currency, packet.srcChain, packet.srcPort, pl.data.contract));
        // A contract's instruction that cannot be paid (and may not wait) is an error ack: nothing
        // is recorded, so the contract may send it again later under the same key.
        if (r.status === 'failed' && r.failure) fail(r.failure.code, r.failure.message);
        // A relayed packet's tx also pays for its proofs: drain less here (retry drains the rest).
        drainCredited(ctx, scope, ins.currency, MAX_DRAIN_XCHAIN);
        return asJson(r);
      },
    }),
    onAcknowledgementPacket: exported({
      doc: 'Acknowledgement of a status packet this module sent; nothing to undo.',
      gas: 500,
      callers: FROM_XCHAIN,
      args: ackCallbackArgs,
      run: () => ({ ok: true }),
    }),
    onTimeoutPacket: exported({
      doc: 'Timeout of a status packet this module sent; the status stays queryable here.',
      gas: 500,
      callers: FROM_XCHAIN,
      args: timeoutCallbackArgs,
      run: () => ({ ok: true }),
    }),
  };

  // ---- methods ---------------------------------------------------------------------------

  return {
    name: 'settlement',
    // Instructions come from lex contracts (port lexcontract); status packets go back to them.
    port: { counterparts: SETTLEMENT_COUNTERPARTS },
    description: 'Accounts per DID and currency with a double-entry journal; issuers mint and burn; settlement instructions with splits, tax and idempotency; mandates for cross-chain contracts; clearing and statements.',
    exports,
    methods: {
      registerIssuer: method({
        doc: 'Register (or update) a payment institution DID as issuer of currencies; a validator of this chain only.',
        args: z.strictObject({ issuer: did, name: z.string().min(1).max(128), currencies: z.array(currency).min(1).max(16), rail: name, sandbox: z.boolean() }),
        gas: 2_000,
        run(ctx, a) {
          requireValidator(ctx, 'register issuers');
          if (!a.sandbox && inSandbox(ctx)) {
            fail('SETTLEMENT_SANDBOX_CHAIN', `chain ${ctx.chain} is a sandbox chain: it takes only sandbox issuers' money (register ${a.issuer} with sandbox: true, or promote the chain by a governance vote first)`);
          }
          const rec: IssuerRecord = { did: a.issuer, name: a.name, currencies: [...new Set(a.currencies)].sort(), rail: a.rail, sandbox: a.sandbox, active: true, registeredBy: ctx.sender, height: ctx.height };
          ctx.write(sk.issuer(a.issuer), rec);
          const list = ctx.read(sk.issuers()) ?? [];
          if (!list.includes(a.issuer)) ctx.write(sk.issuers(), [...list, a.issuer]);
          ctx.emit('IssuerRegistered', { issuer: a.issuer, currencies: rec.currencies, sandbox: a.sandbox });
          return asJson(rec);
        },
      }),
      revokeIssuer: method({
        doc: 'Stop an issuer minting; what it issued stays and may still be withdrawn through it. Validators only.',
        args: z.strictObject({ issuer: did }),
        gas: 1_000,
        run(ctx, a) {
          requireValidator(ctx, 'revoke issuers');
          const rec = ctx.read(sk.issuer(a.issuer));
          if (!rec) fail('NOT_FOUND', `${a.issuer} is not a registered issuer`);
          ctx.write(sk.issuer(a.issuer), { ...rec, active: false });
          ctx.emit('IssuerRevoked', { issuer: a.issuer });
        },
      }),
      taxPolicy: method({
        doc: 'Set the tax policy: the authority account and rates (basis points of the net) per category. A validator or the current tax authority.',
        args: z.strictObject({ authority: did, rates: z.record(category, z.number().int().min(0).max(10_000)) }),
        gas: 2_000,
        run(ctx, a) {
          const cur = ctx.read(sk.tax());
          if (!validators.has(ctx.sender) && cur?.authority !== ctx.sender) {
            fail('FORBIDDEN', `only a validator of chain ${ctx.chain} or the current tax authority may set the tax policy`);
          }
          if (Object.keys(a.rates).length > 64) fail('BAD_ARGS', 'at most 64 tax categories');
          const pol: TaxPolicy = { authority: a.authority, rates: a.rates, setBy: ctx.sender, height: ctx.height, time: ctx.time };
          ctx.write(sk.tax(), pol);
          ctx.emit('TaxPolicySet', { authority: a.authority, rates: a.rates });
          return asJson(pol);
        },
      }),
      faucetPolicy: method({
        doc: 'Open (or change, or close with perDid "0") the SANDBOX faucet: a sandbox issuer\'s test money for any DID, up to perDid minor units per currency each. Validators only.',
        args: z.strictObject({ issuer: did, currencies: z.array(currency).min(1).max(16), perDid: amount }),
        gas: 2_000,
        run(ctx, a) {
          requireValidator(ctx, 'run a faucet');
          const curs = [...new Set(a.currencies)].sort();
          for (const c of curs) {
            const iss = issuerFor(ctx, a.issuer, c);
            // Never real money: a faucet gives only what a sandbox issuer issues (docs/settlement.md#the-sandbox-faucet).
            if (!iss.sandbox) fail('FAUCET_NOT_SANDBOX', `${a.issuer} is not a sandbox issuer; a faucet may give only test money`);
          }
          const pol: FaucetPolicy = { issuer: a.issuer, currencies: curs, perDid: a.perDid.toString(), setBy: ctx.sender, height: ctx.height };
          ctx.write(sk.faucet(), pol);
          ctx.emit('FaucetPolicySet', { issuer: a.issuer, currencies: curs, perDid: pol.perDid, sandbox: true });
          return asJson(pol);
        },
      }),
      faucet: method({
        doc: 'SANDBOX: the sender receives test money from the faucet\'s sandbox issuer, up to the faucet\'s allowance per DID and currency.',
        args: z.strictObject({ currency, amount: positive }),
        gas: 3_000,
        run(ctx, a) {
          const pol = ctx.read(sk.faucet());
          if (!pol || pol.perDid === '0' || !pol.currencies.includes(a.currency)) {
            fail('FAUCET_CLOSED', `chain ${ctx.chain} runs no SANDBOX faucet for ${a.currency}${pol && pol.perDid !== '0' ? ` (it gives ${pol.currencies.join(', ')})` : ''}`);
          }
          const iss = issuerFor(ctx, pol.issuer, a.currency);
          if (!iss.sandbox) fail('FAUCET_NOT_SANDBOX', `the faucet's issuer ${pol.issuer} is no longer a sandbox issuer`);
          const gk = sk.faucetGiven(ctx.sender, a.currency);
          const given = BigInt(ctx.read(gk) ?? '0');
          const left = BigInt(pol.perDid) - given;
          if (a.amount > left) fail('FAUCET_LIMIT', `the faucet gives each DID at most ${pol.perDid} ${a.currency} minor units; ${ctx.sender} may have ${left < 0n ? 0n : left} more`);
          const scope: TxScope = { credited: new Set() };
          const entry = post(ctx, scope, 'mint', a.currency, [debit(`issue:${pol.issuer}`, a.amount), credit(ctx.sender, a.amount)], { ref: `faucet:${ctx.txHash.slice(0, 16)}`, memo: 'SANDBOX faucet: test money, not real funds' });
          ctx.write(gk, (given + a.amount).toString());
          const out = { entry, to: ctx.sender, currency: a.currency, amount: a.amount.toString(), issuer: pol.issuer, sandbox: true, left: (left - a.amount).toString() };
          ctx.emit('FaucetPaid', out);
          const settled = drainCredited(ctx, scope, a.currency);
          return { ...out, settledWaiting: settled };
        },
      }),
      mint: method({
        doc: 'An issuer credits a deposit it received to an account; `ref` (its deposit id) makes it idempotent.',
        args: z.strictObject({ to: did, currency, amount: positive, ref, memo: memo.optional() }),
        gas: 3_000,
        run(ctx, a) {
          const iss = issuerFor(ctx, ctx.sender, a.currency);
          const dk = sk.deposit(ctx.sender, a.ref);
          const prior = ctx.read(dk);
          if (prior !== undefined) return { ...prior, duplicate: true };
          const scope: TxScope = { credited: new Set() };
          const entry = post(ctx, scope, 'mint', a.currency, [debit(`issue:${ctx.sender}`, a.amount), credit(a.to, a.amount)], { ref: a.ref, ...(a.memo ? { memo: a.memo } : {}) });
          const out = { entry, to: a.to, currency: a.currency, amount: a.amount.toString(), ref: a.ref, sandbox: iss.sandbox };
          ctx.write(dk, out);
          ctx.emit('Minted', out);
          const settled = drainCredited(ctx, scope, a.currency);
          return { ...out, duplicate: false, settledWaiting: settled };
        },
      }),
      withdraw: method({
        doc: 'Move money out through an issuer: burns it here; the issuer\'s rail pays it out (Withdrawal event).',
        args: z.strictObject({ issuer: did, currency, amount: positive, ref, memo: memo.optional() }),
        gas: 3_000,
        run(ctx, a) {
          issuerFor(ctx, a.issuer, a.currency, false);
          const outstanding = -balanceOf(ctx, a.currency, `issue:${a.issuer}`);
          if (outstanding < a.amount) fail('ISSUER_EXCEEDED', `issuer ${a.issuer} has only ${outstanding} ${a.currency} minor units outstanding to take back`);
          const entry = post(ctx, undefined, 'withdraw', a.currency, [debit(ctx.sender, a.amount), credit(`issue:${a.issuer}`, a.amount)], { ref: a.ref, ...(a.memo ? { memo: a.memo } : {}) });
          const out = { entry, from: ctx.sender, issuer: a.issuer, currency: a.currency, amount: a.amount.toString(), ref: a.ref };
          ctx.emit('Withdrawal', out);
          return out;
        },
      }),
      transfer: method({
        doc: 'Pay another DID from your own account.',
        args: z.strictObject({ to: did, currency, amount: positive, memo: memo.optional() }),
        gas: 2_000,
        run(ctx, a) {
          if (a.to === ctx.sender) fail('BAD_ARGS', 'a transfer to yourself moves nothing');
          const scope: TxScope = { credited: new Set() };
          const entry = post(ctx, scope, 'transfer', a.currency, [debit(ctx.sender, a.amount), credit(a.to, a.amount)], a.memo ? { memo: a.memo } : {});
          const settled = drainCredited(ctx, scope, a.currency);
          return { entry, settledWaiting: settled };
        },
      }),
      instruct: method({
        doc: 'A settlement instruction from your own account: pay several payees by amounts, shares or tiers, withholding tax; idempotent on idempotencyKey.',
        args: instructionArgs,
        gas: 5_000,
        run(ctx, a) {
          if (a.payer !== ctx.sender) fail('FORBIDDEN', `${ctx.sender} may instruct payments only from its own account, not from ${a.payer}`);
          const scope: TxScope = { credited: new Set() };
          const r = instruct(ctx, scope, a, { kind: 'direct', sender: ctx.sender });
          drainCredited(ctx, scope, a.currency);
          return asJson(r);
        },
      }),
      retry: method({
        doc: 'Pay a payer\'s waiting instructions that its balance now covers, in arrival order (anyone may ask).',
        args: z.strictObject({ payer: did, currency, max: z.number().int().min(1).max(64).default(16) }),
        gas: 2_000,
        run(ctx, a) {
          const r = drain(ctx, { credited: new Set() }, a.payer, a.currency, a.max);
          return { settled: r.settled, failed: r.failed };
        },
      }),
      cancel: method({
        doc: 'The payer withdraws one of its own waiting instructions.',
        args: z.strictObject({ id: digestSchema }),
        gas: 1_000,
        run(ctx, a) {
          const rec = ctx.read(sk.instruction(a.id));
          if (!rec) fail('NOT_FOUND', `no instruction ${a.id}`);
          if (rec.payer !== ctx.sender) fail('FORBIDDEN', 'only the payer may cancel an instruction');
          if (rec.status !== 'waiting') fail('NOT_WAITING', `instruction ${a.id} is ${rec.status}, not waiting`);
          rec.status = 'cancelled';
          rec.failure = { code: 'CANCELLED', message: 'cancelled by the payer', height: ctx.height };
          ctx.write(sk.instruction(a.id), rec);
          ctx.emit('InstructionCancelled', { id: a.id });
          notifyOrigin(ctx, rec);
          return asJson(statusOf(rec, false));
        },
      }),
      grantMandate: method({
        doc: 'Let a contract on another chain (chain, port, contract id) instruct payments from your account, up to a total cap, until expires.',
        args: z.strictObject({
          grantee: z.strictObject({ chain: name, port: name, contract: ref }), currency, cap: positive, expires: time.optional(),
          taxCategory: category.optional(), service: serviceSchema.optional(),
        }),
        gas: 2_000,
        run(ctx, a) {
          // Instructions arrive only from the ports settlement is bound to: a mandate for any other could never be used.
          if (!SETTLEMENT_COUNTERPARTS.includes(a.grantee.port)) {
            fail('MANDATE_BAD_PORT', `settlement takes instructions only from port ${SETTLEMENT_COUNTERPARTS.join(', ')} (lex contracts, privacy-computing fees) on other chains; a mandate for port ${a.grantee.port} could never be used`);
          }
          const key = sk.mandate(ctx.sender, a.currency, a.grantee.chain, a.grantee.port, a.grantee.contract);
          const prior = ctx.read(key);
          const m: Mandate = { payer: ctx.sender, grantee: a.grantee, currency: a.currency, cap: a.cap.toString(), used: prior?.used ?? '0', revoked: false, height: ctx.height, time: ctx.time };
          if (a.expires !== undefined) m.expires = a.expires;
          if (a.taxCategory !== undefined) m.taxCategory = a.taxCategory;
          if (a.service !== undefined) m.service = a.service;
          ctx.write(key, m);
          ctx.emit('MandateGranted', { payer: ctx.sender, ...a.grantee, currency: a.currency, cap: m.cap });
          return asJson(m);
        },
      }),
      revokeMandate: method({
        doc: 'Revoke a mandate you granted; waiting instructions under it fail when next tried.',
        args: z.strictObject({ grantee: z.strictObject({ chain: name, port: name, contract: ref }), currency }),
        gas: 1_000,
        run(ctx, a) {
          const key = sk.mandate(ctx.sender, a.currency, a.grantee.chain, a.grantee.port, a.grantee.contract);
          const m = ctx.read(key);
          if (!m) fail('NOT_FOUND', 'no such mandate');
          ctx.write(key, { ...m, revoked: true });
          ctx.emit('MandateRevoked', { payer: ctx.sender, ...a.grantee, currency: a.currency });
        },
      }),
      hold: method({
        doc: 'Put money in escrow for a payee: it leaves your available balance until captured (to the payee) or released (back).',
        args: z.strictObject({ id: ref, payee: did, currency, amount: positive, expires: time.optional() }),
        gas: 2_000,
        run(ctx, a) {
          const key = sk.hold(ctx.sender, a.id);
          if (ctx.has(key)) fail('HOLD_EXISTS', `you already have a hold "${a.id}"`);
          const entry = post(ctx, undefined, 'hold', a.currency, [debit(ctx.sender, a.amount), credit(`escrow:${ctx.sender}`, a.amount)], { ref: a.id });
          const h: HoldRecord = { id: a.id, owner: ctx.sender, payee: a.payee, currency: a.currency, amount: a.amount.toString(), status: 'held', height: ctx.height };
          if (a.expires !== undefined) h.expires = a.expires;
          ctx.write(key, h);
          return { entry, hold: asJson(h) };
        },
      }),
      capture: method({
        doc: 'The owner pays a held amount to its payee.',
        args: z.strictObject({ id: ref }),
        gas: 2_000,
        run(ctx, a) {
          const key = sk.hold(ctx.sender, a.id);
          const h = ctx.read(key);
          if (!h || h.status !== 'held') fail('NOT_FOUND', `you have no open hold "${a.id}"`);
          const scope: TxScope = { credited: new Set() };
          const entry = post(ctx, scope, 'capture', h.currency, [debit(`escrow:${h.owner}`, BigInt(h.amount)), credit(h.payee, BigInt(h.amount))], { ref: a.id });
          ctx.write(key, { ...h, status: 'captured' });
          drainCredited(ctx, scope, h.currency);
          return { entry };
        },
      }),
      release: method({
        doc: 'Return a held amount to its owner: the payee may release any time, the owner once the hold expired.',
        args: z.strictObject({ owner: did, id: ref }),
        gas: 2_000,
        run(ctx, a) {
          const key = sk.hold(a.owner, a.id);
          const h = ctx.read(key);
          if (!h || h.status !== 'held') fail('NOT_FOUND', `${a.owner} has no open hold "${a.id}"`);
          const expired = h.expires !== undefined && ctx.time >= h.expires;
          if (ctx.sender !== h.payee && !(ctx.sender === h.owner && expired)) {
            fail('FORBIDDEN', h.expires === undefined ? 'only the payee may release a hold without expiry' : 'only the payee may release before the hold expires');
          }
          const scope: TxScope = { credited: new Set() };
          const entry = post(ctx, scope, 'release', h.currency, [debit(`escrow:${h.owner}`, BigInt(h.amount)), credit(h.owner, BigInt(h.amount))], { ref: a.id });
          ctx.write(key, { ...h, status: 'released' });
          drainCredited(ctx, scope, h.currency);
          return { entry };
        },
      }),
      clear: method({
        doc: 'Clear a finished period (UTC day) in one currency: a statement per participant with its net position, hashed into state; large periods in several calls (max per call).',
        args: z.strictObject({ period: z.string().regex(PERIOD_RE, 'a UTC day YYYY-MM-DD'), currency, max: z.number().int().min(1).max(MAX_CLEAR_STEP).default(100) }),
        gas: 5_000,
        run(ctx, a) {
          let end: number;
          try {
            end = periodEnd(a.period);
          } catch (e) {
            fail('BAD_ARGS', (e as Error).message);
          }
          // Block time only grows, so once the day is over no entry can join it: the set of
          // participants and their figures are final.
          if (ctx.time < end) fail('PERIOD_OPEN', `period ${a.period} ends at ${new Date(end).toISOString()}; clear it after that (block time now ${new Date(ctx.time).toISOString()})`);
          const ck = sk.clearing(a.period, a.currency);
          const prior = ctx.read(ck);
          if (prior?.complete) return asJson({ ...prior, positions: [] });
          const rec: ClearingRecord = prior ?? {
            chain: ctx.chain, period: a.period, currency: a.currency, participants: ctx.read(sk.participants(a.period, a.currency)) ?? 0,
            processed: 0, sumNet: '0', turnover: '0', root: ZERO_HASH, complete: false, height: ctx.height, time: ctx.time, tx: ctx.txHash,
          };
          const here = hereOf(ctx);
          const positions: Array<{ account: string; net: string; statement: string }> = [];
          let sum = BigInt(rec.sumNet);
          let turnover = BigInt(rec.turnover);
          let root = rec.root;
          const stop = Math.min(rec.participants, rec.processed + a.max);
          for (let i = rec.processed; i < stop; i++) {
            const acct = ctx.read(sk.participant(a.period, a.currency, i))!;
            const ps = periodSummary(ctx, a.period, a.currency, acct);
            const net = BigInt(ps.credits) - BigInt(ps.debits);
            sum += net;
            turnover += BigInt(ps.debits);
            const summary = { chain: ctx.chain, ...ps, net: net.toString() };
            const hash = statementHash(summary);
            const st: StatementRecord = { ...summary, hash, clearedAt: here };
            ctx.write(sk.statement(a.period, a.currency, acct), st);
            root = sm3Hex(root + hash);
            positions.push({ account: acct, net: net.toString(), statement: hash });
          }
          rec.processed = stop;
          rec.sumNet = sum.toString();
          rec.turnover = turnover.toString();
          rec.root = root;
          if (stop === rec.participants) {
            if (sum !== 0n) fail('SETTLEMENT_FAULT', `net positions of ${a.period} ${a.currency} sum to ${sum}, not zero`);
            rec.complete = true;
            Object.assign(rec, here);
            ctx.emit('Cleared', { period: a.period, currency: a.currency, participants: rec.participants, root });
          }
          ctx.write(ck, rec);
          return asJson({ ...rec, positions });
        },
      }),
    },
  };
}

/** Registers the name; chains run the instance built from their genesis (see modulesFor). */
export const settlementModuleName = 'settlement';
