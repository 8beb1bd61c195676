/**
 * What porting template-library contracts to lex asked for (issue #16): event information in
 * definitions and exceptions, multi-line conditionals, a Money's currency, numeric percentages,
 * input errors in the contract's own currency, duration units as terms, and rendering that says
 * what it means in both languages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JsonValue } from '../codec/index.ts';
import { compile, type Contract } from './compiler.ts';
import type { Diagnostic } from './errors.ts';
import { execute, instantiate, type ContractState, type ExecuteResult } from './interpreter.ts';
import { parseTemplate } from './parser.ts';
import { render } from './render.ts';

const A = 'did:shulian:aaaa';
const B = 'did:shulian:bbbb';
const DEV = 'did:shulian:dddd';

function head(currency = 'CNY'): string {
  return [
    'contract t', 'version 1.0.0', 'title "Test" | "测试"', 'timezone +08:00', `currency ${currency}`,
    'party a "Party A" | "甲方"', 'party b "Party B" | "乙方"', 'party dev "the Device" | "设备"',
  ].join('\n');
}

function build(body: string, currency?: string): { contract?: Contract; diagnostics: Diagnostic[] } {
  return compile(parseTemplate(`${head(currency)}\n${body}`, 't.lex'));
}

function ok(body: string, currency?: string): Contract {
  const r = build(body, currency);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => `${d.code}@${d.line}:${d.column} ${d.message}`), []);
  return r.contract!;
}

function errorsOf(body: string, currency?: string): Diagnostic[] {
  const r = build(body, currency);
  assert.equal(r.contract, undefined, 'expected the template to be refused');
  return r.diagnostics.filter((d) => d.severity === 'error');
}

function run(c: Contract, state: ContractState, event: string, input: Record<string, JsonValue>, sender = DEV, at = '2024-05-01T10:00:00+08:00'): ExecuteResult {
  return execute(c, state, { event, input }, { time: Date.parse(at), gasLimit: 1_000_000, sender });
}

const parties = { a: A, b: B, dev: DEV };
const md = (c: Contract, params: Record<string, JsonValue> | undefined, lang: 'en' | 'zh-CN'): string => render(c, params, { format: 'markdown', lang });

// A device reports readings; whether a reading is an excursion, and what it costs, are definitions
// that read what the reading states; an exception reads it too.
const READINGS = [
  'param price: Money "the price" | "价款"',
  'param maxTemp: Decimal "the highest temperature" | "最高温度"',
  'state excursions: Int "the number of excursions" | "超限次数" = 0',
  'clause c "Monitoring" | "监测"',
  '  define excursion "the reading is an excursion" | "读数超限" = celsius > maxTemp',
  '  define fee "the fee for the reading" | "读数费用" = if excursion then 1.00 CNY else 0.00 CNY',
  '  exception calibration "a calibration reading" | "校准读数" to fee',
  '    when calibrating',
  '    then 0.00 CNY',
  '  on Reading "a reading" | "读数" from dev',
  '    with celsius: Decimal "the temperature" | "温度"',
  '    with calibrating: Bool "the device is calibrating" | "设备正在校准"',
  '    if excursion',
  '      set excursions = excursions + 1',
  '    pay fee from a to b for "the fee" | "费用"',
  '    respond excursion = excursion',
  '    respond fee = fee',
].join('\n');

describe('event information in definitions and exceptions', () => {
  test('a definition and an exception read what the event states, and the rules that use them work', () => {
    const c = ok(READINGS);
    const s = instantiate(c, { ...parties, price: 'CNY 10.00', maxTemp: '4' });
    const warm = run(c, s, 'Reading', { celsius: '4.5', calibrating: false });
    assert.ok(warm.ok);
    assert.deepEqual(warm.response, { excursion: true, fee: { currency: 'CNY', minor: 100 } });
    assert.equal(warm.state.vars.excursions, 1);
    assert.equal(warm.settlements.length, 1);
    const cold = run(c, warm.state, 'Reading', { celsius: '3', calibrating: false }, DEV, '2024-05-01T11:00:00+08:00');
    assert.ok(cold.ok);
    assert.deepEqual(cold.response, { excursion: false, fee: { currency: 'CNY', minor: 0 } });
    const calibrating = run(c, cold.state, 'Reading', { celsius: '9', calibrating: true }, DEV, '2024-05-01T12:00:00+08:00');
    assert.ok(calibrating.ok);
    assert.deepEqual(calibrating.response, { excursion: true, fee: { currency: 'CNY', minor: 0 } });
  });

  test('the text says where the information comes from, in both languages', () => {
    const c = ok(READINGS);
    const en = md(c, { ...parties, price: 'CNY 10.00', maxTemp: '4' }, 'en');
    const zh = md(c, { ...parties, price: 'CNY 10.00', maxTemp: '4' }, 'zh-CN');
    assert.ok(en.includes('“the reading is an excursion” means the temperature (as stated in a reading) is more than 4'), en);
    assert.ok(en.includes('if the device is calibrating (as stated in a reading), then “the fee for the reading” is'), en);
    assert.ok(zh.includes('“读数超限”指读数所载明的温度超过4'), zh);
  });

  test('a definition that reads event information is refused where that information is not stated, saying so', () => {
    const missing = errorsOf([
      READINGS,
      '  on Check "a check" | "检查" from a',
      '    respond fee = fee',
    ].join('\n'));
    const d = missing.find((x) => x.code === 'LEX_EVENT_INPUT');
    assert.ok(d, JSON.stringify(missing));
    assert.match(d.message, /"fee" reads "celsius" and "calibrating", information the event carries, but Check does not state them/);
    assert.match(d.message, /stated by Reading/);

    const inObligation = errorsOf([
      READINGS,
      '  obligation o "report" | "报告"',
      '    promisor dev',
      '    promisee a',
      '    due 2024-06-01',
      '    done when excursion',
    ].join('\n'));
    assert.ok(inObligation.some((x) => x.code === 'LEX_EVENT_INPUT' && x.message.includes('an obligation')), JSON.stringify(inObligation));

    // used directly in another event's rules: named as the first event's information, not "not defined"
    const elsewhere = errorsOf([
      READINGS,
      '  on Check "a check" | "检查" from a',
      '    require celsius > 0 else "No." | "否。"',
    ].join('\n'));
    const e = elsewhere.find((x) => x.message.includes('"celsius"'));
    assert.ok(e, JSON.stringify(elsewhere));
    assert.equal(e.code, 'LEX_EVENT_INPUT');
    assert.match(e.message, /information carried by the event Reading/);
    assert.doesNotMatch(e.message, /not defined|did you mean/i);
  });

  test('a misspelt event information in a definition gets a suggestion from the events\' information', () => {
    const d = errorsOf(READINGS.replace('= celsius > maxTemp', '= celsuis > maxTemp')).find((x) => x.code === 'LEX_UNDEFINED_NAME');
    assert.ok(d);
    assert.match(d.message, /information carried by an event/);
    assert.match(d.message, /Did you mean "celsius"/);
  });

  test('information two events state with different types cannot be read by a definition', () => {
    const d = errorsOf([
      READINGS,
      '  on Other "another" | "另一" from a',
      '    with celsius: Int "a count" | "计数"',
    ].join('\n')).find((x) => x.code === 'LEX_TYPE' && x.message.includes('more than one event'));
    assert.ok(d);
    assert.match(d.message, /Reading: a number; Other: a whole number/);
  });
});

describe('multi-line conditionals', () => {
  const body = (lines: string[]): string => [
    'param price: Money "the price" | "价款"',
    'param big: Bool "the order is large" | "大额订单"',
    'clause c "C" | "条"',
    ...lines,
    '  on Go "go" | "执行" from a',
    '    pay discount from a to b for "x" | "款"',
    '    respond discount = discount',
  ].join('\n');

  test('"then" and "else" on lines of their own, indented further, continue the value; no brackets needed', () => {
    const c = ok(body([
      '  define discount "the discount" | "折扣" =',
      '    if big',
      '    then 10% of price rounded down',
      '    else 0.00 CNY',
    ]));
    const yes = run(c, instantiate(c, { ...parties, price: 'CNY 99.99', big: true }), 'Go', {}, A);
    assert.ok(yes.ok);
    assert.deepEqual(yes.response.discount, { currency: 'CNY', minor: 999 });
    const no = run(c, instantiate(c, { ...parties, price: 'CNY 99.99', big: false }), 'Go', {}, A);
    assert.ok(no.ok);
    assert.deepEqual(no.response.discount, { currency: 'CNY', minor: 0 });
    // nested, and with the condition on the first line
    ok(body([
      '  define discount "the discount" | "折扣" = if big',
      '    then if price > 50.00 CNY',
      '      then 5.00 CNY',
      '      else 1.00 CNY',
      '    else 0.00 CNY',
    ]));
  });

  test('"then" or "else" not indented further says how to write it, and the definition is not reported again as undefined', () => {
    const errors = errorsOf(body([
      '  define discount "the discount" | "折扣" = if big',
      '  then 10% of price rounded down',
      '  else 0.00 CNY',
    ]));
    const first = errors[0]!;
    assert.equal(first.code, 'LEX_SYNTAX');
    assert.match(first.message, /line ended/);
    assert.match(first.message, /indented further than the line the rule starts on/);
    assert.ok(errors.some((x) => /cannot start with "then" here.*indent it further/.test(x.message)), JSON.stringify(errors));
    assert.ok(!errors.some((x) => x.code === 'LEX_UNDEFINED_NAME'), JSON.stringify(errors));
  });

  test('a "require" may put its "else" on the next line, indented', () => {
    ok([
      'clause c "C" | "条"',
      '  on Go "go" | "执行" from a',
      '    require now > 2024-01-01',
      '      else "Too early." | "过早。"',
    ].join('\n'));
  });
});

describe('the currency of an amount', () => {
  const REFUND = [
    'param price: Money "the price" | "价款"',
    'state refunded: Money "the amount refunded" | "已退款" = 0.00 USD',
    'state last: Money "the last amount" | "最近金额" = 0.00 USD',
    'clause c "C" | "条"',
    '  permission Refund "refund" | "退款" by a',
    '    with amount: Money(any) "the amount refunded" | "退款金额"',
    '    require amount.currency = price.currency else "Refunds are paid in the currency of the price." | "退款须以价款币种支付。"',
    '    set refunded = refunded + amount',
    '    respond currency = amount.currency',
    '  permission Record "record an amount" | "记录金额" by a',
    '    with amount: Money(any) "an amount" | "金额"',
    '    set last = amount',
  ].join('\n');

  test('`.currency` lets the contract refuse a wrong currency in its own words; Money(any) takes any currency', () => {
    const c = ok(REFUND, 'USD');
    const s = instantiate(c, { ...parties, price: 'USD 200.00' });
    const eur = run(c, s, 'Refund', { amount: 'EUR 5.00' }, A);
    assert.ok(!eur.ok);
    assert.equal(eur.rejection.code, 'REQUIREMENT_NOT_MET');
    assert.equal(eur.rejection.message.en, 'Refunds are paid in the currency of the price.');
    const usd = run(c, s, 'Refund', { amount: 'USD 5.00' }, A);
    assert.ok(usd.ok);
    assert.equal(usd.response.currency, 'USD');
    assert.deepEqual(usd.state.vars.refunded, { currency: 'USD', minor: 500 });
    const en = md(c, { ...parties, price: 'USD 200.00' }, 'en');
    assert.ok(en.includes('Provided that the currency of the amount refunded is USD'), en);
    assert.ok(md(c, undefined, 'zh-CN').includes('须退款金额的币种为\\[价款\\]的币种'));
  });

  test('an amount in another currency is never kept where the template names one: refused, nothing changed', () => {
    const c = ok(REFUND, 'USD');
    const s = instantiate(c, { ...parties, price: 'USD 200.00' });
    const r = run(c, s, 'Record', { amount: 'EUR 5.00' }, A);
    assert.ok(!r.ok);
    assert.equal(r.rejection.code, 'CURRENCY_MISMATCH');
    assert.equal(s.vars.last && (s.vars.last as { currency: string }).currency, 'USD');
  });

  test('a value that may be either of two amounts is not assumed to be in the template\'s currency', () => {
    // `if` joins USD and any currency: the answer is whichever it is, never refused as "not USD"
    const c = ok(REFUND.replace('    respond currency = amount.currency', '    respond currency = amount.currency\n  permission Echo "echo" | "回显" by a\n    with amount: Money(any) "an amount" | "金额"\n    with own: Bool "the own amount" | "本方金额"\n    respond x = if own then price else amount'), 'USD');
    const r = run(c, instantiate(c, { ...parties, price: 'USD 200.00' }), 'Echo', { amount: 'EUR 5.00', own: false }, A);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.response.x, { currency: 'EUR', minor: 500 });
  });

  test('only `.currency` can be read from an amount', () => {
    const d = errorsOf(REFUND.replace('respond currency = amount.currency', 'respond currency = amount.minor'), 'USD').find((x) => x.code === 'LEX_TYPE');
    assert.ok(d);
    assert.match(d.message, /write "\.currency"/);
  });
});

describe('values as people write them', () => {
  const TERMS = [
    'param rate: Percent "the rate" | "比例"',
    'param fee: Money "the fee" | "费用"',
    'clause c "C" | "条"',
    '  en: {a} pays {b} {fee} at {rate}.',
    '  zh: {a}按{rate}向{b}支付{fee}。',
  ].join('\n');

  test('a percentage may be given as the number of percent: 97 and "97" are 97%', () => {
    const c = ok(TERMS);
    for (const rate of [97, '97', '97%', ' 97 %']) {
      assert.equal(instantiate(c, { ...parties, rate, fee: 'CNY 1.00' }).params.rate, '97%', String(rate));
    }
    assert.equal(instantiate(c, { ...parties, rate: 12.5, fee: 'CNY 1.00' }).params.rate, '12.5%');
    assert.throws(() => instantiate(c, { ...parties, rate: 'ninety', fee: 'CNY 1.00' }), /"10\.5%" or the number 10\.5/);
  });

  test('a malformed amount is explained with an example in the contract\'s own currency', () => {
    for (const [cur, text, json] of [['USD', '"USD 100.00"', '{"currency": "USD", "minor": 10000}'], ['JPY', '"JPY 100"', '{"currency": "JPY", "minor": 100}'], ['CNY', '"CNY 100.00"', '{"currency": "CNY", "minor": 10000}']] as const) {
      const c = ok(TERMS.replace('Money "the fee"', 'Money "the fee"'), cur);
      assert.throws(() => instantiate(c, { ...parties, rate: 5, fee: '200' }), (e: unknown) => {
        const m = (e as Error).message;
        assert.ok(m.includes(text) && m.includes(json), m);
        if (cur !== 'CNY') assert.ok(!m.includes('CNY'), m);
        return true;
      });
    }
  });
});

describe('a length of time counted in a unit that is a term', () => {
  const BILLING = [
    'param billingUnit: Duration "the billing unit" | "计费单位"',
    'clause c "C" | "条"',
    '  define units "the units billed" | "计费单位数" = (ended - started) in billingUnit rounded up',
    '  on Session "a session" | "使用" from dev',
    '    with started: Date "the start" | "开始时间"',
    '    with ended: Date "the end" | "结束时间"',
    '    respond units = units',
    '    respond exact = (ended - started) in 15 minutes rounded down',
  ].join('\n');
  const session = { started: '2024-05-01T09:00:00+08:00', ended: '2024-05-01T09:50:00+08:00' };

  test('`in billingUnit` counts in the agreed unit; `in 15 minutes` in a literal one', () => {
    const c = ok(BILLING);
    const quarter = run(c, instantiate(c, { ...parties, billingUnit: '15 minutes' }), 'Session', session);
    assert.ok(quarter.ok);
    assert.deepEqual(quarter.response, { units: 4, exact: 3 });
    const hour = run(c, instantiate(c, { ...parties, billingUnit: '1 hour' }), 'Session', session);
    assert.ok(hour.ok);
    assert.equal(hour.response.units, 1);
    const zero = run(c, instantiate(c, { ...parties, billingUnit: 0 }), 'Session', session);
    assert.ok(!zero.ok);
    assert.equal(zero.rejection.code, 'DIVISION_BY_ZERO');
  });

  test('the text states the unit: whole days when it is a day, periods of the agreed length otherwise', () => {
    const c = ok(BILLING);
    assert.ok(md(c, { ...parties, billingUnit: '1 day' }, 'en').includes('counted in whole days, any part of a day counting as a full day (rounded up to whole days)'));
    assert.ok(md(c, { ...parties, billingUnit: '15 minutes' }, 'en').includes('counted in whole periods of 15 minutes, any part of such a period counting as a full period (rounded up to whole periods)'));
    assert.ok(md(c, { ...parties, billingUnit: '15 minutes' }, 'zh-CN').includes('以15分钟为一个计算单位计，不足一个计算单位的按一个计算单位计算（向上取整至整数个计算单位）'));
    assert.ok(md(c, undefined, 'en').includes('counted in whole periods of \\[the billing unit\\]'));
  });

  test('the unit must be a length of time, and never months', () => {
    assert.ok(errorsOf(BILLING.replace('in billingUnit', 'in started')).some((d) => d.code === 'LEX_TYPE' && d.message.includes('After "in" comes the unit')));
    assert.ok(errorsOf(BILLING.replace('in billingUnit', 'in months')).some((d) => d.code === 'LEX_SYNTAX' && d.message.includes('months and years differ in length')));
  });
});

describe('rendering says what the rule means', () => {
  test('a yes-or-no term in a condition reads as what it says, with the agreed answer', () => {
    const c = ok([
      'param lateFees: Bool "late fees apply" | "适用滞纳金"',
      'state late: Bool "the payment is late" | "付款逾期" = false',
      'clause c "C" | "条"',
      '  on Go "go" | "执行" from a',
      '    if lateFees and late',
      '      respond fee = true',
    ].join('\n'));
    const en = md(c, { ...parties, lateFees: true }, 'en');
    const zh = md(c, { ...parties, lateFees: false }, 'zh-CN');
    assert.ok(en.includes('If late fees apply (agreed: yes) and the payment is late:'), en);
    assert.ok(!/If yes|if yes/.test(en));
    assert.ok(zh.includes('如适用滞纳金（约定：否）且付款逾期：'), zh);
    assert.ok(!zh.includes('如否'));
  });

  test('a reply that is a yes-or-no literal says yes in English as it says 是 in Chinese', () => {
    const c = ok(['clause c "C" | "条"', '  on Go "go" | "执行" from a', '    respond accepted = true', '    respond refused = false'].join('\n'));
    const en = md(c, parties, 'en');
    assert.ok(en.includes('states yes (“accepted”)') && en.includes('states no (“refused”)'), en);
    assert.ok(!/\btrue\b|\bfalse\b/.test(en));
    assert.ok(md(c, parties, 'zh-CN').includes('载明是（“accepted”）'));
  });

  test('"Tick" and the checking of deadlines are mentioned only in a contract that has deadlines', () => {
    const none = ok(['clause c "C" | "条"', '  on Go "go" | "执行" from a', '    respond x = 1'].join('\n'));
    for (const lang of ['en', 'zh-CN'] as const) {
      const text = md(none, parties, lang);
      assert.ok(!text.includes('Tick') && !/Deadlines|期限/.test(text), text);
    }
    const some = ok(['state done: Bool "it is done" | "已完成" = false', 'clause c "C" | "条"', '  obligation o "do it" | "完成"', '    promisor a', '    promisee b', '    due 2024-06-01', '    done when done'].join('\n'));
    for (const lang of ['en', 'zh-CN'] as const) assert.ok(md(some, parties, lang).includes('Tick'));
  });

  test('arithmetic and conditions say their grouping', () => {
    const c = ok([
      'param x: Money "A" | "甲数"',
      'param y: Money "B" | "乙数"',
      'param z: Money "C" | "丙数"',
      'param p: Bool "P holds" | "P成立"',
      'param q: Bool "Q holds" | "Q成立"',
      'param r: Bool "R holds" | "R成立"',
      'clause c "C" | "条"',
      '  define d1 "first" | "一" = 10% of (x + y) - z',
      '  define d2 "second" | "二" = 10% of (x + y - z)',
      '  define d3 "third" | "三" = x + y * 2',
      '  define d4 "fourth" | "四" = x + y + z',
      '  define d5 "fifth" | "五" = p and q or r',
      '  define d6 "sixth" | "六" = x - (y - z)',
      '  on Go "go" | "执行" from a',
      '    respond a1 = d1 rounded down',
      '    respond a2 = d2 rounded down',
      '    respond a3 = d3',
      '    respond a4 = d4',
      '    respond a5 = d5',
      '    respond a6 = d6',
    ].join('\n'));
    const en = md(c, undefined, 'en');
    const has = (s: string): void => assert.ok(en.includes(s), `${s}\n${en}`);
    has('“first” means (10% of (\\[A\\] plus \\[B\\])) minus \\[C\\]');
    has('“second” means 10% of (\\[A\\] plus \\[B\\] minus \\[C\\])');
    has('“third” means \\[A\\] plus (\\[B\\] multiplied by 2)');
    has('“fourth” means \\[A\\] plus \\[B\\] plus \\[C\\]');
    has('“fifth” means (\\[P holds\\] and \\[Q holds\\]) or \\[R holds\\]');
    has('“sixth” means \\[A\\] minus (\\[B\\] minus \\[C\\])');
    const zh = md(c, undefined, 'zh-CN');
    assert.ok(zh.includes('“一”指（（\\[甲数\\]加\\[乙数\\]）的10%）减\\[丙数\\]'), zh);
  });

  test('LEX_PROSE_ROUNDING warns on wording about rounding, not on ordinary Chinese', () => {
    const warns = (zh: string): boolean => build(['clause c "C" | "条"', '  en: {a} pays {b}.', `  zh: ${zh}`].join('\n')).diagnostics.some((d) => d.code === 'LEX_PROSE_ROUNDING');
    assert.equal(warns('{a}向{b}付款，押金不足扣减的，由{a}补足。'), false);
    assert.equal(warns('{a}向{b}付款，余额不足的，等待。'), false);
    assert.equal(warns('{a}向{b}付款，不足一日的按一日计算。'), true);
    assert.equal(warns('{a}向{b}付款，金额四舍五入。'), true);
  });
});
