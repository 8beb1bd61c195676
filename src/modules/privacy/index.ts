import { asJson, resultAs, type JsonValue } from '../../codec/index.ts';
import { purposeName } from '../../odrl/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import type { ConsentCheck } from '../consent/types.ts';
import { SETTLEMENT_CHAIN, SETTLEMENT_PORT, SETTLEMENT_TIMEOUT_MS } from '../lexcontract/types.ts';
import { ackCallbackArgs, FROM_XCHAIN, sendPacket, timeoutCallbackArgs } from '../xchain/index.ts';
import {
  PRIVACY, PRIVACY_CONTRACT, PROTOCOL_ACTION, completeArgs, consentRoot, failArgs, reportArgs, requestArgs,
  type RunParty, type RunRecord, type Stamp,
} from './types.ts';
import { privacyKey } from './keys.ts';

export * from './types.ts';
export { privacyKey, privacyStateKey } from './keys.ts';

const stamp = (ctx: ModuleContext): Stamp => ({ height: ctx.height, time: ctx.time, tx: ctx.txHash });
const PAILLIER_HEX = 512; // a 2048-bit modulus

function runOf(ctx: ModuleContext, id: number): RunRecord {
  const r = ctx.read(privacyKey.run(id));
  if (!r) throw new ModuleError('PRIVACY_RUN_NOT_FOUND', `no computation run ${id} on chain ${ctx.chain}`);
  return r;
}
function open(r: RunRecord): void {
  if (r.status !== 'admitted') throw new ModuleError('PRIVACY_RUN_ENDED', `run ${r.id} is already ${r.status}${r.failed ? ` (${r.failed.reason})` : ''}`);
}

/** The protocol's shape: columns and key for psi-sum only; two different datasets. */
function checkShape(a: ReturnType<typeof requestArgs.parse>): void {
  const bad = (m: string): never => { throw new ModuleError('PRIVACY_BAD_REQUEST', `privacy.request: ${m}`); };
  if (a.receiver.dataset === a.sender.dataset) bad('the receiver and the sender must bring different datasets');
  if (a.protocol === 'psi-sum') {
    if (a.columns.length === 0) bad('psi-sum sums at least one value column of the sender (args.columns)');
    const k = a.paillier;
    if (!k) return bad('psi-sum needs the requester\'s Paillier public key (args.paillier); the sums are decrypted only with its secret key');
    if (k.n.length !== PAILLIER_HEX || !/^[89a-f]/.test(k.n) || !/[13579bdf]$/.test(k.n)) bad('args.paillier.n: a Paillier modulus is an odd 2048-bit number, 512 hex digits');
    if (k.h.length > PAILLIER_HEX * 2) bad('args.paillier.h: the randomiser base is below n², at most 1024 hex digits');
  } else {
    if (a.columns.length) bad(`${a.protocol} sums nothing: args.columns must be empty`);
    if (a.paillier) bad(`${a.protocol} needs no Paillier key: leave args.paillier out`);
  }
  if (new Set(a.columns).size !== a.columns.length) bad('args.columns names a column twice');
  if (new Set(a.consents).size !== a.consents.length) bad('args.consents names a consent twice');
}

/** Counts the run as a use of the party's grant (dataauth's checks and counter): the grant must be the requester's, for that dataset. */
function useGrant(ctx: ModuleContext, role: RunParty['role'], p: { dataset: string; grant: number }, action: string, purpose: string): RunParty {
  const u = resultAs<{ n: number; dataset: string; owner: string }>(ctx.call('dataauth', 'useFor', { grant: p.grant, user: ctx.sender, action, requestHash: ctx.txHash, purpose }));
  if (u.dataset !== p.dataset) throw new ModuleError('PRIVACY_BAD_REQUEST', `privacy.request args.${role}: grant ${p.grant} is for dataset ${u.dataset}, not ${p.dataset}`);
  return { role, dataset: p.dataset, grant: p.grant, owner: u.owner, use: u.n };
}

