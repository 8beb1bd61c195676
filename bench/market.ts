/**
 * The metering gateway (`shulian market gateway`, its own process) in front of a trivial upstream
 * (its own process), against the same upstream called directly, in the same run, with wrk
 * (Debian's `wrk`; `apt-get install wrk`):
 *
 *   value       calls/s through the gateway (token auth, subscription, rate limit, proxy, an fsynced receipt per call)
 *   ratio       value ÷ calls/s to the upstream directly (target ≥ 0.5)
 *   addedP50Ms, addedP99Ms   latency the gateway adds at a fixed 1,000 calls/s (open loop, bench/lib/paced.ts; latencyRate is the
 *               rate reached): gateway p50/p99 − direct p50/p99 at the same rate (target p99 < 2 ms); each
 *               starts once the receipts of the phase before are committed (backlogBeforeLatency receipts
 *               were pending after the max-rate phase; backlogDrainMs, how long their commit took)
 *   gatewayCpuUsPerCall      CPU µs the gateway process spends per call at the max rate (…At1k: in the latency phase);
 *               robust to a shared machine, unlike the rates; nodeCpuUsPerCallAt1k: the node's CPU per call in
 *               the latency phase (committing the receipts, on the same machine)
 *   bareProxyRate            calls/s through a bare Node proxy (node:http server + keep-alive http.request, no checks,
 *               no receipt) to the same upstream, same wrk settings: what Node's HTTP stack alone allows a proxy
 *               (bareProxyCpuUsPerCall: its CPU per call, beside gatewayCpuUsPerCall; bareProxyAddedP50Ms and
 *               bareProxyAddedP99Ms: the latency it adds at 1,000 calls/s, as addedP50Ms/addedP99Ms for the gateway)
 *   tcpRelayRate             calls/s through a relay that parses nothing (each client connection piped to a connection
 *               of its own to the upstream, node:net), same wrk settings: what a proxy process costs on this machine
 *               below Node's HTTP stack (tcpRelayRatio: ÷ the direct rate; tcpRelayCpuUsPerCall: its CPU per call).
 *               The gap from it to bareProxyRate is mostly Node's HTTP handling on both sides of a proxy (the bare
 *               proxy also buffers each answer)
 *   phaseCpu                 per max-rate phase (gateway, direct, bareProxy, tcpRelay): CPU µs per call of the process under
 *               test (proxy), the upstream, wrk and (gateway phase) the node committing the receipts; coresBusy, all of
 *               it ÷ wall time, beside `cores`. proxyBudgetUsPerCall: what a proxy may spend per call and still pass half
 *               the direct rate on this machine (cores × 10⁶ ÷ (0.5 × direct rate), less the direct phase's upstream and
 *               wrk µs per call): an upper bound the gateway's and the bare proxy's CPU per call are read against
 *   lostReceipts, doubleCounted   from a run where the gateway is killed with SIGKILL under load and restarted:
 *               answered calls whose receipt never reached the chain, and units the chain counted beyond the receipts journaled (targets 0)
 *
 * The node (`bench/lib/serve.ts`) runs the embedded alliance; the gateway commits its receipts to
 * it while the load runs, as in production.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, writeKeystore, type KeyPair } from '../src/crypto/index.ts';
import { marketStateKey } from '../src/modules/market/keys.ts';
import type { Plan, ProductInput } from '../src/modules/market/types.ts';
import {
  ShulianClient, callProductWithToken, draftSubscription, gatewayToken, publishProduct, signSubscription, subscribe, subscriptionUsage,
} from '../src/sdk/index.ts';
import { procCpuMs, reapedChildrenCpuMs } from './lib/cpu.ts';
import { startBenchNode } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.MARKET_BENCH_SECONDS ?? 8);

interface Proc { url: string; proc: ChildProcess; kill(signal?: NodeJS.Signals): Promise<void> }

async function child(args: string[], env: Record<string, string>, ready: RegExp): Promise<Proc> {
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const exit = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) ok(m[1]!);
    });
    proc.once('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code}: ${out}`)));
  });
  return { url, proc, kill: async (signal = 'SIGTERM') => { if (proc.exitCode === null) proc.kill(signal); await exit; } };
}

interface PacedResult { sent: number; ok: number; non2xx: number; errors: number; rate: number; p50: number; p90: number; p99: number; max: number }

/** The open-loop client at a fixed rate, in its own process (bench/lib/paced.ts). */
function paced(args: { url: string; rate: number; seconds: number; headers?: Record<string, string>; nonce?: string }): PacedResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/lib/paced.ts'), JSON.stringify(args)], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the paced client failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PacedResult;
}

