/**
 * The long version of test/net-faults (issue #21): four tbft validator processes, one per
 * network namespace, talking to each other through TUN devices and the userspace network
 * emulator (test/helpers/netns/netem.c) where the faults are made, closed-loop clients writing
 * through every node the whole time, and the history checker over every node's chain after each
 * phase.
 *
 * Phases (each FAULT_S seconds, default 30): no fault (the baseline), delay-loss (50 ms each way
 * on every link — 100 ms RTT — and 5 % loss: the target), jitter-dup-reorder (50 ± 20 ms,
 * 2 % duplicated, 10 % reordered), congested links (512 kbit/s with an eight-packet queue per
 * link: queueing delay and overflow loss), partitions 2–2, 1–3,
 * a bridge node that sees both halves, a flapping 2–2 (5 s cut, 5 s healed), a validator paused
 * with SIGSTOP; then kill -9 of the current proposer, again and again, for KILL_S seconds
 * (default 60; at most one validator down at a time, restarted at once; each kill in its own
 * round, the next once that height is committed without it), then liveness after the kills.
 *
 * value: committed tx/s sustained with 100 ms RTT and 5 % loss when 70 % of the no-fault capacity
 * is offered, paced; limit: that capacity (pre-signed txs pushed as fast as the cluster takes them,
 * no fault), measured in this run. The target, printed beside: kept up at 70 % with p50
 * commit latency < 1 s (`delayLossP50Ms`, `targetsMet`); `capacity.blocks`, node 0's blocks in
 * both capacity runs (count, txs per block, block interval, rounds after the first), shows where
 * the time went; the closed-loop clients' rates too. violations (must be 0), p50/p99 latencies per phase,
 * the emulator's counters per impaired phase, and after each healed partition the rounds it took
 * to commit again (target: within 3).
 */
import { randomInt } from 'node:crypto';
import { checkHistory } from '../test/helpers/netns/checker.ts';
import { getJson, NetCluster } from '../test/helpers/netns/cluster.ts';
import { NetLab, netnsUnavailable, type Impairment, type NetemStats } from '../test/helpers/netns/lab.ts';
import { Workload } from '../test/helpers/netns/workload.ts';
import { tempDir, waitFor } from '../test/helpers/tmp.ts';
import { drive } from './lib/cluster.ts';
import { benchNodeArgs, mainThreadSchedMs, procCpuMs } from './lib/cpu.ts';
import { percentile, presignNotaryTxs } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const FAULT_S = Number(process.env.NETFAULTS_FAULT_S ?? 30);
const KILL_S = Number(process.env.NETFAULTS_KILL_S ?? 60);
/**
 * For comparing two builds' latency under loss at one rate (an A/B): NETFAULTS_OFFERED sets the
 * paced rate instead of 70 % of the capacity measured, and NETFAULTS_CAPACITY_ONLY=1 stops after
 * that measurement (no other phase runs; `targetsMet` is then about the paced phase alone).
 */
const OFFERED = process.env.NETFAULTS_OFFERED ? Number(process.env.NETFAULTS_OFFERED) : undefined;
const CAPACITY_ONLY = process.env.NETFAULTS_CAPACITY_ONLY === '1';
/**
 * NETFAULTS_PACED_NO_FAULT=1: the paced phase (and the idle window before it) without the delay and
 * loss, to tell what the paced load costs the cluster from what the lossy links add to it; the
 * line then says `pacedNoFault: true`, and `targetsMet` is not the issue's target.
 */
const PACED_NO_FAULT = process.env.NETFAULTS_PACED_NO_FAULT === '1';
/**
 * NETFAULTS_SWEEP=0.4,0.55,0.7: after the paced run at 70 %, the same run again at each of these
 * shares of the capacity measured (no other phase runs), printed as `sweep`: the latency over the
 * lossy links against the cores the four validators keep busy, to tell a protocol that is slow
 * from a machine that is full.
 */
