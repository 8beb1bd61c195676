/**
 * did:shulian end to end on a real identity chain (real LMDB store): the `did` module, resolution
 * at any height with proofs, sender authorisation across a rotation, the HTTP binding, the
 * did-resolver plugin. The CLI commands, through the binary against a real node, are in
 * test/cli-did.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Resolver } from 'did-resolver';
import type { FastifyInstance } from 'fastify';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, type Suite } from '../src/crypto/index.ts';
import { signTx, type Receipt } from '../src/ledger/index.ts';
import type { Chain, NodeView } from '../src/chain/index.ts';
import { buildApi } from '../src/api/index.ts';
import { didModule, docStateKey } from '../src/modules/did/index.ts';
import { notaryModule } from '../src/modules/index.ts';
import {
  authorizeSender, authorizeSenderSync, chainStateSource, decodeMultikey, encodeMultikey, getResolver, httpStateSource,
  resolveDid, resolutionErrorCode, resolutionStatus, verifyDidResolution, type DidResolutionResult,
} from '../src/did/index.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { tempDir } from './helpers/tmp.ts';

const GENESIS_TIME = 1_700_000_000_000;
const MINUTE = 60_000;

async function identityChain(dir: string, suite: Suite): Promise<TestChain> {
  return openTestChain(dir, suite, { chain: 'identity', name: 'Identity chain', nameZh: '身份链', modules: ['did', 'notary'] }, [didModule, notaryModule]);
}

/** Drives a test chain: one tx per block, one minute apart. */
class Driver {
  private clock = GENESIS_TIME;
  constructor(readonly t: TestChain) {}
  get chain(): Chain {
    return this.t.chain;
  }
  async call(key: KeyPair, method: string, args: JsonValue): Promise<Receipt & { height: number }> {
    const from = didFromPublicKey(key.publicKey);
    const { pendingNonce } = this.chain.nonces(from);
    const { tx } = signTx(key, { chain: 'identity', module: 'did', method, args, nonce: pendingNonce, expires: this.chain.height() + 100 });
    const [r] = await this.chain.submit([tx]);
    assert.equal(r!.accepted, true, JSON.stringify(r));
    this.clock += MINUTE;
    const block = await this.chain.produceBlock(this.clock);
    assert.ok(block);
    return { ...block.receipts[0]!, height: block.header.height };
  }
  async ok(key: KeyPair, method: string, args: JsonValue): Promise<number> {
    const r = await this.call(key, method, args);
    assert.equal(r.status, 'ok', `${method}: ${r.code} ${r.message}`);
    return r.height;
  }
  async fails(key: KeyPair, method: string, args: JsonValue, code: string, re?: RegExp): Promise<void> {
    const r = await this.call(key, method, args);
    assert.equal(r.status, 'failed', `${method} should fail with ${code}`);
    assert.equal(r.code, code, r.message ?? "");
    if (re) assert.match(r.message ?? '', re);
  }
}

const mk = (k: KeyPair): string => encodeMultikey(k.suite, k.publicKey);
const hex = (k: KeyPair): string => toHex(k.publicKey);

function nodeOver(chain: Chain): NodeView {
  return {
    did: 'did:shulian:1111111111111111111111', version: 'test', startedAt: Date.now(),
    chains: () => [chain],
    chain: (id) => (id === chain.id ? chain : undefined),
    findTx: (hash) => {
      const inclusion = chain.getTx(hash);
      if (inclusion) return { chain, inclusion, pending: false };
      return chain.isPending(hash) ? { chain, pending: true } : undefined;
    },
    consensus: () => undefined,
  };
}

async function apiOver(chain: Chain): Promise<FastifyInstance> {
  const app = await buildApi(nodeOver(chain)); // serves the DID routes
  return app;
}

