import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShulianError } from '../../codec/index.ts';

const CLI = fileURLToPath(new URL('../../../bin/shulian.mjs', import.meta.url));

export interface ClusterOptions {
  dataDir: string;
  port: number;
  host: string;
  validators: number;
  json?: boolean;
}

interface Member {
  index: number;
  did: string;
  apiPort: number;
  configPath: string;
  proc?: ChildProcess;
}

/**
 * `shulian up --validators N`: N node processes on this machine, each with its own key, data and
 * ports, all validating every chain of the alliance under tbft. The first serves the API on
 * --port, the others on the ports after it; p2p listens on --port + 1000 onwards. The layout is
 * created on first start and reused after. Ctrl-C stops them all.
 */
export async function upCluster(o: ClusterOptions): Promise<void> {
  if (o.validators < 4) throw new ShulianError('CLUSTER_SIZE', `tbft needs at least 4 validators (3f+1 with f ≥ 1); got --validators ${o.validators}`);
  const dataDir = resolve(o.dataDir);
  const { prepareCluster, loadNodeConfig } = await import('../../node/index.ts');
  const { keystoreDid } = await import('../keyfile.ts');
  let members: Member[];
  if (existsSync(join(dataDir, 'alliance.json'))) {
    members = [];
    for (let i = 1; existsSync(join(dataDir, `node-${i}`, 'config.json')); i++) {
      const configPath = join(dataDir, `node-${i}`, 'config.json');
      const c = loadNodeConfig(configPath);
      // The DID is stated in the keystore beside its public key: no need to decrypt it here.
      members.push({ index: i, did: keystoreDid(join(c.dataDir, 'node', 'key.json')), apiPort: c.api.port, configPath });
    }
    if (members.length !== o.validators) {
      throw new ShulianError('CLUSTER_MISMATCH', `${dataDir} holds a cluster of ${members.length} nodes, not ${o.validators}; use that number or another --data-dir`);
    }
  } else {
    members = prepareCluster(dataDir, o.validators, o.port, o.port + 1000).nodes.map((n) => ({ index: n.index, did: n.did, apiPort: n.apiPort, configPath: n.configPath }));
  }
  let stopping = false;
  // Each node runs in its own process group, so a Ctrl-C at the terminal reaches this process
  // only and every node gets exactly one SIGTERM from it (a node that got the terminal's SIGINT
  // and then ours took the second as "again" and exited without a clean shutdown). The IPC
  // channel is the nodes' lifeline: if this process dies without stopping them, they stop.
  const exits = members.map((m) => new Promise<number | null>((done) => {
    const proc = spawn(process.execPath, [CLI, 'node', '--config', m.configPath], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: process.env, detached: true });
    m.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) process.stderr.write(`[node ${m.index}] ${line}\n`);
    });
    // 'close', not 'exit': the node's last lines ("node stopped") are read before it counts as gone.
    proc.on('close', (code) => {
      if (!stopping) process.stderr.write(`[node ${m.index}] exited with code ${code}\n`);
      done(code);
    });
  }));
  const summary = members.map((m) => ({ node: m.index, did: m.did, api: `http://${o.host}:${m.apiPort}`, console: `http://${o.host}:${m.apiPort}/console` }));
  if (o.json) process.stdout.write(JSON.stringify({ status: 'running', dataDir, nodes: summary }) + '\n');
  else {
    process.stdout.write([
      `Shulian alliance running: ${o.validators} validator processes (tbft)`,
      ...summary.map((s) => `  node ${s.node}  ${s.api}/v1   ${s.did}`),
      `  console  ${summary[0]!.console}`,
      `  data     ${dataDir}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'));
  }
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: killing the nodes without a clean shutdown\n`);
      for (const m of members) m.proc?.kill('SIGKILL');
      process.exitCode = 1;
      return;
    }
    stopping = true;
    if (!o.json) process.stderr.write(`${signal}: stopping ${members.length} nodes…\n`);
    for (const m of members) m.proc?.kill('SIGTERM');
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, stop);
  const codes = await Promise.all(exits);
  if (stopping && !o.json) process.stderr.write('all nodes stopped\n');
  if (codes.some((c) => c !== 0)) process.exitCode ||= 1;
}
