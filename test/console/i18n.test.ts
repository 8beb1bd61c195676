/**
 * The console's words and compositions, without a browser (the browser checks are in
 * pages.test.ts): every string written for zh-CN is free of Latin words outside the few names
 * Chinese text writes in Latin, every English string free of Chinese; the Chinese error texts name
 * only codes that exist; the low-code editor composes "late-delivery penalty" into "payment on
 * signature" as a two-party contract with every clause reachable and no exception nothing can
 * trigger; a date term never starts in the past; lex findings, field hints and scenario names
 * come in Chinese too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadErrorLists } from '../../src/api/error-catalogue.ts';
import { compile, compileSource, parseTemplate, runScenarios, summarize } from '../../src/lex/index.ts';
import { ERROR_ZH, LEX_DIAG_ZH, errorZh } from '../../console/src/i18n/errors.ts';
import { clausesOf, companions, compose, defaultPartyMap, foreignParties, freshDate, partiesOf } from '../../console/src/lexcompose.ts';
import { fmtBytes, fmtDuration } from '../../console/src/format.ts';
import { repoRoot } from '../helpers/node-process.ts';
import { LATIN_IN_ZH } from '../helpers/i18n-scan.ts';

const CJK = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

test('every tr, say and LocalError (zh, en) of the console: no Latin words in the Chinese, no Chinese in the English', () => {
  const allowed = new Set(LATIN_IN_ZH);
  const leaks: string[] = [];
  let seen = 0;
  // tr('…', '…'), say('…', '…') and new LocalError('…', '…'), with ' or ` quotes, each argument's matched on its own.
  const call = /\b(?:tr|LocalError|say)\(\s*(['`])((?:\\.|(?!\1)[^\\])*)\1\s*,\s*(['`])((?:\\.|(?!\3)[^\\])*)\3/g;
  for (const file of sources(join(repoRoot, 'console', 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(call)) {
      seen++;
      const zh = m[2]!.replace(/\$\{[^}]*\}/g, ' ').replace(/did:shulian:/g, ' ');
      const en = m[4]!.replace(/\$\{[^}]*\}/g, ' ');
      const words = (zh.match(/[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*/g) ?? []).filter((w) => !allowed.has(w));
      if (words.length > 0) leaks.push(`${file}: "${m[2]}" has ${words.join(', ')}`);
      if (CJK.test(en)) leaks.push(`${file}: "${m[4]}" has Chinese`);
    }
  }
  assert.ok(seen > 500, `found ${seen} tr() calls`);
  assert.deepEqual(leaks, []);
});

