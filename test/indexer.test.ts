/**
 * The explorer on PostgreSQL (issue #25 item 6, docs/explorer.md), on real processes and a real
 * PostgreSQL server (Debian's, a throwaway cluster): a `shulian up --pg` node indexes its own
 * chains and serves /v1/explorer/* from them; a standalone `shulian indexer` is killed (SIGKILL)
 * twice while blocks keep coming and restarted, and its database then holds every block and tx of
 * every chain exactly once, matching the node's own blocks; filters, paging, CSV, daily
 * statistics and Chinese search answer from PostgreSQL; malformed queries are refused clearly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import { readSample } from '../src/lex/index.ts';
import { ShulianClient, ShulianHttp, deployContractTemplate, draftContract } from '../src/sdk/index.ts';
import { settleFaucet, settleTransfer } from '../src/sdk/settlement.ts';
import { Indexer, PgIndex } from '../src/indexer/index.ts';
import { cliPath, repoRoot, startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { createDatabase, startPostgres, type PgServer } from './helpers/postgres.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';
import { bounded } from './helpers/fuzz-budget.ts';

let server: PgServer;
let node: NodeProcess;
let nodeDb: string;
let tmp: { dir: string; cleanup: () => void };
let c: ShulianClient;
const [alice, bob] = [generateKeyPair('sm2'), generateKeyPair('sm2')];
const did = (k: KeyPair): string => didFromPublicKey(k.publicKey);

before(async () => {
  tmp = tempDir();
  server = await startPostgres();
  nodeDb = await createDatabase(server, 'explorer');
  node = await startNodeProcess(join(tmp.dir, 'node'), undefined, ['--pg', nodeDb]);
  c = new ShulianClient({ baseUrl: node.url });
});

after(async () => {
  await node?.stop();
  await server?.stop();
  tmp?.cleanup();
});

const get = async <T>(path: string): Promise<{ status: number; body: T; text: string; type: string | null }> => {
  const r = await fetch(node.url + path);
  const text = await r.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: r.status, body: body as T, text, type: r.headers.get('content-type') };
};

/** Some of everything the explorer shows: named notary records (one refused twice), money, a contract draft. */
async function activity(round: number): Promise<void> {
  const put = async (k: KeyPair, hash: string, name: string) => (await c.waitForTx(await c.send('notary', k, { module: 'notary', method: 'put', args: { hash, name } }))).receipt;
  const h = (n: number) => (round * 1000 + n).toString(16).padStart(64, '0');
  assert.equal((await put(alice, h(1), `港口提单 bill of lading ${round}`)).status, 'ok');
  assert.equal((await put(bob, h(2), `营业执照 licence ${round}`)).status, 'ok');
  assert.equal((await put(bob, h(2), 'the same hash again')).code, 'NOTARY_EXISTS');
  await settleTransfer(c, alice, { to: did(bob), currency: 'CNY', amount: String(100 + round) });
}

