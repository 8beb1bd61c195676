/**
 * Verifiable credentials end to end: a real identity chain (LMDB) running the vcstatus module,
 * the node API with the VC-API routes on a real socket, status lists fetched over HTTP.
 * Issue → verify → the issuer revokes on chain → verification fails as revoked.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { generateKeyPair, didFromPublicKey, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Receipt } from '../src/ledger/index.ts';
import type { NodeView } from '../src/chain/index.ts';
import { buildApi } from '../src/api/index.ts';
import { registerVcRoutes } from '../src/api/routes/vc.ts';
import { builtinModules } from '../src/modules/index.ts';
import { vcstatusModule } from '../src/modules/vcstatus/index.ts';
import {
  createPresentation, httpStatusListSource, keyPairSigner, shulianKeyResolver, verifyCredential, type JsonObject,
} from '../src/did/vc/index.ts';
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
const nonces = new Map<string, number>();

before(async () => {
  tmp = tempDir();
  t = await openTestChain(tmp.dir, 'sm2', { chain: 'identity', modules: ['notary', 'vcstatus'] }, [...builtinModules, vcstatusModule]);
  const node: NodeView = {
    did: didFromPublicKey(nodeKey.publicKey), version: 'test', startedAt: Date.now(),
    chains: () => [t.chain], chain: (id) => (id === 'identity' ? t.chain : undefined),
    findTx: (hash) => {
      const inclusion = t.chain.getTx(hash);
      return inclusion ? { chain: t.chain, inclusion, pending: false } : undefined;
    },
    consensus: () => undefined,
  };
  app = await buildApi(node, { rateLimitPerMinute: 100_000, vc: { issuers: [issuerKey], statusSigner: nodeKey, resolver: shulianKeyResolver({ keys: [holderKey] }) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  assert.equal((await chainCall(issuerKey, 'createList', { listId: 'kyc-rev', purpose: 'revocation' })).status, 'ok');
  assert.equal((await chainCall(issuerKey, 'createList', { listId: 'kyc-hold', purpose: 'suspension' })).status, 'ok');
});
after(async () => {
  await app.close();
  await t.close();
  tmp.cleanup();
});

async function chainCall(key: KeyPair, method: string, args: Record<string, unknown>): Promise<Receipt> {
  const did = didFromPublicKey(key.publicKey);
  const nonce = nonces.get(did) ?? 0;
  nonces.set(did, nonce + 1);
  const { tx } = signTx(key, { chain: 'identity', module: 'vcstatus', method, args: args as never, nonce, expires: 10_000 });
  const [res] = await t.chain.submit([tx]);
  assert.equal(res!.accepted, true, JSON.stringify(res));
  const block = await t.chain.produceBlock((time += 1000));
  return block!.receipts[0]!;
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function credentialToIssue(index: number): JsonObject {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', 'KycCredential'],
    issuer: issuerDid,
    validFrom: '2024-01-01T00:00:00Z',
    credentialSubject: { id: keyPairSigner(holderKey).controller, kycLevel: 2, name: '张三' },
    credentialStatus: [
      { id: `${url}/v1/status-lists/kyc-rev#${index}`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(index), statusListCredential: `${url}/v1/status-lists/kyc-rev` },
      { id: `${url}/v1/status-lists/kyc-hold#${index}`, type: 'BitstringStatusListEntry', statusPurpose: 'suspension', statusListIndex: String(index), statusListCredential: `${url}/v1/status-lists/kyc-hold` },
    ],
  };
}

/** How a verifier elsewhere checks it: locally, status lists over HTTP, trusting the node's status service. */
const offline = (vc: unknown) => verifyCredential(vc, {
  resolver: shulianKeyResolver({ keys: [issuerKey] }), statusSource: httpStatusListSource(), trustedStatusIssuers: [didFromPublicKey(nodeKey.publicKey)],
});
const codes = (r: { errors: Array<{ code: string }> }) => r.errors.map((e) => e.code);

