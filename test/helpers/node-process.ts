import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKeystore, type KeyPair } from '../../src/crypto/index.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(repoRoot, 'bin', 'shulian.mjs');

/** Whether a TCP port can be bound on every address right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** The ports a node or cluster started on `freePort()`'s answer P may take: P…P+9 and P+1000…P+1009. */
const PORT_BLOCK = [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 1000 + i)];

/**
 * A port for a node to listen on, with room after it: P…P+9 and P+1000…P+1009 (a cluster's API
 * and p2p ports from prepareCluster(P, P + 1000), the p2p port `shulian up` derives) were all free
 * when checked. Drawn from 10000–29999, below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range, from 32768 by default): a port the kernel hands out (listen(0),
 * or the local end of any outgoing connection) can then never be one of them. Before, P came from
 * listen(0) and P+1000 could be the local port of another process's connection: a node then
 * failed to start with PORT_IN_USE (seen in CI under load).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * 20_000);
    let free = true;
    for (const d of PORT_BLOCK) {
      if (!(await bindable(base + d))) {
        free = false;
        break;
      }
    }
    if (free) return base;
  }
  throw new Error('no free block of ports in 10000–31008 after 200 tries');
}

/**
 * Polls `url`/v1/health until it answers 200, the child exits (an error with its output), or the
 * deadline passes (an error with its output).
 */
export async function waitHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = child.exitCode !== null || child.signalCode !== null;
  const onExit = (): void => void (exited = true);
  child.once('exit', onExit);
  try {
    for (;;) {
      if (exited) throw new Error(`shulian exited before ${url} was healthy:\n${output()}`);
      try {
        const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`node at ${url} not healthy after ${timeoutMs} ms:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.off('exit', onExit);
  }
}

/**
 * Nodes started here and still running: killed when this test process exits or is stopped (a
 * test file that times out is killed before its after() hooks run; its nodes must not outlive it).
 * Tests that spawn nodes themselves (`shulian node --config`) pass them to `track` too.
 */
const live = new Set<ChildProcess>();
let hooked = false;
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const c of live) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig); // the default action, now that this handler is gone
    });
  }
}

export interface NodeProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM (or `signal`) and wait for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL: the process gets no chance to clean up. */
  kill9(): Promise<void>;
}

export interface NodeProcessOptions {
  /** Extra environment variables for the node (e.g. SHULIAN_NODE_PASSWORD). */
  env?: Record<string, string | undefined>;
}

/** Runs `shulian up` as a real child process and waits until its API answers. */
export async function startNodeProcess(dataDir: string, port?: number, extraArgs: string[] = [], opts: NodeProcessOptions = {}): Promise<NodeProcess> {
  const p = port ?? (await freePort());
  const proc = spawn(process.execPath, [cliPath, 'up', '--data-dir', dataDir, '--port', String(p), ...extraArgs], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHULIAN_DEBUG: undefined, ...opts.env },
  });
  track(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => { exited = true; resolve(code); }));
  const url = `http://127.0.0.1:${p}`;
  try {
    await waitHealthy(url, proc, () => out);
  } catch (err) {
    if (!exited) proc.kill('SIGKILL');
    throw err;
  }
  return {
    url, proc, output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (!exited) proc.kill(signal);
      return exit;
    },
    kill9: async () => {
      if (!exited) proc.kill('SIGKILL');
      await exit;
    },
  };
}

/**
 * The key of the node whose data dir is `dataDir` (the embedded founder, so the alliance's
 * operator), opened with the password `shulian up` generated into node/key.pass.
 */
export function nodeKey(dataDir: string): KeyPair {
  const dir = join(dataDir, 'node');
  return readKeystore(join(dir, 'key.json'), readFileSync(join(dir, 'key.pass'), 'utf8').trim());
}

/** Runs `f`; if it throws, prints the end of the node's log first (the browser tests' failures are the node's more often than the page's). */
export async function showingNodeLog(node: { output(): string }, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (err) {
    process.stderr.write(node.output().slice(-3000));
    throw err;
  }
}
