/** Test kit for the token modules: a real chain (LMDB) with collectible, coupon and carbon, driven block by block. */
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Block, type Receipt } from '../../src/ledger/index.ts';
import { builtinModules, createCarbonModule } from '../../src/modules/index.ts';
import { method, type ModuleDef } from '../../src/runtime/index.ts';
import { openTestChain, type TestChain } from './chain.ts';
import { changedKeys, stateSnapshot } from './state.ts';
import { tempDir } from './tmp.ts';

export const did = (k: KeyPair): string => didFromPublicKey(k.publicKey);
export const DAY = 86_400_000;

/** A module that is not `carbon` and calls coupon's exports anyway (attack tests). */
export const impostor: ModuleDef = {
  name: 'impostor',
  description: 'calls coupon.exchange while not being carbon',
  methods: {
    poke: method({ doc: 'call coupon.exchange', gas: 1_000, args: z.strictObject({ campaign: z.string(), to: z.string() }), run(ctx, a) { return ctx.call('coupon', 'exchange', a) ?? null; } }),
  },
};

export interface TokenChain {
  t: TestChain;
  governor: KeyPair;
  time: number;
  /** Sends the calls in order in one block at `time` (advanced by a second unless given); their receipts. */
  block(calls: Array<[KeyPair, string, string, object]>, at?: number): Promise<Receipt[]>;
  call(key: KeyPair, module: string, method: string, args: object, at?: number): Promise<Receipt>;
  ok(key: KeyPair, module: string, method: string, args: object, at?: number): Promise<JsonValue>;
  /** The call fails with `code` (and `message`) and changes nothing but the sender's nonce. */
  refused(key: KeyPair, module: string, method: string, args: object, code: string, message?: RegExp, at?: number): Promise<Receipt>;
  state<T>(key: string): T | undefined;
  close(): Promise<void>;
}

export async function tokenChain(chain = 'tokens', governor = generateKeyPair('ed25519')): Promise<TokenChain> {
  const tmp = tempDir();
  const carbon = createCarbonModule({ validators: [{ did: did(governor), publicKey: '', power: 1 }] });
  const t = await openTestChain(tmp.dir, 'ed25519', { chain, modules: ['collectible', 'coupon', 'carbon', 'impostor'] }, [...builtinModules, carbon, impostor], { validator: governor });
  const nonces = new Map<string, number>();
  const k: TokenChain = {
    t, governor, time: 1_800_000_000_000,
    async block(calls, at) {
      const txs = calls.map(([key, module, m, args]) => {
        const from = did(key);
        const nonce = nonces.get(from) ?? 0;
        nonces.set(from, nonce + 1);
        return signTx(key, { chain, module, method: m, args: args as JsonValue, nonce, expires: 1_000_000 }).tx;
      });
      for (const r of await t.chain.submit(txs)) assert.equal(r.accepted, true, JSON.stringify(r));
      k.time = at ?? k.time + 1000;
      return ((await t.chain.produceBlock(k.time)) as Block).receipts;
    },
    async call(key, module, m, args, at) {
      return (await k.block([[key, module, m, args]], at))[0]!;
    },
    async ok(key, module, m, args, at) {
      const r = await k.call(key, module, m, args, at);
      assert.equal(r.status, 'ok', `${module}.${m}: ${r.code}: ${r.message}`);
      return r.result ?? null;
    },
    async refused(key, module, m, args, code, message, at) {
      const before = stateSnapshot(t.chain);
      const r = await k.call(key, module, m, args, at);
      assert.equal(r.status, 'failed', `${module}.${m} should fail with ${code}`);
      assert.equal(r.code, code, String(r.message));
      if (message) assert.match(String(r.message), message);
      assert.deepEqual(changedKeys(before, stateSnapshot(t.chain)), [], 'a refused call writes nothing');
      return r;
    },
    state<T>(key: string) {
      return (t.chain.getState(key).value ?? undefined) as unknown as T | undefined;
    },
    async close() {
      await t.close();
      tmp.cleanup();
    },
  };
  return k;
}
