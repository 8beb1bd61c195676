/**
 * Interoperability with @digitalbazaar/vc (the library the W3C VC test suites are built on), for
 * eddsa-rdfc-2022 and eddsa-jcs-2022, against a real node (an Ed25519 embedded alliance: real
 * LMDB, real sockets):
 *  - a credential the node issues (POST /credentials/issue, as the operator, named #key-1 by its
 *    DID document) verifies with @digitalbazaar/vc, whose document loader resolves did:shulian
 *    through the node's DID Resolution HTTP binding;
 *  - a credential @digitalbazaar/vc issues for a did:shulian key recorded on the identity chain,
 *    or for a did:key, verifies on the node (POST /credentials/verify);
 *  - for the same key and time both sides produce the same proof, byte for byte.
 * The peer uses @digitalbazaar/data-integrity with @digitalbazaar/eddsa-rdfc-2022-cryptosuite and
 * @digitalbazaar/eddsa-jcs-2022-cryptosuite. Nothing is fetched from the network: contexts come
 * from the bundle.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toBase58, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, encodeMultikey, generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import { bundledContext, issueCredential, keyPairSigner, type JsonObject } from '../src/did/index.ts';
import { startNode, type RunningNode } from '../src/node/index.ts';
import { ShulianClient } from '../src/sdk/index.ts';
import { tempDir } from './helpers/tmp.ts';

type Suite = 'eddsa-rdfc-2022' | 'eddsa-jcs-2022';
const SUITES: Suite[] = ['eddsa-rdfc-2022', 'eddsa-jcs-2022'];
const UNDEFINED_TERMS = 'https://www.w3.org/ns/credentials/undefined-terms/v2';

interface Loaded { contextUrl: null; documentUrl: string; document: unknown }
interface PeerVc {
  issue(o: unknown): Promise<JsonObject>;
  verifyCredential(o: unknown): Promise<{ verified: boolean; error?: { errors?: Array<{ message: string }>; message?: string } }>;
}
interface PeerKey { signer(): unknown }

let tmp: { dir: string; cleanup: () => void };
let node: RunningNode;
let client: ShulianClient;
let peer: {
  vc: PeerVc;
  DataIntegrityProof: new (o: unknown) => unknown;
  sign(suite: Suite): unknown;
  verify(suite: Suite): unknown;
  key(o: { id: string; controller: string; publicKeyMultibase: string; secretKeyMultibase: string }): Promise<PeerKey>;
};

/** The peer's loader: bundled contexts, and did:shulian through the node's DID Resolution binding; never the network beyond the node. */
async function documentLoader(url: string): Promise<Loaded> {
  const ctx = bundledContext(url);
  if (ctx) return { contextUrl: null, documentUrl: url, document: ctx };
  if (url.startsWith('did:key:z6Mk')) {
    const [did, fragment] = url.split('#') as [string, string | undefined];
    const mb = did.slice('did:key:'.length);
    const vm = { id: `${did}#${mb}`, type: 'Multikey', controller: did, publicKeyMultibase: mb };
    if (fragment) return { contextUrl: null, documentUrl: url, document: { '@context': 'https://w3id.org/security/multikey/v1', ...vm } };
    return { contextUrl: null, documentUrl: url, document: { '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'], id: did, verificationMethod: [vm], assertionMethod: [vm.id] } };
  }
  if (url.startsWith('did:shulian:')) {
    const [did, fragment] = url.split('#') as [string, string | undefined];
    const res = await fetch(`${node.url}/1.0/identifiers/${encodeURIComponent(did)}`, { headers: { accept: 'application/did+ld+json' } });
    assert.equal(res.headers.get('content-type'), 'application/did+ld+json');
    if (res.status !== 200) throw new Error(`${did}: HTTP ${res.status}`);
    const doc = (await res.json()) as { '@context': unknown; verificationMethod?: Array<{ id: string }> };
    if (fragment === undefined) return { contextUrl: null, documentUrl: url, document: doc };
    const vm = doc.verificationMethod?.find((m) => m.id === url);
    if (!vm) throw new Error(`${url} is not in ${did}'s document`);
    return { contextUrl: null, documentUrl: url, document: { '@context': doc['@context'], ...vm } };
  }
  throw new Error(`no network in tests: ${url}`);
}

/** The secret-key Multikey of an Ed25519 seed (ed25519-priv, 0x1300). */
const secretMultibase = (k: KeyPair): string => 'z' + toBase58(Uint8Array.from([0x80, 0x26, ...k.privateKey]));

async function recordDid(key: KeyPair): Promise<string> {
  const hash = await client.send('identity', key, { module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey('ed25519', key.publicKey) } });
  const inc = await client.waitForTx(hash, { timeoutMs: 60_000 });
  assert.equal(inc.receipt.status, 'ok', String(inc.receipt.message ?? inc.receipt.code));
  return didFromPublicKey(key.publicKey);
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(node.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const credential = (issuer: string): JsonObject => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', UNDEFINED_TERMS],
  id: 'urn:uuid:6f1e6c1a-3c4b-4b8e-9d1f-2a7c5e9b0d13',
  type: ['VerifiableCredential', 'ResidencyCredential'],
  issuer,
  validFrom: '2025-01-01T00:00:00Z',
  name: { '@value': '居住证明', '@language': 'zh-CN' },
  credentialSubject: { id: 'did:example:resident', residentOf: '上海市浦东新区' },
});

