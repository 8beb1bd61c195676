/**
 * Fuzz of the cross-chain packet and header-proof decoders and the light client behind them
 * (src/modules/xchain: packetSchema, headerProofSchema, verifyHeaderProof, verifyKeyProof), from a
 * real packet sent on a real chain: its genuine recv arguments (header, signature, state proofs),
 * altered anywhere. The schemas refuse or pass; the light client then accepts only the genuine
 * header and only the genuine packet under it, and refuses the rest with XCHAIN_BAD_HEADER or
 * XCHAIN_BAD_PROOF — never another error. Through the module too: an altered recv is a failed
 * transaction with a typed code that delivers nothing, until the genuine one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalize, ShulianError, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../../src/crypto/index.ts';
import { headerProofOf, syncRoutes } from '../../src/crosschain/index.ts';
import {
  headerProofSchema, packetSchema, verifyHeaderProof, verifyKeyProof, keyProofSchema,
  type ClientState, type HeaderProof, type Packet,
} from '../../src/modules/xchain/index.ts';
import { openXchainWorld, type XchainWorld } from '../helpers/xchain.ts';
import { tempDir } from '../helpers/tmp.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const alice = generateKeyPair('sm2');
const aliceDid = didFromPublicKey(alice.publicKey);
const bobDid = didFromPublicKey(generateKeyPair('sm2').publicKey);
const same = (a: unknown, b: unknown): boolean => canonicalize(a as JsonValue) === canonicalize(b as JsonValue);

/** Every path to a value inside a JSON document. */
function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push(...paths((v as Record<string, unknown>)[k], [...at, k]));
  return out;
}
function alter(doc: unknown, path: Array<string | number>, op: 'replace' | 'drop' | 'add', value: unknown): unknown {
  if (path.length === 0) return op === 'replace' ? value : doc;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (op === 'replace') cur[last] = value;
  else if (op === 'drop') {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else if (!Array.isArray(cur)) cur.extra = value;
  return copy;
}

describe('fuzz: cross-chain packets and header proofs', () => {
  const tmp = tempDir('shulian-fuzz-xchain-');
  let w: XchainWorld;
  let args: { proof: HeaderProof; packets: Array<{ packet: Packet; proof: JsonValue }> };
  let client: ClientState;

  before(async () => {
    w = await openXchainWorld(tmp.dir);
    assert.equal((await w.register(w.routeOf(w.a), 1)).status, 'ok');
    assert.equal((await w.register(w.routeOf(w.b), 2)).status, 'ok');
    const ex = w.xroute.endpoint(w.gateway);
    await syncRoutes(ex, w.a.endpoint(w.gateway));
    await syncRoutes(ex, w.b.endpoint(w.gateway));
    for (const [m, a] of [['issue', { denom: 'CNY-T' }], ['mint', { denom: 'CNY-T', to: aliceDid, amount: '1000' }], ['send', { dstChain: 'beta', denom: 'CNY-T', amount: '300', receiver: bobDid }]] as const) {
      assert.equal((await w.a.call(alice, 'xtransfer', m, a as unknown as JsonValue)).status, 'ok');
    }
    const bundle = await w.a.endpoint(w.gateway).proof(w.a.chain.height(), ['xchain/out/beta/1']);
    args = { proof: headerProofOf(bundle, false), packets: bundle.proofs.map((p) => ({ packet: p.value as unknown as Packet, proof: p.proof as unknown as JsonValue })) };
    client = w.b.state('xchain/client/alpha') as unknown as ClientState;
    assert.ok(client, 'beta follows alpha with a light client');
  });

  after(async () => {
    await w?.close();
    tmp.cleanup();
  });

  const near = fc.oneof(
    // Without the key "__proto__", which every tx refuses at decoding (TX_MALFORMED) before
    // the module could see the altered packet (as in test/fuzz/tx.test.ts).
    fc.jsonValue({ maxDepth: 2 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')),
    fc.constantFrom<unknown>('', 0, 1, -1, 2, 2 ** 53, 1.5, null, [], {}, 'alpha', 'beta', 'xtransfer', 'xchain', aliceDid, bobDid,
      '0'.repeat(64), 'ab'.repeat(32), 'ab'.repeat(64), '00'.repeat(65), { siblings: [] }, ['ab'.repeat(32)]),
  );
  const charge = (): void => {};

  test('altered header proofs: the light client accepts only the genuine header', () => {
    assert.equal(verifyHeaderProof(client, args.proof, charge).latestHeight, args.proof.header.height);
    const all = paths(args.proof);
    const b = bounded(3000, 6000);
    fc.assert(fc.property(fc.nat(all.length - 1), fc.constantFrom('replace' as const, 'drop' as const, 'add' as const), near, b.guard((i, op, v) => {
      const hp = alter(args.proof, all[i]!, op, v);
      const parsed = headerProofSchema.safeParse(hp);
      if (!parsed.success) return;
      try {
        const next = verifyHeaderProof(client, parsed.data as HeaderProof, charge);
        assert.ok(same(parsed.data.header, args.proof.header) && parsed.data.hash === args.proof.hash,
          `accepted another header: ${JSON.stringify(hp).slice(0, 400)}`);
        assert.equal(next.latestHeight, args.proof.header.height);
      } catch (err) {
        assert.ok(err instanceof ShulianError, `threw ${(err as Error).stack?.split('\n').slice(0, 2).join(' ')}`);
        assert.equal(err.code, 'XCHAIN_BAD_HEADER', err.message);
      }
    })), b.params);
  });

  test('altered packets and state proofs: only the genuine packet verifies under the genuine root', () => {
    const root = args.proof.header.stateRoot;
    const genuine = args.packets[0]!;
    const doc = { packet: genuine.packet, proof: genuine.proof };
    const all = paths(doc);
    const b = bounded(3000, 6000);
    fc.assert(fc.property(fc.nat(all.length - 1), fc.constantFrom('replace' as const, 'drop' as const, 'add' as const), near, b.guard((i, op, v) => {
      const d = alter(doc, all[i]!, op, v) as { packet: unknown; proof: unknown };
      const p = packetSchema.safeParse(d?.packet);
      const proof = keyProofSchema.safeParse(d?.proof);
      if (!p.success || !proof.success) return;
      const key = `xchain/out/${p.data.dstChain}/${p.data.sequence}`;
      try {
        verifyKeyProof(client, root, key, p.data as unknown as JsonValue, proof.data, charge);
        assert.ok(same(p.data, genuine.packet), `a packet other than the one sent verified: ${JSON.stringify(p.data).slice(0, 300)}`);
      } catch (err) {
        assert.ok(err instanceof ShulianError, `threw ${(err as Error).stack?.split('\n').slice(0, 2).join(' ')}`);
        assert.equal(err.code, 'XCHAIN_BAD_PROOF', err.message);
      }
    })), b.params);
  });

  test('through the module: an altered recv fails with a typed code and delivers nothing; then the genuine one delivers once', async () => {
    const all = paths(args);
    const b = bounded(40, 6000, { endOnFailure: true });
    await fc.assert(fc.asyncProperty(fc.nat(all.length - 1), fc.constantFrom('replace' as const, 'drop' as const, 'add' as const), near, b.guard(async (i, op, v) => {
      const altered = alter(args, all[i]!, op, v) as JsonValue;
      const r = await w.b.call(w.gateway, 'xchain', 'recv', altered);
      const delivered = w.b.state('xchain/recv/alpha/1') !== null;
      if (r.status === 'ok') {
        // Accepted only when what it proves is what was sent (e.g. a field the light client does not need was added).
        assert.ok(delivered, 'ok without a delivery');
        const rec = w.b.state('xchain/recv/alpha/1') as { packet: unknown };
        assert.ok(same(rec.packet, args.packets[0]!.packet), 'delivered a packet that was not sent');
      } else {
        assert.notEqual(r.code, 'MODULE_FAULT', `${JSON.stringify(altered).slice(0, 400)}: ${r.message}`);
        assert.match(r.code ?? '', /^[A-Z][A-Z0-9_]+$/);
      }
      assert.ok(['0', '300'].includes((w.b.state(`xtransfer/bal/${bobDid}/alpha/CNY-T`) as string | null) ?? '0'), 'never more than was sent');
    })), b.params);
    const genuine = await w.b.call(w.gateway, 'xchain', 'recv', args as unknown as JsonValue);
    assert.equal(genuine.status, 'ok');
    assert.equal(w.b.state(`xtransfer/bal/${bobDid}/alpha/CNY-T`), '300', 'delivered exactly once');
  });
});
