import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../../crypto/index.ts';
import {
  addProof, createPresentation, issueCredential, keyPairSigner, shulianKeyResolver, verifyPresentation, type JsonObject,
} from './index.ts';

const issuerKey = generateKeyPair('sm2');
const holderKey = generateKeyPair('sm2');
const issuer = keyPairSigner(issuerKey);
const holder = keyPairSigner(holderKey);
const resolver = shulianKeyResolver({ keys: [issuerKey, holderKey] });
const CHALLENGE = 'c0ffee-1d-7f3a';
const DOMAIN = 'https://verifier.example';

async function credential(): Promise<JsonObject> {
  return (await issueCredential({
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'],
    type: ['VerifiableCredential'],
    issuer: issuer.controller,
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: { id: holder.controller, memberOf: '浦江数链' },
  }, issuer)) as unknown as JsonObject;
}

const codes = (r: { errors: Array<{ code: string }> }) => r.errors.map((e) => e.code);

test('a presentation verifies with its challenge and domain, credentials included', async () => {
  const vp = await createPresentation({ verifiableCredential: [await credential()] }, holder, { challenge: CHALLENGE, domain: DOMAIN });
  assert.equal(vp.holder, holder.controller);
  assert.equal((vp.proof as JsonObject).proofPurpose, 'authentication');
  const r = await verifyPresentation(vp, { resolver, challenge: CHALLENGE, domain: DOMAIN });
  assert.deepEqual(r.errors, []);
  assert.equal(r.verified, true);
  assert.deepEqual(r.checks, ['structure', 'contexts', 'jsonld', 'proof', 'holder', 'credentials']);
  assert.equal(r.credentials.length, 1);
  assert.equal(r.credentials[0]!.verified, true);
});

test('the wrong challenge or domain fails, as does a missing one', async () => {
  const vp = await createPresentation({ verifiableCredential: await credential() }, holder, { challenge: CHALLENGE, domain: DOMAIN });
  assert.deepEqual(codes(await verifyPresentation(vp, { resolver, challenge: 'another-challenge', domain: DOMAIN })), ['INVALID_CHALLENGE']);
  assert.deepEqual(codes(await verifyPresentation(vp, { resolver, challenge: CHALLENGE, domain: 'https://evil.example' })), ['INVALID_DOMAIN']);
  const noDomain = await createPresentation({ verifiableCredential: await credential() }, holder, { challenge: CHALLENGE });
  const r = await verifyPresentation(noDomain, { resolver, challenge: CHALLENGE, domain: DOMAIN });
  assert.deepEqual(codes(r), ['INVALID_DOMAIN']);
  assert.match(r.errors[0]!.message, /no domain/);
  // Rewriting the challenge in the proof breaks the signature.
  const edited = structuredClone(vp);
  (edited.proof as JsonObject).challenge = 'another-challenge';
  assert.deepEqual(codes(await verifyPresentation(edited, { resolver, challenge: 'another-challenge', domain: DOMAIN })), ['PROOF_VERIFICATION_FAILED']);
  await assert.rejects(createPresentation({}, holder, { challenge: '' }), { code: 'BAD_ARGUMENT' });
});

test('the holder must be the signer; a credential proof cannot stand in for a presentation proof', async () => {
  const vc = await credential();
  const vp = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: issuer.controller, verifiableCredential: vc };
  const signed = await addProof(vp, holder, { proofPurpose: 'authentication', challenge: CHALLENGE });
  assert.deepEqual(codes(await verifyPresentation(signed, { resolver, challenge: CHALLENGE })), ['HOLDER_MISMATCH']);
  const asAssertion = await addProof({ ...vp, holder: holder.controller }, holder, { challenge: CHALLENGE });
  assert.deepEqual(codes(await verifyPresentation(asAssertion, { resolver, challenge: CHALLENGE })), ['PROOF_PURPOSE_MISMATCH']);
  assert.deepEqual(codes(await verifyPresentation({ ...vp, holder: holder.controller }, { resolver, challenge: CHALLENGE })), ['PROOF_MISSING']);
});

test('a presentation of a tampered or expired credential fails and says which', async () => {
  const vc = await credential();
  (vc.credentialSubject as JsonObject).memberOf = 'someone else';
  const vp = await createPresentation({ verifiableCredential: [await credential(), vc] }, holder, { challenge: CHALLENGE });
  const r = await verifyPresentation(vp, { resolver, challenge: CHALLENGE });
  assert.equal(r.verified, false);
  assert.deepEqual(codes(r), ['CREDENTIAL_NOT_VERIFIED', 'PROOF_VERIFICATION_FAILED']);
  assert.equal(r.errors[0]!.path, 'verifiableCredential[1]');
  assert.deepEqual(r.credentials.map((c) => c.verified), [true, false]);
  const before = await verifyPresentation(await createPresentation({ verifiableCredential: await credential() }, holder, { challenge: CHALLENGE, created: '2024-06-01T00:00:00Z' }), { resolver, challenge: CHALLENGE, now: Date.parse('2024-06-01T00:00:00Z') });
  // At that time the credential's proof (made today) lies in the future too.
  assert.deepEqual(codes(before), ['CREDENTIAL_NOT_VERIFIED', 'PROOF_CREATED_IN_FUTURE', 'NOT_YET_VALID']);
  const enveloped = await createPresentation({ verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], id: 'data:application/vc+jwt,eyJ', type: 'EnvelopedVerifiableCredential' } }, holder, { challenge: CHALLENGE });
  assert.deepEqual(codes(await verifyPresentation(enveloped, { resolver, challenge: CHALLENGE })), ['UNSUPPORTED_CREDENTIAL']);
});
