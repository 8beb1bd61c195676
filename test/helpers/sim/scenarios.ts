/** Simulation scenarios: each turns a seed into a SimConfig (network, partitions, crashes, Byzantine validators). */
import type { TimeoutConfig } from '../../../src/consensus/tbft/index.ts';
import type { Behaviour, Crash, Partition, SignerKind, SimConfig } from './harness.ts';
import { hashString, Prng } from './prng.ts';

/** Simulated timeouts: a 1–30 ms network, so a few hundred ms per step. */
export const SIM_TIMEOUTS: Partial<TimeoutConfig> = {
  proposeMs: 200, proposeDeltaMs: 100, prevoteMs: 100, prevoteDeltaMs: 50, precommitMs: 100, precommitDeltaMs: 50,
  commitMs: 10, rebroadcastMs: 300,
};

export interface Scenario {
  name: string;
  /** Seeds CI runs. */
  seeds: number;
  make(seed: number): SimConfig;
}

function base(name: string, seed: number, n: number): SimConfig {
  return {
    name, seed, n, behaviours: new Array<Behaviour>(n).fill('honest'), signer: 'fast',
    net: { minDelay: 1, maxDelay: 30, tailProb: 0.05, tailFactor: 6, drop: 0, dup: 0 },
    partitions: [], crashes: [], timeouts: SIM_TIMEOUTS, appDelayMax: 5,
    heights: 6, livenessK: 3, livenessBound: 30_000, checkLiveness: true, maxTime: 120_000,
  };
}

function params(name: string, seed: number): Prng {
  return new Prng((Math.imul(seed, 2654435761) ^ hashString(`${name}/params`)) >>> 0);
}

function lossy(rng: Prng): SimConfig['net'] {
  return { minDelay: 1, maxDelay: rng.range(10, 60), tailProb: 0.1, tailFactor: rng.range(3, 10), drop: rng.range(1, 15) / 100, dup: rng.range(0, 10) / 100 };
}

/** Partitions that heal: one node cut off, two halves, or three groups. */
function partitions(rng: Prng, n: number, count: number): Partition[] {
  const out: Partition[] = [];
  let t = rng.range(100, 1500);
  for (let k = 0; k < count; k++) {
    const order = rng.shuffle([...Array(n).keys()]);
    const kind = rng.int(3);
    let groups: number[][];
    if (kind === 0) groups = [[order[0]!], order.slice(1)];
    else if (kind === 1) groups = [order.slice(0, n >> 1), order.slice(n >> 1)];
    else groups = [order.slice(0, 1), order.slice(1, 2 + rng.int(n - 2)), []].map((g, i, all) => (i === 2 ? order.slice(all[0]!.length + all[1]!.length) : g));
    const dur = rng.range(300, 4000);
    out.push({ start: t, end: t + dur, groups });
    t += dur + rng.range(0, 1500);
  }
  return out;
}

/** Crashes of honest nodes, each restarted from its WAL; half of them torn (after a WAL append, before the sends). */
function crashes(rng: Prng, honest: number[], count: number): Crash[] {
  const out: Crash[] = [];
  const nodes = rng.shuffle(honest);
  let t = rng.range(50, 1500);
  for (let k = 0; k < count; k++) {
    const down = rng.range(300, 3000);
    out.push({ node: nodes[k % nodes.length]!, at: t, restartAt: t + down, torn: rng.chance(0.5) });
    t += rng.range(100, 1500);
    if (k % nodes.length === nodes.length - 1) t += 3000;
  }
  return out;
}

function byzantine(cfg: SimConfig, rng: Prng, count: number, kinds: readonly Behaviour[]): number[] {
  const idx = rng.shuffle([...Array(cfg.n).keys()]).slice(0, count);
  for (const i of idx) cfg.behaviours[i] = rng.pick(kinds);
  return idx;
}

function honestOf(cfg: SimConfig): number[] {
  return cfg.behaviours.map((b, i) => (b === 'honest' ? i : -1)).filter((i) => i >= 0);
}

const ALL_BYZ: readonly Behaviour[] = ['silent', 'equivocate', 'double-vote', 'invalid-proposal', 'forger', 'payload-swap', 'coalition'];

