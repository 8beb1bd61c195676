#!/usr/bin/env node
// node scripts/tbft-trace.mjs DIR [--chain ID] [--last N] [--json]
//
// Lines up the tbft traces the nodes of one machine wrote into DIR (SHULIAN_TBFT_TRACE=DIR,
// src/consensus/tbft/trace.ts) and says what each height waited for
// (docs/consensus.md#tracing-a-height):
//  - the last N heights (default 8), each node's steps in ms after the proposer began to build:
//    in = the proposal arrived, ok = rebuilt, v = validated (start-end), pv/pc = its prevote
//    and precommit sent, d = decided (start-end: the commit);
//  - over every height whose block had txs (with --last, of the last N), the median of each stage
//    and of the block interval; where the traces carry the main thread's scheduler times (Linux),
//    how much of building, validating and committing the thread spent on a core and how much
//    ready to run but waiting for one (validators sharing too few cores).
// --json prints the summary as one JSON line instead.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'));
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
if (!dir) {
  console.error('usage: node scripts/tbft-trace.mjs DIR [--chain ID] [--last N] [--json]');
  process.exit(2);
}
const chain = opt('--chain', undefined);
const last = Number(opt('--last', 8));

const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && (!chain || f.startsWith(`${chain}-`)));
if (files.length === 0) {
  console.error(`no traces in ${dir}${chain ? ` for chain ${chain}` : ''}: start the nodes with SHULIAN_TBFT_TRACE=${dir}`);
  process.exit(1);
}
const chains = new Set(files.map((f) => f.replace(/-\d+\.jsonl$/, '')));
if (chains.size > 1) {
  console.error(`traces of several chains in ${dir} (${[...chains].join(', ')}): pick one with --chain`);
  process.exit(2);
}

/** node name → height → events in order */
const nodes = new Map();
for (const f of files) {
  const byHeight = new Map();
  for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
    if (!line) continue;
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a line cut by a kill
    }
    if (typeof e.h !== 'number' || typeof e.t !== 'number') continue;
    if (e.ev === 'dropped') {
      // The node wrote faster than its disk took the lines (src/consensus/tbft/trace.ts).
      console.error(`${f}: ${e.n} lines dropped before ${new Date(e.t).toISOString()}: heights around then may lack steps`);
      continue;
    }
    if (!byHeight.has(e.h)) byHeight.set(e.h, []);
    byHeight.get(e.h).push(e);
  }
  nodes.set(f.replace(/\.jsonl$/, '').replace(/^.*-/, 'pid '), byHeight);
}

const first = (evs, ev, pred = () => true) => evs?.find((e) => e.ev === ev && pred(e));
/** Between a step's start and end lines: ms the main thread ran and ms it waited for a core (undefined without schedstat). */
const sched = (a, b) => (a && b && typeof a.run === 'number' && typeof b.run === 'number' ? { run: b.run - a.run, wait: b.wait - a.wait } : undefined);
const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] * 10) / 10;
};

// Each height: its proposer (the node that built the block decided, in the round decided).
const heights = new Set();
for (const byHeight of nodes.values()) for (const h of byHeight.keys()) heights.add(h);
const rows = [];
for (const h of [...heights].sort((a, b) => a - b)) {
  let round;
  for (const byHeight of nodes.values()) round ??= first(byHeight.get(h), 'decide-start')?.round;
  if (round === undefined) continue;
  let proposer;
  let start;
  let built;
  let buildSched;
  for (const [name, byHeight] of nodes) {
    const ps = first(byHeight.get(h), 'propose-start', (e) => e.round === round);
    if (ps) {
      proposer = name;
      start = ps.t;
      built = first(byHeight.get(h), 'propose-end', (e) => e.t >= ps.t);
      buildSched = sched(ps, built);
    }
  }
  if (start === undefined || !built) continue;
  const perNode = [];
  for (const [name, byHeight] of nodes) {
    const evs = byHeight.get(h) ?? [];
    const at = (e) => (e ? Math.round(e.t - start) : undefined);
    const [vs, ve, ds, de] = ['validate-start', 'validate-end', 'decide-start', 'decide-end'].map((ev) => first(evs, ev));
    perNode.push({
      name, proposer: name === proposer,
      // A compact proposal (one with txs) is seen as it arrives, before it is rebuilt; others as the driver gets them.
      in: at(first(evs, 'proposal-in', (e) => e.round === round) ?? first(evs, 'recv', (e) => e.type === 'proposal' && e.round === round)),
      ok: at(first(evs, 'proposal-rebuilt', (e) => e.round === round && e.ok)),
      vs: at(vs), ve: at(ve), validateSched: sched(vs, ve),
      pv: at(first(evs, 'send', (e) => e.type === 'prevote' && e.round === round)),
      pc: at(first(evs, 'send', (e) => e.type === 'precommit' && e.round === round)),
      ds: at(ds), de: at(de), commitSched: sched(ds, de),
    });
  }
  rows.push({ h, round, proposer, txs: built.txs ?? 0, build: Math.round(built.t - start), buildSched, start, perNode });
}

