import { type KeyPair, type Suite } from '../../src/crypto/index.ts';
import { AdmissionPool, Chain, type ChainOptions } from '../../src/chain/index.ts';
import type { Genesis } from '../../src/ledger/index.ts';
import type { ModuleDef } from '../../src/runtime/index.ts';
export interface TestChain {
    chain: Chain;
    validator: KeyPair;
    pool: AdmissionPool;
    genesis: Genesis;
    reopen(): Promise<Chain>;
    close(): Promise<void>;
}
export declare function testGenesis(suite: Suite, validator: KeyPair, overrides?: Partial<Genesis>): Genesis;
/**
 * A real chain on a real LMDB store in `dir`, driven by hand (no consensus loop). `opts.validator`
 * reopens a chain made earlier with that key; `opts.chain` adds chain options.
 */
export declare function openTestChain(dir: string, suite?: Suite, overrides?: Partial<Genesis>, modules?: ModuleDef[], opts?: {
    validator?: KeyPair;
    chain?: Partial<ChainOptions>;
}): Promise<TestChain>;
