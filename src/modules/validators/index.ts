import { z } from '../../codec/schemas.ts';
import { canonicalize, toHex, type JsonValue } from '../../codec/index.ts';
import { sm3 } from '../../crypto/index.ts';
import type { Genesis } from '../../ledger/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { checkValidatorSet, validatorSchema } from '../governance/index.ts';
import { VALIDATORS, validatorsKey as k } from './keys.ts';
import { MIN_DELAY, validatorsFor, type ValidatorEpoch } from './types.ts';

export * from './types.ts';
export * from './keys.ts';

const approveArgs = z.strictObject({
  height: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  validators: z.array(validatorSchema).min(1).max(100),
  /** The governance proposal that decided it, for the record. */
  proposal: z.number().int().min(1).optional(),
});

/**
 * `validators`: changes of a chain's validator set, decided by governance and applied by the
 * chain itself. Each current validator that follows the governance chain sends `approve` with
 * the approved set and its effective height; when validators holding more than 2/3 of the
 * current voting power have approved the same change, it is scheduled in this chain's state, so
 * every node switches at the same height. The height must be at least two blocks ahead.
 */
export function createValidatorsModule(genesis: Pick<Genesis, 'suite' | 'consensus' | 'validators'>): ModuleDef {
  const initial: ValidatorEpoch[] = [{ height: 0, validators: genesis.validators }];
  const schedule = (ctx: ModuleContext): ValidatorEpoch[] => ctx.read(k.schedule()) ?? initial;
  return {
    name: VALIDATORS,
    description: 'Schedules validator-set changes once validators with more than 2/3 of the voting power approve them.',
    methods: {
      approve: method({
        doc: 'Approve a validator-set change at a future height (sent by current validators, following a governance decision).',
        args: approveArgs,
        gas: 10_000,
        run(ctx, args): JsonValue {
          const sched = schedule(ctx);
          const current = validatorsFor(sched, ctx.height + 1);
          const me = current.find((v) => v.did === ctx.sender);
          if (!me) throw new ModuleError('VALIDATORS_NOT_VALIDATOR', `${ctx.sender} is not a current validator of this chain; only they approve changes`);
          if (args.height < ctx.height + MIN_DELAY) {
            throw new ModuleError('VALIDATORS_TOO_LATE', `height ${args.height} is too close: changes take effect at least ${MIN_DELAY} blocks after the block that schedules them (now ${ctx.height})`);
          }
          const last = sched[sched.length - 1]!;
          if (args.height <= last.height) throw new ModuleError('VALIDATORS_ORDER', `a change is already scheduled at height ${last.height}; a new one must come after it`);
          try {
            checkValidatorSet(args.validators, genesis.suite, genesis.consensus.type, 'validators');
          } catch (err) {
            throw new ModuleError('VALIDATORS_INVALID', (err as Error).message);
          }
          const id = toHex(sm3(Buffer.from(canonicalize({ height: args.height, validators: args.validators }))));
          const key = k.approvals(id);
          const rec = ctx.read(key) ?? { voters: [] };
          if (rec.voters.includes(ctx.sender)) throw new ModuleError('VALIDATORS_ALREADY_APPROVED', `${ctx.sender} already approved this change`);
          rec.voters.push(ctx.sender);
          const total = current.reduce((n, v) => n + v.power, 0);
          const power = current.filter((v) => rec.voters.includes(v.did)).reduce((n, v) => n + v.power, 0);
          if (power * 3 > total * 2) {
            ctx.write(k.schedule(), [...sched, { height: args.height, validators: args.validators }]);
            ctx.delete(key);
            ctx.emit('ValidatorSetScheduled', { height: args.height, validators: args.validators, ...(args.proposal ? { proposal: args.proposal } : {}) });
            return { scheduled: true, height: args.height };
          }
          ctx.write(key, rec);
          return { scheduled: false, power, total };
        },
      }),
    },
  };
}
