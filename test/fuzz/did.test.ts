/**
 * Fuzz of the DID decoders (src/did) beside src/did/syntax.test.ts's grammar properties and
 * test/did.test.ts's module-args property: publicKeyMultibase (Multikey) decoding, did:shulian
 * identifiers against their keys, resolution over a node that answers anything (an untrusted
 * HTTP source), and proven resolution results altered anywhere (a lying node):
 *   - decoders return a checked value or throw their typed error, never anything else;
 *   - resolution never throws: a hostile state comes back as a resolution error;
 *   - verifyDidResolution accepts an altered result only if the document and metadata it
 *     certifies are the genuine ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalize, fromHex, ShulianError, toBase58, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../../src/crypto/index.ts';
import { signTx } from '../../src/ledger/index.ts';
import {
  chainStateSource, decodeMultikey, encodeMultikey, isShulianDid, parseShulianDid, resolveDid, verifyDidResolution,
  type DidResolutionResult, type DidStateSource,
} from '../../src/did/index.ts';
import { didModule, docStateKey } from '../../src/modules/did/index.ts';
import { notaryModule } from '../../src/modules/index.ts';
import { openTestChain, type TestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';
import { bounded } from '../helpers/fuzz-budget.ts';


const typedAs = (codes: RegExp, err: unknown): void => {
  assert.ok(err instanceof ShulianError, `threw ${String(err)} instead of a typed error`);
  assert.match(err.code, codes);
  assert.ok(err.message.length > 10);
};

test('decodeMultikey: any string decodes to a checked key that re-encodes to itself, or a typed refusal', () => {
  const keys = [generateKeyPair('sm2'), generateKeyPair('ed25519')];
  const prefixes = [[0xed, 0x01], [0x86, 0x24], [0x80, 0x24], [0xe7, 0x01], [0x00], [0xff, 0xff, 0xff, 0xff, 0x0f]];
  const near = fc.tuple(fc.constantFrom(...prefixes), fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 70 }),
    fc.constantFrom(...keys.map((k) => k.publicKey)),
    fc.constantFrom(...keys.map((k) => k.publicKey)).chain((pk) => fc.nat(pk.length - 1).map((i) => { const c = new Uint8Array(pk); c[i] ^= 1; return c; })),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((x) => new Uint8Array([0x02 | (x[0]! & 1), ...x])), // a compressed SM2 point, usually off the curve
  )).map(([pre, body]) => 'z' + toBase58(new Uint8Array([...pre, ...body])));
  const b = bounded(3000, 6000);
  fc.assert(fc.property(fc.oneof(near, fc.string({ maxLength: 60 }), fc.constantFrom(...keys.map((k) => encodeMultikey(k.suite, k.publicKey))), fc.anything({ maxDepth: 1 })), b.guard((mb) => {
    let d: ReturnType<typeof decodeMultikey>;
    try {
      d = decodeMultikey(mb);
    } catch (err) {
      typedAs(/^INVALID_PUBLIC_KEY(_TYPE|_LENGTH)?$/, err);
      return;
    }
    assert.equal(typeof mb, 'string');
    assert.equal(encodeMultikey(d.suite, fromHex(d.publicKeyHex)), d.publicKeyMultibase);
    // A key that decodes is a usable key: its DID is a did:shulian DID that parses back.
    const did = didFromPublicKey(fromHex(d.publicKeyHex));
    assert.equal(isShulianDid(did), true);
    assert.equal(parseShulianDid(did).did, did);
  })), b.params);
});

describe('resolution over sources that lie', () => {
  const tmp = tempDir('shulian-fuzz-did-');
  let t: TestChain;
  let genuine: DidResolutionResult;
  let did = '';
  let state: JsonValue;

  before(async () => {
    t = await openTestChain(tmp.dir, 'sm2', { chain: 'identity', name: 'Identity chain', nameZh: '身份链', modules: ['did', 'notary'] }, [didModule, notaryModule]);
    const alice = generateKeyPair('sm2');
    did = didFromPublicKey(alice.publicKey);
    const other = generateKeyPair('ed25519');
    let clock = t.genesis.time;
    const call = async (method: string, args: JsonValue, nonce: number): Promise<void> => {
      const { tx } = signTx(alice, { chain: 'identity', module: 'did', method, args, nonce, expires: t.chain.height() + 100 });
      const [r] = await t.chain.submit([tx]);
      assert.equal(r!.accepted, true, JSON.stringify(r));
      const block = await t.chain.produceBlock((clock += 60_000));
      assert.equal(block!.receipts[0]!.status, 'ok', JSON.stringify(block!.receipts[0]));
    };
    await call('create', { publicKeyMultibase: encodeMultikey('sm2', alice.publicKey), services: [{ id: 'home', type: 'LinkedDomains', serviceEndpoint: 'https://alice.example/' }] }, 0);
    await call('addKey', { did, publicKeyMultibase: encodeMultikey('ed25519', other.publicKey), relationships: ['assertionMethod'] }, 1);
    genuine = await resolveDid(chainStateSource(t.chain), did, { proof: true });
    assert.equal(verifyDidResolution(genuine, t.genesis.validators, { did, chain: 'identity', suite: 'sm2' }).ok, true);
    state = t.chain.getState(docStateKey(did.split(':')[2]!)).value!;
    assert.ok(state, 'the document state is stored');
  });

  after(async () => {
    await t?.close();
    tmp.cleanup();
  });

  /** Every path to a value inside a JSON document. */
  const paths = (v: unknown, at: Array<string | number> = []): Array<Array<string | number>> => {
    const out: Array<Array<string | number>> = [at];
    if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push(...paths((v as Record<string, unknown>)[k], [...at, k]));
    return out;
  };
  const replaceAt = (doc: unknown, path: Array<string | number>, value: unknown): unknown => {
    if (path.length === 0) return value;
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    let cur = copy;
    for (let i = 0; i < path.length - 1; i++) cur = cur[path[i]!] as Record<string | number, unknown>;
    cur[path.at(-1)!] = value;
    return copy;
  };
  const nearValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom<unknown>(null, 0, 1, -1, 2 ** 53, '', 'did:shulian:x', 'z6Mk', '00'.repeat(32), [], {}, true, 'key-1', 'authentication'),
  );

  test('a node answering any state for the DID: resolution returns a result (the document, or an error), never throws', async () => {
    const all = paths(state);
    const b = bounded(600, 6000);
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.tuple(fc.nat(all.length - 1), nearValue).map(([i, v]) => replaceAt(state, all[i]!, v)),
      fc.jsonValue({ maxDepth: 3 }),
    ), fc.boolean(), b.guard(async (value, withProof) => {
      const source: DidStateSource = { getState: (key, opts) => ({ ...t.chain.getState(key, opts), value: value as JsonValue }) };
      let r: DidResolutionResult;
      try {
        r = await resolveDid(source, did, { proof: withProof });
      } catch (err) {
        assert.fail(`resolveDid threw ${(err as Error).stack?.split('\n').slice(0, 3).join(' ')} for state ${JSON.stringify(value).slice(0, 300)}`);
      }
      const code = r.didResolutionMetadata.error?.type;
      if (r.didDocument === null) assert.match(code ?? '', /#(NOT_FOUND|INVALID_DID_DOCUMENT|INTERNAL_ERROR)$/, JSON.stringify(r).slice(0, 300));
      else {
        assert.equal(r.didDocument.id, did, 'a document is only ever about the DID asked for');
        canonicalize(r as unknown as JsonValue);
      }
    })), b.params);
  });

  test('a proven resolution altered anywhere verifies only if the document and metadata are the genuine ones', () => {
    const all = paths(genuine);
    const b = bounded(1500, 8000);
    fc.assert(fc.property(fc.nat(all.length - 1), nearValue, b.guard((i, v) => {
      const altered = replaceAt(genuine, all[i]!, v) as DidResolutionResult;
      const check = verifyDidResolution(altered, t.genesis.validators, { did, chain: 'identity', suite: 'sm2' });
      if (!check.ok) {
        assert.ok(check.reason && check.reason.length > 5);
        return;
      }
      assert.equal(canonicalize(altered.didDocument as unknown as JsonValue), canonicalize(genuine.didDocument as unknown as JsonValue), `altering ${all[i]!.join('.')} to ${JSON.stringify(v)} verified with another document`);
      assert.equal(canonicalize(altered.didDocumentMetadata as unknown as JsonValue), canonicalize(genuine.didDocumentMetadata as unknown as JsonValue), `altering ${all[i]!.join('.')} verified with other metadata`);
    })), b.params);
  });
});

test('did:shulian identifiers: any string is a DID of some key, or refused with a typed error', () => {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const b = bounded(3000, 4000);
  fc.assert(fc.property(fc.oneof(
    fc.string({ unit: fc.constantFrom(...alphabet), minLength: 0, maxLength: 45 }).map((id) => `did:shulian:${id}`),
    fc.uint8Array({ minLength: 18, maxLength: 22 }).map((bytes) => `did:shulian:${toBase58(bytes)}`),
    fc.string({ maxLength: 60 }),
  ), b.guard((s) => {
    let ok = false;
    try {
      const p = parseShulianDid(s);
      assert.equal(p.did, s);
      ok = true;
    } catch (err) {
      typedAs(/^[A-Z_]+$/, err);
    }
    assert.equal(isShulianDid(s), ok);
  })), b.params);
});
