import { join } from 'node:path';
import { toHex } from '../../src/codec/index.js';
import { didFromPublicKey, generateKeyPair } from '../../src/crypto/index.js';
import { AdmissionPool, Chain } from '../../src/chain/index.js';
import { builtinModules } from '../../src/modules/index.js';
import { DEFAULT_PARAMS } from '../../src/node/index.js';
export function testGenesis(suite, validator, overrides = {}) {
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
export async function openTestChain(dir, suite = 'sm2', overrides = {}, modules = builtinModules, opts = {}) {
    const validator = opts.validator ?? generateKeyPair(suite);
    const pool = new AdmissionPool({ threads: 1 });
    const genesis = testGenesis(suite, validator, overrides);
    const open = () => Chain.open({ genesis, dir: join(dir, 'chain'), modules, admission: pool, validatorKey: validator, ...opts.chain });
    const t = {
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
