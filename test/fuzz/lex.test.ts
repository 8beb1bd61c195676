/**
 * Fuzz of the lex parser and compiler (src/lex) beyond src/lex/compiler.test.ts's random edits of
 * real templates and test/lex.test.ts's execution fuzz: token soup from the language's own words,
 * hostile nesting and sizes (what the editor route and the chain take from anyone), and arbitrary
 * parameters handed to the library's templates. The parser and compiler never throw, every
 * diagnostic points inside the source; parameters are refused only with a LexError saying which.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { type JsonValue } from '../../src/codec/index.ts';
import { compile, readSample, execute, fingerprint, instantiate, LexError, MAX_EXPR_DEPTH, parseTemplate, render, type Contract, type Diagnostic } from '../../src/lex/index.ts';
import { MAX_EXPR_TREE_DEPTH } from '../../src/lex/parser.ts';
import { repoRoot } from '../helpers/node-process.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const LIB = join(repoRoot, 'contracts');
const library = readdirSync(LIB).filter((d) => existsSync(join(LIB, d, 'contract.lex'))).map((name) => {
  const source = readFileSync(join(LIB, name, 'contract.lex'), 'utf8');
  const contract = compile(parseTemplate(source)).contract!;
  const sampleFile = join(LIB, name, 'sample.json');
  const sample = existsSync(sampleFile) ? readSample(join(LIB, name)) : undefined;
  return { name, source, contract, sample };
});

/** Parses and compiles; asserts nothing escaped and every diagnostic is inside the source. */
function compileChecked(source: string): { contract?: Contract; diagnostics: Diagnostic[] } {
  let r: { contract?: Contract; diagnostics: Diagnostic[] };
  try {
    r = compile(parseTemplate(source, 'fuzz.lex'));
  } catch (err) {
    assert.fail(`parse/compile threw ${(err as Error).stack?.split('\n').slice(0, 3).join(' ')} for ${JSON.stringify(source.slice(0, 200))}`);
  }
  const lines = source.split('\n');
  for (const d of r.diagnostics) {
    assert.match(d.code, /^LEX_[A-Z_]+$/, JSON.stringify(d));
    assert.ok(d.message.length > 10, JSON.stringify(d));
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= Math.max(1, lines.length) + 1, `line ${d.line} of ${lines.length}: ${JSON.stringify(d)}`);
    assert.ok(Number.isInteger(d.column) && d.column >= 1 && d.column <= (lines[d.line - 1]?.length ?? 0) + 2, `column ${d.column}: ${JSON.stringify(d)}`);
  }
  if (!r.contract) assert.ok(r.diagnostics.some((d) => d.severity === 'error'), 'no contract, yet no error says why');
  return r;
}

// The language's own words and marks, so the soup reaches past the first syntax error.
const WORDS = [
  'contract', 'version', 'title', 'timezone', 'currency', 'party', 'param', 'state', 'clause', 'obligation', 'promisor', 'promisee', 'due',
  'done when', 'on', 'from', 'require', 'else', 'set', 'pay', 'to', 'for', 'respond', 'define', 'exception', 'when', 'then', 'if', 'not', 'and',
  'or', 'rounded', 'half up', 'capped at', 'at least', 'of', 'in days', 'days', 'months', 'now', 'sender', 'true', 'false', 'let', 'split',
  'withhold', 'terminate', 'Money', 'Int', 'Decimal', 'Percent', 'Date', 'Duration', 'Bool', 'Text', 'DID', 'CNY', '1.0.0', '+08:00', '1.5', '0',
  '100.00 CNY', '5%', '"text" | "文本"', '(', ')', '[', ']', '{', '}', '=', '+', '-', '*', '/', ':', ',', '|', '"', '--', 'en:', 'zh:', 'x', 'y',
  'seller', 'buyer', 'price', 'Delivered',
  // issue #16: event information in definitions, multi-line conditionals, currencies, units as terms
  'Money(any)', '.currency', 'in billingUnit', 'billingUnit', 'in 15 minutes', 'with v: Int "v" | "v"', 'v', '\n      then', '\n      else',
  '\n    then', '\n    else', 'Money(USD)', '97',
];
const soup = fc.array(fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: fc.constantFrom('\n', '\n  ', '\n    ', ' ', '\t') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
), { maxLength: 120 }).map((t) => t.join(' '));

test('token soup of the language\'s own words: the parser and compiler never throw, diagnostics point inside the source', () => {
  const head = 'contract fuzz\nversion 1.0.0\ntitle "Fuzz" | "模糊"\ncurrency CNY\nparty a "A" | "甲"\nparty b "B" | "乙"\n';
  const b = bounded(1500, 6000);
  fc.assert(fc.property(fc.boolean(), soup, b.guard((withHead, body) => {
    compileChecked((withHead ? head : '') + body);
  })), b.params);
});

