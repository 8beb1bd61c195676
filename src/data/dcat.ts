/**
 * DCAT 3 / DCAT-AP 3.0 export of the catalog: one list of RDF triples built from the chain's
 * records, written as Turtle and as JSON-LD, so both say exactly the same. The tests validate
 * both against the official DCAT-AP 3.0.0 SHACL shapes (test/fixtures/dcat-ap/) with a SHACL
 * engine. Controlled vocabularies are the EU's (data themes, frequencies, file types as IANA
 * media types), each typed as the shapes require (skos:Concept, dct:Frequency, dct:MediaType).
 */
import type { AccessService, DatasetRecord, Distribution, Text } from '../modules/catalog/types.ts';
import { datasetIri } from '../modules/catalog/types.ts';

export const PREFIXES = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  shulian: 'https://w3id.org/shulian/ns#',
} as const;
const THEME = 'http://publications.europa.eu/resource/authority/data-theme/';
const FREQ = 'http://publications.europa.eu/resource/authority/frequency/';
const IANA = 'https://www.iana.org/assignments/media-types/';

export type Term = { iri: string } | { literal: string; lang?: string; datatype?: string };
export interface Triple { s: string; p: string; o: Term }

export interface CatalogInfo {
  /** The catalog's IRI (default urn:shulian:<chain>:catalog). */
  iri?: string;
  chain: string;
  title: Text;
  description: Text;
  /** The catalog's publisher: the operator's DID and name. */
  publisher: { did: string; name: string };
}

const iri = (s: string): Term => ({ iri: s });
const lit = (s: string, lang?: string): Term => (lang ? { literal: s, lang } : { literal: s });
const typed = (s: string, dt: keyof typeof XSD): Term => ({ literal: s, datatype: PREFIXES.xsd + XSD[dt] });
const XSD = { dateTime: 'dateTime', nonNegativeInteger: 'nonNegativeInteger' } as const;
const P = (prefix: keyof typeof PREFIXES, local: string) => PREFIXES[prefix] + local;
const RDF_TYPE = P('rdf', 'type');
const iso = (ms: number) => new Date(ms).toISOString();

function texts(out: Triple[], s: string, p: string, t: Text | undefined): void {
  if (t?.zh) out.push({ s, p, o: lit(t.zh, 'zh') });
  if (t?.en) out.push({ s, p, o: lit(t.en, 'en') });
}

/** IRIs of one dataset's parts, all derived from the dataset's IRI. */
const partIri = (ds: string, kind: 'distribution' | 'service', id: string) => `${ds}/${kind}/${encodeURIComponent(id)}`;
const agentIri = (did: string) => did;

function agent(out: Triple[], seen: Set<string>, did: string, name: string): void {
  if (seen.has(did)) return;
  seen.add(did);
  out.push({ s: agentIri(did), p: RDF_TYPE, o: iri(P('foaf', 'Agent')) });
  out.push({ s: agentIri(did), p: P('foaf', 'name'), o: lit(name) });
}

function concept(out: Triple[], seen: Set<string>, s: string, type: string, label: string): void {
  if (seen.has(s)) return;
  seen.add(s);
  out.push({ s, p: RDF_TYPE, o: iri(type) });
  if (type === P('skos', 'Concept')) out.push({ s, p: P('skos', 'prefLabel'), o: lit(label, 'en') });
}

/** A web resource (an access or endpoint URL): DCAT-AP 3 ranges these over rdfs:Resource, typed so. */
function resource(out: Triple[], seen: Set<string>, s: string, p: string, url: string): void {
  out.push({ s, p, o: iri(url) });
  if (seen.has(url)) return;
  seen.add(url);
  out.push({ s: url, p: RDF_TYPE, o: iri(P('rdfs', 'Resource')) });
}

function distribution(out: Triple[], seen: Set<string>, ds: string, d: Distribution): void {
  const s = partIri(ds, 'distribution', d.id);
  out.push({ s, p: RDF_TYPE, o: iri(P('dcat', 'Distribution')) });
  resource(out, seen, s, P('dcat', 'accessURL'), d.accessUrl);
  if (d.downloadUrl) resource(out, seen, s, P('dcat', 'downloadURL'), d.downloadUrl);
  texts(out, s, P('dct', 'title'), d.title);
  const mt = IANA + d.mediaType;
  out.push({ s, p: P('dcat', 'mediaType'), o: iri(mt) });
  concept(out, seen, mt, P('dct', 'MediaType'), d.mediaType);
  if (d.byteSize !== undefined) out.push({ s, p: P('dcat', 'byteSize'), o: typed(String(d.byteSize), 'nonNegativeInteger') });
  if (d.service) out.push({ s, p: P('dcat', 'accessService'), o: iri(partIri(ds, 'service', d.service)) });
}

function service(out: Triple[], seen: Set<string>, ds: string, x: AccessService): void {
  const s = partIri(ds, 'service', x.id);
  out.push({ s, p: RDF_TYPE, o: iri(P('dcat', 'DataService')) });
  texts(out, s, P('dct', 'title'), x.title);
  resource(out, seen, s, P('dcat', 'endpointURL'), x.endpointUrl);
  if (x.endpointDescription) resource(out, seen, s, P('dcat', 'endpointDescription'), x.endpointDescription);
  out.push({ s, p: P('dcat', 'servesDataset'), o: iri(ds) });
  out.push({ s, p: P('shulian', 'serviceKind'), o: lit(x.kind) });
}

