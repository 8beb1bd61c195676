import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { NodeConfig } from '../../../src/node/index.ts';
import { prepareCluster } from '../../../src/node/index.ts';
import { cliPath, repoRoot } from '../node-process.ts';
import { waitFor } from '../tmp.ts';
import { onCleanup, type NetLab } from './lab.ts';

/** Ports inside every namespace: each host has its own port space, so they are the same on all. */
export const API_PORT = 7080;
export const P2P_PORT = 7090;

export interface NetNode {
  index: number;
  did: string;
  api: string;
  configPath: string;
  proc?: ChildProcess;
  exited?: Promise<void>;
  out: string;
  paused: boolean;
  /** Added to the node's environment at every start. */
  env: Record<string, string>;
}

/**
 * A tbft alliance of validator processes, one per namespace of `lab` (the layout of `shulian up
 * --validators N`, with every address rewritten to the namespace's own): each node binds its
 * API to its bridge address (where the clients reach it) and its p2p port to its TUN address,
 * and dials the others at theirs, so all node-to-node traffic crosses the lab's network
 * emulator (and the TUNs' qdiscs), where the faults are made.
 */
export class NetCluster {
  readonly nodes: NetNode[];

  /** `nodeArgs`: Node options for every node process (a bench's BENCH_NODE_ARGS, e.g. --cpu-prof). */
  constructor(readonly lab: NetLab, dir: string, private readonly nodeArgs: string[] = []) {
    const layout = prepareCluster(dir, lab.hosts.length, API_PORT, P2P_PORT);
    this.nodes = layout.nodes.map((n, i) => {
      const ip = lab.hosts[i]!.ip;
      const config = JSON.parse(readFileSync(n.configPath, 'utf8')) as NodeConfig;
      config.api = { ...config.api, host: ip, port: API_PORT };
      // Validators reach each other on the TUN addresses, through the network emulator; the clients use the API on the bridge.
      config.p2p = { host: lab.hosts[i]!.p2pIp, port: P2P_PORT, peers: lab.hosts.filter((_, j) => j !== i).map((h) => `ws://${h.p2pIp}:${P2P_PORT}`) };
      writeFileSync(n.configPath, JSON.stringify(config, null, 2) + '\n');
      return { index: i, did: n.did, api: `http://${ip}:${API_PORT}`, configPath: n.configPath, out: '', paused: false, env: {} };
    });
  }

  /**
   * Starts node i in its namespace. `env` adds to its environment (e.g. SHULIAN_CLOCK_SKEW_MS)
   * and is kept: a restart without one (after kill9) has the same.
   */
  start(i: number, env?: Record<string, string>): void {
    const n = this.nodes[i]!;
    if (n.proc) throw new Error(`node ${i} is already running`);
    if (env) n.env = env;
    // `ip netns exec` execs the command: the child's pid is the node's, so signals reach it.
    const proc = spawn(this.lab.exec(i)[0]!, [...this.lab.exec(i).slice(1), process.execPath, ...this.nodeArgs, cliPath, 'node', '--config', n.configPath], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHULIAN_DEBUG: undefined, ...n.env },
    });
    n.proc = proc;
    n.paused = false;
    const keep = (d: Buffer): void => void (n.out = (n.out + d.toString()).slice(-20_000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    n.exited = new Promise((r) => proc.once('exit', () => {
      n.proc = undefined;
      r();
    }));
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
  }

  startAll(): void {
    for (let i = 0; i < this.nodes.length; i++) this.start(i);
  }

  /** SIGSTOP: the process keeps its sockets but runs nothing (a VM freeze, a long GC pause). */
  pause(i: number): void {
    const n = this.nodes[i]!;
    n.proc!.kill('SIGSTOP');
    n.paused = true;
  }

  resume(i: number): void {
    const n = this.nodes[i]!;
    n.proc!.kill('SIGCONT');
    n.paused = false;
  }

  async kill9(i: number): Promise<void> {
    const n = this.nodes[i]!;
    if (!n.proc) return;
    n.proc.kill('SIGKILL');
    await n.exited;
  }

  /** The consensus state of `chain` as node i reports it. */
  consensus(i: number, chain = 'notary'): Promise<ConsensusView | undefined> {
    return getJson<ConsensusView>(`${this.nodes[i]!.api}/v1/chains/${chain}/consensus`, 2000);
  }

  /**
   * kill -9 of the validator that proposes in the current round of `chain`, then restarted from
   * its data directory. The current round is the furthest (height, round) any running node
   * reports: a node restarted a moment ago still reports the height it is catching up on. Only
   * while every node is up, so at most one is down at a time: undefined when one is not, or no
   * running node answered.
   */
  async killProposer(chain = 'notary'): Promise<{ index: number; height: number; round: number } | undefined> {
    if (!this.nodes.every((n) => n.proc && !n.paused)) return undefined;
    const views = await Promise.all(this.nodes.map((n) => this.consensus(n.index, chain)));
    let best: ConsensusView | undefined;
    for (const s of views) {
      if (s && this.nodes.some((m) => m.did === s.proposer) && (!best || s.height > best.height || (s.height === best.height && s.round > best.round))) best = s;
    }
    if (!best) return undefined;
    const p = this.nodes.findIndex((m) => m.did === best.proposer);
    await this.kill9(p);
    this.start(p);
    return { index: p, height: best.height + 1, round: best.round };
  }

  /** Stops every node (SIGCONT first for a paused one), SIGKILL after 20 s. */
  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      if (!n.proc) return;
      if (n.paused) n.proc.kill('SIGCONT');
      n.proc.kill('SIGTERM');
      const t = setTimeout(() => n.proc?.kill('SIGKILL'), 20_000);
      await n.exited;
      clearTimeout(t);
    }));
  }

  /** Waits until every running node has committed at least `height` on `chain` and sees every validator up. */
  async waitReady(chain = 'notary', height = 1, timeoutMs = 240_000): Promise<void> {
    await waitFor(async () => {
      const s = await Promise.all(this.nodes.map((n) => getJson<{ height: number; validators: Array<{ up: boolean }> }>(`${n.api}/v1/chains/${chain}/consensus`)));
      return s.every((x) => x && x.height >= height && x.validators.every((v) => v.up));
    }, `all ${this.nodes.length} nodes in their namespaces committing ${chain} with every validator up`, timeoutMs);
  }

  /** The last output of every node, for a failure message. */
  outputs(): string {
    return this.nodes.map((n) => `--- node ${n.index} (${n.api}) ---\n${n.out.slice(-3000)}`).join('\n');
  }
}

/** GET /v1/chains/:chain/consensus: `height` is the last committed; `round` and `proposer` are of the height after it. */
export interface ConsensusView { height: number; round: number; step: string; proposer: string; validators: Array<{ did: string; up: boolean }> }

export async function getJson<T>(url: string, timeoutMs = 3000): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Node processes still running when this test process exits or is stopped are killed (a paused one too: SIGKILL works on stopped processes). */
const live = new Set<ChildProcess>();
onCleanup(() => {
  for (const p of live) p.kill('SIGKILL');
});
