/**
 * What a credential verification costs, counted rather than timed (issue #20: `vc-verify` fell to
 * 0.46 of @digitalbazaar/vc when every credential was expanded as JSON-LD again, and earlier when
 * every verification decoded its Multikey again). An issuer's credentials that differ only in
 * their identifiers share one JSON-LD check (src/did/vc/jsonld-shape.ts), bundled contexts load
 * once per process, a key is decoded once: what is left per credential is the canonical form, its
 * hash and the signature. The second half checks that sharing a check never hides a problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, multikeyDecodes } from '../src/crypto/index.ts';
import {
  addProof, didKeyResolver, issueCredential, jsonLdCounts, keyPairSigner, proofCounts, verifyCredential,
  type JsonObject, type KeyResolver, type VerifiableCredential,
} from '../src/did/vc/index.ts';
import { jsonLdShape } from '../src/did/vc/jsonld-shape.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const EXAMPLES = 'https://www.w3.org/ns/credentials/examples/v2';
const NOW = Date.parse('2025-06-01T00:00:00Z');
const CREATED = '2025-01-01T00:00:00Z';

function alumni(issuer: string, n: number, extra: JsonObject = {}): JsonObject {
  return {
    '@context': [V2, EXAMPLES],
    id: `urn:uuid:58172aac-d8ba-11ed-83dd-${n.toString(16).padStart(12, '0')}`,
    type: ['VerifiableCredential', 'AlumniCredential'],
    name: 'Alumni Credential',
    issuer,
    validFrom: '2023-01-01T00:00:00Z',
    validUntil: '2030-01-01T00:00:00Z',
    credentialSubject: { id: `did:example:subject-${n}`, alumniOf: { id: `https://school.example/${n}`, name: 'The School of Examples' } },
    ...extra,
  };
}

/** A resolver that counts its calls. */
function counted(inner: KeyResolver): { resolver: KeyResolver; calls: () => number } {
  let calls = 0;
  return { resolver: async (id) => (calls++, inner(id)), calls: () => calls };
}

const delta = <T extends object>(after: T, before: T): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, (v as number) - (before as Record<string, number>)[k]!]));

test('an issuer\'s credentials: one JSON-LD expansion for all of them, no context loads, one key decode, one proof-configuration hash, one resolver call per proof', async () => {
  const signer = keyPairSigner(generateKeyPair('ed25519'), { didMethod: 'key' });
  const proofBefore = proofCounts();
  // Warm up on a credential of another shape (its `name` differs), so the bundled contexts are loaded.
  await issueCredential(alumni(signer.controller, 0, { name: 'warm-up' }), signer, { created: CREATED });
  const before = jsonLdCounts();
  const N = 40;
  const vcs: VerifiableCredential[] = [];
  for (let i = 1; i <= N; i++) vcs.push(await issueCredential(alumni(signer.controller, i), signer, { created: CREATED }));
  const { resolver, calls } = counted(didKeyResolver());
  const decodes0 = multikeyDecodes();
  for (const vc of vcs) {
    const r = await verifyCredential(vc, { resolver, now: NOW });
    assert.equal(r.verified, true, JSON.stringify(r.errors));
    assert.deepEqual(r.checks, ['structure', 'contexts', 'jsonld', 'proof', 'issuer', 'validity']);
  }
  // The first issuance expands; the other 39 issuances and all 40 verifications share its check.
  assert.deepEqual(delta(jsonLdCounts(), before), { expansions: 1, contextLoads: 0, rdfCanonicalisations: 0 });
  assert.equal(multikeyDecodes() - decodes0, 1, 'the issuer\'s key is decoded and curve-checked once');
  assert.equal(calls(), N, 'one resolver call per proof');
  // Their proofs differ only in proofValue: the canonical proof configuration is hashed once, at the warm-up issuance.
  assert.deepEqual(delta(proofCounts(), proofBefore), { proofConfigHashes: 1 });
  // Every signature is still checked: a credential changed after signing fails, shape shared or not.
  const forged = { ...vcs[0]!, id: 'urn:uuid:58172aac-d8ba-11ed-83dd-ffffffffffff' };
  const f = await verifyCredential(forged, { resolver, now: NOW });
  assert.equal(f.verified, false);
  assert.deepEqual(f.errors.map((e) => e.code), ['PROOF_VERIFICATION_FAILED']);
  // A proof whose configuration was changed is hashed afresh, and fails.
  const proof0 = vcs[0]!.proof as JsonObject;
  const moved = await verifyCredential({ ...vcs[0]!, proof: { ...proof0, created: '2025-01-02T00:00:00Z' } }, { resolver, now: NOW });
  assert.deepEqual(moved.errors.map((e) => e.code), ['PROOF_VERIFICATION_FAILED']);
  assert.deepEqual(delta(proofCounts(), proofBefore), { proofConfigHashes: 2 });
  // Expiry is read per credential too.
  const late = await verifyCredential(vcs[1]!, { resolver, now: Date.parse('2031-01-01T00:00:00Z') });
  assert.deepEqual(late.errors.map((e) => e.code), ['EXPIRED']);
});

