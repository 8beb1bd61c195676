import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShulianError } from '../codec/index.ts';
import { countLimit, evaluate, parsePolicy, parseDateTimeMs, type UseRequest } from './index.ts';

const owner = 'did:shulian:owner';
const op = 'did:shulian:operator';
const ds = 'urn:shulian:data:dataset:traffic';
const T0 = Date.UTC(2027, 0, 1);

const policy = parsePolicy({
  '@context': 'http://www.w3.org/ns/odrl.jsonld',
  '@type': 'Agreement', uid: 'urn:shulian:grant:1', assigner: owner, assignee: op, target: ds,
  permission: [{
    action: 'odrl:use',
    constraint: [
      { leftOperand: 'count', operator: 'lteq', rightOperand: 3 },
      { leftOperand: 'dateTime', operator: 'lt', rightOperand: { '@value': '2027-02-01T00:00:00Z', '@type': 'xsd:dateTime' } },
      { leftOperand: 'purpose', operator: 'isA', rightOperand: 'dpv:ResearchAndDevelopment' },
    ],
    duty: [{ action: 'attribute' }],
  }],
  prohibition: [{ action: 'distribute' }],
});
const req = (over: Partial<UseRequest> = {}): UseRequest => ({ action: 'read', target: ds, assignee: op, purpose: 'dpv:AcademicResearch', count: 1, time: T0, ...over });

test('a use inside every constraint is permitted, with the duties owed', () => {
  const d = evaluate(policy, req());
  assert.deepEqual(d, { permitted: true, rule: 'permission[0]', duties: [{ action: 'attribute' }] });
  assert.equal(countLimit(policy, 'read'), 3);
});

test('each constraint refuses on its own, naming the rule', () => {
  const cases: Array<[Partial<UseRequest>, string]> = [
    [{ count: 4 }, 'permission[0].constraint[0] (count lteq 3)'],
    [{ time: Date.UTC(2027, 1, 1) }, 'permission[0].constraint[1]'],
    [{ purpose: 'dpv:Marketing' }, 'permission[0].constraint[2]'],
    [{ purpose: undefined }, 'permission[0].constraint[2]'],
  ];
  for (const [over, rule] of cases) {
    const d = evaluate(policy, req(over));
    assert.equal(d.permitted, false, JSON.stringify(over));
    if (!d.permitted) {
      assert.equal(d.code, 'ODRL_CONSTRAINT');
      assert.ok(d.rule.startsWith(rule), `${d.rule} names ${rule}`);
    }
  }
});

test('target, assignee and action must match; prohibitions and conflicts decide', () => {
  assert.equal((evaluate(policy, req({ target: 'urn:other' })) as { code: string }).code, 'ODRL_NO_PERMISSION');
  assert.equal((evaluate(policy, req({ assignee: 'did:shulian:someone' })) as { code: string }).code, 'ODRL_NO_PERMISSION');
  // distribute is included in use, so the permission applies too: the default strategy voids it.
  assert.equal((evaluate(policy, req({ action: 'distribute' })) as { code: string }).code, 'ODRL_CONFLICT');
  const perm = parsePolicy({ ...policy, conflict: 'perm' });
  assert.equal(evaluate(perm, req({ action: 'distribute' })).permitted, true);
  const only = parsePolicy({ '@type': 'Set', uid: 'u', prohibition: [{ action: 'read', constraint: [{ leftOperand: 'recipient', operator: 'neq', rightOperand: op }] }], permission: [{ action: 'read' }] , conflict: 'prohibit' });
  assert.equal(evaluate(only, req({ recipient: 'did:shulian:x' })).permitted, false);
  assert.equal(evaluate(only, req()).permitted, true);
  assert.throws(() => evaluate(policy, req({ action: 'teleport' })), (e: ShulianError) => e.code === 'ODRL_UNKNOWN_ACTION');
});

test('logical constraints: and, or, xone', () => {
  const p = parsePolicy({ '@type': 'Set', uid: 'u', permission: [{ action: 'use', constraint: [{ xone: [
    { leftOperand: 'recipient', operator: 'isAnyOf', rightOperand: [op, owner] },
    { leftOperand: 'count', operator: 'gt', rightOperand: 10 },
  ] }] }] });
  assert.equal(evaluate(p, req()).permitted, true);
  assert.equal(evaluate(p, req({ count: 11 })).permitted, false, 'both hold: xone fails');
  assert.equal(evaluate(p, req({ recipient: 'did:shulian:z' })).permitted, false);
});

test('unknown operators, operands, actions and purposes are refused with the rule named', () => {
  const bad = (c: unknown) => ({ '@type': 'Set', uid: 'u', permission: [{ action: 'use', constraint: [c] }] });
  const expect = (v: unknown, code: string, path: RegExp) => assert.throws(() => parsePolicy(v), (e: ShulianError) => e.code === code && path.test(e.message), JSON.stringify(v));
  expect(bad({ leftOperand: 'count', operator: 'approximately', rightOperand: 3 }), 'ODRL_UNKNOWN_OPERATOR', /^permission\[0\]\.constraint\[0\]: operator "approximately"/);
  expect(bad({ leftOperand: 'count', operator: 'isA', rightOperand: 3 }), 'ODRL_UNKNOWN_OPERATOR', /does not apply to count/);
  expect(bad({ leftOperand: 'spatial', operator: 'eq', rightOperand: 'CN' }), 'ODRL_UNKNOWN_LEFT_OPERAND', /left operand "spatial"/);
  expect(bad({ andSequence: [] }), 'ODRL_UNKNOWN_OPERATOR', /andSequence/);
  expect(bad({ leftOperand: 'purpose', operator: 'eq', rightOperand: 'dpv:Fun' }), 'ODRL_UNKNOWN_PURPOSE', /dpv:Fun/);
  expect(bad({ leftOperand: 'count', operator: 'lteq', rightOperand: 2.5 }), 'ODRL_INVALID_POLICY', /whole number/);
  expect(bad({ leftOperand: 'dateTime', operator: 'lt', rightOperand: '2027-02-30T00:00:00Z' }), 'ODRL_INVALID_POLICY', /xsd:dateTime/);
  expect({ '@type': 'Set', uid: 'u', permission: [{ action: 'fly' }] }, 'ODRL_UNKNOWN_ACTION', /permission\[0\]\.action/);
  expect({ '@type': 'Agreement', uid: 'u', permission: [{ action: 'use' }] }, 'ODRL_INVALID_POLICY', /assigner and assignee/);
  expect({ '@type': 'Set', uid: 'u' }, 'ODRL_INVALID_POLICY', /at least one/);
  expect({ '@type': 'Set', uid: 'u', permission: [{ action: 'use', extra: 1 }] }, 'ODRL_INVALID_POLICY', /unknown member "extra"/);
});

test('xsd:dateTime parsing is exact and clock-free', () => {
  assert.equal(parseDateTimeMs('2027-01-01T00:00:00Z'), T0);
  assert.equal(parseDateTimeMs('2027-01-01T08:00:00+08:00'), T0);
  assert.equal(parseDateTimeMs('2024-02-29T00:00:00.5Z'), Date.UTC(2024, 1, 29, 0, 0, 0, 500));
  for (const s of ['2023-02-29T00:00:00Z', '2027-01-01T00:00:00', '2027-13-01T00:00:00Z', '2027-01-01 00:00:00Z']) assert.equal(parseDateTimeMs(s), undefined, s);
});