const LATENCY_RATE = 1_000;

/** How each helper process below listens: on a free port, which it prints for child() to read. */
const LISTEN = `listen(0, '127.0.0.1', function () { console.log('LISTEN http://127.0.0.1:' + this.address().port); });`;

/** A proxy with no checks and no receipt: what Node's HTTP stack alone costs a proxy (reference row). */
const BARE_PROXY = `const http = require('node:http'); const agent = new http.Agent({ keepAlive: true, maxSockets: 256 }); const up = new URL(process.env.UP);
http.createServer((q, s) => { const chunks = []; q.on('data', (c) => chunks.push(c)); q.on('end', () => { const body = Buffer.concat(chunks);
  const r = http.request({ host: up.hostname, port: up.port, path: '/ping', method: q.method, agent, headers: { 'content-length': body.length } }, (a) => { const out = []; a.on('data', (c) => out.push(c)); a.on('end', () => { const b = Buffer.concat(out); s.writeHead(a.statusCode, { 'content-type': a.headers['content-type'], 'content-length': b.length }); s.end(b); }); });
  r.on('error', () => { s.writeHead(502); s.end(); }); r.end(body); }); }).${LISTEN}`;

const TCP_RELAY = `const net = require('node:net'); const up = new URL(process.env.UP);
net.createServer((c) => { const u = net.connect(Number(up.port), up.hostname); c.pipe(u); u.pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })
  .${LISTEN}`;

const UPSTREAM = `require('node:http').createServer((q, s) => { s.writeHead(200, { 'content-type': 'text/plain' }); s.end('ok'); }).${LISTEN}`;

interface WrkResult { rps: number; p50: number; p99: number; non2xx: number; requests: number }

/**
 * The gateway's journal counters (`/_gateway/status`), each read on a connection of its own. The
 * load tools run under spawnSync, which blocks this process for longer than the gateway keeps an
 * idle keep-alive connection (5 s): the gateway closes it meanwhile, and a pooled fetch could send
 * the next read on it before this process has seen the close ("other side closed", two of four
 * runs with the gateway profiled).
 */
function gatewayStatus(url: string): Promise<{ pending: number; journaled: number }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${url}/_gateway/status`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`the gateway's status answered ${res.statusCode}: ${text.slice(0, 200)}`);
          resolve(JSON.parse(text) as { pending: number; journaled: number });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Waits until the gateway has committed every receipt it journaled; returns how many were pending and how long it took. */
