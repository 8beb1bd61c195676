import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile } from './compiler.ts';
import type { Diagnostic } from './errors.ts';
import { parseTemplate } from './parser.ts';
import { render, renderDocument } from './render.ts';

const HEAD = [
  'contract t',
  'version 1.0.0',
  'title "Test" | "测试"',
  'timezone +08:00',
  'currency CNY',
  'party a "Party A" | "甲方"',
  'party b "Party B" | "乙方"',
  'param price: Money "the price" | "价款"',
  'param due: Date "the due date" | "到期日"',
  'state done: Bool "it is done" | "已完成" = false',
  'state times: Int "the number of times" | "次数" = 0',
].join('\n');
const HEAD_LINES = 11;

function check(body: string): { diagnostics: Diagnostic[]; ok: boolean } {
  const { contract, diagnostics } = compile(parseTemplate(`${HEAD}\n${body}`, 't.lex'));
  for (const d of diagnostics) {
    assert.ok(d.line >= 1 && d.column >= 1, `position of ${d.code}`);
    assert.ok(d.message.length > 20 && !/undefined|\[object/.test(d.message), `message of ${d.code}: ${d.message}`);
    assert.equal(d.file, 't.lex');
  }
  return { diagnostics, ok: contract !== undefined };
}

function expectDiag(body: string, code: string, opts: { line?: number; column?: number; includes?: string; severity?: 'error' | 'warning' } = {}): Diagnostic {
  const { diagnostics, ok } = check(body);
  const d = diagnostics.find((x) => x.code === code);
  assert.ok(d, `expected ${code}; got ${diagnostics.map((x) => `${x.code}@${x.line}:${x.column} ${x.message}`).join(' | ') || 'nothing'}`);
  if (opts.line !== undefined) assert.equal(d.line, HEAD_LINES + opts.line, `line of ${code}`);
  if (opts.column !== undefined) assert.equal(d.column, opts.column, `column of ${code}`);
  if (opts.includes) assert.ok(d.message.includes(opts.includes), `"${d.message}" should include "${opts.includes}"`);
  assert.equal(d.severity, opts.severity ?? 'error');
  if ((opts.severity ?? 'error') === 'error') assert.equal(ok, false);
  return d;
}

const clause = (...lines: string[]): string => ['clause c "Clause" | "条款"', ...lines.map((l) => `  ${l}`)].join('\n');

test('a small valid template compiles without diagnostics', () => {
  const { diagnostics, ok } = check(clause(
    'en: {a} pays {b} {price} by {due}.',
    'zh: {a}应于{due}前向{b}支付{price}。',
    'obligation payPrice "pay the price" | "支付价款"',
    '  promisor a',
    '  promisee b',
    '  due due',
    '  done when done',
    'on Paid "payment" | "付款" from a',
    '  require not done else "Already paid." | "已经支付。"',
    '  set done = true',
    '  pay price from a to b for "the price" | "价款"',
  ));
  assert.deepEqual(diagnostics, []);
  assert.ok(ok);
});

test('undefined names point to line and column and suggest the closest name', () => {
  expectDiag(clause('on E "e" | "事件" from a', '  pay prce from a to b for "x" | "款"'), 'LEX_UNDEFINED_NAME', { line: 3, column: 9, includes: 'Did you mean "price"' });
  expectDiag(clause('on E "e" | "事件" from sellr', '  set done = true'), 'LEX_UNDEFINED_NAME', { includes: 'not a party' });
  expectDiag(clause('en: Pay {pricee}.', 'zh: 支付{pricee}。'), 'LEX_UNDEFINED_NAME', { includes: '{pricee}' });
});

test('obligations need a deadline and a condition of performance', () => {
  expectDiag(clause('obligation pay "pay" | "付款"', '  promisor a', '  promisee b', '  done when done'), 'LEX_NO_DEADLINE', { line: 2, includes: 'no deadline' });
  expectDiag(clause('obligation pay "pay" | "付款"', '  promisor a', '  promisee b', '  due due'), 'LEX_NO_DISCHARGE');
  expectDiag(clause('obligation pay "pay" | "付款"', '  due due', '  done when done'), 'LEX_OBLIGATION_PARTIES');
  expectDiag(clause('obligation pay "pay" | "付款"', '  promisor a', '  promisee b', '  due price', '  done when done'), 'LEX_TYPE', { includes: 'deadline' });
});

test('money is never rounded implicitly', () => {
  expectDiag(clause('on E "e" | "事件" from a', '  pay 10.5% of price from a to b for "x" | "款"'), 'LEX_ROUNDING_REQUIRED', { includes: 'rounded half up' });
  expectDiag(clause('on E "e" | "事件" from a', '  set times = times / 2'), 'LEX_ROUNDING_REQUIRED', { includes: 'whole number' });
  expectDiag(clause('on E "e" | "事件" from a', '  respond x = price / 3'), 'LEX_ROUNDING_REQUIRED');
  const ok = check(clause('on E "e" | "事件" from a', '  pay 10.5% of price rounded half even from a to b for "x" | "款"', '  set times = times / 2 rounded down'));
  assert.ok(ok.ok, JSON.stringify(ok.diagnostics));
  expectDiag(clause('on E "e" | "事件" from a', '  set times = times rounded up'), 'LEX_ROUNDING_NO_EFFECT', { severity: 'warning' });
  expectDiag(clause('on E "e" | "事件" from a', '  respond x = 1.001 CNY'), 'LEX_TYPE', { includes: 'decimal places' });
  expectDiag(clause('on E "e" | "事件" from a', '  respond x = 1.00 CNY + 1.00 USD'), 'LEX_CURRENCY_MISMATCH');
});

test('rules that can never apply are found', () => {
  expectDiag(clause('on E "e" | "事件" from a', '  terminate "end" | "终止"', '  set done = true'), 'LEX_UNREACHABLE', { line: 4, includes: 'can never apply' });
  expectDiag(clause('on E "e" | "事件" from a', '  set done = true', 'on E "again" | "再次" from b', '  set done = false'), 'LEX_UNREACHABLE', { line: 4, includes: 'already handled' });
  expectDiag(clause('on E "e" | "事件" from a', '  if false', '    set done = true'), 'LEX_UNREACHABLE', { severity: 'warning' });
  expectDiag(clause('define unused "an unused term" | "未使用" = price'), 'LEX_UNREACHABLE_CLAUSE', { severity: 'warning' });
  expectDiag(clause('on Tick "tick" | "滴答" from a', '  set done = true'), 'LEX_RESERVED');
});

test('every paragraph needs both languages; numbers and rounding in wording are flagged', () => {
  expectDiag(clause('en: Party A pays.'), 'LEX_TRANSLATION_MISSING', { includes: 'no Chinese' });
  expectDiag(clause('zh: 甲方付款。'), 'LEX_TRANSLATION_MISSING', { includes: 'no English' });
  expectDiag(clause('en: {a} pays 10.5% of the price.', 'zh: {a}支付价款的百分之十。'), 'LEX_PROSE_NUMBER', { severity: 'warning' });
  expectDiag(clause('en: Any fraction of a day counts as a day.', 'zh: 不足一日按一日计算。'), 'LEX_PROSE_ROUNDING', { severity: 'warning' });
  expectDiag('party c "Party C"', 'LEX_SYNTAX', { includes: 'both languages' });
});

test('types: comparisons, conditions and the time of events', () => {
  expectDiag(clause('on E "e" | "事件" from a', '  require price > due else "x" | "x"'), 'LEX_TYPE');
  expectDiag(clause('on E "e" | "事件" from a', '  require price else "x" | "x"'), 'LEX_TYPE', { includes: 'yes-or-no' });
  expectDiag('state when2: Date "w" | "w" = now', 'LEX_TYPE', { includes: 'fixed when the contract is made' });
  expectDiag('param x: Mony "x" | "x"', 'LEX_UNKNOWN_TYPE', { includes: 'Did you mean "Money"' });
  expectDiag(clause('define d "d" | "d" = sender'), 'LEX_TYPE', { includes: 'sender' });
  expectDiag(clause('on E "e" | "事件" from a', '  respond x = if done then 1'), 'LEX_SYNTAX', { includes: 'else' });
  expectDiag(clause('on E "e" | "事件" from a', '  set due = due'), 'LEX_NOT_STATE');
  expectDiag('param set: Int "s" | "s"', 'LEX_RESERVED');
  expectDiag('state x: Int "x" | "x" = 1\nstate x: Int "y" | "y" = 2', 'LEX_DUPLICATE', { line: 2 });
});

test('definitions may not depend on themselves, nor chain too deeply', () => {
  expectDiag(clause('define x "x" | "x" = y + 1', 'define y "y" | "y" = x + 1', 'on E "e" | "事件" from a', '  respond r = x'), 'LEX_CIRCULAR', { includes: '→' });
  const chain = ['define d0 "d0" | "d0" = 1'];
  for (let i = 1; i <= 40; i++) chain.push(`define d${i} "d${i}" | "d${i}" = d${i - 1} + 1`);
  expectDiag(clause(...chain, 'on E "e" | "事件" from a', '  respond r = d40'), 'LEX_NESTING_TOO_DEEP', { includes: 'chain' });
});

test('deep nesting is refused with a clear error, never a stack overflow', () => {
  const n = 20_000;
  expectDiag(clause('on E "e" | "事件" from a', `  respond r = ${'('.repeat(n)}1${')'.repeat(n)}`), 'LEX_NESTING_TOO_DEEP', { line: 3, includes: 'nested more than 64 levels' });
  expectDiag(clause('on E "e" | "事件" from a', `  require ${'not '.repeat(n)}done else "x" | "x"`), 'LEX_NESTING_TOO_DEEP');
  expectDiag(clause('on E "e" | "事件" from a', `  respond r = ${'- '.repeat(n)}1`), 'LEX_NESTING_TOO_DEEP');
  const lines = ['on E "e" | "事件" from a'];
  for (let i = 0; i < 30; i++) lines.push(`${'  '.repeat(i + 1)}if done`);
  lines.push(`${'  '.repeat(31)}set times = 1`);
  expectDiag(clause(...lines), 'LEX_NESTING_TOO_DEEP', { includes: 'Blocks are nested' });
});

test('layout mistakes: tabs, stray characters, unterminated text', () => {
  expectDiag(clause('on E "e" | "事件" from a', '\tset done = true'), 'LEX_TAB');
  expectDiag(clause('on E "e" | "事件" from a', '  set times = 1 # 2'), 'LEX_CHARACTER');
  expectDiag(clause('on E "e" | "事件" from a', '  require done else "x | "x"'), 'LEX_STRING');
});

test('a long rule can continue on indented lines that start with an operator', () => {
  const { ok, diagnostics } = check(clause(
    'define fee "the fee" | "费用" =',
    '  10% of price rounded half up',
    '    capped at 100.00 CNY',
    'on E "e" | "事件" from a',
    '  pay fee from a to b for "fee" | "费用"',
  ));
  assert.ok(ok, JSON.stringify(diagnostics));
});

test('parse errors do not hide later errors in other declarations', () => {
  const { diagnostics } = check(['param x: "x" | "x"', 'param y: Int "y"', clause('on E "e" | "事件" from a', '  pay prce from a to b for "x" | "款"')].join('\n'));
  const codes = diagnostics.map((d) => d.code);
  assert.ok(codes.filter((c) => c === 'LEX_SYNTAX').length >= 2, codes.join());
  assert.ok(codes.includes('LEX_UNDEFINED_NAME'), codes.join());
});

test('random edits of real templates never make the parser or compiler throw (property)', async () => {
  const { existsSync, readFileSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const fc = (await import('fast-check')).default;
  const root = join(import.meta.dirname, '..', '..', 'contracts');
  const sources = readdirSync(root).filter((d) => existsSync(join(root, d, 'contract.lex'))).map((d) => readFileSync(join(root, d, 'contract.lex'), 'utf8'));
  const edit = fc.record({
    at: fc.nat(),
    del: fc.nat({ max: 40 }),
    ins: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('(', ')', '"', '|', ' rounded', ' capped at', '\n  ', '\n', ' + ', ' of ', ' if ', ' then ', ' else ', '{x}', '[', ']', '--', '\t', 'not ', ' 1.5 CNY', ' 3 months', ' sender', ' now', 'for each i from 1 to 3\n')),
  });
  fc.assert(fc.property(fc.nat({ max: sources.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 6 }), (which, edits) => {
    let src = sources[which]!;
    for (const e of edits) {
      const at = e.at % (src.length + 1);
      src = src.slice(0, at) + e.ins + src.slice(at + e.del);
    }
    const { contract, diagnostics } = compile(parseTemplate(src, 'fuzz.lex'));
    if (contract) {
      // what compiles also renders, as a blank template, in both languages
      for (const lang of ['en', 'zh-CN'] as const) assert.ok(renderDocument(contract, undefined, lang).blocks.length > 0);
    }
    for (const d of diagnostics) {
      assert.ok(Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.column) && d.column >= 1, JSON.stringify(d));
      assert.ok(typeof d.message === 'string' && d.message.length > 0);
    }
  }), { numRuns: Number(process.env.LEX_FUZZ_RUNS ?? 400), ...(process.env.LEX_FUZZ_SEED === "random" ? {} : { seed: 1234 }) });
});