test('a killed indexer resumes with nothing lost or duplicated; the explorer filters, pages, exports and searches from PostgreSQL', { timeout: 600_000 }, async () => {
  await settleFaucet(c, alice, { currency: 'CNY', amount: '10000' });
  const dir = join(repoRoot, 'contracts/late-delivery');
  const { result: { template } } = await deployContractTemplate(c, alice, readFileSync(join(dir, 'contract.lex'), 'utf8'));
  const terms = Object.fromEntries(Object.entries(readSample(dir)).filter(([k]) => k !== 'seller' && k !== 'buyer'));
  const { result: { id: contractId } } = await draftContract(c, bob, { template, params: terms, parties: { seller: did(alice), buyer: did(bob) } });

  // A standalone indexer into its own database, killed twice mid-stream.
  const standaloneDb = await createDatabase(server, 'standalone');
  let proc: ChildProcess | undefined;
  let log = '';
  const startIndexer = (): ChildProcess => {
    const p = spawn(process.execPath, [cliPath, 'indexer', '--pg-env', 'INDEX_PG', '--api', node.url, '--poll-ms', '50'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INDEX_PG: standaloneDb, SHULIAN_HOME: join(tmp.dir, 'home') },
    });
    p.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    return p;
  };
  const check = new pg.Client({ connectionString: standaloneDb });
  const indexedTxs = async (): Promise<number> => {
    try {
      return Number((await check.query<{ n: string }>('SELECT count(*) AS n FROM txs')).rows[0]!.n);
    } catch {
      return 0; // the schema is not there yet
    }
  };
  try {
    proc = startIndexer();
    await waitFor(async () => {
      try {
        await check.connect();
        return true;
      } catch {
        return false;
      }
    }, 'the standalone database', 30_000);
    for (let round = 1; round <= 3; round++) {
      const before = await indexedTxs();
      await activity(round);
      // Kill it once it has written something new: somewhere in the middle of the stream.
      await waitFor(async () => (await indexedTxs()) > before, `the indexer to write round ${round}`, 120_000).catch((e: Error) => assert.fail(`${e.message}\n${log}`));
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      await activity(round + 10);
      proc = startIndexer();
    }
    // Caught up: every chain's cursor at the node's height of a moment ago.
    const heights = Object.fromEntries((await c.chains()).map((ch) => [ch.id, ch.height]));
    await waitFor(async () => {
      const r = await check.query<{ chain: string; height: string }>('SELECT chain, height FROM cursors').catch(() => ({ rows: [] }));
      const at = Object.fromEntries(r.rows.map((x) => [x.chain, Number(x.height)]));
      return Object.entries(heights).every(([id, h]) => (at[id] ?? -1) >= h);
    }, 'the restarted indexer to catch up', 180_000).catch((e: Error) => assert.fail(`${e.message}\n${log}`));

    // Exactly once: each chain's blocks 0..cursor are there once, with the node's hashes; every tx once.
    for (const [id, h] of Object.entries(heights)) {
      const blocks = await check.query<{ height: string; hash: string }>('SELECT height, hash FROM blocks WHERE chain = $1 AND height <= $2 ORDER BY height', [id, h]);
      assert.deepEqual(blocks.rows.map((b) => Number(b.height)), Array.from({ length: h + 1 }, (_, i) => i), `chain ${id}: contiguous blocks 0..${h}`);
      let expectTxs = 0;
      for (let height = 0; height <= h; height++) {
        const b = await c.block(id, height);
        assert.equal(blocks.rows[height]!.hash, b.hash, `${id}/${height}`);
        expectTxs += b.txs.length;
      }
      const txs = await check.query<{ n: string; distinct: string }>('SELECT count(*) AS n, count(DISTINCT hash) AS distinct FROM txs WHERE chain = $1 AND height <= $2', [id, h]);
      assert.equal(Number(txs.rows[0]!.n), expectTxs, `chain ${id}: every tx once`);
      assert.equal(Number(txs.rows[0]!.distinct), expectTxs);
    }
    const paid = await check.query<{ currency: string; amount: string }>("SELECT currency, amount::text AS amount FROM settlement_entries WHERE type = 'FaucetPaid'");
    assert.deepEqual(paid.rows, [{ currency: 'CNY', amount: '10000' }], 'settlement events indexed with currency and amount');
  } finally {
    proc?.kill('SIGKILL');
    await check.end().catch(() => undefined);
  }

  // The node's own index serves the explorer.
  await waitFor(async () => {
    const s = await get<{ chains: Array<{ chain: string; height: number }> }>('/v1/explorer/status');
    const notary = s.body.chains?.find((x) => x.chain === 'notary');
    return notary && notary.height >= (await c.chain('notary')).height;
  }, 'the node to index its notary chain', 120_000);
  const byBob = await get<{ txs: Array<{ from: string; status: string; method: string; height: number; index: number }>; next?: string }>(`/v1/explorer/chains/notary/txs?from=${did(bob)}&limit=2`);
  assert.equal(byBob.status, 200, byBob.text);
  assert.equal(byBob.body.txs.length, 2);
  assert.ok(byBob.body.txs.every((t) => t.from === did(bob)));
  assert.ok(byBob.body.next);
  // Paging by `next` walks all of bob's notary txs once, newest first: 6 rounds × (one record + one refusal).
  const seen: string[] = [];
  let next: string | undefined;
  do {
    const page = await get<{ txs: Array<{ height: number; index: number }>; next?: string }>(`/v1/explorer/chains/notary/txs?from=${did(bob)}&limit=5${next ? `&before=${next}` : ''}`);
    seen.push(...page.body.txs.map((t) => `${t.height}:${t.index}`));
    next = page.body.next;
  } while (next);
  assert.equal(seen.length, 12);
  assert.equal(new Set(seen).size, 12);
  const failed = await get<{ txs: Array<{ status: string; code: string }> }>('/v1/explorer/chains/notary/txs?status=failed');
  assert.equal(failed.body.txs.length, 6);
  assert.ok(failed.body.txs.every((t) => t.status === 'failed' && t.code === 'NOTARY_EXISTS'));
  const transfers = await get<{ txs: unknown[] }>('/v1/explorer/chains/settle/txs?module=settlement&method=transfer');
  assert.equal(transfers.body.txs.length, 6);

  const csv = await get<null>(`/v1/explorer/chains/notary/txs.csv?from=${did(alice)}`);
  assert.equal(csv.status, 200);
  assert.match(csv.type ?? '', /^text\/csv/);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines[0], 'chain,height,index,hash,from,module,method,status,code,time,nonce,gasUsed');
  assert.equal(lines.length, 1 + 6);

  const now = Date.now();
  const daily = await get<{ days: Array<{ day: string; txs: number; failed: number }> }>(`/v1/explorer/chains/notary/daily?from=${now - 2 * 86_400_000}&to=${now + 86_400_000}`);
  assert.equal(daily.body.days.reduce((n, d) => n + d.failed, 0), 6);

  const found = await get<{ hits: Array<{ kind: string; title: string; ref: string }> }>(`/v1/explorer/search?q=${encodeURIComponent('提单')}`);
  assert.equal(found.body.hits.length, 6);
  assert.ok(found.body.hits.every((x) => x.kind === 'notary' && x.title.includes('港口提单')));
  const contract = await get<{ hits: Array<{ kind: string; title: string; ref: string }> }>(`/v1/explorer/search?q=${encodeURIComponent('迟延交付')}`);
  assert.deepEqual(contract.body.hits.map((x) => [x.kind, x.ref]), [['contract', contractId]]);
  assert.match(contract.body.hits[0]!.title, /Late Delivery and Penalty/);
});

