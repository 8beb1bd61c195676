/**
 * Verifiable credentials end to end: a real identity chain (LMDB) running the did and vcstatus
 * modules, the node API with the VC-API routes on a real socket, status lists fetched over HTTP.
 * No resolver is handed in: the node resolves did:shulian verification methods through its
 * identity chain, and the verifier "elsewhere" resolves them over HTTP with their state proofs
 * checked against the chain's validators — the same resolution a user gets.
 * Issue → verify → revoke on chain → verification fails as revoked; keys rotated out, keys
 * without assertionMethod, deactivated issuers and borrowed keys are refused, and say why.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { JsonValue } from '../src/codec/index.ts';
import { generateKeyPair, didFromPublicKey, encodeMultikey, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Receipt } from '../src/ledger/index.ts';
import type { NodeView } from '../src/chain/index.ts';
import { buildApi } from '../src/api/index.ts';
import { registerVcRoutes } from '../src/api/routes/vc.ts';
import { builtinModules } from '../src/modules/index.ts';
import {
  combineResolvers, createPresentation, didDocumentKeyResolver, didKeyResolver, httpStateSource, httpStatusListSource, keyPairSigner,
  resolveDid, verifyCredential, verifyDidResolution, type JsonObject, type KeyResolver,
} from '../src/did/index.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { tempDir } from './helpers/tmp.ts';

let t: TestChain;
let tmp: { dir: string; cleanup: () => void };
let app: FastifyInstance;
let url: string;
let time = 1_700_000_001_000;
const nodeKey = generateKeyPair('sm2');
const issuerKey = generateKeyPair('sm2');
const holderKey = generateKeyPair('ed25519');
const strangerKey = generateKeyPair('sm2');
const issuerDid = didFromPublicKey(issuerKey.publicKey);
const UNDEFINED_TERMS = 'https://www.w3.org/ns/credentials/undefined-terms/v2';

before(async () => {
  tmp = tempDir();
  t = await openTestChain(tmp.dir, 'sm2', { chain: 'identity', modules: ['notary', 'did', 'vcstatus'] }, builtinModules);
  const node: NodeView = {
    did: didFromPublicKey(nodeKey.publicKey), version: 'test', startedAt: Date.now(),
    chains: () => [t.chain], chain: (id) => (id === 'identity' ? t.chain : undefined),
    findTx: (hash) => {
      const inclusion = t.chain.getTx(hash);
      return inclusion ? { chain: t.chain, inclusion, pending: false } : undefined;
    },
    consensus: () => undefined,
  };
  app = await buildApi(node, { rateLimitPerMinute: 100_000, vc: { issuers: [issuerKey], statusSigner: nodeKey } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  // The issuer records its DID document (key-1, all relationships) and its status lists.
  assert.equal((await chainCall(issuerKey, 'did', 'create', { publicKeyMultibase: encodeMultikey('sm2', issuerKey.publicKey) })).status, 'ok');
  assert.equal((await chainCall(issuerKey, 'vcstatus', 'createList', { listId: 'kyc-rev', purpose: 'revocation' })).status, 'ok');
  assert.equal((await chainCall(issuerKey, 'vcstatus', 'createList', { listId: 'kyc-hold', purpose: 'suspension' })).status, 'ok');
});
after(async () => {
  await app.close();
  await t.close();
  tmp.cleanup();
});

async function chainCall(key: KeyPair, module: string, method: string, args: Record<string, unknown>): Promise<Receipt> {
  const did = didFromPublicKey(key.publicKey);
  const { tx } = signTx(key, { chain: 'identity', module, method, args: args as JsonValue, nonce: t.chain.nonces(did).pendingNonce, expires: t.chain.height() + 100 });
  const [res] = await t.chain.submit([tx]);
  assert.equal(res!.accepted, true, JSON.stringify(res));
  const block = await t.chain.produceBlock((time += 1000));
  return block!.receipts[0]!;
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function credentialToIssue(index: number, issuer = issuerDid): JsonObject {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', UNDEFINED_TERMS],
    type: ['VerifiableCredential', 'KycCredential'],
    issuer,
    validFrom: '2024-01-01T00:00:00Z',
    credentialSubject: { id: keyPairSigner(holderKey).controller, kycLevel: 2, name: '张三' },
    credentialStatus: [
      { id: `${url}/v1/status-lists/kyc-rev#${index}`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(index), statusListCredential: `${url}/v1/status-lists/kyc-rev` },
      { id: `${url}/v1/status-lists/kyc-hold#${index}`, type: 'BitstringStatusListEntry', statusPurpose: 'suspension', statusListIndex: String(index), statusListCredential: `${url}/v1/status-lists/kyc-hold` },
    ],
  };
}

/**
 * How a verifier elsewhere checks it: did:shulian resolved over the node's state API, each answer's
 * state proof checked here against the identity chain's validators; status lists over HTTP,
 * trusting the node's status service.
 */
