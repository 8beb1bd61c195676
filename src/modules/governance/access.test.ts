import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessRefusal, ruleFor } from './access.ts';
import { applyPolicyPatch, DEFAULT_POLICY } from './policy.ts';
import type { AccessRule, Role } from './types.ts';

const A = 'did:shulian:1111111111111111111111111A';
const B = 'did:shulian:1111111111111111111111111B';
const roles = (r: Role[] | null) => () => r;

test('the most specific rule decides: module.method over module.* over *.*', () => {
  const rules: AccessRule[] = [
    { module: '*', method: '*', dids: [A] },
    { module: 'notary', method: '*', roles: ['regulator'] },
    { module: 'notary', method: 'put', members: true },
  ];
  assert.equal(ruleFor(rules, 'notary', 'put'), rules[2]);
  assert.equal(ruleFor(rules, 'notary', 'other'), rules[1]);
  assert.equal(ruleFor(rules, 'xdoc', 'issue'), rules[0]);
  assert.equal(ruleFor([], 'xdoc', 'issue'), undefined);
  // notary.put is open to members even though notary.* wants regulators.
  assert.equal(accessRefusal(rules, 'notary', 'put', B, roles(['member'])), undefined);
  assert.match(accessRefusal(rules, 'notary', 'other', B, roles(['member']))!, /may not call notary\.other: the rule notary\.\* allows members with role regulator/);
  // A listed DID by the catch-all rule; not on the module's own rule.
  assert.equal(accessRefusal(rules, 'xdoc', 'issue', A, roles(null)), undefined);
  assert.ok(accessRefusal(rules, 'notary', 'other', A, roles(null)));
});

test('roles are those of a member; a non-member holds none, and a rule naming no one closes the call', () => {
  const rules: AccessRule[] = [{ module: 'notary', method: 'put', roles: ['service-provider'] }, { module: 'xdoc', method: '*' }];
  assert.ok(accessRefusal(rules, 'notary', 'put', A, roles(['member'])), 'wrong role');
  assert.ok(accessRefusal(rules, 'notary', 'put', A, roles(null)), 'not a member');
  assert.equal(accessRefusal(rules, 'notary', 'put', A, roles(['member', 'service-provider'])), undefined);
  assert.match(accessRefusal(rules, 'xdoc', 'send', A, roles(['operator']))!, /allows no one/);
  // Roles are not even read when the call is open or the DID is listed.
  assert.equal(accessRefusal(undefined, 'notary', 'put', A, () => assert.fail('roles read')), undefined);
  assert.equal(accessRefusal([{ module: 'notary', method: 'put', dids: [A], roles: ['member'] }], 'notary', 'put', A, () => assert.fail('roles read')), undefined);
});

test('a set-policy patch replaces a chain\'s rules, an empty list removes them, and bad rules are refused with their path', () => {
  const one = applyPolicyPatch(DEFAULT_POLICY, { access: { biz: [{ module: 'notary', method: 'put', dids: [A] }], biz2: [{ module: '*', method: '*', members: true }] } });
  assert.deepEqual(Object.keys(one.access!).sort(), ['biz', 'biz2']);
  const two = applyPolicyPatch(one, { access: { biz: [] } });
  assert.deepEqual(Object.keys(two.access!), ['biz2']);
  assert.equal(applyPolicyPatch(two, { access: { biz2: [] } }).access, undefined);
  const bad: Array<[unknown, RegExp]> = [
    [{ access: { biz: [{ module: 'notary', method: 'put', dids: ['alice'] }] } }, /policy\.access\.biz\[0\]\.dids\[0\]: must be a DID/],
    [{ access: { biz: [{ module: 'notary', method: 'put', roles: ['king'] }] } }, /policy\.access\.biz\[0\]\.roles\[0\]/],
    [{ access: { biz: [{ module: '*', method: 'put' }] } }, /policy\.access\.biz\[0\]\.method: a rule for any module/],
    [{ access: { biz: [{ module: 'notary', method: 'put' }, { module: 'notary', method: 'put', members: true }] } }, /two rules name the same module and method/],
    [{ access: { biz: [{ module: 'notary', method: 'put', dids: [A, A] }] } }, /a DID is listed twice/],
    [{ access: { biz: Array.from({ length: 65 }, (_, i) => ({ module: 'notary', method: `m${i}` })) } }, /at most 64 rules/],
    [{ access: { 'Bad Chain': [] } }, /policy\.access\.Bad Chain: must be a chain id/],
    [{ access: { biz: [{ module: 'notary', method: 'put', who: 'all' }] } }, /policy\.access\.biz\[0\]/],
  ];
  for (const [patch, re] of bad) assert.throws(() => applyPolicyPatch(one, patch), (e: Error & { code?: string }) => e.code === 'GOV_POLICY_INVALID' && re.test(e.message), JSON.stringify(patch).slice(0, 80));
});
