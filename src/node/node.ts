import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShulianError, toHex } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair, type Suite } from '../crypto/index.ts';
import { AdmissionPool, Chain, type ChainView, type NodeView } from '../chain/index.ts';
import { SoloConsensus, type ConsensusEngine } from '../consensus/index.ts';
import type { Genesis, TxInclusion } from '../ledger/index.ts';
import { builtinModules } from '../modules/index.ts';
import { embeddedGeneses } from './alliance.ts';
import { loadOrCreateNodeKey } from './keys.ts';
import { lockDataDir } from './lock.ts';

export const VERSION = '0.1.0';

export interface AllianceFile {
  alliance: string;
  createdAt: number;
  chains: Genesis[];
}

/** A node process's chains: opened from the data dir, driven by their consensus engines. */
export class ShulianNode implements NodeView {
  readonly version = VERSION;
  readonly startedAt = Date.now();
  readonly did: string;
  private readonly hosted = new Map<string, Chain>();
  private readonly engines: ConsensusEngine[] = [];

  private constructor(readonly key: KeyPair, private readonly admission: AdmissionPool, private readonly unlock: () => void) {
    this.did = didFromPublicKey(key.publicKey);
  }

  /**
   * Opens (or on first start creates) the embedded alliance in `dataDir`: alliance.json holds
   * every chain's genesis; chains/<id>/ holds each chain's LMDB store.
   */
  static async open(dataDir: string, log: (line: string) => void, suite: Suite = 'sm2'): Promise<ShulianNode> {
    const unlock = lockDataDir(dataDir);
    let node: ShulianNode | undefined;
    try {
      const key = loadOrCreateNodeKey(dataDir, suite, log);
      const alliance = loadOrCreateAlliance(dataDir, key, log);
      node = new ShulianNode(key, new AdmissionPool(), unlock);
      for (const genesis of alliance.chains) {
        const isValidator = genesis.validators.some((v) => v.did === node!.did);
        const chain = await Chain.open({
          genesis, dir: join(dataDir, 'chains', genesis.chain), modules: builtinModules, admission: node.admission,
          ...(isValidator ? { validatorKey: key } : {}),
        });
        node.hosted.set(genesis.chain, chain);
        if (isValidator && genesis.consensus.type === 'solo') {
          node.engines.push(new SoloConsensus(chain, { onError: (err) => log(`chain ${genesis.chain}: block production failed: ${(err as Error).message}`) }));
        }
      }
      for (const e of node.engines) e.start();
      return node;
    } catch (err) {
      if (node) await node.close();
      else unlock();
      throw err;
    }
  }

  chains(): ChainView[] {
    return [...this.hosted.values()];
  }

  chain(id: string): ChainView | undefined {
    return this.hosted.get(id);
  }

  findTx(hash: string): { chain: ChainView; inclusion?: TxInclusion; pending: boolean } | undefined {
    for (const chain of this.hosted.values()) {
      const inclusion = chain.getTx(hash);
      if (inclusion) return { chain, inclusion, pending: false };
      if (chain.isPending(hash)) return { chain, pending: true };
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((e) => e.stop()));
    await Promise.all([...this.hosted.values()].map((c) => c.close()));
    await this.admission.close();
    this.unlock();
  }
}

function loadOrCreateAlliance(dataDir: string, key: KeyPair, log: (line: string) => void): AllianceFile {
  const path = join(dataDir, 'alliance.json');
  if (existsSync(path)) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as AllianceFile;
    } catch (err) {
      throw new ShulianError('ALLIANCE_FILE_INVALID', `${path} is not valid JSON (${(err as Error).message}); restore it from a backup`);
    }
  }
  const createdAt = Date.now();
  const validators = [{ did: didFromPublicKey(key.publicKey), publicKey: toHex(key.publicKey), power: 1 }];
  const alliance: AllianceFile = { alliance: 'shulian-local', createdAt, chains: embeddedGeneses({ alliance: 'shulian-local', validators, time: createdAt, suite: key.suite }) };
  writeFileSync(path, JSON.stringify(alliance, null, 2) + '\n', { flag: 'wx' });
  log(`created the embedded alliance in ${dataDir}: ${alliance.chains.map((c) => c.chain).join(', ')}`);
  return alliance;
}
