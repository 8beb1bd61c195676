import { join } from 'node:path';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, type Suite } from '../../src/crypto/index.ts';
import { AdmissionPool, Chain, type ChainOptions } from '../../src/chain/index.ts';
import type { Genesis } from '../../src/ledger/index.ts';
import { builtinModules } from '../../src/modules/index.ts';
import type { ModuleDef } from '../../src/runtime/index.ts';
import { DEFAULT_PARAMS } from '../../src/node/index.ts';

export interface TestChain {
  chain: Chain;
  validator: KeyPair;
  pool: AdmissionPool;
  genesis: Genesis;
  reopen(): Promise<Chain>;
  close(): Promise<void>;
}

export function testGenesis(suite: Suite, validator: KeyPair, overrides: Partial<Genesis> = {}): Genesis {
  return {
    chain: 'notary', alliance: 'test', name: 'Notarisation chain', nameZh: '存证链', kind: 'public-service', suite,
    consensus: { type: 'solo' }, validators: [{ did: didFromPublicKey(validator.publicKey), publicKey: toHex(validator.publicKey), power: 1 }],
    modules: ['notary'], params: { ...DEFAULT_PARAMS }, time: 1_700_000_000_000, ...overrides,
  };
}

/**
 * A real chain on a real LMDB store in `dir`, driven by hand (no consensus loop). `opts.validator`
 * reopens a chain made earlier with that key; `opts.chain` adds chain options.
 */
export async function openTestChain(
  dir: string, suite: Suite = 'sm2', overrides: Partial<Genesis> = {}, modules: ModuleDef[] = builtinModules,
  opts: { validator?: KeyPair; chain?: Partial<ChainOptions> } = {},
): Promise<TestChain> {
  const validator = opts.validator ?? generateKeyPair(suite);
  const pool = new AdmissionPool({ threads: 1 });
  const genesis = testGenesis(suite, validator, overrides);
  const open = () => Chain.open({ genesis, dir: join(dir, 'chain'), modules, admission: pool, validatorKey: validator, ...opts.chain });
  const t: TestChain = {
    chain: await open(), validator, pool, genesis,
    async reopen() {
      await t.chain.close();
      t.chain = await open();
      return t.chain;
    },
    async close() {
      await t.chain.close();
      await pool.close();
    },
  };
  return t;
}
