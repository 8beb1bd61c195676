/**
 * The import statements of one TypeScript/JavaScript source, found by a small lexer.
 *
 * Why not a library: dependency-cruiser (and madge, and eslint's import plugins) parse
 * TypeScript with the `typescript` package's JavaScript compiler API, and this project uses
 * TypeScript 7 (the native port), whose package ships no such API; their fallbacks parse
 * TypeScript as JavaScript and lose imports. Imports are a small part of the grammar: the lexer
 * below skips comments, strings, template literals (but not the code inside `${}`) and regular
 * expression literals, so that only real statements are read, and then reads these forms:
 *
 *   import x from 'a'; import type { T } from 'a'; import * as n from 'a'; import 'a';
 *   export * from 'a'; export { x, type T } from 'a'; export type * from 'a';
 *   import('a') (dynamic, with a string literal); new URL('./worker.mjs', import.meta.url)
 *
 * Each import comes back with its line and whether it is type-only (the rules count both kinds:
 * a layer's types are part of what it depends on).
 */

const KEYWORDS_BEFORE_REGEX = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);
const ID_START = /[A-Za-z_$\u0080-\uffff]/;
const ID_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

export interface Token {
  /** identifier or keyword, string literal, punctuator */
  t: 'id' | 'str' | 'p';
  v: string;
  line: number;
}

export interface ImportRef {
  specifier: string;
  line: number;
  typeOnly: boolean;
  kind: 'static' | 'dynamic' | 'url';
}

/**
 * Tokens of the source: identifiers/keywords, string literals and punctuators; numbers and
 * template text come back as placeholders, comments and regexes not at all.
 */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  /** Brace depth per open `${`, so the `}` that closes one resumes the template. */
  const templates: number[] = [];
  let depth = 0;
  const n = src.length;
  const regexAllowed = (): boolean => {
    const prev = out[out.length - 1];
    if (!prev) return true;
    if (prev.t === 'str') return false;
    if (prev.t === 'id') return KEYWORDS_BEFORE_REGEX.has(prev.v);
    return !(prev.v === ')' || prev.v === ']' || prev.v === '}');
  };
  const skipString = (quote: string): string => {
    let v = '';
    i++;
    while (i < n && src[i] !== quote) {
      if (src[i] === '\\') { v += src[i + 1] ?? ''; i += 2; continue; }
      if (src[i] === '\n') break; // unterminated: stop at the line's end
      v += src[i++];
    }
    i++;
    return v;
  };
  /** Template text from i (just after ` or }) to its end or the next `${`; true when ${ opened. */
  const skipTemplate = (): boolean => {
    while (i < n) {
      const c = src[i];
      if (c === '\\') { i += 2; continue; }
      if (c === '\n') line++;
      if (c === '`') { i++; return false; }
      if (c === '$' && src[i + 1] === '{') { i += 2; return true; }
      i++;
    }
    return false;
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\uFEFF') { i++; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < n && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '\'' || c === '"') { const at = line; out.push({ t: 'str', v: skipString(c), line: at }); continue; }
    if (c === '`') {
      i++;
      if (skipTemplate()) { templates.push(depth); depth = 0; }
      out.push({ t: 'p', v: '`', line });
      continue;
    }
    if (c === '/' && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < n && src[i] !== '\n') {
        if (src[i] === '\\') { i += 2; continue; }
        if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        else if (src[i] === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && ID_PART.test(src[i]!)) i++;
      out.push({ t: 'p', v: '/re/', line });
      continue;
    }
    if (ID_START.test(c)) {
      let j = i + 1;
      while (j < n && ID_PART.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < n && /[0-9A-Za-z_.]/.test(src[i]!)) i++;
      out.push({ t: 'p', v: '0', line });
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') {
      if (depth === 0 && templates.length > 0) {
        depth = templates.pop()!;
        i++;
        if (skipTemplate()) { templates.push(depth); depth = 0; }
        out.push({ t: 'p', v: '`', line });
        continue;
      }
      depth--;
    }
    out.push({ t: 'p', v: c, line });
    i++;
  }
  return out;
}

/** Tokens that may stand between `import`/`export` and `from` in an import or re-export. */
const isClauseToken = (tok: Token): boolean => tok.t === 'id' || (tok.t === 'p' && (tok.v === '{' || tok.v === '}' || tok.v === ',' || tok.v === '*'));

/** The imports of one source file, in order. */
export function importsOf(src: string): ImportRef[] {
  const toks = tokenize(src);
  const refs: ImportRef[] = [];
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k]!;
    if (tok.t !== 'id' || (tok.v !== 'import' && tok.v !== 'export')) continue;
    const prev = toks[k - 1];
    if (prev && prev.t === 'p' && prev.v === '.') continue; // x.import, not a statement
    const next = toks[k + 1];
    if (!next) continue;
    if (tok.v === 'import' && next.t === 'p' && next.v === '.') continue; // import.meta
    if (tok.v === 'import' && next.t === 'str') { refs.push({ specifier: next.v, line: tok.line, typeOnly: false, kind: 'static' }); continue; }
    if (tok.v === 'import' && next.t === 'p' && next.v === '(') {
      const arg = toks[k + 2];
      const close = toks[k + 3];
      if (arg?.t === 'str' && close?.t === 'p' && (close.v === ')' || close.v === ',')) {
        refs.push({ specifier: arg.v, line: tok.line, typeOnly: false, kind: 'dynamic' });
      }
      continue;
    }
    // import <clause> from 'x' / export <clause> from 'x'
    let j = k + 1;
    const clause: Token[] = [];
    while (j < toks.length && isClauseToken(toks[j]!) && !(toks[j]!.t === 'id' && toks[j]!.v === 'from' && toks[j + 1]?.t === 'str')) {
      clause.push(toks[j]!);
      j++;
      if (clause.length > 2000) break;
    }
    const from = toks[j];
    const spec = toks[j + 1];
    if (!from || from.v !== 'from' || spec?.t !== 'str' || clause.length === 0) continue;
    if (tok.v === 'export') {
      // `export const from = ...` and friends: a re-export clause starts with `*`, `{` or `type`.
      const first = clause[0]!;
      if (!(first.v === '*' || first.v === '{' || first.v === 'type')) continue;
    }
    const typeOnly = clause[0]!.t === 'id' && clause[0]!.v === 'type' && clause.length > 1;
    refs.push({ specifier: spec.v, line: tok.line, typeOnly, kind: 'static' });
  }
  // new URL('./worker.mjs', import.meta.url)
  const at = (k: number): Token => toks[k]!;
  for (let k = 0; k + 7 < toks.length; k++) {
    if (at(k).v === 'new' && at(k + 1).v === 'URL' && at(k + 2).v === '(' && at(k + 3).t === 'str' && at(k + 4).v === ','
      && at(k + 5).v === 'import' && at(k + 6).v === '.' && at(k + 7).v === 'meta') {
      refs.push({ specifier: at(k + 3).v, line: at(k).line, typeOnly: false, kind: 'url' });
    }
  }
  return refs;
}
