import { asJson, type JsonValue } from '../../codec/index.ts';
import { didSchema as did, digestSchema as hash, jsonObjectSchema as jsonObject, jsonSchema as jsonValue, z } from '../../codec/schemas.ts';
import { execute, instantiate, LexError, type Contract, type ContractState, type ObligationView, type Settlement } from '../../lex/index.ts';
import { exported, method, ModuleError, refuseFrozen, type ExportDef, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { FROM_XCHAIN, sendPacket } from '../xchain/index.ts';
import { LEXCONTRACT, lexKey as k } from './keys.ts';
import { compiled, compileOrThrow, instanceFingerprint, type SigningTerms } from './terms.ts';
import {
  DEPLOY_GAS_PER_BYTE, EVENT_GAS_LIMIT, SETTLE_BATCH, SETTLEMENT_CHAIN, SETTLEMENT_PORT, SETTLEMENT_TIMEOUT_MS,
  type HistoryAction, type HistoryEntry, type InstanceStatus, type LexInstance, type LexLogEntry, type SettlementRecord, type SettlementStatus,
} from './types.ts';

export * from './types.ts';
export * from './keys.ts';
export { compiledTemplate, instanceFingerprint, renderedTexts, signingTermsOf, type SigningTerms } from './terms.ts';

/**
 * lexcontract — executable legal contracts (lex templates) on the signing chain.
 *
 *   deploy      {source}                                   → tpl/<sourceHash>
 *   draft       {template, params, parties, countersigner?, disputeAllows?} → inst/<txHash>, 'draft'
 *   sign        {id, fingerprint}        a party signs what it saw        → 'signing' … 'active'
 *   countersign {id, fingerprint}        the notary/court named at draft, after every party
 *   event       {id, event, input?}      execute; state/<id>, log/<id>/<seq>; 'completed' / 'terminated'
 *   dispute     {id, reason}             a party freezes the contract      → 'disputed'
 *   resolve     {id, outcome, note?}     the named notary/court (or the party that raised it, to withdraw)
 *   settle      {id}                     (re)send pending settlement instructions through xchain
 *
 * States: draft → signing → active → completed | terminated | disputed (→ active | completed |
 * terminated on resolution). Every transition is appended, with its signer (the tx sender), the
 * block height and time and the tx hash, to the instance's history `hist/<id>/<n>`; lex events
 * are also kept at `log/<id>/<seq>` (the replay log).
 *
 * Parties: a lex template takes each party's DID as a parameter named after the party
 * (`seller`, `buyer`). `parties` must name exactly the template's parties; their DIDs are merged
 * into the parameters (a party given in both must agree), and the merged parameters are what is
 * fingerprinted, instantiated and stored. The countersigner and the events allowed during a
 * dispute are signing terms: they are part of the fingerprint every party signs.
 *
 * Settlement instructions a contract emits are kept at `stl/<id>/<n>` with a status (pending →
 * sent → paid | failed). When the chain also runs `xchain`, each is sent to chain `settle`, port
 * `settlement`; the acknowledgement or timeout comes back through this module's exports. An
 * instruction the contract lets wait for the payer's funds (`if insufficient funds wait`) may be
 * acknowledged as waiting: it stays sent (`waiting`) until the settlement chain's
 * `settlement-status` packet arrives at `onRecvPacket` and marks it paid or failed.
 */

/**
 * Events whose name starts with this report metered usage (the market module, src/modules/market):
 * only the market sends them, through the \`meteredEvent\` export; the \`event\` method refuses them.
 */
export const METERED_PREFIX = 'Metered';

const deployArgs = z.strictObject({ source: z.string().min(1).max(60_000) });
const draftArgs = z.strictObject({
  template: hash,
  params: jsonObject,
  parties: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), did),
  countersigner: z.strictObject({ did, role: z.enum(['notary', 'court']) }).optional(),
  disputeAllows: z.array(z.string().min(1).max(128)).max(32).optional(),
});
const signArgs = z.strictObject({ id: hash, fingerprint: hash });
const eventArgs = z.strictObject({
  id: hash,
  event: z.string().min(1).max(128),
  input: jsonObject.optional(),
});
const disputeArgs = z.strictObject({ id: hash, reason: z.string().min(1).max(2_000) });
const resolveArgs = z.strictObject({ id: hash, outcome: z.enum(['resume', 'complete', 'terminate']), note: z.string().max(2_000).optional() });
const settleArgs = z.strictObject({ id: hash });

