/**
 * PDF rendering of a contract's legal text (zh-CN and en) with pdfkit, from the same document
 * model as the Markdown and HTML renderings.
 *
 * Chinese needs a CJK font; none is downloaded at run time. Where the font comes from, first
 * found wins:
 *   1. SHULIAN_CJK_FONT (a .ttf, .otf or .ttc file; for a .ttc also SHULIAN_CJK_FONT_NAME, the
 *      PostScript name of the face),
 *   2. the npm package @embedpdf/fonts-sc (Noto Sans Hans, OFL-1.1) in node_modules,
 *   3. Debian's fonts-noto-cjk or fonts-wqy-microhei / fonts-wqy-zenhei at their system paths.
 * Without any, PDF rendering fails with LexError PDF_FONT_MISSING saying how to install one.
 * The same font is used for English so every glyph (quotes, ×, ≤) is present in both languages.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { JsonValue } from '../codec/index.ts';
import type { Contract } from './compiler.ts';
import { LexError } from './errors.ts';
import { renderDocument, sentence, type Block, type Lang } from './render.ts';

export interface CjkFont {
  path: string;
  /** PostScript name of the face inside a .ttc collection. */
  face?: string;
  source: 'env' | 'npm' | 'system';
}

const SYSTEM_FONTS: Array<{ path: string; face?: string }> = [
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', face: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc', face: 'NotoSerifCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', face: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', face: 'WenQuanYiZenHei' },
];

let found: CjkFont | null | undefined;

/** The CJK font PDF rendering uses, or null if there is none on this machine. */
export function findCjkFont(): CjkFont | null {
  if (found !== undefined) return found;
  const env = process.env.SHULIAN_CJK_FONT;
  if (env) {
    if (!existsSync(env)) throw new LexError('PDF_FONT_MISSING', `SHULIAN_CJK_FONT names ${env}, which does not exist.`, `SHULIAN_CJK_FONT指定的字体文件${env}不存在。`);
    return (found = { path: env, ...(process.env.SHULIAN_CJK_FONT_NAME ? { face: process.env.SHULIAN_CJK_FONT_NAME } : {}), source: 'env' });
  }
  // The package's exports hide its files from resolve(); look in each node_modules folder Node would search.
  for (const dir of createRequire(import.meta.url).resolve.paths('@embedpdf/fonts-sc') ?? []) {
    const p = join(dir, '@embedpdf', 'fonts-sc', 'fonts', 'NotoSansHans-Regular.otf');
    if (existsSync(p)) return (found = { path: p, source: 'npm' });
  }
  for (const f of SYSTEM_FONTS) if (existsSync(f.path)) return (found = { ...f, source: 'system' });
  return (found = null);
}

function fontOrThrow(): CjkFont {
  const f = findCjkFont();
  if (!f) {
    throw new LexError(
      'PDF_FONT_MISSING',
      'PDF rendering needs a font with Chinese glyphs and none was found: run `npm install` (it installs @embedpdf/fonts-sc), or `apt-get install fonts-noto-cjk`, or set SHULIAN_CJK_FONT to a .ttf/.otf file.',
      'PDF渲染需要包含中文字形的字体，但未找到：请运行`npm install`（安装@embedpdf/fonts-sc），或`apt-get install fonts-noto-cjk`，或将SHULIAN_CJK_FONT设为.ttf/.otf字体文件。',
    );
  }
  return f;
}

export interface PdfOptions {
  lang: Lang;
  /** Compress content streams (default true); tests turn it off to read the text back. */
  compress?: boolean;
  /** Document metadata. */
  subject?: string;
}

const SIZES: Record<number, number> = { 1: 18, 2: 14, 3: 12 };
const BODY = 10.5;

/**
 * The contract's legal text as a PDF (A4). Throws LexError BAD_PARAMS for parameters that do
 * not fit, BAD_LANGUAGE, or PDF_FONT_MISSING.
 */
export async function renderPdf(c: Contract, params: Record<string, JsonValue> | undefined, opts: PdfOptions): Promise<Buffer> {
  if (opts.lang !== 'en' && opts.lang !== 'zh-CN') {
    throw new LexError('BAD_LANGUAGE', `Unknown language "${String(opts.lang)}"; use "en" or "zh-CN".`, `未知语言"${String(opts.lang)}"；请使用"en"或"zh-CN"。`);
  }
  const doc = renderDocument(c, params, opts.lang);
  const font = fontOrThrow();
  const pdf = new PDFDocument({
    size: 'A4', margin: 56, compress: opts.compress ?? true, lang: opts.lang, displayTitle: true,
    info: { Title: doc.title, Subject: opts.subject ?? `${c.id} ${c.version} (${c.sourceHash})`, Creator: 'Shulian lex', Producer: 'Shulian lex (pdfkit)', CreationDate: new Date(0), ModDate: new Date(0) },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (b: Buffer) => chunks.push(b));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  if (font.face) pdf.registerFont('body', font.path, font.face);
  else pdf.registerFont('body', font.path);
  pdf.font('body');
  const width = pdf.page.width - pdf.page.margins.left - pdf.page.margins.right;
  const left = pdf.page.margins.left;
  const para = { width, lineGap: 3, align: 'left' as const };

  const list = (b: Extract<Block, { k: 'list' }>, indent: number): void => {
    for (const it of b.items) {
      const mark = it.mark === '-' ? '•' : it.mark;
      const markWidth = Math.max(pdf.widthOfString(mark) + 6, 22);
      const y = pdf.y;
      pdf.fontSize(BODY).text(mark, left + indent, y, { width: markWidth, lineBreak: false });
      pdf.text(sentence(doc, it.text), left + indent + markWidth, y, { ...para, width: width - indent - markWidth });
      pdf.moveDown(0.3);
      if (it.sub && it.sub.k === 'list') list(it.sub, indent + markWidth);
    }
  };
  const table = (b: Extract<Block, { k: 'table' }>): void => {
    const cols = b.head.length;
    const colWidth = width / cols;
    const row = (cells: string[], bold: boolean): void => {
      pdf.fontSize(bold ? BODY : BODY - 1);
      const h = Math.max(...cells.map((x) => pdf.heightOfString(x, { width: colWidth - 8 }))) + 6;
      if (pdf.y + h > pdf.page.height - pdf.page.margins.bottom) pdf.addPage();
      const y = pdf.y;
      cells.forEach((x, i) => {
        pdf.rect(left + i * colWidth, y, colWidth, h).lineWidth(0.5).stroke('#888888');
        pdf.fillColor('black').text(x, left + i * colWidth + 4, y + 3, { width: colWidth - 8 });
      });
      pdf.x = left;
      pdf.y = y + h;
    };
    row(b.head, true);
    for (const r of b.rows) row(r, false);
    pdf.moveDown(0.6);
  };

  for (const b of doc.blocks) {
    pdf.x = left;
    switch (b.k) {
      case 'h':
        pdf.moveDown(b.level === 1 ? 0 : 0.6);
        pdf.fontSize(SIZES[b.level] ?? 12).text(b.text, left, pdf.y, { width, align: b.level === 1 ? 'center' : 'left' });
        pdf.moveDown(0.4);
        break;
      case 'p':
        pdf.fontSize(BODY).text(sentence(doc, b.text), left, pdf.y, para);
        pdf.moveDown(0.5);
        break;
      case 'list':
        list(b, 0);
        pdf.moveDown(0.3);
        break;
      case 'table':
        table(b);
        break;
    }
  }
  pdf.end();
  return done;
}
