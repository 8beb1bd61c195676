/**
 * A committed block as the rows the indexer writes (pure: no database, no clock). Cross-chain
 * packets are the xchain module's packet events, with the chain they left or reached (the
 * indexed chain is the other end); settlement entries are the settlement module's events, with
 * the currency and integer amount when the event names them; search documents are notary records
 * with a name and contract drafts (titled by their template).
 */
import type { JsonValue } from '../codec/index.ts';
import type { Block } from '../ledger/index.ts';
import { terms } from '../data/index.ts';

export interface TxRow {
  chain: string; height: number; idx: number; hash: string; sender: string; module: string; method: string;
  status: string; code: string | null; time: number; nonce: number; gasUsed: number; args: JsonValue; result: JsonValue | null;
}
export interface EventRow { chain: string; height: number; txIdx: number; evIdx: number; module: string; type: string; data: JsonValue }
export interface PacketRow { chain: string; height: number; txIdx: number; evIdx: number; type: string; srcChain: string | null; dstChain: string | null; sequence: number | null; data: JsonValue }
export interface EntryRow { chain: string; height: number; txIdx: number; evIdx: number; type: string; currency: string | null; amount: string | null; data: JsonValue }
export interface TemplateRow { chain: string; template: string; id: string; version: string }
/** A search document; `title` of a contract draft is filled from its template's row when written. */
export interface SearchRow { chain: string; height: number; txIdx: number; kind: 'notary' | 'contract'; ref: string; title: string; template?: string }

export interface BlockRows {
  block: { chain: string; height: number; hash: string; prev: string; time: number; proposer: string; txCount: number };
  txs: TxRow[];
  events: EventRow[];
  packets: PacketRow[];
  entries: EntryRow[];
  templates: Array<TemplateRow & { source: string }>;
  search: SearchRow[];
}

const PACKET_EVENTS = new Set(['PacketSent', 'PacketReceived', 'PacketAcknowledged', 'PacketTimedOut']);
const AMOUNT_RE = /^(0|[1-9][0-9]{0,37})$/;

const field = (data: JsonValue, name: string): JsonValue | undefined =>
  data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, JsonValue>)[name] : undefined;
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

export function rowsOf(b: Block): BlockRows {
  const h = b.header;
  const out: BlockRows = {
    block: { chain: h.chain, height: h.height, hash: b.hash, prev: h.prev, time: h.time, proposer: h.proposer, txCount: b.txs.length },
    txs: [], events: [], packets: [], entries: [], templates: [], search: [],
  };
  b.txs.forEach((tx, i) => {
    const r = b.receipts[i]!;
    out.txs.push({
      chain: h.chain, height: h.height, idx: i, hash: r.tx, sender: tx.from, module: tx.module, method: tx.method, status: r.status,
      code: r.code ?? null, time: h.time, nonce: tx.nonce, gasUsed: r.gasUsed, args: tx.args, result: r.result ?? null,
    });
    r.events.forEach((e, j) => {
      const base = { chain: h.chain, height: h.height, txIdx: i, evIdx: j };
      out.events.push({ ...base, module: e.module, type: e.type, data: e.data });
      if (e.module === 'xchain' && PACKET_EVENTS.has(e.type)) {
        const seq = field(e.data, 'sequence');
        const outbound = e.type !== 'PacketReceived';
        out.packets.push({
          ...base, type: e.type, srcChain: outbound ? h.chain : str(field(e.data, 'srcChain')), dstChain: outbound ? str(field(e.data, 'dstChain')) : h.chain,
          sequence: typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null, data: e.data,
        });
      }
      if (e.module === 'settlement') {
        const amount = str(field(e.data, 'amount'));
        out.entries.push({ ...base, type: e.type, currency: str(field(e.data, 'currency')), amount: amount && AMOUNT_RE.test(amount) ? amount : null, data: e.data });
      }
      if (e.module === 'lexcontract' && e.type === 'Deployed' && r.status === 'ok') {
        const template = str(field(e.data, 'template'));
        const source = str(field(tx.args, 'source'));
        if (template && source) out.templates.push({ chain: h.chain, template, id: str(field(e.data, 'id')) ?? '', version: str(field(e.data, 'version')) ?? '', source });
      }
      if (e.module === 'lexcontract' && e.type === 'Drafted') {
        const id = str(field(e.data, 'id'));
        const template = str(field(e.data, 'template'));
        if (id && template) out.search.push({ chain: h.chain, height: h.height, txIdx: i, kind: 'contract', ref: id, title: '', template });
      }
    });
    if (tx.module === 'notary' && tx.method === 'put' && r.status === 'ok') {
      const name = str(field(tx.args, 'name'));
      const hash = str(field(tx.args, 'hash'));
      if (name && hash) out.search.push({ chain: h.chain, height: h.height, txIdx: i, kind: 'notary', ref: hash, title: name });
    }
  });
  return out;
}

/** The terms a search document is found by (the catalog's: words, Chinese characters and bigrams), at most 256. */
export function searchTerms(...texts: string[]): string[] {
  return [...new Set(texts.flatMap((t) => terms(t)))].slice(0, 256);
}