test('issue → verify → revoke on chain → verification fails as revoked', async () => {
  const issued = await post('/credentials/issue', { credential: credentialToIssue(1234) });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const vc = issued.body.verifiableCredential as JsonObject;
  assert.equal((vc.proof as JsonObject).cryptosuite, 'sm2-jcs-2024');

  const ok = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.verified, true);
  assert.deepEqual(ok.body.checks, ['structure', 'contexts', 'proof', 'issuer', 'validity', 'status']);
  const local = await offline(vc);
  assert.deepEqual(local.errors, []);
  assert.equal(local.verified, true);

  // The status list as the node serves it: a BitstringStatusListCredential signed by the node.
  const listRes = await fetch(`${url}/v1/status-lists/kyc-rev`);
  assert.equal(listRes.status, 200);
  const list = (await listRes.json()) as JsonObject;
  assert.equal(list.issuer, didFromPublicKey(nodeKey.publicKey));
  assert.equal((list.credentialSubject as JsonObject).listController, issuerDid);

  const revoke = await chainCall(issuerKey, 'setStatus', { listId: 'kyc-rev', index: 1234, value: true });
  assert.equal(revoke.status, 'ok', String(revoke.message));

  const after = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(after.status, 400);
  assert.equal(after.body.verified, false);
  assert.deepEqual((after.body.error as JsonObject).code, 'REVOKED');
  assert.deepEqual((after.body.problemDetails as JsonObject[])[0]!.type, 'https://www.w3.org/TR/vc-bitstring-status-list#STATUS_VERIFICATION_ERROR');
  assert.deepEqual(codes(await offline(vc)), ['REVOKED']);
  // Revocation is final: the issuer cannot clear the bit.
  assert.equal((await chainCall(issuerKey, 'setStatus', { listId: 'kyc-rev', index: 1234, value: false })).code, 'VCSTATUS_IRREVERSIBLE');
  assert.deepEqual(codes(await offline(vc)), ['REVOKED']);
});

test('suspension is reversible; a non-issuer cannot set bits and changes nothing', async () => {
  const vc = (await post('/credentials/issue', { credential: credentialToIssue(77) })).body.verifiableCredential as JsonObject;
  assert.equal((await offline(vc)).verified, true);
  const stranger = await chainCall(strangerKey, 'setStatus', { listId: 'kyc-hold', index: 77, value: true });
  assert.equal(stranger.status, 'failed');
  assert.equal(stranger.code, 'VCSTATUS_NOT_ISSUER');
  assert.equal((await offline(vc)).verified, true);

  assert.equal((await chainCall(issuerKey, 'setStatus', { listId: 'kyc-hold', index: 77, value: true })).status, 'ok');
  const held = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(held.status, 400);
  assert.equal((held.body.error as JsonObject).code, 'SUSPENDED');
  assert.equal((await chainCall(issuerKey, 'setStatus', { listId: 'kyc-hold', index: 77, value: false })).status, 'ok');
  const back = await post('/credentials/verify', { verifiableCredential: vc });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.equal((await offline(vc)).verified, true);
});

test('presentations: verified with the right challenge and domain, refused otherwise', async () => {
  const vc = (await post('/credentials/issue', { credential: credentialToIssue(5) })).body.verifiableCredential as JsonObject;
  const vp = await createPresentation({ verifiableCredential: vc }, keyPairSigner(holderKey), { challenge: 'n-0S6_WzA2Mj', domain: 'bank.example' });
  const ok = await post('/presentations/verify', { verifiablePresentation: vp, options: { challenge: 'n-0S6_WzA2Mj', domain: 'bank.example' } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.holder, keyPairSigner(holderKey).controller);
  assert.deepEqual((ok.body.credentialResults as JsonObject[]).map((c) => c.verified), [true]);
  const wrong = await post('/presentations/verify', { verifiablePresentation: vp, options: { challenge: 'replayed', domain: 'bank.example' } });
  assert.equal(wrong.status, 400);
  assert.equal((wrong.body.error as JsonObject).code, 'INVALID_CHALLENGE');
  const domain = await post('/presentations/verify', { verifiablePresentation: vp, options: { challenge: 'n-0S6_WzA2Mj', domain: 'evil.example' } });
  assert.equal((domain.body.error as JsonObject).code, 'INVALID_DOMAIN');
});

test('bad requests get clear errors: tampered, expired, wrong issuer, malformed, unknown list', async () => {
  const vc = (await post('/credentials/issue', { credential: credentialToIssue(9) })).body.verifiableCredential as JsonObject;
  const tampered = structuredClone(vc);
  (tampered.credentialSubject as JsonObject).kycLevel = 3;
  const t1 = await post('/credentials/verify', { verifiableCredential: tampered });
  assert.equal(t1.status, 400);
  assert.equal((t1.body.error as JsonObject).code, 'PROOF_VERIFICATION_FAILED');

  const expiring = { ...credentialToIssue(10), validUntil: '2024-06-01T00:00:00Z' };
  const expired = (await post('/credentials/issue', { credential: expiring })).body.verifiableCredential;
  const t2 = await post('/credentials/verify', { verifiableCredential: expired });
  assert.equal((t2.body.error as JsonObject).code, 'EXPIRED');

  const foreign = await post('/credentials/issue', { credential: { ...credentialToIssue(11), issuer: 'did:example:someone' } });
  assert.equal(foreign.status, 400);
  assert.equal((foreign.body.error as JsonObject).code, 'VC_ISSUER_MISMATCH');
  const malformed = await post('/credentials/issue', { credential: { ...credentialToIssue(12), credentialSubject: [] } });
  assert.equal(malformed.status, 400);
  assert.equal((malformed.body.error as JsonObject).code, 'VC_MALFORMED');
  assert.ok((malformed.body.problemDetails as JsonObject[]).length > 0);
  const noBody = await post('/credentials/verify', { credential: vc });
  assert.equal(noBody.status, 400);
  assert.equal((noBody.body.error as JsonObject).code, 'BAD_REQUEST');

  const none = await fetch(`${url}/v1/status-lists/no-such-list`);
  assert.equal(none.status, 404);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'STATUS_LIST_NOT_FOUND');
  const height = t.chain.height();
  await post('/credentials/verify', { verifiableCredential: tampered });
  assert.equal(t.chain.height(), height, 'verification writes nothing');
});