for (const suite of ['sm2', 'ed25519'] as const) {
  test(`${suite}: create, resolve, add key and service, rotate, deactivate — with authorisation at every height`, async () => {
    const tmp = tempDir();
    const t = await identityChain(tmp.dir, suite);
    const d = new Driver(t);
    const source = chainStateSource(t.chain);
    try {
      const alice = generateKeyPair(suite);
      const did = didFromPublicKey(alice.publicKey);

      // Before any document: only the self-certifying key may sign, and resolution is NOT_FOUND.
      assert.deepEqual(await authorizeSender(source, did, hex(alice)), { ok: true, did, height: 0, via: 'self-certifying' });
      const stranger = generateKeyPair(suite);
      const refused = await authorizeSender(source, did, hex(stranger));
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.code, 'DID_KEY_NOT_AUTHORIZED');
      assert.equal(resolutionErrorCode(await resolveDid(source, did)), 'NOT_FOUND');

      const hCreate = await d.ok(alice, 'create', {
        publicKeyMultibase: mk(alice),
        services: [{ id: 'home', type: 'LinkedDomains', serviceEndpoint: 'https://alice.example' }],
      });
      const r1 = await resolveDid(source, did);
      assert.equal(resolutionStatus(r1), 200);
      const doc = r1.didDocument!;
      assert.deepEqual(doc['@context'], ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1']);
      assert.equal(doc.id, did);
      assert.deepEqual(doc.verificationMethod, [{ id: `${did}#key-1`, type: 'Multikey', controller: did, publicKeyMultibase: mk(alice) }]);
      assert.equal(decodeMultikey(doc.verificationMethod![0]!.publicKeyMultibase).publicKeyHex, hex(alice));
      for (const rel of ['authentication', 'assertionMethod', 'capabilityInvocation', 'capabilityDelegation'] as const) assert.deepEqual(doc[rel], [`${did}#key-1`]);
      assert.equal(doc.keyAgreement, undefined);
      assert.deepEqual(doc.service, [{ id: `${did}#home`, type: 'LinkedDomains', serviceEndpoint: 'https://alice.example' }]);
      assert.equal(doc.controller, undefined);
      const created = new Date(GENESIS_TIME + MINUTE).toISOString().replace('.000Z', 'Z');
      assert.deepEqual(r1.didDocumentMetadata, { created, updated: created, versionId: '1', deactivated: false, createdHeight: hCreate, updatedHeight: hCreate });
      assert.equal(r1.didResolutionMetadata.contentType, 'application/did+ld+json');
      assert.equal(r1['@context'], 'https://w3id.org/did-resolution/v1');

      // Add a key of the other suite (assertion only) and an SM2 key-agreement key; Ed25519 cannot do key agreement.
      const edKey = generateKeyPair('ed25519');
      await d.fails(alice, 'addKey', { did, publicKeyMultibase: mk(edKey), relationships: ['keyAgreement'] }, 'DID_KEY_WRONG_TYPE', /keyAgreement/);
      await d.ok(alice, 'addKey', { did, publicKeyMultibase: mk(edKey), relationships: ['assertionMethod'], id: 'vc-signing' });
      const kaKey = generateKeyPair('sm2');
      await d.ok(alice, 'addKey', { did, publicKeyMultibase: mk(kaKey), relationships: ['keyAgreement'] });
      await d.ok(alice, 'addService', { did, id: 'inbox', type: ['DIDCommMessaging'], serviceEndpoint: { uri: 'https://alice.example/inbox', accept: ['didcomm/v2'] } });
      const r2 = await resolveDid(source, did);
      assert.deepEqual(r2.didDocument!.verificationMethod!.map((v) => v.id), [`${did}#key-1`, `${did}#vc-signing`, `${did}#key-2`]);
      assert.deepEqual(r2.didDocument!.assertionMethod, [`${did}#key-1`, `${did}#vc-signing`]);
      assert.deepEqual(r2.didDocument!.keyAgreement, [`${did}#key-2`]);
      assert.equal(r2.didDocument!.service!.length, 2);
      assert.equal(r2.didDocumentMetadata.versionId, '4');
      const edAuth = await authorizeSender(source, did, hex(edKey));
      assert.equal(!edAuth.ok && edAuth.code, 'DID_KEY_NOT_AUTHORIZED', 'an assertionMethod-only key does not sign txs');

      // A controller, added while the DID still signs with its first key.
      const bob = generateKeyPair(suite);
      const bobDid = didFromPublicKey(bob.publicKey);
      await d.ok(alice, 'addController', { did, controller: bobDid });
      await d.fails(alice, 'addController', { did, controller: bobDid }, 'DID_CONTROLLER_EXISTS');
      await d.fails(alice, 'addController', { did, controller: did }, 'DID_CONTROLLER_SELF');
      assert.deepEqual((await resolveDid(source, did)).didDocument!.controller, [did, bobDid]);

      // Rotate at height h.
      const next = generateKeyPair(suite);
      const h = await d.ok(alice, 'rotate', { did, publicKeyMultibase: mk(next) });
      const before = await resolveDid(source, did, { height: h - 1 });
      const after = await resolveDid(source, did, { height: h });
      const latest = await resolveDid(source, did);
      assert.deepEqual(before.didDocument!.authentication, [`${did}#key-1`]);
      assert.equal(before.didDocument!.verificationMethod![0]!.publicKeyMultibase, mk(alice));
      assert.deepEqual(after.didDocument!.authentication, [`${did}#key-3`]);
      assert.ok(!after.didDocument!.verificationMethod!.some((v) => v.publicKeyMultibase === mk(alice)), 'the old key is gone at h');
      assert.deepEqual(latest.didDocument, after.didDocument);
      assert.equal(after.didDocumentMetadata.updatedHeight, h);

      assert.equal((await authorizeSender(source, did, hex(alice), h - 1)).ok, true, 'old key signs before h');
      const oldAfter = await authorizeSender(source, did, hex(alice), h);
      assert.equal(oldAfter.ok, false);
      assert.equal(!oldAfter.ok && oldAfter.code, 'DID_KEY_REVOKED');
      assert.match(!oldAfter.ok ? oldAfter.message : '', new RegExp(`rotated out at height ${h}`));
      assert.equal(authorizeSenderSync(t.chain, did, hex(alice)).ok, false, 'refused at the latest height too');
      assert.deepEqual(await authorizeSender(source, did, hex(next), h), { ok: true, did, height: h, via: 'document', keyId: 'key-3' });
      const newBefore = await authorizeSender(source, did, hex(next), h - 1);
      assert.equal(!newBefore.ok && newBefore.code, 'DID_KEY_NOT_AUTHORIZED', 'the new key signs only from h');
      assert.equal(authorizeSenderSync(t.chain, did, hex(next)).ok, true);
      // (Until admission consults authorizeSender, the chain itself still admits the old key's txs;
      // from here on only the controller acts, as the new key cannot yet get its txs admitted.)

      // Non-controllers cannot update; rejected updates change nothing.
      const carol = generateKeyPair(suite);
      const stateBefore = t.chain.getState(docStateKey(did)).value;
      await d.fails(carol, 'addService', { did, id: 'evil', type: 'LinkedDomains', serviceEndpoint: 'https://evil.example' }, 'DID_NOT_CONTROLLER', /only the DID itself or one of its controllers/);
      await d.fails(carol, 'rotate', { did, publicKeyMultibase: mk(carol) }, 'DID_NOT_CONTROLLER');
      await d.fails(carol, 'deactivate', { did }, 'DID_NOT_CONTROLLER');
      await d.fails(carol, 'create', { publicKeyMultibase: mk(alice) }, 'DID_NOT_SELF_CERTIFYING');
      assert.deepEqual(t.chain.getState(docStateKey(did)).value, stateBefore, 'rejected updates change nothing');
      // The controller may, and a revoked key cannot come back.
      await d.fails(bob, 'addKey', { did, publicKeyMultibase: mk(alice), relationships: ['authentication'] }, 'DID_KEY_REVOKED');
      await d.ok(bob, 'addService', { did, id: 'by-controller', type: 'LinkedDomains', serviceEndpoint: 'https://bob.example' });
      assert.ok((await resolveDid(source, did)).didDocument!.service!.some((s) => s.id === `${did}#by-controller`));

      // Deactivate: irreversible, 410, every key refused.
      const hDead = await d.ok(bob, 'deactivate', { did });
      const dead = await resolveDid(source, did);
      assert.equal(dead.didDocumentMetadata.deactivated, true);
      assert.equal(resolutionStatus(dead), 410);
      assert.deepEqual(dead.didDocument, { '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'], id: did });
      assert.equal(dead.didDocumentMetadata.updatedHeight, hDead);
      const deadAuth = await authorizeSender(source, did, hex(next));
      assert.equal(!deadAuth.ok && deadAuth.code, 'DID_DEACTIVATED');
      await d.fails(bob, 'addService', { did, id: 'again', type: 'LinkedDomains', serviceEndpoint: 'https://x.example' }, 'DID_DEACTIVATED');
      // Before deactivation it resolved normally.
      assert.equal(resolutionStatus(await resolveDid(source, did, { height: hDead - 1 })), 200);
    } finally {
      await t.close();
      tmp.cleanup();
    }
  });
}