test('the Chinese error texts name codes the code base has; unknown codes get a general sentence', async () => {
  const known = new Set((await loadErrorLists()).flatMap((l) => Object.keys(l.codes)));
  assert.deepEqual(Object.keys(ERROR_ZH).filter((c) => !known.has(c)), []);
  const allowed = new Set(LATIN_IN_ZH);
  for (const [code, zh] of Object.entries(ERROR_ZH)) {
    const words = (zh.match(/[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*/g) ?? []).filter((w) => !allowed.has(w));
    assert.ok(CJK.test(zh) && words.length === 0, `${code}: ${zh}`);
  }
  assert.equal(errorZh('GOV_NO_ELECTORATE'), ERROR_ZH.GOV_NO_ELECTORATE);
  assert.equal(errorZh('SOMETHING_NEW'), '节点拒绝了该请求');
  assert.match(errorZh('HTTP_502'), /502/);
  const lexSources = ['compiler.ts', 'parser.ts'].map((f) => readFileSync(join(repoRoot, 'src', 'lex', f), 'utf8')).join('\n');
  assert.deepEqual(Object.keys(LEX_DIAG_ZH).filter((c) => !lexSources.includes(`'${c}'`)), [], 'every lex finding code named exists');
  const used = new Set([...lexSources.matchAll(/'(LEX_[A-Z_]+)'/g)].map((m) => m[1]!));
  assert.deepEqual([...used].filter((c) => c !== 'LEX_COMPILE' && c !== 'LEX_INTERNAL' && !LEX_DIAG_ZH[c]), [], 'every lex finding has a Chinese sentence');
});

const lib = (name: string) => readFileSync(join(repoRoot, 'contracts', name, 'contract.lex'), 'utf8');

test('composing "late-delivery penalty" into "payment on signature": two parties, the clauses it needs, nothing unreachable', () => {
  const base = lib('payment-on-signature');
  const library = [...clausesOf('payment-on-signature', base), ...clausesOf('late-delivery', lib('late-delivery'))];
  const chosen = library.filter((c) => c.template === 'payment-on-signature');
  const penalty = library.find((c) => c.id === 'late-delivery/penalty')!;

  // Alone, the penalty clause is never reached and its force-majeure exception can never apply; its parties are extra.
  const alone = compose(base, [...chosen, penalty], {});
  const aloneCompiled = compile(parseTemplate(alone.source));
  assert.ok(aloneCompiled.contract, JSON.stringify(aloneCompiled.diagnostics));
  assert.deepEqual(aloneCompiled.contract.parties.map((p) => p.name), ['client', 'contractor', 'seller', 'buyer'], 'without a party map: four parties (the bug)');

  // The editor adds the clauses it needs: delivery (sets the delivery time, pays the penalty), force majeure (sets the excuse).
  const extra = companions(penalty, library, chosen);
  assert.deepEqual(extra.map((c) => c.id), ['late-delivery/delivery', 'late-delivery/forceMajeureClause']);
  const picks = [...chosen, penalty, ...extra];
  assert.deepEqual(foreignParties(base, picks).map((f) => f.key), ['late-delivery/seller', 'late-delivery/buyer']);
  const map = defaultPartyMap(base, picks);
  assert.deepEqual(map, { 'late-delivery/seller': 'contractor', 'late-delivery/buyer': 'client' }, 'the supplier side and the paying side');
  const c = compose(base, picks, map);
  assert.deepEqual(c.dropped, []);
  const { contract, diagnostics } = compileSource(c.source);
  assert.deepEqual(contract.parties.map((p) => p.name), ['client', 'contractor']);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error' || d.code === 'LEX_UNREACHABLE_CLAUSE' || d.code === 'LEX_UNUSED'), [], c.source);
  assert.ok(!/\bseller\b|\bbuyer\b/.test(c.source.replace(/"[^"]*"/g, '')), 'no trace of the other template\'s parties in the rules');
  assert.match(c.source, /The Equipment has already been delivered/);
  assert.match(c.source, /pay penalty from contractor to client/);
  assert.deepEqual(summarize(contract).events.map((e) => [e.name, e.from]).sort(), [['Delivered', ['contractor']], ['ForceMajeure', ['contractor']], ['Signed', ['client', 'contractor']]]);

  // Without the force-majeure clause nothing can set the excuse, so its exception is left out and said so.
  const noFm = compose(base, picks.filter((p) => p.name !== 'forceMajeureClause'), map);
  assert.deepEqual(noFm.dropped.map((d) => [d.clause, d.name, d.label.zh]), [['penalty', 'excused', '不可抗力']]);
  assert.ok(!/exception excused/.test(noFm.source));
  assert.deepEqual(compileSource(noFm.source).diagnostics.filter((d) => d.severity === 'error'), []);

  // Kept as parties of their own when the user says so.
  const own = compose(base, picks, { 'late-delivery/seller': null, 'late-delivery/buyer': null });
  assert.deepEqual(compileSource(own.source).contract.parties.map((p) => p.name), ['client', 'contractor', 'seller', 'buyer']);
  assert.deepEqual(partiesOf(base).map((p) => p.label.zh), ['委托方', '受托方']);
});

test('a date term whose sample lies in the past starts 30 days from now, written like the sample', () => {
  const now = Date.parse('2026-05-10T12:00:00+08:00');
  assert.equal(freshDate('2024-09-30T18:00:00+08:00', now), '2026-06-09T18:00:00+08:00');
  assert.equal(freshDate('2024-03-01', now), '2026-06-09');
  assert.equal(freshDate('2030-01-01', now), '2030-01-01', 'a future sample stays');
  assert.equal(freshDate('not a date', now), 'not a date');
  assert.ok(Date.parse(freshDate('2024-09-30T18:00:00+08:00', Date.now())) > Date.now());
});

test('lex speaks Chinese to the console: findings, field hints, paramsError and scenario names', () => {
  const base = lib('payment-on-signature');
  const penalty = clausesOf('late-delivery', lib('late-delivery')).find((c) => c.name === 'penalty')!;
  const { diagnostics } = compile(parseTemplate(compose(base, [...clausesOf('payment-on-signature', base), penalty]).source));
  // The penalty clause without the clauses it needs: its definition is never used (the English-only warning of #15).
  const unused = diagnostics.find((d) => d.code === 'LEX_UNUSED');
  assert.ok(unused?.zh && CJK.test(unused.zh) && unused.zh.includes('penalty'), JSON.stringify(diagnostics));
  for (const name of readdirSync(join(repoRoot, 'contracts')).filter((n) => !n.includes('solidity'))) {
    const s = summarize(compileSource(lib(name)).contract);
    for (const p of s.params) assert.ok(CJK.test(p.typeWordsZh), `${name}.${p.name}: ${p.typeWordsZh}`);
  }
  const report = runScenarios(join(repoRoot, 'contracts', 'late-delivery'));
  assert.ok(report.ok);
  for (const f of report.templates[0]!.files) assert.ok(f.nameZh && CJK.test(f.nameZh) && f.nameZh !== f.name, f.file);
});

test('durations and sizes in human units', () => {
  assert.deepEqual([fmtDuration(850, 'zh'), fmtDuration(1500, 'en'), fmtDuration(45_000, 'zh')], ['850 毫秒', '1.5 s', '45 秒']);
  assert.deepEqual([fmtDuration(9_960_000, 'zh'), fmtDuration(9_960_000, 'en')], ['2 小时 46 分钟', '2 h 46 min']);
  assert.deepEqual([fmtDuration(3 * 86_400_000 + 5_000, 'en'), fmtDuration(3_600_000, 'zh')], ['3 d', '1 小时']);
  assert.deepEqual([fmtBytes(512), fmtBytes(1536), fmtBytes(5 * 1024 ** 3), fmtBytes(null)], ['512 B', '1.5 KB', '5.0 GB', '—']);
});

test('every module a chain can run has its name and description in both languages in the console', async () => {
  const { knownModuleNames } = await import('../../src/modules/index.ts');
  const source = readFileSync(join(repoRoot, 'console/src/components.tsx'), 'utf8');
  const table = source.slice(source.indexOf('const MODULES'), source.indexOf('};', source.indexOf('const MODULES')));
  const described = new Set([...table.matchAll(/^\s+([a-z][a-zA-Z0-9]*): \['/gm)].map((m) => m[1]!));
  const missing = knownModuleNames().filter((m) => !described.has(m));
  assert.deepEqual(missing, [], `add these modules to MODULES in console/src/components.tsx (Chinese and English name and description): ${missing.join(', ')}`);
});