/** Sends the fee as a settlement instruction (payer: the requester, within the mandate they gave this module); a refusal leaves it pending with the reason. */
function payFee(ctx: ModuleContext, r: RunRecord): void {
  if (!r.fee) return;
  const owners = [...new Set(r.parties.map((p) => p.owner))];
  const total = BigInt(r.fee.amount);
  const each = total / BigInt(owners.length);
  const payments = owners.map((to, i) => ({ to, amount: String(i === 0 ? total - each * BigInt(owners.length - 1) : each), category: 'service' }))
    .filter((p) => p.amount !== '0');
  const instruction = { idempotencyKey: `privacy-${ctx.chain}-${r.id}`, payer: r.requester, currency: r.fee.currency, payments, memo: `privacy run ${r.id} (${r.protocol})` };
  try {
    const sent = sendPacket(ctx, { dstChain: SETTLEMENT_CHAIN, dstPort: SETTLEMENT_PORT, payload: asJson({ kind: 'settlement-instruction', contract: PRIVACY_CONTRACT, instruction }), timeoutTime: ctx.time + SETTLEMENT_TIMEOUT_MS });
    r.fee = { currency: r.fee.currency, amount: r.fee.amount, status: 'sent', packet: sent.sequence };
    ctx.write(privacyKey.feePacket(sent.sequence), r.id);
  } catch (e) {
    if (!(e instanceof ModuleError)) throw e;
    r.fee = { currency: r.fee.currency, amount: r.fee.amount, status: 'pending', note: `${e.code}: ${e.message}` };
  }
}

function feeOutcome(ctx: ModuleContext, sequence: number, status: 'paid' | 'failed', note?: string): JsonValue {
  const id = ctx.read(privacyKey.feePacket(sequence));
  if (id === undefined) return { ignored: true };
  const r = runOf(ctx, id);
  if (!r.fee) return { ignored: true };
  r.fee = { currency: r.fee.currency, amount: r.fee.amount, status, packet: sequence, ...(note ? { note } : {}) };
  ctx.write(privacyKey.run(id), r);
  ctx.emit(status === 'paid' ? 'FeePaid' : 'FeeFailed', { run: id, sequence });
  return { run: id, fee: status };
}

/**
 * privacy — the control flow of private set computations (白皮书 §2.3.3, §5.2.2): a request is
 * admitted only when both owners' grants allow the protocol's action for the purpose (each run
 * counts as one use, so the grant's ODRL count caps runs against differencing) and every consent
 * it names holds at this height; the parties then report their input commitments, the requester
 * the result's digest, and the fee goes out as a settlement instruction.
 */
