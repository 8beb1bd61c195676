/**
 * The `did` module's methods driven directly through a ModuleContext over a map (fast enough
 * for property tests); test/did.test.ts drives it through a real chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShulianError, canonicalize, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, encodeMultikey, parseShulianDid } from '../../crypto/index.ts';
import { MapContext, ModuleError } from '../../runtime/index.ts';
import { buildDidDocument } from '../../did/document.ts';
import { didModule, didKey, authorizeKey, type DidDocState } from './index.ts';


/** Calls a method the way the executor does: args checked by the schema, then run. */
function call(store: Map<string, string>, sender: string, method: string, args: unknown, height = 1): { ok: true } | { ok: false; code: string; message: string } {
  const m = didModule.methods[method]!;
  const parsed = m.args.safeParse(args);
  if (!parsed.success) return { ok: false, code: 'BAD_ARGS', message: parsed.error.issues[0]!.message };
  const before = new Map(store);
  const ctx = new MapContext(store, sender, height);
  try {
    m.run(ctx, parsed.data);
    return { ok: true };
  } catch (err) {
    assert.ok(err instanceof ModuleError || err instanceof ShulianError, `untyped error from ${method}: ${String(err)}`);
    assert.ok((err as ShulianError).message.length > 10, 'a message that says what was wrong');
    assert.equal(ctx.writes, 0, `${method} wrote before rejecting with ${(err as ShulianError).code}`);
    assert.deepEqual(store, before);
    return { ok: false, code: (err as ShulianError).code, message: (err as Error).message };
  }
}

const mk = (k: KeyPair): string => encodeMultikey(k.suite, k.publicKey);
const stateOf = (store: Map<string, string>, did: string): DidDocState | undefined => {
  const v = store.get(`${didKey.doc(parseShulianDid(did).id)}`);
  return v === undefined ? undefined : (JSON.parse(v) as DidDocState);
};

test('create, update, rotate and deactivate through the module', () => {
  const store = new Map<string, string>();
  const alice = generateKeyPair('sm2');
  const did = didFromPublicKey(alice.publicKey);
  const other = generateKeyPair('sm2');
  assert.deepEqual(call(store, didFromPublicKey(other.publicKey), 'create', { publicKeyMultibase: mk(alice) }).ok, false, 'create by another DID');
  assert.equal((call(store, did, 'create', { publicKeyMultibase: mk(other) }) as { code: string }).code, 'DID_NOT_SELF_CERTIFYING');
  assert.deepEqual(call(store, did, 'create', { publicKeyMultibase: mk(alice), services: [{ id: 'home', type: 'LinkedDomains', serviceEndpoint: 'https://alice.example' }] }), { ok: true });
  assert.equal((call(store, did, 'create', { publicKeyMultibase: mk(alice) }) as { code: string }).code, 'DID_EXISTS');

  const ed = generateKeyPair('ed25519');
  assert.equal((call(store, did, 'addKey', { did, publicKeyMultibase: mk(ed), relationships: ['keyAgreement'] }) as { code: string }).code, 'DID_KEY_WRONG_TYPE');
  assert.deepEqual(call(store, did, 'addKey', { did, publicKeyMultibase: mk(ed), relationships: ['assertionMethod'] }), { ok: true });
  assert.equal((call(store, did, 'addKey', { did, publicKeyMultibase: mk(ed), relationships: ['authentication'] }) as { code: string }).code, 'DID_KEY_EXISTS');
  assert.equal((call(store, did, 'removeKey', { did, keyId: 'key-1' }) as { code: string }).code, 'DID_LAST_AUTH_KEY');

  const next = generateKeyPair('sm2');
  assert.deepEqual(call(store, did, 'rotate', { did, publicKeyMultibase: mk(next) }, 5), { ok: true });
  const st = stateOf(store, did)!;
  assert.equal(st.version, 3);
  assert.deepEqual(st.keys.map((k) => [k.id, k.revokedAt ?? null]), [['key-1', 5], ['key-2', null], ['key-3', null]]);
  assert.deepEqual(authorizeKey(st, did, Buffer.from(alice.publicKey).toString('hex')).ok, false);
  assert.equal(authorizeKey(st, did, Buffer.from(next.publicKey).toString('hex')).ok, true);
  assert.equal(authorizeKey(st, did, Buffer.from(ed.publicKey).toString('hex')).ok, false, 'assertionMethod only');
  assert.equal((call(store, did, 'addKey', { did, publicKeyMultibase: mk(alice), relationships: ['authentication'] }) as { code: string }).code, 'DID_KEY_REVOKED');

  const stranger = didFromPublicKey(generateKeyPair('sm2').publicKey);
  assert.equal((call(store, stranger, 'addService', { did, id: 'x', type: 'T', serviceEndpoint: 'https://x.example' }) as { code: string }).code, 'DID_NOT_CONTROLLER');
  assert.deepEqual(call(store, did, 'addController', { did, controller: stranger }), { ok: true });
  assert.deepEqual(call(store, stranger, 'addService', { did, id: 'x', type: 'T', serviceEndpoint: 'https://x.example' }), { ok: true });
  assert.deepEqual(call(store, stranger, 'deactivate', { did }), { ok: true });
  const dead = stateOf(store, did)!;
  assert.equal(dead.deactivated, true);
  assert.ok(dead.keys.every((k) => k.revokedAt !== undefined));
  assert.equal((call(store, did, 'addService', { did, id: 'y', type: 'T', serviceEndpoint: 'https://y.example' }) as { code: string }).code, 'DID_DEACTIVATED');
});

