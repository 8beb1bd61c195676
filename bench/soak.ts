/**
 * `npm run bench -- soak [--minutes N]` (issue #21 item 6): four tbft validator processes on
 * loopback (the layout of `shulian up --validators 4`) under a steady closed-loop workload for N
 * minutes (default 10), sampled every 10 s: each node's RSS (/proc), LMDB bytes on disk (the
 * chain stores' files), event-loop lag (mean and p99 from /v1/node/stats), and the commit
 * latency of the writes acknowledged in the window.
 *
 * Workload: 8 clients, each a closed loop of notary puts through its own validator, retrying
 * through the next one (test/helpers/netns/workload.ts); beside them one closed loop each of
 * settlement transfers, cross-chain token packets (sign → notary, relayed by the nodes' own
 * gateways) and lex contract events (bench/lib/mixed.ts), set up before the clock starts.
 *
 * Pass (a steady state): over the second half of the run, RSS of every node, and its anonymous
 * part alone (the node's own memory, without the LMDB pages it maps), grows less than 25 % from
 * its median in the third quarter to its median in the last, LMDB bytes per committed
 * tx stay within 2× of the first half's, and p50 latency of the last window is within 3× of the
 * median window's. Otherwise `verdict` is "growth" with the figures that grew.
 * value: committed tx/s over the second half; limit: the same clients' tx/s over the first half
 * (measured in this run); ratio = value ÷ limit (a steady state stays near 1). A run whose last
 * quarter commits nothing after the first half did is also "growth" (it stalled), for the notary
 * clients and for each of the other kinds; so is a cross-chain packet committed on `sign` that
 * has not arrived on `notary` two minutes after the load stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prepareCluster } from '../src/node/index.ts';
import { cliPath, freePort, nodeKey, repoRoot } from '../test/helpers/node-process.ts';
import { getJson } from '../test/helpers/netns/cluster.ts';
import { Workload } from '../test/helpers/netns/workload.ts';
import { tempDir, waitFor } from '../test/helpers/tmp.ts';
import { numberOption } from './lib/args.ts';
import { MixedLoad } from './lib/mixed.ts';
import { percentile } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const SAMPLE_MS = 10_000;

interface Sample {
  t: number;
  rssMiB: number[];
  /**
   * RSS split as /proc/<pid>/status splits it: anonymous (the process's own heap, stacks and
   * native allocations) and file-backed (mostly the LMDB files' pages the node has touched,
   * which grow with the chain's data and which the kernel may drop: the page cache).
   */
  rssAnonMiB: number[];
  rssFileMiB: number[];
  lmdbMiB: number[];
  lagMs: Array<number | null>;
  lagP99Ms: Array<number | null>;
  committed: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Settlement, cross-chain and lex txs committed in the window, with their p50 latency. */
  mixed: Record<string, { ok: number; p50Ms: number | null }>;
}

/** A process's resident memory from /proc/<pid>/status in bytes: the whole (VmRSS), anonymous and file-backed; 0 where unreadable. */
function rssBytes(pid: number | undefined): { all: number; anon: number; file: number } {
  const none = { all: 0, anon: 0, file: 0 };
  if (!pid) return none;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { all: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile') };
  } catch {
    return none;
  }
}

/** Bytes on disk (allocated blocks) of every file under `dir`. */
function diskBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += diskBytes(p);
    else if (e.isFile()) n += statSync(p).blocks * 512;
  }
  return n;
}

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
const mib = (b: number): number => Math.round((b / 1024 / 1024) * 10) / 10;

