/**
 * Monitoring (issue #8):
 *   GET /metrics        Prometheus text exposition format 0.0.4, for operators' own Prometheus + Grafana
 *   GET /v1/node/stats  the same figures as JSON for the console, with a ring buffer of recent
 *                       samples (CPU, memory, event-loop lag, TPS) so its charts have data on first load
 *
 * Process figures: CPU seconds, resident memory, heap, event-loop lag. Node: disk used by the data
 * dir and free on its file system, connected peers. Per chain: height, txs and blocks committed
 * since the process started (Prometheus counters), mempool, consensus height / round / step,
 * validators up, the mean interval of recent blocks. The node's own gateway: packets waiting per
 * route (docs/alarms.md, gatewayBacklog).
 */
import { readdirSync, lstatSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { ChainView, NodeView } from '../../chain/index.ts';
import type { ChainStats, NodeInfo, NodeStats, StatsSample } from '../../sdk/index.ts';

/** The wire shapes live with the SDK, which the console reads them through. */
export type { ChainStats, NodeStats, StatsSample };

export interface MetricsOptions {
  /** The node's data dir, whose disk use is reported. */
  dataDir?: string;
  /** Sampling interval for the history (default 5 s). */
  sampleIntervalMs?: number;
  /** Samples kept (default 120: ten minutes at 5 s). */
  historySize?: number;
  /** The node's own gateway's backlog per route (src/crosschain/gateway.ts); absent or undefined: no gateway. */
  gateway?: () => Array<{ from: string; to: string; backlog: number }> | undefined;
}




interface NetworkLike {
  network(): { peers: Array<{ framesIn: number; framesOut: number; bytesIn: number; bytesOut: number; dropped: { duplicate: number } }> } | undefined;
}

/** The peer network's counters summed over its peers. */
function p2pTotals(net: ReturnType<NetworkLike['network']>): NodeStats['p2p'] {
  if (!net) return null;
  const t = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, duplicateGossip: 0 };
  for (const p of net.peers) {
    t.framesIn += p.framesIn;
    t.framesOut += p.framesOut;
    t.bytesIn += p.bytesIn;
    t.bytesOut += p.bytesOut;
    t.duplicateGossip += p.dropped.duplicate;
  }
  return t;
}

function hasNetwork(node: NodeView): node is NodeView & NetworkLike {
  return typeof (node as Partial<NetworkLike>).network === 'function';
}

/** Bytes the files under `dir` occupy on disk (allocated blocks: LMDB files are sparse). */
function diskUsage(dir: string): number {
  let total = 0;
  const stack = [dir];
  let visited = 0;
  while (stack.length > 0 && visited < 100_000) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      visited++;
      try {
        const st = lstatSync(join(d, n));
        if (st.isDirectory()) stack.push(join(d, n));
        else if (st.isFile()) total += st.blocks * 512;
      } catch {
        // removed while walking
      }
    }
  }
  return total;
}

/** Collects the figures: per-chain counters fed by block listeners, and a sampled history. */
export class NodeStatsCollector {
  readonly intervalMs: number;
  private readonly historySize: number;
  private readonly history: StatsSample[] = [];
  private readonly counters = new Map<string, { txs: number; blocks: number; unsubscribe: () => void; lastTxs: number; tps: number }>();
  private readonly loop: ReturnType<typeof monitorEventLoopDelay>;
  private readonly timer: NodeJS.Timeout;
  private lastCpu = process.cpuUsage();
  private lastAt = Date.now();
  private disk: { at: number; used: number | null; free: number | null; total: number | null } | undefined;

  constructor(private readonly node: NodeView, private readonly opts: MetricsOptions = {}) {
    this.intervalMs = opts.sampleIntervalMs ?? 5000;
    this.historySize = opts.historySize ?? 120;
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
    this.follow();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.loop.disable();
    for (const c of this.counters.values()) c.unsubscribe();
    this.counters.clear();
  }

