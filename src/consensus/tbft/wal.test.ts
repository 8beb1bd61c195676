import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WalEntry } from './types.ts';
import { FileWal } from './wal.ts';

const entry = (height: number): WalEntry => ({ kind: 'valid', height, round: 0, value: { hash: `h${height}`, payload: { n: height } } });
const heights = (wal: FileWal): number[] => wal.entries().map((e) => (e.kind === 'valid' ? e.height : -1));

function withDir(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tbft-wal-'));
  return fn(join(dir, 'wal')).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('FileWal: what was appended before durable() is on disk once it resolves, appends during a sync going in the next one', () => withDir(async (path) => {
  const wal = new FileWal(path);
  wal.append(entry(1));
  assert.deepEqual(heights(wal), [1], 'an entry is recorded when appended');
  const first = wal.durable();
  for (let h = 2; h <= 50; h++) wal.append(entry(h)); // while the first write may be in flight
  await first;
  await wal.durable();
  const reread = new FileWal(path);
  assert.deepEqual(heights(reread), Array.from({ length: 50 }, (_, i) => i + 1), 'every entry, in order, read back from the file');
  assert.deepEqual(reread.recovery, { records: 50, truncatedBytes: 0 });
  await reread.close();
  await wal.close();
}));

test('FileWal: compact takes entries not yet written; later appends follow them', () => withDir(async (path) => {
  const wal = new FileWal(path);
  for (const h of [1, 2, 3]) wal.append(entry(h));
  const compacted = wal.compact(2); // not awaiting the writes first
  wal.append(entry(4));
  await compacted;
  await wal.close();
  const reread = new FileWal(path);
  assert.deepEqual(heights(reread), [2, 3, 4], 'nothing written twice, nothing lost');
  await reread.close();
}));

test('FileWal: a write that fails rejects durable() with WAL_WRITE_FAILED, then and after; an append after close throws WAL_CLOSED', () => withDir(async (path) => {
  const wal = new FileWal(path);
  wal.append(entry(1));
  await wal.durable();
  // Close the WAL's descriptor from outside, as a vanished disk would fail its writes.
  const fd = readdirSync('/proc/self/fd').map(Number).find((n) => {
    try {
      return readlinkSync(`/proc/self/fd/${n}`) === path;
    } catch {
      return false;
    }
  });
  assert.ok(fd !== undefined, 'the WAL file is open');
  closeSync(fd);
  wal.append(entry(2));
  await assert.rejects(wal.durable(), (err: Error & { code?: string }) => err.code === 'WAL_WRITE_FAILED' && err.message.includes(path));
  await assert.rejects(wal.durable(), /WAL_WRITE_FAILED|could not|EBADF/, 'still failed: the node must sign nothing more');
  const size = statSync(path).size;
  wal.append(entry(3));
  await assert.rejects(wal.durable());
  assert.equal(statSync(path).size, size, 'nothing written after the failure');
  await assert.rejects(wal.close());
  assert.throws(() => wal.append(entry(4)), (err: Error & { code?: string }) => err.code === 'WAL_CLOSED');
}));
