import { ShulianError } from '../codec/index.ts';

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
export class LexError extends ShulianError {
  readonly zh: string;
  readonly pos?: Pos;
  constructor(code: string, en: string, zh: string, pos?: Pos) {
    super(code, en);
    this.name = 'LexError';
    this.zh = zh;
    if (pos) this.pos = pos;
  }
}

/** Thrown by helpers that need a compiled contract when the source has errors. */
export class LexCompileError extends ShulianError {
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
