/**
 * The trade scenario's supervision rules, checked by the code that publishes them (src/rules) and
 * evaluated as the engine does on a tx: the 离岸贸易 rule raises for each way the three flows can
 * differ and for nothing else; the eBL rule for a successful xdoc send only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../codec/index.ts';
import { activation, checkRule, type Observation } from '../rules/index.ts';
import { tradeRules } from './trade-rules.ts';

const rules = tradeRules('t1');
const A = 'did:shulian:seller';
const B = 'did:shulian:buyer';
const deal = () => ({
  kind: 'offshore-trade', ref: 't1-1',
  invoice: { id: 'INV-1', digest: 'ab', seller: A, buyer: B, amount: '2861800', currency: 'USD', goods: 'gem-t1#1,gem-t1#2' },
  ebl: { id: 'carrier-ebl:BL-1', digest: 'cd', shipper: A, goods: 'gem-t1#1,gem-t1#2' },
  payment: { chain: 'bank-trade', denom: 'USD-T1', amount: '2861800', currency: 'USD', from: B, to: A },
});
const obs = (module: string, method: string, args: JsonValue, ok = true): Observation => ({
  chain: 'bank-trade', height: 5, time: 1, index: 0, hash: 'h', from: 'did:shulian:bank', module, method, args, nonce: 1, ok, code: ok ? '' : 'X', events: [], result: null,
});
const raises = (rule: ReturnType<typeof checkRule>, o: Observation): unknown => (rule.kind === 'match' ? rule.when.evaluate(activation(o, {})) : assert.fail('a match rule'));

test('the offshore-trade rule passes publication checks and raises only when the flows differ', () => {
  const rule = checkRule(rules.offshore);
  const send = (payload: JsonValue, ok = true) => obs('xchain', 'send', { dstChain: 'tradechain', dstPort: 'xchain', payload }, ok);
  assert.equal(raises(rule, send(deal())), false, 'matching flows');
  const mismatches: Array<[string, (d: ReturnType<typeof deal>) => void]> = [
    ['paid to another company', (d) => { d.payment.to = 'did:shulian:shell'; }],
    ['paid by another buyer', (d) => { d.payment.from = 'did:shulian:other'; }],
    ['another amount', (d) => { d.payment.amount = '2861799'; }],
    ['another currency', (d) => { d.payment.currency = 'EUR'; }],
    ['shipped by another shipper', (d) => { d.ebl.shipper = 'did:shulian:other'; }],
    ['other goods on the bill of lading', (d) => { d.ebl.goods = 'gem-t1#1'; }],
  ];
  for (const [what, change] of mismatches) {
    const d = deal();
    change(d);
    assert.equal(raises(rule, send(d as unknown as JsonValue)), true, what);
  }
  const bad = deal();
  bad.payment.to = 'did:shulian:shell';
  assert.equal(raises(rule, send(bad as unknown as JsonValue, false)), false, 'a failed tx raises nothing');
  assert.equal(raises(rule, send({ ...bad, kind: 'other' } as unknown as JsonValue)), false, 'another kind of message');
  assert.equal(raises(rule, send({ hello: 1 })), false, 'a message without a kind');
  assert.equal(raises(rule, obs('xchain', 'recv', { payload: bad } as unknown as JsonValue)), false, 'not a send');
});

test('the eBL rule raises for a successful xdoc send only', () => {
  const rule = checkRule(rules.eblMove);
  assert.deepEqual(rules.eblMove.scope, { chains: ['carrier-ebl', 'bank-trade'], modules: ['xdoc'] });
  assert.equal(raises(rule, obs('xdoc', 'send', { id: 'carrier-ebl:BL-1', dstChain: 'bank-trade', receiver: B })), true);
  assert.equal(raises(rule, obs('xdoc', 'send', { id: 'carrier-ebl:BL-1', dstChain: 'bank-trade', receiver: B }, false)), false);
  assert.equal(raises(rule, obs('xdoc', 'endorse', { id: 'carrier-ebl:BL-1', to: B })), false);
  assert.deepEqual(rules.offshore.scope, { chains: ['bank-trade'], modules: ['xchain'] });
  assert.match(rules.offshore.id, /^offshore-trade-t1$/);
});