test('malformed explorer queries are refused with what was wrong; nothing is written', { timeout: 300_000 }, async () => {
  for (const [path, needle] of [
    ['/v1/explorer/chains/notary/txs?limit=0', 'limit'],
    ['/v1/explorer/chains/notary/txs?limit=1000', 'limit'],
    ['/v1/explorer/chains/notary/txs?from=alice', 'DID'],
    ['/v1/explorer/chains/notary/txs?status=maybe', 'status'],
    ['/v1/explorer/chains/notary/txs?before=x', 'before'],
    ['/v1/explorer/chains/notary/txs?what=1', 'what'],
    ['/v1/explorer/chains/Not_A_Chain/txs', 'chain id'],
    ['/v1/explorer/chains/notary/daily?from=5&to=1', 'from'],
    ['/v1/explorer/search?q=%20%2C', 'word'],
  ] as const) {
    const r = await get<{ error: { code: string; message: string } }>(path);
    assert.equal(r.status, 400, `${path}: ${r.text}`);
    assert.equal(r.body.error.code, 'EXPLORER_BAD_QUERY', path);
    assert.match(r.body.error.message, new RegExp(needle), path);
  }
  // Any query string: a 200 or a 400, never a 500, and the index unchanged.
  const index = await PgIndex.open(nodeDb);
  try {
    const count = async () => Number((await index.pool.query<{ n: string }>('SELECT count(*) AS n FROM txs WHERE chain = $1', ['notary'])).rows[0]!.n);
    const before = await count();
    const key = fc.constantFrom('from', 'module', 'method', 'status', 'since', 'until', 'before', 'limit', 'q', 'x');
    const b = bounded(60, 20_000);
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(key, fc.string({ maxLength: 30 })), { maxLength: 4 }), fc.constantFrom('txs', 'txs.csv', 'daily'), b.guard(async (pairs, route) => {
      const qs = new URLSearchParams(pairs).toString();
      const r = await fetch(`${node.url}/v1/explorer/chains/notary/${route}?${qs}`);
      assert.ok(r.status === 200 || r.status === 400, `${route}?${qs}: ${r.status} ${await r.text()}`);
    })), b.params);
    assert.equal(await count(), before);
  } finally {
    await index.close();
  }
});

test('the indexer keeps its cursor in memory: PostgreSQL is asked once per chain, and again only after another writer moved it', { timeout: 300_000 }, async () => {
  const db = await createDatabase(server, 'cursor');
  const index = await PgIndex.open(db);
  const reads = new Map<string, number>();
  // The real store; only its cursor reads are counted.
  const counted = Object.create(index) as PgIndex;
  counted.cursor = (chain: string) => {
    reads.set(chain, (reads.get(chain) ?? 0) + 1);
    return index.cursor(chain);
  };
  // Timers too slow to fire here: each round of following is one caughtUp() kick, so the count is exact.
  const slow = { pollMs: 600_000, discoverMs: 600_000 };
  const indexer = new Indexer({ index: counted, sources: [new ShulianHttp({ baseUrl: node.url })], ...slow });
  const put = async (n: number) => c.waitForTx(await c.send('notary', alice, { module: 'notary', method: 'put', args: { hash: (900_000 + n).toString(16).padStart(64, '0') } }));
  try {
    await indexer.start();
    await indexer.caughtUp(120_000);
    const chains = Object.keys(indexer.status().chains);
    assert.ok(chains.includes('notary'));
    // New blocks on the notary chain, each indexed by a later round: none reads the cursor again.
    for (let n = 0; n < 3; n++) {
      await put(n);
      await indexer.caughtUp(60_000);
    }
    for (const chain of chains) assert.equal(reads.get(chain), 1, `cursor reads of ${chain}`);
    // Another indexer writes the next notary block first: this one finds it indexed, reads the cursor again, and goes on.
    await put(100);
    const other = new Indexer({ index, sources: [new ShulianHttp({ baseUrl: node.url })], ...slow });
    await other.start();
    await other.caughtUp(60_000);
    await other.close();
    await put(101);
    await indexer.caughtUp(60_000);
    assert.equal(reads.get('notary'), 2, 'read again after finding a block indexed by another writer');
    const count = async (sql: string) => Number((await index.pool.query<{ n: string }>(sql, ['notary'])).rows[0]!.n);
    const head = (await c.chain('notary')).height;
    assert.equal(await count('SELECT count(*) AS n FROM blocks WHERE chain = $1'), head + 1, 'every notary block indexed once');
    assert.equal(await count('SELECT count(DISTINCT height) AS n FROM blocks WHERE chain = $1'), head + 1);
  } finally {
    await indexer.close();
    await index.close();
  }
});