/** The triples of a catalog holding `datasets` (their current versions). `names` maps owner DIDs to names. */
export function catalogTriples(info: CatalogInfo, datasets: DatasetRecord[], names: (did: string) => string = (d) => d): Triple[] {
  const out: Triple[] = [];
  const seen = new Set<string>();
  const cat = info.iri ?? `urn:shulian:${info.chain}:catalog`;
  out.push({ s: cat, p: RDF_TYPE, o: iri(P('dcat', 'Catalog')) });
  texts(out, cat, P('dct', 'title'), info.title);
  texts(out, cat, P('dct', 'description'), info.description);
  out.push({ s: cat, p: P('dct', 'publisher'), o: iri(agentIri(info.publisher.did)) });
  agent(out, seen, info.publisher.did, info.publisher.name);
  for (const d of datasets) {
    const s = datasetIri(info.chain, d.id);
    out.push({ s: cat, p: P('dcat', 'dataset'), o: iri(s) });
    out.push({ s, p: RDF_TYPE, o: iri(P('dcat', 'Dataset')) });
    texts(out, s, P('dct', 'title'), d.title);
    texts(out, s, P('dct', 'description'), d.description);
    out.push({ s, p: P('dct', 'identifier'), o: lit(d.id) });
    for (const k of d.keywords) out.push({ s, p: P('dcat', 'keyword'), o: lit(k) });
    for (const t of d.themes) {
      out.push({ s, p: P('dcat', 'theme'), o: iri(THEME + t) });
      concept(out, seen, THEME + t, P('skos', 'Concept'), t);
    }
    out.push({ s, p: P('dct', 'accrualPeriodicity'), o: iri(FREQ + d.frequency) });
    concept(out, seen, FREQ + d.frequency, P('dct', 'Frequency'), d.frequency);
    out.push({ s, p: P('dct', 'publisher'), o: iri(agentIri(d.owner)) });
    agent(out, seen, d.owner, names(d.owner));
    out.push({ s, p: P('dct', 'issued'), o: typed(iso(d.issued), 'dateTime') });
    out.push({ s, p: P('dct', 'modified'), o: typed(iso(d.modified), 'dateTime') });
    out.push({ s, p: P('dcat', 'version'), o: lit(String(d.version)) });
    out.push({ s, p: P('shulian', 'sensitivity'), o: lit(d.sensitivity) });
    if (d.license) {
      for (const x of d.distributions) out.push({ s: partIri(s, 'distribution', x.id), p: P('dct', 'license'), o: iri(d.license) });
      concept(out, seen, d.license, P('dct', 'LicenseDocument'), d.license);
    }
    for (const x of d.distributions) {
      out.push({ s, p: P('dcat', 'distribution'), o: iri(partIri(s, 'distribution', x.id)) });
      distribution(out, seen, s, x);
    }
    for (const x of d.services) service(out, seen, s, x);
  }
  return out;
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
const iriRef = (s: string) => `<${s.replace(/[\u0000-\u0020<>"{}|^`\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}>`;

function short(u: string): string {
  for (const [p, ns] of Object.entries(PREFIXES)) {
    if (u.startsWith(ns) && /^[A-Za-z][\w-]*$/.test(u.slice(ns.length))) return `${p}:${u.slice(ns.length)}`;
  }
  return iriRef(u);
}

function term(o: Term): string {
  if ('iri' in o) return short(o.iri);
  const s = `"${esc(o.literal)}"`;
  return o.lang ? `${s}@${o.lang}` : o.datatype ? `${s}^^${short(o.datatype)}` : s;
}

/** Turtle of the triples, grouped by subject in order of first appearance. */
export function toTurtle(triples: Triple[]): string {
  const lines = Object.entries(PREFIXES).map(([p, ns]) => `@prefix ${p}: <${ns}> .`);
  const bySubject = new Map<string, Triple[]>();
  for (const t of triples) {
    const list = bySubject.get(t.s);
    if (list) list.push(t);
    else bySubject.set(t.s, [t]);
  }
  for (const [s, ts] of bySubject) {
    lines.push('', `${iriRef(s)}`);
    ts.forEach((t, i) => lines.push(`  ${t.p === RDF_TYPE ? 'a' : short(t.p)} ${term(t.o)}${i === ts.length - 1 ? ' .' : ' ;'}`));
  }
  return lines.join('\n') + '\n';
}

type JsonLdNode = Record<string, unknown>;

/** JSON-LD (a flattened @graph with the prefixes as context) of the same triples. */
export function toJsonLd(triples: Triple[]): { '@context': Record<string, string>; '@graph': JsonLdNode[] } {
  const nodes = new Map<string, JsonLdNode>();
  for (const t of triples) {
    let n = nodes.get(t.s);
    if (!n) nodes.set(t.s, (n = { '@id': t.s }));
    if (t.p === RDF_TYPE && 'iri' in t.o) {
      n['@type'] = [...((n['@type'] as string[] | undefined) ?? []), short(t.o.iri)];
      continue;
    }
    const key = short(t.p);
    const v = 'iri' in t.o ? { '@id': t.o.iri } : t.o.lang ? { '@value': t.o.literal, '@language': t.o.lang } : t.o.datatype ? { '@value': t.o.literal, '@type': t.o.datatype } : { '@value': t.o.literal };
    n[key] = [...((n[key] as unknown[] | undefined) ?? []), v];
  }
  return { '@context': { ...PREFIXES }, '@graph': [...nodes.values()] };
}
