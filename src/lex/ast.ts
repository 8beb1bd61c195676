/**
 * The syntax tree of a lex template, as the parser builds it. The compiler annotates expressions
 * with their type (`t`) and names with what they refer to (`ref`); the interpreter walks the
 * annotated tree.
 */
import type { Diagnostic, Pos } from './errors.ts';
import type { DurationUnit, PeriodUnit, RoundingMode, Rat, Money } from './values.ts';

export interface Label {
  en: string;
  zh: string;
  pos: Pos;
}

export interface TypeExpr {
  name: string;
  pos: Pos;
  /** Money(USD) */
  currency?: string;
  /** List(Text, 100) */
  elem?: TypeExpr;
  max?: number;
}

// ---- types as the compiler knows them

export type Type =
  | { k: 'Int' }
  | { k: 'Decimal'; pct?: boolean }
  | { k: 'Money'; cur?: string; frac: boolean }
  | { k: 'Date' }
  | { k: 'Duration' }
  | { k: 'Period' }
  | { k: 'Bool' }
  | { k: 'Text' }
  | { k: 'DID' }
  | { k: 'Enum'; name: string }
  | { k: 'Record'; name: string }
  | { k: 'List'; elem: Type; max: number }
  | { k: 'Error' };

/** What a name in an expression stands for, resolved by the compiler. */
export type Ref =
  | { kind: 'party'; index: number }
  | { kind: 'param'; index: number }
  | { kind: 'state'; index: number }
  | { kind: 'define'; name: string }
  | { kind: 'local'; slot: number }
  /** Information the event being handled carries, read by a definition or exception (by name). */
  | { kind: 'input'; name: string }
  | { kind: 'enum'; name: string; member: string }
  /** `amount.currency`: the ISO 4217 code of an amount of money, as text. */
  | { kind: 'currency' };

interface ExprBase {
  pos: Pos;
  t?: Type;
}

export type BinOp = '+' | '-' | '*' | '/' | 'of' | 'and' | 'or' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'capped' | 'atleast' | 'contains';

export type Expr =
  | (ExprBase & { k: 'num'; text: string; pct: boolean; value?: Rat })
  | (ExprBase & { k: 'money'; text: string; cur: string; value?: Money })
  | (ExprBase & { k: 'date'; text: string; value?: number })
  | (ExprBase & { k: 'str'; value: string })
  | (ExprBase & { k: 'bool'; value: boolean })
  | (ExprBase & { k: 'now' })
  | (ExprBase & { k: 'sender' })
  | (ExprBase & { k: 'list'; items: Expr[] })
  | (ExprBase & { k: 'name'; name: string; ref?: Ref })
  | (ExprBase & { k: 'field'; obj: Expr; field: string; ref?: Ref })
  | (ExprBase & { k: 'neg'; e: Expr })
  | (ExprBase & { k: 'not'; e: Expr })
  | (ExprBase & { k: 'bin'; op: BinOp; a: Expr; b: Expr })
  | (ExprBase & { k: 'round'; e: Expr; mode: RoundingMode })
  /** `D in days` (a fixed unit) or `D in billingUnit` (`per`: a length of time, e.g. a term). */
  | (ExprBase & { k: 'in'; e: Expr; unit?: DurationUnit; per?: Expr })
  | (ExprBase & { k: 'unit'; e: Expr; unit: DurationUnit | PeriodUnit })
  | (ExprBase & { k: 'if'; c: Expr; a: Expr; b: Expr })
  | (ExprBase & { k: 'call'; fn: 'min' | 'max' | 'count' | 'sum'; args: Expr[] })
  | (ExprBase & { k: 'tier'; tiers: string; how: 'applied' | 'rate'; e: Expr })
  | (ExprBase & { k: 'record'; type: string; fields: Array<{ name: string; e: Expr; pos: Pos }> });

export type ExprKind = Expr['k'];

// ---- statements

export interface Share {
  to: Expr;
  share: Expr;
  pos: Pos;
}

/**
 * What a settlement instruction does when the payer's account cannot cover it:
 * `if insufficient funds wait [until DATE]` or `if insufficient funds fail` (the default).
 */
export interface IfShort {
  mode: 'wait' | 'fail';
  /** Only with 'wait': the time after which an instruction still unpaid fails. */
  until?: Expr;
  pos: Pos;
}

export type Stmt =
  | { k: 'require'; cond: Expr; msg: Label; pos: Pos }
  | { k: 'let'; name: string; label: Label; e: Expr; pos: Pos; slot?: number }
  | { k: 'set'; name: string; e: Expr; pos: Pos; index?: number }
  | { k: 'append'; e: Expr; name: string; pos: Pos; index?: number }
  | { k: 'if'; branches: Array<{ cond?: Expr; body: Stmt[]; pos: Pos }>; pos: Pos }
  | { k: 'foreach'; v: string; list: Expr; body: Stmt[]; pos: Pos; slot?: number }
  | { k: 'pay'; amount: Expr; from: Expr; to: Expr; reason: Label; ifShort?: IfShort; pos: Pos }
  | { k: 'split'; amount: Expr; from: Expr; shares: Share[]; reason: Label; ifShort?: IfShort; pos: Pos }
  | { k: 'withhold'; amount: Expr; from: Expr; to: Expr; onBehalfOf?: Expr; reason: Label; ifShort?: IfShort; pos: Pos }
  | { k: 'terminate'; reason: Label; pos: Pos }
  | { k: 'respond'; name: string; e: Expr; pos: Pos };