const provenResolver: KeyResolver = combineResolvers(didDocumentKeyResolver(async (did) => {
  const r = await resolveDid(httpStateSource(url), did, { proof: true });
  const check = verifyDidResolution(r, t.genesis.validators, { did, chain: 'identity' });
  if (!check.ok) throw new Error(`the node's answer for ${did} does not verify: ${check.reason}`);
  return r;
}, { where: 'the node, proofs checked' }), didKeyResolver());
const elsewhere = (vc: unknown) => verifyCredential(vc, {
  resolver: provenResolver, statusSource: httpStatusListSource(), trustedStatusIssuers: [didFromPublicKey(nodeKey.publicKey)],
});
const codes = (r: { errors: Array<{ code: string }> }) => r.errors.map((e) => e.code);

test('issue → verify → revoke on chain → verification fails as revoked, at the node and elsewhere', async () => {
  const issued = await post('/credentials/issue', { credential: credentialToIssue(1234) });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const vc = issued.body.verifiableCredential as JsonObject;
  assert.equal((vc.proof as JsonObject).cryptosuite, 'sm2-jcs-2024');
  // The issuer has a DID document: the proof names the key as the document does.
  assert.equal((vc.proof as JsonObject).verificationMethod, `${issuerDid}#key-1`);

  const ok = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.verified, true);
  assert.deepEqual(ok.body.checks, ['structure', 'contexts', 'jsonld', 'proof', 'issuer', 'validity', 'status']);
  const local = await elsewhere(vc);
  assert.deepEqual(local.errors, []);
  assert.equal(local.verified, true);

  // The status list as the node serves it: a BitstringStatusListCredential signed by the node.
  const listRes = await fetch(`${url}/v1/status-lists/kyc-rev`);
  assert.equal(listRes.status, 200);
  const list = (await listRes.json()) as JsonObject;
  assert.equal(list.issuer, didFromPublicKey(nodeKey.publicKey));
  assert.equal((list.credentialSubject as JsonObject).listController, issuerDid);

  const revoke = await chainCall(issuerKey, 'vcstatus', 'setStatus', { listId: 'kyc-rev', index: 1234, value: true });
  assert.equal(revoke.status, 'ok', String(revoke.message));

  const after = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(after.status, 400);
  assert.equal(after.body.verified, false);
  assert.deepEqual((after.body.error as JsonObject).code, 'REVOKED');
  assert.deepEqual((after.body.problemDetails as JsonObject[])[0]!.type, 'https://www.w3.org/TR/vc-bitstring-status-list#STATUS_VERIFICATION_ERROR');
  assert.deepEqual(codes(await elsewhere(vc)), ['REVOKED']);
  // Revocation is final: the issuer cannot clear the bit.
  assert.equal((await chainCall(issuerKey, 'vcstatus', 'setStatus', { listId: 'kyc-rev', index: 1234, value: false })).code, 'VCSTATUS_IRREVERSIBLE');
  assert.deepEqual(codes(await elsewhere(vc)), ['REVOKED']);
});

