import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalBytes, toHex } from '../../codec/index.ts';
import { generateKeyPair, sm3, verify, type KeyPair, type Suite } from '../../crypto/index.ts';
import {
  createProof, didKeyResolver, fromMultibase58, hashData, issueCredential,
  keyPairSigner, shulianKeyResolver, staticKeyResolver, verifyCredential, type JsonObject, type KeyResolver, type VerifiableCredential,
} from './index.ts';
import { compressSm2, decodeMultikey, decompressSm2, encodeMultikey } from './multikey.ts';

const NOW = Date.parse('2025-06-01T00:00:00Z');

function credentialFor(issuer: string, extra: JsonObject = {}): JsonObject {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: 'urn:uuid:1f0f1b8e-0c2e-4a7a-9d1e-6a0b1f2c3d4e',
    type: ['VerifiableCredential', 'ExampleDegreeCredential'],
    issuer,
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:holder', degree: { type: 'ExampleBachelorDegree', name: '计算机科学学士' } },
    ...extra,
  };
}

async function issued(key: KeyPair, extra: JsonObject = {}): Promise<{ vc: VerifiableCredential; resolver: KeyResolver }> {
  const signer = keyPairSigner(key);
  const vc = await issueCredential(credentialFor(signer.controller, extra), signer, { created: '2025-01-01T00:00:00Z' });
  return { vc, resolver: shulianKeyResolver({ keys: [key] }) };
}

const codes = (r: { errors: Array<{ code: string }> }) => r.errors.map((e) => e.code);