test('resolution at a past height with proof verifies alone, and fails when tampered', async () => {
  const tmp = tempDir();
  const t = await identityChain(tmp.dir, 'sm2');
  const d = new Driver(t);
  const source = chainStateSource(t.chain);
  const validators = t.genesis.validators;
  try {
    const alice = generateKeyPair('sm2');
    const did = didFromPublicKey(alice.publicKey);
    const h1 = await d.ok(alice, 'create', { publicKeyMultibase: mk(alice) });
    await d.ok(alice, 'addService', { did, id: 'home', type: 'LinkedDomains', serviceEndpoint: 'https://alice.example' });
    await d.ok(alice, 'addService', { did, id: 'shop', type: 'LinkedDomains', serviceEndpoint: 'https://shop.example' });

    const past = await resolveDid(source, did, { height: h1, proof: true });
    assert.equal(past.didDocument!.service, undefined, 'version 1 had no services');
    assert.equal(past.didDocumentMetadata.versionId, '1');
    assert.equal(past.didResolutionMetadata.stateProof!.lookup.height, h1);
    assert.deepEqual(verifyDidResolution(past, validators), { ok: true });
    assert.deepEqual(verifyDidResolution(past, validators, { did, chain: 'identity', suite: 'sm2' }), { ok: true });
    // Travels as JSON and still verifies.
    assert.deepEqual(verifyDidResolution(JSON.parse(JSON.stringify(past)) as DidResolutionResult, validators), { ok: true });

    const tampered = structuredClone(past);
    tampered.didDocument!.verificationMethod![0]!.publicKeyMultibase = mk(generateKeyPair('sm2'));
    assert.equal(verifyDidResolution(tampered, validators).ok, false);
    assert.match(verifyDidResolution(tampered, validators).reason!, /document differs/);
    const addedService = structuredClone(past);
    addedService.didDocument!.service = [{ id: `${did}#evil`, type: 'LinkedDomains', serviceEndpoint: 'https://evil.example' }];
    assert.equal(verifyDidResolution(addedService, validators).ok, false);
    const metaLie = structuredClone(past);
    metaLie.didDocumentMetadata.deactivated = true;
    assert.equal(verifyDidResolution(metaLie, validators).ok, false);
    const valueLie = structuredClone(past);
    (valueLie.didResolutionMetadata.stateProof!.lookup.value as { controllers: string[] }).controllers = [did];
    assert.match(verifyDidResolution(valueLie, validators).reason!, /state proof/);
    const otherValidators = [{ ...validators[0]!, publicKey: hex(generateKeyPair('sm2')) }];
    assert.equal(verifyDidResolution(past, otherValidators).ok, false);
    assert.equal(verifyDidResolution(past, validators, { did: didFromPublicKey(generateKeyPair('sm2').publicKey) }).ok, false);
    const noProof = await resolveDid(source, did, { height: h1 });
    assert.match(verifyDidResolution(noProof, validators).reason!, /no state proof/);

    // The latest version with proof; and a proven absence.
    assert.deepEqual(verifyDidResolution(await resolveDid(source, did, { proof: true }), validators), { ok: true });
    const ghost = didFromPublicKey(generateKeyPair('sm2').publicKey);
    const absent = await resolveDid(source, ghost, { proof: true });
    assert.equal(resolutionErrorCode(absent), 'NOT_FOUND');
    assert.deepEqual(verifyDidResolution(absent, validators), { ok: true });
    // Claiming an existing DID is absent does not verify.
    const hidden = await resolveDid(source, did, { proof: true });
    const denial: DidResolutionResult = { ...hidden, didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { ...hidden.didResolutionMetadata, error: absent.didResolutionMetadata.error! } };
    denial.didResolutionMetadata.stateProof = { ...hidden.didResolutionMetadata.stateProof!, lookup: { ...hidden.didResolutionMetadata.stateProof!.lookup, value: null } };
    assert.equal(verifyDidResolution(denial, validators).ok, false);

    // versionId and versionTime pick the same past versions, with proofs.
    const v2 = await resolveDid(source, did, { versionId: '2', proof: true });
    assert.equal(v2.didDocumentMetadata.versionId, '2');
    assert.deepEqual(verifyDidResolution(v2, validators), { ok: true });
    assert.equal(resolutionErrorCode(await resolveDid(source, did, { versionId: '9' })), 'NOT_FOUND');
    const atTime = await resolveDid(source, did, { versionTime: new Date(GENESIS_TIME + 2 * MINUTE + 30_000).toISOString(), proof: true });
    assert.equal(atTime.didDocumentMetadata.versionId, '2');
    assert.ok(atTime.didResolutionMetadata.stateProof!.next, 'the next block bounds the time');
    assert.deepEqual(verifyDidResolution(atTime, validators), { ok: true });
    const wrongNext = structuredClone(atTime);
    wrongNext.didResolutionMetadata.stateProof!.versionTime = GENESIS_TIME + 5 * MINUTE;
    assert.equal(verifyDidResolution(wrongNext, validators).ok, false, 'a later block before the time shows the version was not in force');
    assert.equal(resolutionErrorCode(await resolveDid(source, did, { versionTime: '1999-01-01T00:00:00Z' })), 'NOT_FOUND');
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

test('resolution errors: INVALID_DID, METHOD_NOT_SUPPORTED, NOT_FOUND, INVALID_OPTIONS, REPRESENTATION_NOT_SUPPORTED', async () => {
  const tmp = tempDir();
  const t = await identityChain(tmp.dir, 'ed25519');
  const source = chainStateSource(t.chain);
  try {
    const cases: Array<[string, Parameters<typeof resolveDid>[2], string, number]> = [
      ['did:shulian:0OIl', {}, 'INVALID_DID', 400],
      ['not a did', {}, 'INVALID_DID', 400],
      ['did:example:123456789abcdefghi', {}, 'METHOD_NOT_SUPPORTED', 501],
      [didFromPublicKey(generateKeyPair('ed25519').publicKey), {}, 'NOT_FOUND', 404],
      [didFromPublicKey(generateKeyPair('ed25519').publicKey), { height: 99 }, 'INVALID_OPTIONS', 400],
      [didFromPublicKey(generateKeyPair('ed25519').publicKey), { height: 0, versionId: '1' }, 'INVALID_OPTIONS', 400],
      [didFromPublicKey(generateKeyPair('ed25519').publicKey), { versionTime: 'yesterday' }, 'INVALID_OPTIONS', 400],
      [didFromPublicKey(generateKeyPair('ed25519').publicKey), { accept: 'text/html' }, 'REPRESENTATION_NOT_SUPPORTED', 406],
    ];
    for (const [did, opts, code, status] of cases) {
      const r = await resolveDid(source, did, opts);
      assert.equal(resolutionErrorCode(r), code, `${did}: ${JSON.stringify(r.didResolutionMetadata)}`);
      // DID Resolution v1.0 §11: error types are URLs in the DID namespace.
      assert.equal(r.didResolutionMetadata.error!.type, `https://www.w3.org/ns/did#${code}`);
      // contentType describes a returned document; an error returns none.
      assert.equal(r.didResolutionMetadata.contentType, undefined);
      assert.ok(r.didResolutionMetadata.error!.detail.length > 10);
      assert.equal(r.didDocument, null);
      assert.equal(resolutionStatus(r), status);
    }
    // Property: resolving any string never throws and always gives a typed result.
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.string().map((s) => 'did:shulian:' + s)), async (s) => {
      const r = await resolveDid(source, s);
      assert.ok(resolutionErrorCode(r) !== undefined);
    }), { numRuns: 200 });
  } finally {
    await t.close();
    tmp.cleanup();
  }
});

