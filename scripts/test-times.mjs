#!/usr/bin/env node
// Where the test suite's time goes: runs test files under Node's runner as `npm test` does and
// prints each file's wall time, longest first, with the run's total wall and CPU time.
//
//   node scripts/test-times.mjs                      every file, --test-concurrency=2, as npm test
//   node scripts/test-times.mjs test/a.test.ts ...   these files only
//   node scripts/test-times.mjs --each [FILE...]     one file at a time, each in its own runner:
//                                                    wall AND CPU (the file's process and every
//                                                    process it started) per file
//   --concurrency N   files at once (default 2; --each is always 1)
//   --out FILE        also write the figures as JSON (to compare before/after)
//
// The runner's own output (spec reporter) goes to test-artifacts/test-times.log (with --each, the
// last file's); failures are
// marked in the table and make the exit code 1. CPU is read from /proc/self/stat (the CPU of
// reaped descendants), so it is shown on Linux only. On a shared machine the figures are
// inflated by the other load: compare them relatively, run against run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testFiles } from './test-files.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const reporter = join(root, 'scripts', 'test-times', 'reporter.mjs');

function usage(msg) {
  process.stderr.write(`error: ${msg}\nusage: node scripts/test-times.mjs [--each] [--concurrency N] [--out FILE] [FILE...]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let each = false;
let concurrency = 2;
let out;
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--each') each = true;
  else if (a === '--concurrency') {
    concurrency = Number(args[++i]);
    if (!Number.isInteger(concurrency) || concurrency < 1) usage('--concurrency needs a whole number ≥ 1');
  } else if (a === '--out') {
    out = args[++i];
    if (!out) usage('--out needs a file name');
  } else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else {
    if (!existsSync(join(root, a))) usage(`no such test file: ${a}`);
    files.push(a);
  }
}
const list = files.length > 0 ? files : testFiles();

/** CPU seconds (user + system) of this process's reaped descendants, or undefined off Linux. */
function childCpu() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17, in clock ticks (100/s).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

const logDir = join(root, 'test-artifacts');
mkdirSync(logDir, { recursive: true });
const logFile = join(logDir, 'test-times.log');
rmSync(logFile, { force: true });

/** Runs `node --test` on `batch`; resolves with one {file, ms, ok} per file the runner finished. */
function runBatch(batch, n) {
  const lines = join(tmpdir(), `shulian-test-times-${process.pid}-${Date.now()}.jsonl`);
  const argv = ['--import', 'tsx', '--test', `--test-concurrency=${n}`, '--test-timeout=900000',
    '--test-reporter=spec', `--test-reporter-destination=${logFile}`,
    `--test-reporter=${reporter}`, `--test-reporter-destination=${lines}`, ...batch];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, SHULIAN_LIGHT_KDF: '1' } });
    child.on('error', reject);
    child.on('close', (code) => {
      const rows = existsSync(lines) ? readFileSync(lines, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
      rmSync(lines, { force: true });
      for (const r of rows) r.file = relative(root, r.file).split('\\').join('/');
      // A file the runner never reported (it could not start) counts as failed.
      for (const f of batch) if (!rows.some((r) => r.file === f)) rows.push({ file: f, ms: 0, ok: false });
      resolve({ rows, code });
    });
  });
}

const fmt = (s) => (s === undefined ? '' : s.toFixed(1).padStart(8));
const t0 = Date.now();
const cpu0 = childCpu();
const results = [];
if (each) {
  for (const f of list) {
    const c0 = childCpu();
    const { rows } = await runBatch([f], 1);
    const c1 = childCpu();
    const r = rows[0];
    r.cpu = c0 === undefined ? undefined : c1 - c0;
    results.push(r);
    process.stdout.write(`${fmt(r.ms / 1000)} s wall ${fmt(r.cpu)} s CPU  ${r.ok ? '' : 'FAILED '}${r.file}\n`);
  }
} else {
  process.stdout.write(`running ${list.length} files, ${concurrency} at a time (runner output: ${relative(root, logFile)})\n`);
  results.push(...(await runBatch(list, concurrency)).rows);
}
const wall = (Date.now() - t0) / 1000;
const cpu = cpu0 === undefined ? undefined : childCpu() - cpu0;

results.sort((a, b) => b.ms - a.ms);
process.stdout.write(`\n${'wall s'.padStart(8)} ${each ? `${'CPU s'.padStart(8)} ` : ''} file\n`);
for (const r of results) {
  process.stdout.write(`${fmt(r.ms / 1000)} ${each ? `${fmt(r.cpu)} ` : ''} ${r.ok ? '' : 'FAILED '}${r.file}\n`);
}
const sum = results.reduce((s, r) => s + r.ms, 0) / 1000;
process.stdout.write(`\n${results.length} files; sum of file times ${sum.toFixed(0)} s; run: ${wall.toFixed(0)} s wall` +
  `${cpu === undefined ? '' : `, ${cpu.toFixed(0)} s CPU`}; ${results.filter((r) => !r.ok).length} failed\n`);
if (out) {
  writeFileSync(out, `${JSON.stringify({ when: new Date().toISOString(), concurrency: each ? 1 : concurrency, wall, cpu, files: results }, null, 1)}\n`);
}
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