for (const suite of ['sm2', 'ed25519'] as Suite[]) {
  const cs = suite === 'sm2' ? 'sm2-jcs-2024' : 'eddsa-jcs-2022';
  test(`${cs}: a did:shulian issuer's credential verifies`, async () => {
    const key = generateKeyPair(suite);
    const { vc, resolver } = await issued(key);
    const proof = vc.proof as JsonObject;
    assert.equal(proof.cryptosuite, cs);
    assert.equal(proof.proofPurpose, 'assertionMethod');
    assert.match(proof.verificationMethod as string, /^did:shulian:[1-9A-Za-z]+#key-1$/);
    const r = await verifyCredential(vc, { resolver, now: NOW });
    assert.deepEqual(r.errors, []);
    assert.equal(r.verified, true);
    assert.deepEqual(r.checks, ['structure', 'contexts', 'jsonld', 'proof', 'issuer', 'validity']);
    // Without the key, #key-1 of a did:shulian cannot be resolved offline.
    const unknown = await verifyCredential(vc, { resolver: shulianKeyResolver(), now: NOW });
    assert.deepEqual(codes(unknown), ['VERIFICATION_METHOD_NOT_FOUND']);
  });

  test(`${cs}: a self-certifying verification method verifies with no key lookup`, async () => {
    const key = generateKeyPair(suite);
    const signer = keyPairSigner(key, { fragment: 'multikey' });
    assert.equal(signer.verificationMethod, `${signer.controller}#${encodeMultikey(suite, key.publicKey)}`);
    const vc = await issueCredential(credentialFor(signer.controller), signer);
    const r = await verifyCredential(vc, { resolver: shulianKeyResolver(), now: Date.now() });
    assert.equal(r.verified, true, JSON.stringify(r.errors));
    // A key in the fragment that does not derive to the DID is not that DID's key.
    const impostor = generateKeyPair(suite);
    const forged = await issueCredential(credentialFor(signer.controller), { ...signer, verificationMethod: `${signer.controller}#${encodeMultikey(suite, impostor.publicKey)}`, sign: keyPairSigner(impostor).sign });
    assert.deepEqual(codes(await verifyCredential(forged, { resolver: shulianKeyResolver(), now: Date.now() })), ['VERIFICATION_METHOD_NOT_FOUND']);
  });
}

test('sm2-jcs-2024: hashData is SM3(JCS(proof config)) ‖ SM3(JCS(document)) and the SM2 signature covers exactly it', async () => {
  const key = generateKeyPair('sm2');
  const { vc } = await issued(key);
  const { proof, ...doc } = vc as unknown as JsonObject;
  const { proofValue, ...config } = proof as JsonObject;
  const expected = Buffer.concat([sm3(canonicalBytes(config)), sm3(canonicalBytes(doc))]);
  assert.equal(toHex(await hashData('sm2-jcs-2024', doc, config)), expected.toString('hex'));
  const sig = fromMultibase58(proofValue as string);
  assert.equal(sig.length, 64);
  assert.equal(verify('sm2', key.publicKey, expected, sig), true);
  assert.deepEqual(config['@context'], doc['@context'], 'the proof configuration carries the document @context');
});

test('SM2 Multikeys are the compressed point under sm2-pub and decode back to the key', () => {
  for (let i = 0; i < 20; i++) {
    const { publicKey } = generateKeyPair('sm2');
    const mb = encodeMultikey('sm2', publicKey);
    assert.equal(fromMultibase58(mb).length, 2 + 33);
    const decoded = decodeMultikey(mb);
    assert.deepEqual([decoded.suite, decoded.publicKey], ['sm2', publicKey]);
    assert.deepEqual(decompressSm2(compressSm2(publicKey)), publicKey);
  }
  const notOnCurve = new Uint8Array(33).fill(0xff);
  notOnCurve[0] = 0x02;
  assert.throws(() => decompressSm2(notOnCurve), /curve|field/);
  assert.throws(() => decodeMultikey('z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc'), { name: 'MultikeyError' }); // an X25519 key
});

test('a tampered credential fails with PROOF_VERIFICATION_FAILED', async () => {
  const key = generateKeyPair('sm2');
  const { vc, resolver } = await issued(key);
  const tampered = structuredClone(vc) as unknown as JsonObject;
  (tampered.credentialSubject as JsonObject).degree = { type: 'ExampleDoctorate', name: 'PhD' };
  const r = await verifyCredential(tampered, { resolver, now: NOW });
  assert.equal(r.verified, false);
  assert.deepEqual(codes(r), ['PROOF_VERIFICATION_FAILED']);
  assert.match(r.errors[0]!.message, /changed after signing/);
  const added = { ...structuredClone(vc), extra: 'claim' };
  assert.deepEqual(codes(await verifyCredential(added, { resolver, now: NOW })), ['PROOF_VERIFICATION_FAILED']);
});

test('a tampered proof fails: changed options, corrupted or missing proofValue', async () => {
  const key = generateKeyPair('ed25519');
  const { vc, resolver } = await issued(key);
  const created = structuredClone(vc);
  (created.proof as JsonObject).created = '2025-01-02T00:00:00Z';
  assert.deepEqual(codes(await verifyCredential(created, { resolver, now: NOW })), ['PROOF_VERIFICATION_FAILED']);
  const flipped = structuredClone(vc);
  const pv = (flipped.proof as JsonObject).proofValue as string;
  (flipped.proof as JsonObject).proofValue = pv.slice(0, 10) + (pv[10] === 'A' ? 'B' : 'A') + pv.slice(11);
  assert.deepEqual(codes(await verifyCredential(flipped, { resolver, now: NOW })), ['PROOF_VERIFICATION_FAILED']);
  const short = structuredClone(vc);
  (short.proof as JsonObject).proofValue = 'z3Zbk';
  assert.deepEqual(codes(await verifyCredential(short, { resolver, now: NOW })), ['MALFORMED_PROOF']);
  const none = structuredClone(vc);
  delete (none.proof as JsonObject).proofValue;
  const r = await verifyCredential(none, { resolver, now: NOW });
  assert.deepEqual(codes(r), ['MALFORMED_PROOF']);
  assert.match(r.errors[0]!.message, /no signature/);
  const { proof: _p, ...unsigned } = vc;
  assert.deepEqual(codes(await verifyCredential(unsigned, { resolver, now: NOW })), ['PROOF_MISSING']);
});

test('the wrong key fails: another key under the same method, or another issuer\'s key', async () => {
  const key = generateKeyPair('sm2');
  const { vc } = await issued(key);
  const vm = (vc.proof as JsonObject).verificationMethod as string;
  const otherKey = generateKeyPair('sm2');
  const lying = staticKeyResolver({ [vm]: { controller: vc.issuer as string, publicKey: otherKey.publicKey, suite: 'sm2' } });
  assert.deepEqual(codes(await verifyCredential(vc, { resolver: lying, now: NOW })), ['PROOF_VERIFICATION_FAILED']);
  // The proof names its verification method, so pointing it at another DID's key breaks it too.
  const other = keyPairSigner(otherKey);
  const moved = structuredClone(vc);
  (moved.proof as JsonObject).verificationMethod = other.verificationMethod;
  moved.issuer = other.controller;
  assert.deepEqual(codes(await verifyCredential(moved, { resolver: shulianKeyResolver({ keys: [key, otherKey] }), now: NOW })), ['PROOF_VERIFICATION_FAILED']);
});

test('issuer binding: a valid proof by a key the issuer does not control is ISSUER_MISMATCH', async () => {
  const mallory = generateKeyPair('sm2');
  const victim = keyPairSigner(generateKeyPair('sm2')).controller;
  const msigner = keyPairSigner(mallory);
  const proof = await createProof(credentialFor(victim), msigner, { created: '2025-01-01T00:00:00Z' });
  const r = await verifyCredential({ ...credentialFor(victim), proof }, { resolver: shulianKeyResolver({ keys: [mallory] }), now: NOW });
  assert.deepEqual(codes(r), ['ISSUER_MISMATCH']);
  await assert.rejects(issueCredential(credentialFor(victim), msigner), { code: 'VC_ISSUER_MISMATCH' });
});

test('the wrong cryptosuite fails: a suite the key does not fit, or an unknown one', async () => {
  const key = generateKeyPair('ed25519');
  const { vc, resolver } = await issued(key);
  const swapped = structuredClone(vc);
  (swapped.proof as JsonObject).cryptosuite = 'sm2-jcs-2024';
  const r = await verifyCredential(swapped, { resolver, now: NOW });
  assert.deepEqual(codes(r), ['KEY_SUITE_MISMATCH']);
  assert.match(r.errors[0]!.message, /needs an SM2 key/);
  const unknown = structuredClone(vc);
  (unknown.proof as JsonObject).cryptosuite = 'ecdsa-jcs-2019';
  assert.deepEqual(codes(await verifyCredential(unknown, { resolver, now: NOW })), ['UNSUPPORTED_CRYPTOSUITE']);
  const legacy = structuredClone(vc);
  (legacy.proof as JsonObject).type = 'Ed25519Signature2020';
  assert.deepEqual(codes(await verifyCredential(legacy, { resolver, now: NOW })), ['UNSUPPORTED_CRYPTOSUITE']);
  await assert.rejects(createProof(credentialFor('x:y'), keyPairSigner(key), { cryptosuite: 'sm2-jcs-2024' }), { code: 'PROOF_GENERATION_ERROR' });
});

test('the wrong proof purpose fails with PROOF_PURPOSE_MISMATCH', async () => {
  const key = generateKeyPair('sm2');
  const signer = keyPairSigner(key);
  const doc = credentialFor(signer.controller);
  const proof = await createProof(doc, signer, { proofPurpose: 'authentication', created: '2025-01-01T00:00:00Z' });
  const r = await verifyCredential({ ...doc, proof }, { resolver: shulianKeyResolver({ keys: [key] }), now: NOW });
  assert.deepEqual(codes(r), ['PROOF_PURPOSE_MISMATCH']);
  assert.match(r.errors[0]!.message, /authentication, but assertionMethod is required/);
  // A resolver that limits the key's relationships is obeyed.
  const { vc } = await issued(key);
  const vm = (vc.proof as JsonObject).verificationMethod as string;
  const authOnly = staticKeyResolver({ [vm]: { controller: signer.controller, publicKey: key.publicKey, suite: 'sm2', relationships: ['authentication'] } });
  assert.deepEqual(codes(await verifyCredential(vc, { resolver: authOnly, now: NOW })), ['VERIFICATION_METHOD_NOT_AUTHORIZED']);
});

test('validity period: validFrom in the future and validUntil in the past fail at the given time', async () => {
  const key = generateKeyPair('sm2');
  const { vc, resolver } = await issued(key, { validFrom: '2025-03-01T00:00:00Z', validUntil: '2025-09-01T00:00:00+08:00' });
  assert.equal((await verifyCredential(vc, { resolver, now: Date.parse('2025-06-01T00:00:00Z') })).verified, true);
  const early = await verifyCredential(vc, { resolver, now: Date.parse('2025-02-28T23:59:59Z') });
  assert.deepEqual(codes(early), ['NOT_YET_VALID']);
  assert.match(early.errors[0]!.message, /valid from 2025-03-01T00:00:00Z/);
  const late = await verifyCredential(vc, { resolver, now: new Date('2025-08-31T16:00:01Z') });
  assert.deepEqual(codes(late), ['EXPIRED']);
  assert.equal(late.errors[0]!.path, 'validUntil');
  assert.equal((await verifyCredential(vc, { resolver, now: Date.parse('2025-08-31T16:00:00Z') })).verified, true, 'validUntil itself is still valid');
  // The default time is the clock: this credential expired in 2025.
  assert.deepEqual(codes(await verifyCredential(vc, { resolver })), ['EXPIRED']);
  const created = await createProof(credentialFor(keyPairSigner(key).controller), keyPairSigner(key), { created: '2030-01-01T00:00:00Z' });
  assert.deepEqual(codes(await verifyCredential({ ...credentialFor(keyPairSigner(key).controller), proof: created }, { resolver, now: NOW })), ['PROOF_CREATED_IN_FUTURE']);
  const expiring = await createProof(credentialFor(keyPairSigner(key).controller), keyPairSigner(key), { created: '2025-01-01T00:00:00Z', expires: '2025-02-01T00:00:00Z' });
  assert.deepEqual(codes(await verifyCredential({ ...credentialFor(keyPairSigner(key).controller), proof: expiring }, { resolver, now: NOW })), ['PROOF_EXPIRED']);
});

test('contexts: unknown URLs are refused unless configured; the VC 2.0 context comes first', async () => {
  const key = generateKeyPair('ed25519');
  const signer = keyPairSigner(key, { didMethod: 'key' });
  const ctx = ['https://www.w3.org/ns/credentials/v2', 'https://schema.example/ctx/v1'];
  await assert.rejects(issueCredential(credentialFor(signer.controller, { '@context': ctx }), signer), (err: Error & { code: string }) => {
    assert.equal(err.code, 'VC_MALFORMED');
    assert.match(err.message, /@context\[1\]: context "https:\/\/schema.example\/ctx\/v1" is not bundled/);
    return true;
  });
  const contexts = { extraContexts: ['https://schema.example/ctx/v1'] };
  const vc = await issueCredential(credentialFor(signer.controller, { '@context': ctx }), signer, { contexts, created: null });
  assert.deepEqual(codes(await verifyCredential(vc, { resolver: didKeyResolver(), now: NOW })), ['UNKNOWN_CONTEXT']);
  assert.equal((await verifyCredential(vc, { resolver: didKeyResolver(), now: NOW, contexts })).verified, true);
  const v1 = await verifyCredential({ ...vc, '@context': ['https://www.w3.org/2018/credentials/v1'] }, { resolver: didKeyResolver(), now: NOW });
  assert.deepEqual(codes(v1), ['MALFORMED_CREDENTIAL']);
  assert.match(v1.errors[0]!.message, /first @context must be/);
  const inline = await issueCredential(credentialFor(signer.controller, { '@context': ['https://www.w3.org/ns/credentials/v2', { '@vocab': 'https://example.org/#' }] }), signer, { created: null });
  assert.equal((await verifyCredential(inline, { resolver: didKeyResolver(), now: NOW })).verified, true);
});

test('malformed credentials are refused at issuance and fail verification with the path at fault', async () => {
  const signer = keyPairSigner(generateKeyPair('sm2'));
  const cases: Array<[JsonObject, string, RegExp]> = [
    [{ credentialSubject: {} }, 'credentialSubject', /at least one claim|empty/],
    [{ issuer: 'not a url' }, 'issuer', /URL/],
    [{ validFrom: '2025-02-30T00:00:00Z' }, 'validFrom', /dateTimeStamp/],
    [{ validFrom: '2025-01-01T00:00:00' }, 'validFrom', /dateTimeStamp/],
    [{ type: ['ExampleDegreeCredential'] }, 'type', /VerifiableCredential/],
    [{ validFrom: '2025-05-01T00:00:00Z', validUntil: '2025-04-01T00:00:00Z' }, 'validUntil', /before validFrom/],
    [{ credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: 5, statusListCredential: 'https://x.example/1' } }, 'credentialStatus.statusListIndex', /string/],
  ];
  for (const [extra, path, message] of cases) {
    const doc = credentialFor(signer.controller, extra);
    await assert.rejects(issueCredential(doc, signer), (err: Error & { code: string; details: { problems: Array<{ path: string; message: string }> } }) => {
      assert.equal(err.code, 'VC_MALFORMED');
      const p = err.details.problems.find((x) => x.path === path);
      assert.ok(p, `${path} named in ${err.message}`);
      assert.match(p.message, message);
      return true;
    });
    const r = await verifyCredential({ ...doc, proof: {} }, { resolver: shulianKeyResolver(), now: NOW });
    assert.equal(r.verified, false);
    assert.ok(r.errors.some((e) => e.code === 'MALFORMED_CREDENTIAL' && e.path === path), JSON.stringify(r.errors));
  }
});

