/**
 * eddsa-jcs-2022 against the test vector of Data Integrity EdDSA Cryptosuites v1.0 (W3C
 * Recommendation, Appendix B "Representation: eddsa-jcs-2022"): the spec's key pair, credential
 * and proof options must give its intermediate values and its proofValue byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize, toHex } from '../../codec/index.ts';
import { publicKeyFromPrivate, sha256 } from '../../crypto/index.ts';
import {
  createProof, decodeEd25519SecretMultibase, didKeyResolver, fromMultibase58, hashData, keyPairSigner,
  staticKeyResolver, verifyCredential, verifyProofs, type JsonObject, type Signer,
} from './index.ts';
import { encodeMultikey } from './multikey.ts';

const SPEC = {
  publicKeyMultibase: 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
  secretKeyMultibase: 'z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq',
  credential: {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: 'urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33',
    type: ['VerifiableCredential', 'AlumniCredential'],
    name: 'Alumni Credential',
    description: 'A minimum viable example of an Alumni Credential.',
    issuer: 'https://vc.example/issuers/5678',
    validFrom: '2023-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
  } as JsonObject,
  created: '2023-02-24T23:36:38Z',
  verificationMethod: 'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
  canonicalDocument: '{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678","name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}',
  documentHash: '59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19',
  canonicalProofConfig: '{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}',
  proofConfigHash: '66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db',
  signatureHex: '407cd12654b33d718ecbb99179a1506daaa849450bf3fc523cce3e1c96f8b80351da3f253d725c6f00b07c9e5448d50b3ef78012b9ab54255116d069c6dd2808',
  proofValue: 'z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX',
};

function specSigner(): Signer {
  const seed = decodeEd25519SecretMultibase(SPEC.secretKeyMultibase);
  const key = { suite: 'ed25519' as const, privateKey: seed, publicKey: publicKeyFromPrivate('ed25519', seed) };
  const s = keyPairSigner(key, { didMethod: 'key' });
  assert.equal(s.verificationMethod, SPEC.verificationMethod);
  return s;
}

function signedSpecCredential(): JsonObject {
  return structuredClone({
    ...SPEC.credential,
    proof: {
      type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', created: SPEC.created, verificationMethod: SPEC.verificationMethod,
      proofPurpose: 'assertionMethod', '@context': SPEC.credential['@context']!, proofValue: SPEC.proofValue,
    },
  });
}

test('the spec key pair decodes to the spec public key', () => {
  const seed = decodeEd25519SecretMultibase(SPEC.secretKeyMultibase);
  assert.equal(encodeMultikey('ed25519', publicKeyFromPrivate('ed25519', seed)), SPEC.publicKeyMultibase);
});

test('eddsa-jcs-2022: intermediate values and proofValue match the specification byte for byte', async () => {
  const proofConfig: JsonObject = {
    type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', created: SPEC.created, verificationMethod: SPEC.verificationMethod,
    proofPurpose: 'assertionMethod', '@context': SPEC.credential['@context']!,
  };
  assert.equal(canonicalize(SPEC.credential), SPEC.canonicalDocument);
  assert.equal(toHex(sha256(Buffer.from(SPEC.canonicalDocument))), SPEC.documentHash);
  assert.equal(canonicalize(proofConfig), SPEC.canonicalProofConfig);
  assert.equal(toHex(sha256(Buffer.from(SPEC.canonicalProofConfig))), SPEC.proofConfigHash);
  assert.equal(toHex(await hashData('eddsa-jcs-2022', SPEC.credential, proofConfig)), SPEC.proofConfigHash + SPEC.documentHash);

  const proof = await createProof(SPEC.credential, specSigner(), { created: SPEC.created });
  assert.equal(proof.proofValue, SPEC.proofValue);
  assert.equal(toHex(fromMultibase58(proof.proofValue)), SPEC.signatureHex);
  assert.deepEqual({ ...SPEC.credential, proof }, signedSpecCredential());
});

test('eddsa-jcs-2022: the specification\'s signed credential verifies, and not once changed', async () => {
  const [r] = await verifyProofs(signedSpecCredential(), { resolver: didKeyResolver(), now: Date.parse('2024-01-01T00:00:00Z') });
  assert.deepEqual(r!.errors, []);
  assert.equal(r!.verified, true);
  assert.equal(r!.controller, 'did:key:' + SPEC.publicKeyMultibase);

  const changed = signedSpecCredential();
  (changed.credentialSubject as JsonObject).alumniOf = 'Another School';
  const [bad] = await verifyProofs(changed, { resolver: didKeyResolver(), now: Date.parse('2024-01-01T00:00:00Z') });
  assert.equal(bad!.verified, false);
  assert.equal(bad!.errors[0]!.code, 'PROOF_VERIFICATION_FAILED');
});

test('eddsa-jcs-2022: as a credential, the spec vector verifies when its key is bound to its issuer', async () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  const did = await didKeyResolver()(SPEC.verificationMethod);
  assert.ok(did);
  // The vector's issuer is an https URL, not the did:key controller: with did:key alone the issuer binding fails.
  const unbound = await verifyCredential(signedSpecCredential(), { resolver: didKeyResolver(), now });
  assert.equal(unbound.verified, false);
  assert.deepEqual(unbound.errors.map((e) => e.code), ['ISSUER_MISMATCH']);
  const bound = await verifyCredential(signedSpecCredential(), {
    resolver: staticKeyResolver({ [SPEC.verificationMethod]: { ...did, controller: 'https://vc.example/issuers/5678' } }), now,
  });
  assert.deepEqual(bound.errors, []);
  assert.equal(bound.verified, true);
  assert.deepEqual(bound.checks, ['structure', 'contexts', 'jsonld', 'proof', 'issuer', 'validity']);
});