const packetSchema = z.object({
  srcChain: z.string(), srcPort: z.string(), dstChain: z.string(), dstPort: z.string(),
  sequence: z.number().int().nonnegative(), sender: z.string(),
  payload: z.object({
    kind: z.literal('settlement-instruction'),
    contract: hash,
    instruction: z.object({ idempotencyKey: z.string().min(1).max(200) }).passthrough(),
  }).passthrough(),
}).passthrough();
const ackArgs = z.object({
  packet: packetSchema,
  ack: z.union([
    z.object({ ok: z.literal(true), result: jsonValue.optional() }).passthrough(),
    z.object({ ok: z.literal(false), code: z.string(), message: z.string() }).passthrough(),
  ]),
});
const timeoutArgs = z.object({ packet: packetSchema });
/** A `settlement-status` packet from the settlement module (src/modules/settlement, notifyOrigin). */
const statusPacketSchema = z.object({
  srcChain: z.string(), srcPort: z.string(), dstChain: z.string(), dstPort: z.string(),
  sequence: z.number().int().nonnegative(), sender: z.string(),
  payload: z.object({
    kind: z.literal('settlement-status'),
    contract: hash,
    id: hash,
    idempotencyKey: z.string().min(1).max(200),
    status: z.enum(['settled', 'failed', 'cancelled', 'waiting']),
    payer: z.string().optional(),
    currency: z.string().optional(),
    failure: z.object({ code: z.string().max(64), message: z.string().max(2_000) }).catchall(jsonValue).optional(),
  }).catchall(jsonValue),
}).passthrough();

/**
 * The compiled template. The stored source is always read (so gas does not depend on whether
 * this node's cache is warm); compilation is skipped when the cache has it.
 */
function loadContract(ctx: ModuleContext, template: string): { contract: Contract; source: string } {
  const source = ctx.read(k.template(template));
  if (typeof source !== 'string') throw new ModuleError('LEX_TEMPLATE_NOT_FOUND', `no template ${template} is deployed`);
  let contract = compiled.get(template);
  if (!contract) {
    contract = compileOrThrow(source);
    compiled.set(contract.sourceHash, contract);
  }
  return { contract, source };
}

function loadInstance(ctx: ModuleContext, id: string): LexInstance {
  const i = ctx.read(k.instance(id));
  if (i === undefined) throw new ModuleError('LEX_INSTANCE_NOT_FOUND', `no contract instance ${id}`);
  // Instances drafted before histories and settlement records were kept start counting at 0.
  return { ...i, history: i.history ?? 0, settlements: i.settlements ?? 0 };
}

/** Rethrows a LexError (e.g. BAD_PARAMS) as a ModuleError with the same code. */
function lexCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof LexError) throw new ModuleError(e.code, e.message);
    throw e;
  }
}


const at = (ctx: ModuleContext) => ({ height: ctx.height, time: ctx.time });

/** Appends a step to the instance's history (the caller stores `inst` afterwards). */
function record(ctx: ModuleContext, inst: LexInstance, action: HistoryAction, from: InstanceStatus | null, role: string | undefined, detail?: { [k: string]: JsonValue }): void {
  const entry: HistoryEntry = {
    n: inst.history, action, from, to: inst.status, by: ctx.sender, ...(role !== undefined ? { role } : {}),
    height: ctx.height, time: ctx.time, tx: ctx.txHash, ...(detail ? { detail } : {}),
  };
  ctx.write(k.history(inst.id, inst.history), entry);
  inst.history += 1;
}

function indexMember(ctx: ModuleContext, who: string, id: string): void {
  const n = ctx.read(k.memberCount(who)) ?? 0;
  ctx.write(k.member(who, n), id);
  ctx.write(k.memberCount(who), n + 1);
}

function roleOf(inst: LexInstance, sender: string): string | undefined {
  return Object.keys(inst.parties).find((n) => inst.parties[n] === sender);
}

/**
 * The contract's own completion: every obligation it has is discharged, or it keeps a Bool
 * record named `completed` that its rules set to true.
 */
export function isComplete(state: ContractState, obligations: ObligationView[]): boolean {
  if (state.vars.completed === true) return true;
  return obligations.length > 0 && obligations.every((o) => o.status === 'discharged');
}

/**
 * A lex settlement instruction in the settlement module's form (src/modules/settlement): the
 * payer, the currency and one payment per recipient in minor units (a split's parts are the
 * amounts lex computed, remainder rule included), the reason as memo, and the same
 * idempotencyKey, so the settlement chain pays each instruction at most once.
 */
export function settlementInstructionFor(s: Settlement): { [k: string]: JsonValue } {
  const memo = `${s.reason.en} (${s.clause})`.slice(0, 256);
  const payments = s.kind === 'split'
    ? s.shares.filter((x) => x.amount.minor > 0).map((x) => ({ to: x.to, amount: x.amount.minor }))
    : [{ to: s.to, amount: s.amount.minor }]; // a withholding is paid to the authority as is: lex computed the tax, no tax category is added
  const out: { [k: string]: JsonValue } = { idempotencyKey: s.idempotencyKey, payer: s.from, currency: s.amount.currency, payments, memo };
  // What the contract says happens if the payer is short (`if insufficient funds …`); without
  // it the settlement chain's default applies (fail).
  if (s.onInsufficientFunds !== undefined) out.onInsufficientFunds = s.onInsufficientFunds;
  if (s.onInsufficientFunds === 'wait' && s.waitUntil !== undefined) out.waitUntil = Date.parse(s.waitUntil);
  return out;
}

