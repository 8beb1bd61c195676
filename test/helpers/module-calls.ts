/**
 * Module transactions on a test chain, one block at a time: each sender's nonces kept, block time
 * advancing a second a block, and `refused` checking that a failed call writes nothing but the
 * sender's nonce. Shared by the module tests of the data chain (test/modules/data.test.ts,
 * test/modules/privacy.test.ts).
 */
import assert from 'node:assert/strict';
import { didFromPublicKey, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Block, type Receipt } from '../../src/ledger/index.ts';
import type { TestChain } from './chain.ts';
import { changedKeys, stateSnapshot } from './state.ts';

export type Call = [KeyPair, string, string, Record<string, unknown>];

export interface ModuleCalls {
  /** Sends the calls in order in one block; its receipts. */
  block(...calls: Call[]): Promise<Receipt[]>;
  call(key: KeyPair, module: string, method: string, args: Record<string, unknown>): Promise<Receipt>;
  /** The call fails with `code` (and a message matching) and changes no state but the sender's nonce. */
  refused(key: KeyPair, module: string, method: string, args: Record<string, unknown>, code: string, message?: RegExp): Promise<Receipt>;
  state<T>(key: string): T;
  /** The nonce the sender's next transaction takes. */
  nonce(key: KeyPair): number;
}

export function moduleCalls(chainOf: () => TestChain, chain: string, startTime = 1_800_000_000_000): ModuleCalls {
  const nonces = new Map<string, number>();
  let time = startTime;
  const t = () => chainOf().chain;
  const self: ModuleCalls = {
    async block(...calls) {
      const txs = calls.map(([key, module, method, args]) => {
        const from = didFromPublicKey(key.publicKey);
        const nonce = nonces.get(from) ?? 0;
        nonces.set(from, nonce + 1);
        return signTx(key, { chain, module, method, args: args as never, nonce, expires: 100_000 }).tx;
      });
      for (const r of await t().submit(txs)) assert.equal(r.accepted, true, JSON.stringify(r));
      return ((await t().produceBlock((time += 1000))) as Block).receipts;
    },
    call: async (key, module, method, args) => (await self.block([key, module, method, args]))[0]!,
    async refused(key, module, method, args, code, message) {
      const before = stateSnapshot(t());
      const r = await self.call(key, module, method, args);
      assert.equal(r.status, 'failed');
      assert.equal(r.code, code, String(r.message));
      if (message) assert.match(String(r.message), message);
      assert.deepEqual(changedKeys(before, stateSnapshot(t())), [], 'a refused call writes nothing');
      return r;
    },
    state: <T>(key: string) => t().getState(key).value as unknown as T,
    nonce: (key) => nonces.get(didFromPublicKey(key.publicKey)) ?? 0,
  };
  return self;
}
