import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './tmp.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(repoRoot, 'bin', 'shulian.mjs');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface NodeProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process gets no chance to clean up. */
  kill9(): Promise<void>;
}

/** Runs `shulian up` as a real child process and waits until its API answers. */
export async function startNodeProcess(dataDir: string, port?: number, extraArgs: string[] = []): Promise<NodeProcess> {
  const p = port ?? (await freePort());
  const proc = spawn(process.execPath, [cliPath, 'up', '--data-dir', dataDir, '--port', String(p), ...extraArgs], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => { exited = true; resolve(code); }));
  const url = `http://127.0.0.1:${p}`;
  await waitFor(async () => {
    if (exited) throw new Error(`node exited before serving:\n${out}`);
    try {
      return (await fetch(`${url}/v1/health`)).ok;
    } catch {
      return false;
    }
  }, `node on ${url}`, 60_000);
  return {
    url, proc, output: () => out,
    stop: async () => {
      if (!exited) proc.kill('SIGTERM');
      return exit;
    },
    kill9: async () => {
      if (!exited) proc.kill('SIGKILL');
      await exit;
    },
  };
}