function settlementPayload(id: string, s: Settlement): JsonValue {
  return { kind: 'settlement-instruction', contract: id, instruction: settlementInstructionFor(s) };
}

/**
 * Sends one instruction through xchain if this chain runs it; otherwise (or if xchain refuses)
 * it stays pending, with xchain's reason as a note.
 */
function trySend(ctx: ModuleContext, id: string, rec: SettlementRecord): void {
  try {
    const r = sendPacket(ctx, {
      dstChain: SETTLEMENT_CHAIN, dstPort: SETTLEMENT_PORT, payload: settlementPayload(id, rec.instruction),
      timeoutTime: ctx.time + SETTLEMENT_TIMEOUT_MS,
    });
    rec.status = 'sent';
    rec.packet = { sequence: r.sequence, packetId: r.packetId };
    delete rec.note;
  } catch (e) {
    if (!(e instanceof ModuleError)) throw e;
    rec.status = 'pending';
    if (e.code === 'EXPORT_NOT_FOUND') delete rec.note;
    else rec.note = `${e.code}: ${e.message}`;
  }
  rec.updated = { ...at(ctx), tx: ctx.txHash };
}

function settlementByPacket(ctx: ModuleContext, packet: z.infer<typeof packetSchema>, allowEnded = false): { inst: LexInstance; rec: SettlementRecord } {
  if (packet.srcPort !== 'lexcontract' || packet.dstPort !== SETTLEMENT_PORT) {
    throw new ModuleError('BAD_PACKET', `packet ${packet.sequence} is not a settlement instruction from lexcontract (ports ${packet.srcPort} → ${packet.dstPort})`);
  }
  const id = packet.payload.contract;
  const inst = loadInstance(ctx, id);
  const n = ctx.read(k.settlementIndex(packet.payload.instruction.idempotencyKey));
  if (typeof n !== 'number') throw new ModuleError('LEX_SETTLEMENT_NOT_FOUND', `contract ${id} has no settlement instruction ${packet.payload.instruction.idempotencyKey}`);
  const rec = ctx.read(k.settlement(id, n))!;
  if (rec.status !== 'sent' && !(allowEnded && rec.statusPacket)) {
    throw new ModuleError('LEX_SETTLEMENT_NOT_SENT', `settlement instruction ${rec.instruction.idempotencyKey} is ${rec.status}, not awaiting a result`);
  }
  if (rec.packet && rec.packet.sequence !== packet.sequence) {
    throw new ModuleError('BAD_PACKET', `settlement instruction ${rec.instruction.idempotencyKey} was sent as packet ${rec.packet.sequence}, not ${packet.sequence}`);
  }
  return { inst, rec };
}

/** Marks a sent instruction paid or failed, logs it and lets the contract's history show it. */
function settleResult(ctx: ModuleContext, inst: LexInstance, rec: SettlementRecord, outcome: { paid: true; result?: JsonValue } | { paid: false; note: string }, detail: { [k: string]: JsonValue } = {}): JsonValue {
  rec.status = outcome.paid ? 'paid' : 'failed';
  if (outcome.paid) {
    if (outcome.result !== undefined) rec.result = outcome.result;
  } else rec.note = outcome.note;
  rec.updated = { ...at(ctx), tx: ctx.txHash };
  ctx.write(k.settlement(inst.id, rec.n), rec);
  const action = outcome.paid ? 'paymentConfirmed' : 'paymentFailed';
  record(ctx, inst, action, inst.status, 'relayer', {
    idempotencyKey: rec.instruction.idempotencyKey, n: rec.n, ...(outcome.paid ? {} : { reason: outcome.note }), ...detail,
  });
  ctx.write(k.instance(inst.id), inst);
  ctx.emit(outcome.paid ? 'PaymentConfirmed' : 'PaymentFailed', { id: inst.id, idempotencyKey: rec.instruction.idempotencyKey, ...(outcome.paid ? {} : { reason: outcome.note }) });
  return { id: inst.id, idempotencyKey: rec.instruction.idempotencyKey, status: rec.status };
}

/**
 * The settlement chain's `settlement-status` packet for one of this contract's instructions
 * that waited for the payer's funds: marks it paid (settled) or failed (failed, cancelled).
 * Only from chain `settle`, port `settlement`. A duplicate or a status for an instruction that
 * has already ended changes nothing and is acknowledged as such; anything else is refused.
 */