test('hostile nesting and sizes are refused with diagnostics, not a stack overflow or a hang (regression)', () => {
  // Found by this fuzz: "1 + 1 + … + 1" with 1 421 terms parsed (the chain deepens the tree, not the
  // parser's recursion) and overflowed the compiler's stack with a RangeError: a 500 from
  // POST /v1/contracts/compile, and a stack-depth-dependent MODULE_FAULT for lexcontract.deploy.
  const head = 'contract deep\nversion 1.0.0\ntitle "D" | "深"\ncurrency CNY\nparty a "A" | "甲"\nclause c "C" | "条"\n  en: {a}.\n  zh: {a}。\n';
  // The case that was found, always: refused with a diagnostic where the expression starts.
  const found = compileChecked(`${head}  define x "x" | "x" = ${Array(1421).fill('1').join(' + ')}\n`);
  assert.equal(found.contract, undefined);
  const d = found.diagnostics.find((x) => x.code === 'LEX_NESTING_TOO_DEEP');
  assert.ok(d, found.diagnostics.map((x) => x.code).join());
  assert.equal(d.line, 9);
  assert.match(d.message, /more than 256 operations nested/);
  const b = bounded(80, 8000);
  fc.assert(fc.property(
    fc.constantFrom('parens', 'not', 'neg', 'sum', 'and', 'capped', 'if', 'blocks', 'list', 'line', 'clauses'),
    fc.oneof(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 300, max: 50_000 })),
    b.guard((shape, n) => {
      let src: string;
      let treeDepth = 0;
      switch (shape) {
        case 'parens': src = `${head}  define x "x" | "x" = ${'('.repeat(n)}1${')'.repeat(n)}\n`; treeDepth = 1; break;
        case 'not': src = `${head}  define x "x" | "x" = ${'not '.repeat(n)}true\n`; treeDepth = n + 1; break;
        case 'neg': src = `${head}  define x "x" | "x" = ${'- '.repeat(n)}1\n`; treeDepth = n + 1; break;
        case 'sum': src = `${head}  define x "x" | "x" = ${Array(Math.min(n, 20_000)).fill('1').join(' + ')}\n`; treeDepth = Math.min(n, 20_000); break;
        case 'and': src = `${head}  define x "x" | "x" = ${Array(Math.min(n, 20_000)).fill('true').join(' and ')}\n`; treeDepth = Math.min(n, 20_000); break;
        case 'capped': src = `${head}  define x "x" | "x" = 5${' capped at 4'.repeat(Math.min(n, 20_000))}\n`; treeDepth = Math.min(n, 20_000) + 1; break;
        case 'if': src = `${head}  define x "x" | "x" = ${'if true then '.repeat(n)}1${' else 2'.repeat(n)}\n`; treeDepth = n + 1; break;
        case 'blocks': src = head + Array.from({ length: Math.min(n, 2_000) }, (_, i) => `${'  '.repeat(i + 1)}if true then`).join('\n') + '\n'; break;
        case 'list': src = `${head}  define x "x" | "x" = [${Array(Math.min(n, 20_000)).fill('1').join(', ')}]\n`; treeDepth = 2; break;
        case 'line': src = `${head}  en: ${'x'.repeat(n * 20)}\n`; break;
        default: src = head + Array.from({ length: Math.min(n, 5_000) }, (_, i) => `clause c${i} "C" | "条"\n  en: text.\n  zh: 文。`).join('\n');
      }
      const { contract, diagnostics } = compileChecked(src);
      const recursion = shape === 'parens' ? n : shape === 'if' ? n : shape === 'not' || shape === 'neg' ? n : 0;
      if (recursion > MAX_EXPR_DEPTH || treeDepth > MAX_EXPR_TREE_DEPTH) {
        assert.equal(contract, undefined, `${shape} ${n} compiled`);
        assert.ok(diagnostics.some((d) => d.code === 'LEX_NESTING_TOO_DEEP'), `${shape} ${n}: ${diagnostics.map((d) => d.code).join()}`);
      }
      if (contract) {
        // What compiles also renders and runs, however deep within the limits.
        for (const lang of ['en', 'zh-CN'] as const) render(contract, { a: 'did:shulian:a' }, { format: 'markdown', lang });
        instantiate(contract, { a: 'did:shulian:a' });
      }
    }),
  ), b.params);
});