test('HTTP binding: 200/400/404/406/410/501, content types, past heights and proofs; remote resolution over the state API', async () => {
  const tmp = tempDir();
  const t = await identityChain(tmp.dir, 'sm2');
  const d = new Driver(t);
  const app = await apiOver(t.chain);
  try {
    const alice = generateKeyPair('sm2');
    const did = didFromPublicKey(alice.publicKey);
    const h1 = await d.ok(alice, 'create', { publicKeyMultibase: mk(alice) });
    await d.ok(alice, 'addService', { did, id: 'home', type: 'LinkedDomains', serviceEndpoint: 'https://alice.example' });

    const get = (url: string, accept?: string) => app.inject({ method: 'GET', url, headers: accept ? { accept } : {} });
    const ok = await get(`/1.0/identifiers/${did}`);
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['content-type'], 'application/did-resolution');
    const okBody = ok.json() as DidResolutionResult;
    assert.equal(okBody.didDocument!.id, did);
    assert.equal(okBody.didDocumentMetadata.versionId, '2');
    assert.equal((await get(`/1.0/identifiers/${did}`, 'application/did-resolution')).headers['content-type'], 'application/did-resolution');
    assert.equal((await get(`/1.0/identifiers/${did}`, 'application/did-resolution+json')).headers['content-type'], 'application/did-resolution+json', 'the earlier drafts\' type is still served to those who ask for it');

    // The document alone: its Content-Type is exactly the contentType a full result reports (§12.1).
    const docOnly = await get(`/1.0/identifiers/${did}`, 'application/did+ld+json');
    assert.equal(docOnly.statusCode, 200);
    assert.equal(docOnly.headers['content-type'], okBody.didResolutionMetadata.contentType);
    assert.equal(docOnly.headers['content-type'], 'application/did+ld+json');
    assert.equal((docOnly.json() as { id: string }).id, did);
    const plain = await get(`/1.0/identifiers/${did}`, 'application/did+json');
    assert.equal(plain.headers['content-type'], 'application/did+json');
    assert.equal((plain.json() as Record<string, unknown>)['@context'], undefined);
    // An error is a full result (with no contentType), whatever representation was asked for.
    const ghostDoc = await get(`/1.0/identifiers/${didFromPublicKey(generateKeyPair('sm2').publicKey)}`, 'application/did+ld+json');
    assert.equal(ghostDoc.statusCode, 404);
    assert.equal(ghostDoc.headers['content-type'], 'application/did-resolution');
    assert.equal((ghostDoc.json() as DidResolutionResult).didResolutionMetadata.contentType, undefined);
    assert.equal((ghostDoc.json() as DidResolutionResult).didResolutionMetadata.error!.type, 'https://www.w3.org/ns/did#NOT_FOUND');
    assert.equal((await get(`/1.0/identifiers/${did}`, 'image/png')).statusCode, 406);
    const ldProfile = await get(`/1.0/identifiers/${did}`, 'text/html;q=0.9, application/ld+json; profile="https://w3id.org/did-resolution"');
    assert.equal(ldProfile.statusCode, 200);
    assert.match(ldProfile.headers['content-type'] as string, /^application\/ld\+json; ?profile="https:\/\/w3id.org\/did-resolution"/);
    assert.equal((ldProfile.json() as DidResolutionResult).didDocument!.id, did);
    assert.equal((await get(`/1.0/identifiers/${did}`, '*/*')).headers['content-type'], 'application/did-resolution');

    const past = await get(`/1.0/identifiers/${did}?height=${h1}&proof=true`);
    assert.equal(past.statusCode, 200);
    const pastBody = past.json() as DidResolutionResult;
    assert.equal(pastBody.didDocument!.service, undefined);
    assert.deepEqual(verifyDidResolution(pastBody, t.genesis.validators, { did, chain: 'identity' }), { ok: true });

    const ghost = didFromPublicKey(generateKeyPair('sm2').publicKey);
    const statuses: Array<[string, number, string]> = [
      [`/1.0/identifiers/${ghost}`, 404, 'NOT_FOUND'],
      ['/1.0/identifiers/did:shulian:nope', 400, 'INVALID_DID'],
      ['/1.0/identifiers/did:web:example.com', 501, 'METHOD_NOT_SUPPORTED'],
      [`/1.0/identifiers/${did}?height=5000`, 400, 'INVALID_OPTIONS'],
      [`/1.0/identifiers/${did}?height=-1`, 400, 'INVALID_OPTIONS'],
    ];
    for (const [url, status, code] of statuses) {
      const res = await get(url);
      assert.equal(res.statusCode, status, url);
      assert.equal(resolutionErrorCode(res.json() as DidResolutionResult), code, url);
      const v1 = await get(url.replace('/1.0/identifiers/', '/v1/dids/'));
      assert.equal(v1.statusCode, status);
      assert.equal((v1.json() as { error: { code: string } }).error.code, code, 'the API error shape too');
    }

    // Remote resolution through GET /v1/chains/identity/state, verified on this side.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const remote = httpStateSource(url);
    const viaHttp = await resolveDid(remote, did, { proof: true, height: h1 });
    assert.deepEqual(viaHttp.didDocument, pastBody.didDocument);
    assert.deepEqual(verifyDidResolution(viaHttp, t.genesis.validators, { did }), { ok: true });
    const timed = await resolveDid(remote, did, { versionTime: GENESIS_TIME + MINUTE + 1000, proof: true });
    assert.equal(timed.didDocumentMetadata.versionId, '1');
    assert.deepEqual(verifyDidResolution(timed, t.genesis.validators), { ok: true });
    assert.equal((await authorizeSender(remote, did, hex(alice))).ok, true);

    // The did-resolver plugin, local and remote.
    for (const src of [chainStateSource(t.chain), remote]) {
      const resolver = new Resolver(getResolver(src));
      const r = await resolver.resolve(did);
      assert.equal(r.didDocument?.id, did);
      assert.equal(r.didDocumentMetadata.versionId, '2');
      const v1 = await resolver.resolve(`${did}?versionId=1`);
      assert.equal(v1.didDocumentMetadata.versionId, '1');
      const missing = await resolver.resolve(ghost);
      assert.equal(missing.didResolutionMetadata.error, 'notFound');
      assert.equal((await resolver.resolve('did:shulian:0OIl')).didResolutionMetadata.error, 'invalidDid');
      const proven = await resolver.resolve(did, { proof: true });
      assert.deepEqual(verifyDidResolution(proven as unknown as DidResolutionResult, t.genesis.validators), { ok: true });
    }

    // Deactivated: 410 on both routes, the document still shown with its metadata.
    await d.ok(alice, 'deactivate', { did });
    const gone = await fetch(`${url}/1.0/identifiers/${did}`);
    assert.equal(gone.status, 410);
    assert.equal(((await gone.json()) as DidResolutionResult).didDocumentMetadata.deactivated, true);
    const goneV1 = await fetch(`${url}/v1/dids/${did}`);
    assert.equal(goneV1.status, 410);
    assert.equal(((await goneV1.json()) as { error: { code: string } }).error.code, 'DID_DEACTIVATED');
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    assert.ok(spec.paths['/1.0/identifiers/{did}'] && spec.paths['/v1/dids/{did}'], 'documented in OpenAPI');
  } finally {
    await app.close();
    await t.close();
    tmp.cleanup();
  }
});

