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
  const { didFromPublicKey, readKeystore } = await import('../../crypto/index.ts');
  const { readFileSync } = await import('node:fs');
  let members: Member[];
  if (existsSync(join(dataDir, 'alliance.json'))) {
    members = [];
    for (let i = 1; existsSync(join(dataDir, `node-${i}`, 'config.json')); i++) {
      const configPath = join(dataDir, `node-${i}`, 'config.json');
      const c = loadNodeConfig(configPath);
      const key = readKeystore(join(c.dataDir, 'node', 'key.json'), readFileSync(join(c.dataDir, 'node', 'key.pass'), 'utf8').trim());
      members.push({ index: i, did: didFromPublicKey(key.publicKey), apiPort: c.api.port, configPath });
    }
    if (members.length !== o.validators) {
      throw new ShulianError('CLUSTER_MISMATCH', `${dataDir} holds a cluster of ${members.length} nodes, not ${o.validators}; use that number or another --data-dir`);
    }
  } else {
    members = prepareCluster(dataDir, o.validators, o.port, o.port + 1000).nodes.map((n) => ({ index: n.index, did: n.did, apiPort: n.apiPort, configPath: n.configPath }));
  }
  let stopping = false;
  const exits = members.map((m) => new Promise<number | null>((done) => {
    const proc = spawn(process.execPath, [CLI, 'node', '--config', m.configPath], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    m.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) process.stderr.write(`[node ${m.index}] ${line}\n`);
    });
    proc.on('exit', (code) => {
      if (!stopping) process.stderr.write(`[node ${m.index}] exited with code ${code}\n`);
      done(code);
    });
  }));
  const summary = members.map((m) => ({ node: m.index, did: m.did, api: `http://${o.host}:${m.apiPort}` }));
  if (o.json) process.stdout.write(JSON.stringify({ status: 'running', dataDir, nodes: summary }) + '\n');
  else {
    process.stdout.write([
      `Shulian alliance running: ${o.validators} validator processes (tbft)`,
      ...summary.map((s) => `  node ${s.node}  ${s.api}/v1   ${s.did}`),
      `  data     ${dataDir}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'));
  }
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const m of members) m.proc?.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await Promise.all(exits);
}
