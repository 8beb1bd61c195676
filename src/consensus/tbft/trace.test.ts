import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShulianError } from '../../codec/index.ts';
import { traceFromEnv } from './trace.ts';

test('tbft trace: off when unset; makes its directory and writes one JSON line per step; a directory it cannot make is a clear error', async () => {
  const base = mkdtempSync(join(tmpdir(), 'shulian-trace-'));
  try {
    assert.equal(traceFromEnv('notary', {}), undefined);
    const dir = join(base, 'new', 'dir');
    const t = traceFromEnv('notary', { SHULIAN_TBFT_TRACE: dir })!;
    t.trace('propose-start', 7, { round: 0 });
    t.trace('decide-end', 7, { txs: 3 });
    t.close();
    const file = join(dir, `notary-${process.pid}.jsonl`);
    const lines = await waitForLines(file, 2);
    assert.deepEqual(lines.map((l) => [l.ev, l.h, l.round ?? l.txs]), [['propose-start', 7, 0], ['decide-end', 7, 3]]);
    assert.ok(typeof lines[0]!.t === 'number' && typeof lines[1]!.t === 'number' && lines[1]!.t >= lines[0]!.t);
    writeFileSync(join(base, 'a-file'), '');
    assert.throws(() => traceFromEnv('notary', { SHULIAN_TBFT_TRACE: join(base, 'a-file', 'sub') }),
      (err: unknown) => err instanceof ShulianError && err.code === 'TBFT_TRACE_DIR_INVALID' && err.message.includes('a-file'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('tbft trace: a step that runs on the CPU carries the main thread\'s time on a core and waiting for one, where Linux gives them; a vote does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-trace-'));
  try {
    const t = traceFromEnv('notary', { SHULIAN_TBFT_TRACE: dir })!;
    t.trace('validate-start', 9);
    // Some CPU on this thread, measured by the CPU clock (not the wall clock).
    const until = process.cpuUsage().user + 5_000;
    let x = 0;
    while (process.cpuUsage().user < until) x += Math.sqrt(x + 1);
    t.trace('validate-end', 9, { txs: x > 0 ? 1 : 0 });
    t.trace('recv', 9, { type: 'prevote' });
    t.close();
    const [start, end, vote] = await waitForLines(join(dir, `notary-${process.pid}.jsonl`), 3);
    assert.equal(vote!.run, undefined);
    assert.equal(vote!.wait, undefined);
    if (existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`)) {
      for (const l of [start!, end!]) assert.ok(typeof l.run === 'number' && typeof l.wait === 'number', JSON.stringify(l));
      assert.ok(Number(end!.run) > Number(start!.run), `the CPU spent between the two steps shows in run: ${start!.run} → ${end!.run}`);
      assert.ok(Number(end!.wait) >= Number(start!.wait));
    } else {
      assert.equal(start!.run, undefined); // no schedstat on this kernel: the line says nothing rather than a made-up 0
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tbft trace: past its memory bound it drops lines, and says how many when it writes again or closes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-trace-'));
  try {
    const t = traceFromEnv('notary', { SHULIAN_TBFT_TRACE: dir }, 2_000)!;
    // All in one turn of the event loop: nothing reaches the disk meanwhile.
    for (let h = 1; h <= 1_000; h++) t.trace('recv', h, { peer: 'did:shulian:x', round: 0 });
    t.close();
    const file = join(dir, `notary-${process.pid}.jsonl`);
    const lines = await waitForLines(file, 1, (ls) => ls.some((l) => l.ev === 'dropped'));
    const kept = lines.filter((l) => l.ev === 'recv');
    const dropped = lines.find((l) => l.ev === 'dropped')!;
    assert.ok(kept.length > 0 && kept.length < 100, `${kept.length} lines kept of 1,000 with a 2,000-byte bound`);
    assert.equal(kept.length + Number(dropped.n), 1_000, 'every line is either written or counted as dropped');
    assert.deepEqual(kept.map((l) => l.h), Array.from({ length: kept.length }, (_, i) => i + 1), 'the first ones are kept, in order');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function waitForLines(file: string, n: number, done: (lines: Array<Record<string, number | string>>) => boolean = () => true): Promise<Array<Record<string, number | string>>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not there yet
    }
    const lines = text.split('\n').filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, number | string>);
    if (lines.length >= n && done(parsed)) return parsed;
    if (Date.now() > deadline) throw new Error(`${file}: ${lines.length} of ${n} lines after 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
