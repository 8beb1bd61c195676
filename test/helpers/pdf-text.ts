/**
 * Reads the text back out of an uncompressed PDF written by pdfkit with an embedded font: the
 * font's ToUnicode CMap maps glyph codes to Unicode, and each `[<hex> …] TJ` in the content
 * streams is decoded through it. Enough for tests; not a general PDF parser.
 */
export interface PdfText {
  pages: number;
  text: string;
}

function utf16(hex: string): string {
  let s = '';
  for (let i = 0; i + 4 <= hex.length; i += 4) s += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16));
  return s;
}

export function pdfText(pdf: Buffer): PdfText {
  const src = pdf.toString('latin1');
  if (!src.startsWith('%PDF-')) throw new Error('not a PDF: it does not start with %PDF-');
  const pages = (src.match(/\/Type \/Page\b/g) ?? []).length;
  // ToUnicode CMaps: one per embedded font; codes are per font, so map per CMap and decode TJ
  // strings with the font selected by the preceding Tf (pdfkit writes /F1, /F2 … in order).
  const maps: Array<Map<number, string>> = [];
  for (const m of src.matchAll(/beginbfrange\s*([\s\S]*?)endbfrange/g)) {
    const map = new Map<number, string>();
    for (const r of m[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[([^\]]*)\]/g)) {
      const start = parseInt(r[1]!, 16);
      const entries = [...r[3]!.matchAll(/<([0-9a-fA-F ]*)>/g)].map((e) => utf16(e[1]!.replace(/ /g, '')));
      entries.forEach((u, i) => map.set(start + i, u));
    }
    maps.push(map);
  }
  // pdfkit here embeds one font, so one map serves (a glyph for two characters, such as a ligature, maps to both).
  const all = new Map<number, string>();
  for (const m of maps) for (const [k, v] of m) if (!all.has(k)) all.set(k, v);
  const out: string[] = [];
  for (const tj of src.matchAll(/\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\]\s*TJ/g)) {
    for (const h of tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)) {
      const hex = h[1]!;
      for (let i = 0; i + 4 <= hex.length; i += 4) out.push(all.get(parseInt(hex.slice(i, i + 4), 16)) ?? '\uFFFD');
    }
    out.push('\n');
  }
  return { pages, text: out.join('') };
}