// ---- declarations

export interface Prose {
  en: string[];
  zh: string[];
  pos: Pos;
  /** position of each language's first line, for placeholder diagnostics */
  enPos?: Pos;
  zhPos?: Pos;
}

export interface PartyDecl {
  name: string;
  label: Label;
  pos: Pos;
}

export interface ParamDecl {
  name: string;
  type: TypeExpr;
  label: Label;
  pos: Pos;
  t?: Type;
}

export interface StateDecl {
  name: string;
  type: TypeExpr;
  init: Expr;
  label: Label;
  pos: Pos;
  t?: Type;
}

export interface EnumDecl {
  name: string;
  label: Label;
  members: Array<{ name: string; label: Label; pos: Pos }>;
  pos: Pos;
}

export interface FieldDecl {
  name: string;
  type: TypeExpr;
  label: Label;
  pos: Pos;
  t?: Type;
}

export interface RecordDecl {
  name: string;
  label: Label;
  fields: FieldDecl[];
  pos: Pos;
}

export interface TierRow {
  /** 'upto' = up to and including the bound; 'below' = strictly below it; 'above' = everything else. */
  bound: 'upto' | 'below' | 'above';
  limit?: Expr;
  rate: Expr;
  pos: Pos;
}

export interface TiersDecl {
  name: string;
  label: Label;
  rows: TierRow[];
  pos: Pos;
  baseType?: Type;
  rateType?: Type;
}

export interface DefineDecl {
  name: string;
  label: Label;
  e: Expr;
  pos: Pos;
  clause: string;
  exceptions: ExceptionDecl[];
  t?: Type;
  /**
   * Event information the definition reads (directly, in its exceptions, or through other
   * definitions): it has a value only in the rules of an event that states all of it.
   */
  needs?: string[];
}

export interface ExceptionDecl {
  name: string;
  label: Label;
  target: string;
  when: Expr;
  value: Expr;
  pos: Pos;
  clause: string;
}

export interface ObligationDecl {
  name: string;
  label: Label;
  promisor?: Expr;
  promisee?: Expr;
  forEach?: { v: string; from: Expr; to: Expr; pos: Pos; slot?: number };
  due?: Expr;
  onlyIf?: Expr;
  doneWhen?: Expr;
  onBreach: Stmt[];
  pos: Pos;
  clause: string;
  locals?: number;
}

export interface HandlerDecl {
  kind: 'on' | 'permission';
  name: string;
  label: Label;
  /** Party names allowed to send it; empty with `anyone`. */
  parties: Array<{ name: string; pos: Pos; index?: number }>;
  anyone: boolean;
  inputs: FieldDecl[];
  body: Stmt[];
  pos: Pos;
  clause: string;
  locals?: number;
}

export type ClauseItem =
  | { k: 'prose'; prose: Prose }
  | { k: 'define'; d: DefineDecl }
  | { k: 'exception'; x: ExceptionDecl }
  | { k: 'obligation'; o: ObligationDecl }
  | { k: 'handler'; h: HandlerDecl };

export interface ClauseDecl {
  name: string;
  label: Label;
  items: ClauseItem[];
  pos: Pos;
}

export interface TemplateAst {
  file?: string;
  source: string;
  id?: string;
  version?: string;
  title?: Label;
  timezone?: { offset: number; pos: Pos };
  currency?: { code: string; pos: Pos };
  preamble: Prose[];
  parties: PartyDecl[];
  params: ParamDecl[];
  enums: EnumDecl[];
  records: RecordDecl[];
  tiers: TiersDecl[];
  states: StateDecl[];
  clauses: ClauseDecl[];
  /** Syntax errors found while parsing; compile() reports them with its own. */
  diagnostics: Diagnostic[];
  /**
   * Names whose declaration (a definition, term, state, `let` or event information) did not
   * parse: the syntax error is reported once, and their uses are not reported again as undefined.
   */
  broken?: Set<string>;
}

/** Pushes the direct sub-expressions of `e` onto `out`. */
export function forEachChild(e: Expr, out: Expr[]): void {
  switch (e.k) {
    case 'field':
      out.push(e.obj);
      return;
    case 'neg':
    case 'not':
    case 'round':
    case 'unit':
    case 'tier':
      out.push(e.e);
      return;
    case 'in':
      out.push(e.e);
      if (e.per) out.push(e.per);
      return;
    case 'bin':
      out.push(e.a, e.b);
      return;
    case 'if':
      out.push(e.c, e.a, e.b);
      return;
    case 'call':
      out.push(...e.args);
      return;
    case 'list':
      out.push(...e.items);
      return;
    case 'record':
      for (const f of e.fields) out.push(f.e);
      return;
    default:
      return;
  }
}

/**
 * The depth of an expression tree (a leaf is 1), counted without recursion; stops counting past
 * `limit` (and returns limit + 1). Chains of operators (a + b + c …) deepen the tree without
 * deepening the parser's recursion, and every walker after the parser recurses on the tree.
 */
export function exprDepth(e: Expr, limit: number): number {
  let max = 0;
  const stack: Array<[Expr, number]> = [[e, 1]];
  const kids: Expr[] = [];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > limit) return limit + 1;
    kids.length = 0;
    forEachChild(x, kids);
    for (const k of kids) stack.push([k, d + 1]);
  }
  return max;
}
