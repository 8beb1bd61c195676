/**
 * The low-code editor's clause library: lex templates split into top-level blocks (declarations,
 * preamble, clauses), and a contract composed from a base template's header plus clauses picked
 * from any template, carrying along the declarations those clauses use. The node's compiler then
 * checks the result and reports what does not fit, in plain words.
 *
 * Composing across templates keeps the contract sensible (#15):
 * - parties are unified: a clause's parties map onto the base template's parties on the same side
 *   of the deal (the one who supplies, the one who pays), so "the Seller" of a late-delivery clause
 *   becomes "the Contractor" of an engagement instead of a third and fourth party;
 * - a clause comes with the clauses of its template it cannot work without (those that set the
 *   records it reads, and one that uses what it defines), see `companions`;
 * - an exception whose condition no clause of the composition can ever make true is left out.
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

// ---- parties ----

/**
 * Which side of the deal a party of the library is on: the one who supplies goods, services,
 * premises or rights and is paid, or the one who pays. Parties on neither side (devices,
 * monitors, the tax authority) stay parties of their own.
 */
const PARTY_SIDES: Record<string, 'supplier' | 'customer'> = {
  seller: 'supplier', supplier: 'supplier', contractor: 'supplier', provider: 'supplier', landlord: 'supplier', licensor: 'supplier',
  buyer: 'customer', customer: 'customer', client: 'customer', tenant: 'customer', licensee: 'customer',
};

export interface PartyDecl {
  name: string;
  label: { en: string; zh: string };
}

function partiesIn(blocks: LexBlock[]): PartyDecl[] {
  return blocks.filter((b) => b.kind === 'party').map((b) => ({ name: b.name, label: bilingual(b.text) }));
}

export function partiesOf(source: string): PartyDecl[] {
  return partiesIn(splitBlocks(source));
}

/** A party a picked clause brings that the base template does not declare: `template/name`. */
export interface ForeignParty extends PartyDecl {
  template: string;
  key: string;
}

export function foreignParties(baseSource: string, picks: ClauseEntry[]): ForeignParty[] {
  const base = new Set(partiesOf(baseSource).map((p) => p.name));
  const out = new Map<string, ForeignParty>();
  for (const p of picks) {
    for (const d of p.deps) {
      if (d.kind !== 'party' || base.has(d.name)) continue;
      const key = `${p.template}/${d.name}`;
      if (!out.has(key)) out.set(key, { template: p.template, name: d.name, key, label: bilingual(d.text) });
    }
  }
  return [...out.values()];
}

/** `template/party` → the base party it becomes, or null to keep it as a party of its own. */
export type PartyMap = Record<string, string | null>;

/** Each foreign party onto the base party on its side of the deal, when there is one. */
export function defaultPartyMap(baseSource: string, picks: ClauseEntry[]): PartyMap {
  const base = partiesOf(baseSource);
  const map: PartyMap = {};
  for (const f of foreignParties(baseSource, picks)) {
    const side = PARTY_SIDES[f.name];
    map[f.key] = (side && base.find((b) => PARTY_SIDES[b.name] === side)?.name) ?? null;
  }
  return map;
}

/** Renames identifiers outside quoted strings, and {placeholders} in wording lines. */
function renameIdents(text: string, names: Map<string, string>): string {
  if (names.size === 0) return text;
  const re = new RegExp(`\\b(${[...names.keys()].join('|')})\\b`, 'g');
  return text.split('\n').map((line) => {
    if (/^\s*(en|zh):/.test(line)) return line.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, n: string) => (names.has(n) ? `{${names.get(n)}}` : m));
    return line.split('"').map((seg, i) => (i % 2 === 0 ? seg.replace(re, (n) => names.get(n) ?? n) : seg)).join('"');
  }).join('\n');
}