test('sm2-jcs-2024: the test vector in docs/credentials.md (GB/T 32918 example key) verifies, with both SM2 backends', async () => {
  const { fromHex } = await import('../../codec/index.ts');
  const { publicKeyFromPrivate, sm2js, sm2native } = await import('../../crypto/index.ts');
  const d = fromHex('3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
  const publicKey = publicKeyFromPrivate('sm2', d);
  assert.equal(toHex(publicKey), '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13');
  assert.equal(encodeMultikey('sm2', publicKey), 'zEPJcGHUVYyrGAXXGQhLF39KAny4ojC9RPmA777H2iVztKwBd');
  const did = 'did:shulian:4DNRUun8835XtgW2B9PBHzi51yin';
  const vc: JsonObject = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: 'urn:uuid:0b6c1f1e-6d2a-4c4e-9a53-3f0c2b9e7a11',
    type: ['VerifiableCredential', 'ExampleResidencyCredential'],
    issuer: did,
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:zhangsan', residentOf: '上海市' },
    proof: {
      type: 'DataIntegrityProof', cryptosuite: 'sm2-jcs-2024', created: '2025-01-01T08:00:00Z', verificationMethod: `${did}#key-1`,
      proofPurpose: 'assertionMethod', '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
      proofValue: 'z31UYw7br8mNeFnSt2ezavvfbwvJrcfdrZkq3FvnvwR3vuhQpTRZgTXgExAWMqSg4z6Dc9tBrFdiAZYA6N2zDwh3r',
    },
  };
  const { proof, ...doc } = vc;
  const { proofValue, ...config } = proof as JsonObject;
  const data = await hashData('sm2-jcs-2024', doc, config);
  assert.equal(toHex(data), '7b74838c3c9161ec350fc1af561751516bff52b72d30c78617011d658b507903' + '28c60a12cf6efdeff2fef23b7efe01d28b6382706e6798fa904f0a313e80fe62');
  const sig = fromMultibase58(proofValue as string);
  assert.equal(toHex(sig), '6471918d48bf7d53026df2fe6d41c10b82ef15c27e0c29fa8448d292758e99e4ebd0dfd212d25f9921bed48f8eee42be58f1908a6885876ba5c11619c1547dd5');
  assert.equal(sm2js.verify(publicKey, data, sig), true);
  if (sm2native) assert.equal(sm2native.verify(publicKey, data, sig), true);
  const r = await verifyCredential(vc, { resolver: shulianKeyResolver({ keys: [publicKey] }), now: NOW });
  assert.deepEqual(r.errors, []);
  const other = structuredClone(vc);
  (other.credentialSubject as JsonObject).residentOf = '北京市';
  assert.deepEqual(codes(await verifyCredential(other, { resolver: shulianKeyResolver({ keys: [publicKey] }), now: NOW })), ['PROOF_VERIFICATION_FAILED']);
});