test('a node without an issuer key refuses to issue', async () => {
  const bare = (await import('fastify')).default();
  await registerVcRoutes(bare, { chain: () => undefined }, {});
  const res = await bare.inject({ method: 'POST', url: '/credentials/issue', payload: { credential: credentialToIssue(1) } });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'ISSUER_NOT_CONFIGURED');
  const list = await bare.inject({ method: 'GET', url: '/v1/status-lists/kyc-rev' });
  assert.equal(list.statusCode, 503);
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

// ---- interoperability with the peer library the bench measures against --------------------

interface Loaded { contextUrl: null; documentUrl: string; document: unknown }
/** Bundled contexts and local did:key documents; never the network. */
async function peerLoader(u: string): Promise<Loaded> {
  const { bundledContext } = await import('../src/did/vc/index.ts');
  const ctx = bundledContext(u);
  if (ctx) return { contextUrl: null, documentUrl: u, document: ctx };
  const [did, fragment] = u.split('#') as [string, string | undefined];
  if (!did.startsWith('did:key:z6Mk')) throw new Error(`no network in tests: ${u}`);
  const mb = did.slice('did:key:'.length);
  const vm = { id: `${did}#${mb}`, type: 'Multikey', controller: did, publicKeyMultibase: mb };
  if (fragment) return { contextUrl: null, documentUrl: u, document: { '@context': 'https://w3id.org/security/multikey/v1', ...vm } };
  return { contextUrl: null, documentUrl: u, document: { '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'], id: did, verificationMethod: [vm], assertionMethod: [vm.id], authentication: [vm.id] } };
}

test('interop with @digitalbazaar/vc on eddsa-jcs-2022: byte-identical proofs, and each verifies the other\'s credentials', async () => {
  type PeerResult = { verified: boolean };
  const dbVc = (await import('@digitalbazaar/vc' as string)) as {
    issue(o: unknown): Promise<JsonObject>;
    verifyCredential(o: unknown): Promise<PeerResult>;
  };
  const { DataIntegrityProof } = (await import('@digitalbazaar/data-integrity' as string)) as { DataIntegrityProof: new (o: unknown) => unknown };
  const jcs = (await import('@digitalbazaar/eddsa-jcs-2022-cryptosuite' as string)) as { createSignCryptosuite(): unknown; createVerifyCryptosuite(): unknown };
  const Ed25519Multikey = (await import('@digitalbazaar/ed25519-multikey' as string)) as { from(k: unknown): Promise<{ signer(): unknown }> };
  const { decodeEd25519SecretMultibase, didKeyResolver, issueCredential } = await import('../src/did/vc/index.ts');
  const { publicKeyFromPrivate } = await import('../src/crypto/index.ts');

  // The W3C EdDSA test-vector key pair, as a did:key issuer.
  const publicKeyMultibase = 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2';
  const secretKeyMultibase = 'z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq';
  const did = `did:key:${publicKeyMultibase}`;
  const seed = decodeEd25519SecretMultibase(secretKeyMultibase);
  const signer = keyPairSigner({ suite: 'ed25519', privateKey: seed, publicKey: publicKeyFromPrivate('ed25519', seed) }, { didMethod: 'key' });
  const credential: JsonObject = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: 'urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33', type: ['VerifiableCredential', 'AlumniCredential'],
    issuer: did, validFrom: '2023-01-01T00:00:00Z', credentialSubject: { id: 'did:example:abcdefgh', alumniOf: '浦江大学' },
  };
  const created = '2023-02-24T23:36:38Z';
  const keyPair = await Ed25519Multikey.from({ id: `${did}#${publicKeyMultibase}`, controller: did, publicKeyMultibase, secretKeyMultibase });
  const theirs = await dbVc.issue({
    credential: structuredClone(credential), documentLoader: peerLoader,
    suite: new DataIntegrityProof({ signer: keyPair.signer(), date: created, cryptosuite: jcs.createSignCryptosuite() }),
  });
  const ours = await issueCredential(structuredClone(credential), signer, { created });
  assert.equal((ours.proof as JsonObject).proofValue, (theirs.proof as JsonObject).proofValue);
  assert.deepEqual(ours, theirs);

  const verifySuite = new DataIntegrityProof({ cryptosuite: jcs.createVerifyCryptosuite() });
  assert.equal((await dbVc.verifyCredential({ credential: ours, suite: verifySuite, documentLoader: peerLoader })).verified, true);
  const mine = await verifyCredential(theirs, { resolver: didKeyResolver() });
  assert.deepEqual(mine.errors, []);
  const forged = structuredClone(ours);
  (forged.credentialSubject as JsonObject).alumniOf = 'Another School';
  assert.equal((await dbVc.verifyCredential({ credential: forged, suite: verifySuite, documentLoader: peerLoader })).verified, false);
  assert.equal((await verifyCredential(forged, { resolver: didKeyResolver() })).verified, false);
});

