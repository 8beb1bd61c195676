/**
 * eddsa-rdfc-2022 against the test vector of Data Integrity EdDSA Cryptosuites v1.0 (Appendix B,
 * "Representation: eddsa-rdfc-2022"): the spec's key pair, credential and proof options must give
 * its canonical N-Quads, its hashData and its proofValue byte for byte; the signed credential
 * verifies, and any change to what it says breaks it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { toHex } from '../../codec/index.ts';
import { publicKeyFromPrivate } from '../../crypto/index.ts';
import {
  createProof, decodeEd25519SecretMultibase, didKeyResolver, hashData, keyPairSigner, rdfCanonical, staticKeyResolver,
  verifyCredential, verifyProofs, type JsonObject, type Signer,
} from './index.ts';

const ISSUER = 'https://vc.example/issuers/5678';
const SPEC = {
  secretKeyMultibase: 'z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq',
  credential: {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: 'urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33',
    type: ['VerifiableCredential', 'AlumniCredential'],
    name: 'Alumni Credential',
    description: 'A minimum viable example of an Alumni Credential.',
    issuer: ISSUER,
    validFrom: '2023-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
  } as JsonObject,
  created: '2023-02-24T23:36:38Z',
  verificationMethod: `${ISSUER}#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2`,
  canonicalProofConfig: [
    '_:c14n0 <http://purl.org/dc/terms/created> "2023-02-24T23:36:38Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
    '_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .',
    '_:c14n0 <https://w3id.org/security#cryptosuite> "eddsa-rdfc-2022"^^<https://w3id.org/security#cryptosuiteString> .',
    '_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .',
    '_:c14n0 <https://w3id.org/security#verificationMethod> <https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2> .',
    '',
  ].join('\n'),
  hashData: '4c4d3890a157f8d611b13c265c2c22f39aa0a567c7c7dd9ba3e45cd579784eeb517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017',
  proofValue: 'z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9',
};
const NOW = Date.parse('2024-01-01T00:00:00Z');

function specSigner(): Signer {
  const seed = decodeEd25519SecretMultibase(SPEC.secretKeyMultibase);
  const s = keyPairSigner({ suite: 'ed25519', privateKey: seed, publicKey: publicKeyFromPrivate('ed25519', seed) }, { didMethod: 'key' });
  return { ...s, verificationMethod: SPEC.verificationMethod, controller: ISSUER };
}

function signedSpecCredential(): JsonObject {
  return structuredClone({
    ...SPEC.credential,
    proof: {
      type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', created: SPEC.created, verificationMethod: SPEC.verificationMethod,
      proofPurpose: 'assertionMethod', proofValue: SPEC.proofValue,
    },
  });
}

/** The vector's key, bound to its issuer URL (the spec publishes no DID for it). */
async function specResolver() {
  const key = await didKeyResolver()('did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2');
  assert.ok(key);
  return staticKeyResolver({ [SPEC.verificationMethod]: { ...key, controller: ISSUER } });
}

test('eddsa-rdfc-2022: canonical proof configuration, hashData and proofValue match the specification byte for byte', async () => {
  const proofConfig: JsonObject = {
    type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', created: SPEC.created, verificationMethod: SPEC.verificationMethod,
    proofPurpose: 'assertionMethod', '@context': SPEC.credential['@context']!,
  };
  assert.equal(await rdfCanonical(proofConfig), SPEC.canonicalProofConfig);
  assert.equal(createHash('sha256').update(SPEC.canonicalProofConfig).digest('hex'), SPEC.hashData.slice(0, 64));
  assert.equal(toHex(await hashData('eddsa-rdfc-2022', SPEC.credential, proofConfig)), SPEC.hashData);

  const proof = await createProof(SPEC.credential, specSigner(), { cryptosuite: 'eddsa-rdfc-2022', created: SPEC.created });
  assert.equal(proof.proofValue, SPEC.proofValue);
  // Unlike the JCS suites, the RDFC suite writes no @context into the proof (§3.2.1).
  assert.deepEqual({ ...SPEC.credential, proof }, signedSpecCredential());
});

test('eddsa-rdfc-2022: the specification\'s signed credential verifies, and not once what it says changes', async () => {
  const resolver = await specResolver();
  const ok = await verifyCredential(signedSpecCredential(), { resolver, now: NOW });
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.checks, ['structure', 'contexts', 'jsonld', 'proof', 'issuer', 'validity']);

  const changed = signedSpecCredential();
  (changed.credentialSubject as JsonObject).alumniOf = 'Another School';
  const [bad] = await verifyProofs(changed, { resolver, now: NOW });
  assert.equal(bad!.errors[0]!.code, 'PROOF_VERIFICATION_FAILED');
  // Key order and JSON formatting are not part of the RDF graph: reordering keys changes nothing.
  const reordered = Object.fromEntries(Object.entries(signedSpecCredential()).reverse()) as JsonObject;
  assert.equal((await verifyCredential(reordered, { resolver, now: NOW })).verified, true);
  // The proof options are signed too.
  const purpose = signedSpecCredential();
  (purpose.proof as JsonObject).created = '2023-02-24T23:36:39Z';
  assert.equal((await verifyCredential(purpose, { resolver, now: NOW })).errors[0]!.code, 'PROOF_VERIFICATION_FAILED');
});

test('eddsa-rdfc-2022: a document RDF canonicalisation cannot take is refused at signing and fails verification with the reason', async () => {
  const undefinedTerm = { ...SPEC.credential, '@context': ['https://www.w3.org/ns/credentials/v2'] };
  await assert.rejects(createProof(undefinedTerm, specSigner(), { cryptosuite: 'eddsa-rdfc-2022' }), (err: Error & { code: string }) => {
    assert.equal(err.code, 'PROOF_GENERATION_ERROR');
    assert.match(err.message, /cannot be canonicalised for eddsa-rdfc-2022/);
    return true;
  });
  const signed = signedSpecCredential();
  const [r] = await verifyProofs({ ...signed, '@context': ['https://www.w3.org/ns/credentials/v2'] }, { resolver: await specResolver(), now: NOW });
  assert.equal(r!.errors[0]!.code, 'PROOF_TRANSFORMATION_FAILED');
  assert.match(r!.errors[0]!.message, /alumniOf|AlumniCredential/);
  // An SM2 key cannot sign for an EdDSA suite.
  const { generateKeyPair } = await import('../../crypto/index.ts');
  await assert.rejects(createProof(SPEC.credential, keyPairSigner(generateKeyPair('sm2')), { cryptosuite: 'eddsa-rdfc-2022' }), /needs a ed25519 key/);
});
