#!/usr/bin/env node
// Where a node's CPU went, from the .cpuprofile files `node --cpu-prof` wrote (one per thread:
// the main thread and each worker). For the benchmarks' profiles (issue #20):
//
//   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" npm run bench -- solo-sm2
//   node scripts/profile-summary.mjs /tmp/p [--top N] [--by area|function|package]
//
// Each sample is charged to one row:
//   --by area (default): the innermost frame of our own code (src/ or dist/), as its folder two
//     levels deep (`ledger/smt`, `chain/admission`), so a library call is charged to the part of
//     the node that made it; samples with no frame of ours are charged to the library (`nm:pkg`),
//     Node's internals (`node:…`), garbage collection, or idle;
//   --by function: the same, to the innermost own function (file:function);
//   --by package: the sample's own frame only (self time), by package or own folder.
// Shares are of the thread's busy time (idle excluded), so threads of one run compare directly.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// `… | head` closes the pipe early: stop quietly instead of a stack trace.
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

const args = process.argv.slice(2);
let top = 25;
let by = 'area';
const paths = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--by') by = args[++i];
  else paths.push(args[i]);
}
if (paths.length === 0 || !['area', 'function', 'package'].includes(by) || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: node scripts/profile-summary.mjs DIR_OR_FILE... [--top N] [--by area|function|package]\n');
  process.exit(2);
}

const files = paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f)) : [p]));
if (files.length === 0) {
  process.stderr.write(`no .cpuprofile file in ${paths.join(', ')}\n`);
  process.exit(2);
}

const OWN = /\/(?:src|dist)\/(?!.*node_modules)(.*)$/;
const pkgOf = (url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];

function classify(frame) {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program';
  const pkg = pkgOf(url);
  if (pkg) return `nm:${pkg}`;
  const own = OWN.exec(url);
  if (own) return own[1].split('/').slice(0, 2).join('/').replace(/\.(ts|js)$/, '');
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/').slice(0, 2).join('/');
  return functionName ? `(${functionName})` : '(native)';
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const rows = new Map();
  let busy = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const leaf = byId.get(id).callFrame;
    const leafClass = classify(leaf);
    if (leafClass === 'idle') {
      idle += dt;
      return;
    }
    busy += dt;
    let key = leafClass;
    if (by !== 'package' && !['gc', 'program'].includes(leafClass)) {
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const f = byId.get(cur).callFrame;
        const own = OWN.exec(f.url);
        if (own && !pkgOf(f.url)) {
          key = by === 'function' ? `${own[1].replace(/\.(ts|js)$/, '')}:${f.functionName || '(anonymous)'}` : classify(f);
          break;
        }
      }
    }
    rows.set(key, (rows.get(key) ?? 0) + dt);
  });
  const ms = (us) => (us / 1000).toFixed(0);
  process.stdout.write(`\n${file}\nbusy ${ms(busy)} ms, idle ${ms(idle)} ms\n`);
  for (const [k, v] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * v) / busy).toFixed(1).padStart(5)} %  ${ms(v).padStart(7)} ms  ${k}\n`);
  }
}
