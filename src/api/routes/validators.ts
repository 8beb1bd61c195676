/**
 * `GET /v1/chains/:chain/validators?height=H&from=L` (validatorsAt): the validator set of a height
 * with the headers that prove it, so a light client that trusts only a pinned genesis follows
 * the chain's validator changes (src/ledger/light/client.ts; docs/api.md "Verified reads").
 */
import type { FastifyInstance } from 'fastify';
import { ShulianError, asJson, stateValue } from '../../codec/index.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import {
  MAX_VALIDATOR_HEADERS, SCHEDULE_STATE_KEY, changeHeights, validatorsFor, type HeaderProof, type ValidatorEpoch,
  type ValidatorsAt,
} from '../../ledger/index.ts';
import { chainParam, errorSchema } from '../schemas.ts';

/** A committed header with its signature, its commit (BFT chains) and its proven validator schedule. */
function headerProofAt(c: ChainView, height: number): HeaderProof {
  const block = c.getBlock(height);
  if (!block) throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${c.id} has no block ${height}`);
  const commit = c.getCommit(height);
  const s = c.getState(SCHEDULE_STATE_KEY, { height, proof: true });
  return { header: block.header, hash: block.hash, sig: block.sig, ...(commit === undefined ? {} : { commit }), schedule: { value: s.value, proof: s.proof! } };
}

/** The answer for height `height` to a client whose schedule is proven up to `from`. */
export function readValidatorsAt(c: ChainView, height: number, from: number): ValidatorsAt {
  const genesisEpoch: ValidatorEpoch = { height: 0, validators: c.genesis.validators };
  if (!c.genesis.modules.includes('validators')) {
    return { chain: c.id, height, validators: c.genesis.validators, tracksValidators: false, headers: [], more: false };
  }
  const head = c.height();
  // The set of height h is fixed once h − 1 is committed.
  if (height > head + 1) throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${c.id} is at height ${head}; the validator set of height ${height} is not fixed yet`);
  const at = height - 1;
  const stored = at >= 1 ? stateValue(SCHEDULE_STATE_KEY, c.getState(SCHEDULE_STATE_KEY, { height: at }).value) : undefined;
  const schedule = stored ?? [genesisEpoch];
  const validators = validatorsFor(schedule, height);
  // The header just before each change the client cannot know of yet, then the one before `height`.
  const wanted = new Set(changeHeights(schedule, from, height));
  if (at >= 1 && at > from) wanted.add(at);
  const heights = [...wanted].sort((a, b) => a - b);
  const more = heights.length > MAX_VALIDATOR_HEADERS;
  return {
    chain: c.id, height, validators, tracksValidators: true, more,
    headers: heights.slice(0, MAX_VALIDATOR_HEADERS).map((h) => headerProofAt(c, h)),
  };
}

export function registerValidatorRoutes(app: FastifyInstance, node: NodeView): void {
  app.get<{ Params: { chain: string }; Querystring: { height?: number; from?: number } }>('/v1/chains/:chain/validators', {
    schema: {
      tags: ['chains'],
      summary: 'validatorsAt: the validator set of a height, with the headers (commit, proven schedule) that carry a light client there from `from`',
      params: chainParam,
      querystring: {
        type: 'object',
        properties: {
          height: { type: 'integer', minimum: 1, description: 'the height whose set is wanted (default: the next one to be committed)' },
          from: { type: 'integer', minimum: 0, default: 0, description: 'the height up to which the client has proven the schedule already' },
        },
      },
      response: { 400: errorSchema, 404: errorSchema },
    },
  }, async (req) => {
    const c = node.chain(req.params.chain);
    if (!c) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${req.params.chain}"; GET /v1/chains lists them`);
    const height = req.query.height ?? c.height() + 1;
    return asJson(readValidatorsAt(c, height, req.query.from ?? 0));
  });
}
