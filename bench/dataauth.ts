/**
 * `npm run bench -- dataauth` (issue #17): authorisation decisions per second — the dataauth
 * module's decision (decideUse: the grant, its revocation status entry, consents, the ODRL
 * evaluation, read from the chain's committed state) on the node — against notary.put tx/s
 * committed on the same node's data chain in the same run (`ratio` = decisions/s ÷ notary tx/s;
 * target ≥ 1). The node runs in this process so decisions are timed where the chain is; the same
 * decision over HTTP (POST /v1/data/grants/:id/decide) is reported too, as is the catalog search
 * p99 over HTTP with 10⁴ datasets published (`searchP99Ms`; target under 50 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../src/node/index.ts';
import { decide } from '../src/data/index.ts';
import { createHash } from 'node:crypto';
import { generateKeyPair, didFromPublicKey, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Tx } from '../src/ledger/index.ts';
import { ShulianClient, approveRequest, requestData } from '../src/sdk/index.ts';
import type { BenchResult } from './result.ts';
import { driveLoad, percentile, presignNotaryTxs } from './lib/load.ts';

const SUITE = 'ed25519';
const DATASETS = 10_000;
const NOTARY_TXS = 8_000;
const DECISIONS = 20_000;
const HTTP_DECISIONS = 3_000;
const SEARCHES = 600;
const WORDS_ZH = ['交通', '医疗', '教育', '环境', '气象', '人口', '税收', '能源', '农业', '住房', '就业', '养老', '文化', '旅游', '水务', '公安', '民政', '财政', '规划', '港口'];
const WORDS_EN = ['traffic', 'hospital', 'school', 'air', 'weather', 'census', 'tax', 'energy', 'farm', 'housing', 'jobs', 'pension', 'museum', 'tourism', 'water', 'police', 'welfare', 'budget', 'zoning', 'port'];
const THEMES = ['TRAN', 'HEAL', 'EDUC', 'ENVI', 'ENVI', 'SOCI', 'ECON', 'ENER', 'AGRI', 'REGI', 'ECON', 'SOCI', 'EDUC', 'ECON', 'ENVI', 'JUST', 'SOCI', 'GOVE', 'REGI', 'TRAN'];

function datasetTxs(publishers: KeyPair[]): Tx[] {
  const txs: Tx[] = [];
  for (let i = 0; i < DATASETS; i++) {
    const k = publishers[i % publishers.length]!;
    const a = i % WORDS_ZH.length;
    const b = (i * 7 + 3) % WORDS_ZH.length;
    const args = {
      id: `ds-${i}`, title: { zh: `${WORDS_ZH[a]}${WORDS_ZH[b]}数据 ${i}`, en: `${WORDS_EN[a]} ${WORDS_EN[b]} data ${i}` },
      description: { zh: `${WORDS_ZH[a]}相关的公共数据`, en: `Public data on ${WORDS_EN[a]}` }, keywords: [WORDS_EN[b]!, WORDS_ZH[b]!],
      themes: [THEMES[a]!], frequency: 'MONTHLY', sensitivity: i % 10 === 0 ? 'closed' : 'conditional',
      distributions: [{ id: 'api', mediaType: 'application/json', accessUrl: `https://data.example.gov.cn/${i}/api` }], services: [],
    };
    txs.push(signTx(k, { chain: 'data', module: 'catalog', method: 'publish', args, nonce: Math.floor(i / publishers.length), expires: 1_000_000 }).tx);
  }
  return txs;
}

async function timed<T>(n: number, inflight: number, one: (i: number) => Promise<T>): Promise<{ perSec: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      await one(i);
      latencies.push(performance.now() - s);
    }
  }));
  return { perSec: n / ((performance.now() - t0) / 1000), latencies: latencies.sort((x, y) => x - y) };
}

export default async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-bench-'));
  // One load generator on one address: the benchmark measures the node, not its rate limiter.
  const running = await startNode({ dataDir: dir, port: 0, suite: SUITE, log: () => {}, api: { rateLimitPerMinute: 100_000_000 } });
  try {
    const url = running.url;
    // The limit: notary.put committed on the same node's data chain.
    const notary = await driveLoad(url, 'data', presignNotaryTxs(SUITE, NOTARY_TXS, 200, 'data'));
    // 10⁴ datasets, from 100 publishing organisations.
    const publishers = Array.from({ length: 100 }, () => generateKeyPair(SUITE));
    await driveLoad(url, 'data', datasetTxs(publishers));
    // One grant with a use count, the ODRL evaluation's usual shape.
    const c = new ShulianClient({ baseUrl: url });
    const operator = generateKeyPair(SUITE);
    const req = await requestData(c, operator, { dataset: 'ds-1', purpose: 'dpv:AcademicResearch', actions: ['read', 'aggregate'], count: 1_000_000, notAfter: '2099-01-01T00:00:00Z' });
    const { result: granted } = await approveRequest(c, publishers[1]!, req.result.request);
    const user = didFromPublicKey(operator.publicKey);
    const body = JSON.stringify({ user, action: 'read', purpose: 'dpv:AcademicResearch' });
    const chain = running.node.chain('data')!;
    const ask = { user, action: 'read', purpose: 'dpv:AcademicResearch' };
    const t0 = performance.now();
    for (let i = 0; i < DECISIONS; i++) {
      const v = decide(chain, granted.grant, ask, Date.now());
      if (!v.ok) throw new Error(`decision refused: ${JSON.stringify(v)}`);
    }
    const decisionsPerSec = DECISIONS / ((performance.now() - t0) / 1000);
    const http = await timed(HTTP_DECISIONS, 16, async () => {
      const res = await fetch(`${url}/v1/data/grants/${granted.grant}/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const v = (await res.json()) as { ok: boolean };
      if (!v.ok) throw new Error(`decision refused: ${JSON.stringify(v)}`);
    });
    const queries = Array.from({ length: SEARCHES }, (_, i) => {
      const w = i % 3 === 0 ? WORDS_ZH[i % WORDS_ZH.length]! : WORDS_EN[i % WORDS_EN.length]!;
      return i % 4 === 0 ? `q=${encodeURIComponent(w)}&theme=${THEMES[i % THEMES.length]}` : i % 4 === 1 ? `cursor=${(i % 50).toString(36)}` : `q=${encodeURIComponent(w)}&limit=50`;
    });
    // The node builds its index on the first search (reported), then keeps it current block by block.
    const b0 = performance.now();
    await (await fetch(`${url}/v1/data/catalog?limit=1`)).arrayBuffer();
    const indexBuildMs = performance.now() - b0;
    let total = -1;
    const search = await timed(SEARCHES, 1, async (i) => {
      const res = await fetch(`${url}/v1/data/catalog?${queries[i]}`);
      const page = (await res.json()) as { total: number };
      if (res.status !== 200) throw new Error(`search failed: ${JSON.stringify(page)}`);
      if (i === 1) total = page.total;
    });
    const value = Math.round(decisionsPerSec);
    return {
      bench: 'dataauth', value, unit: 'decisions/s', limit: Math.round(notary.txPerSec),
      limitWhat: 'notary.put tx/s committed on the same node\'s data chain in this run', ratio: Number((decisionsPerSec / notary.txPerSec).toFixed(3)), target: 1,
      httpDecisionsPerSec: Math.round(http.perSec), httpDecisionP99Ms: Number(percentile(http.latencies, 99).toFixed(2)),
      searchP50Ms: Number(percentile(search.latencies, 50).toFixed(2)), searchP99Ms: Number(percentile(search.latencies, 99).toFixed(2)), searchTargetMs: 50,
      datasets: DATASETS, activeDatasets: total, indexBuildMs: Math.round(indexBuildMs),
      // A fingerprint of the inputs' shape, so runs are comparable.
      shape: createHash('sha256').update(`${DATASETS}/${NOTARY_TXS}/${DECISIONS}/${SEARCHES}`).digest('hex').slice(0, 8),
    };
  } finally {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
