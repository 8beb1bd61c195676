/**
 * A compiled template described as plain JSON: what a form, a console editor or a reviewer needs
 * to know about it without reading the source (parties, terms with their types, records kept,
 * events and permissions with who may send them, obligations, clauses).
 */
import type { TypeExpr } from './ast.ts';
import { typeWords, typeWordsZh, type Contract } from './compiler.ts';
import type { Bilingual } from './errors.ts';

export interface TemplateSummary {
  id: string;
  version: string;
  title: Bilingual;
  sourceHash: string;
  timezone: string;
  currency?: string;
  parties: Array<{ name: string; label: Bilingual }>;
  /** typeWords: what a value looks like, in English; typeWordsZh the same in Chinese. */
  params: Array<{ name: string; type: string; typeWords: string; typeWordsZh: string; label: Bilingual }>;
  state: Array<{ name: string; type: string; label: Bilingual }>;
  events: Array<{ name: string; kind: 'event' | 'permission'; label: Bilingual; from: string[] | 'anyone'; inputs: Array<{ name: string; type: string; label: Bilingual }>; clause: string }>;
  obligations: Array<{ name: string; label: Bilingual; clause: string; repeated: boolean; conditional: boolean; onBreach: boolean }>;
  clauses: Array<{ name: string; number: number; label: Bilingual }>;
}

const bi = (l: { en: string; zh: string }): Bilingual => ({ en: l.en, 'zh-CN': l.zh });

function typeText(t: TypeExpr): string {
  if (t.elem) return `${t.name}(${typeText(t.elem)}${t.max !== undefined ? `, ${t.max}` : ''})`;
  return t.currency ? `${t.name}(${t.currency})` : t.name;
}

function offset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export function summarize(c: Contract): TemplateSummary {
  return {
    id: c.id,
    version: c.version,
    title: bi(c.title),
    sourceHash: c.sourceHash,
    timezone: offset(c.timezone),
    ...(c.currency ? { currency: c.currency } : {}),
    parties: c.parties.map((p) => ({ name: p.name, label: bi(p.label) })),
    params: c.params.map((p) => ({ name: p.name, type: typeText(p.type), typeWords: p.t ? typeWords(p.t) : typeText(p.type), typeWordsZh: p.t ? typeWordsZh(p.t) : typeText(p.type), label: bi(p.label) })),
    state: c.states.map((s) => ({ name: s.name, type: typeText(s.type), label: bi(s.label) })),
    events: [...c.handlers.values()].map((h) => ({
      name: h.name, kind: h.kind === 'on' ? 'event' as const : 'permission' as const, label: bi(h.label),
      from: h.anyone ? 'anyone' as const : h.parties.map((p) => p.name),
      inputs: h.inputs.map((f) => ({ name: f.name, type: typeText(f.type), label: bi(f.label) })),
      clause: h.clause,
    })),
    obligations: c.obligations.map((o) => ({
      name: o.name, label: bi(o.label), clause: o.clause, repeated: o.forEach !== undefined, conditional: o.onlyIf !== undefined, onBreach: o.onBreach.length > 0,
    })),
    clauses: c.clauses.map((cl) => ({ name: cl.name, number: c.clauseNumbers.get(cl.name) ?? 0, label: bi(cl.label) })),
  };
}