/** Replaces a party's label in a clause's quoted messages ("the Buyer" → "the Client", 买方 → 委托方). */
function relabel(text: string, from: PartyDecl, to: PartyDecl): string {
  const enFrom = from.label.en.replace(/^the /i, '');
  const enTo = to.label.en.replace(/^the /i, '');
  return text.split('"').map((seg, i) => (i % 2 === 1
    ? seg.replace(new RegExp(`\\b${enFrom.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'), enTo).split(from.label.zh).join(to.label.zh)
    : seg)).join('"');
}

// ---- what clauses need ----

const setsIn = (text: string): Set<string> => new Set([...text.matchAll(/\bset\s+([A-Za-z_][A-Za-z0-9_]*)\s*=/g)].map((m) => m[1]!));
const definesIn = (text: string): string[] => [...text.matchAll(/^\s+define\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]!);
const isActive = (text: string): boolean => /^\s+(on|permission|obligation)\s+/m.test(text);

/**
 * The clauses of `pick`'s template that must come with it, given what is chosen already: for
 * each record (state) it reads that nothing chosen sets, the first clause that sets it; and, for
 * a clause that only defines values (no event, permission or obligation of its own), the first
 * clause that uses one of them. Followed until nothing more is needed.
 */
export function companions(pick: ClauseEntry, library: ClauseEntry[], chosen: ClauseEntry[]): ClauseEntry[] {
  const sameTemplate = library.filter((c) => c.template === pick.template);
  const states = new Set(pick.deps.filter((d) => d.kind === 'state').map((d) => d.name));
  for (const c of sameTemplate) for (const d of c.deps) if (d.kind === 'state') states.add(d.name);
  const added: ClauseEntry[] = [];
  const all = (): ClauseEntry[] => [...chosen, pick, ...added];
  const queue = [pick];
  while (queue.length > 0) {
    const c = queue.shift()!;
    const set = new Set(all().flatMap((x) => [...setsIn(x.text)]));
    const wants: ClauseEntry[] = [];
    for (const s of idents(c.text)) {
      if (!states.has(s) || set.has(s)) continue;
      const setter = sameTemplate.find((x) => setsIn(x.text).has(s));
      if (setter) wants.push(setter);
    }
    const defs = definesIn(c.text);
    if (defs.length > 0 && !isActive(c.text)) {
      const usedBy = (x: ClauseEntry) => x.id !== c.id && defs.some((d) => idents(x.text).has(d));
      if (!all().some(usedBy)) {
        const user = sameTemplate.find(usedBy);
        if (user) wants.push(user);
      }
    }
    for (const w of wants) {
      if (all().some((x) => x.id === w.id)) continue;
      added.push(w);
      queue.push(w);
    }
  }
  return added;
}

// ---- composing ----

export interface DroppedException {
  clause: string;
  name: string;
  label: { en: string; zh: string };
}

export interface Composition {
  source: string;
  /** Exceptions left out because no clause of the composition can make their condition true. */
  dropped: DroppedException[];
}

/** Removes exception blocks whose `when` reads only records that no clause sets. */
function dropDeadExceptions(clause: ClauseEntry, text: string, states: Set<string>, set: Set<string>, dropped: DroppedException[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s+)exception\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(lines[i]!);
    if (!m) {
      out.push(lines[i]!);
      continue;
    }
    const indent = m[1]!.length;
    let j = i + 1;
    while (j < lines.length && (lines[j]!.trim() === '' || /^\s*/.exec(lines[j]!)![0].length > indent)) j++;
    const block = lines.slice(i, j);
    const when = block.find((l) => /^\s+when\s/.test(l)) ?? '';
    const reads = [...idents(when.replace(/^\s+when\s/, ''))].filter((x) => states.has(x));
    if (reads.length > 0 && reads.every((x) => !set.has(x))) {
      dropped.push({ clause: clause.name, name: m[2]!, label: bilingual(lines[i]!) });
      while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
      i = j - 1;
      continue;
    }
    out.push(...block);
    i = j - 1;
  }
  return out.join('\n');
}

/**
 * A contract source: the base template's header and preamble, the picked clauses, and the
 * declarations they bring, with foreign parties mapped by `parties` (default: defaultPartyMap).
 */
export function compose(baseSource: string, picks: ClauseEntry[], parties: PartyMap = defaultPartyMap(baseSource, picks)): Composition {
  const baseBlocks = splitBlocks(baseSource);
  const base = baseBlocks.filter((b) => b.kind !== 'clause');
  const baseParties = partiesIn(baseBlocks);
  const declared = new Set(base.filter((b) => DECL_KINDS.includes(b.kind)).map((b) => b.name));
  const extra: LexBlock[] = [];
  const texts: Array<{ pick: ClauseEntry; text: string }> = [];
  for (const p of picks) {
    const rename = new Map<string, string>();
    const labels: Array<[PartyDecl, PartyDecl]> = [];
    for (const d of p.deps) {
      if (d.kind !== 'party' || declared.has(d.name) && baseParties.some((b) => b.name === d.name)) continue;
      const to = parties[`${p.template}/${d.name}`];
      const target = to ? baseParties.find((b) => b.name === to) : undefined;
      if (target) {
        rename.set(d.name, target.name);
        labels.push([{ name: d.name, label: bilingual(d.text) }, target]);
      }
    }
    for (const d of p.deps) {
      if (d.kind === 'party' && rename.has(d.name)) continue;
      const text = renameIdents(d.text, rename);
      if (declared.has(d.name)) continue;
      declared.add(d.name);
      extra.push({ ...d, text });
    }
    let text = renameIdents(p.text, rename);
    for (const [from, to] of labels) text = relabel(text, from, to);
    texts.push({ pick: p, text });
  }
  const all = [...base, ...extra];
  const states = new Set(all.filter((b) => b.kind === 'state').map((b) => b.name));
  const set = new Set(texts.flatMap((t) => [...setsIn(t.text)]));
  const dropped: DroppedException[] = [];
  const clauseTexts = texts.map((t) => dropDeadExceptions(t.pick, t.text, states, set, dropped));
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
    ...clauseTexts,
  ].filter((s) => s.trim() !== '');
  return { source: sections.join('\n\n') + '\n', dropped };
}

// ---- defaults ----

/**
 * A default for a date term whose sample lies in the past: `days` from now, written like the
 * sample (a date alone, or a date and time with the sample's time of day and offset), so a
 * signing deadline never starts out already passed.
 */
export function freshDate(sample: string, now: number, days = 30): string {
  const m = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2})?)?([+-]\d{2}:\d{2}|Z)?$/.exec(sample.trim());
  if (!m) return sample;
  const off = !m[3] || m[3] === 'Z' ? 8 * 60 : (m[3].startsWith('-') ? -1 : 1) * (Number(m[3].slice(1, 3)) * 60 + Number(m[3].slice(4, 6)));
  const sampleTime = Date.parse(m[2] ? `${m[1]}${m[2]}${m[3] ?? '+08:00'}` : `${m[1]}T23:59:59+08:00`);
  if (Number.isFinite(sampleTime) && sampleTime > now) return sample;
  const day = new Date(now + days * 86_400_000 + off * 60_000).toISOString().slice(0, 10);
  return m[2] ? `${day}${m[2]}${m[3] ?? ''}` : day;
}
