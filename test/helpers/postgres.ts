/**
 * A throwaway PostgreSQL server for tests and benches: Debian's server binaries
 * (/usr/lib/postgresql/<version>/bin, installed by .ci/run), a cluster made by initdb in a
 * temporary directory, listening on 127.0.0.1 at a free port, stopped and removed by `stop()`.
 * PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user Debian's
 * package creates, and the server runs as that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { waitFor } from './tmp.ts';
import { freePort } from './node-process.ts';

export interface PgServer {
  url: string;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions[0]) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: install Debian\'s postgresql package (.ci/run does)');
  return join(root, versions[0], 'bin');
}

export async function startPostgres(): Promise<PgServer> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'shulian-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  if (asRoot) {
    chmodSync(root, 0o777);
  }
  const [initCmd, initArgs] = wrap(join(bin, 'initdb'), ['-D', data, '-U', 'shulian', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const [cmd, args] = wrap(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off']);
  const proc: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `postgres://shulian@127.0.0.1:${port}/postgres`;
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`postgres exited: ${log}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      await c.end().catch(() => undefined);
      return false;
    }
  }, 'PostgreSQL to accept connections', 60_000);
  return {
    url,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGINT'); // fast shutdown
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A fresh database on the server, for one test. */
export async function createDatabase(server: PgServer, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await c.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}
