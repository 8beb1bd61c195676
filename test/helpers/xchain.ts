import { join } from 'node:path';
import { toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, type Suite } from '../../src/crypto/index.ts';
import { AdmissionPool, Chain } from '../../src/chain/index.ts';
import { signTx, type Genesis, type Receipt, type ValidatorInfo } from '../../src/ledger/index.ts';
import { modulesFor, type RouteRecord } from '../../src/modules/index.ts';
import type { ModuleDef } from '../../src/runtime/index.ts';
import assert from 'node:assert/strict';
import { readOutbox, readProofBundle, syncRoutes, type ChainEndpoint, type ProofBundle } from '../../src/crosschain/index.ts';
import { tempDir } from './tmp.ts';
import { testGenesis } from './chain.ts';

/** A chain driven by hand: every call is one tx in one block at a clock the test moves. */
export interface HandChain {
  chain: Chain;
  validator: KeyPair;
  genesis: Genesis;
  /** Signs, submits and commits one call in its own block; returns the receipt. */
  call(key: KeyPair, module: string, method: string, args: JsonValue): Promise<Receipt>;
  /** An empty block (to move height and time). */
  tick(): Promise<void>;
  state(key: string): JsonValue | null;
  /** A gateway's view of this chain, sending its txs with `key`. */
  endpoint(key: KeyPair): ChainEndpoint;
}

export interface XchainWorld {
  xroute: HandChain;
  a: HandChain;
  b: HandChain;
  /** More chains running the same cross-chain modules, by id (see `opts.extraChains`). */
  extra: Record<string, HandChain>;
  gateway: KeyPair;
  gatewayDid: string;
  clock: { now: number };
  pool: AdmissionPool;
  /** Registers a chain on the routing chain (as governance would, through xroute.approve). */
  register(route: RouteRecord, proposal: number): Promise<Receipt>;
  routeOf(c: HandChain, over?: Partial<RouteRecord>): RouteRecord;
  close(): Promise<void>;
}

const XAPPS = ['xchain', 'xtransfer', 'xdoc', 'xcall', 'xlock', 'xtx', 'notary'];

export interface XchainWorldOptions {
  /** Ids of more chains to open beside alpha and beta (e.g. ['gamma'] for a 2PC coordinator). */
  extraChains?: string[];
  /** More genesis modules for alpha, beta and the extra chains (e.g. lexcontract, settlement). */
  modules?: string[];
  /** Test-only modules by chain id, run beside the built-in ones (their ports are seen by xchain). */
  extraModules?: Record<string, ModuleDef[]>;
  /** Genesis fields by chain id (e.g. `{ alpha: { sandbox: true } }`). */
  genesis?: Record<string, Partial<Genesis>>;
}