if (!args.includes('--json')) {
  for (const r of rows.slice(-last)) {
    console.log(`height ${r.h} round ${r.round}: ${r.proposer} built ${r.txs} txs in ${r.build} ms`);
    for (const n of r.perNode) {
      const f = (k, v) => (v === undefined ? '' : ` ${k}=${v}`);
      const span = (a, b) => (a === undefined ? '' : `${a}-${b ?? '?'}`);
      console.log(`  ${n.proposer ? '*' : ' '} ${n.name.padEnd(10)}${f('in', n.in)}${f('ok', n.ok)}${n.vs === undefined ? '' : ` v=${span(n.vs, n.ve)}`}${f('pv', n.pv)}${f('pc', n.pc)}${n.ds === undefined ? '' : ` d=${span(n.ds, n.de)}`}`);
    }
  }
}

// Medians over the heights whose block had txs (with --last, those of the last N heights).
const full = (args.includes('--last') ? rows.slice(-last) : rows).filter((r) => r.txs > 0);
const arrive = [];
const validate = [];
const votes = [];
const commit = [];
const interval = [];
/** Per stage: the main thread's ms on a core and waiting for one, where the traces carry them. */
const cpu = { build: { run: [], wait: [] }, validate: { run: [], wait: [] }, commit: { run: [], wait: [] } };
const addSched = (stage, s) => {
  if (!s) return;
  cpu[stage].run.push(s.run);
  cpu[stage].wait.push(s.wait);
};
const startOf = new Map(rows.map((r) => [r.h, r.start]));
for (const r of full) {
  const others = r.perNode.filter((n) => !n.proposer);
  const ins = others.map((n) => n.in).filter((x) => x !== undefined).sort((a, b) => a - b);
  if (ins.length) arrive.push(ins[Math.floor(ins.length / 2)] - r.build);
  for (const n of others) if (n.vs !== undefined && n.ve !== undefined) validate.push(n.ve - n.vs);
  addSched('build', r.buildSched);
  for (const n of others) addSched('validate', n.validateSched);
  for (const n of r.perNode) addSched('commit', n.commitSched);
  const decided = r.perNode.map((n) => n.ds).filter((x) => x !== undefined).sort((a, b) => a - b);
  const validated = others.map((n) => n.ve).filter((x) => x !== undefined).sort((a, b) => a - b);
  if (decided.length && validated.length) votes.push(decided[Math.floor(decided.length / 2)] - validated[Math.floor(validated.length / 2)]);
  for (const n of r.perNode) if (n.ds !== undefined && n.de !== undefined) commit.push(n.de - n.ds);
  const next = startOf.get(r.h + 1);
  if (next !== undefined) interval.push(next - r.start);
}
const summary = {
  heights: full.length,
  txsPerBlock: median(full.map((r) => r.txs)),
  buildMs: median(full.map((r) => r.build)),
  proposalArrivesMs: median(arrive),
  validateMs: median(validate),
  votesMs: median(votes),
  commitMs: median(commit),
  intervalMs: median(interval),
};
if (cpu.build.run.length + cpu.validate.run.length + cpu.commit.run.length > 0) {
  // Medians of each stage's main-thread time on a core and ready but waiting for one.
  summary.onCoreMs = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v.run)]));
  summary.waitingForCoreMs = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v.wait)]));
}
if (args.includes('--json')) console.log(JSON.stringify(summary));
else {
  console.log(`\nmedians over ${summary.heights} heights with txs (${summary.txsPerBlock} txs a block): build ${summary.buildMs} ms, proposal arrives ${summary.proposalArrivesMs} ms after it is built, validate ${summary.validateMs} ms, validated → decided ${summary.votesMs} ms, commit ${summary.commitMs} ms; a height every ${summary.intervalMs} ms`);
  if (summary.onCoreMs) {
    const w = summary.waitingForCoreMs;
    const c = summary.onCoreMs;
    console.log(`of which the node's main thread ran / waited for a core (ms): build ${c.build} / ${w.build}, validate ${c.validate} / ${w.validate}, commit ${c.commit} / ${w.commit}`);
  }
}
