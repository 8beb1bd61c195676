/**
 * Fuzz of every method of every module, as transactions on real chains: the embedded alliance's
 * seven chains (geneses as `shulian up` makes them, real LMDB stores) and a business chain with
 * the modules only business chains run. Each module method's arguments are its own decoder: the
 * xchain packet and header-proof schemas, settlement instructions, lex templates and events, DID
 * operations, governance proposals…
 *
 * Arguments are generated from each method's own zod schema (field names, regexes, literals,
 * nesting), mixed with values that get past the first checks (real DIDs, chain ids, hashes,
 * amounts) and with arbitrary JSON. Every receipt must be ok, or failed with a typed code and a
 * message — never MODULE_FAULT (an untyped exception in a module) — and the chain goes on making
 * blocks. A failed transaction changes nothing but the sender's nonce: checked by running each
 * batch on two chains in lock step, the second of which gets, for each failed call, a call that
 * fails without touching state.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { AdmissionPool, Chain } from '../../src/chain/index.ts';
import { signTx, type Genesis, type Receipt } from '../../src/ledger/index.ts';
import { modulesFor } from '../../src/modules/index.ts';
import { encodeMultikey } from '../../src/did/index.ts';
import { DEFAULT_PARAMS, embeddedGeneses } from '../../src/node/index.ts';
import type { ModuleDef } from '../../src/runtime/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

/** Milliseconds of fuzzing per chain (FUZZ_TIME_MS / FUZZ_RUNS raise it). */
const PER_CHAIN_MS = 500;
const T0 = 1_700_000_000_000;

type Z = { _zod?: { def: Record<string, unknown> & { type: string } } };

const validator = generateKeyPair('sm2');
const vinfo = { did: didFromPublicKey(validator.publicKey), publicKey: toHex(validator.publicKey), power: 1 };
const people: KeyPair[] = [validator, generateKeyPair('sm2'), generateKeyPair('sm2')];
const dids = people.map((k) => didFromPublicKey(k.publicKey));
const hex64 = ['ab'.repeat(32), '00'.repeat(32), 'ff'.repeat(32)];

/** Values that get past a field's first check, by field name. */
const HINTS: Record<string, JsonValue[]> = {
  did: dids, to: dids, from: dids, payer: dids, payee: dids, receiver: dids, holder: dids, sender: dids, controller: dids, owner: dids,
  issuer: dids, account: dids, party: dids, gateway: dids, validator: dids, member: dids, proposer: dids,
  chain: ['sign', 'settle', 'notary', 'data', 'xroute', 'gov', 'identity', 'biz'], dstChain: ['notary', 'sign', 'settle'], srcChain: ['sign', 'notary'],
  port: ['xtransfer', 'xchain', 'settlement'], dstPort: ['xtransfer', 'xchain', 'xdoc', 'xcall', 'settlement'], srcPort: ['xtransfer', 'xchain'],
  denom: ['CNY-T', 'sign/CNY-T', 'X'], amount: ['1', '100', '0', '-1', '1.5', '99999999999999999999999999999999999999'], currency: ['CNY', 'USD', 'cny'],
  hash: hex64, digest: hex64, id: ['1', 'BL-1', ...hex64], template: hex64, contract: hex64, key: ['k-1', 'idem-1'], idempotencyKey: ['k-1'],
  publicKeyMultibase: people.map((k) => encodeMultikey(k.suite, k.publicKey)), publicKey: people.map((k) => toHex(k.publicKey)),
  sequence: [1, 2, 0, -1], height: [0, 1, 2, 2 ** 53], nonce: [0, 1], timeoutTime: [T0 + 3_600_000, 1], timeoutHeight: [1, 1_000_000],
  period: ['2023-11-14', '2023-11'], kind: ['admit-member', 'create-chain', 'bill-of-lading', 'suspend-chain'], choice: ['yes', 'no', 'abstain'],
  source: ['contract x\nversion 1.0.0\ntitle "X" | "X"\n'], event: ['Delivered', 'Paid'], roles: [['member'], ['operator']], name: ['Org', 'A'],
};