export const privacyModule: ModuleDef = {
  name: PRIVACY,
  description: 'Private set intersection, cardinality and sum runs: admitted against the owners\' grants and the subjects\' consents, audited (participants, input commitments, result digest, duration, fee).',
  // Fees go to the settlement port on the settlement chain; its acks come back here.
  port: { counterparts: [SETTLEMENT_PORT] },
  methods: {
    request: method({
      doc: 'Ask for a run over two datasets (receiver, sender) under the requester\'s grants for them; checks each grant (a use each) and each consent at this height; records the consent root.',
      args: requestArgs,
      gas: 6_000,
      run(ctx, a) {
        checkShape(a);
        const p = purposeName(a.purpose);
        if (!p) throw new ModuleError('ODRL_UNKNOWN_PURPOSE', `privacy.request args.purpose: "${a.purpose}" is not a DPV purpose (e.g. dpv:AcademicResearch)`);
        const purpose = `dpv:${p}`;
        ctx.charge(40 * a.consents.length, 'checking the consents');
        a.consents.forEach((digest, i) => {
          const c = resultAs<ConsentCheck>(ctx.call('consent', 'activeAt', { digest, height: ctx.height, controller: ctx.sender, purpose }));
          if (!c.active) throw new ModuleError(c.code, `privacy.request args.consents[${i}]: ${c.message}; leave out subjects who withdrew and ask again`);
        });
        const action = PROTOCOL_ACTION[a.protocol];
        const parties = [useGrant(ctx, 'receiver', a.receiver, action, purpose), useGrant(ctx, 'sender', a.sender, action, purpose)];
        const id = (ctx.read(privacyKey.runs()) ?? 0) + 1;
        const consents = [...a.consents].sort();
        const r: RunRecord = {
          id, requester: ctx.sender, protocol: a.protocol, group: a.group, columns: a.columns, purpose, consents, consentRoot: consentRoot(consents),
          parties, status: 'admitted', requested: stamp(ctx),
        };
        if (a.paillier) r.paillier = a.paillier;
        if (a.fee) r.fee = { ...a.fee, status: 'none' };
        ctx.write(privacyKey.run(id), r);
        ctx.write(privacyKey.runs(), id);
        const n = (ctx.read(privacyKey.requesterCount(ctx.sender)) ?? 0) + 1;
        ctx.write(privacyKey.requesterCount(ctx.sender), n);
        ctx.write(privacyKey.byRequester(ctx.sender, n), id);
        ctx.emit('RunAdmitted', { run: id, requester: ctx.sender, protocol: a.protocol, consentRoot: r.consentRoot });
        return { run: id, consentRoot: r.consentRoot, uses: parties.map((x) => x.use) };
      },
    }),
    report: method({
      doc: 'A dataset\'s owner reports its side of an admitted run: the commitment to its input and how many records it brought.',
      args: reportArgs,
      gas: 2_000,
      run(ctx, a) {
        const r = runOf(ctx, a.run);
        open(r);
        const mine = r.parties.filter((p) => p.owner === ctx.sender && !p.report);
        if (!mine.length) {
          const named = r.parties.some((p) => p.owner === ctx.sender);
          throw new ModuleError('PRIVACY_NOT_PARTY', named ? `${ctx.sender} already reported its input to run ${r.id}` : `${ctx.sender} owns neither dataset of run ${r.id} (${r.parties.map((p) => `${p.role} ${p.dataset}: ${p.owner}`).join('; ')})`);
        }
        mine[0]!.report = { inputCommitment: a.inputCommitment, records: a.records, durationMs: a.durationMs, ...stamp(ctx) };
        ctx.write(privacyKey.run(r.id), r);
        ctx.emit('RunReported', { run: r.id, role: mine[0]!.role, owner: ctx.sender });
        return { run: r.id, role: mine[0]!.role };
      },
    }),
    complete: method({
      doc: 'The requester records the digest of the result it received; the run is done and its fee is sent as a settlement instruction.',
      args: completeArgs,
      gas: 4_000,
      run(ctx, a) {
        const r = runOf(ctx, a.run);
        if (r.requester !== ctx.sender) throw new ModuleError('PRIVACY_NOT_PARTY', `run ${r.id} was requested by ${r.requester}; only the requester records its result`);
        open(r);
        const missing = r.parties.filter((p) => !p.report);
        if (missing.length) throw new ModuleError('PRIVACY_NOT_READY', `run ${r.id}: ${missing.map((p) => `${p.role} ${p.owner}`).join(', ')} has not reported its input`);
        r.status = 'done';
        r.result = { digest: a.resultDigest, durationMs: a.durationMs, ...stamp(ctx) };
        payFee(ctx, r);
        ctx.write(privacyKey.run(r.id), r);
        ctx.emit('RunDone', { run: r.id, resultDigest: a.resultDigest, fee: r.fee?.status ?? 'none' });
        return asJson({ run: r.id, status: r.status, fee: r.fee ?? null });
      },
    }),
    settle: method({
      doc: 'Send again the fee instruction of a done run that could not be sent yet (xchain not ready); anyone may ask.',
      args: failArgs.pick({ run: true }),
      gas: 3_000,
      run(ctx, a) {
        const r = runOf(ctx, a.run);
        if (r.status !== 'done' || r.fee?.status !== 'pending') throw new ModuleError('PRIVACY_RUN_ENDED', `run ${r.id} has no fee waiting to be sent (status ${r.status}, fee ${r.fee?.status ?? 'none'})`);
        payFee(ctx, r);
        ctx.write(privacyKey.run(r.id), r);
        return asJson({ run: r.id, fee: r.fee });
      },
    }),
    fail: method({
      doc: 'The requester or an owner records that an admitted run failed (a refused step, a party that stopped): no result, no fee; the grant use stays counted.',
      args: failArgs,
      gas: 2_000,
      run(ctx, a) {
        const r = runOf(ctx, a.run);
        if (r.requester !== ctx.sender && !r.parties.some((p) => p.owner === ctx.sender)) throw new ModuleError('PRIVACY_NOT_PARTY', `${ctx.sender} takes no part in run ${r.id}`);
        open(r);
        r.status = 'failed';
        r.failed = { by: ctx.sender, reason: a.reason, ...stamp(ctx) };
        ctx.write(privacyKey.run(r.id), r);
        ctx.emit('RunFailed', { run: r.id, by: ctx.sender });
        return { run: r.id, status: 'failed' };
      },
    }),
  },
  exports: {
    onAcknowledgementPacket: exported({
      doc: 'xchain only: the settlement chain\'s answer to a run\'s fee instruction.',
      gas: 1_000,
      callers: FROM_XCHAIN,
      args: ackCallbackArgs,
      run(ctx, { packet, ack }) {
        return ack.ok ? feeOutcome(ctx, packet.sequence, 'paid') : feeOutcome(ctx, packet.sequence, 'failed', `${ack.code}: ${ack.message}`);
      },
    }),
    onTimeoutPacket: exported({
      doc: 'xchain only: a run\'s fee instruction was never received by the settlement chain.',
      gas: 1_000,
      callers: FROM_XCHAIN,
      args: timeoutCallbackArgs,
      run: (ctx, { packet }) => feeOutcome(ctx, packet.sequence, 'failed', 'TIMEOUT: the settlement chain did not receive the fee instruction in time'),
    }),
  },
};
