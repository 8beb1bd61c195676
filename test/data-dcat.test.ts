/**
 * The catalog's DCAT-AP 3 export (Turtle and JSON-LD, src/data/dcat.ts) validated against the
 * official DCAT-AP 3.0.0 SHACL shapes with a real SHACL engine — no ignore list — and a broken
 * export is caught by the same shapes (so the check can fail). Also: search stays an index lookup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogTriples, toJsonLd, toTurtle, CatalogIndex, terms, type CatalogSource } from '../src/data/index.ts';
import { catalogStateKey } from '../src/modules/catalog/keys.ts';
import type { DatasetRecord } from '../src/modules/catalog/types.ts';
import { jsonLdQuads, parseTurtle, validateDcatAp } from './helpers/shacl.ts';

const owner = 'did:shulian:4fQyqjuNu9X8UXfVBr6pCYpCeyp1';
const rec = (i: number, over: Partial<DatasetRecord> = {}): DatasetRecord => ({
  id: `ds-${i}`, title: { zh: `道路交通流量 ${i}`, en: `Road traffic flow ${i}` }, description: { zh: '每小时车流量', en: 'Hourly vehicle counts' },
  keywords: ['traffic', '交通'], themes: ['TRAN', 'REGI'], frequency: 'HOURLY', sensitivity: 'conditional', license: 'https://creativecommons.org/licenses/by/4.0/',
  distributions: [
    { id: 'api', mediaType: 'application/json', accessUrl: 'https://data.example.gov.cn/traffic/api', service: 'query', byteSize: 1024 },
    { id: 'csv', title: { en: 'Daily dump' }, mediaType: 'text/csv', accessUrl: 'https://data.example.gov.cn/traffic', downloadUrl: 'https://data.example.gov.cn/traffic.csv' },
  ],
  services: [{ id: 'query', title: { zh: '查询接口' }, kind: 'privacy-computing', endpointUrl: 'https://data.example.gov.cn/traffic/api', endpointDescription: 'https://data.example.gov.cn/traffic/openapi.json' }],
  owner, version: 2, status: 'active', issued: Date.UTC(2026, 0, 1), modified: Date.UTC(2026, 5, 1), height: 10, tx: 'ab'.repeat(32), ...over,
});
const info = { chain: 'data', title: { zh: '数据目录', en: 'Data catalog' }, description: { en: 'Datasets of the data chain' }, publisher: { did: owner, name: 'Operator' } };

test('the Turtle and JSON-LD exports conform to the DCAT-AP 3.0.0 shapes, and say the same', async () => {
  const triples = catalogTriples(info, [rec(1), rec(2, { license: undefined, services: [], distributions: [{ id: 'f', mediaType: 'text/csv', accessUrl: 'https://x.example/f' }] })], () => 'Shanghai Traffic Bureau');
  const ttl = parseTurtle(toTurtle(triples));
  const fromJson = await jsonLdQuads(toJsonLd(triples));
  assert.equal(ttl.length, triples.length);
  assert.equal(fromJson.length, triples.length, 'JSON-LD gives the same number of triples');
  const key = (q: { subject: { value: string }; predicate: { value: string }; object: { value: string } }) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`;
  assert.deepEqual(new Set(fromJson.map(key)), new Set(ttl.map(key)));
  for (const quads of [ttl, fromJson]) {
    const r = await validateDcatAp(quads);
    assert.equal(r.conforms, true, JSON.stringify(r.results, null, 1));
  }
});

test('the shapes catch a broken export: a dataset without a description, a distribution without an access URL', async () => {
  const ttl = toTurtle(catalogTriples(info, [rec(3)]))
    .split('\n').filter((l) => !/dct:description "每小时车流量"@zh|dct:description "Hourly vehicle counts"@en|dcat:accessURL/.test(l)).join('\n')
    .replace(/;\n\n/g, '.\n\n');
  const r = await validateDcatAp(parseTurtle(ttl));
  assert.equal(r.conforms, false);
  const messages = r.results.map((x) => x.message);
  assert.ok(messages.includes('Minimally 1 values are expected for description'), messages.join('; '));
  assert.ok(messages.includes('Minimally 1 values are expected for access URL'), messages.join('; '));
});

test('search is an index: Chinese bigrams and English words, filters, newest first, paging', () => {
  const state = new Map<string, unknown>();
  const n = 2_000;
  for (let i = 1; i <= n; i++) {
    const d = rec(i, { themes: i % 2 ? ['TRAN'] : ['HEAL'], title: i % 2 ? { zh: `道路交通流量 ${i}` } : { en: `Hospital beds ${i}` }, modified: i, keywords: [] });
    state.set(catalogStateKey.dataset(d.id), d);
    state.set(catalogStateKey.seq(i), d.id);
  }
  state.set(catalogStateKey.count(), n);
  const src: CatalogSource = { height: () => 1, getState: (k) => ({ value: state.get(k) ?? null }), getBlock: () => undefined };
  const idx = new CatalogIndex(src);
  const traffic = idx.search({ q: '交通', limit: 10 });
  assert.equal(traffic.total, n / 2);
  assert.equal(traffic.datasets[0]!.id, `ds-${n - 1}`, 'newest first');
  assert.deepEqual(idx.search({ q: 'hospital beds', theme: 'HEAL', limit: 1 }).total, n / 2);
  assert.equal(idx.search({ q: '交通', theme: 'HEAL' }).total, 0);
  const all: string[] = [];
  for (let cursor: string | undefined; ;) {
    const page = idx.search({ theme: 'TRAN', limit: 100, ...(cursor ? { cursor } : {}) });
    all.push(...page.datasets.map((d) => d.id));
    if (!page.next) break;
    cursor = page.next;
  }
  assert.equal(new Set(all).size, n / 2, 'paging visits every hit once');
  assert.deepEqual(terms('道路交通 Flow-2'), ['道', '道路', '路', '路交', '交', '交通', '通', 'flow', '2']);
});