function receiveStatus(ctx: ModuleContext, packet: z.infer<typeof statusPacketSchema>): JsonValue {
  const { srcChain, srcPort, sequence, payload } = packet;
  if (srcChain !== SETTLEMENT_CHAIN || srcPort !== SETTLEMENT_PORT) {
    throw new ModuleError('FORBIDDEN', `lexcontract accepts settlement-status packets only from chain ${SETTLEMENT_CHAIN}, port ${SETTLEMENT_PORT}; packet ${sequence} is from ${srcChain}/${srcPort}`);
  }
  const id = payload.contract;
  const key = payload.idempotencyKey;
  const inst = loadInstance(ctx, id);
  const n = ctx.read(k.settlementIndex(key));
  const rec = typeof n === 'number' ? ctx.read(k.settlement(id, n)) : undefined;
  if (!rec || rec.instruction.idempotencyKey !== key) {
    throw new ModuleError('LEX_SETTLEMENT_NOT_FOUND', `contract ${id} has no settlement instruction ${key}`);
  }
  if (payload.payer !== undefined && payload.payer !== rec.instruction.from) {
    throw new ModuleError('BAD_PACKET', `the status is for payer ${payload.payer}, but instruction ${key} is paid by ${rec.instruction.from}`);
  }
  if (payload.currency !== undefined && payload.currency !== rec.instruction.amount.currency) {
    throw new ModuleError('BAD_PACKET', `the status is in ${payload.currency}, but instruction ${key} is in ${rec.instruction.amount.currency}`);
  }
  if (rec.settlementId !== undefined && rec.settlementId !== payload.id) {
    throw new ModuleError('BAD_PACKET', `the status is for the settlement chain's instruction ${payload.id}, but ${key} was accepted there as ${rec.settlementId}`);
  }
  const out = { id, idempotencyKey: key };
  if (rec.status === 'paid' || rec.status === 'failed') {
    // Delivered twice, or late: what the contract recorded stands.
    return { ...out, status: rec.status, duplicate: true };
  }
  if (rec.status !== 'sent') {
    throw new ModuleError('LEX_SETTLEMENT_NOT_SENT', `settlement instruction ${key} of contract ${id} is ${rec.status}: it was never sent, so the settlement chain cannot have a status for it`);
  }
  if (payload.status === 'waiting') {
    throw new ModuleError('BAD_PACKET', `a settlement-status packet ends a waiting instruction; "waiting" is not an end (instruction ${key})`);
  }
  // A status packet is only sent for an instruction that waited, so it may come before the
  // acknowledgement that said so: it counts as that acknowledgement too.
  rec.waiting = true;
  rec.settlementId = payload.id;
  rec.statusPacket = { srcChain, sequence };
  const via = { via: 'settlement-status', packet: `${srcChain}/${sequence}` };
  if (payload.status === 'settled') {
    delete rec.note;
    return { ...(settleResult(ctx, inst, rec, { paid: true, result: asJson(payload) }, via) as Record<string, JsonValue>), duplicate: false };
  }
  const f = payload.failure;
  const note = f ? `${f.code}: ${f.message}` : payload.status === 'cancelled' ? 'CANCELLED: cancelled by the payer' : 'FAILED: the settlement chain did not pay it';
  return { ...(settleResult(ctx, inst, rec, { paid: false, note }, via) as Record<string, JsonValue>), duplicate: false };
}

const exportsDef: Record<string, ExportDef> = {
  instanceView: exported({
    doc: 'market only: an instance {id} as stored (template, params, parties, status), or null; read-only.',
    gas: 500,
    callers: ['market'],
    args: z.strictObject({ id: hash }),
    run(ctx, args): JsonValue {
      const i = ctx.read(k.instance(args.id));
      return i ? { id: i.id, template: i.template, params: i.params, parties: i.parties, status: i.status } : null;
    },
  }),
  meteredEvent: exported({
    doc: `market only: a \`${METERED_PREFIX}…\` event {id, event, input} reporting the usage the market's gateways committed on chain, executed as the contract's party \`provider\` (who names the usage in the contract's words).`,
    gas: 5_000,
    callers: ['market'],
    args: eventArgs,
    run(ctx, args) {
      if (!args.event.startsWith(METERED_PREFIX)) throw new ModuleError('LEX_METERED_EVENT', `the market sends only ${METERED_PREFIX}… events, not ${args.event}`);
      const inst = loadInstance(ctx, args.id);
      const provider = inst.parties.provider;
      if (provider === undefined) throw new ModuleError('LEX_METERED_EVENT', `contract ${args.id} has no party "provider" for the market to report usage for`);
      return runEvent(ctx, args, provider);
    },
  }),
  onRecvPacket: exported({
    doc: `xchain only: a settlement-status packet from chain ${SETTLEMENT_CHAIN}, port ${SETTLEMENT_PORT}, ending an instruction that waited for the payer's funds (paid or failed); idempotent.`,
    gas: 2_000,
    callers: FROM_XCHAIN,
    args: statusPacketSchema,
    argsError: 'BAD_PACKET',
    run: receiveStatus,
  }),
  onAcknowledgementPacket: exported({
    doc: 'xchain only: the settlement chain acknowledged a settlement instruction; marks it paid (ok) or failed (error ack).',
    gas: 2_000,
    callers: FROM_XCHAIN,
    args: ackArgs,
    run(ctx, p) {
      const ack = p.ack;
      const result = ack.ok ? ack.result as { status?: unknown; id?: unknown } | null | undefined : undefined;
      const waiting = ack.ok && !!result && typeof result === 'object' && result.status === 'waiting';
      // A waiting instruction's final status may overtake the acknowledgement that said it waits.
      const { inst, rec } = settlementByPacket(ctx, p.packet, waiting);
      if (rec.status !== 'sent') return { id: inst.id, idempotencyKey: rec.instruction.idempotencyKey, status: rec.status, duplicate: true };
      if (waiting) {
        // Accepted but not paid yet (the payer lacks funds and the contract lets it wait): still
        // 'sent', until the settlement chain's `settlement-status` packet (onRecvPacket) ends it.
        rec.waiting = true;
        if (typeof result.id === 'string') rec.settlementId = result.id;
        rec.note = 'accepted by the settlement chain; waiting for the payer\'s funds';
        rec.updated = { ...at(ctx), tx: ctx.txHash };
        ctx.write(k.settlement(inst.id, rec.n), rec);
        ctx.emit('PaymentWaiting', { id: inst.id, idempotencyKey: rec.instruction.idempotencyKey });
        return { id: inst.id, idempotencyKey: rec.instruction.idempotencyKey, status: rec.status, waiting: true };
      }
      return settleResult(ctx, inst, rec, ack.ok ? { paid: true, ...(ack.result !== undefined ? { result: ack.result } : {}) } : { paid: false, note: `${ack.code}: ${ack.message}` });
    },
  }),
  onTimeoutPacket: exported({
    doc: 'xchain only: a settlement instruction timed out before the settlement chain received it; marks it failed.',
    gas: 2_000,
    callers: FROM_XCHAIN,
    args: timeoutArgs,
    run(ctx, p) {
      const { inst, rec } = settlementByPacket(ctx, p.packet);
      return settleResult(ctx, inst, rec, { paid: false, note: 'TIMEOUT: the settlement chain did not receive the instruction in time' });
    },
  }),
};

