/**
 * Write-ahead logs for the tbft core. The core appends each proposal and vote it signs (and the
 * lock a precommit sets) before the message can leave, so a validator that restarts replays what
 * it signed and never signs a different message for the same (height, round, step).
 */
import { closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
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

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

async function writeAllAsync(fd: number, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await writeAsync(fd, buf, off, buf.length - off)).bytesWritten;
}

/**
 * An append-only file of records `[u32 length][u32 CRC-32][canonical JSON]`. `append` records an
 * entry and queues its bytes; `durable()` resolves once every entry appended before it is written
 * and fdatasync'd. The write and the sync run on libuv's thread pool: a node runs one WAL per
 * chain, and a sync on the thread that drives consensus held up every chain's messages and
 * blocks for its length (issue #21: 8 % of a validator's main-thread time under the netfaults
 * load, in `fsyncSync`). Appends made while a sync is running go in the next one together (group
 * commit). The caller must await `durable()` before a message it signed leaves the node
 * (TbftDriver does, before each send).
 *
 * On open, a torn last record (short header, short body, or a bad checksum on the record that
 * ends the file) is cut off and reported in `recovery`: it was never made durable, so no message
 * signed in it left the node. A bad record followed by more data is corruption, not a torn
 * write: opening throws WAL_CORRUPT unless `repair` is set, because dropping acknowledged votes
 * could let the validator sign twice.
 */
export class FileWal implements Wal {
  readonly recovery: WalRecovery;
  private fd: number;
  private list: WalEntry[] = [];
  /** Encoded entries appended since the last write began. */
  private pending: Buffer[] = [];
  /** The writes, syncs, compactions and the close, one after another. */
  private tail: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private failure: Error | undefined;
  private closed = false;

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

  /** Records `entry` and queues it to disk; see `durable`. Throws WAL_CLOSED after `close`. */
  append(entry: WalEntry): void {
    if (this.closed) throw new ShulianError('WAL_CLOSED', `${this.path}: the WAL is closed`);
    const buf = encode(entry);
    this.list.push(JSON.parse(buf.subarray(HEADER).toString('utf8')) as WalEntry);
    this.pending.push(buf);
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.then(() => this.flush());
    }
  }

  /**
   * Resolves once every entry appended so far is on disk; rejects with WAL_WRITE_FAILED if a
   * write or sync failed, then and for ever after (a node whose WAL cannot be written must not
   * sign: what it signed could not be replayed).
   */
  durable(): Promise<void> {
    return this.tail.then(() => {
      if (this.failure) throw new ShulianError('WAL_WRITE_FAILED', `${this.path}: ${this.failure.message}`);
    });
  }

  entries(): readonly WalEntry[] {
    return this.list;
  }

  /**
   * Rewrites the file without entries below `fromHeight`, after the writes queued before it.
   * Call only after the block at fromHeight − 1 is durably stored: a restart then resumes at
   * fromHeight or later.
   */
  compact(fromHeight: number): Promise<void> {
    this.then(() => {
      if (this.failure || this.fd < 0) return;
      // Every entry appended so far, pending ones included: the new file holds them all.
      const keep = this.list.filter((e) => walEntryHeight(e) >= fromHeight);
      this.pending = [];
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
    });
    return this.durable();
  }

  /** Closes the file once what was appended is on disk. Resolves when it is closed. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.then(async () => {
        await this.flush();
        closeSync(this.fd);
        this.fd = -1;
      });
    }
    return this.durable();
  }

  /** Queues `step` after the steps before it; a failed step is remembered, not thrown. */
  private then(step: () => void | Promise<void>): void {
    this.tail = this.tail.then(step).catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    });
  }

  /** Writes and syncs what is pending (one write and one sync for all of it). */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    if (this.pending.length === 0 || this.failure || this.fd < 0) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    await writeAllAsync(this.fd, buf);
    await fdatasyncAsync(this.fd);
  }
}