test('suspension is reversible; a non-issuer cannot set bits and changes nothing', async () => {
  const vc = (await post('/credentials/issue', { credential: credentialToIssue(77) })).body.verifiableCredential as JsonObject;
  assert.equal((await elsewhere(vc)).verified, true);
  const stranger = await chainCall(strangerKey, 'vcstatus', 'setStatus', { listId: 'kyc-hold', index: 77, value: true });
  assert.equal(stranger.status, 'failed');
  assert.equal(stranger.code, 'VCSTATUS_NOT_ISSUER');
  assert.equal((await elsewhere(vc)).verified, true);

  assert.equal((await chainCall(issuerKey, 'vcstatus', 'setStatus', { listId: 'kyc-hold', index: 77, value: true })).status, 'ok');
  const held = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(held.status, 400);
  assert.equal((held.body.error as JsonObject).code, 'SUSPENDED');
  assert.equal((await chainCall(issuerKey, 'vcstatus', 'setStatus', { listId: 'kyc-hold', index: 77, value: false })).status, 'ok');
  const back = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.equal((await elsewhere(vc)).verified, true);
});

test('presentations: a holder with no DID document signs by its self-certifying key; challenge and domain are checked', async () => {
  const vc = (await post('/credentials/issue', { credential: credentialToIssue(5) })).body.verifiableCredential as JsonObject;
  const holder = keyPairSigner(holderKey, { fragment: 'multikey' });
  const vp = await createPresentation({ verifiableCredential: vc }, holder, { challenge: 'n-0S6_WzA2Mj', domain: 'bank.example' });
  const ok = await post('/presentations/verify', { verifiablePresentation: vp, options: { challenge: 'n-0S6_WzA2Mj', domain: 'bank.example' } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.holder, holder.controller);
  assert.deepEqual((ok.body.credentialResults as JsonObject[]).map((c) => c.verified), [true]);
  const wrong = await post('/presentations/verify', { verifiablePresentation: vp, options: { challenge: 'replayed', domain: 'bank.example' } });
  assert.equal(wrong.status, 400);
  assert.equal((wrong.body.error as JsonObject).code, 'INVALID_CHALLENGE');
  const domain = await post('/presentations/verify', { verifiablePresentation: vp, options: { challenge: 'n-0S6_WzA2Mj', domain: 'evil.example' } });
  assert.equal((domain.body.error as JsonObject).code, 'INVALID_DOMAIN');
  // #key-1 of a DID with no document names no key: the node says so instead of guessing.
  const noDoc = await createPresentation({ verifiableCredential: vc }, keyPairSigner(holderKey), { challenge: 'n-1' });
  const r = await post('/presentations/verify', { verifiablePresentation: noDoc, options: { challenge: 'n-1' } });
  assert.equal((r.body.error as JsonObject).code, 'VERIFICATION_METHOD_NOT_FOUND');
  assert.match(String((r.body.error as JsonObject).message), /has no DID document on this node's identity chain.*shulian did create/);
});

test('bad requests get clear errors: tampered, expired, wrong issuer, malformed, JSON-LD, unknown list', async () => {
  const node = await post('/credentials/issue', { credential: { ...credentialToIssue(9), issuer: 'did:example:someone' } });
  assert.equal(node.status, 400);
  assert.equal((node.body.error as JsonObject).code, 'VC_ISSUER_MISMATCH');
  const malformed = await post('/credentials/issue', { credential: { ...credentialToIssue(12), credentialSubject: [] } });
  assert.equal(malformed.status, 400);
  assert.equal((malformed.body.error as JsonObject).code, 'VC_MALFORMED');
  assert.ok((malformed.body.problemDetails as JsonObject[]).length > 0);
  // VC Data Model 2.0 §5.2.1: a context redefining a protected term is refused by the issuer.
  const redefined = await post('/credentials/issue', { credential: { ...credentialToIssue(13), '@context': ['https://www.w3.org/ns/credentials/v2', { VerifiableCredential: 'https://evil.example/VC' }, UNDEFINED_TERMS] } });
  assert.equal(redefined.status, 400);
  assert.match(JSON.stringify(redefined.body.problemDetails), /PROTECTED_TERM_REDEFINED/);
  // A type no context maps (§4.5).
  const unmapped = await post('/credentials/issue', { credential: { ...credentialToIssue(14), '@context': ['https://www.w3.org/ns/credentials/v2'], credentialSubject: { id: 'did:example:x' } } });
  assert.match(JSON.stringify(unmapped.body.problemDetails), /INVALID_TYPE/);
  const badSuite = await post('/credentials/issue', { credential: credentialToIssue(15), options: { cryptosuite: 'eddsa-rdfc-2022' } });
  assert.equal(badSuite.status, 400);
  assert.match(String((badSuite.body.error as JsonObject).message), /needs an Ed25519 key/);
  const noBody = await post('/credentials/verify', { credential: {} });
  assert.equal(noBody.status, 400);
  assert.equal((noBody.body.error as JsonObject).code, 'BAD_REQUEST');

  const none = await fetch(`${url}/v1/status-lists/no-such-list`);
  assert.equal(none.status, 404);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'STATUS_LIST_NOT_FOUND');
});

test('a deactivated issuer: nothing it signed verifies, and the reason says so', async () => {
  const key = generateKeyPair('sm2');
  const did = didFromPublicKey(key.publicKey);
  assert.equal((await chainCall(key, 'did', 'create', { publicKeyMultibase: encodeMultikey('sm2', key.publicKey) })).status, 'ok');
  const { issueCredential } = await import('../src/did/index.ts');
  const { credentialStatus: _none, ...unsigned } = credentialToIssue(20, did);
  const vc = await issueCredential(unsigned, keyPairSigner(key));
  const first = await elsewhere(vc);
  assert.equal(first.verified, true, JSON.stringify(first.errors));
  assert.equal((await chainCall(key, 'did', 'deactivate', { did })).status, 'ok');
  const r = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal((r.body.error as JsonObject).code, 'VERIFICATION_METHOD_NOT_FOUND');
  assert.match(String((r.body.error as JsonObject).message), /deactivated/);
  const height = t.chain.height();
  await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(t.chain.height(), height, 'verification writes nothing');
});

test('a node without an issuer key refuses to issue; without an identity chain it says it cannot resolve did:shulian', async () => {
  const bare = (await import('fastify')).default();
  await registerVcRoutes(bare, { chain: () => undefined }, {});
  const res = await bare.inject({ method: 'POST', url: '/credentials/issue', payload: { credential: credentialToIssue(1) } });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'ISSUER_NOT_CONFIGURED');
  const list = await bare.inject({ method: 'GET', url: '/v1/status-lists/kyc-rev' });
  assert.equal(list.statusCode, 503);
  const { credentialStatus: _none, ...unsigned } = credentialToIssue(2);
  const vc = (await post('/credentials/issue', { credential: unsigned })).body.verifiableCredential;
  const v = await bare.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: vc } });
  assert.equal(v.json().error.code, 'VERIFICATION_METHOD_NOT_FOUND');
  assert.match(v.json().error.message, /hosts no identity chain/);
  await bare.close();
});