  /** Starts counting on chains opened since (governance starts business chains at any time); drops stopped ones. */
  private follow(): Map<string, ChainView> {
    const chains = new Map(this.node.chains().map((c) => [c.id, c]));
    for (const c of chains.values()) {
      if (this.counters.has(c.id)) continue;
      const entry = { txs: 0, blocks: 0, lastTxs: 0, tps: 0, unsubscribe: () => {} };
      entry.unsubscribe = c.onBlock((b) => {
        entry.txs += b.txs.length;
        entry.blocks++;
      });
      this.counters.set(c.id, entry);
    }
    for (const [id, e] of this.counters) {
      if (!chains.has(id)) {
        e.unsubscribe();
        this.counters.delete(id);
      }
    }
    return chains;
  }

  private sample(): void {
    this.follow();
    const now = Date.now();
    const secs = Math.max((now - this.lastAt) / 1000, 0.001);
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    let tps = 0;
    for (const e of this.counters.values()) {
      e.tps = (e.txs - e.lastTxs) / secs;
      e.lastTxs = e.txs;
      tps += e.tps;
    }
    const mem = process.memoryUsage();
    const lag = Number.isFinite(this.loop.mean) ? this.loop.mean / 1e6 : 0;
    this.loop.reset();
    this.history.push({
      time: now, cpuPercent: round(((cpu.user + cpu.system) / 1e6 / secs) * 100, 2), rssBytes: mem.rss, heapUsedBytes: mem.heapUsed,
      tps: round(tps, 2), eventLoopLagMs: round(lag, 3),
    });
    while (this.history.length > this.historySize) this.history.shift();
  }

  private diskFigures(): { used: number | null; free: number | null; total: number | null } {
    const dir = this.opts.dataDir;
    if (!dir) return { used: null, free: null, total: null };
    const now = Date.now();
    if (this.disk && now - this.disk.at < 30_000) return this.disk;
    let free: number | null = null;
    let total: number | null = null;
    try {
      const fs = statfsSync(dir);
      free = fs.bavail * fs.bsize;
      total = fs.blocks * fs.bsize;
    } catch {
      // not supported here
    }
    this.disk = { at: now, used: diskUsage(dir), free, total };
    return this.disk;
  }

