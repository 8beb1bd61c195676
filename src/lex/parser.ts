/**
 * Parser for lex templates. Work is linear in the size of the source: one pass splits lines,
 * one pass tokenises each line, blocks come from indentation, and expressions are parsed by
 * recursive descent whose depth is capped (NESTING_TOO_DEEP), and so is the depth of the tree it
 * builds (chains of operators deepen the tree without recursing), so no input can exhaust the stack
 * of the parser or of the compiler, renderer and interpreter that walk the tree.
 * Errors are collected per declaration, so one mistake does not hide the others.
 */
import { exprDepth } from './ast.ts';
import type {
  BinOp, ClauseDecl, ClauseItem, DefineDecl, EnumDecl, ExceptionDecl, Expr, FieldDecl, HandlerDecl, IfShort, Label,
  ObligationDecl, ParamDecl, PartyDecl, Prose, RecordDecl, Share, StateDecl, Stmt, TemplateAst, TierRow, TiersDecl, TypeExpr,
} from './ast.ts';
import type { Diagnostic, Pos } from './errors.ts';
import { parseOffset, type DurationUnit, type PeriodUnit, type RoundingMode } from './values.ts';

/** Templates larger than this are refused before any work is done. */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
/** Nesting of expressions (parentheses, operators, if/then/else). */
export const MAX_EXPR_DEPTH = 64;
/**
 * Depth of one expression's tree, counting every operator: `a + b + c` is three levels. The
 * compiler, renderer and interpreter recurse on the tree; this keeps them far from the stack's end.
 */
export const MAX_EXPR_TREE_DEPTH = 256;
/** Nesting of indented blocks. */
export const MAX_BLOCK_DEPTH = 16;

export const RESERVED = new Set([
  'contract', 'version', 'title', 'timezone', 'currency', 'party', 'param', 'state', 'enum', 'record', 'tiers', 'clause',
  'define', 'exception', 'obligation', 'on', 'permission', 'with', 'require', 'let', 'set', 'append', 'if', 'then', 'else',
  'for', 'each', 'in', 'to', 'from', 'pay', 'split', 'withhold', 'terminate', 'respond', 'and', 'or', 'not', 'of', 'capped',
  'at', 'rounded', 'true', 'false', 'now', 'sender', 'min', 'max', 'count', 'sum', 'when', 'by', 'anyone', 'contains',
  'seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'years',
]);
/** Singular units ("1 day") count as units only right after a number, so they stay usable as names. */
const SINGULAR_UNITS = new Set(['second', 'minute', 'hour', 'day', 'week', 'month', 'year']);

const DURATION_WORDS: Record<string, DurationUnit | PeriodUnit> = {
  second: 'seconds', seconds: 'seconds', minute: 'minutes', minutes: 'minutes', hour: 'hours', hours: 'hours',
  day: 'days', days: 'days', week: 'weeks', weeks: 'weeks', month: 'months', months: 'months', year: 'years', years: 'years',
};

// ---------------------------------------------------------------------------------------------
// Tokens and lines

type TokKind = 'id' | 'num' | 'pct' | 'str' | 'date' | 'op';
interface Tok {
  kind: TokKind;
  v: string;
  line: number;
  column: number;
}

interface CodeLine {
  kind: 'code';
  indent: number;
  line: number;
  column: number;
  raw: string;
  toks: Tok[];
}
interface ProseLine {
  kind: 'prose';
  indent: number;
  line: number;
  column: number;
  lang: 'en' | 'zh';
  text: string;
}
type Line = CodeLine | ProseLine;

interface Node {
  line: Line;
  children: Node[];
}

class ParseFail extends Error {
  readonly pos: Pos;
  readonly code: string;
  constructor(code: string, message: string, pos: Pos) {
    super(message);
    this.code = code;
    this.pos = pos;
  }
}

const fail = (message: string, pos: Pos, code = 'LEX_SYNTAX'): ParseFail => new ParseFail(code, message, pos);

const OPS2 = new Set(['<=', '>=', '!=']);
const OPS1 = new Set(['<', '>', '=', '+', '-', '*', '/', '(', ')', ',', ':', '.', '|', '{', '}', '[', ']', ';', '%']);
/**
 * Words and operators that, starting a more indented line, continue the line before: an
 * `if … then … else …` value may put its `then` and `else` on lines of their own.
 */
const STARTS = new Set(['capped', 'rounded', 'and', 'or', '+', '*', '/', 'of', 'at', 'applied', 'then', 'else']);
const CONTINUES = new Set(['+', '-', '*', '/', '=', '<', '>', '<=', '>=', '!=', ',', '(', '{', '[', '|', 'and', 'or', 'not', 'of', 'at', 'to', 'then', 'else', 'applied', 'capped']);

/** How to write a conditional value over several lines, for the errors that point there. */
const MULTILINE_IF = 'To write "if … then … else …" over several lines, start the "then" and the "else" on lines of their own, indented further than the line the rule starts on (or put the whole value in brackets).';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || isDigit(c);
}

const DATE_AT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?/;