/** An arbitrary for a value a zod schema describes, biased to what passes it (see `mutated` for the rest). */
function arbOf(schema: unknown, name: string, depth: number): fc.Arbitrary<JsonValue> {
  const hinted = Object.hasOwn(HINTS, name) ? fc.constantFrom(...HINTS[name]!) : undefined;
  const wild = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;
  const def = (schema as Z)?._zod?.def;
  const typed = ((): fc.Arbitrary<JsonValue> | undefined => {
    if (!def || depth > 4) return undefined;
    switch (def.type) {
      case 'object': {
        const shape = def.shape as Record<string, unknown>;
        const required = Object.keys(shape).filter((k) => ((shape[k] as Z)._zod?.def.type ?? '') !== 'optional');
        return fc.record(Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, arbOf(s, k, depth + 1)])), { requiredKeys: required }) as fc.Arbitrary<JsonValue>;
      }
      case 'optional': case 'nullable': case 'default': case 'readonly': case 'nonoptional': case 'catch':
        return arbOf(def.innerType, name, depth);
      case 'pipe': return arbOf(def.in, name, depth);
      case 'lazy': return arbOf((def.getter as () => unknown)(), name, depth + 1);
      case 'union': return fc.oneof(...(def.options as unknown[]).map((o) => arbOf(o, name, depth)));
      case 'array': return fc.array(arbOf(def.element, name, depth + 1), { minLength: 1, maxLength: 3 });
      case 'tuple': return fc.tuple(...(def.items as unknown[]).map((o) => arbOf(o, name, depth + 1))) as fc.Arbitrary<JsonValue>;
      case 'record': return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), arbOf(def.valueType, name, depth + 1), { maxKeys: 3 });
      case 'literal': return fc.constantFrom(...(def.values as JsonValue[]));
      case 'enum': return fc.constantFrom(...(Object.values(def.entries as Record<string, JsonValue>)));
      case 'boolean': return fc.boolean();
      case 'null': return fc.constant(null);
      case 'number': case 'int': return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 20 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 31, Number.MAX_SAFE_INTEGER, 0.5, -1) });
      case 'string': {
        const pattern = (def.checks as Array<{ _zod: { def: { pattern?: RegExp } } }> | undefined)?.map((c) => c._zod.def.pattern).find((p) => p instanceof RegExp);
        return pattern ? fc.stringMatching(pattern, { size: 'xsmall' }) : fc.string({ minLength: 1, maxLength: 24 });
      }
      case 'unknown': case 'any': return wild;
      default: return undefined;
    }
  })();
  if (hinted && typed) return fc.oneof({ weight: 3, arbitrary: hinted }, { weight: 2, arbitrary: typed });
  return hinted ?? typed ?? wild;
}

/** Every path to a value inside a JSON document. */
function paths(v: JsonValue, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push(...paths(v[k]!, [...at, k]));
  return out;
}