export default async function run(): Promise<BenchResult> {
  const minutes = numberOption('minutes', 'SOAK_MINUTES', 10);
  const tmp = tempDir('shulian-soak-');
  const base = await freePort();
  const layout = prepareCluster(tmp.dir, 4, base, base + 1000, 'sm2');
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  const procs: ChildProcess[] = layout.nodes.map((n) => spawn(process.execPath, [cliPath, 'node', '--config', n.configPath], {
    cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SHULIAN_DEBUG: undefined },
  }));
  const logs = procs.map(() => '');
  procs.forEach((p, i) => p.stderr!.on('data', (d: Buffer) => (logs[i] = (logs[i] + d.toString()).slice(-4000))));
  const work = new Workload(apis, 8, { retryMs: 20_000 });
  const mixed = new MixedLoad(apis);
  const samples: Sample[] = [];
  try {
    await waitFor(async () => {
      const s = await Promise.all(apis.map((a) => getJson<{ height: number; validators: Array<{ up: boolean }> }>(`${a}/v1/chains/notary/consensus`)));
      return s.every((x) => x && x.height >= 1 && x.validators.every((v) => v.up));
    }, 'four validators committing', 300_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${logs.join('\n---\n')}`);
    });
    await mixed.setup(nodeKey(layout.nodes[0]!.dir)).catch((err: Error) => {
      throw new Error(`setting up the mixed workload: ${err.message}\n${logs.join('\n---\n')}`);
    });
    work.start();
    mixed.start();
    const t0 = Date.now();
    let lastCommitted = 0;
    while (Date.now() - t0 < minutes * 60_000) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      const stats = await Promise.all(apis.map((a) => getJson<{ process: { eventLoopLagMs: number; eventLoopLagP99Ms: number } }>(`${a}/v1/node/stats`, 5000)));
      const since = Date.now() - SAMPLE_MS;
      const lat = work.ops.filter((o) => o.committed && o.committed.at >= since).map((o) => o.committed!.at - o.submittedAt).sort((a, b) => a - b);
      const committed = work.committedCount();
      const rss = procs.map((p) => rssBytes(p.pid));
      const s: Sample = {
        t: Math.round((Date.now() - t0) / 1000),
        rssMiB: rss.map((r) => mib(r.all)),
        rssAnonMiB: rss.map((r) => mib(r.anon)),
        rssFileMiB: rss.map((r) => mib(r.file)),
        lmdbMiB: layout.nodes.map((n) => mib(diskBytes(join(n.dir, 'chains')))),
        lagMs: stats.map((x) => x?.process.eventLoopLagMs ?? null),
        lagP99Ms: stats.map((x) => x?.process.eventLoopLagP99Ms ?? null),
        committed: committed - lastCommitted,
        p50Ms: lat.length ? percentile(lat, 50) : null,
        p99Ms: lat.length ? percentile(lat, 99) : null,
        mixed: mixed.window(since),
      };
      lastCommitted = committed;
      samples.push(s);
      process.stderr.write(`soak ${JSON.stringify(s)}\n`);
    }
    await work.stop();
    await mixed.stop();
    const seconds = (Date.now() - t0) / 1000;
    const total = work.committedCount();
    // The verdict over the second half.
    const n = samples.length;
    const q3 = samples.slice(Math.floor(n / 2), Math.floor((3 * n) / 4));
    const q4 = samples.slice(Math.floor((3 * n) / 4));
    const growth: string[] = [];
    if (q3.length && q4.length) {
      for (let i = 0; i < 4; i++) {
        // The whole RSS, and the anonymous part alone: the file-backed part follows the LMDB
        // files (judged below, per tx), so a node's own memory growing is seen apart from it.
        for (const [what, of] of [['RSS', (s: Sample) => s.rssMiB[i]!], ['anonymous RSS', (s: Sample) => s.rssAnonMiB[i]!]] as const) {
          const a = median(q3.map(of));
          const b = median(q4.map(of));
          if (b > a * 1.25) growth.push(`node ${i + 1} ${what} ${a} → ${b} MiB`);
        }
      }
      const half = Math.floor(n / 2);
      const perTx = (from: number, to: number): number => {
        const txs = samples.slice(from, to).reduce((x, s) => x + s.committed, 0);
        const bytes = (samples[to - 1]!.lmdbMiB[0]! - (from === 0 ? 0 : samples[from - 1]!.lmdbMiB[0]!)) * 1024 * 1024;
        return txs > 0 ? bytes / txs : 0;
      };
      const first = perTx(0, half);
      const second = perTx(half, n);
      if (first > 0 && second > 2 * first) growth.push(`LMDB bytes per tx ${Math.round(first)} → ${Math.round(second)}`);
      const p50s = samples.map((s) => s.p50Ms).filter((x): x is number => x !== null);
      const last = samples[n - 1]!.p50Ms;
      if (last !== null && p50s.length && last > 3 * median(p50s)) growth.push(`p50 latency ${median(p50s)} → ${last} ms`);
    }
    const rateOf = (xs: Sample[]): number => (xs.length ? xs.reduce((x, s) => x + s.committed, 0) / (xs.length * SAMPLE_MS / 1000) : 0);
    const firstRate = rateOf(samples.slice(0, Math.floor(n / 2)));
    const rate = rateOf(samples.slice(Math.floor(n / 2)));
    if (firstRate > 0 && q4.length && rateOf(q4) === 0) growth.push('no commits in the last quarter');
    for (const kind of mixed.stats.keys()) {
      const first = samples.slice(0, Math.floor(n / 2)).reduce((x, s) => x + (s.mixed[kind]?.ok ?? 0), 0);
      if (first > 0 && q4.length && q4.every((s) => (s.mixed[kind]?.ok ?? 0) === 0)) growth.push(`no ${kind} commits in the last quarter`);
    }
    // Every packet committed on sign arrives on notary (the gateways keep up, nothing is lost).
    const sentUnits = mixed.stats.get('cross-chain')!.ok;
    const delivered = await waitFor(async () => {
      const d = await mixed.deliveredUnits();
      return d >= sentUnits ? d : false;
    }, 'the cross-chain packets to arrive', 120_000).catch(async () => mixed.deliveredUnits());
    if (delivered < sentUnits) growth.push(`cross-chain: ${sentUnits} packets sent, ${delivered} arrived two minutes after the load stopped`);
    const kinds = Object.fromEntries([...mixed.stats].map(([k, v]) => {
      const lat = v.done.map((d) => d.ms).sort((a, b) => a - b);
      return [k, { committed: v.ok, failed: v.failed, perSec: Number((v.ok / seconds).toFixed(2)), p50Ms: lat.length ? percentile(lat, 50) : null, p99Ms: lat.length ? percentile(lat, 99) : null, ...(v.lastError ? { lastError: v.lastError.slice(0, 200) } : {}) }];
    }));
    const allLat = work.ops.filter((o) => o.committed).map((o) => o.committed!.at - o.submittedAt).sort((a, b) => a - b);
    return {
      bench: 'soak', value: Number(rate.toFixed(2)), unit: 'tx/s', limit: Number(firstRate.toFixed(2)), limitWhat: 'the same clients\' tx/s over the first half of the run',
      ratio: firstRate > 0 ? Number((rate / firstRate).toFixed(2)) : 0, minutes, verdict: growth.length ? 'growth' : 'steady', growth,
      committed: total, seconds: Math.round(seconds), p50Ms: percentile(allLat, 50), p99Ms: percentile(allLat, 99),
      rssMiB: { first: samples[0]?.rssMiB, last: samples[n - 1]?.rssMiB },
      rssAnonMiB: { first: samples[0]?.rssAnonMiB, last: samples[n - 1]?.rssAnonMiB },
      rssFileMiB: { first: samples[0]?.rssFileMiB, last: samples[n - 1]?.rssFileMiB },
      lmdbMiB: { first: samples[0]?.lmdbMiB, last: samples[n - 1]?.lmdbMiB },
      lagP99Ms: { first: samples[0]?.lagP99Ms, last: samples[n - 1]?.lagP99Ms },
      workload: 'notary puts by 8 closed-loop clients through all four validators; one closed loop each of settlement transfers, cross-chain packets (sign → notary) and lex events (pay-per-use SetLimit)',
      kinds, crossChainDelivered: delivered,
    };
  } finally {
    await work.stop().catch(() => {});
    await mixed.stop().catch(() => {});
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    tmp.cleanup();
  }
}