export const SCENARIOS: Scenario[] = [
  { name: 'calm-n4', seeds: 40, make: (seed) => base('calm-n4', seed, 4) },
  {
    name: 'lossy-n7', seeds: 40, make: (seed) => {
      const cfg = base('lossy-n7', seed, 7);
      cfg.net = lossy(params(cfg.name, seed));
      return cfg;
    },
  },
  {
    name: 'partition-n4', seeds: 60, make: (seed) => {
      const cfg = base('partition-n4', seed, 4);
      const rng = params(cfg.name, seed);
      cfg.net.drop = 0.02;
      cfg.partitions = partitions(rng, 4, rng.range(1, 3));
      return cfg;
    },
  },
  {
    name: 'crash-n4', seeds: 60, make: (seed) => {
      const cfg = base('crash-n4', seed, 4);
      const rng = params(cfg.name, seed);
      cfg.net.drop = 0.02;
      cfg.crashes = crashes(rng, [0, 1, 2, 3], rng.range(1, 4));
      return cfg;
    },
  },
  {
    name: 'equivocate-n4', seeds: 50, make: (seed) => {
      const cfg = base('equivocate-n4', seed, 4);
      const rng = params(cfg.name, seed);
      cfg.net = lossy(rng);
      byzantine(cfg, rng, 1, ['equivocate']);
      return cfg;
    },
  },
  {
    name: 'double-vote-n7', seeds: 40, make: (seed) => {
      const cfg = base('double-vote-n7', seed, 7);
      const rng = params(cfg.name, seed);
      cfg.net.drop = 0.03;
      byzantine(cfg, rng, 2, ['double-vote']);
      cfg.partitions = partitions(rng, 7, 1);
      return cfg;
    },
  },
  {
    name: 'coalition-n4', seeds: 50, make: (seed) => {
      const cfg = base('coalition-n4', seed, 4);
      const rng = params(cfg.name, seed);
      cfg.net.drop = 0.02;
      byzantine(cfg, rng, 1, ['coalition']);
      return cfg;
    },
  },
  {
    name: 'coalition-n7', seeds: 40, make: (seed) => {
      const cfg = base('coalition-n7', seed, 7);
      const rng = params(cfg.name, seed);
      cfg.net.drop = 0.02;
      byzantine(cfg, rng, 2, ['coalition']);
      cfg.crashes = crashes(rng, honestOf(cfg), 1);
      return cfg;
    },
  },
  {
    name: 'valset-n4', seeds: 40, make: (seed) => {
      const cfg = base('valset-n4', seed, 4);
      const rng = params(cfg.name, seed);
      cfg.net.drop = 0.03;
      const [b] = byzantine(cfg, rng, 1, ALL_BYZ);
      const heavy = honestOf(cfg)[0]!;
      cfg.powerChange = { height: rng.range(2, 4), powers: [0, 1, 2, 3].map((i) => (i === heavy ? 3 : 1)) };
      void b;
      cfg.heights = 7;
      return cfg;
    },
  },
  {
    name: 'mixed-n7', seeds: 50, make: (seed) => {
      const cfg = base('mixed-n7', seed, 7);
      const rng = params(cfg.name, seed);
      cfg.net = lossy(rng);
      byzantine(cfg, rng, 2, ALL_BYZ);
      cfg.partitions = partitions(rng, 7, rng.range(0, 2));
      cfg.crashes = crashes(rng, honestOf(cfg), rng.range(0, 2));
      return cfg;
    },
  },
  {
    name: 'chaos-n4', seeds: 80, make: (seed) => {
      const cfg = base('chaos-n4', seed, 4);
      const rng = params(cfg.name, seed);
      cfg.net = lossy(rng);
      byzantine(cfg, rng, 1, ALL_BYZ);
      cfg.partitions = partitions(rng, 4, rng.range(1, 2));
      cfg.crashes = crashes(rng, honestOf(cfg), rng.range(1, 3));
      return cfg;
    },
  },
  {
    // Timeouts as short as the network's delays, heavy loss: rounds keep failing with partial
    // views, which is where lock and validRound bugs show.
    name: 'stress-n4', seeds: 40, make: (seed) => {
      const cfg = base('stress-n4', seed, 4);
      const rng = params(cfg.name, seed);
      cfg.net = { minDelay: 1, maxDelay: 60, tailProb: 0.3, tailFactor: 5, drop: 0.3, dup: 0.05 };
      cfg.timeouts = { proposeMs: 20, proposeDeltaMs: 5, prevoteMs: 10, prevoteDeltaMs: 5, precommitMs: 10, precommitDeltaMs: 5, commitMs: 5, rebroadcastMs: 100 };
      byzantine(cfg, rng, 1, ['double-vote', 'coalition', 'equivocate', 'double-vote']);
      cfg.heights = 12;
      cfg.livenessBound = 60_000;
      return cfg;
    },
  },
];

/** Real signatures: the same scenarios' shapes with Ed25519 (and SM2) keys. */
export function withSigner(s: Scenario, signer: SignerKind, seeds: number): Scenario {
  const name = `${s.name}-${signer}`;
  return { name, seeds, make: (seed) => ({ ...s.make(seed), name, signer }) };
}

/** f+1 colluding Byzantine validators (2 of 4): outside the model, so the checker must be able to see a violation. */
export const OVER_THRESHOLD: Scenario = {
  name: 'coalition-f+1-n4', seeds: 20, make: (seed) => {
    const cfg = base('coalition-f+1-n4', seed, 4);
    const rng = params(cfg.name, seed);
    byzantine(cfg, rng, 2, ['coalition']);
    cfg.checkLiveness = false;
    cfg.maxTime = 20_000;
    return cfg;
  },
};

export function scenarioByName(name: string): Scenario | undefined {
  return [...SCENARIOS, OVER_THRESHOLD].find((s) => s.name === name);
}

/** The command that replays one run exactly (the base scenario name, plus the signer for real-signature runs). */
export function replayCommand(name: string, seed: number, signer?: SignerKind): string {
  const sig = signer && signer !== 'fast' ? ` SIM_SIGNER=${signer}` : '';
  return `SIM_SCENARIO=${name}${sig} SIM_SEED=${seed} node --import tsx --test test/sim/sim.test.ts`;
}
