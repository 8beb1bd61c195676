import { asJson, type JsonValue } from '../../codec/index.ts';
import { purposeName } from '../../odrl/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import {
  CONSENT, CONSENT_LIMITS, activeAtArgs, digestArgs, fulfilArgs, giveArgs, portabilityArgs,
  consentActiveAt, type ConsentRecord, type PortabilityRecord,
} from './types.ts';
import { consentKey } from './keys.ts';

export * from './types.ts';
export { consentKey, consentStateKey } from './keys.ts';

const stamp = (ctx: ModuleContext) => ({ height: ctx.height, time: ctx.time, tx: ctx.txHash });

function mine(ctx: ModuleContext, digest: string): ConsentRecord {
  const c = ctx.read(consentKey.consent(digest));
  if (!c) throw new ModuleError('CONSENT_NOT_FOUND', `no consent ${digest} on chain ${ctx.chain}`);
  if (c.subject !== ctx.sender) throw new ModuleError('CONSENT_NOT_SUBJECT', `consent ${digest} was given by ${c.subject}; ${ctx.sender} may not change it`);
  return c;
}

function withdraw(ctx: ModuleContext, c: ConsentRecord): ConsentRecord {
  const next: ConsentRecord = { ...c, state: 'withdrawn', withdrawnFrom: ctx.height + 1, history: [...c.history, { state: 'withdrawn', ...stamp(ctx) }] };
  ctx.write(consentKey.consent(c.digest), next);
  ctx.emit('ConsentWithdrawn', { digest: c.digest, subject: c.subject, effectiveFrom: ctx.height + 1 });
  return next;
}

export const consentModule: ModuleDef = {
  name: CONSENT,
  description: 'Citizens\' consents (C2B): digests and states of consent credentials signed by data subjects under pairwise DIDs, withdrawal from the next block, portability requests with fulfilment receipts.',
  methods: {
    give: method({
      doc: 'Record a consent the sender (the subject\'s pairwise DID) signed as a VC: its digest, the organisation it lets use the data, the DPV purpose and expiry. No personal data.',
      args: giveArgs,
      gas: 3_000,
      run(ctx, a) {
        if (!purposeName(a.purpose)) throw new ModuleError('BAD_ARGS', `consent.give args.purpose: "${a.purpose}" is not a DPV purpose (e.g. dpv:AcademicResearch)`);
        if (a.controller === ctx.sender) throw new ModuleError('BAD_ARGS', 'consent.give args.controller: a subject cannot consent to itself; name the organisation');
        if (a.expires !== undefined && a.expires <= ctx.time) throw new ModuleError('BAD_ARGS', `consent.give args.expires: ${a.expires} is not after this block's time ${ctx.time}`);
        if (ctx.read(consentKey.consent(a.digest))) throw new ModuleError('CONSENT_EXISTS', `consent ${a.digest} is already recorded`);
        const n = (ctx.read(consentKey.count(ctx.sender)) ?? 0) + 1;
        if (n > CONSENT_LIMITS.perSubject) throw new ModuleError('CONSENT_LIMIT', `${ctx.sender} has given ${CONSENT_LIMITS.perSubject} consents; a pairwise DID serves one relationship — use a new one`);
        const rec: ConsentRecord = { digest: a.digest, subject: ctx.sender, controller: a.controller, purpose: a.purpose, state: 'given', history: [{ state: 'given', ...stamp(ctx) }] };
        if (a.source !== undefined) rec.source = a.source;
        if (a.expires !== undefined) rec.expires = a.expires;
        ctx.write(consentKey.consent(a.digest), rec);
        ctx.write(consentKey.count(ctx.sender), n);
        ctx.write(consentKey.bySubject(ctx.sender, n), a.digest);
        ctx.emit('ConsentGiven', { digest: a.digest, subject: ctx.sender, controller: a.controller });
        return { digest: a.digest, n };
      },
    }),
    withdraw: method({
      doc: 'Withdraw one of the sender\'s consents; uses from the next block on are refused.',
      args: digestArgs,
      gas: 2_000,
      run(ctx, { digest }) {
        const c = mine(ctx, digest);
        if (c.state === 'withdrawn') throw new ModuleError('CONSENT_WITHDRAWN', `consent ${digest} was already withdrawn (effective from height ${c.withdrawnFrom})`);
        const next = withdraw(ctx, c);
        return { digest, effectiveFrom: next.withdrawnFrom! };
      },
    }),
    withdrawAll: method({
      doc: 'Withdraw every consent the sender still has in force (one pairwise DID; a wallet sends one per relationship).',
      args: digestArgs.omit({ digest: true }),
      gas: 2_000,
      run(ctx) {
        const n = ctx.read(consentKey.count(ctx.sender)) ?? 0;
        const withdrawn: string[] = [];
        for (let i = 1; i <= n; i++) {
          const d = ctx.read(consentKey.bySubject(ctx.sender, i))!;
          const c = ctx.read(consentKey.consent(d))!;
          if (c.state === 'given') {
            withdraw(ctx, c);
            withdrawn.push(d);
          }
        }
        return { withdrawn, effectiveFrom: ctx.height + 1 };
      },
    }),
    requestPortability: method({
      doc: 'Record the sender\'s request that `source` export their data to `recipient` (PIPL Art. 45); `id` is the digest of the request document the subject keeps.',
      args: portabilityArgs,
      gas: 3_000,
      run(ctx, a) {
        if (ctx.read(consentKey.portability(a.id))) throw new ModuleError('PORTABILITY_EXISTS', `portability request ${a.id} is already recorded`);
        if (a.consent !== undefined) mine(ctx, a.consent);
        const rec: PortabilityRecord = { id: a.id, subject: ctx.sender, source: a.source, recipient: a.recipient, state: 'requested', requested: stamp(ctx) };
        if (a.consent !== undefined) rec.consent = a.consent;
        ctx.write(consentKey.portability(a.id), rec);
        ctx.emit('PortabilityRequested', { id: a.id, subject: ctx.sender, source: a.source, recipient: a.recipient });
        return { id: a.id };
      },
    }),
    fulfilPortability: method({
      doc: 'The source records that it delivered: `receipt` is the digest of what it sent to the recipient.',
      args: fulfilArgs,
      gas: 2_000,
      run(ctx, a) {
        const r = ctx.read(consentKey.portability(a.id));
        if (!r) throw new ModuleError('PORTABILITY_NOT_FOUND', `no portability request ${a.id}`);
        if (r.source !== ctx.sender) throw new ModuleError('PORTABILITY_NOT_SOURCE', `portability request ${a.id} asks ${r.source} to deliver; ${ctx.sender} may not record its fulfilment`);
        if (r.state === 'fulfilled') throw new ModuleError('PORTABILITY_FULFILLED', `portability request ${a.id} was fulfilled at height ${r.fulfilled!.height}`);
        ctx.write(consentKey.portability(a.id), { ...r, state: 'fulfilled', fulfilled: { receipt: a.receipt, ...stamp(ctx) } } satisfies PortabilityRecord);
        ctx.emit('PortabilityFulfilled', { id: a.id, source: ctx.sender, receipt: a.receipt });
        return { id: a.id, receipt: a.receipt };
      },
    }),
  },
  exports: {
    activeAt: exported({
      doc: 'Whether consent {digest} holds at {height} for a use by {controller} for {purpose}: {active: true} or {active: false, code, message}. Any module may ask.',
      gas: 500,
      args: activeAtArgs,
      run(ctx, a): JsonValue {
        return asJson(consentActiveAt(ctx.read(consentKey.consent(a.digest)), a, ctx.time));
      },
    }),
  },
};