  stats(): NodeStats {
    const chains = this.follow();
    const now = Date.now();
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const last = this.history[this.history.length - 1];
    const disk = this.diskFigures();
    const net = hasNetwork(this.node) ? this.node.network() : undefined;
    const out: ChainStats[] = [];
    for (const c of chains.values()) {
      const info = c.info();
      const cs = this.node.consensus(c.id);
      const recent = c.blocks({ limit: 20 });
      const interval = recent.length >= 2 ? (recent[0]!.time - recent[recent.length - 1]!.time) / (recent.length - 1) : null;
      const counter = this.counters.get(c.id);
      out.push({
        id: c.id, height: info.height, txsCommitted: counter?.txs ?? 0, blocksCommitted: counter?.blocks ?? 0, mempool: info.mempool,
        consensus: cs ? { type: cs.type, height: cs.height, round: cs.round, step: cs.step, syncing: cs.syncing } : null,
        validators: cs?.validators.length ?? info.validators.length, validatorsUp: cs ? cs.validators.filter((v) => v.up).length : 0,
        lastBlockTime: info.lastBlockTime, blockIntervalMs: interval === null ? null : round(interval, 1), tps: round(counter?.tps ?? 0, 2),
      });
    }
    const routes = this.opts.gateway?.();
    return {
      node: { did: this.node.did, version: this.node.version, startedAt: this.node.startedAt, uptimeMs: now - this.node.startedAt },
      time: now,
      process: {
        cpuSeconds: (cpu.user + cpu.system) / 1e6, cpuPercent: last?.cpuPercent ?? 0, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal,
        eventLoopLagMs: Number.isFinite(this.loop.mean) ? round(this.loop.mean / 1e6, 3) : 0,
        eventLoopLagP99Ms: round(this.loop.percentile(99) / 1e6, 3),
      },
      disk: { usedBytes: disk.used, freeBytes: disk.free, totalBytes: disk.total },
      peers: net ? net.peers.length : 0,
      p2p: p2pTotals(net),
      tps: last?.tps ?? 0,
      chains: out,
      gateway: routes ? { backlog: routes.reduce((n, r) => n + r.backlog, 0), routes: routes.map((r) => ({ ...r })) } : null,
      history: { intervalMs: this.intervalMs, samples: [...this.history] },
    };
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Escapes a label value for the text exposition format. */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

type Sample = { labels?: Record<string, string>; value: number };

/** Renders families in the Prometheus text exposition format 0.0.4. */
export function exposition(families: Array<{ name: string; help: string; type: 'counter' | 'gauge'; samples: Sample[] }>): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const ls = s.labels ? Object.entries(s.labels).map(([k, v]) => `${k}="${label(v)}"`).join(',') : '';
      const v = Number.isFinite(s.value) ? String(s.value) : Number.isNaN(s.value) ? 'NaN' : s.value > 0 ? '+Inf' : '-Inf';
      lines.push(`${f.name}${ls ? `{${ls}}` : ''} ${v}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The families /metrics serves, from a stats snapshot. */
export function metricFamilies(s: NodeStats): Parameters<typeof exposition>[0] {
  const per = (fn: (c: ChainStats) => number | null): Sample[] =>
    s.chains.flatMap((c) => { const v = fn(c); return v === null ? [] : [{ labels: { chain: c.id }, value: v }]; });
  const fams: Parameters<typeof exposition>[0] = [
    { name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', type: 'counter', samples: [{ value: s.process.cpuSeconds }] },
    { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: [{ value: s.process.rssBytes }] },
    { name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', type: 'gauge', samples: [{ value: s.node.startedAt / 1000 }] },
    { name: 'nodejs_heap_used_bytes', help: 'V8 heap used, bytes.', type: 'gauge', samples: [{ value: s.process.heapUsedBytes }] },
    { name: 'nodejs_heap_total_bytes', help: 'V8 heap allocated, bytes.', type: 'gauge', samples: [{ value: s.process.heapTotalBytes }] },
    { name: 'nodejs_eventloop_lag_seconds', help: 'Mean event-loop delay since the last sample, seconds.', type: 'gauge', samples: [{ value: s.process.eventLoopLagMs / 1000 }] },
    { name: 'nodejs_eventloop_lag_p99_seconds', help: '99th percentile event-loop delay since the last sample, seconds.', type: 'gauge', samples: [{ value: s.process.eventLoopLagP99Ms / 1000 }] },
    { name: 'shulian_node_info', help: 'This node: its DID and version.', type: 'gauge', samples: [{ labels: { did: s.node.did, version: s.node.version }, value: 1 }] },
    { name: 'shulian_tps', help: 'Transactions committed per second over the last sampling interval, all chains.', type: 'gauge', samples: [{ value: s.tps }] },
  ];
  if (s.disk.usedBytes !== null) fams.push({ name: 'shulian_data_dir_bytes', help: 'Disk space the data dir occupies, bytes.', type: 'gauge', samples: [{ value: s.disk.usedBytes }] });
  if (s.disk.freeBytes !== null) fams.push({ name: 'shulian_data_dir_free_bytes', help: 'Free space on the data dir\'s file system, bytes.', type: 'gauge', samples: [{ value: s.disk.freeBytes }] });
  if (s.disk.totalBytes !== null) fams.push({ name: 'shulian_data_dir_fs_size_bytes', help: 'Size of the data dir\'s file system, bytes.', type: 'gauge', samples: [{ value: s.disk.totalBytes }] });
  fams.push({ name: 'shulian_peers', help: 'Connected peer nodes.', type: 'gauge', samples: [{ value: s.peers }] });
  if (s.p2p) {
    fams.push(
      { name: 'shulian_p2p_frames_total', help: 'Frames exchanged with peers since the process started.', type: 'counter', samples: [{ labels: { direction: 'in' }, value: s.p2p.framesIn }, { labels: { direction: 'out' }, value: s.p2p.framesOut }] },
      { name: 'shulian_p2p_bytes_total', help: 'Bytes exchanged with peers since the process started.', type: 'counter', samples: [{ labels: { direction: 'in' }, value: s.p2p.bytesIn }, { labels: { direction: 'out' }, value: s.p2p.bytesOut }] },
      { name: 'shulian_p2p_duplicate_gossip_total', help: 'Gossip frames received that this node had already seen.', type: 'counter', samples: [{ value: s.p2p.duplicateGossip }] },
    );
  }
  fams.push(
    { name: 'shulian_chain_height', help: 'Height of the last committed block.', type: 'gauge', samples: per((c) => c.height) },
    { name: 'shulian_chain_txs_committed_total', help: 'Transactions committed since the process started.', type: 'counter', samples: per((c) => c.txsCommitted) },
    { name: 'shulian_chain_blocks_committed_total', help: 'Blocks committed since the process started.', type: 'counter', samples: per((c) => c.blocksCommitted) },
    { name: 'shulian_chain_tps', help: 'Transactions committed per second over the last sampling interval.', type: 'gauge', samples: per((c) => c.tps) },
    { name: 'shulian_chain_mempool_txs', help: 'Transactions waiting in the mempool.', type: 'gauge', samples: per((c) => c.mempool.txs) },
    { name: 'shulian_chain_mempool_bytes', help: 'Bytes of transactions waiting in the mempool.', type: 'gauge', samples: per((c) => c.mempool.bytes) },
    { name: 'shulian_consensus_height', help: 'Height consensus is deciding.', type: 'gauge', samples: per((c) => c.consensus?.height ?? null) },
    { name: 'shulian_consensus_round', help: 'Consensus round at the current height (0 for solo).', type: 'gauge', samples: per((c) => c.consensus?.round ?? null) },
    { name: 'shulian_chain_validators', help: 'Validators in the current set.', type: 'gauge', samples: per((c) => c.validators) },
    { name: 'shulian_chain_validators_up', help: 'Validators this node sees up (itself or connected).', type: 'gauge', samples: per((c) => c.validatorsUp) },
    { name: 'shulian_chain_block_interval_seconds', help: 'Mean interval between the last 20 blocks, seconds.', type: 'gauge', samples: per((c) => (c.blockIntervalMs === null ? null : c.blockIntervalMs / 1000)) },
    { name: 'shulian_chain_last_block_timestamp_seconds', help: 'Time of the last committed block since unix epoch, seconds.', type: 'gauge', samples: per((c) => c.lastBlockTime / 1000) },
  );
  if (s.gateway) {
    fams.push({
      name: 'shulian_gateway_backlog', help: 'Cross-chain packets from one chain to another committed and not yet settled (acknowledged or timed out), as the node\'s gateway last saw them.', type: 'gauge',
      samples: s.gateway.routes.map((r) => ({ labels: { from: r.from, to: r.to }, value: r.backlog })),
    });
  }
  return fams;
}

export function registerMetricsRoutes(app: FastifyInstance, node: NodeView, opts: MetricsOptions = {}): NodeStatsCollector {
  const collector = new NodeStatsCollector(node, opts);
  app.addHook('onClose', async () => collector.close());

  app.get('/metrics', {
    schema: { tags: ['node'], summary: 'Prometheus metrics (text exposition format 0.0.4)', produces: ['text/plain'] },
  }, async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(exposition(metricFamilies(collector.stats()))));

  app.get('/v1/node/stats', {
    schema: { tags: ['node'], summary: 'Node figures for the console: process, disk, peers, per chain, with recent samples for charts' },
  }, async () => collector.stats());

  // The compact, cross-origin form (issue #25): the console of any node of the alliance asks
  // every node it knows for this, so it is readable from another origin (a public read, no
  // credentials, the same figures as /v1/node/stats without the process internals and history).
  app.get('/v1/node/info', {
    schema: { tags: ['node'], summary: 'This node about itself (version, uptime, chains hosted with height and sync state, peers, disk), readable cross-origin' },
  }, async (_req, reply) => {
    const s = collector.stats();
    reply.header('access-control-allow-origin', '*');
    return {
      node: s.node, time: s.time, disk: s.disk, peers: s.peers,
      chains: s.chains.map((c) => ({
        id: c.id, height: c.height, lastBlockTime: c.lastBlockTime, validators: c.validators, validatorsUp: c.validatorsUp,
        syncing: c.consensus?.syncing ?? false, consensus: c.consensus?.type ?? null,
      })),
    } satisfies NodeInfo;
  });
  return collector;
}