const SWEEP = (process.env.NETFAULTS_SWEEP ?? '').split(',').filter((x) => x.trim() !== '').map((x) => {
  const share = Number(x);
  if (!(share > 0 && share <= 1.5)) throw new Error(`NETFAULTS_SWEEP: "${x}" is not a share of the capacity (a number above 0, at most 1.5, such as 0.5)`);
  return share;
});
/** Seconds of paced load at 70 % of capacity over 100 ms RTT and 5 % loss. */
const CAPACITY_S = Number(process.env.NETFAULTS_CAPACITY_S ?? 20);
/** Pre-signed txs pushed as fast as the cluster takes them to measure its no-fault capacity. */
const CAPACITY_TXS = Number(process.env.NETFAULTS_CAPACITY_TXS ?? 4000);
/** The steady-state window of the paced phase starts this long after its first submission. */
const RAMP_S = 3;
/** Seconds with the fault on and no load before the paced phase, to measure the nodes' CPU floor. */
const IDLE_S = 5;

interface CapacityResult {
  /** Committed tx/s with no fault, pushed as fast as the cluster takes them. */
  capacityTxPerSec: number;
  /** 70 % of it, offered paced over 100 ms RTT and 5 % loss. */
  offeredTxPerSec: number;
  /** Commits/s seen in the steady window (RAMP_S until the last submission is due). */
  sustainedTxPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** How late the client sent its batches after their due time (p50, p99, max ms): the load tool keeping its schedule. */
  sendLagP50Ms: number;
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  committed: number;
  submitted: number;
  /** The blocks node 0 committed while the capacity was measured (no fault) and while 70 % of it was offered over 100 ms RTT and 5 % loss. */
  blocks?: { noFault: BlockFigures; delayLoss: BlockFigures };
  /**
   * The four validators' CPU (every thread, from /proc) per committed tx while the capacity was
   * measured and while 70 % of it was offered, and the cores they kept busy in the latter: what
   * the work costs, far steadier from run to run than the latency on a shared machine.
   */
  nodeCpu?: {
    usPerTxNoFault: number; usPerTxDelayLoss: number; coresDelayLoss: number;
    /**
     * The cores the four kept busy over 100 ms RTT and 5 % loss with no load, just before the
     * paced txs: the empty blocks of their seven chains, the floor under coresDelayLoss.
     */
    idleCoresDelayLoss: number;
    /**
     * Of the time the validators' main threads (consensus and execution) were ready to run, the
     * share they spent waiting for a core, in each capacity run (mainThreadSchedMs): what four
     * validators on this machine's cores lose to each other and to the load tool, which
     * validators on hosts of their own would not.
     */
    coreWaitShareNoFault: number; coreWaitShareDelayLoss: number;
  };
}

/** One paced run over the lossy links: what was offered and kept up, its latency, node 0's blocks and the four validators' CPU. */
interface PacedRun {
  offeredTxPerSec: number; sustainedTxPerSec: number; p50Ms: number; p99Ms: number;
  sendLagP50Ms: number; sendLagP99Ms: number; sendLagMaxMs: number; committed: number; submitted: number;
  blocks: BlockFigures; usPerTx: number; cores: number; idleCores: number;
  /** Of the time the validators' main threads were ready to run, the share they waited for a core (mainThreadSchedMs). */
  coreWaitShare: number;
}

/** A point of NETFAULTS_SWEEP: the paced run at `share` of the capacity. */
interface SweepPoint {
  share: number; offeredTxPerSec: number; sustainedTxPerSec: number; p50Ms: number; p99Ms: number;
  usPerTx: number; cores: number; coreWaitShare: number; txsPerBlock: number; intervalMs: number;
}

/** What a run of blocks looked like: how many, their txs, the time between them (block time), rounds after the first. */
interface BlockFigures { blocks: number; txsPerBlock: number; maxTxs: number; intervalMs: number; laterRounds: number }