test('regression: rendering words each part of an expression a bounded number of times, not 2^depth', () => {
  // Found by this fuzz: a rule states both languages with its parts' words inside, and the parts
  // were worded for both: a 25-term sum took 7.5 s to render, 30 terms minutes — on the API's
  // thread, from one POST /v1/contracts/compile. Each node now counts how often it is looked at.
  const terms = 16;
  const src = `contract sum\nversion 1.0.0\ntitle "S" | "和"\ntimezone +08:00\ncurrency CNY\nparty a "A" | "甲"\nclause c "C" | "条"\n  en: {a} {x}.\n  zh: {a}{x}。\n  define x "x" | "x" = ${Array(terms).fill('1').join(' + ')}\n`;
  const { contract } = compileChecked(src);
  assert.ok(contract);
  const reads = new Map<object, number>();
  const counted = (e: object): object => {
    for (const [k, v] of Object.entries(e)) {
      if (v && typeof v === 'object' && typeof (v as { k?: unknown }).k === 'string' && k !== 't' && k !== 'ref') (e as Record<string, object>)[k] = counted(v);
    }
    const p = new Proxy(e, { get: (target, prop, recv) => { if (prop === 'k') reads.set(p, (reads.get(p) ?? 0) + 1); return Reflect.get(target, prop, recv); } });
    return p;
  };
  const d = contract.defines.get('x')!;
  d.e = counted(d.e) as typeof d.e;
  for (const lang of ['en', 'zh-CN'] as const) render(contract, { a: 'did:shulian:a' }, { format: 'markdown', lang });
  assert.equal(reads.size, 2 * terms - 1, 'every node of the sum was counted');
  const most = Math.max(...reads.values());
  assert.ok(most <= 24, `a node of a ${terms}-term sum was looked at ${most} times while rendering two languages`);
});

test('arbitrary parameters for every library template: instantiate, render and fingerprint accept them or refuse with a LexError', () => {
  const paramValue: fc.Arbitrary<JsonValue> = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
    fc.constantFrom<JsonValue>('CNY 100.00', '100.00 CNY', 'CNY -1', '5%', '150%', '-5%', '3 days', '0 days', '2024-03-01', '2024-02-30', '2024-03-01T00:00:00+08:00',
      'did:shulian:abc', 'did:x', '', 1e21, -1, 0.5, Number.MAX_SAFE_INTEGER, { currency: 'CNY', minor: 1 }, { currency: 'USD', minor: -1 }, 'x'.repeat(5000)),
  );
  const b = bounded(600, 8000);
  fc.assert(fc.property(fc.constantFrom(...library), fc.integer({ min: 0, max: 3 }), fc.dictionary(fc.string({ maxLength: 12 }), paramValue, { maxKeys: 3 }), fc.array(fc.tuple(fc.nat(), paramValue), { maxLength: 3 }), b.guard((t, mode, extra, changes) => {
    const names = t.contract.params.map((p) => p.name).concat(t.contract.parties.map((p) => p.name));
    const params: Record<string, JsonValue> = mode === 0 ? extra : { ...(t.sample ?? {}), ...(mode === 3 ? extra : {}) };
    for (const [i, v] of changes) params[names[i % names.length]!] = v;
    for (const step of [
      () => instantiate(t.contract, params),
      () => render(t.contract, params, { format: 'markdown', lang: 'en' }),
      () => render(t.contract, params, { format: 'html', lang: 'zh-CN' }),
      () => fingerprint(t.contract, params, 'text'),
    ]) {
      try {
        step();
      } catch (err) {
        assert.ok(err instanceof LexError, `${t.name} with ${JSON.stringify(params).slice(0, 300)} threw ${(err as Error).stack?.split('\n').slice(0, 3).join(' ')}`);
        assert.match(err.code, /^[A-Z_]+$/);
        assert.ok(err.message.length > 10 && err.zh.length > 2);
      }
    }
  })), b.params);
});

// ---------------------------------------------------------------------------------------------
// Issue #16's syntax: definitions that read event information, conditionals over several lines,
// `.currency`, and `in UNIT` with a term as the unit. A random conditional written on one line
// and the same written with "then" and "else" on lines of their own (at random indentations)
// must be the same contract: the same text in both languages and the same result for any request.