// ---- properties ---------------------------------------------------------------------------------

const KEYS = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('ed25519'), generateKeyPair('ed25519'), generateKeyPair('sm2')];
const DIDS = KEYS.map((k) => didFromPublicKey(k.publicKey));
const MBS = KEYS.map(mk);

/** Mostly well-formed values, sometimes junk: so that sequences reach deep states and still see bad input. */
const mostly = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });
const someDid = mostly(fc.constantFrom(...DIDS), fc.oneof(fc.string(), fc.constant('did:shulian:1111111111111111111111'), fc.constant('did:example:abc')));
const someMb = mostly(fc.constantFrom(...MBS), fc.oneof(fc.string(), fc.constant('z6Mkf'), fc.constant(MBS[0]!.slice(0, -1) + 'A')));
const someId = mostly(fc.constantFrom('key-1', 'key-2', 'key-3', 'key-4', 'svc', 'home', 'x'), fc.string({ maxLength: 70 }));
const rels = mostly(fc.subarray(['authentication', 'assertionMethod', 'keyAgreement', 'capabilityInvocation', 'capabilityDelegation'], { minLength: 1 }), fc.array(fc.string(), { maxLength: 3 }));
const endpoint = mostly(fc.oneof(fc.constant('https://svc.example/a'), fc.constant({ origins: ['https://a.example'] }), fc.constant(['https://a.example', 'https://b.example'])),
  fc.oneof(fc.string(), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })));
const svcType = mostly(fc.constantFrom('LinkedDomains', 'DIDCommMessaging', ['A', 'B']), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 2 })));
const noise = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });

/** The sender's own DID most of the time, so updates get past the controller check. */
const own = (s: number): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: fc.constant(DIDS[s]!) }, { weight: 1, arbitrary: someDid });
const argsFor: Record<string, (sender: number) => fc.Arbitrary<unknown>> = {
  create: (s) => fc.record({ publicKeyMultibase: mostly(fc.constant(MBS[s]!), someMb), relationships: mostly(fc.constant(KEYS[s]!.suite === 'sm2' ? ['authentication', 'keyAgreement'] : ['authentication']), rels),
    services: fc.array(fc.record({ id: someId, type: svcType, serviceEndpoint: endpoint }), { maxLength: 2 }), controllers: fc.array(someDid, { maxLength: 2 }) }, { requiredKeys: ['publicKeyMultibase'] }),
  addKey: (s) => fc.record({ did: own(s), publicKeyMultibase: someMb, relationships: rels, id: someId }, { requiredKeys: ['did', 'publicKeyMultibase', 'relationships'] }),
  removeKey: (s) => fc.record({ did: own(s), keyId: someId }),
  rotate: (s) => fc.record({ did: own(s), publicKeyMultibase: someMb, keyId: someId, id: someId }, { requiredKeys: ['did', 'publicKeyMultibase'] }),
  addService: (s) => fc.record({ did: own(s), id: someId, type: svcType, serviceEndpoint: endpoint }),
  removeService: (s) => fc.record({ did: own(s), id: someId }),
  addController: (s) => fc.record({ did: own(s), controller: someDid }),
  removeController: (s) => fc.record({ did: own(s), controller: someDid }),
  deactivate: () => fc.record({ did: someDid }),
};
const methodNames = Object.keys(argsFor);
const step = fc.tuple(
  fc.constantFrom(...methodNames),
  fc.nat(DIDS.length - 1),
  fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, fc.anything(), noise),
).chain(([m, s, junk]) => (junk === null ? argsFor[m]!(s) : fc.constant(junk)).map((args) => ({ method: m, sender: DIDS[s]!, args })));