export async function openXchainWorld(dir: string, suite: Suite = 'sm2', opts: XchainWorldOptions = {}): Promise<XchainWorld> {
  const pool = new AdmissionPool({ threads: 1 });
  const clock = { now: 1_700_000_000_000 };
  const nonces = new Map<string, number>();
  const open = async (id: string, overrides: (v: ValidatorInfo) => Partial<Genesis>): Promise<HandChain> => {
    const validator = generateKeyPair(suite);
    const vinfo = { did: didFromPublicKey(validator.publicKey), publicKey: toHex(validator.publicKey), power: 1 };
    const genesis = testGenesis(suite, validator, { chain: id, ...overrides(vinfo), ...(opts.genesis?.[id] ?? {}) });
    const extraMods = opts.extraModules?.[id] ?? [];
    if (extraMods.length) genesis.modules = [...genesis.modules, ...extraMods.map((m) => m.name)];
    // xchain reads port declarations from this very list, so modules pushed onto it are ports too.
    const modules = modulesFor(genesis);
    modules.push(...extraMods);
    const chain = await Chain.open({ genesis, dir: join(dir, id), modules, admission: pool, validatorKey: validator });
    const hc: HandChain = {
      chain, validator, genesis,
      async call(key, module, method, args) {
        const from = didFromPublicKey(key.publicKey);
        const nk = `${id}/${from}`;
        const nonce = nonces.get(nk) ?? chain.nonces(from).nonce;
        nonces.set(nk, nonce + 1);
        const { tx, hash } = signTx(key, { chain: id, module, method, args, nonce, expires: chain.height() + 100 });
        const [r] = await chain.submit([tx]);
        if (!r || !('accepted' in r) || !r.accepted) throw new Error(`tx not admitted on ${id}: ${JSON.stringify(r)}`);
        clock.now += 1000;
        const block = await chain.produceBlock(clock.now);
        const receipt = block?.receipts.find((x) => x.tx === hash);
        if (!receipt) throw new Error(`tx ${hash} not in the block`);
        return receipt;
      },
      async tick() {
        clock.now += 1000;
        const c = await chain.proposeBlock(clock.now, { allowEmpty: true });
        if (c) await chain.commitCandidate(c);
      },
      state: (key) => chain.getState(key).value,
      endpoint(key) {
        return {
          id,
          height: async () => chain.height(),
          proof: async (height, keys): Promise<ProofBundle> => readProofBundle(chain, height, keys),
          outbox: async (dst, from, limit) => readOutbox(chain, dst, from, limit),
          state: async (key) => chain.getState(key).value,
          async call(module, method, args) {
            const r = await hc.call(key, module, method, args);
            return { status: r.status, ...(r.code ? { code: r.code } : {}), ...(r.message ? { message: r.message } : {}), ...(r.result !== undefined ? { result: r.result } : {}) };
          },
        };
      },
    };
    return hc;
  };
  const xroute = await open('xroute', () => ({ modules: ['xroute', 'notary'] }));
  const cc = { routeChain: 'xroute', routeSuite: suite, routeConsensus: 'solo' as const, routeValidators: xroute.genesis.validators };
  const apps = [...XAPPS, ...(opts.modules ?? [])];
  const a = await open('alpha', () => ({ modules: apps, crossChain: cc }));
  const b = await open('beta', () => ({ modules: apps, crossChain: cc }));
  const extra: Record<string, HandChain> = {};
  for (const id of opts.extraChains ?? []) extra[id] = await open(id, () => ({ modules: apps, crossChain: cc }));
  const gateway = generateKeyPair(suite);
  const gatewayDid = didFromPublicKey(gateway.publicKey);
  const world: XchainWorld = {
    xroute, a, b, extra, gateway, gatewayDid, clock, pool,
    register: (route, proposal) => xroute.call(xroute.validator, 'xroute', 'approve', { route: route as unknown as JsonValue, proposal }),
    routeOf: (c, over = {}) => ({
      chain: c.genesis.chain, engine: 'shulian', suite, consensus: 'solo', validators: c.genesis.validators, tracksValidators: false,
      gateways: [{ did: gatewayDid, publicKey: toHex(gateway.publicKey) }], inbound: [{ srcChain: '*', dstPort: '*', senders: ['*'] }], status: 'active', ...over,
    }),
    async close() {
      for (const c of [xroute, a, b, ...Object.values(extra)]) await c.chain.close();
      await pool.close();
    },
  };
  return world;
}

/**
 * A world (in a temporary folder, closed after the test) with alpha and beta registered on the
 * routing chain and the routes synced to both, and the gateway's endpoints of the three chains.
 */
export async function openRelayWorld(t: { after(fn: () => Promise<void>): void }, opts: XchainWorldOptions = {}): Promise<XchainWorld & { ea: ChainEndpoint; eb: ChainEndpoint; ex: ChainEndpoint }> {
  const tmp = tempDir('xchain-');
  const w = await openXchainWorld(tmp.dir, 'sm2', opts);
  t.after(async () => {
    await w.close();
    tmp.cleanup();
  });
  assert.equal((await w.register(w.routeOf(w.a), 1)).status, 'ok');
  assert.equal((await w.register(w.routeOf(w.b), 2)).status, 'ok');
  const ea = w.a.endpoint(w.gateway);
  const eb = w.b.endpoint(w.gateway);
  const ex = w.xroute.endpoint(w.gateway);
  assert.deepEqual((await syncRoutes(ex, ea)).sort(), ['alpha', 'beta']);
  assert.deepEqual((await syncRoutes(ex, eb)).sort(), ['alpha', 'beta']);
  return { ...w, ea, eb, ex };
}
