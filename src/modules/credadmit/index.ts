import { canonicalize, type JsonValue, isJsonObject } from '../../codec/index.ts';
import { parseDateTimeMs } from '../../odrl/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { CREDADMIT, MAX_CREDENTIALS, MAX_PRESENTATION_BYTES, presentArgs, withdrawArgs } from './types.ts';
import { credadmitKey } from './keys.ts';

export * from './types.ts';
export * from './keys.ts';

type Obj = { [key: string]: JsonValue };
const types = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const bad = (msg: string): never => {
  throw new ModuleError('CREDADMIT_BAD_PRESENTATION', msg);
};

/**
 * The checks a presentation passes before it is kept (its proofs are checked by the chain that
 * admits, against the DID documents at the height each block names): the sender is its holder and
 * its subject, it is bound to the chain (proof domain), and each credential is valid at this block
 * time and carries a status entry (so its issuer can revoke it).
 */
function checkPresentation(ctx: ModuleContext, chain: string, vp: Obj): void {
  if (canonicalize(vp).length > MAX_PRESENTATION_BYTES) bad(`the presentation is larger than ${MAX_PRESENTATION_BYTES} bytes`);
  if (!types(vp.type).includes('VerifiablePresentation')) bad('presentation.type must include "VerifiablePresentation"');
  if (vp.holder !== ctx.sender) bad(`presentation.holder is ${JSON.stringify(vp.holder ?? null)}; it must be the sender ${ctx.sender}, who presents their own credentials`);
  const proof = vp.proof;
  if (!isJsonObject(proof)) bad('presentation.proof must be one Data Integrity proof by the holder');
  const p = proof as Obj;
  if (p.proofPurpose !== 'authentication') bad('presentation.proof.proofPurpose must be "authentication"');
  if (p.domain !== chain) bad(`presentation.proof.domain must be the chain it is presented for ("${chain}"), so it cannot be replayed for another`);
  const vcs = Array.isArray(vp.verifiableCredential) ? vp.verifiableCredential : vp.verifiableCredential === undefined ? [] : [vp.verifiableCredential];
  if (vcs.length === 0 || vcs.length > MAX_CREDENTIALS) bad(`a presentation carries 1 to ${MAX_CREDENTIALS} credentials`);
  vcs.forEach((vc, i) => {
    if (!isJsonObject(vc)) return bad(`verifiableCredential[${i}] must be an object`);
    if (!types(vc.type).includes('VerifiableCredential')) bad(`verifiableCredential[${i}].type must include "VerifiableCredential"`);
    const subject = vc.credentialSubject;
    if (!isJsonObject(subject) || subject.id !== ctx.sender) bad(`verifiableCredential[${i}].credentialSubject.id must be the holder ${ctx.sender}`);
    if (!isJsonObject(vc.credentialStatus) || vc.credentialStatus.type !== 'BitstringStatusListEntry') bad(`verifiableCredential[${i}] needs a BitstringStatusListEntry credentialStatus, so that its issuer can revoke it`);
    const from = typeof vc.validFrom === 'string' ? parseDateTimeMs(vc.validFrom) : undefined;
    const until = typeof vc.validUntil === 'string' ? parseDateTimeMs(vc.validUntil) : undefined;
    if (vc.validFrom !== undefined && from === undefined) bad(`verifiableCredential[${i}].validFrom is not an xsd:dateTime`);
    if (vc.validUntil !== undefined && until === undefined) bad(`verifiableCredential[${i}].validUntil is not an xsd:dateTime`);
    if ((from !== undefined && ctx.time < from) || (until !== undefined && ctx.time >= until)) {
      throw new ModuleError('CREDADMIT_EXPIRED', `verifiableCredential[${i}] is valid from ${String(vc.validFrom ?? '-')} until ${String(vc.validUntil ?? '-')}, not at this block's time ${new Date(ctx.time).toISOString()}`);
    }
  });
}

/**
 * credadmit — on the identity chain: verifiable presentations a holder gives once to be admitted
 * to a business chain whose admission policy names a credential type and issuer.
 */
export const credadmitModule: ModuleDef = {
  name: CREDADMIT,
  description: 'Verifiable presentations a holder gives once for admission to a business chain with a credential policy.',
  methods: {
    present: method({
      doc: 'Keep the sender\'s presentation for a chain (replacing an earlier one); the chain admits them while its proofs and status hold.',
      args: presentArgs,
      gas: 5_000,
      run(ctx, a): JsonValue {
        checkPresentation(ctx, a.chain, a.presentation);
        ctx.write(credadmitKey.presentation(a.chain, ctx.sender), { chain: a.chain, holder: ctx.sender, presentation: a.presentation, height: ctx.height, time: ctx.time, tx: ctx.txHash });
        ctx.emit('Presented', { chain: a.chain, holder: ctx.sender });
        return { chain: a.chain, holder: ctx.sender };
      },
    }),
    withdraw: method({
      doc: 'Remove the sender\'s presentation for a chain.',
      args: withdrawArgs,
      gas: 1_000,
      run(ctx, a): JsonValue {
        const key = credadmitKey.presentation(a.chain, ctx.sender);
        if (!ctx.read(key)) throw new ModuleError('CREDADMIT_NOT_FOUND', `${ctx.sender} has no presentation for chain ${a.chain}`);
        ctx.delete(key);
        ctx.emit('Withdrawn', { chain: a.chain, holder: ctx.sender });
        return { chain: a.chain };
      },
    }),
  },
};