test('"if insufficient funds": wait, wait until a date, or fail — checked, stated in words, emitted with the instruction', async () => {
  const { execute, instantiate } = await import('./interpreter.ts');
  const body = (rule: string): string => clause(
    'en: {a} pays {b} {price}.',
    'zh: {a}向{b}支付{price}。',
    'on Paid "payment" | "付款" from a',
    '  pay price from a to b for "the price" | "价款"',
    ...(rule ? [`    ${rule}`] : []),
    '  split price from a for "the share" | "分成"',
    '    to a: 50%',
    '    to b: 50%',
    ...(rule ? [`    ${rule}`] : []),
    '  withhold price from a to b for "the tax" | "税款"',
    ...(rule ? [`    ${rule}`] : []),
  );
  const params = { a: 'did:shulian:a', b: 'did:shulian:b', price: 'CNY 10.00', due: '2024-03-01' };
  const run = (rule: string, at: string) => {
    const { contract, diagnostics } = compile(parseTemplate(`${HEAD}\n${body(rule)}`, 't.lex'));
    assert.ok(contract, diagnostics.map((d) => d.message).join('; '));
    const r = execute(contract, instantiate(contract, params), { event: 'Paid' }, { time: Date.parse(at), gasLimit: 100_000, sender: 'did:shulian:a' });
    assert.ok(r.ok);
    const text = { en: render(contract, params, { format: 'markdown', lang: 'en' }), zh: render(contract, params, { format: 'markdown', lang: 'zh-CN' }) };
    return { settlements: r.settlements, text };
  };
  // Nothing said: no terms (the settlement chain's default, fail), and no words about it.
  const none = run('', '2024-02-01T00:00:00+08:00');
  assert.deepEqual(none.settlements.map((s) => [s.onInsufficientFunds, s.waitUntil]), [[undefined, undefined], [undefined, undefined], [undefined, undefined]]);
  assert.ok(!none.text.en.includes('insufficient') && !none.text.zh.includes('余额不足'));
  const fail = run('if insufficient funds fail', '2024-02-01T00:00:00+08:00');
  assert.deepEqual(fail.settlements.map((s) => s.onInsufficientFunds), ['fail', 'fail', 'fail']);
  assert.ok(fail.text.en.includes('if the payer\'s balance is insufficient, this instruction fails'));
  assert.ok(fail.text.zh.includes('如付款方余额不足，本指令即告失败'));
  const wait = run('if insufficient funds wait', '2024-02-01T00:00:00+08:00');
  assert.deepEqual(wait.settlements.map((s) => [s.onInsufficientFunds, s.waitUntil]), [['wait', undefined], ['wait', undefined], ['wait', undefined]]);
  assert.ok(wait.text.en.includes('this instruction waits until the payer\'s funds suffice'));
  assert.ok(wait.text.zh.includes('如付款方余额不足，本指令等待至付款方资金足以支付时支付'));
  const until = run('if insufficient funds wait until due + 10 days', '2024-02-01T00:00:00+08:00');
  assert.deepEqual(until.settlements.map((s) => [s.onInsufficientFunds, s.waitUntil]), Array(3).fill(['wait', '2024-03-11T00:00:00.000+08:00']));
  assert.equal(until.text.en.split('if the payer\'s balance is insufficient, this instruction waits until 10 days after the start of 1 March 2024 (UTC+08:00) for the payer\'s funds, and fails if it is still unpaid at that time').length - 1, 3, until.text.en);
  assert.equal(until.text.zh.split('如付款方余额不足，本指令等待至2024年3月1日零时（UTC+08:00）后10日，届时仍未支付的即告失败').length - 1, 3, until.text.zh);
  // Once the time has come, an instruction given then may not wait: it fails if short.
  const late = run('if insufficient funds wait until due + 10 days', '2024-03-11T00:00:00+08:00');
  assert.deepEqual(late.settlements.map((s) => [s.onInsufficientFunds, s.waitUntil]), Array(3).fill(['fail', undefined]));

  // Mistakes are refused with a clear error where they are.
  expectDiag(body('if insufficient funds wait until price'), 'LEX_TYPE', { includes: 'date' });
  expectDiag(body('if insufficient funds hope'), 'LEX_SYNTAX', { includes: '"wait", "wait until DATE" or "fail"' });
  expectDiag(body('if short wait'), 'LEX_SYNTAX', { includes: 'insufficient funds' });
  expectDiag(body('if insufficient funds fail until due'), 'LEX_SYNTAX', { includes: 'after "fail"' });
  expectDiag(clause('on Paid "payment" | "付款" from a', '  pay price from a to b for "the price" | "价款"', '    set done = true'), 'LEX_SYNTAX', { includes: 'if insufficient funds' });
  expectDiag(clause('on Paid "payment" | "付款" from a', '  pay price from a to b for "the price" | "价款"', '    if insufficient funds wait', '    if insufficient funds fail'), 'LEX_SYNTAX', { includes: 'Only one line' });
  expectDiag(clause('on Paid "payment" | "付款" from a', '  split price from a for "the share" | "分成"', '    to a: 50%', '    if insufficient funds wait', '    to b: 50%', '    if insufficient funds fail'), 'LEX_SYNTAX', { includes: 'say it once' });
});