/** Args as the schema describes them, or with one thing wrong: a value replaced, a field added or dropped. */
function mutated(args: fc.Arbitrary<JsonValue>): fc.Arbitrary<JsonValue> {
  const near = fc.oneof(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, fc.constantFrom<JsonValue>('', 0, -1, 1.5, 2 ** 53, null, [], {}, 'x'.repeat(300), dids[1]!, hex64[0]!));
  return fc.oneof(
    { weight: 2, arbitrary: args },
    { weight: 1, arbitrary: fc.tuple(args, fc.nat(), near, fc.constantFrom('replace', 'add', 'drop')).map(([v, i, x, op]) => {
      const all = paths(v);
      const path = all[i % all.length]!;
      if (path.length === 0) return op === 'replace' ? x : v;
      const copy = structuredClone(v) as Record<string | number, JsonValue>;
      let cur = copy;
      for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, JsonValue>;
      const last = path.at(-1)!;
      if (op === 'replace') cur[last] = x;
      else if (op === 'drop') { if (Array.isArray(cur)) cur.splice(Number(last), 1); else delete cur[last]; }
      else if (!Array.isArray(cur)) cur.extra = x;
      return copy as JsonValue;
    }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue> },
  );
}

interface Twin {
  a: Chain;
  b: Chain;
  genesis: Genesis;
  modules: ModuleDef[];
  nonces: Map<string, number>;
  time: number;
}

describe('fuzz: every module method, as transactions on real chains', () => {
  const tmp = tempDir('shulian-fuzz-modules-');
  const pool = new AdmissionPool({ threads: 1 });
  const twins: Twin[] = [];

  before(async () => {
    const geneses: Genesis[] = [
      ...embeddedGeneses({ alliance: 'fuzz', validators: [vinfo], time: T0 }),
      {
        chain: 'biz', alliance: 'fuzz', name: 'Business chain', nameZh: '业务链', kind: 'business', suite: 'sm2', consensus: { type: 'solo' },
        validators: [vinfo], modules: ['notary', 'evm', 'evidence', 'validators', 'collectible', 'coupon', 'carbon'], params: { ...DEFAULT_PARAMS }, time: T0,
      },
    ];
    for (const genesis of geneses) {
      const modules = modulesFor(genesis).filter((m) => genesis.modules.includes(m.name));
      const open = (side: string) => Chain.open({ genesis, dir: join(tmp.dir, side, genesis.chain), modules: modulesFor(genesis), admission: pool, validatorKey: validator });
      twins.push({ a: await open('a'), b: await open('b'), genesis, modules, nonces: new Map(), time: T0 });
    }
    // Governance initialised by its founder (as a node does on first start), so proposals and votes reach their rules.
    const gov = twins.find((t) => t.genesis.modules.includes('governance'))!;
    const r = await block(gov, [{ key: validator, module: 'governance', method: 'init', args: { name: 'Operator' } }]);
    assert.equal(r[0]![0].status, 'ok', JSON.stringify(r[0]![0]));
  });

  after(async () => {
    for (const t of twins) {
      await t.a.close();
      await t.b.close();
    }
    await pool.close();
    tmp.cleanup();
  });

  interface Call { key: KeyPair; module: string; method: string; args: JsonValue }

  /**
   * Runs calls in one block on chain A; on twin B, the same calls, except that each failed one
   * is replaced by a call that fails without touching state. Calls refused at admission (not a
   * module's answer) must say why and are in neither block.
   */
  async function block(t: Twin, calls: Call[]): Promise<Array<[Receipt, Call]>> {
    const submitOne = async (chain: Chain, side: string, c: Call): Promise<{ hash: string } | { code: string }> => {
      const from = didFromPublicKey(c.key.publicKey);
      const k = `${side}/${from}`;
      const nonce = t.nonces.get(k) ?? chain.nonces(from).pendingNonce;
      const { tx, hash } = signTx(c.key, { chain: t.genesis.chain, module: c.module, method: c.method, args: c.args, nonce, expires: chain.height() + 100 });
      const [res] = await chain.submit([tx]);
      if (!res!.accepted) return { code: res!.code };
      t.nonces.set(k, nonce + 1);
      return { hash };
    };
    const sentA: Array<[Call, string]> = [];
    for (const c of calls) {
      const r = await submitOne(t.a, 'a', c);
      if ('code' in r) assert.match(r.code, /^[A-Z][A-Z0-9_]+$/, `admission refused ${c.module}.${c.method} without a typed code`);
      else sentA.push([c, r.hash]);
    }
    t.time += 1000;
    const blockA = await t.a.produceBlock(t.time);
    const out: Array<[Receipt, Call]> = [];
    for (const [c, hash] of sentA) {
      const receipt = blockA?.receipts.find((x) => x.tx === hash);
      assert.ok(receipt, `${c.module}.${c.method} was admitted but is not in the block`);
      out.push([receipt, c]);
    }
    // A call no module answers: fails, uses the nonce, changes no state.
    const mirror = out.map(([r, c]): Call => (r.status === 'ok' ? c : { key: c.key, module: 'nomodule', method: 'x', args: null }));
    for (const c of mirror) {
      const r = await submitOne(t.b, 'b', c);
      assert.ok('hash' in r, `twin B refused ${c.module}.${c.method}: ${JSON.stringify(r)}`);
    }
    await t.b.produceBlock(t.time);
    return out;
  }

  test('arbitrary arguments to every method: ok, or failed with a typed code — never MODULE_FAULT — and a failed call changes nothing', async () => {
    for (const t of twins) {
      const methods = t.modules.flatMap((m) => Object.entries(m.methods).map(([method, def]) => ({ module: m.name, method, args: def.args })));
      const callArb = fc.record({
        who: fc.nat(people.length - 1),
        pick: fc.constantFrom(...methods),
      }).chain(({ who, pick }) => mutated(arbOf(pick.args, pick.method, 0)).map((args) => ({ key: people[who]!, module: pick.module, method: pick.method, args })));
      const b = bounded(25, PER_CHAIN_MS, { endOnFailure: true });
      const stats = new Map<string, number>();
      await fc.assert(fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 6 }), b.guard(async (calls: Call[]) => {
        const receipts = await block(t, calls);
        for (const [r, c] of receipts) {
          const tag = `${c.module}.${c.method} ${r.status === 'ok' ? 'ok' : r.code}`;
          stats.set(tag, (stats.get(tag) ?? 0) + 1);
          const what = `${t.genesis.chain} ${c.module}.${c.method}(${JSON.stringify(c.args).slice(0, 400)})`;
          assert.notEqual(r.code, 'MODULE_FAULT', `${what}: ${r.message}`);
          if (r.status === 'failed') {
            assert.match(r.code ?? '', /^[A-Z][A-Z0-9_]+$/, what);
            assert.ok((r.message ?? '').length > 5, `${what}: ${r.code} without a message`);
            assert.deepEqual(r.events, [], `${what}: a failed call emitted events`);
          }
        }
        assert.equal(t.a.info().stateRoot, t.b.info().stateRoot, `${t.genesis.chain}: a failed call changed state (the twins' roots differ)`);
      })), b.params);
      if (process.env.FUZZ_VERBOSE) console.log(`${t.genesis.chain}: ${b.runs} blocks; ${[...stats].sort().map(([k, n]) => `${n}× ${k}`).join(', ')}`);
    }
  });
});
