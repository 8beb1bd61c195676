/** Test kit: a real settlement chain (LMDB) driven block by block, with a stand-in `xchain` module. */
import { ShulianError, type JsonValue } from '../../src/codec/index.ts';
import { jsonSchema } from '../../src/codec/schemas.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Block, type Receipt, type Tx } from '../../src/ledger/index.ts';
import { modulesFor, portsOf } from '../../src/modules/index.ts';
import { recvRefusal, type PortLookup } from '../../src/modules/xchain/index.ts';
import { exported, method, type ModuleDef } from '../../src/runtime/index.ts';
import { z } from 'zod';
import { join } from 'node:path';
import { AdmissionPool, Chain } from '../../src/chain/index.ts';
import type { Genesis } from '../../src/ledger/index.ts';
import { testGenesis } from './chain.ts';

/**
 * Until the real xchain module is on this chain: `deliver {packet}` checks the destination
 * port's binding with xchain's own check (recvRefusal), then hands the packet to the port's
 * onRecvPacket through the real runtime path (ctx.call) and turns a thrown ModuleError into an
 * error acknowledgement, as xchain does. `poke` calls any export (to test caller checks).
 */
export const standInXchainFor = (ports: PortLookup): ModuleDef => ({
  name: 'xchain',
  description: 'test stand-in for xchain delivery',
  methods: {
    deliver: method({
      doc: 'deliver a packet', gas: 1_000,
      args: z.strictObject({ packet: z.record(z.string(), z.unknown()) }),
      run(ctx, a): JsonValue {
        const p = a.packet as Record<string, JsonValue>;
        const refused = recvRefusal(ports, { srcChain: String(p.srcChain), srcPort: String(p.srcPort), dstPort: String(p.dstPort) }, ctx.chain);
        if (refused) return { ok: false, ...refused };
        try {
          return { ok: true, result: ctx.call(String(p.dstPort), 'onRecvPacket', p) ?? null };
        } catch (e) {
          if (e instanceof ShulianError) return { ok: false, code: e.code, message: e.message };
          throw e;
        }
      },
    }),
  },
  exports: {
    send: exported({ doc: 'records an outbound packet', gas: 100, args: jsonSchema, run(ctx, args) { const n = Number(ctx.get('seq') ?? 0) + 1; ctx.set('seq', n); ctx.set(`out/${n}`, args); return { sequence: n, packetId: String(n) }; } }),
  },
});

export const impostor: ModuleDef = {
  name: 'impostor',
  description: 'calls settlement exports while not being xchain',
  methods: {
    poke: method({ doc: 'call onRecvPacket', gas: 1_000, args: z.strictObject({ packet: z.record(z.string(), z.unknown()) }), run(ctx, a) { return ctx.call('settlement', 'onRecvPacket', a.packet as JsonValue) ?? null; } }),
  },
};

export interface Kit {
  t: { chain: Chain; genesis: Genesis };
  validator: KeyPair;
  time: number;
  /** Signs a settlement tx (nonces tracked per key). */
  tx(key: KeyPair, method: string, args: JsonValue, module?: string): Tx;
  block(txs: Tx[], time?: number): Promise<Block & { receipts: Receipt[] }>;
  /** One tx in its own block; its receipt. */
  run(key: KeyPair, method: string, args: JsonValue, module?: string): Promise<Receipt>;
  close(): Promise<void>;
}

export const didOf = (k: KeyPair): string => didFromPublicKey(k.publicKey);

export async function openSettleKit(dir: string, opts: { validator?: KeyPair; time?: number } = {}): Promise<Kit> {
  const overrides = { chain: 'settle', modules: ['settlement', 'xchain', 'impostor'] };
  const validator = opts.validator ?? generateKeyPair('sm2');
  const genesis = testGenesis('sm2', validator, overrides);
  const pool = new AdmissionPool({ threads: 1 });
  const modules = modulesFor(genesis);
  modules.push(standInXchainFor(portsOf(modules)), impostor);
  const chain = await Chain.open({ genesis, dir: join(dir, 'chain'), modules, admission: pool, validatorKey: validator });
  const t = { chain, genesis };
  const nonces = new Map<string, number>();
  const kit: Kit = {
    t, validator, time: opts.time ?? Date.UTC(2023, 10, 15, 1, 0, 0),
    tx(key, m, args, module = 'settlement') {
      const from = didOf(key);
      const nonce = nonces.get(from) ?? 0;
      nonces.set(from, nonce + 1);
      return signTx(key, { chain: 'settle', module, method: m, args, nonce, expires: 1_000_000 }).tx;
    },
    async block(txs, time) {
      if (time !== undefined) kit.time = time;
      else kit.time += 1_000;
      if (txs.length) {
        const rs = await t.chain.submit(txs);
        const bad = rs.find((r) => !r.accepted);
        if (bad && !bad.accepted) throw new Error(`tx not accepted: ${bad.code} ${bad.message}`);
      }
      return (await t.chain.commitCandidate((await t.chain.proposeBlock(kit.time, { allowEmpty: true }))!)) as Block & { receipts: Receipt[] };
    },
    async run(key, m, args, module) {
      const b = await kit.block([kit.tx(key, m, args, module)]);
      return b.receipts[0]!;
    },
    async close() {
      await chain.close();
      await pool.close();
    },
  };
  return kit;
}
