/**
 * lex — Shulian's language for executable legal contracts.
 *
 * One source (a `.lex` template) gives both the legal text, in English and Chinese, and the
 * logic a chain executes. See docs/lex.md for the language and a guide for lawyers.
 *
 *   const ast = parseTemplate(source, 'contract.lex');
 *   const { contract, diagnostics } = compile(ast);
 *   const text = render(contract, params, { format: 'markdown', lang: 'zh-CN' });
 *   let state = instantiate(contract, params);
 *   const r = execute(contract, state, { event: 'Delivered' }, { time, gasLimit, sender });
 *   if (r.ok) state = r.state;
 */
import { canonicalize, toHex, type JsonValue } from '../codec/index.ts';
import { sm3 } from '../crypto/index.ts';
import { compile, type Contract } from './compiler.ts';
import { LexCompileError } from './errors.ts';
import { checkParams } from './interpreter.ts';
import { parseTemplate } from './parser.ts';

export { parseTemplate, MAX_SOURCE_BYTES, MAX_EXPR_DEPTH, MAX_BLOCK_DEPTH } from './parser.ts';
export { compile, typeWords, MAX_DEFINE_DEPTH, MAX_LIST, MAX_INSTANCES, type Contract, type CompileResult } from './compiler.ts';
export {
  instantiate, execute, obligationsOf, checkParams, LEX_GAS,
  type ContractState, type LexRequest, type ExecuteOptions, type ExecuteResult, type Accepted, type Rejected, type Rejection,
  type Settlement, type IfShortTerms, type Amount, type ObligationView, type ObligationStatus, type LexEvent, type InstantiateOptions,
} from './interpreter.ts';
export { render, renderDocument, type RenderOptions, type Lang, type Format, type Doc, type Block } from './render.ts';
export type { PdfOptions, CjkFont } from './pdf.ts';
export { summarize, type TemplateSummary } from './summary.ts';
export {
  runScenarios, runScenarioFile, runTemplate, readSample, EXAMPLE_PARTIES_FILE, type ScenarioReport, type TemplateReport, type ScenarioFileReport,
  type StepFailure,
} from './scenarios.ts';
export { LexError, LexCompileError, formatDiagnostic, type Diagnostic, type Severity, type Bilingual, type Pos } from './errors.ts';
export type { TemplateAst } from './ast.ts';

/** Parses and compiles in one step; throws LexCompileError (with every diagnostic) on errors. */
export function compileSource(source: string, file?: string): { contract: Contract; diagnostics: import('./errors.ts').Diagnostic[] } {
  const { contract, diagnostics } = compile(parseTemplate(source, file));
  if (!contract) throw new LexCompileError(diagnostics, file);
  return { contract, diagnostics };
}

/**
 * What every party signs on the signing chain: SM3 (hex) over the canonical JSON of the
 * template's fingerprint, the canonical parameters and the SM3 of each rendered text. The same
 * template, parameters and texts always give the same fingerprint; a change to any gives another.
 * `rendered` is one text, or several keyed by rendering (e.g. {"markdown/zh-CN": …, "markdown/en": …}).
 */
export function fingerprint(contract: Contract, params: Record<string, JsonValue>, rendered: string | Record<string, string>): string {
  const canonical = checkParams(contract, params);
  const texts: Record<string, string> = {};
  if (typeof rendered === 'string') texts.text = toHex(sm3(Buffer.from(rendered, 'utf8')));
  else for (const [k, v] of Object.entries(rendered)) texts[k] = toHex(sm3(Buffer.from(v, 'utf8')));
  return toHex(sm3(Buffer.from(canonicalize({ lex: 1, template: contract.sourceHash, params: canonical, texts }), 'utf8')));
}

/**
 * The legal text as a PDF (see pdf.ts). Loaded on first use, so the chain, which never renders
 * PDFs, does not load pdfkit or look for fonts.
 */
export async function renderPdf(contract: Contract, params: Record<string, JsonValue> | undefined, opts: import('./pdf.ts').PdfOptions): Promise<Buffer> {
  const m = await import('./pdf.ts');
  return m.renderPdf(contract, params, opts);
}
