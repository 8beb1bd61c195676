import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '../src/codec/index.ts';
import { compileSource, readSample, renderPdf } from '../src/lex/index.ts';
import { findCjkFont } from '../src/lex/pdf.ts';
import { cliPath, repoRoot } from './helpers/node-process.ts';
import { pdfText } from './helpers/pdf-text.ts';
import { tempDir } from './helpers/tmp.ts';

const DIR = join(repoRoot, 'contracts/late-delivery');
const SOURCE = readFileSync(join(DIR, 'contract.lex'), 'utf8');
const SAMPLE = readSample(DIR);
const squeeze = (s: string): string => s.replace(/\s+/g, '');

test('lex PDF: the legal text in Chinese and English, with the parameters filled in', async () => {
  assert.ok(findCjkFont(), 'a CJK font is available (npm @embedpdf/fonts-sc)');
  const { contract } = compileSource(SOURCE);
  const params = { ...SAMPLE, goodsValue: 'CNY 123456.78', penaltyRate: '7.25%' };
  const expected: Record<'zh-CN' | 'en', string[]> = {
    'zh-CN': ['迟延交付与违约金', '人民币123,456.78元', '7.25%', '2024年3月1日零时', '不足一日的按一日计算', SAMPLE.seller as string, SAMPLE.buyer as string],
    en: ['Late Delivery and Penalty', '123,456.78', '7.25%', 'any part of a day counting as a full day', SAMPLE.seller as string, SAMPLE.buyer as string],
  };
  for (const lang of ['zh-CN', 'en'] as const) {
    const pdf = await renderPdf(contract, params, { lang, compress: false });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(pdf.subarray(-8).toString('latin1'), /%%EOF\s*$/);
    const { pages, text } = pdfText(pdf);
    assert.ok(pages >= 1, `${lang}: has pages`);
    assert.ok(!text.includes('\uFFFD'), `${lang}: every glyph maps back to text`);
    for (const e of expected[lang]) assert.ok(squeeze(text).includes(squeeze(e)), `${lang}: the PDF text contains ${e}`);
    // Compressed (the default) is a valid, smaller PDF.
    const small = await renderPdf(contract, params, { lang });
    assert.equal(small.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(small.length < pdf.length);
  }
  await assert.rejects(renderPdf(contract, { ...SAMPLE, goodsValue: 'lots' }, { lang: 'en' }), { code: 'BAD_PARAMS' });
});

test('lex PDF: shulian contract render --format pdf writes the file; a missing font is a clear error', () => {
  const tmp = tempDir();
  try {
    const out = join(tmp.dir, 'c.pdf');
    const run = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync(process.execPath, [cliPath, 'contract', 'render', DIR, '--params', join(DIR, 'sample.json'), '--format', 'pdf', ...args], { cwd: repoRoot, env, encoding: 'utf8' });
    const r = run(process.env, '--lang', 'zh-CN', '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as { bytes: number; format: string };
    assert.equal(res.format, 'pdf');
    const pdf = readFileSync(out);
    assert.equal(pdf.length, res.bytes);
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const noOut = run(process.env);
    assert.notEqual(noOut.status, 0);
    assert.match(noOut.stderr, /--out/);
    const noFont = run({ ...process.env, SHULIAN_CJK_FONT: join(tmp.dir, 'missing.ttf') }, '--out', join(tmp.dir, 'x.pdf'));
    assert.notEqual(noFont.status, 0);
    assert.match(noFont.stderr, /PDF_FONT_MISSING|missing\.ttf/);
  } finally {
    tmp.cleanup();
  }
});
