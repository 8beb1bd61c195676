import { canonicalize, toHex, type JsonValue } from '../../codec/index.ts';
import { sm3 } from '../../crypto/index.ts';
import { compileSource, fingerprint, render, LexCompileError, type Contract } from '../../lex/index.ts';
import { ModuleError } from '../../runtime/index.ts';
import type { Countersigner, LexInstance } from './types.ts';

/**
 * What the parties of a lexcontract instance read and sign, computed the same way on-chain and
 * off-chain (API, CLI, SDK users): the compiled template, the rendered texts and the fingerprint.
 * Pure: the compile cache is keyed by source hash, so it changes no result.
 */

/** Compiled templates by source hash. Compilation is pure, so this cache is deterministic. */
export const compiled = new Map<string, Contract>();

/** Compiles a template source; a compile error is LEX_COMPILE. */
export function compileOrThrow(source: string): Contract {
  try {
    return compileSource(source).contract;
  } catch (e) {
    if (e instanceof LexCompileError) throw new ModuleError('LEX_COMPILE', e.message);
    throw e;
  }
}

/** A compiled template from its source, cached by source hash (shared with the API's reads). */
export function compiledTemplate(source: string): Contract {
  const cached = compiled.get(toHex(sm3(Buffer.from(source, 'utf8'))));
  if (cached) return cached;
  const c = compileOrThrow(source);
  compiled.set(c.sourceHash, c);
  return c;
}

/** The texts each party reads before signing, as fingerprinted. */
export function renderedTexts(contract: Contract, params: Record<string, JsonValue>): Record<string, string> {
  return {
    en: render(contract, params, { format: 'markdown', lang: 'en' }),
    'zh-CN': render(contract, params, { format: 'markdown', lang: 'zh-CN' }),
  };
}

/** The signing terms beyond the template and parameters: the countersigner and what a dispute leaves open. */
export interface SigningTerms {
  countersigner?: Countersigner;
  disputeAllows?: string[];
}

/** The signing terms of a stored instance. */
export function signingTermsOf(inst: Pick<LexInstance, 'countersigner' | 'disputeAllows'>): SigningTerms {
  return {
    ...(inst.countersigner ? { countersigner: inst.countersigner } : {}),
    ...(inst.disputeAllows ? { disputeAllows: inst.disputeAllows } : {}),
  };
}

/**
 * What the parties sign for a template and parameters (party DIDs included), and the signing
 * terms when there are any (without them the fingerprint is the plain lex fingerprint).
 */
export function instanceFingerprint(contract: Contract, params: Record<string, JsonValue>, terms: SigningTerms = {}): string {
  const texts = renderedTexts(contract, params);
  if (terms.countersigner || terms.disputeAllows) texts.signing = canonicalize(terms);
  return fingerprint(contract, params, texts);
}