/** Tokenises one physical line of code from column `start`; `--` starts a comment. */
function tokenize(text: string, lineNo: number, start: number, out: Tok[], diags: Diagnostic[], file?: string): void {
  let i = start;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      i++;
      continue;
    }
    const column = i + 1;
    if (c === 9) {
      diags.push({ severity: 'error', code: 'LEX_TAB', message: 'A tab character is used here; use spaces instead, so that the layout of the clause is the same for every reader.', line: lineNo, column, file });
      i++;
      continue;
    }
    if (c === 45 && text.charCodeAt(i + 1) === 45) return; // -- comment
    if (isDigit(c)) {
      if (isDigit(text.charCodeAt(i + 1)) && isDigit(text.charCodeAt(i + 2)) && isDigit(text.charCodeAt(i + 3)) && text.charCodeAt(i + 4) === 45) {
        const m = DATE_AT.exec(text.slice(i, i + 19));
        if (m) {
          out.push({ kind: 'date', v: m[0], line: lineNo, column });
          i += m[0].length;
          continue;
        }
      }
      let j = i;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
        j++;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
      }
      if (j - i > 60) {
        diags.push({ severity: 'error', code: 'LEX_NUMBER', message: 'This number has more than 60 digits; no contract term needs that many.', line: lineNo, column, file });
      }
      if (text.charCodeAt(j) === 37) {
        out.push({ kind: 'pct', v: text.slice(i, j), line: lineNo, column });
        i = j + 1;
      } else {
        out.push({ kind: 'num', v: text.slice(i, j), line: lineNo, column });
        i = j;
      }
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdPart(text.charCodeAt(j))) j++;
      out.push({ kind: 'id', v: text.slice(i, j), line: lineNo, column });
      i = j;
      continue;
    }
    if (c === 34) {
      let j = i + 1;
      let s = '';
      let closed = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92 && j + 1 < n) {
          const e = text[j + 1];
          s += e === 'n' ? '\n' : e;
          j += 2;
          continue;
        }
        if (d === 34) {
          closed = true;
          break;
        }
        s += text[j];
        j++;
      }
      if (!closed) {
        diags.push({ severity: 'error', code: 'LEX_STRING', message: 'This quoted text has no closing quotation mark (") on the same line.', line: lineNo, column, file });
        return;
      }
      out.push({ kind: 'str', v: s, line: lineNo, column });
      i = j + 1;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (OPS2.has(two)) {
      out.push({ kind: 'op', v: two, line: lineNo, column });
      i += 2;
      continue;
    }
    const one = text[i]!;
    if (OPS1.has(one)) {
      out.push({ kind: 'op', v: one, line: lineNo, column });
      i++;
      continue;
    }
    diags.push({ severity: 'error', code: 'LEX_CHARACTER', message: `The character "${one}" cannot be used in a rule. Legal wording goes on lines that start with "en:" or "zh:", or between quotation marks.`, line: lineNo, column, file });
    i++;
  }
}

function bracketBalance(toks: Tok[], from: number): number {
  let depth = 0;
  for (let i = from; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind !== 'op') continue;
    if (t.v === '(' || t.v === '{' || t.v === '[') depth++;
    else if (t.v === ')' || t.v === '}' || t.v === ']') depth--;
  }
  return depth;
}

/** Splits the source into logical lines: prose lines, and code lines joined across continuations. */
function lines(source: string, diags: Diagnostic[], file?: string): Line[] {
  const out: Line[] = [];
  let pending: CodeLine | undefined;
  let depth = 0;
  let pos = 0;
  let lineNo = 0;
  const n = source.length;
  while (pos <= n) {
    let end = source.indexOf('\n', pos);
    if (end < 0) end = n;
    let text = source.slice(pos, end);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    lineNo++;
    pos = end + 1;
    let ind = 0;
    while (ind < text.length && text.charCodeAt(ind) === 32) ind++;
    const body = text.slice(ind);
    if (pending) {
      if (body.length === 0 || body.startsWith('--')) {
        if (end >= n) break;
        continue;
      }
      const before = pending.toks.length;
      tokenize(text, lineNo, ind, pending.toks, diags, file);
      pending.raw += ' ' + body;
      depth += bracketBalance(pending.toks, before);
      const last = pending.toks[pending.toks.length - 1];
      if (depth <= 0 && !(last && CONTINUES.has(last.v) && last.kind !== 'str')) {
        out.push(pending);
        pending = undefined;
        depth = 0;
      }
      if (end >= n) break;
      continue;
    }
    if (body.length === 0 || body.startsWith('--')) {
      if (end >= n) break;
      continue;
    }
    const prose = /^(en|zh|zh-CN):(?:\s|$)/.exec(body);
    if (prose) {
      out.push({ kind: 'prose', indent: ind, line: lineNo, column: ind + 1, lang: prose[1] === 'en' ? 'en' : 'zh', text: body.slice(prose[0].length).trim() });
      if (end >= n) break;
      continue;
    }
    const line: CodeLine = { kind: 'code', indent: ind, line: lineNo, column: ind + 1, raw: body, toks: [] };
    tokenize(text, lineNo, ind, line.toks, diags, file);
    if (line.toks.length === 0) {
      if (end >= n) break;
      continue;
    }
    // A more indented line that starts with an operator continues the line before it:
    //   define penalty "…" | "…" = rate of price rounded half up
    //     capped at cap of price
    const prev = out[out.length - 1];
    const first = line.toks[0]!;
    if (prev && prev.kind === 'code' && ind > prev.indent && first.kind !== 'str' && STARTS.has(first.v)) {
      prev.toks.push(...line.toks);
      prev.raw += ' ' + body;
      const last = line.toks[line.toks.length - 1]!;
      depth = bracketBalance(prev.toks, 0);
      if (depth > 0 || (CONTINUES.has(last.v) && last.kind !== 'str')) {
        out.pop();
        pending = prev;
      }
      if (end >= n) break;
      continue;
    }
    depth = bracketBalance(line.toks, 0);
    const last = line.toks[line.toks.length - 1]!;
    if (depth > 0 || (CONTINUES.has(last.v) && last.kind !== 'str' && !(line.toks.length === 1))) {
      pending = line;
    } else {
      out.push(line);
      depth = 0;
    }
    if (end >= n) break;
  }
  if (pending) out.push(pending);
  return out;
}