/** Invariants every stored document keeps. */
function checkInvariants(st: DidDocState): void {
  const ids = [...st.keys.map((k) => k.id), ...st.services.map((s) => s.id)];
  assert.equal(new Set(ids).size, ids.length, 'ids unique');
  const active = st.keys.filter((k) => k.revokedAt === undefined);
  if (st.deactivated) {
    assert.equal(active.length, 0);
  } else {
    assert.ok(active.some((k) => k.relationships.includes('authentication')), 'an authentication key remains');
  }
  assert.ok(!st.controllers.includes(st.did));
  const doc = buildDidDocument(st);
  const vms = new Set((doc.verificationMethod ?? []).map((v) => v.id));
  for (const rel of ['authentication', 'assertionMethod', 'keyAgreement', 'capabilityInvocation', 'capabilityDelegation'] as const) {
    for (const ref of doc[rel] ?? []) assert.ok(vms.has(ref), `${rel} ${ref} refers to a listed method`);
  }
  const pks = active.map((k) => k.publicKey);
  assert.equal(new Set(pks).size, pks.length, 'no key twice');
}

test('property: arbitrary args and senders never crash, rejected calls change nothing, documents stay sound', () => {
  fc.assert(fc.property(fc.subarray([0, 1, 2, 3, 4]), fc.array(step, { minLength: 1, maxLength: 40 }), (seeded, steps) => {
    const store = new Map<string, string>();
    for (const i of seeded) assert.deepEqual(call(store, DIDS[i]!, 'create', { publicKeyMultibase: MBS[i]! }), { ok: true });
    let h = 1;
    for (const s of steps) {
      const r = call(store, s.sender, s.method, s.args, h++);
      if (!r.ok) assert.match(r.code, /^(BAD_ARGS|DID_[A-Z_]+)$/);
      for (const did of DIDS) {
        const st = stateOf(store, did);
        if (st) checkInvariants(st);
      }
    }
  }), { numRuns: 400 });
});

test('property: well-formed sequences from the DID itself keep it signable until deactivation', () => {
  const owner = KEYS[0]!;
  const did = DIDS[0]!;
  const fresh = fc.constantFrom('sm2', 'ed25519').map((suite) => generateKeyPair(suite as 'sm2' | 'ed25519'));
  const op = fc.oneof(
    fresh.map((k) => ({ method: 'addKey', args: { did, publicKeyMultibase: mk(k), relationships: ['authentication'] } })),
    fresh.map((k) => ({ method: 'rotate', args: { did, publicKeyMultibase: mk(k) } })),
    fc.constantFrom('key-1', 'key-2', 'key-3', 'key-4').map((keyId) => ({ method: 'removeKey', args: { did, keyId } })),
    fc.constantFrom('a', 'b').map((id) => ({ method: 'addService', args: { did, id, type: 'LinkedDomains', serviceEndpoint: `https://${id}.example` } })),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
    const store = new Map<string, string>();
    assert.deepEqual(call(store, did, 'create', { publicKeyMultibase: mk(owner) }), { ok: true });
    let version = 1;
    for (const o of ops) {
      const r = call(store, did, o.method, o.args, version + 1);
      if (r.ok) version++;
      const st = stateOf(store, did)!;
      assert.equal(st.version, version);
      checkInvariants(st);
    }
  }), { numRuns: 150 });
});