export const lexcontractModule: ModuleDef = {
  name: LEXCONTRACT,
  // Instructions go to the settlement port; its settlement-status packets come back from it.
  port: { counterparts: [SETTLEMENT_PORT] },
  description: 'Executable legal contracts in lex: deploy templates, draft instances, sign their fingerprint, execute signed events, disputes, settlement instructions.',
  methods: {
    deploy: method({
      doc: 'Deploy a lex template source; returns its sourceHash. Idempotent. Fails with LEX_COMPILE on the first compile error.',
      args: deployArgs,
      gas: 5_000,
      run(ctx, args) {
        ctx.charge(DEPLOY_GAS_PER_BYTE * Buffer.byteLength(args.source, 'utf8'), 'compiling the template');
        const contract = compileOrThrow(args.source);
        const h = contract.sourceHash;
        if (!compiled.has(h)) compiled.set(h, contract);
        const fresh = !ctx.has(k.template(h));
        if (fresh) {
          ctx.write(k.template(h), args.source);
          const n = ctx.read(k.templateCount()) ?? 0;
          ctx.write(k.templateList(n), h);
          ctx.write(k.templateCount(), n + 1);
          ctx.emit('Deployed', { template: h, id: contract.id, version: contract.version });
        }
        return { template: h, id: contract.id, version: contract.version, fresh };
      },
    }),

    draft: method({
      doc: 'Draft a contract instance {template, params, parties: {party: DID}, countersigner?: {did, role}, disputeAllows?: [event]}; its id is the tx hash.',
      args: draftArgs,
      gas: 10_000,
      run(ctx, args) {
        // Contract audit (docs/supervision.md#contract-audit): where the alliance policy says so, approved templates only.
        if (ctx.templateApproval(args.template) === 'unapproved') {
          throw new ModuleError('TEMPLATE_NOT_APPROVED', `chain ${ctx.chain} accepts only lex templates a regulator approved, and no regulator approved template ${args.template}; ask a regulator to review it (supervision.approve)`);
        }
        const { contract, source } = loadContract(ctx, args.template);
        for (const d of Object.values(args.parties)) refuseFrozen(ctx, { type: 'did', did: d });
        const names = contract.parties.map((p) => p.name);
        const given = Object.keys(args.parties);
        const missing = names.filter((n) => !Object.hasOwn(args.parties, n));
        const extra = given.filter((n) => !names.includes(n));
        if (missing.length || extra.length) {
          throw new ModuleError('BAD_PARTIES', `parties must name exactly ${names.join(', ')}${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not a party: ${extra.join(', ')}` : ''}`);
        }
        const params: Record<string, JsonValue> = { ...args.params };
        for (const n of names) {
          const d = args.parties[n]!;
          if (params[n] !== undefined && params[n] !== d) throw new ModuleError('BAD_PARTIES', `params.${n} (${String(params[n])}) differs from parties.${n} (${d})`);
          params[n] = d;
        }
        const dids = names.map((n) => args.parties[n]!);
        if (new Set(dids).size !== dids.length) throw new ModuleError('BAD_PARTIES', 'each party must be a different DID');
        if (args.countersigner && dids.includes(args.countersigner.did)) {
          throw new ModuleError('BAD_COUNTERSIGNER', `the ${args.countersigner.role} countersigning must not be one of the parties (${args.countersigner.did})`);
        }
        if (args.disputeAllows) {
          const known = [...contract.handlers.keys(), 'Tick'];
          const unknown = args.disputeAllows.filter((e) => !known.includes(e));
          if (unknown.length) throw new ModuleError('BAD_DISPUTE_ALLOWS', `disputeAllows names no event of this contract: ${unknown.join(', ')}; it has ${known.join(', ')}`);
          if (new Set(args.disputeAllows).size !== args.disputeAllows.length) throw new ModuleError('BAD_DISPUTE_ALLOWS', 'disputeAllows names an event twice');
        }
        // Instantiate-check the parameters (BAD_PARAMS …); charge the rendering by the source size.
        lexCall(() => instantiate(contract, params, { instance: ctx.txHash }));
        ctx.charge(2 * source.length, 'rendering the contract texts');
        const terms: SigningTerms = {
          ...(args.countersigner ? { countersigner: { did: args.countersigner.did, role: args.countersigner.role } } : {}),
          ...(args.disputeAllows ? { disputeAllows: [...args.disputeAllows] } : {}),
        };
        const fp = lexCall(() => instanceFingerprint(contract, params, terms));
        const id = ctx.txHash;
        const inst: LexInstance = {
          id, template: args.template, params, parties: { ...args.parties }, fingerprint: fp, status: 'draft', signatures: {},
          ...terms, createdAt: at(ctx), history: 0, settlements: 0,
        };
        record(ctx, inst, 'drafted', null, roleOf(inst, ctx.sender), { fingerprint: fp });
        ctx.write(k.instance(id), inst);
        for (const d of new Set([...dids, ...(args.countersigner ? [args.countersigner.did] : [])])) indexMember(ctx, d, id);
        ctx.emit('Drafted', { id, template: args.template, fingerprint: fp, parties: { ...args.parties }, ...(args.countersigner ? { countersigner: args.countersigner.did } : {}) });
        return { id, fingerprint: fp };
      },
    }),

    sign: method({
      doc: 'Sign a drafted instance {id, fingerprint} as one of its parties; when all have signed (and the countersigner, if named) it becomes active.',
      args: signArgs,
      gas: 5_000,
      run(ctx, args) {
        const inst = loadInstance(ctx, args.id);
        refuseFrozen(ctx, { type: 'contract', id: args.id });
        if (inst.status !== 'draft' && inst.status !== 'signing') throw new ModuleError('LEX_NOT_SIGNING', `contract ${args.id} is ${inst.status}, not open for signing`);
        const role = roleOf(inst, ctx.sender);
        if (role === undefined) {
          const hint = inst.countersigner?.did === ctx.sender ? `; as the ${inst.countersigner.role} use countersign` : '';
          throw new ModuleError('LEX_NOT_PARTY', `${ctx.sender} is not a party to contract ${args.id}${hint}`);
        }
        if (args.fingerprint !== inst.fingerprint) throw new ModuleError('LEX_FINGERPRINT_MISMATCH', `the fingerprint signed (${args.fingerprint}) is not the contract's (${inst.fingerprint})`);
        if (Object.hasOwn(inst.signatures, role)) throw new ModuleError('LEX_ALREADY_SIGNED', `${role} (${ctx.sender}) has already signed contract ${args.id}`);
        const from = inst.status;
        inst.signatures = { ...inst.signatures, [role]: { height: ctx.height, time: ctx.time, tx: ctx.txHash } };
        inst.status = 'signing';
        record(ctx, inst, 'signed', from, role, { fingerprint: args.fingerprint });
        ctx.emit('Signed', { id: args.id, party: role, did: ctx.sender });
        const complete = Object.keys(inst.parties).every((n) => Object.hasOwn(inst.signatures, n));
        if (complete && !inst.countersigner) activate(ctx, inst);
        ctx.write(k.instance(args.id), inst);
        return { id: args.id, party: role, status: inst.status };
      },
    }),

    countersign: method({
      doc: 'The notary or court named at draft countersigns {id, fingerprint} after every party has signed; the contract becomes active.',
      args: signArgs,
      gas: 5_000,
      run(ctx, args) {
        const inst = loadInstance(ctx, args.id);
        refuseFrozen(ctx, { type: 'contract', id: args.id });
        if (!inst.countersigner) throw new ModuleError('LEX_NO_COUNTERSIGNER', `contract ${args.id} names no notary or court to countersign`);
        if (inst.countersigner.did !== ctx.sender) throw new ModuleError('LEX_NOT_COUNTERSIGNER', `only ${inst.countersigner.did} (the ${inst.countersigner.role}) may countersign contract ${args.id}`);
        if (inst.status !== 'signing' && inst.status !== 'draft') throw new ModuleError('LEX_NOT_SIGNING', `contract ${args.id} is ${inst.status}, not open for signing`);
        const unsigned = Object.keys(inst.parties).filter((n) => !Object.hasOwn(inst.signatures, n));
        if (unsigned.length) throw new ModuleError('LEX_PARTIES_NOT_SIGNED', `the ${inst.countersigner.role} countersigns after every party; not signed yet: ${unsigned.join(', ')}`);
        if (args.fingerprint !== inst.fingerprint) throw new ModuleError('LEX_FINGERPRINT_MISMATCH', `the fingerprint countersigned (${args.fingerprint}) is not the contract's (${inst.fingerprint})`);
        inst.countersignature = { height: ctx.height, time: ctx.time, tx: ctx.txHash };
        record(ctx, inst, 'countersigned', inst.status, 'countersigner', { fingerprint: args.fingerprint, role: inst.countersigner.role });
        ctx.emit('Countersigned', { id: args.id, did: ctx.sender, role: inst.countersigner.role });
        activate(ctx, inst);
        ctx.write(k.instance(args.id), inst);
        return { id: args.id, status: inst.status };
      },
    }),

    event: method({
      doc: 'Send a lex event {id, event, input?} to an active instance (or, while disputed, one the contract allows); refused requests fail the tx and change nothing.',
      args: eventArgs,
      gas: 5_000,
      run(ctx, args) {
        if (args.event.startsWith(METERED_PREFIX)) {
          throw new ModuleError('LEX_METERED_EVENT', `${args.event} reports metered usage: only the market module sends it, from the usage its gateways committed on chain (market.settle); a party cannot send it`);
        }
        return runEvent(ctx, args, ctx.sender);
      },
    }),

    dispute: method({
      doc: 'A party raises a dispute {id, reason} on an active contract: it is frozen until resolved (events refused except those named in disputeAllows).',
      args: disputeArgs,
      gas: 3_000,
      run(ctx, args) {
        const inst = loadInstance(ctx, args.id);
        refuseFrozen(ctx, { type: 'contract', id: args.id });
        const role = roleOf(inst, ctx.sender);
        if (role === undefined) throw new ModuleError('LEX_NOT_PARTY', `${ctx.sender} is not a party to contract ${args.id}; only a party may raise a dispute`);
        if (inst.status !== 'active') throw new ModuleError('LEX_NOT_ACTIVE', `contract ${args.id} is ${inst.status}; only an active contract can be disputed`);
        inst.status = 'disputed';
        inst.dispute = { party: role, did: ctx.sender, reason: args.reason, height: ctx.height, time: ctx.time, tx: ctx.txHash };
        record(ctx, inst, 'disputed', 'active', role, { reason: args.reason });
        ctx.write(k.instance(args.id), inst);
        ctx.emit('Disputed', { id: args.id, party: role, reason: args.reason });
        return { id: args.id, status: inst.status };
      },
    }),

    resolve: method({
      doc: 'Resolve a dispute {id, outcome: resume|complete|terminate, note?}: by the notary/court named at draft; without one, the party that raised it may withdraw it (resume).',
      args: resolveArgs,
      gas: 3_000,
      run(ctx, args) {
        const inst = loadInstance(ctx, args.id);
        refuseFrozen(ctx, { type: 'contract', id: args.id });
        if (inst.status !== 'disputed' || !inst.dispute) throw new ModuleError('LEX_NOT_DISPUTED', `contract ${args.id} is ${inst.status}, not disputed`);
        let role: string;
        if (inst.countersigner) {
          if (ctx.sender !== inst.countersigner.did) throw new ModuleError('LEX_NOT_ARBITER', `only the ${inst.countersigner.role} named in contract ${args.id} (${inst.countersigner.did}) may resolve its dispute`);
          role = 'countersigner';
        } else {
          if (ctx.sender !== inst.dispute.did) throw new ModuleError('LEX_NOT_ARBITER', `contract ${args.id} names no notary or court; only ${inst.dispute.party} (${inst.dispute.did}), who raised the dispute, may withdraw it`);
          if (args.outcome !== 'resume') throw new ModuleError('LEX_NOT_ARBITER', `without a notary or court named in the contract, a dispute can only be withdrawn (outcome "resume"), not ${args.outcome}`);
          role = inst.dispute.party;
        }
        const dispute = inst.dispute;
        delete inst.dispute;
        inst.status = args.outcome === 'resume' ? 'active' : args.outcome === 'complete' ? 'completed' : 'terminated';
        if (inst.status !== 'active') inst.endedAt = at(ctx);
        record(ctx, inst, 'resolved', 'disputed', role, {
          outcome: args.outcome, ...(args.note !== undefined ? { note: args.note } : {}), dispute: { party: dispute.party, reason: dispute.reason, tx: dispute.tx },
        });
        ctx.write(k.instance(args.id), inst);
        ctx.emit('DisputeResolved', { id: args.id, outcome: args.outcome, status: inst.status });
        return { id: args.id, status: inst.status };
      },
    }),

    settle: method({
      doc: `Send the contract's pending settlement instructions through xchain (at most ${SETTLE_BATCH} per call); anyone may call it.`,
      args: settleArgs,
      gas: 2_000,
      run(ctx, args) {
        const inst = loadInstance(ctx, args.id);
        refuseFrozen(ctx, { type: 'contract', id: args.id });
        let sent = 0;
        let pending = 0;
        for (let n = 0; n < inst.settlements && sent + pending < SETTLE_BATCH; n++) {
          const rec = ctx.read(k.settlement(args.id, n))!;
          if (rec.status !== 'pending') continue;
          trySend(ctx, args.id, rec);
          ctx.write(k.settlement(args.id, n), rec);
          if ((rec.status as SettlementStatus) === 'sent') {
            sent++;
            record(ctx, inst, 'settlementSent', inst.status, roleOf(inst, ctx.sender), { idempotencyKey: rec.instruction.idempotencyKey, n });
          } else pending++;
        }
        if (sent) ctx.write(k.instance(args.id), inst);
        return { id: args.id, sent, pending };
      },
    }),
  },
  exports: exportsDef,
};

/** Executes a lex event as `sender` (the tx sender, or for a metered event the party the market reports for). */
function runEvent(ctx: ModuleContext, args: z.infer<typeof eventArgs>, sender: string): JsonValue {
  const inst = loadInstance(ctx, args.id);
  refuseFrozen(ctx, { type: 'contract', id: args.id });
  if (inst.status === 'disputed') {
    if (!inst.disputeAllows?.includes(args.event)) {
      throw new ModuleError('LEX_DISPUTED', `contract ${args.id} is frozen by a dispute raised by ${inst.dispute?.party ?? 'a party'}; it accepts only ${inst.disputeAllows?.length ? inst.disputeAllows.join(', ') : 'no events'} until ${inst.countersigner ? `the ${inst.countersigner.role} (${inst.countersigner.did}) resolves it` : 'the dispute is withdrawn'}`);
    }
  } else if (inst.status !== 'active') throw new ModuleError('LEX_NOT_ACTIVE', `contract ${args.id} is ${inst.status}`);
  const { contract } = loadContract(ctx, inst.template);
  const state = ctx.read(k.state(args.id))!;
  const input = args.input ?? {};
  const r = execute(contract, state, { event: args.event, input }, { time: ctx.time, gasLimit: EVENT_GAS_LIMIT, sender });
  ctx.charge(r.gasUsed, `executing ${args.event}`);
  if (!r.ok) throw new ModuleError(r.rejection.code, r.rejection.message.en);
  const seq = state.seq;
  ctx.write(k.state(args.id), r.state);
  const entry: LexLogEntry = { event: args.event, input, sender, height: ctx.height, time: ctx.time, tx: ctx.txHash };
  ctx.write(k.log(args.id, seq), entry);
  for (const ev of r.events) ctx.emit(ev.type, { id: args.id, ...ev.data });
  const from = inst.status;
  const keys: string[] = [];
  for (const s of r.settlements) {
    const rec: SettlementRecord = { n: inst.settlements, seq, instruction: s, status: 'pending', updated: { ...at(ctx), tx: ctx.txHash } };
    inst.settlements += 1;
    trySend(ctx, args.id, rec);
    ctx.write(k.settlement(args.id, rec.n), rec);
    ctx.write(k.settlementIndex(s.idempotencyKey), rec.n);
    keys.push(s.idempotencyKey);
    ctx.emit('Settlement', { id: args.id, status: rec.status, ...(asJson(s) as Record<string, JsonValue>) });
  }
  record(ctx, inst, 'event', from, roleOf(inst, sender), { event: args.event, seq, ...(keys.length ? { settlements: keys } : {}) });
  if (r.state.status === 'terminated') {
    inst.status = 'terminated';
    inst.endedAt = at(ctx);
    record(ctx, inst, 'terminated', from, roleOf(inst, sender), { by: 'contract', reason: asJson(r.state.terminated?.reason ?? null) });
  } else if (from === 'active' && isComplete(r.state, r.obligations)) {
    inst.status = 'completed';
    inst.endedAt = at(ctx);
    record(ctx, inst, 'completed', from, roleOf(inst, sender), { by: 'contract' });
    ctx.emit('ContractCompleted', { id: args.id });
  }
  ctx.write(k.instance(args.id), inst);
  return { id: args.id, seq, status: inst.status, response: r.response, settlements: asJson(r.settlements) };
}

/** All parties (and the countersigner, if any) have signed: the lex state is created. */
function activate(ctx: ModuleContext, inst: LexInstance): void {
  const { contract } = loadContract(ctx, inst.template);
  const state = lexCall(() => instantiate(contract, inst.params, { instance: inst.id }));
  const from = inst.status;
  inst.status = 'active';
  inst.activatedAt = at(ctx);
  ctx.write(k.state(inst.id), state);
  record(ctx, inst, 'activated', from, inst.countersigner?.did === ctx.sender ? 'countersigner' : roleOf(inst, ctx.sender));
  ctx.emit('Activated', { id: inst.id });
}
