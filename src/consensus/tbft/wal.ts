/**
 * Write-ahead logs for the tbft core. The core appends each proposal and vote it signs (and the
 * lock a precommit sets) before the message can leave, so a validator that restarts replays what
 * it signed and never signs a different message for the same (height, round, step).
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { canonicalize, ShulianError } from '../../codec/index.ts';
import type { Wal, WalEntry } from './types.ts';

/** The height an entry belongs to. */
export function walEntryHeight(e: WalEntry): number {
  return e.kind === 'proposal' ? e.proposal.height : e.kind === 'vote' ? e.vote.height : e.height;
}

/** A WAL in memory, for tests and the simulator: it survives a simulated crash because the harness keeps it. */
export class MemoryWal implements Wal {
  private readonly list: WalEntry[] = [];

  append(entry: WalEntry): void {
    // A copy, as a disk would hold: later changes to the caller's objects must not reach the log.
    this.list.push(JSON.parse(JSON.stringify(entry)) as WalEntry);
  }

  entries(): readonly WalEntry[] {
    return this.list;
  }

  /** Drops entries below `fromHeight` (call once the block before it is stored). */
  compact(fromHeight: number): void {
    const keep = this.list.filter((e) => walEntryHeight(e) >= fromHeight);
    this.list.length = 0;
    this.list.push(...keep);
  }
}

/** What opening a FileWal found. */
export interface WalRecovery {
  records: number;
  /** Bytes cut from the end of the file (a torn last write), 0 when the file was clean. */
  truncatedBytes: number;
  reason?: string;
}

const HEADER = 8; // u32 BE length, u32 BE CRC-32 of the body
const MAX_RECORD = 64 * 1024 * 1024;

function fsyncDir(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some platforms cannot open directories; the rename/create is then as durable as they allow
  }
}

function encode(entry: WalEntry): Buffer {
  const body = Buffer.from(canonicalize(entry), 'utf8');
  if (body.length > MAX_RECORD) throw new ShulianError('WAL_RECORD_TOO_LARGE', `WAL record of ${body.length} bytes exceeds ${MAX_RECORD}`);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * An append-only file of records `[u32 length][u32 CRC-32][canonical JSON]`. `append` writes and
 * fsyncs before returning. On open, a torn last record (short header, short body, or a bad
 * checksum on the record that ends the file) is cut off and reported in `recovery`: it was never
 * acknowledged, so no message signed in it left the node. A bad record followed by more data is
 * corruption, not a torn write: opening throws WAL_CORRUPT unless `repair` is set, because
 * dropping acknowledged votes could let the validator sign twice.
 */
export class FileWal implements Wal {
  readonly recovery: WalRecovery;
  private fd: number;
  private list: WalEntry[] = [];

  constructor(readonly path: string, opts: { repair?: boolean } = {}) {
    const existed = existsSync(path);
    const data = existed ? readFileSync(path) : Buffer.alloc(0);
    let off = 0;
    let reason: string | undefined;
    while (off < data.length) {
      const rest = data.length - off;
      if (rest < HEADER) {
        reason = `torn record header at byte ${off}`;
        break;
      }
      const len = data.readUInt32BE(off);
      const sum = data.readUInt32BE(off + 4);
      if (len > MAX_RECORD) {
        reason = `record length ${len} at byte ${off} is impossible`;
        if (!opts.repair) throw new ShulianError('WAL_CORRUPT', `${path}: ${reason}`, { offset: off });
        break;
      }
      if (len > rest - HEADER) {
        reason = `torn record body at byte ${off}`;
        break;
      }
      const body = data.subarray(off + HEADER, off + HEADER + len);
      if (crc32(body) !== sum) {
        reason = `checksum mismatch in record at byte ${off}`;
        if (off + HEADER + len < data.length && !opts.repair) {
          throw new ShulianError('WAL_CORRUPT', `${path}: ${reason}, with ${data.length - off - HEADER - len} bytes after it`, { offset: off });
        }
        break;
      }
      let entry: WalEntry;
      try {
        entry = JSON.parse(body.toString('utf8')) as WalEntry;
      } catch {
        throw new ShulianError('WAL_CORRUPT', `${path}: record at byte ${off} has a valid checksum but is not JSON`, { offset: off });
      }
      this.list.push(entry);
      off += HEADER + len;
    }
    this.fd = openSync(path, 'a');
    const truncatedBytes = data.length - off;
    if (truncatedBytes > 0) {
      ftruncateSync(this.fd, off);
      fsyncSync(this.fd);
    }
    if (!existed) fsyncDir(path);
    this.recovery = { records: this.list.length, truncatedBytes, ...(reason !== undefined && truncatedBytes > 0 ? { reason } : {}) };
  }

  append(entry: WalEntry): void {
    const buf = encode(entry);
    writeAll(this.fd, buf);
    fsyncSync(this.fd);
    this.list.push(JSON.parse(buf.subarray(HEADER).toString('utf8')) as WalEntry);
  }

  entries(): readonly WalEntry[] {
    return this.list;
  }

  /**
   * Rewrites the file without entries below `fromHeight`. Call only after the block at
   * fromHeight − 1 is durably stored: a restart then resumes at fromHeight or later.
   */
  compact(fromHeight: number): void {
    const keep = this.list.filter((e) => walEntryHeight(e) >= fromHeight);
    const tmp = `${this.path}.compact`;
    const fd = openSync(tmp, 'w');
    try {
      for (const e of keep) writeAll(fd, encode(e));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    closeSync(this.fd);
    renameSync(tmp, this.path);
    fsyncDir(this.path);
    this.fd = openSync(this.path, 'a');
    this.list = keep;
  }

  close(): void {
    closeSync(this.fd);
  }
}