async function drained(url: string): Promise<{ pending: number; ms: number }> {
  const t0 = Date.now();
  const { pending } = await gatewayStatus(url);
  for (let left = pending; left > 0; left = (await gatewayStatus(url)).pending) {
    if (Date.now() - t0 > 300_000) throw new Error(`the gateway still had ${left} receipts to commit after 300 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pending, ms: Date.now() - t0 };
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]!]!;
}

function wrk(url: string, o: { threads: number; conns: number; seconds: number; script?: string }): WrkResult {
  const args = [`-t${o.threads}`, `-c${o.conns}`, `-d${o.seconds}s`, '--latency', ...(o.script ? ['-s', o.script] : []), url];
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`wrk failed (${r.error?.message ?? r.stderr}); install it: apt-get install wrk`);
  const out = r.stdout;
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/), requests: num(/(\d+) requests in/), non2xx: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
    p50: ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''), p99: ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
  };
}

/**
 * Where a max-rate phase's CPU went, per call (µs): the process under test (`proxy`: the gateway,
 * the bare proxy or the relay; absent for the direct phase), the upstream, wrk, and the node (the
 * gateway's phase only: it commits the receipts meanwhile); `coresBusy`, all of it ÷ the phase's
 * wall time. Beside the machine's cores it tells whether a phase's rate is bound by CPU.
 */
interface PhaseCpu { proxy?: number; upstream: number; wrk: number; node?: number; coresBusy: number }

/** wrk at the max rate (2 threads, 32 connections) through `url`, and the CPU per call each process spent meanwhile. */
function maxRate(url: string, pids: { proxy?: number; upstream: number; node?: number }, script?: string): WrkResult & { cpu: PhaseCpu } {
  const names = (['proxy', 'upstream', 'node'] as const).filter((n) => pids[n] !== undefined);
  const before = names.map((n) => procCpuMs(pids[n]!));
  const wrk0 = reapedChildrenCpuMs();
  const t0 = performance.now();
  const r = wrk(url, { threads: 2, conns: 32, seconds: SECONDS, ...(script === undefined ? {} : { script }) });
  const wallMs = performance.now() - t0;
  const used = names.map((n, i) => procCpuMs(pids[n]!) - before[i]!);
  const wrkMs = reapedChildrenCpuMs() - wrk0;
  const perCall = (cpuMs: number): number => Math.round((cpuMs * 1000) / r.requests);
  const cpu: PhaseCpu = { upstream: 0, wrk: perCall(wrkMs), coresBusy: Number((used.reduce((a, b) => a + b, wrkMs) / wallMs).toFixed(2)) };
  names.forEach((n, i) => (cpu[n] = perCall(used[i]!)));
  return { ...r, cpu };
}

/** A wrk script sending token calls, each with its own nonce (`run` keeps runs apart). */
function script(dir: string, run: string, token: string, sub: string): string {
  const file = join(dir, `${run}.lua`);
  writeFileSync(file, `
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) n = 0 end
request = function()
  n = n + 1
  return wrk.format("GET", "/p/bench/ping", { ["authorization"] = "Bearer ${token}", ["x-shulian-subscription"] = "${sub}", ["x-shulian-nonce"] = "${run}-" .. tid .. "-" .. n })
end
`);
  return file;
}

export default async function run(): Promise<BenchResult> {
  const node = await startBenchNode('sm2');
  const dir = mkdtempSync(join(tmpdir(), 'shulian-bench-market-'));
  const procs: Proc[] = [];
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const names = ['provider', 'dataSource', 'algorithm', 'compute', 'tax', 'buyer1', 'buyer2', 'gateway'] as const;
    const k = Object.fromEntries(names.map((n) => [n, generateKeyPair('sm2')])) as Record<(typeof names)[number], KeyPair>;
    const did = (n: (typeof names)[number]): string => didFromPublicKey(k[n].publicKey);
    const dep = await c.waitForTx(await c.send('sign', k.provider, { module: 'lexcontract', method: 'deploy', args: { source: readFileSync(join(root, 'contracts/api-subscription/contract.lex'), 'utf8') } }));
    const plan: Plan = {
      id: 'metered', kind: 'per-call', unit: 'call', currency: 'CNY', template: (dep.receipt.result as { template: string }).template, baseFee: 0, includedUnits: 0, unitPrice: 1,
      tierUnits: 0, tierPrice: 1, quota: 0, rateLimit: 100_000, periodSeconds: 3_600, periods: 1, graceSeconds: 0, withholdingBp: 0, taxAuthority: did('tax'),
      shares: { provider: 10_000, dataSource: 0, algorithm: 0, compute: 0 },
    };
    const product: ProductInput = {
      id: 'bench', title: 'Bench', category: 'computation', openapi: toHex(sm3(new Uint8Array(1))), datasets: [], grants: [],
      contributors: { dataSource: did('dataSource'), algorithm: did('algorithm'), compute: did('compute') }, plans: [plan], components: [], gateways: [did('gateway')],
    };
    await publishProduct(c, k.provider, product);
    const start = Date.now();
    const subs: string[] = [];
    for (const b of ['buyer1', 'buyer2'] as const) {
      const d = await draftSubscription(c, k[b], 'bench', 'metered', { start });
      await Promise.all((['provider', b, 'dataSource', 'algorithm', 'compute', 'tax'] as const).map((n) => signSubscription(c, k[n], d.id, d.fingerprint)));
      subs.push((await subscribe(c, k[b], { product: 'bench', plan: 'metered', contract: d.id })).result.id);
    }

    const up = await child(['-e', UPSTREAM], {}, /LISTEN (\S+)/);
    procs.push(up);
    const keyFile = join(dir, 'gw.json');
    writeKeystore(keyFile, k.gateway, 'bench');
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ products: { bench: { upstream: up.url } } }));
    // MARKET_BENCH_GATEWAY_ARGS: node options for the gateway process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const gwArgs = process.env.MARKET_BENCH_GATEWAY_ARGS ? process.env.MARKET_BENCH_GATEWAY_ARGS.split(' ') : [];
    const gateway = (data: string) => child([...gwArgs, join(root, 'bin/shulian.mjs'), 'market', 'gateway', '--config', cfg, '--data-dir', join(dir, data), '--key', keyFile, '--password-env', 'GW_PASS', '--api', node.url], { GW_PASS: 'bench' }, /"url":"([^"]+)"/);

    // 1. Throughput and latency, through the gateway and directly.
    const gwA = await gateway('a');
    procs.push(gwA);
    const { token } = await gatewayToken(gwA.url, k.buyer1);
    wrk(`${gwA.url}/`, { threads: 1, conns: 4, seconds: 1, script: script(dir, 'warm', token, subs[0]!) });
    const viaGw = maxRate(`${gwA.url}/`, { proxy: gwA.proc.pid!, upstream: up.proc.pid!, node: node.proc.pid! }, script(dir, 'tput', token, subs[0]!));
    // Straight to the upstream once the receipts of the gateway's phase are committed. Measured
    // while they commit, the node's work shared the machine and the direct rate (the limit) read
    // low, which lifted every ratio against it: a relay that parses nothing once read 1.004.
    const backlog = await drained(gwA.url);
    const direct = maxRate(`${up.url}/ping`, { upstream: up.proc.pid! });
    // Latency at the target's condition: a fixed 1,000 calls/s, open loop, gateway and direct
    // alike, each from a steady state: the receipts of the phase before are committed first (the
    // max-rate phase leaves tens of thousands, whose commits would otherwise share the machine
    // with the latency phase's calls).
    const gwHeaders = { authorization: `Bearer ${token}`, 'x-shulian-subscription': subs[0]! };
    const gwCpu0 = procCpuMs(gwA.proc.pid!);
    const nodeCpu0 = procCpuMs(node.proc.pid!);
    const latGw = paced({ url: `${gwA.url}/p/bench/ping`, rate: LATENCY_RATE, seconds: SECONDS, headers: gwHeaders, nonce: 'latency-phase' });
    const gwCpu1 = procCpuMs(gwA.proc.pid!);
    const nodeCpu1 = procCpuMs(node.proc.pid!);
    await drained(gwA.url);
    const latDirect = paced({ url: `${up.url}/ping`, rate: LATENCY_RATE, seconds: SECONDS });
    await gwA.kill();
    const bare = await child(['-e', BARE_PROXY], { UP: up.url }, /LISTEN (\S+)/);
    procs.push(bare);
    const viaBare = maxRate(`${bare.url}/`, { proxy: bare.proc.pid!, upstream: up.proc.pid! });
    const latBare = paced({ url: `${bare.url}/ping`, rate: LATENCY_RATE, seconds: SECONDS });
    await bare.kill();
    const relay = await child(['-e', TCP_RELAY], { UP: up.url }, /LISTEN (\S+)/);
    procs.push(relay);
    const viaRelay = maxRate(`${relay.url}/ping`, { proxy: relay.proc.pid!, upstream: up.proc.pid! });
    await relay.kill();

    // 2. SIGKILL under load, restart, drain: every answered call's receipt on chain, none twice.
    const dirB = 'b';
    let gwB = await gateway(dirB);
    procs.push(gwB);
    const tokB = (await gatewayToken(gwB.url, k.buyer2)).token;
    const answered = new Set<string>();
    let stop = false;
    const loops = Array.from({ length: 32 }, async () => {
      while (!stop) {
        try {
          const r = await callProductWithToken(gwB.url, tokB, { product: 'bench', subscription: subs[1]!, path: '/ping' });
          await r.arrayBuffer();
          const id = r.headers.get('x-shulian-receipt');
          if (r.status === 200 && id) answered.add(id);
        } catch {
          return; // the gateway is gone
        }
      }
    });
    // Kill it once calls are flowing (at least 300 answered, or 60 s).
    const until = Date.now() + 60_000;
    while (answered.size < 300 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await gwB.kill('SIGKILL');
    stop = true;
    await Promise.all(loops);
    gwB = await gateway(dirB);
    procs.push(gwB);
    await drained(gwB.url); // the restarted gateway commits what its journal holds
    let lost = 0;
    for (const id of answered) if ((await c.state('sign', marketStateKey.receipt(id))).value === null) lost++;
    const { journaled } = await gatewayStatus(gwB.url);
    const units = (await subscriptionUsage(c, subs[1]!)).periods[0]!.usage.units;
    await gwB.kill();

    const addedP99Ms = Math.max(0, latGw.p99 - latDirect.p99);
    // What a proxy may spend per call and still pass half the direct rate on this machine: at
    // that rate every core's µs per call, less what the upstream and wrk spend per call (as in
    // the direct phase, where they spend the least). An upper bound: it takes every core busy.
    const cores = availableParallelism();
    const proxyBudgetUsPerCall = Math.round((cores * 1e6) / (0.5 * direct.rps) - direct.cpu.upstream - direct.cpu.wrk);
    return {
      bench: 'market', value: Math.round(viaGw.rps), unit: 'calls/s', limit: Math.round(direct.rps), limitWhat: 'calls/s to the same upstream directly (wrk, 2 threads, 32 connections)',
      ratio: Number((viaGw.rps / direct.rps).toFixed(3)), addedP50Ms: Number(Math.max(0, latGw.p50 - latDirect.p50).toFixed(3)), addedP99Ms: Number(addedP99Ms.toFixed(3)),
      latencyRate: latGw.rate, backlogBeforeLatency: backlog.pending, backlogDrainMs: backlog.ms, gatewayP50Ms: latGw.p50, gatewayP99Ms: latGw.p99, directP50Ms: latDirect.p50, directP99Ms: latDirect.p99, non2xx: viaGw.non2xx + latGw.non2xx + latGw.errors,
      gatewayCpuUsPerCall: viaGw.cpu.proxy, gatewayCpuUsPerCallAt1k: Math.round(((gwCpu1 - gwCpu0) * 1000) / latGw.sent),
      nodeCpuUsPerCallAt1k: Math.round(((nodeCpu1 - nodeCpu0) * 1000) / latGw.sent),
      bareProxyRate: Math.round(viaBare.rps), bareProxyCpuUsPerCall: viaBare.cpu.proxy, bareProxyRatio: Number((viaBare.rps / direct.rps).toFixed(3)),
      bareProxyAddedP50Ms: Number(Math.max(0, latBare.p50 - latDirect.p50).toFixed(3)), bareProxyAddedP99Ms: Number(Math.max(0, latBare.p99 - latDirect.p99).toFixed(3)),
      tcpRelayRate: Math.round(viaRelay.rps), tcpRelayCpuUsPerCall: viaRelay.cpu.proxy, tcpRelayRatio: Number((viaRelay.rps / direct.rps).toFixed(3)),
      cores, proxyBudgetUsPerCall, phaseCpu: { gateway: viaGw.cpu, direct: direct.cpu, bareProxy: viaBare.cpu, tcpRelay: viaRelay.cpu },
      killRun: { answered: answered.size, journaled, chainUnits: units }, lostReceipts: lost, doubleCounted: Math.max(0, units - journaled),
    };
  } finally {
    for (const p of procs) await p.kill('SIGKILL');
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