test('eddsa-rdfc-2022: two RDFC-1.0 canonicalisations per verification (proof configuration and document), no more', async () => {
  const signer = keyPairSigner(generateKeyPair('ed25519'), { didMethod: 'key' });
  const vc = await issueCredential(alumni(signer.controller, 7), signer, { cryptosuite: 'eddsa-rdfc-2022', created: CREATED });
  const before = jsonLdCounts();
  for (let i = 0; i < 3; i++) assert.equal((await verifyCredential(vc, { resolver: didKeyResolver(), now: NOW })).verified, true);
  assert.deepEqual(delta(jsonLdCounts(), before), { expansions: 0, contextLoads: 0, rdfCanonicalisations: 6 });
});

test('a shared JSON-LD check never hides a problem: values that are not plain absolute IRIs are checked on their own', async () => {
  const signer = keyPairSigner(generateKeyPair('ed25519'), { didMethod: 'key' });
  const resolver = didKeyResolver();
  // The clean shape is cached first...
  assert.equal((await verifyCredential(await issueCredential(alumni(signer.controller, 1), signer, { created: CREATED }), { resolver, now: NOW })).verified, true);
  // ...then documents of the same structure whose values would share it if every string were abstracted.
  const variants: Array<[string, JsonObject, string[]]> = [
    ['an id with two fragments', { id: 'urn:x#a#b' }, ['JSONLD_INVALID']],
    ['a relative id', { id: 'credential-1' }, ['MALFORMED_CREDENTIAL']],
    ['a subject id with a space', { credentialSubject: { id: 'did:example:a b', alumniOf: { id: 'https://school.example/1', name: 'x' } } }, ['MALFORMED_CREDENTIAL']],
    ['a type with "<"', { type: ['VerifiableCredential', 'https://example.org/a<b'] }, ['INVALID_TYPE']],
  ];
  for (const [what, extra, codes] of variants) {
    const doc = alumni(signer.controller, 2, extra);
    const signed = await addProof(doc, signer, { proofPurpose: 'assertionMethod', created: CREATED });
    const r = await verifyCredential(signed, { resolver, now: NOW });
    assert.equal(r.verified, false, what);
    assert.deepEqual([...new Set(r.errors.map((e) => e.code))], codes, `${what}: ${JSON.stringify(r.errors)}`);
  }
});

test('JSON-LD shapes: identifiers abstracted; literals, contexts, types that are terms, and inline terms kept', () => {
  const issuer = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
  const shape = (d: JsonObject) => jsonLdShape(d, '-');
  const a = shape(alumni(issuer, 1));
  assert.equal(a.abstracted, 4, 'id, subject id, alumniOf id, issuer');
  assert.equal(shape(alumni(issuer, 2)).key, a.key);
  assert.notEqual(shape(alumni(issuer, 1, { name: 'Other' })).key, a.key, 'a literal is kept');
  assert.notEqual(shape(alumni(issuer, 1, { type: ['VerifiableCredential', 'ExampleDegreeCredential'] })).key, a.key, 'a type that is a term is kept');
  assert.notEqual(shape(alumni(issuer, 1, { id: 'http://example.edu/1' })).key, a.key, 'the scheme is kept');
  assert.notEqual(shape(alumni(issuer, 1, { '@context': [V2, 'https://www.w3.org/ns/credentials/undefined-terms/v2'] })).key, a.key, 'contexts are kept');
  assert.notEqual(jsonLdShape(alumni(issuer, 1), 'u').key, a.key, 'the context policy is part of the key');
  // A string that looks like a token is escaped, so it cannot pass for an abstracted IRI.
  assert.notEqual(shape(alumni(issuer, 1, { id: '\u0000urn' })).key, a.key);
  // An inline context defining a scheme (or a value) as a term gives such values a meaning of their own: nothing is abstracted.
  const inline = shape(alumni(issuer, 1, { '@context': [V2, EXAMPLES, { urn: { '@id': 'https://evil.example/', '@prefix': true } }] }));
  assert.equal(inline.abstracted, 0);
  assert.equal(shape({ ...alumni(issuer, 1), '@context': [V2, { 'did:example:subject-1': 'https://evil.example/x' }] }).abstracted, 0);
});