before(async () => {
  tmp = tempDir('shulian-vc-interop-');
  node = await startNode({ dataDir: tmp.dir, port: 0, suite: 'ed25519', log: () => {}, gateway: false });
  client = new ShulianClient({ baseUrl: node.url });
  const vc = (await import('@digitalbazaar/vc' as string)) as PeerVc;
  const { DataIntegrityProof } = (await import('@digitalbazaar/data-integrity' as string)) as { DataIntegrityProof: new (o: unknown) => unknown };
  const jcs = (await import('@digitalbazaar/eddsa-jcs-2022-cryptosuite' as string)) as { createSignCryptosuite(): unknown; createVerifyCryptosuite(): unknown };
  const Ed25519Multikey = (await import('@digitalbazaar/ed25519-multikey' as string)) as { from(k: unknown): Promise<PeerKey> };
  const { cryptosuite: rdfc } = (await import('@digitalbazaar/eddsa-rdfc-2022-cryptosuite' as string)) as { cryptosuite: unknown };
  peer = {
    vc, DataIntegrityProof,
    sign: (s) => (s === 'eddsa-rdfc-2022' ? rdfc : jcs.createSignCryptosuite()),
    verify: (s) => (s === 'eddsa-rdfc-2022' ? rdfc : jcs.createVerifyCryptosuite()),
    key: (o) => Ed25519Multikey.from(o),
  };
  // The operator (the node key, Ed25519 on this alliance) records its DID document.
  await recordDid(node.node.key);
});
after(async () => {
  await node.close();
  tmp.cleanup();
});

const peerVerify = (vc: unknown, suite: Suite) => peer.vc.verifyCredential({ credential: vc, suite: new peer.DataIntegrityProof({ cryptosuite: peer.verify(suite) }), documentLoader });

for (const suite of SUITES) {
  test(`${suite}: a credential the node issues verifies with @digitalbazaar/vc (did:shulian resolved through the node), and not once changed`, async () => {
    const issued = await post('/credentials/issue', { credential: credential(node.did), options: { cryptosuite: suite } });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    const vc = issued.body.verifiableCredential as JsonObject;
    const proof = vc.proof as JsonObject;
    assert.deepEqual([proof.cryptosuite, proof.verificationMethod], [suite, `${node.did}#key-1`]);
    assert.equal('@context' in proof, suite === 'eddsa-jcs-2022', 'only the JCS suite carries @context in the proof');
    const theirs = await peerVerify(vc, suite);
    assert.equal(theirs.verified, true, JSON.stringify(theirs.error?.errors?.map((e) => e.message) ?? theirs.error?.message));
    const changed = structuredClone(vc);
    (changed.credentialSubject as JsonObject).residentOf = '上海市黄浦区';
    assert.equal((await peerVerify(changed, suite)).verified, false);
  });

  test(`${suite}: a credential @digitalbazaar/vc issues verifies on the node, for a did:shulian key on the identity chain and for a did:key`, async () => {
    const key = generateKeyPair('ed25519');
    const did = await recordDid(key);
    const publicKeyMultibase = encodeMultikey('ed25519', key.publicKey);
    for (const [issuer, vmId] of [[did, `${did}#key-1`], [`did:key:${publicKeyMultibase}`, `did:key:${publicKeyMultibase}#${publicKeyMultibase}`]] as const) {
      const keyPair = await peer.key({ id: vmId, controller: issuer, publicKeyMultibase, secretKeyMultibase: secretMultibase(key) });
      const theirs = await peer.vc.issue({
        credential: credential(issuer), documentLoader,
        suite: new peer.DataIntegrityProof({ signer: keyPair.signer(), date: '2025-01-02T03:04:05Z', cryptosuite: peer.sign(suite) }),
      });
      const r = await post('/credentials/verify', { verifiableCredential: theirs });
      assert.equal(r.status, 200, `${issuer}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.checks, ['structure', 'contexts', 'jsonld', 'proof', 'issuer', 'validity']);
      // Both sides make the same proof for the same key and time (Ed25519 is deterministic).
      const ours = await issueCredential(credential(issuer), { ...keyPairSigner(key), controller: issuer, verificationMethod: vmId }, { cryptosuite: suite, created: '2025-01-02T03:04:05Z' });
      assert.deepEqual(ours, theirs);
      const forged = structuredClone(theirs);
      (forged.credentialSubject as JsonObject).residentOf = 'elsewhere';
      const bad = await post('/credentials/verify', { verifiableCredential: forged as JsonValue });
      assert.equal((bad.body.error as JsonObject).code, 'PROOF_VERIFICATION_FAILED');
    }
  });
}
