import { z } from '../../codec/schemas.ts';
import { ShulianError } from '../../codec/index.ts';
import { suiteVerifier, verifyEvidence, type Genesis } from '../../ledger/index.ts';
import { method, ModuleError, type ModuleDef } from '../../runtime/index.ts';
import { EVIDENCE, evidenceKeys as k } from './keys.ts';
import type { EvidenceRecord, SubmittedEvidence } from './types.ts';

export * from './types.ts';
export * from './keys.ts';

/** Evidence as submitted: an object, checked by verifyEvidence (which refuses any other shape). */
const evidenceArgs = z.strictObject({
  evidence: z.custom<SubmittedEvidence>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'evidence: an object'),
});

/**
 * `evidence`: equivocation of this chain's own validators, recorded on the chain itself.
 * Anyone may submit it; it is stored only if both conflicting messages carry valid signatures
 * of a validator of this chain (checked against the genesis validator set), once per offence.
 * Governance acts on it (e.g. a validator-set change); the record is what it cites.
 */
export function createEvidenceModule(genesis: Pick<Genesis, 'chain' | 'suite' | 'validators'>): ModuleDef {
  const verifyFn = suiteVerifier(genesis.suite);
  return {
    name: EVIDENCE,
    description: 'Records proven equivocation (two conflicting signed votes or proposals) by validators of this chain.',
    methods: {
      submit: method({
        doc: 'Submit evidence of equivocation; it is verified against the chain\'s validators and recorded once.',
        args: evidenceArgs,
        gas: 20_000,
        run(ctx, args) {
          const ev = args.evidence;
          ctx.charge(JSON.stringify(args.evidence).length * 4, 'checking the evidence');
          let ok = false;
          try {
            ok = verifyEvidence(ev, genesis.validators, genesis.chain, verifyFn);
          } catch (err) {
            if (!(err instanceof ShulianError)) ok = false;
          }
          if (!ok) {
            throw new ModuleError('EVIDENCE_INVALID', 'the evidence does not hold: it needs two different messages of the same kind, height and round, each validly signed by one validator of this chain');
          }
          const key = k.record(ev);
          if (ctx.has(key)) throw new ModuleError('EVIDENCE_EXISTS', `this equivocation by ${ev.validator} at height ${ev.height} round ${ev.round} is already recorded`);
          const record: EvidenceRecord = { evidence: ev, reportedBy: ctx.sender, height: ctx.height, time: ctx.time, tx: ctx.txHash };
          ctx.write(key, record);
          ctx.emit('Equivocation', { validator: ev.validator, height: ev.height, round: ev.round, type: ev.type });
          return { recorded: key };
        },
      }),
    },
  };
}

/** Registers the name; chains run the instance built from their genesis (see modulesFor). */
export const evidenceModuleName = 'evidence';
