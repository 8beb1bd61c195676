/**
 * Fuzz of the supervision rule language (src/rules) and engine (src/supervision): whatever a
 * regulator publishes — any JSON, any expression text, any grammar-shaped expression — checking
 * it gives a compiled rule or a RULE_* error with a message, never another exception; and a rule
 * that checks evaluates on any tx without throwing out of the engine (an expression that fails on
 * a tx is counted as an error, never raised as an alert, never a crash).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ShulianError, type JsonValue } from '../../src/codec/index.ts';
import { checkRule, RULE_LIMITS, type Observation } from '../../src/rules/index.ts';
import { RuleEngine } from '../../src/supervision/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const ruleError = (err: unknown): void => {
  assert.ok(err instanceof ShulianError, `threw ${String(err)} instead of a ShulianError`);
  assert.match(err.code, /^RULE_(INVALID|EXPR_INVALID|UNBOUNDED)$/);
  assert.ok(err.message.length > 5);
};

/** Pieces of CEL, joined at random: mostly grammar-shaped, often broken. */
const atom = fc.constantFrom(
  'tx.from', 'tx.module', 'tx.method', 'tx.args.amount', 'int(tx.args.amount)', 'tx.nonce', 'height', 'time', 'ok', 'code', 'chain',
  'events', 'lists.sanctioned', '"settlement"', '"transfer"', '1000', '0', '-1', '1.5', 'true', 'false', 'null', '[1, 2]', '{"a": 1}',
  'size(events)', 'tx.from in lists.sanctioned', 'events.exists(e, e.type == "A")', 'events.map(e, e.type)', 'has(tx.args.to)',
  'tx.from.startsWith("did:")', 'matches', 'timestamp("x")', 'foo', '(', ')', '!', '?', ':', '"', '\\',
);
const op = fc.constantFrom(' && ', ' || ', ' == ', ' != ', ' > ', ' < ', ' + ', ' - ', ' * ', ' / ', ' % ', ' in ', ' ? ', ' : ', '.', '', ' ');
const expr = fc.array(fc.tuple(atom, op), { minLength: 1, maxLength: 12 }).map((parts) => parts.map(([a, o]) => a + o).join(''));
const anyText = fc.oneof(expr, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 60 }));

const tx: fc.Arbitrary<Observation> = fc.record({
  chain: fc.constantFrom('settle', 'sign'), height: fc.nat(1_000_000), time: fc.nat(2 ** 41), index: fc.nat(1000),
  hash: fc.constant('ab'.repeat(32)), from: fc.constantFrom('did:shulian:a', 'did:shulian:b'), module: fc.constantFrom('settlement', 'evm', 'lexcontract', 'notary'),
  method: fc.constantFrom('transfer', 'deploy', 'draft', 'put'), args: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>, nonce: fc.nat(1000),
  ok: fc.boolean(), code: fc.constantFrom('', 'INSUFFICIENT_FUNDS'),
  events: fc.array(fc.record({ module: fc.constant('m'), type: fc.constantFrom('A', 'B'), data: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue> }), { maxLength: 3 }),
  result: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>),
});

test('any document: a compiled rule or a RULE_* error', () => {
  const b = bounded(1500, 8000);
  fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({
    id: fc.constantFrom('r', 'R!', 'rule-1'), title: fc.constantFrom('t', ''), severity: fc.constantFrom('high', 'x'),
    scope: fc.oneof(fc.constant({ chains: ['*'] }), fc.jsonValue({ maxDepth: 2 })),
    kind: fc.constantFrom('match', 'window', 'sequence', 'deploy', 'template', 'other'),
    when: anyText, by: anyText, sum: anyText, first: anyText, then: anyText,
    over: fc.oneof(fc.constant('100'), fc.string({ maxLength: 5 })), windowMs: fc.integer({ min: -10, max: 10 ** 10 }), withinBlocks: fc.integer({ min: -5, max: 200_000 }),
  }, { requiredKeys: ['id', 'title', 'severity', 'scope', 'kind'] })), b.guard((doc) => {
    try {
      const r = checkRule(doc);
      assert.ok(['match', 'window', 'sequence', 'deploy', 'template'].includes(r.kind));
    } catch (err) {
      ruleError(err);
    }
  })), b.params);
});

test('a rule that checks evaluates on any tx without an exception escaping the engine, and within its bounds', () => {
  const b = bounded(600, 8000);
  fc.assert(fc.property(expr, expr, fc.array(tx, { minLength: 1, maxLength: 8 }), b.guard((when, by, txs) => {
    let spec;
    try {
      spec = checkRule({ id: 'f', title: 'f', severity: 'low', scope: { chains: ['*'] }, kind: 'window', when, by, over: '1', windowMs: 60_000 });
    } catch (err) {
      ruleError(err);
      return;
    }
    assert.ok(when.length <= RULE_LIMITS.exprChars);
    const e = new RuleEngine();
    e.setRules([{ id: 'f', version: 1, owner: 'did:shulian:r', chains: '*', compiled: spec }], { lists: { sanctioned: { 'did:shulian:a': true } }, templates: new Set(), codes: new Set(), govHeight: 1 });
    for (const o of txs) {
      const alerts = e.observe(o);
      for (const a of alerts) assert.match(a.id, /^[0-9a-f]{64}$/);
    }
    assert.equal(e.stats.evaluations, txs.length);
  })), b.params);
});
