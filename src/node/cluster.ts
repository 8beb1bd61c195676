import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../codec/index.ts';
import { didFromPublicKey, generateKeyPair, writeKeystore, type Suite } from '../crypto/index.ts';
import type { Genesis } from '../ledger/index.ts';
import { EMBEDDED_FOUNDER, embeddedGeneses } from './alliance.ts';
import { newKeystoreOptions } from './keys.ts';
import type { NodeConfig } from './config.ts';
import type { AllianceFile } from './node.ts';


export interface ClusterLayout {
  alliancePath: string;
  nodes: Array<{ index: number; did: string; dir: string; configPath: string; apiPort: number; p2pPort: number }>;
}

/**
 * Lays out a local multi-validator alliance in `dataDir`: one folder per node with its own key
 * (encrypted keystore, development password file), data and config; one alliance file naming
 * all of them as the tbft validators of every chain. Node i serves its API on apiPort + i and
 * p2p on p2pPort + i, and dials every other node.
 */
export function prepareCluster(dataDir: string, n: number, apiPort: number, p2pPort: number, suite: Suite = 'sm2', opts: { validators?: number } = {}): ClusterLayout {
  // The first `validators` nodes validate every chain; the others start as followers, for
  // governance to bring in later.
  const validatorCount = opts.validators ?? n;
  mkdirSync(dataDir, { recursive: true });
  const nodes: ClusterLayout['nodes'] = [];
  const validators: Genesis['validators'] = [];
  for (let i = 0; i < n; i++) {
    const dir = join(dataDir, `node-${i + 1}`);
    mkdirSync(join(dir, 'node'), { recursive: true, mode: 0o700 });
    const key = generateKeyPair(suite);
    const password = randomBytes(24).toString('base64url');
    writeFileSync(join(dir, 'node', 'key.pass'), password + '\n', { mode: 0o600, flag: 'wx' });
    writeKeystore(join(dir, 'node', 'key.json'), key, password, newKeystoreOptions());
    const did = didFromPublicKey(key.publicKey);
    if (i < validatorCount) validators.push({ did, publicKey: toHex(key.publicKey), power: 1 });
    nodes.push({ index: i + 1, did, dir, configPath: join(dir, 'config.json'), apiPort: apiPort + i, p2pPort: p2pPort + i });
  }
  const createdAt = Date.now();
  const alliance: AllianceFile = {
    alliance: 'shulian-local',
    createdAt,
    founder: EMBEDDED_FOUNDER,
    // BFT chains also record their validators' equivocation (module `evidence`) and apply
    // governance's validator-set changes (module `validators`).
    chains: embeddedGeneses({ alliance: 'shulian-local', validators, time: createdAt, suite, consensus: 'tbft', extraModules: ['evidence', 'validators'] }),
  };
  const alliancePath = join(dataDir, 'alliance.json');
  writeFileSync(alliancePath, JSON.stringify(alliance, null, 2) + '\n', { flag: 'wx' });
  for (const node of nodes) {
    const config: NodeConfig = {
      dataDir: '.', alliance: '../alliance.json',
      api: { host: '127.0.0.1', port: node.apiPort },
      p2p: { host: '127.0.0.1', port: node.p2pPort, peers: nodes.filter((o) => o !== node).map((o) => `ws://127.0.0.1:${o.p2pPort}`) },
    };
    writeFileSync(node.configPath, JSON.stringify(config, null, 2) + '\n', { flag: 'wx' });
  }
  return { alliancePath, nodes };
}