// ---- the CLI against the same node ---------------------------------------------------------

test('CLI: vc issue with a status entry, vc verify (node and --local), vc revoke from the credential', async () => {
  const { writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { writeKeystore } = await import('../src/crypto/index.ts');
  const { vcCommand } = await import('../src/cli/commands/vc.ts');
  const ks = join(tmp.dir, 'issuer.json');
  writeKeystore(ks, issuerKey, 'pw-for-tests', { scryptN: 1024 });
  process.env.VC_TEST_PASSWORD = 'pw-for-tests';
  const credFile = join(tmp.dir, 'cred.json');
  writeFileSync(credFile, JSON.stringify({ '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:bob', licence: 'B' } }));
  const out = join(tmp.dir, 'signed.json');

  /** Runs `shulian vc …` in-process, capturing stdout and the exit code. */
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: Record<string, unknown> | undefined }> {
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    let stdout = '';
    let stderr = '';
    process.stdout.write = ((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    const before = process.exitCode;
    process.exitCode = 0;
    // The CLI waits for blocks: produce them while it runs (this test chain has no consensus loop).
    const producer = setInterval(() => void t.chain.produceBlock((time += 1000)).catch(() => {}), 20);
    try {
      await vcCommand().exitOverride().parseAsync(args, { from: 'user' });
    } finally {
      clearInterval(producer);
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = before;
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(stdout) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { code, stdout, stderr, json };
  }

  const issued = await cli('issue', credFile, '--key', ks, '--password-env', 'VC_TEST_PASSWORD', '--status-list', 'kyc-rev', '--status-index', '4321', '--api', url, '--out', out, '--json');
  assert.equal(issued.code, 0, issued.stdout);
  assert.equal(issued.json?.issuer, issuerDid);
  const signed = JSON.parse(readFileSync(out, 'utf8')) as JsonObject;
  assert.equal((signed.credentialStatus as JsonObject).statusListCredential, `${url}/v1/status-lists/kyc-rev`);
  const twice = await cli('issue', credFile, '--key', ks, '--password-env', 'VC_TEST_PASSWORD', '--out', out);
  assert.equal(twice.code, 1, 'never overwrites');
  assert.match(twice.stderr, /exists; choose another --out/);

  const atNode = await cli('verify', out, '--api', url, '--json');
  assert.equal(atNode.code, 0, atNode.stdout);
  assert.equal(atNode.json?.verified, true);
  // --local cannot resolve did:shulian #key-1 without the chain: it says so.
  const local = await cli('verify', out, '--local', '--api', url, '--json');
  assert.equal(local.code, 1);
  assert.equal((local.json?.problems as Array<{ code: string }>)[0]!.code, 'VERIFICATION_METHOD_NOT_FOUND');

  const revoked = await cli('revoke', out, '--key', ks, '--password-env', 'VC_TEST_PASSWORD', '--api', url, '--json');
  assert.equal(revoked.code, 0, revoked.stdout);
  assert.deepEqual([revoked.json?.list, revoked.json?.index], ['kyc-rev', 4321]);
  const after = await cli('verify', out, '--api', url);
  assert.equal(after.code, 1);
  assert.match(after.stdout, /verified {3}NO\nproblem {4}REVOKED: credentialStatus: the credential was revoked by its issuer/);
  const again = await cli('revoke', out, '--key', ks, '--password-env', 'VC_TEST_PASSWORD', '--purpose', 'revocation', '--unset', '--api', url);
  assert.equal(again.code, 2, 'revocation cannot be undone: a usage error');
  assert.match(again.stderr, /revocation cannot be undone/);
});
