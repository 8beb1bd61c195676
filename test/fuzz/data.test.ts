/**
 * Fuzz of the data chain's decoders and its one ODRL evaluator: any JSON given as a policy is
 * either accepted in normal form or refused with an ODRL_* error naming where (never another
 * exception); decisions are deterministic and agree with the constraints they name; any JSON given
 * as a dataset is accepted or refused by the catalog's schema without throwing, and whatever is
 * accepted exports to Turtle that an RDF parser reads back triple for triple.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShulianError } from '../../src/codec/index.ts';
import { evaluate, parsePolicy, satisfied, OPERATORS, LEFT_OPERANDS, ACTION_PARENT, DPV_PURPOSES, type UseRequest } from '../../src/odrl/index.ts';
import { datasetInputSchema, type DatasetRecord } from '../../src/modules/catalog/types.ts';
import { catalogTriples, toTurtle } from '../../src/data/index.ts';
import { parseTurtle } from '../helpers/shacl.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const actions = Object.keys(ACTION_PARENT);
const purposes = Object.keys(DPV_PURPOSES).map((p) => `dpv:${p}`);
const dids = ['did:shulian:a', 'did:shulian:b', 'did:shulian:c'];
const T0 = Date.UTC(2027, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');

/** Constraints mostly well formed, sometimes not (unknown operators, operands, values). */
const atom = fc.oneof(
  fc.record({ leftOperand: fc.constant('count'), operator: fc.constantFrom(...OPERATORS), rightOperand: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.double(), fc.string()) }),
  fc.record({ leftOperand: fc.constant('dateTime'), operator: fc.constantFrom('lt', 'gteq', 'eq', 'isA'), rightOperand: fc.oneof(fc.integer({ min: -5, max: 5 }).map((d) => iso(T0 + d * 86_400_000)), fc.string()) }),
  fc.record({ leftOperand: fc.constant('purpose'), operator: fc.constantFrom('eq', 'isA', 'isAnyOf', 'isNoneOf', 'lt'), rightOperand: fc.oneof(fc.constantFrom(...purposes), fc.array(fc.constantFrom(...purposes), { minLength: 1, maxLength: 3 }), fc.constant('dpv:Nope')) }),
  fc.record({ leftOperand: fc.constant('recipient'), operator: fc.constantFrom('eq', 'neq', 'isAnyOf', 'isNoneOf', 'hasPart'), rightOperand: fc.oneof(fc.constantFrom(...dids), fc.array(fc.constantFrom(...dids), { minLength: 1, maxLength: 3 })) }),
  fc.record({ leftOperand: fc.constantFrom(...LEFT_OPERANDS, 'spatial', 'odrl:count'), operator: fc.string({ maxLength: 8 }), rightOperand: fc.jsonValue({ maxDepth: 1 }) }),
);
const constraint = fc.letrec((tie) => ({
  c: fc.oneof({ depthSize: 'small', withCrossShrink: true }, atom, fc.record({ and: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) }), fc.record({ or: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) }), fc.record({ xone: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) })),
})).c;
const rule = fc.record({ action: fc.oneof(fc.constantFrom(...actions), fc.string({ maxLength: 6 })), constraint: fc.array(constraint, { maxLength: 3 }) }, { requiredKeys: ['action'] });
const policy = fc.record({
  '@type': fc.constantFrom('Set', 'Offer', 'Agreement', 'Bogus'), uid: fc.constant('urn:p'), assigner: fc.constant('did:shulian:o'), assignee: fc.constantFrom(...dids),
  target: fc.constant('urn:ds'), conflict: fc.constantFrom('perm', 'prohibit', 'invalid'),
  permission: fc.array(rule, { maxLength: 3 }), prohibition: fc.array(rule, { maxLength: 2 }),
}, { requiredKeys: ['@type', 'uid'] });
const request = fc.record({
  action: fc.constantFrom(...actions), target: fc.constantFrom('urn:ds', 'urn:other'), assignee: fc.constantFrom(...dids),
  purpose: fc.option(fc.constantFrom(...purposes), { nil: undefined }), recipient: fc.option(fc.constantFrom(...dids), { nil: undefined }),
  count: fc.integer({ min: 1, max: 12 }), time: fc.integer({ min: -6, max: 6 }).map((d) => T0 + d * 86_400_000),
});