test('status-list URLs come from the node\'s public URL, never from the request\'s Host header (issue #13 item 11)', async () => {
  // Listening, with no public URL configured: the listen address, whatever Host the caller sends.
  const spoofed = await app.inject({ method: 'GET', url: '/v1/status-lists/kyc-rev', headers: { host: 'evil.example' } });
  assert.equal(spoofed.statusCode, 200);
  const list = spoofed.json<JsonObject>();
  assert.equal(list.id, `${url}/v1/status-lists/kyc-rev`);
  assert.ok(!JSON.stringify(list).includes('evil.example'), 'the signed list names no host the caller chose');
  // A configured public URL is used as is.
  const node = { did: didFromPublicKey(nodeKey.publicKey), chain: (id: string) => (id === 'identity' ? t.chain : undefined) };
  const pub = (await import('fastify')).default();
  await registerVcRoutes(pub, node, { statusSigner: nodeKey, publicUrl: 'https://node.example/' });
  try {
    const r = await pub.inject({ method: 'GET', url: '/v1/status-lists/kyc-rev', headers: { host: 'evil.example' } });
    assert.equal(r.json<JsonObject>().id, 'https://node.example/v1/status-lists/kyc-rev');
  } finally {
    await pub.close();
  }
});

test('keys the issuer\'s DID document does not grant are refused: another\'s key in the fragment, authentication-only keys, keys rotated out', async () => {
  const doc = async () => (await resolveDid(httpStateSource(url), issuerDid)).didDocument!;
  // A stranger's key named as the issuer's key: by id it is not the document's key; by value it is not listed.
  const { credentialStatus: _none, ...credential } = credentialToIssue(6);
  const { issueCredential } = await import('../src/did/index.ts');
  const impostor = keyPairSigner(strangerKey);
  for (const vm of [`${issuerDid}#key-1`, `${issuerDid}#${encodeMultikey('sm2', strangerKey.publicKey)}`]) {
    const forged = await issueCredential(credential, { ...impostor, controller: issuerDid, verificationMethod: vm });
    const r = await post('/credentials/verify', { verifiableCredential: forged });
    assert.equal(r.body.verified, false, vm);
    assert.ok(['PROOF_VERIFICATION_FAILED', 'VERIFICATION_METHOD_NOT_FOUND'].includes((r.body.error as JsonObject).code as string), JSON.stringify(r.body.error));
    assert.equal((await elsewhere(forged)).verified, false);
  }

  // A key the issuer adds for authentication only cannot sign credentials.
  const authOnly = generateKeyPair('sm2');
  assert.equal((await chainCall(issuerKey, 'did', 'addKey', { did: issuerDid, publicKeyMultibase: encodeMultikey('sm2', authOnly.publicKey), relationships: ['authentication'], id: 'login' })).status, 'ok');
  assert.deepEqual((await doc()).assertionMethod, [`${issuerDid}#key-1`]);
  const viaLogin = await issueCredential(credential, { ...keyPairSigner(authOnly), controller: issuerDid, verificationMethod: `${issuerDid}#login` });
  const login = await post('/credentials/verify', { verifiableCredential: viaLogin });
  assert.equal((login.body.error as JsonObject).code, 'VERIFICATION_METHOD_NOT_AUTHORIZED');
  assert.deepEqual(codes(await elsewhere(viaLogin)), ['VERIFICATION_METHOD_NOT_AUTHORIZED']);

  // Issued under key-1, then key-1 is rotated out: the document decides, by id and by value.
  const before = (await post('/credentials/issue', { credential })).body.verifiableCredential as JsonObject;
  const byValue = await issueCredential(credential, keyPairSigner(issuerKey, { fragment: 'multikey' }));
  assert.equal((await post('/credentials/verify', { verifiableCredential: byValue })).body.verified, true, 'the key by value, while the document lists it');
  const next = generateKeyPair('sm2');
  assert.equal((await chainCall(issuerKey, 'did', 'rotate', { did: issuerDid, publicKeyMultibase: encodeMultikey('sm2', next.publicKey), keyId: 'key-1' })).status, 'ok');
  for (const vc of [before, byValue]) {
    const r = await post('/credentials/verify', { verifiableCredential: vc });
    assert.equal((r.body.error as JsonObject).code, 'VERIFICATION_METHOD_NOT_FOUND');
    assert.match(String((r.body.error as JsonObject).message), /no current key #key-1|does not list the key/);
    assert.deepEqual(codes(await elsewhere(vc)), ['VERIFICATION_METHOD_NOT_FOUND']);
  }
  // The node itself now issues with the new key? No: it holds key-1, which no longer counts.
  const refused = await post('/credentials/issue', { credential });
  assert.equal(refused.status, 400);
  assert.equal((refused.body.error as JsonObject).code, 'VC_SIGNING_KEY_NOT_AUTHORIZED');
  // The rotated-in key signs, named as the document names it.
  const newId = (await doc()).assertionMethod![0]!;
  const fresh = await issueCredential(credential, { ...keyPairSigner(next), controller: issuerDid, verificationMethod: newId });
  assert.equal((await post('/credentials/verify', { verifiableCredential: fresh })).body.verified, true);
  assert.equal((await elsewhere(fresh)).verified, true);
});
