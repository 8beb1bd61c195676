/**
 * Catalog search that stays fast at 10⁴ datasets and beyond: an in-memory inverted index over
 * the current versions (title, description, keywords; words for Latin text, character bigrams for
 * Chinese, as CJK full-text engines do), with filters as postings of their own. A query
 * intersects postings smallest first, so its cost follows the rarest term, not the catalog's
 * size. The index follows the chain: it is built from the module's append-only id list, then
 * brought up to date from the catalog events of each new block before it answers.
 */
import type { Block } from '../ledger/index.ts';
import { catalogStateKey } from '../modules/catalog/keys.ts';
import type { DatasetRecord, Frequency, Sensitivity, Theme } from '../modules/catalog/types.ts';

/** What the index reads: a ChainView in the node. */
export interface CatalogSource {
  height(): number;
  getState(key: string): { value: unknown };
  getBlock(height: number): Pick<Block, 'receipts'> | undefined;
}

export interface CatalogQuery {
  /** Free text (any language); every term must match. */
  q?: string;
  theme?: Theme;
  sensitivity?: Sensitivity;
  frequency?: Frequency;
  owner?: string;
  /** Include withdrawn datasets (default: only active ones). */
  withdrawn?: boolean;
  /** Page size, 1 to 100 (default 20). */
  limit?: number;
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string;
}

export interface CatalogPage {
  total: number;
  datasets: DatasetRecord[];
  /** Cursor of the next page, when there is one. */
  next?: string;
  /** Height the answer reflects. */
  height: number;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
export const MAX_QUERY_TERMS = 16;

/** Index terms of a text: lowercased words of letters and digits; bigrams (and single characters) of Chinese runs. */
export function terms(text: string): string[] {
  const out = new Set<string>();
  for (const run of text.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u)) {
    if (!run) continue;
    let latin = '';
    const chars = [...run];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (CJK.test(c)) {
        if (latin) out.add(latin);
        latin = '';
        out.add(c);
        const n = chars[i + 1];
        if (n && CJK.test(n)) out.add(c + n);
      } else latin += c;
    }
    if (latin) out.add(latin);
  }
  return [...out];
}

/** Query terms: for Chinese runs of two or more characters the bigrams (a single character matches itself). */
function queryTerms(q: string): string[] {
  const all = terms(q);
  const bigrams = all.filter((t) => [...t].length === 2 && CJK.test(t));
  return all.filter((t) => !(CJK.test(t) && [...t].length === 1 && bigrams.some((b) => b.includes(t)))).slice(0, MAX_QUERY_TERMS);
}

function docTerms(d: DatasetRecord): string[] {
  const text = [d.title.zh, d.title.en, d.description.zh, d.description.en, ...d.keywords, d.id].filter(Boolean).join(' ');
  return [
    ...terms(text),
    ...d.themes.map((t) => `\u0000theme:${t}`),
    `\u0000sens:${d.sensitivity}`, `\u0000freq:${d.frequency}`, `\u0000owner:${d.owner}`, `\u0000status:${d.status}`,
  ];
}

export class CatalogIndex {
  private readonly postings = new Map<string, Set<number>>();
  private readonly docs: DatasetRecord[] = [];
  private readonly seqOf = new Map<string, number>();
  private readonly termsOf: string[][] = [];
  private height = -1;
  /** Doc numbers newest first (by modified, then publication order); rebuilt after a change. */
  private order: number[] | undefined;
  private rank: Int32Array = new Int32Array(0);

  constructor(private readonly src: CatalogSource) {}

  /** Datasets indexed. */
  get size(): number {
    return this.docs.length;
  }

  private put(id: string): void {
    const rec = this.src.getState(catalogStateKey.dataset(id)).value as DatasetRecord | null;
    if (!rec) return;
    let n = this.seqOf.get(id);
    if (n === undefined) {
      n = this.docs.length;
      this.seqOf.set(id, n);
    } else {
      for (const t of this.termsOf[n]!) this.postings.get(t)?.delete(n);
    }
    this.docs[n] = rec;
    this.order = undefined;
    const ts = docTerms(rec);
    this.termsOf[n] = ts;
    for (const t of ts) {
      let set = this.postings.get(t);
      if (!set) this.postings.set(t, (set = new Set()));
      set.add(n);
    }
  }

  /** Brings the index up to the chain's height: the first time from the id list, then block by block. */
  refresh(): number {
    const h = this.src.height();
    if (h === this.height) return h;
    if (this.height < 0 || h - this.height > 10_000) {
      const count = (this.src.getState(catalogStateKey.count()).value as number | null) ?? 0;
      for (let i = this.docs.length + 1; i <= count; i++) this.put(this.src.getState(catalogStateKey.seq(i)).value as string);
      if (this.height >= 0) for (const d of [...this.docs]) this.put(d.id);
    } else {
      for (let b = this.height + 1; b <= h; b++) {
        for (const r of this.src.getBlock(b)?.receipts ?? []) {
          for (const e of r.events) {
            if (e.module === 'catalog' && e.data && typeof e.data === 'object' && !Array.isArray(e.data) && typeof e.data.id === 'string') this.put(e.data.id);
          }
        }
      }
    }
    this.height = h;
    return h;
  }

  private newestFirst(): number[] {
    if (!this.order) {
      const order = this.docs.map((_, i) => i).sort((a, b) => this.docs[b]!.modified - this.docs[a]!.modified || b - a);
      const rank = new Int32Array(order.length);
      order.forEach((n, i) => (rank[n] = i));
      this.order = order;
      this.rank = rank;
    }
    return this.order;
  }

  search(query: CatalogQuery): CatalogPage {
    const height = this.refresh();
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
    const want: string[] = query.q ? queryTerms(query.q) : [];
    if (query.theme) want.push(`\u0000theme:${query.theme}`);
    if (query.sensitivity) want.push(`\u0000sens:${query.sensitivity}`);
    if (query.frequency) want.push(`\u0000freq:${query.frequency}`);
    if (query.owner) want.push(`\u0000owner:${query.owner}`);
    if (!query.withdrawn) want.push('\u0000status:active');
    const sets = want.map((t) => this.postings.get(t) ?? new Set<number>()).sort((a, b) => a.size - b.size);
    const order = this.newestFirst();
    let hits: number[];
    if (sets.length === 0) hits = order;
    else {
      const [first, ...rest] = sets;
      hits = [...first!].filter((n) => rest.every((s) => s.has(n)));
      // Newest first (most recently modified; ties by publication order), by precomputed rank.
      const rank = this.rank;
      hits.sort((a, b) => rank[a]! - rank[b]!);
    }
    const offset = query.cursor ? Number.parseInt(query.cursor, 36) : 0;
    const start = Number.isSafeInteger(offset) && offset >= 0 ? offset : 0;
    const page = hits.slice(start, start + limit).map((n) => this.docs[n]!);
    const out: CatalogPage = { total: hits.length, datasets: page, height };
    if (start + limit < hits.length) out.next = (start + limit).toString(36);
    return out;
  }
}