interface PhaseResult {
  phase: string; commits: number; perSec: number; p50Ms: number; p99Ms: number; roundsToResume?: number; resumeMs?: number; packets?: Partial<NetemStats>;
  /** Blocks node 0 committed during the fault, how many were decided in a round after the first (a timeout fired), and their mean tx count. */
  blocks?: number; laterRounds?: number; txsPerBlock?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export default async function run(): Promise<BenchResult> {
  const why = netnsUnavailable();
  if (why) throw new Error(`netfaults needs network namespaces: ${why}`);
  const tmp = tempDir('shulian-netfaults-bench-');
  const lab = new NetLab(4);
  const cluster = new NetCluster(lab, tmp.dir, benchNodeArgs());
  const phases: PhaseResult[] = [];
  let violations: string[] = [];
  const work = () => new Workload(cluster.nodes.map((n) => n.api), 8);
  const consensus = (i: number) => getJson<{ height: number; round: number; proposer: string }>(`${cluster.nodes[i]!.api}/v1/chains/notary/consensus`, 2000);
  const heights = async () => Promise.all(cluster.nodes.map(async (_, i) => (await consensus(i))?.height ?? -1));

  /** Node 0's blocks in (from, to]: where a phase's time went (fewer, fuller blocks; timeouts). */
  const blockFigures = async (from: number, to: number): Promise<BlockFigures> => {
    const times: number[] = [];
    let [txs, maxTxs, laterRounds] = [0, 0, 0];
    for (let h = from + 1; h <= to; h++) {
      const b = await getJson<{ header: { time: number }; txs: unknown[]; commit?: { round: number } }>(`${cluster.nodes[0]!.api}/v1/chains/notary/blocks/${h}`);
      if (!b) continue;
      times.push(b.header.time);
      txs += b.txs.length;
      maxTxs = Math.max(maxTxs, b.txs.length);
      if ((b.commit?.round ?? 0) > 0) laterRounds++;
    }
    const n = times.length;
    return { blocks: n, txsPerBlock: n ? Number((txs / n).toFixed(1)) : 0, maxTxs, intervalMs: n > 1 ? Math.round((times[n - 1]! - times[0]!) / (n - 1)) : 0, laterRounds };
  };

  /** Runs clients through `fault` for FAULT_S seconds, heals, then checks the history of that phase. */
  const phase = async (name: string, fault: () => Promise<void> | void, heal: () => void): Promise<PhaseResult> => {
    const w = work();
    const fromHeight = (await consensus(0))?.height ?? 0;
    w.start();
    const t0 = Date.now();
    await fault();
    const faultEnd = t0 + FAULT_S * 1000;
    while (Date.now() < faultEnd) await sleep(200);
    const committedDuring = w.committedCount();
    // Rounds to resume: the round in progress at the heal, against the round of the first commit after it.
    const before = Math.max(...(await heights()));
    const healRound = (await consensus(0))?.round ?? 0;
    const healedAt = Date.now();
    heal();
    await waitFor(async () => Math.min(...(await heights())) > before, `${name}: every node past height ${before} after healing`, 180_000);
    const resumeMs = Date.now() - healedAt;
    const block = await getJson<{ commit?: { round: number } }>(`${cluster.nodes[0]!.api}/v1/chains/notary/blocks/${before + 1}`);
    await w.stop();
    // Where the time went: blocks decided in a later round had a timeout fire (a proposal or votes too late).
    let [blocks, laterRounds, txs] = [0, 0, 0];
    for (let h = fromHeight + 1; h <= before; h++) {
      const b = await getJson<{ txs: unknown[]; commit?: { round: number } }>(`${cluster.nodes[0]!.api}/v1/chains/notary/blocks/${h}`);
      if (!b) continue;
      blocks++;
      txs += b.txs.length;
      if ((b.commit?.round ?? 0) > 0) laterRounds++;
    }
    const report = checkHistory(await w.history([0, 1, 2, 3]));
    violations = violations.concat(report.violations.map((v) => `${name}: ${v.kind}: ${v.detail}`));
    const lat = report.latencies;
    return {
      phase: name, commits: committedDuring, perSec: Number((committedDuring / FAULT_S).toFixed(2)),
      p50Ms: Math.round(percentile(lat, 50)), p99Ms: Math.round(percentile(lat, 99)),
      resumeMs, roundsToResume: block?.commit ? Math.max(0, block.commit.round - healRound) : undefined,
      blocks, laterRounds, txsPerBlock: blocks ? Number((txs / blocks).toFixed(2)) : 0,
    };
  };

  try {
    await lab.sync();
    cluster.startAll();
    await cluster.waitReady('notary', 1, 300_000);
    // Warm-up, not counted: the first seconds of fresh node processes (JIT, first blocks) would
    // otherwise be the baseline and flatter every phase measured against it.
    const warm = work();
    warm.start();
    await sleep(Math.min(10, FAULT_S / 2) * 1000);
    await warm.stop();
    const none = await phase('none', () => {}, () => {});
    phases.push(none);
    /** A phase over impaired links, with what the emulator did to the packets during it. */
    const impaired = async (name: string, o: Impairment): Promise<PhaseResult> => {
      const s0 = await lab.emulatorStats();
      const r = await phase(name, () => lab.impairAll(o), () => lab.clearImpairments());
      const s1 = await lab.emulatorStats();
      const packets = Object.fromEntries((['fwd', 'loss', 'dup', 'reorder', 'full'] as const).map((k) => [k, s1[k] - s0[k]]));
      return { ...r, packets };
    };
    // Capacity, as the issue's target reads ("p50 commit latency under 1 s at 70% of the no-fault
    // throughput"): closed-loop clients are bound by their own round trips (each waits for its
    // commit before its next tx), so their rate falls with any added delay whatever the cluster
    // could take. Here the cluster's no-fault throughput is measured with pre-signed txs pushed
    // as fast as it takes them, then 70 % of it is offered, paced, over 100 ms RTT and 5 % loss:
    // the rate it sustains in steady state and the latency of each tx.
    const summary = (capacity: CapacityResult, none: PhaseResult, delayLoss: PhaseResult | undefined, kills: number, killedRounds: number): BenchResult => {
      const value = capacity.sustainedTxPerSec;
      const limit = capacity.capacityTxPerSec;
      const ratio = limit > 0 ? Number((value / limit).toFixed(3)) : 0;
      return {
        bench: 'netfaults', value, unit: 'committed tx/s sustained with 100 ms RTT and 5% loss, 70% of capacity offered', limit,
        limitWhat: 'the same four namespaced validators\' committed tx/s with no fault, pre-signed txs pushed as fast as they take them, measured in this run',
        ratio, target: 0.7, delayLossP50Ms: capacity.p50Ms, delayLossP99Ms: capacity.p99Ms, p50TargetMs: 1000,
        // Kept up: what was offered (70 %) is what committed in steady state, within 2 %.
        targetsMet: capacity.sustainedTxPerSec >= 0.98 * capacity.offeredTxPerSec && capacity.p50Ms < 1000, capacity,
        ...(delayLoss ? { closedLoop: { noFaultPerSec: none.perSec, delayLossPerSec: delayLoss.perSec, ratio: none.perSec > 0 ? Number((delayLoss.perSec / none.perSec).toFixed(3)) : 0, delayLossP50Ms: delayLoss.p50Ms } } : {}),
        netemSeed: lab.seed,
        violations: violations.length, kills, killedRounds, faultSeconds: FAULT_S, phases,
        ...(OFFERED !== undefined ? { offeredFixed: OFFERED } : {}), ...(CAPACITY_ONLY ? { capacityOnly: true } : {}), ...(PACED_NO_FAULT ? { pacedNoFault: true } : {}),
        ...(violations.length ? { failures: violations.slice(0, 10) } : {}),
      };
    };
    const apis = cluster.nodes.map((n) => n.api);
    const h0 = (await consensus(0))?.height ?? 0;
    if (process.env.BENCH_DEBUG) console.error(`netfaults: flood with no fault from ${Date.now()} (height ${h0})`);
    const nodesCpuMs = (): number => cluster.nodes.reduce((sum, n) => sum + (n.proc?.pid ? procCpuMs(n.proc.pid) : NaN), 0);
    /** The four validators' main threads: ms on a core and ms ready but waiting for one, so far. */
    const nodesSched = (): { runMs: number; waitMs: number } => cluster.nodes.reduce((sum, n) => {
      const s = n.proc?.pid ? mainThreadSchedMs(n.proc.pid) : { runMs: NaN, waitMs: NaN };
      return { runMs: sum.runMs + s.runMs, waitMs: sum.waitMs + s.waitMs };
    }, { runMs: 0, waitMs: 0 });
    /** Of the time the validators' main threads were ready to run between two readings, the share they waited for a core. */
    const waitShare = (a: { runMs: number; waitMs: number }, b: { runMs: number; waitMs: number }): number =>
      Number(((b.waitMs - a.waitMs) / (b.runMs - a.runMs + b.waitMs - a.waitMs)).toFixed(2));
    const cpu0 = nodesCpuMs();
    const sched0 = nodesSched();
    const flood = await drive(apis, presignNotaryTxs('sm2', CAPACITY_TXS, 400), Infinity);
    const cpu1 = nodesCpuMs();
    const sched1 = nodesSched();
    const h1 = (await consensus(0))?.height ?? 0;
    const offered = OFFERED ?? Math.ceil(flood.txPerSec * 0.7);
    /**
     * `rate` tx/s offered paced for CAPACITY_S seconds over 100 ms RTT and 5 % loss (no fault with
     * PACED_NO_FAULT), after IDLE_S seconds of that fault with no load to read the nodes' CPU floor.
     */
    const paced = async (rate: number): Promise<PacedRun> => {
      const txs = presignNotaryTxs('sm2', rate * CAPACITY_S, 400);
      if (!PACED_NO_FAULT) lab.impairAll({ delayMs: 50, lossPct: 5 });
      await lab.sync();
      const idle0 = nodesCpuMs();
      const ti0 = performance.now();
      await sleep(IDLE_S * 1000);
      const idleCores = Number(((nodesCpuMs() - idle0) / (performance.now() - ti0)).toFixed(2));
      const h2 = (await consensus(0))?.height ?? 0;
      // BENCH_DEBUG: the paced phase's wall-clock bounds, to line up with SHULIAN_TBFT_TRACE files.
      if (process.env.BENCH_DEBUG) console.error(`netfaults: ${rate} tx/s paced over 100 ms RTT and 5 % loss from ${Date.now()} (height ${h2})`);
      const cpu2 = nodesCpuMs();
      const sched2 = nodesSched();
      const t2 = performance.now();
      // Batches of 20, so the steady window counts commits finely.
      const run = await drive(apis, txs, rate, { timeoutMs: (CAPACITY_S + 120) * 1000, batch: 20 });
      const cpu3 = nodesCpuMs();
      const sched3 = nodesSched();
      const t3 = performance.now();
      const h3 = (await consensus(0))?.height ?? 0;
      if (process.env.BENCH_DEBUG) console.error(`netfaults: paced until ${Date.now()} (height ${h3})`);
      lab.clearImpairments();
      await lab.sync();
      const steady = run.commitTimes.filter((t) => t >= RAMP_S * 1000 && t < CAPACITY_S * 1000).length;
      return {
        offeredTxPerSec: rate, sustainedTxPerSec: Math.round(steady / (CAPACITY_S - RAMP_S)),
        p50Ms: Math.round(percentile(run.latencies, 50)), p99Ms: Math.round(percentile(run.latencies, 99)),
        sendLagP50Ms: Math.round(percentile(run.sendLagMs, 50)), sendLagP99Ms: Math.round(percentile(run.sendLagMs, 99)), sendLagMaxMs: Math.round(run.sendLagMs.at(-1) ?? 0),
        committed: run.committed, submitted: txs.length, blocks: await blockFigures(h2, h3),
        usPerTx: Math.round(((cpu3 - cpu2) * 1000) / run.committed), cores: Number(((cpu3 - cpu2) / (t3 - t2)).toFixed(2)), idleCores,
        coreWaitShare: waitShare(sched2, sched3),
      };
    };
    const { blocks, usPerTx, cores, idleCores, coreWaitShare, ...figures } = await paced(offered);
    const capacity: CapacityResult = {
      capacityTxPerSec: Math.round(flood.txPerSec), ...figures,
      blocks: { noFault: await blockFigures(h0, h1), delayLoss: blocks },
      nodeCpu: {
        usPerTxNoFault: Math.round(((cpu1 - cpu0) * 1000) / flood.committed), usPerTxDelayLoss: usPerTx,
        coresDelayLoss: cores, idleCoresDelayLoss: idleCores,
        coreWaitShareNoFault: waitShare(sched0, sched1), coreWaitShareDelayLoss: coreWaitShare,
      },
    };
    if (SWEEP.length > 0) {
      // The same paced run at other shares of the capacity: where the latency bends as the cores fill.
      const sweep: SweepPoint[] = [];
      for (const share of SWEEP) {
        const { offeredTxPerSec, sustainedTxPerSec, p50Ms, p99Ms, usPerTx, cores, coreWaitShare, blocks } = await paced(Math.ceil(flood.txPerSec * share));
        sweep.push({ share, offeredTxPerSec, sustainedTxPerSec, p50Ms, p99Ms, usPerTx, cores, coreWaitShare, txsPerBlock: blocks.txsPerBlock, intervalMs: blocks.intervalMs });
      }
      return { ...summary(capacity, none, undefined, 0, 0), sweep };
    }
    if (CAPACITY_ONLY) return summary(capacity, none, undefined, 0, 0);
    const delayLoss = await impaired('delay-loss', { delayMs: 50, lossPct: 5 });
    phases.push(delayLoss);
    phases.push(await impaired('jitter-dup-reorder', { delayMs: 50, jitterMs: 20, dupPct: 2, reorderPct: 10 }));
    phases.push(await impaired('congested', { rateKbit: 512, limitPackets: 8 }));
    phases.push(await phase('partition-2-2', () => lab.partition([[0, 1], [2, 3]]), () => lab.healAll()));
    phases.push(await phase('partition-1-3', () => lab.partition([[0], [1, 2, 3]]), () => lab.healAll()));
    // Node 1 in no group: it sees 0 and {2, 3}, which do not see each other.
    phases.push(await phase('partition-bridge', () => lab.partition([[0], [2, 3]]), () => lab.healAll()));
    let flapping = true;
    let flap: Promise<void> = Promise.resolve();
    phases.push(await phase('partition-flapping', () => {
      flap = (async () => {
        while (flapping) {
          lab.partition([[0, 1], [2, 3]]);
          await sleep(5000);
          lab.healAll();
          await sleep(5000);
        }
      })();
    }, () => void (flapping = false)));
    await flap;
    lab.healAll();
    phases.push(await phase('paused', () => cluster.pause(randomInt(4)), () => {
      for (const n of cluster.nodes) if (n.paused) cluster.resume(n.index);
    }));

    // kill -9 of the proposer, round after round: the proposer of the current (height, round),
    // as a running node reports it, killed and restarted; the next kill once every validator is
    // up again and that height is committed without it (so at most one is down at a time).
    const kw = work();
    kw.start();
    let kills = 0;
    const rounds = new Set<string>();
    const killEnd = Date.now() + KILL_S * 1000;
    let lastKilled = 1;
    while (Date.now() < killEnd) {
      await cluster.waitReady('notary', lastKilled, 180_000);
      const killed = await cluster.killProposer('notary');
      if (!killed) continue;
      lastKilled = killed.height;
      kills++;
      rounds.add(`${killed.height}/${killed.round}`);
      await waitFor(async () => Math.max(...(await heights())) >= killed.height, `height ${killed.height} without its killed proposer`, 180_000);
    }
    // Liveness after the kills stop: every node up and committing again.
    const stoppedAt = Date.now();
    const top = Math.max(...(await heights()));
    await cluster.waitReady('notary', 1, 300_000);
    await waitFor(async () => Math.min(...(await heights())) > top, `every node past height ${top} after the kills`, 180_000);
    const killResumeMs = Date.now() - stoppedAt;
    await kw.stop();
    const kr = checkHistory(await kw.history([0, 1, 2, 3]));
    violations = violations.concat(kr.violations.map((v) => `kill-proposer: ${v.kind}: ${v.detail}`));
    phases.push({ phase: 'kill-proposer', commits: kw.committedCount(), perSec: Number((kw.committedCount() / KILL_S).toFixed(2)), p50Ms: Math.round(percentile(kr.latencies, 50)), p99Ms: Math.round(percentile(kr.latencies, 99)), resumeMs: killResumeMs });

    return summary(capacity, none, delayLoss, kills, rounds.size);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster.outputs()}`);
  } finally {
    await cluster.stopAll();
    lab.destroy();
    tmp.cleanup();
  }
}