type Gen = { one: string; lines: (indent: number) => string[] };
const leaf = (s: string): Gen => ({ one: s, lines: () => [s] });
const cond: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('flag', 'n > 2', 'amount.currency = "CNY"', 'amount.currency = price.currency', '(ended - started) in billingUnit rounded up > 3',
      '(ended - started) in 30 minutes rounded half even <= 5', 'now > started', 'amount > price'),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => `(${a} and ${b})`),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => `(${a} or ${b})`),
    tie('c').map((a) => `not (${a})`),
  ),
})).c;
const value: fc.Arbitrary<Gen> = fc.letrec<{ v: Gen }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.constantFrom('price', '1.00 CNY', 'price * n', '10% of (price + 2.00 CNY) - 1.00 CNY rounded down', 'price * ((ended - started) in billingUnit rounded up)').map(leaf),
    fc.tuple(cond, tie('v'), tie('v'), fc.integer({ min: 1, max: 4 })).map(([c, a, b, step]): Gen => ({
      one: `(if ${c} then ${a.one} else ${b.one})`,
      lines: (indent) => {
        const pad = ' '.repeat(indent);
        const [a0, ...aRest] = a.lines(indent + step);
        const [b0, ...bRest] = b.lines(indent + step);
        return [`if ${c}`, `${pad}then ${a0}`, ...aRest, `${pad}else ${b0}`, ...bRest];
      },
    })),
  ),
})).v;

test('multi-line conditionals over event information mean exactly what the one-line form means (text and results)', () => {
  const head = [
    'contract ml', 'version 1.0.0', 'title "M" | "多行"', 'timezone +08:00', 'currency CNY',
    'party a "A" | "甲"', 'party b "B" | "乙"',
    'param price: Money "the price" | "价款"', 'param billingUnit: Duration "the billing unit" | "计费单位"',
    'clause c "C" | "条"',
  ].join('\n');
  const handler = [
    '  on Go "go" | "执行" from a',
    '    with flag: Bool "the flag" | "标志"',
    '    with n: Int "the count" | "数量"',
    '    with amount: Money(any) "the amount" | "金额"',
    '    with started: Date "the start" | "开始"',
    '    with ended: Date "the end" | "结束"',
    '    respond x = x',
  ].join('\n');
  const input = fc.record({
    flag: fc.boolean(),
    n: fc.integer({ min: 0, max: 6 }),
    amount: fc.record({ currency: fc.constantFrom('CNY', 'USD'), minor: fc.integer({ min: 0, max: 5000 }) }),
    started: fc.integer({ min: 0, max: 48 }).map((q) => new Date(Date.parse('2024-05-01T00:00:00+08:00') + q * 900_000).toISOString()),
    ended: fc.integer({ min: 0, max: 96 }).map((q) => new Date(Date.parse('2024-05-01T12:00:00+08:00') + q * 900_000).toISOString()),
  });
  const params = { a: 'did:shulian:a', b: 'did:shulian:b', price: 'CNY 12.34', billingUnit: '15 minutes' };
  const b = bounded(150, 8000);
  fc.assert(fc.property(value, fc.integer({ min: 3, max: 8 }), fc.array(input, { minLength: 1, maxLength: 4 }), b.guard((v, indent, inputs) => {
    const one = `${head}\n  define x "x" | "x" = ${v.one}\n${handler}\n`;
    const [first, ...rest] = v.lines(indent);
    const multi = `${head}\n  define x "x" | "x" = ${first}\n${rest.map((l) => (l.startsWith(' ') ? l : ' '.repeat(indent) + l)).join('\n')}${rest.length ? '\n' : ''}${handler}\n`;
    const r1 = compileChecked(one);
    const r2 = compileChecked(multi);
    assert.ok(r1.contract, `one line: ${r1.diagnostics.map((d) => d.message).join(' | ')}\n${one}`);
    assert.ok(r2.contract, `several lines: ${r2.diagnostics.map((d) => d.message).join(' | ')}\n${multi}`);
    for (const lang of ['en', 'zh-CN'] as const) {
      const t1: string = render(r1.contract, params, { format: 'markdown', lang }).replace(r1.contract.sourceHash, 'H');
      const t2: string = render(r2.contract, params, { format: 'markdown', lang }).replace(r2.contract.sourceHash, 'H');
      assert.equal(t2, t1);
      assert.ok(!/undefined|\[object|NaN/.test(t1), t1);
    }
    const s1 = instantiate(r1.contract, params);
    const s2 = instantiate(r2.contract, params);
    for (const inp of inputs) {
      const at = { time: Date.parse('2024-05-02T00:00:00+08:00'), gasLimit: 100_000, sender: 'did:shulian:a' };
      const x1 = execute(r1.contract, s1, { event: 'Go', input: inp }, at);
      const x2 = execute(r2.contract, s2, { event: 'Go', input: inp }, at);
      if (!x1.ok) assert.notEqual(x1.rejection.code, 'LEX_INTERNAL', x1.rejection.message.en);
      assert.deepEqual(x1.ok ? x1.response : x1.rejection.code, x2.ok ? x2.response : x2.rejection.code);
    }
  })), b.params);
});