/** Builds the block tree from indentation. */
function tree(ls: Line[], diags: Diagnostic[], file?: string): Node[] {
  const root: Node[] = [];
  const stack: Node[] = [];
  for (const line of ls) {
    while (stack.length > 0 && stack[stack.length - 1]!.line.indent >= line.indent) stack.pop();
    const node: Node = { line, children: [] };
    if (stack.length === 0) root.push(node);
    else stack[stack.length - 1]!.children.push(node);
    if (stack.length >= MAX_BLOCK_DEPTH) {
      diags.push({ severity: 'error', code: 'LEX_NESTING_TOO_DEEP', message: `Blocks are nested more than ${MAX_BLOCK_DEPTH} levels deep here. Split the rule into separate definitions or clauses so a reader can follow it.`, line: line.line, column: line.column, file });
      continue;
    }
    stack.push(node);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Token cursor and expressions

class Cursor {
  private i = 0;
  private depth = 0;
  readonly toks: Tok[];
  readonly end: Pos;
  constructor(line: CodeLine) {
    this.toks = line.toks;
    const last = line.toks[line.toks.length - 1];
    this.end = last ? { line: last.line, column: last.column + last.v.length } : { line: line.line, column: line.column };
  }
  peek(k = 0): Tok | undefined {
    return this.toks[this.i + k];
  }
  pos(): Pos {
    const t = this.toks[this.i];
    return t ? { line: t.line, column: t.column } : this.end;
  }
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }
  next(): Tok {
    const t = this.toks[this.i];
    if (!t) throw fail('The line ends too early: something is missing at its end.', this.end);
    this.i++;
    return t;
  }
  is(v: string, k = 0): boolean {
    const t = this.toks[this.i + k];
    return t !== undefined && (t.kind === 'id' || t.kind === 'op') && t.v === v;
  }
  accept(v: string): boolean {
    if (this.is(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(v: string, what?: string): Tok {
    const t = this.peek();
    if (!t || !((t.kind === 'id' || t.kind === 'op') && t.v === v)) {
      throw fail(`Expected ${what ?? `"${v}"`} here${t ? `, but found ${describe(t)}` : ', but the line ended'}.`, this.pos());
    }
    this.i++;
    return t;
  }
  ident(what: string): { name: string; pos: Pos } {
    const t = this.peek();
    if (!t || t.kind !== 'id') throw fail(`Expected ${what} here${t ? `, but found ${describe(t)}` : ', but the line ended'}.`, this.pos());
    this.i++;
    return { name: t.v, pos: { line: t.line, column: t.column } };
  }
  done(what: string): void {
    const t = this.peek();
    if (t) throw fail(`Unexpected ${describe(t)} after ${what}.`, this.pos());
  }

  // labels: "English" | "中文"
  label(what: string): Label {
    const t = this.peek();
    if (!t || t.kind !== 'str') throw fail(`Expected the wording of ${what} in quotation marks, in English and Chinese: "English" | "中文".`, this.pos());
    this.i++;
    const pos = { line: t.line, column: t.column };
    if (!this.accept('|')) throw fail(`${what[0]!.toUpperCase()}${what.slice(1)} needs both languages: write "${t.v}" | "中文措辞".`, this.pos());
    const z = this.peek();
    if (!z || z.kind !== 'str') throw fail(`Expected the Chinese wording of ${what} in quotation marks after "|".`, this.pos());
    this.i++;
    if (t.v.trim() === '' || z.v.trim() === '') throw fail(`The wording of ${what} must not be empty.`, pos);
    return { en: t.v, zh: z.v, pos };
  }

  private enter(): void {
    if (++this.depth > MAX_EXPR_DEPTH) {
      throw fail(`This expression is nested more than ${MAX_EXPR_DEPTH} levels deep. Give its parts names with "define" or "let" so a reader can follow it.`, this.pos(), 'LEX_NESTING_TOO_DEEP');
    }
  }

  expr(): Expr {
    const pos = this.pos();
    this.enter();
    try {
      const e = this.exprInner();
      // Checked once, on the outermost expression (the parser's own recursion is capped by enter()).
      if (this.depth === 1 && exprDepth(e, MAX_EXPR_TREE_DEPTH) > MAX_EXPR_TREE_DEPTH) {
        throw fail(`This expression has more than ${MAX_EXPR_TREE_DEPTH} operations nested in one another (a + b + c counts as three levels). Give its parts names with "define" or "let" so a reader can follow it.`, pos, 'LEX_NESTING_TOO_DEEP');
      }
      return e;
    } finally {
      this.depth--;
    }
  }

  private exprInner(): Expr {
    if (this.is('if')) {
      const pos = this.pos();
      this.next();
      const c = this.expr();
      if (this.atEnd()) throw fail(`Expected "then" and the value that applies if the condition holds, but the line ended. ${MULTILINE_IF}`, this.pos());
      this.expect('then', '"then"');
      const a = this.expr();
      if (this.atEnd()) throw fail(`Expected "else" and the value that applies otherwise, but the line ended: an "if … then …" value needs an "else". ${MULTILINE_IF}`, this.pos());
      this.expect('else', '"else" (an "if … then …" needs an "else" to say what applies otherwise)');
      const b = this.expr();
      return { k: 'if', c, a, b, pos };
    }
    return this.or();
  }
  private or(): Expr {
    let a = this.and();
    while (this.is('or')) {
      const pos = this.pos();
      this.next();
      a = { k: 'bin', op: 'or', a, b: this.and(), pos };
    }
    return a;
  }
  private and(): Expr {
    let a = this.not();
    while (this.is('and')) {
      const pos = this.pos();
      this.next();
      a = { k: 'bin', op: 'and', a, b: this.not(), pos };
    }
    return a;
  }
  private not(): Expr {
    if (this.is('not')) {
      const pos = this.pos();
      this.next();
      this.enter();
      try {
        return { k: 'not', e: this.not(), pos };
      } finally {
        this.depth--;
      }
    }
    return this.cmp();
  }
  private cmp(): Expr {
    const a = this.cap();
    const t = this.peek();
    if (t && t.kind === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      const pos = this.pos();
      this.next();
      return { k: 'bin', op: t.v as BinOp, a, b: this.cap(), pos };
    }
    if (this.is('contains')) {
      const pos = this.pos();
      this.next();
      return { k: 'bin', op: 'contains', a, b: this.cap(), pos };
    }
    return a;
  }
  private cap(): Expr {
    let a = this.round();
    for (;;) {
      if (this.is('capped') && this.is('at', 1)) {
        const pos = this.pos();
        this.i += 2;
        a = { k: 'bin', op: 'capped', a, b: this.round(), pos };
      } else if (this.is('at') && this.is('least', 1)) {
        const pos = this.pos();
        this.i += 2;
        a = { k: 'bin', op: 'atleast', a, b: this.round(), pos };
      } else return a;
    }
  }
  private round(): Expr {
    let e = this.add();
    for (;;) {
      if (this.is('rounded')) {
        const pos = this.pos();
        this.next();
        e = { k: 'round', e, mode: this.mode(), pos };
      } else if (this.is('in')) {
        const pos = this.pos();
        this.next();
        const u = this.peek();
        if (!u) throw fail('Expected a unit of time after "in" (days, hours, minutes, seconds or weeks, or a term that is a length of time), but the line ended.', this.pos());
        const unit = u.kind === 'id' ? DURATION_WORDS[u.v] : undefined;
        if (unit === 'months' || unit === 'years') {
          throw fail(`"${u.v}" is not a unit a duration can be counted in: months and years differ in length. Use days, hours, minutes, seconds or weeks, or a term that is a length of time.`, { line: u.line, column: u.column });
        }
        if (unit) {
          this.next();
          e = { k: 'in', e, unit: unit as DurationUnit, pos };
        } else {
          // a length of time as the unit: a term (`in billingUnit`) or a literal (`in 15 minutes`)
          e = { k: 'in', e, per: this.postfix(), pos };
        }
      } else return e;
    }
  }
  private mode(): RoundingMode {
    const t = this.ident('how to round: up, down, half up, half down or half even');
    if (t.name === 'up') return 'up';
    if (t.name === 'down') return 'down';
    if (t.name === 'half') {
      const h = this.ident('up, down or even after "half"');
      if (h.name === 'up') return 'half-up';
      if (h.name === 'down') return 'half-down';
      if (h.name === 'even') return 'half-even';
      throw fail('After "rounded half" write up, down or even.', h.pos);
    }
    throw fail(`"${t.name}" is not a way of rounding; write rounded up, rounded down, rounded half up, rounded half down or rounded half even.`, t.pos);
  }
  private add(): Expr {
    let a = this.mul();
    for (;;) {
      const t = this.peek();
      if (t && t.kind === 'op' && (t.v === '+' || t.v === '-')) {
        const pos = this.pos();
        this.next();
        a = { k: 'bin', op: t.v, a, b: this.mul(), pos };
      } else return a;
    }
  }
  private mul(): Expr {
    let a = this.of();
    for (;;) {
      const t = this.peek();
      if (t && t.kind === 'op' && (t.v === '*' || t.v === '/')) {
        const pos = this.pos();
        this.next();
        a = { k: 'bin', op: t.v, a, b: this.of(), pos };
      } else return a;
    }
  }
  private of(): Expr {
    let a = this.unary();
    while (this.is('of')) {
      const pos = this.pos();
      this.next();
      a = { k: 'bin', op: 'of', a, b: this.unary(), pos };
    }
    return a;
  }
  private unary(): Expr {
    if (this.is('-')) {
      const pos = this.pos();
      this.next();
      this.enter();
      try {
        return { k: 'neg', e: this.unary(), pos };
      } finally {
        this.depth--;
      }
    }
    return this.postfix();
  }
  private postfix(): Expr {
    let e = this.primary();
    while (this.is('.')) {
      this.next();
      const f = this.ident('a field name after "."');
      e = { k: 'field', obj: e, field: f.name, pos: f.pos };
    }
    const u = this.peek();
    if (u && u.kind === 'id' && DURATION_WORDS[u.v] !== undefined && e.k !== 'money' && (!SINGULAR_UNITS.has(u.v) || e.k === 'num')) {
      this.next();
      e = { k: 'unit', e, unit: DURATION_WORDS[u.v]!, pos: { line: u.line, column: u.column } };
    }
    return e;
  }
  private primary(): Expr {
    const t = this.peek();
    const pos = this.pos();
    if (!t) throw fail('A value is missing at the end of this line.', pos);
    if (t.kind === 'num') {
      this.next();
      const c = this.peek();
      if (c && c.kind === 'id' && /^[A-Z]{3}$/.test(c.v)) {
        this.next();
        return { k: 'money', text: t.v, cur: c.v, pos };
      }
      return { k: 'num', text: t.v, pct: false, pos };
    }
    if (t.kind === 'pct') {
      this.next();
      return { k: 'num', text: t.v, pct: true, pos };
    }
    if (t.kind === 'date') {
      this.next();
      return { k: 'date', text: t.v, pos };
    }
    if (t.kind === 'str') {
      this.next();
      return { k: 'str', value: t.v, pos };
    }
    if (t.kind === 'op' && t.v === '(') {
      this.next();
      const e = this.expr();
      this.expect(')', 'a closing parenthesis ")"');
      return e;
    }
    if (t.kind === 'op' && t.v === '[') {
      this.next();
      const items: Expr[] = [];
      if (!this.is(']')) {
        do items.push(this.expr());
        while (this.accept(','));
      }
      this.expect(']', 'a closing bracket "]"');
      return { k: 'list', items, pos };
    }
    if (t.kind === 'id') {
      switch (t.v) {
        case 'true':
        case 'false':
          this.next();
          return { k: 'bool', value: t.v === 'true', pos };
        case 'now':
          this.next();
          return { k: 'now', pos };
        case 'sender':
          this.next();
          return { k: 'sender', pos };
        case 'min':
        case 'max':
        case 'count':
        case 'sum': {
          this.next();
          this.expect('(', `"(" after ${t.v}`);
          const args: Expr[] = [];
          if (!this.is(')')) {
            do args.push(this.expr());
            while (this.accept(','));
          }
          this.expect(')', 'a closing parenthesis ")"');
          return { k: 'call', fn: t.v, args, pos };
        }
        default:
          break;
      }
      if (RESERVED.has(t.v)) throw fail(`Expected a value here, but found the word "${t.v}", which has a fixed meaning in rules.`, pos);
      this.next();
      if (this.is('applied') && this.is('to', 1)) {
        this.i += 2;
        return { k: 'tier', tiers: t.v, how: 'applied', e: this.add(), pos };
      }
      if (this.is('rate') && this.is('for', 1)) {
        this.i += 2;
        return { k: 'tier', tiers: t.v, how: 'rate', e: this.add(), pos };
      }
      if (this.is('{') && /^[A-Z]/.test(t.v)) {
        this.next();
        const fields: Array<{ name: string; e: Expr; pos: Pos }> = [];
        if (!this.is('}')) {
          do {
            const f = this.ident('a field name');
            this.expect(':', '":" after the field name');
            fields.push({ name: f.name, e: this.expr(), pos: f.pos });
          } while (this.accept(','));
        }
        this.expect('}', 'a closing brace "}"');
        return { k: 'record', type: t.v, fields, pos };
      }
      return { k: 'name', name: t.v, pos };
    }
    throw fail(`Expected a value here, but found ${describe(t)}.`, pos);
  }
}

function describe(t: Tok): string {
  if (t.kind === 'str') return `the quoted text "${t.v.length > 30 ? t.v.slice(0, 30) + '…' : t.v}"`;
  if (t.kind === 'id') return `the word "${t.v}"`;
  if (t.kind === 'pct') return `${t.v}%`;
  return `"${t.v}"`;
}

function typeExpr(c: Cursor): TypeExpr {
  const id = c.ident('a type (Int, Decimal, Percent, Money, Date, Duration, Period, Bool, Text, DID, List, or the name of an enum or record)');
  const te: TypeExpr = { name: id.name, pos: id.pos };
  if (id.name === 'Money' && c.accept('(')) {
    const cur = c.ident('an ISO 4217 currency code such as CNY, or "any"');
    te.currency = cur.name;
    c.expect(')', '")"');
  } else if (id.name === 'List') {
    c.expect('(', '"(" after List: List(Type, maximum length)');
    te.elem = typeExpr(c);
    c.expect(',', '"," and the maximum number of items');
    const n = c.next();
    if (n.kind !== 'num' || !/^\d+$/.test(n.v)) throw fail('The maximum length of a list must be a whole number.', { line: n.line, column: n.column });
    te.max = Number(n.v);
    c.expect(')', '")"');
  }
  return te;
}

// ---------------------------------------------------------------------------------------------
// Declarations

function posOf(l: Line): Pos {
  return { line: l.line, column: l.column };
}

function cursorOf(node: Node): Cursor {
  if (node.line.kind !== 'code') throw fail('Expected a rule here, not legal wording.', posOf(node.line));
  return new Cursor(node.line);
}

/** A line that starts with "then" or "else" but is not indented under the rule it continues. */
function strayThenElse(word: string, pos: Pos): ParseFail {
  return fail(`A line cannot start with "${word}" here. If it continues an "if … then … else …" value on the line above, indent it further than the line that rule starts on, so that it continues it.`, pos);
}

class Parser {
  readonly diags: Diagnostic[];
  readonly file?: string;
  /** Names whose declaration did not parse (see TemplateAst.broken). */
  readonly broken = new Set<string>();
  constructor(diags: Diagnostic[], file?: string) {
    this.diags = diags;
    if (file !== undefined) this.file = file;
  }

  /** Runs the rest of a declaration of `name`; if it fails, `name` is remembered as broken. */
  named<T>(name: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      this.broken.add(name);
      throw e;
    }
  }

  error(e: unknown): void {
    if (e instanceof ParseFail) {
      this.diags.push({ severity: 'error', code: e.code, message: e.message, line: e.pos.line, column: e.pos.column, file: this.file });
      return;
    }
    throw e;
  }

  /** Groups consecutive prose lines into paragraphs: each paragraph has English and Chinese. */
  prose(nodes: Node[], start: number): { prose: Prose; next: number } {
    const first = nodes[start]!.line as ProseLine;
    const p: Prose = { en: [], zh: [], pos: posOf(first) };
    let i = start;
    let second = false;
    while (i < nodes.length && nodes[i]!.line.kind === 'prose') {
      const l = nodes[i]!.line as ProseLine;
      if (l.lang !== first.lang) second = true;
      else if (second) break; // back to the first language: a new paragraph
      if (l.lang === 'en') {
        p.enPos ??= posOf(l);
        p.en.push(l.text);
      } else {
        p.zhPos ??= posOf(l);
        p.zh.push(l.text);
      }
      for (const ch of nodes[i]!.children) {
        this.diags.push({ severity: 'error', code: 'LEX_LAYOUT', message: 'Lines indented under legal wording are not allowed; continue the wording on another "en:" or "zh:" line at the same indentation.', line: ch.line.line, column: ch.line.column, file: this.file });
      }
      i++;
    }
    return { prose: p, next: i };
  }

  template(source: string): TemplateAst {
    const ast: TemplateAst = {
      source, preamble: [], parties: [], params: [], enums: [], records: [], tiers: [], states: [], clauses: [], diagnostics: this.diags,
      broken: this.broken,
    };
    if (this.file !== undefined) ast.file = this.file;
    const ls = lines(source, this.diags, this.file);
    const nodes = tree(ls, this.diags, this.file);
    let i = 0;
    while (i < nodes.length) {
      const node = nodes[i]!;
      if (node.line.kind === 'prose') {
        const r = this.prose(nodes, i);
        ast.preamble.push(r.prose);
        i = r.next;
        continue;
      }
      i++;
      try {
        this.top(node, ast);
      } catch (e) {
        this.error(e);
      }
    }
    return ast;
  }

  top(node: Node, ast: TemplateAst): void {
    const line = node.line as CodeLine;
    const c = new Cursor(line);
    const kw = c.ident('a declaration (contract, version, title, timezone, currency, party, param, state, enum, record, tiers or clause)');
    const noChildren = (): void => {
      if (node.children.length) throw fail(`A "${kw.name}" line has no indented lines under it.`, posOf(node.children[0]!.line));
    };
    switch (kw.name) {
      case 'contract': {
        const m = /^contract\s+([a-z0-9][a-z0-9-]{0,63})\s*(?:--.*)?$/.exec(line.raw);
        if (!m) throw fail('Write the template\'s identifier after "contract" in lower case letters, digits and hyphens, e.g. contract late-delivery.', kw.pos);
        ast.id = m[1]!;
        noChildren();
        return;
      }
      case 'version': {
        const m = /^version\s+(\d+\.\d+\.\d+)\s*(?:--.*)?$/.exec(line.raw);
        if (!m) throw fail('Write the version as three numbers, e.g. version 1.0.0.', kw.pos);
        ast.version = m[1]!;
        noChildren();
        return;
      }
      case 'title':
        ast.title = c.label('the title');
        c.done('the title');
        noChildren();
        return;
      case 'timezone': {
        const m = /^timezone\s+(\S+)\s*(?:--.*)?$/.exec(line.raw);
        const off = m ? (m[1] === 'UTC' || m[1] === 'Z' ? 0 : parseOffset(m[1]!)) : undefined;
        if (off === undefined) throw fail('Write the time zone as an offset from UTC, e.g. timezone +08:00 (China Standard Time).', kw.pos);
        ast.timezone = { offset: off, pos: kw.pos };
        noChildren();
        return;
      }
      case 'currency': {
        const cur = c.ident('an ISO 4217 currency code, e.g. CNY');
        c.done('the currency');
        ast.currency = { code: cur.name, pos: cur.pos };
        noChildren();
        return;
      }
      case 'party': {
        const id = c.ident('the party\'s name, e.g. seller');
        const p: PartyDecl = { name: id.name, label: c.label('the party\'s name'), pos: id.pos };
        c.done('the party');
        ast.parties.push(p);
        noChildren();
        return;
      }
      case 'param': {
        const id = c.ident('the parameter\'s name');
        this.named(id.name, () => {
          c.expect(':', '":" and the type of the parameter');
          const type = typeExpr(c);
          const p: ParamDecl = { name: id.name, type, label: c.label('the parameter'), pos: id.pos };
          c.done('the parameter');
          ast.params.push(p);
        });
        noChildren();
        return;
      }
      case 'state': {
        const id = c.ident('the name of the state variable');
        this.named(id.name, () => {
          c.expect(':', '":" and the type');
          const type = typeExpr(c);
          const label = c.label('the state variable');
          c.expect('=', '"=" and its initial value');
          const init = c.expr();
          c.done('the initial value');
          const s: StateDecl = { name: id.name, type, label, init, pos: id.pos };
          ast.states.push(s);
        });
        noChildren();
        return;
      }
      case 'enum': {
        const id = c.ident('the name of the list of choices');
        const e: EnumDecl = { name: id.name, label: c.label('the list of choices'), members: [], pos: id.pos };
        c.done('the enum');
        for (const ch of node.children) {
          try {
            const mc = cursorOf(ch);
            const m = mc.ident('a choice');
            e.members.push({ name: m.name, label: mc.label('the choice'), pos: m.pos });
            mc.done('the choice');
          } catch (err) {
            this.error(err);
          }
        }
        if (e.members.length === 0) throw fail(`The choices of ${id.name} are missing: list them on indented lines below.`, id.pos);
        ast.enums.push(e);
        return;
      }
      case 'record': {
        const id = c.ident('the name of the record');
        const r: RecordDecl = { name: id.name, label: c.label('the record'), fields: [], pos: id.pos };
        c.done('the record');
        for (const ch of node.children) {
          try {
            r.fields.push(this.field(cursorOf(ch), false));
          } catch (err) {
            this.error(err);
          }
        }
        ast.records.push(r);
        return;
      }
      case 'tiers': {
        const id = c.ident('the name of the table of tiers');
        const t: TiersDecl = { name: id.name, label: c.label('the table of tiers'), rows: [], pos: id.pos };
        c.done('the tiers');
        for (const ch of node.children) {
          try {
            const rc = cursorOf(ch);
            const pos = rc.pos();
            let row: TierRow;
            if (rc.accept('up')) {
              rc.expect('to', '"to" (up to …)');
              const limit = rc.expr();
              rc.expect(':', '":" and the rate');
              row = { bound: 'upto', limit, rate: rc.expr(), pos };
            } else if (rc.accept('below')) {
              const limit = rc.expr();
              rc.expect(':', '":" and the rate');
              row = { bound: 'below', limit, rate: rc.expr(), pos };
            } else if (rc.accept('above')) {
              rc.expect(':', '":" and the rate');
              row = { bound: 'above', rate: rc.expr(), pos };
            } else throw fail('Each tier starts with "up to AMOUNT:", "below AMOUNT:" or, for the last one, "above:".', pos);
            rc.done('the tier');
            t.rows.push(row);
          } catch (err) {
            this.error(err);
          }
        }
        ast.tiers.push(t);
        return;
      }
      case 'clause': {
        const id = c.ident('the clause\'s name');
        const cl: ClauseDecl = { name: id.name, label: c.label('the clause heading'), items: [], pos: id.pos };
        c.done('the clause heading');
        this.clauseBody(node.children, cl);
        ast.clauses.push(cl);
        return;
      }
      default:
        throw fail(`"${kw.name}" does not start a declaration. At the top level write contract, version, title, timezone, currency, party, param, state, enum, record, tiers or clause.`, kw.pos);
    }
  }

  field(c: Cursor, input: boolean): FieldDecl {
    const id = c.ident(input ? 'the name of the information the event carries' : 'the field name');
    const parse = (): FieldDecl => {
      c.expect(':', '":" and the type');
      const type = typeExpr(c);
      const f: FieldDecl = { name: id.name, type, label: c.label('the field'), pos: id.pos };
      c.done('the field');
      return f;
    };
    return input ? this.named(id.name, parse) : parse();
  }

  clauseBody(nodes: Node[], cl: ClauseDecl): void {
    let i = 0;
    while (i < nodes.length) {
      const node = nodes[i]!;
      if (node.line.kind === 'prose') {
        const r = this.prose(nodes, i);
        cl.items.push({ k: 'prose', prose: r.prose });
        i = r.next;
        continue;
      }
      i++;
      try {
        const item = this.clauseItem(node, cl.name);
        if (item) cl.items.push(item);
      } catch (e) {
        this.error(e);
      }
    }
  }

  clauseItem(node: Node, clause: string): ClauseItem | undefined {
    const c = cursorOf(node);
    const kw = c.ident('define, exception, obligation, on or permission');
    switch (kw.name) {
      case 'define': {
        const id = c.ident('the name of the defined term');
        return this.named(id.name, () => {
          const label = c.label('the defined term');
          c.expect('=', '"=" and what it means');
          const d: DefineDecl = { name: id.name, label, e: c.expr(), pos: id.pos, clause, exceptions: [] };
          c.done('the definition');
          if (node.children.length) throw fail('A definition has no indented lines under it; to continue a long rule end the line with an operator such as "+" or "and", or start the next line with one (or with "then" or "else") indented further.', posOf(node.children[0]!.line));
          return { k: 'define', d };
        });
      }
      case 'exception': {
        const id = c.ident('the name of the exception');
        const label = c.label('the exception');
        c.expect('to', '"to" and the defined term it overrides, e.g. exception forceMajeure "…" | "…" to penalty');
        const target = c.ident('the defined term the exception overrides');
        c.done('the exception heading');
        let when: Expr | undefined;
        let value: Expr | undefined;
        for (const ch of node.children) {
          try {
            const cc = cursorOf(ch);
            if (cc.accept('when')) {
              when = cc.expr();
              if (cc.is('then')) throw fail('Write "then VALUE" on a line of its own, at the same indentation as "when", not indented further.', cc.pos());
              cc.done('the condition');
            } else if (cc.accept('then')) {
              value = cc.expr();
              cc.done('the value');
            } else throw fail('Under an exception write "when CONDITION" and "then VALUE".', cc.pos());
          } catch (e) {
            this.error(e);
          }
        }
        if (!when || !value) throw fail(`The exception ${id.name} needs both "when CONDITION" (when it applies) and "then VALUE" (what ${target.name} is instead).`, id.pos);
        const x: ExceptionDecl = { name: id.name, label, target: target.name, when, value, pos: id.pos, clause };
        return { k: 'exception', x };
      }
      case 'obligation':
        return { k: 'obligation', o: this.obligation(c, node, clause) };
      case 'on':
      case 'permission':
        return { k: 'handler', h: this.handler(kw.name, c, node, clause) };
      case 'then':
      case 'else':
        throw strayThenElse(kw.name, kw.pos);
      default:
        throw fail(`"${kw.name}" cannot start a line in a clause. Write legal wording on "en:" and "zh:" lines, or a rule: define, exception, obligation, on (an event) or permission.`, kw.pos);
    }
  }

  obligation(c: Cursor, node: Node, clause: string): ObligationDecl {
    const id = c.ident('the obligation\'s name');
    const o: ObligationDecl = { name: id.name, label: c.label('what must be done, e.g. "deliver the Equipment" | "交付设备"'), onBreach: [], pos: id.pos, clause };
    c.done('the obligation heading');
    for (const ch of node.children) {
      try {
        const cc = cursorOf(ch);
        const kw = cc.ident('promisor, promisee, for each, due, only if, done when or on breach');
        switch (kw.name) {
          case 'promisor':
            o.promisor = cc.expr();
            break;
          case 'promisee':
            o.promisee = cc.expr();
            break;
          case 'due':
            o.due = cc.expr();
            break;
          case 'only':
            cc.expect('if', '"if" (only if CONDITION)');
            o.onlyIf = cc.expr();
            break;
          case 'done':
            cc.expect('when', '"when" (done when CONDITION)');
            o.doneWhen = cc.expr();
            break;
          case 'for': {
            cc.expect('each', '"each" (for each i from 1 to N)');
            const v = cc.ident('the name of the counter');
            cc.expect('from', '"from"');
            const from = cc.expr();
            cc.expect('to', '"to"');
            o.forEach = { v: v.name, from, to: cc.expr(), pos: v.pos };
            break;
          }
          case 'on':
            cc.expect('breach', '"breach" (on breach)');
            cc.done('"on breach"');
            o.onBreach = this.block(ch.children);
            break;
          case 'then':
          case 'else':
            throw strayThenElse(kw.name, kw.pos);
          default:
            throw fail(`"${kw.name}" is not part of an obligation. Use promisor, promisee, due, done when, only if, for each or on breach.`, kw.pos);
        }
        cc.done(`"${kw.name}"`);
        if (kw.name !== 'on' && ch.children.length) throw fail(`Nothing can be indented under "${kw.name}".`, posOf(ch.children[0]!.line));
      } catch (e) {
        this.error(e);
      }
    }
    return o;
  }

  handler(kind: 'on' | 'permission', c: Cursor, node: Node, clause: string): HandlerDecl {
    const id = c.ident(kind === 'on' ? 'the name of the event, e.g. Delivered' : 'the name of the permission, e.g. Terminate');
    const h: HandlerDecl = {
      kind, name: id.name, label: c.label(kind === 'on' ? 'the event' : 'what the permission allows'), parties: [], anyone: false, inputs: [], body: [], pos: id.pos, clause,
    };
    c.expect(kind === 'on' ? 'from' : 'by', kind === 'on' ? '"from" and who reports the event' : '"by" and who may exercise the permission');
    if (c.accept('anyone')) h.anyone = true;
    else {
      do {
        const p = c.ident('a party');
        h.parties.push({ name: p.name, pos: p.pos });
      } while (c.accept(',') || c.accept('or'));
    }
    c.done('the heading');
    let k = 0;
    const kids = node.children;
    while (k < kids.length) {
      const ch = kids[k]!;
      if (ch.line.kind === 'code' && ch.line.toks[0]?.v === 'with' && ch.line.toks[0].kind === 'id') {
        try {
          const cc = new Cursor(ch.line);
          cc.next();
          h.inputs.push(this.field(cc, true));
        } catch (e) {
          this.error(e);
        }
        k++;
      } else break;
    }
    h.body = this.block(kids.slice(k));
    return h;
  }

  block(nodes: Node[]): Stmt[] {
    const out: Stmt[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      try {
        const c = cursorOf(node);
        const first = c.peek();
        if (first?.kind === 'id' && first.v === 'else') {
          const prev = out[out.length - 1];
          if (!prev || prev.k !== 'if' || prev.branches[prev.branches.length - 1]!.cond === undefined) {
            throw fail('This "else" does not follow an "if" block. If it continues an "if … then … else …" value on the line above, indent it further than the line that rule starts on, so that it continues it.', c.pos());
          }
          const pos = c.pos();
          c.next();
          if (c.accept('if')) {
            const cond = c.expr();
            c.done('the condition');
            prev.branches.push({ cond, body: this.block(node.children), pos });
          } else {
            c.done('"else"');
            prev.branches.push({ body: this.block(node.children), pos });
          }
          continue;
        }
        out.push(this.stmt(c, node));
      } catch (e) {
        this.error(e);
      }
    }
    return out;
  }

  /**
   * `if insufficient funds wait [until DATE]` or `if insufficient funds fail`, indented under a
   * pay, split or withhold: what the settlement chain does when the payer cannot cover it.
   */
  ifShort(c: Cursor, node: Node): IfShort {
    const pos = c.pos();
    c.expect('if', '"if insufficient funds"');
    c.expect('insufficient', '"insufficient funds" (if insufficient funds wait / wait until DATE / fail)');
    c.expect('funds', '"funds" (if insufficient funds wait / wait until DATE / fail)');
    const how = c.ident('"wait", "wait until DATE" or "fail"');
    if (node.children.length) throw fail('Nothing can be indented under "if insufficient funds".', posOf(node.children[0]!.line));
    if (how.name === 'fail') {
      c.done('"fail"');
      return { mode: 'fail', pos };
    }
    if (how.name !== 'wait') throw fail(`After "if insufficient funds" write "wait", "wait until DATE" or "fail", not "${how.name}".`, how.pos);
    if (c.atEnd()) return { mode: 'wait', pos };
    c.expect('until', '"until" and the time after which the instruction fails, or nothing');
    const until = c.expr();
    c.done('the time');
    return { mode: 'wait', until, pos };
  }

  /** A pay or withhold, with at most one indented `if insufficient funds …` line. */
  withIfShort(s: Stmt & { k: 'pay' | 'withhold' }, children: Node[], kw: string): Stmt {
    if (children.length === 0) return s;
    if (children.length > 1) throw fail(`Only one line can be indented under "${kw}": "if insufficient funds wait", "wait until DATE" or "fail".`, posOf(children[1]!.line));
    const cc = cursorOf(children[0]!);
    if (!cc.is('if')) throw fail(`Only "if insufficient funds wait", "wait until DATE" or "fail" can be indented under "${kw}".`, cc.pos());
    s.ifShort = this.ifShort(cc, children[0]!);
    return s;
  }

  stmt(c: Cursor, node: Node): Stmt {
    const kw = c.ident('a rule: require, let, set, append, if, for each, pay, split, withhold, terminate or respond');
    const pos = kw.pos;
    const leaf = (s: Stmt, what: string): Stmt => {
      c.done(what);
      if (node.children.length) throw fail(`Nothing can be indented under "${kw.name}".`, posOf(node.children[0]!.line));
      return s;
    };
    switch (kw.name) {
      case 'require': {
        const cond = c.expr();
        c.expect('else', '"else" and the reason given when the requirement is not met: require CONDITION else "…" | "…"');
        return leaf({ k: 'require', cond, msg: c.label('the reason for refusing'), pos }, 'the requirement');
      }
      case 'let': {
        const id = c.ident('a name');
        return this.named(id.name, () => {
          const label = c.label('the term');
          c.expect('=', '"="');
          return leaf({ k: 'let', name: id.name, label, e: c.expr(), pos: id.pos }, 'the value');
        });
      }
      case 'set': {
        const id = c.ident('the state variable to change');
        c.expect('=', '"=" and the new value');
        return leaf({ k: 'set', name: id.name, e: c.expr(), pos: id.pos }, 'the value');
      }
      case 'append': {
        const e = c.expr();
        c.expect('to', '"to" and the list to add to');
        const id = c.ident('the list to add to');
        return leaf({ k: 'append', e, name: id.name, pos }, 'the list');
      }
      case 'if': {
        const cond = c.expr();
        c.done('the condition');
        if (node.children.length === 0) throw fail('Indent the rules that apply under this "if".', pos);
        return { k: 'if', branches: [{ cond, body: this.block(node.children), pos }], pos };
      }
      case 'for': {
        c.expect('each', '"each"');
        const v = c.ident('a name for each item');
        c.expect('in', '"in" and the list');
        const list = c.expr();
        c.done('the list');
        return { k: 'foreach', v: v.name, list, body: this.block(node.children), pos };
      }
      case 'pay': {
        const amount = c.expr();
        c.expect('from', '"from" and the payer');
        const from = c.expr();
        c.expect('to', '"to" and the payee');
        const to = c.expr();
        c.expect('for', '"for" and the reason for the payment');
        const s: Stmt = { k: 'pay', amount, from, to, reason: c.label('the reason for the payment'), pos };
        c.done('the payment');
        return this.withIfShort(s, node.children, kw.name);
      }
      case 'split': {
        const amount = c.expr();
        c.expect('from', '"from" and the payer');
        const from = c.expr();
        c.expect('for', '"for" and the reason');
        const reason = c.label('the reason for the payment');
        c.done('the split');
        const shares: Share[] = [];
        let ifShort: IfShort | undefined;
        for (const ch of node.children) {
          try {
            const cc = cursorOf(ch);
            const sp = cc.pos();
            if (cc.is('if')) {
              if (ifShort) throw fail('The split already says what happens if the payer\'s funds are insufficient; say it once.', sp);
              ifShort = this.ifShort(cc, ch);
              continue;
            }
            cc.expect('to', '"to PARTY: SHARE" (or "if insufficient funds wait" / "fail")');
            const to = cc.expr();
            cc.expect(':', '":" and the share');
            shares.push({ to, share: cc.expr(), pos: sp });
            cc.done('the share');
          } catch (e) {
            this.error(e);
          }
        }
        if (shares.length < 2) throw fail('A split needs at least two indented lines "to PARTY: SHARE".', pos);
        const sp: Stmt = { k: 'split', amount, from, shares, reason, pos };
        if (ifShort) sp.ifShort = ifShort;
        return sp;
      }
      case 'withhold': {
        const amount = c.expr();
        c.expect('from', '"from" and who withholds');
        const from = c.expr();
        c.expect('to', '"to" and who receives the withheld amount (e.g. the tax authority)');
        const to = c.expr();
        let onBehalfOf: Expr | undefined;
        if (c.accept('on')) {
          c.expect('behalf', '"behalf of"');
          c.expect('of', '"of"');
          onBehalfOf = c.expr();
        }
        c.expect('for', '"for" and the reason');
        const s: Stmt = { k: 'withhold', amount, from, to, reason: c.label('the reason'), pos };
        if (onBehalfOf) s.onBehalfOf = onBehalfOf;
        c.done('the withholding');
        return this.withIfShort(s, node.children, kw.name);
      }
      case 'terminate':
        return leaf({ k: 'terminate', reason: c.label('the reason for ending the contract'), pos }, 'the termination');
      case 'respond': {
        const id = c.ident('the name of the answer');
        c.expect('=', '"="');
        return leaf({ k: 'respond', name: id.name, e: c.expr(), pos }, 'the answer');
      }
      case 'then':
        throw strayThenElse(kw.name, pos);
      default:
        throw fail(`"${kw.name}" does not start a rule. Rules start with require, let, set, append, if, else, for each, pay, split, withhold, terminate or respond.`, pos);
    }
  }
}

/**
 * Parses a template. Never throws on bad input: problems are returned in `ast.diagnostics`
 * with line and column, and `compile` reports them with its own findings.
 */
export function parseTemplate(source: string, file?: string): TemplateAst {
  const diags: Diagnostic[] = [];
  const p = new Parser(diags, file);
  if (typeof source !== 'string') {
    diags.push({ severity: 'error', code: 'LEX_INPUT', message: 'The template must be text.', line: 1, column: 1, file });
    return p.template('');
  }
  if (source.length > MAX_SOURCE_BYTES) {
    diags.push({ severity: 'error', code: 'LEX_TOO_LARGE', message: `The template is ${source.length} characters long; templates are limited to ${MAX_SOURCE_BYTES} characters. Split it into several contracts.`, line: 1, column: 1, file });
    const ast = p.template('');
    ast.source = source;
    return ast;
  }
  return p.template(source);
}
