import { ShulianError, type CommonErrorCode, type ErrorList, type Registered } from '../codec/index.ts';

/**
 * Why a contract refuses a request, or a lex helper refuses its input. A running contract's
 * refusals reach the chain unchanged as the lexcontract module's rejection codes.
 */
export const LEX_ERRORS = {
  LEX_COMPILE: 'the template does not compile (the diagnostics say where and why)',
  BAD_FORMAT: 'an unknown rendering format (markdown or html; PDF has its own call)',
  BAD_LANGUAGE: 'an unknown rendering language (en or zh-CN)',
  BAD_PARAMS: 'the parameters are not an object naming each party and term',
  BAD_VALUE: 'a parameter or input value does not fit its declared type',
  BAD_INPUT: 'a request carries information the event does not take',
  BAD_SENDER: 'the sender of a request is not a DID',
  BAD_TIME: 'the time of a request is not a whole number of milliseconds',
  BAD_GAS_LIMIT: 'the gas limit is not a positive whole number',
  BAD_SHARES: 'a share of a split is negative',
  UNKNOWN_EVENT: 'the contract has no such event or permission',
  REQUIREMENT_NOT_MET: 'a requirement of the clause does not hold (the message is the clause\'s own)',
  EXCEPTION_CONFLICT: 'two exceptions apply to one clause at the same time with different effects',
  CONTRACT_TERMINATED: 'the contract has ended and accepts no further events',
  STATE_MISMATCH: 'the state belongs to another template',
  TIME_BEFORE_LAST_EVENT: 'the request is earlier than the last event the contract accepted',
  TOO_MANY_OBLIGATIONS: 'an obligation would repeat more often than allowed',
  TIERS_NOT_ASCENDING: 'the limits of a tier table do not increase',
  CURRENCY_MISMATCH: 'amounts in different currencies cannot be combined',
  CURRENCY_UNKNOWN: 'an amount has no known currency (e.g. the sum of an empty list)',
  NEGATIVE_AMOUNT: 'a payment would be negative',
  NOT_ROUNDED: 'an amount is not a whole number of minor units',
  DIVISION_BY_ZERO: 'the calculation divides by zero',
  NUMBER_TOO_LARGE: 'a number grew beyond 256 bits',
  NUMBER_OUT_OF_RANGE: 'a whole number is beyond ±2^53 − 1 and cannot be recorded',
  DATE_OUT_OF_RANGE: 'a date falls outside the years 1970 to 9999',
  LIST_FULL: 'a list would hold more items than its declared maximum',
  LEX_INTERNAL: 'the contract engine failed on this request (an engine defect); nothing was changed',
  PDF_FONT_MISSING: 'SHULIAN_CJK_FONT names a font file that does not exist',
} as const satisfies ErrorList;

/** The codes a LexError carries: lex's own and the common ones. */
export type LexErrorCode = keyof typeof LEX_ERRORS | CommonErrorCode;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof LEX_ERRORS, 'lex'> {}
}

/** A place in a template's source: 1-based line and column (columns count UTF-16 code units). */
export interface Pos {
  line: number;
  column: number;
}

export type Severity = 'error' | 'warning';

/** A finding of the parser or compiler, in words a lawyer can follow. */
export interface Diagnostic {
  severity: Severity;
  /** Stable machine code, e.g. LEX_UNDEFINED_NAME. */
  code: string;
  message: string;
  /** The message in Chinese, for the zh-CN console (the findings a composer most often meets carry one). */
  zh?: string;
  line: number;
  column: number;
  file?: string;
}

/** Text in the two languages of the legal rendering. */
export interface Bilingual {
  en: string;
  'zh-CN': string;
}

/**
 * Raised while a contract runs (and by instantiate on bad parameters). The interpreter turns it
 * into a rejection; it never escapes `execute`.
 */
export class LexError extends ShulianError<LexErrorCode> {
  readonly zh: string;
  readonly pos?: Pos;
  constructor(code: LexErrorCode, en: string, zh: string, pos?: Pos) {
    super(code, en);
    this.name = 'LexError';
    this.zh = zh;
    if (pos) this.pos = pos;
  }
}

/** Thrown by helpers that need a compiled contract when the source has errors. */
export class LexCompileError extends ShulianError<'LEX_COMPILE'> {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[], file?: string) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const where = first ? `${file ?? first.file ?? 'template'}:${first.line}:${first.column}: ` : '';
    super('LEX_COMPILE', `${where}${first?.message ?? 'the template has errors'}${errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''}`, {
      diagnostics: diagnostics as unknown as Record<string, unknown>[],
    } as Record<string, unknown>);
    this.name = 'LexCompileError';
    this.diagnostics = diagnostics;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file ?? 'template'}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`;
}
