import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activation, checkRule, compileExpr, RULE_LIMITS, type Observation } from './index.ts';

const base = { id: 'r1', title: 'A rule', severity: 'high', scope: { chains: ['*'] } };

const obs = (over: Partial<Observation> = {}): Observation => ({
  chain: 'settle', height: 5, time: 1_700_000_000_000, index: 0, hash: 'aa'.repeat(32), from: 'did:shulian:alice', module: 'settlement', method: 'transfer',
  args: { to: 'did:shulian:bob', currency: 'CNY', amount: '1500' }, nonce: 3, ok: true, code: '', events: [], result: null, ...over,
});

test('a match rule compiles and reads the tx: fields, ints from strings, lists as key lookups', () => {
  const r = checkRule({ ...base, kind: 'match', when: 'tx.module == "settlement" && int(tx.args.amount) > 1000 && tx.from in lists.sanctioned' });
  assert.equal(r.kind, 'match');
  if (r.kind !== 'match') return;
  assert.equal(r.when.evaluate(activation(obs(), { sanctioned: { 'did:shulian:alice': true } })), true);
  assert.equal(r.when.evaluate(activation(obs(), { sanctioned: {} })), false);
  assert.equal(r.when.evaluate(activation(obs({ args: { amount: '10' } }), { sanctioned: { 'did:shulian:alice': true } })), false);
  // Whole JSON numbers are CEL ints: nonce and height compare with int literals.
  assert.equal(compileExpr('tx.nonce == 3 && height > 4', 'x').evaluate(activation(obs(), {})), true);
  assert.equal(compileExpr('events.exists(e, e.type == "Minted")', 'x').evaluate(activation(obs({ events: [{ module: 'settlement', type: 'Minted', data: {} }] }), {})), true);
});

test('documents that are not rules are refused with the field that is wrong', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ ...base, kind: 'match' }, 'RULE_INVALID', /rule\.when/],
    [{ ...base, kind: 'nope', when: 'true' }, 'RULE_INVALID', /kind must be one of/],
    [{ ...base, id: 'Bad Id', kind: 'match', when: 'true' }, 'RULE_INVALID', /rule\.id/],
    [{ ...base, severity: 'urgent', kind: 'match', when: 'true' }, 'RULE_INVALID', /severity/],
    [{ ...base, kind: 'window', when: 'true', by: 'tx.from', over: '1.5', windowMs: 60_000 }, 'RULE_INVALID', /rule\.over/],
    [{ ...base, kind: 'window', when: 'true', by: 'tx.from', over: '10', windowMs: 10 }, 'RULE_INVALID', /windowMs is at least/],
    [{ ...base, kind: 'window', when: 'true', by: 'tx.from', over: '10', windowMs: 8 * 86_400_000 }, 'RULE_INVALID', /seven days/],
    [{ ...base, kind: 'window', when: 'true', by: 'tx.from', over: '100000', windowMs: 60_000 }, 'RULE_UNBOUNDED', /count window/],
    [{ ...base, kind: 'match', when: 'true', extra: 1 }, 'RULE_INVALID', /extra|unrecognized/i],
    [null, 'RULE_INVALID', /rule/],
  ];
  for (const [doc, code, msg] of cases) {
    assert.throws(() => checkRule(doc), (err: { code?: string; message: string }) => {
      assert.equal(err.code, code, `${JSON.stringify(doc)}: ${err.message}`);
      assert.match(err.message, msg);
      return true;
    });
  }
});

test('expressions that do not parse, name unknown things or could run unbounded are refused at check', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['tx.amount >', 'RULE_EXPR_INVALID', /rule\.when/],
    ['balance > 3', 'RULE_EXPR_INVALID', /unknown name "balance"/],
    ['tx.from.matches("^(a+)+$")', 'RULE_UNBOUNDED', /matches\(\) is not allowed/],
    ['timestamp("2024-01-01T00:00:00Z") == time', 'RULE_UNBOUNDED', /timestamp\(\) is not allowed/],
    ['events.exists(e, events.exists(f, f.type == e.type))', 'RULE_UNBOUNDED', /nest/],
    ['events.map(e, events.filter(f, true))', 'RULE_UNBOUNDED', /nest/],
    [`${'1+'.repeat(150)}1 > 0`, 'RULE_UNBOUNDED', /maxAstNodes|nodes/],
    ['x'.repeat(RULE_LIMITS.exprChars + 1), 'RULE_INVALID', /longer than/],
    ['cel.bind(x, 1, x > 0)', 'RULE_UNBOUNDED', /bind|unknown name "cel"/],
  ];
  for (const [when, code, msg] of cases) {
    assert.throws(() => checkRule({ ...base, kind: 'match', when }), (err: { code?: string; message: string }) => {
      assert.equal(err.code, code, `${when.slice(0, 60)}: ${err.code} ${err.message}`);
      assert.match(err.message, msg);
      return true;
    });
  }
});