test('a node without a did-enabled identity chain answers 501', async () => {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2'); // the notary chain only
  const app = await buildApi(nodeOver(t.chain)); // serves the DID routes
  try {
    const did = didFromPublicKey(generateKeyPair('sm2').publicKey);
    const res = await app.inject({ method: 'GET', url: `/1.0/identifiers/${did}` });
    assert.equal(res.statusCode, 501);
    assert.match((res.json() as DidResolutionResult).didResolutionMetadata.error!.detail, /no identity chain/);
  } finally {
    await app.close();
    await t.close();
    tmp.cleanup();
  }
});

test('property: arbitrary args to every did method fail cleanly on a real chain and change no document', async () => {
  const tmp = tempDir();
  const t = await identityChain(tmp.dir, 'ed25519');
  const d = new Driver(t);
  try {
    const alice = generateKeyPair('ed25519');
    const did = didFromPublicKey(alice.publicKey);
    await d.ok(alice, 'create', { publicKeyMultibase: mk(alice) });
    const docBefore = t.chain.getState(docStateKey(did)).value;
    const senders = [alice, generateKeyPair('ed25519')];
    const methods = Object.keys(didModule.methods);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...methods), fc.nat(1), fc.oneof(fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')), fc.record({ did: fc.constantFrom(did, 'did:shulian:x'), publicKeyMultibase: fc.string(), keyId: fc.string(), id: fc.string() }, { requiredKeys: [] })), async (method, s, args) => {
      // Alice deactivating her own DID is the one valid call the generators can make.
      fc.pre(!(method === 'deactivate' && s === 0 && (args as { did?: unknown } | null)?.did === did));
      const r = await d.call(senders[s]!, method, args as JsonValue);
      assert.equal(r.status, 'failed', `${method} ${JSON.stringify(args)} unexpectedly succeeded`);
      assert.match(r.code!, /^(BAD_ARGS|DID_[A-Z_]+)$/);
      assert.ok(r.message && r.message.length > 10);
    }), { numRuns: 60 });
    assert.deepEqual(t.chain.getState(docStateKey(did)).value, docBefore);
    const ghostKey = senders[1]!;
    assert.equal(t.chain.getState(docStateKey(didFromPublicKey(ghostKey.publicKey))).value, null);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});