test('any policy JSON is normalised or refused with an ODRL error naming where; decisions are deterministic and name a constraint that holds or fails', () => {
  const b = bounded(3000, 8000);
  let accepted = 0;
  fc.assert(fc.property(fc.oneof(policy, fc.jsonValue({ maxDepth: 4 })), fc.array(request, { minLength: 1, maxLength: 4 }), b.guard((raw, reqs) => {
    let p;
    try {
      p = parsePolicy(raw);
    } catch (err) {
      assert.ok(err instanceof ShulianError, `not a ShulianError: ${String(err)}`);
      assert.match(err.code, /^ODRL_/);
      assert.match(err.message, /^(policy|permission|prohibition|obligation)/, err.message);
      return;
    }
    accepted++;
    assert.deepEqual(parsePolicy(p), p, 'the normal form is a fixed point');
    for (const r of reqs as UseRequest[]) {
      const d = evaluate(p, r);
      assert.deepEqual(evaluate(structuredClone(p), { ...r }), d, 'deterministic');
      if (d.permitted) {
        const i = Number(/^permission\[(\d+)\]$/.exec(d.rule)![1]);
        for (const c of p.permission![i]!.constraint ?? []) assert.ok(satisfied(c, r), 'the deciding permission\'s constraints hold');
      } else if (d.code === 'ODRL_CONSTRAINT') {
        const m = /^permission\[(\d+)\]\.constraint\[(\d+)\]/.exec(d.rule)!;
        assert.equal(satisfied(p.permission![Number(m[1])]!.constraint![Number(m[2])]!, r), false, 'the named constraint fails');
      }
    }
  })), b.params);
  assert.ok(accepted > 0 || b.runs < 50, 'some generated policies are valid');
});

const validDataset = {
  id: 'traffic', title: { zh: '交通' }, description: { en: 'Counts' }, keywords: ['k'], themes: ['TRAN'], frequency: 'DAILY', sensitivity: 'public',
  distributions: [{ id: 'a', mediaType: 'text/csv', accessUrl: 'https://x.example/a', service: 's' }], services: [{ id: 's', title: { en: 'S' }, kind: 'api', endpointUrl: 'https://x.example/s' }],
};
const mutate = fc.oneof(
  fc.record({ path: fc.constantFrom('id', 'title', 'description', 'keywords', 'themes', 'frequency', 'sensitivity', 'license', 'distributions', 'services', 'extra'), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ path: fc.constantFrom('title', 'description'), value: fc.record({ zh: fc.string({ maxLength: 300 }), en: fc.string({ unit: 'grapheme', maxLength: 50 }) }, { requiredKeys: [] }) }),
  fc.record({ path: fc.constant('distributions'), value: fc.array(fc.record({ id: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,5}$/), mediaType: fc.constantFrom('text/csv', 'x', 'application/ld+json'), accessUrl: fc.oneof(fc.webUrl(), fc.string()), byteSize: fc.integer(), service: fc.constantFrom('s', 'zz') }, { requiredKeys: ['id', 'mediaType', 'accessUrl'] }), { maxLength: 3 }) }),
);

test('any dataset JSON is accepted or refused by the catalog schema without throwing; what is accepted exports to Turtle that parses back', () => {
  const b = bounded(1500, 8000);
  fc.assert(fc.property(fc.array(mutate, { maxLength: 3 }), b.guard((muts) => {
    const raw: Record<string, unknown> = structuredClone(validDataset);
    for (const m of muts) raw[m.path] = m.value;
    const r = datasetInputSchema.safeParse(raw);
    if (!r.success) {
      assert.ok(r.error.issues.length > 0 && r.error.issues[0]!.message.length > 0);
      return;
    }
    assert.ok(r.data.keywords.length <= 20 && r.data.distributions.length >= 1 && r.data.distributions.length <= 16);
    const rec: DatasetRecord = { ...r.data, owner: 'did:shulian:o', version: 1, status: 'active', issued: 0, modified: 0, height: 1, tx: 'ab' };
    const triples = catalogTriples({ chain: 'data', title: { en: 'c' }, description: { en: 'c' }, publisher: { did: 'did:shulian:o', name: 'o' } }, [rec]);
    const quads = parseTurtle(toTurtle(triples));
    assert.equal(quads.length, triples.length);
  })), b.params);
});
