/**
 * The low-code editor's clause library: lex templates split into top-level blocks (declarations,
 * preamble, clauses), and a contract composed from a base template's header plus clauses picked
 * from any template, carrying along the declarations those clauses use. The node's compiler then
 * checks the result and reports what does not fit, in plain words.
 */
export interface LexBlock {
  kind: string;
  name: string;
  text: string;
}

export interface ClauseEntry {
  id: string;
  template: string;
  name: string;
  title: { en: string; zh: string };
  text: string;
  /** Declarations from its template that the clause uses (parties, params, states, enums, tiers). */
  deps: LexBlock[];
}

const DECL_KINDS = ['party', 'param', 'state', 'enum', 'tiers'];
const META_ORDER = ['contract', 'version', 'title', 'timezone', 'currency'];

export function splitBlocks(source: string): LexBlock[] {
  const out: LexBlock[] = [];
  let cur: string[] | null = null;
  const flush = () => {
    if (!cur) return;
    while (cur.length > 1 && cur[cur.length - 1]!.trim() === '') cur.pop();
    const first = cur[0]!.trim();
    const kind = first.split(/\s+/)[0]!;
    const name = DECL_KINDS.includes(kind) || kind === 'clause' ? (first.split(/\s+/)[1] ?? '').replace(/:$/, '') : '';
    out.push({ kind, name, text: cur.join('\n') });
    cur = null;
  };
  for (const line of source.split('\n')) {
    const top = line.length > 0 && !/^\s/.test(line);
    if (top && line.startsWith('--')) {
      flush();
      continue;
    }
    if (top) {
      flush();
      cur = [line];
    } else if (cur) {
      cur.push(line);
    }
  }
  flush();
  return out;
}

function idents(text: string): Set<string> {
  return new Set(text.replace(/"[^"]*"/g, ' ').match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
}

function bilingual(line: string): { en: string; zh: string } {
  const m = /"([^"]*)"\s*\|\s*"([^"]*)"/.exec(line);
  return m ? { en: m[1]!, zh: m[2]! } : { en: line, zh: line };
}

/** Clauses of a template with the declarations each needs (followed through declarations that use others). */
export function clausesOf(template: string, source: string): ClauseEntry[] {
  const blocks = splitBlocks(source);
  const decls = blocks.filter((b) => DECL_KINDS.includes(b.kind));
  return blocks.filter((b) => b.kind === 'clause').map((c) => {
    const need = new Map<string, LexBlock>();
    let frontier = idents(c.text);
    while (frontier.size > 0) {
      const next = new Set<string>();
      for (const d of decls) {
        if (need.has(d.name) || !frontier.has(d.name)) continue;
        need.set(d.name, d);
        for (const i of idents(d.text)) next.add(i);
      }
      frontier = next;
    }
    return { id: `${template}/${c.name}`, template, name: c.name, title: bilingual(c.text.split('\n')[0]!), text: c.text, deps: [...need.values()] };
  });
}

/** A contract source: the base template's header and preamble, the picked clauses, and the declarations they bring. */
export function compose(baseSource: string, picks: ClauseEntry[]): string {
  const base = splitBlocks(baseSource).filter((b) => b.kind !== 'clause');
  const declared = new Set(base.filter((b) => DECL_KINDS.includes(b.kind)).map((b) => b.name));
  const extra: LexBlock[] = [];
  for (const p of picks) {
    for (const d of p.deps) {
      if (declared.has(d.name)) continue;
      declared.add(d.name);
      extra.push(d);
    }
  }
  const all = [...base, ...extra];
  const of = (k: string) => all.filter((b) => b.kind === k).map((b) => b.text);
  const meta = META_ORDER.flatMap(of);
  const others = all.filter((b) => !META_ORDER.includes(b.kind) && !DECL_KINDS.includes(b.kind) && b.kind !== 'en:' && b.kind !== 'zh:').map((b) => b.text);
  const sections = [
    meta.join('\n'),
    of('party').join('\n'),
    of('enum').join('\n\n'),
    of('param').join('\n'),
    of('state').join('\n'),
    of('tiers').join('\n\n'),
    others.join('\n\n'),
    [...of('en:'), ...of('zh:')].join('\n'),
    ...picks.map((p) => p.text),
  ].filter((s) => s.trim() !== '');
  return sections.join('\n\n') + '\n';
}
