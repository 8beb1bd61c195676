import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { open } from 'lmdb';
import { ShulianError } from '../codec/index.ts';
import type { ChainHead } from '../ledger/store/index.ts';

/**
 * `shulian backup` / `shulian restore` (docs/operations.md#backup-and-restore, issue #21 item 4).
 *
 * A backup is a folder with the data directory's layout and a manifest, `backup.json`. It can be
 * taken while the node runs: every LMDB environment (each chain store, the console and
 * supervision stores) is copied with LMDB's own copy (mdb_env_copy), a consistent snapshot of
 * that environment from a read transaction, so the node keeps writing meanwhile; other files
 * (keys, the alliance file, configs) are copied as they are. Left out: lock files, and each
 * chain's consensus WAL — a validator restored from a backup must not replay votes from the time
 * of the backup (see the docs for what restoring a validator means).
 */

export interface BackupManifest {
  kind: 'shulian-backup';
  version: 1;
  createdAt: number;
  /** Each chain store's head at the moment it was copied. */
  chains: Record<string, { height: number; hash: string; format: number }>;
  /** Every file of the backup but the manifest, relative to the backup folder. */
  files: string[];
}

const SKIP = new Set(['node.lock', 'lock.mdb', 'consensus.wal']);
const MANIFEST = 'backup.json';

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** Copies `dataDir` into `out` (which must not exist or be empty) and writes the manifest. */
export async function backupDataDir(dataDir: string, out: string): Promise<BackupManifest> {
  const src = resolve(dataDir);
  const dst = resolve(out);
  if (!existsSync(join(src, 'chains'))) {
    throw new ShulianError('BACKUP_INVALID', `${src} is not a node's data directory (it has no chains/ folder); give --data-dir the folder the node runs on`);
  }
  if (!isEmptyOrMissing(dst)) throw new ShulianError('BACKUP_TARGET_NOT_EMPTY', `${dst} exists and is not empty; give --out a new folder`);
  if (dst === src || dst.startsWith(src + '/')) throw new ShulianError('BACKUP_TARGET_NOT_EMPTY', `${dst} is inside the data directory ${src}; put the backup elsewhere`);
  mkdirSync(dst, { recursive: true });
  const manifest: BackupManifest = { kind: 'shulian-backup', version: 1, createdAt: Date.now(), chains: {}, files: [] };

  const copyEnv = async (path: string, to: string, subdir: boolean): Promise<void> => {
    const root = open({ path, maxDbs: 32, readOnly: true });
    try {
      if (subdir) mkdirSync(to, { recursive: true });
      await root.backup(to, false);
    } finally {
      await root.close();
    }
  };

  const walk = async (rel: string): Promise<void> => {
    const here = join(src, rel);
    for (const e of readdirSync(here, { withFileTypes: true })) {
      const r = rel ? join(rel, e.name) : e.name;
      if (SKIP.has(e.name) || e.name.endsWith('.lmdb-lock')) continue;
      if (e.isDirectory()) {
        if (existsSync(join(src, r, 'data.mdb'))) {
          // An LMDB environment in a folder: a chain store (chains/<id>) or another store.
          await copyEnv(join(src, r), join(dst, r), true);
          manifest.files.push(join(r, 'data.mdb'));
          for (const f of readdirSync(join(src, r))) {
            if (f === 'data.mdb' || SKIP.has(f)) continue;
            copyFileSync(join(src, r, f), join(dst, r, f));
            manifest.files.push(join(r, f));
          }
          if (rel === 'chains') {
            const head = await headOf(join(dst, r));
            if (head) manifest.chains[e.name] = head;
          }
        } else {
          mkdirSync(join(dst, r), { recursive: true, mode: statSync(join(src, r)).mode & 0o777 });
          await walk(r);
        }
      } else if (e.isFile()) {
        if (e.name.endsWith('.lmdb')) await copyEnv(join(src, r), join(dst, r), false);
        else copyFileSync(join(src, r), join(dst, r));
        manifest.files.push(r);
      }
    }
  };
  await walk('');
  manifest.files.sort();
  writeFileSync(join(dst, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** A chain store's head and format, read without writing anything (not even a lock file's worth of state). */
async function headOf(dir: string): Promise<{ height: number; hash: string; format: number } | undefined> {
  const root = open({ path: dir, maxDbs: 16, readOnly: true });
  try {
    const meta = root.openDB({ name: 'meta' });
    const head = meta.get('head') as ChainHead | undefined;
    return head ? { height: head.height, hash: head.hash, format: (meta.get('format') as number | undefined) ?? 0 } : undefined;
  } finally {
    await root.close();
  }
}

/**
 * Restores a backup into `dataDir` (which must not exist or be empty): checks the manifest, that
 * every file it names is there, and that every chain store opens at the head it recorded; then
 * copies. Nothing is written to `dataDir` before every check has passed.
 */
export async function restoreDataDir(from: string, dataDir: string): Promise<BackupManifest> {
  const src = resolve(from);
  const dst = resolve(dataDir);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(join(src, MANIFEST), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new ShulianError('BACKUP_INVALID', `${src} is not a Shulian backup: cannot read ${MANIFEST} (${(err as Error).message})`);
  }
  if (manifest.kind !== 'shulian-backup' || manifest.version !== 1 || !Array.isArray(manifest.files) || typeof manifest.chains !== 'object') {
    throw new ShulianError('BACKUP_INVALID', `${join(src, MANIFEST)} is not a version-1 Shulian backup manifest`);
  }
  if (!isEmptyOrMissing(dst)) throw new ShulianError('BACKUP_TARGET_NOT_EMPTY', `${dst} exists and is not empty; restore into a new folder (stop the node and move the old one aside first)`);
  for (const f of manifest.files) {
    if (relative(src, resolve(src, f)).startsWith('..')) throw new ShulianError('BACKUP_INVALID', `the manifest names ${f}, outside the backup`);
    if (!existsSync(join(src, f))) throw new ShulianError('BACKUP_INVALID', `the backup lacks ${f}, which its manifest lists; it is incomplete`);
  }
  for (const [chain, want] of Object.entries(manifest.chains)) {
    const head = await headOf(join(src, 'chains', chain));
    if (!head || head.height !== want.height || head.hash !== want.hash) {
      throw new ShulianError('BACKUP_INVALID', `chain ${chain} in the backup is at ${head ? `height ${head.height} (${head.hash})` : 'no height'}, but the manifest recorded height ${want.height} (${want.hash}); the backup was altered`);
    }
  }
  mkdirSync(dst, { recursive: true });
  for (const f of manifest.files) {
    // Folders get the backup's modes (node/ holds the key: 0700).
    const parts = f.split('/').slice(0, -1);
    for (let k = 1; k <= parts.length; k++) {
      const d = parts.slice(0, k).join('/');
      if (!existsSync(join(dst, d))) mkdirSync(join(dst, d), { mode: statSync(join(src, d)).mode & 0o777 });
    }
    copyFileSync(join(src, f), join(dst, f));
  }
  return manifest;
}
