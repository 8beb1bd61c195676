/**
 * VC Data Model 2.0 conformance that needs JSON-LD processing or more than a schema, checked at
 * issuance and at verification for every cryptosuite: protected terms (§5.2.1), types that
 * expand to absolute IRIs (§4.5), undefined terms (§5.2), language value objects (§11.1) and
 * related resources (§5.3). Contexts are loaded from the bundle only: nothing is fetched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { JsonValue } from '../../codec/index.ts';
import { generateKeyPair } from '../../crypto/index.ts';
import {
  checkJsonLd, didKeyResolver, issueCredential, keyPairSigner, verifyCredential, UNDEFINED_TERMS_V2, type JsonObject,
} from './index.ts';

const signer = keyPairSigner(generateKeyPair('ed25519'), { didMethod: 'key' });
const NOW = Date.parse('2025-06-01T00:00:00Z');
const V2 = 'https://www.w3.org/ns/credentials/v2';

function cred(extra: JsonObject = {}): JsonObject {
  return {
    '@context': [V2, 'https://www.w3.org/ns/credentials/examples/v2'],
    type: ['VerifiableCredential', 'ExampleCredential'],
    issuer: signer.controller,
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:subject', degree: 'BSc' },
    ...extra,
  };
}

/** The problem codes issuing `doc` is refused with (none: it issues), and the same for verifying it signed anyway. */
async function refusals(doc: JsonObject): Promise<{ issue: string[]; verify: string[]; messages: string[] }> {
  let issue: string[] = [];
  let messages: string[] = [];
  try {
    await issueCredential(doc, signer);
  } catch (err) {
    const problems = (err as { details?: { problems?: Array<{ code: string; message: string }> } }).details?.problems ?? [];
    issue = problems.map((p) => p.code);
    messages = problems.map((p) => p.message);
  }
  // A verifier meets such documents from issuers that did not check: sign it bypassing the checks.
  const { addProof } = await import('./proof.ts');
  const signed = await addProof(doc, signer, { proofPurpose: 'assertionMethod', created: '2025-01-01T00:00:00Z' });
  const r = await verifyCredential(signed, { resolver: didKeyResolver(), now: NOW });
  return { issue, verify: r.errors.map((e) => e.code), messages };
}

test('an inline @context that redefines a protected term is refused, at issuance and at verification', async () => {
  const cases: Array<[Array<string | JsonObject>, string]> = [
    [[V2, { VerifiableCredential: 'https://evil.example/VC' }], 'VerifiableCredential'],
    [[V2, { name: 'https://evil.example/name' }], 'name'],
    [[V2, { type: 'https://evil.example/type' }], 'type'],
    // A term another inline context protected (as the VC 2.0 test suite's fixture does).
    [[V2, { '@protected': true, ExampleCredential: 'https://example.org/#Example' }, { ExampleCredential: 'https://example.org/#Bad' }], 'ExampleCredential'],
  ];
  for (const [context, term] of cases) {
    const r = await refusals(cred({ '@context': [...context, 'https://www.w3.org/ns/credentials/examples/v2'] }));
    assert.deepEqual(r.issue, ['PROTECTED_TERM_REDEFINED'], term);
    assert.deepEqual(r.verify, ['PROTECTED_TERM_REDEFINED']);
    assert.match(r.messages[0]!, new RegExp(`redefines "${term}"`));
  }
  // New terms in an inline context are fine; so is the undefined-terms context, last.
  assert.deepEqual((await refusals(cred({ '@context': [V2, { degree: 'https://example.org/degree', ExampleCredential: 'https://example.org/ExampleCredential' }] }))).verify, []);
  assert.deepEqual((await refusals(cred({ '@context': [V2, UNDEFINED_TERMS_V2] }))).verify, []);
});

test('every type expands to an absolute IRI: unmapped terms, terms mapped to non-IRIs and IRIs with forbidden characters are refused', async () => {
  const unmapped = await refusals(cred({ '@context': [V2], credentialSubject: { id: 'did:example:s' } }));
  assert.deepEqual(unmapped.issue, ['INVALID_TYPE']);
  assert.match(unmapped.messages[0]!, /type "ExampleCredential" does not expand to an absolute URL/);
  const mappedToNonIri = await refusals(cred({ '@context': [V2, { ExampleCredential: 'https ://not-a-url#ExampleCredential' }], credentialSubject: { id: 'did:example:s' } }));
  assert.deepEqual(mappedToNonIri.issue, ['JSONLD_INVALID']);
  const angle = await refusals(cred({ type: ['VerifiableCredential', 'https://example.org/a<b'] }));
  assert.deepEqual(angle.issue, ['INVALID_TYPE']);
  assert.match(angle.messages[0]!, /the character "<"/);
  assert.deepEqual((await refusals(cred({ type: ['VerifiableCredential', 'https://example.org/types#Degree'] }))).verify, []);
});

test('terms no context defines are refused, unless the undefined-terms context comes last', async () => {
  const r = await refusals(cred({ '@context': [V2, { ExampleCredential: 'https://example.org/ExampleCredential' }] }));
  assert.deepEqual(r.issue, ['UNDEFINED_TERM']);
  assert.match(r.messages[0]!, /"degree" is not defined by any @context.*undefined-terms\/v2/);
  const notLast = await refusals(cred({ '@context': [V2, UNDEFINED_TERMS_V2, 'https://www.w3.org/ns/credentials/examples/v2'] }));
  assert.deepEqual(notLast.issue, ['MALFORMED_CREDENTIAL']);
  assert.match(notLast.messages[0]!, /must be the last @context/);
});

test('name and description: strings or language value objects with @value, @language, @direction and nothing else', async () => {
  const ok: JsonValue[] = [
    'Degree', { '@value': 'Degree', '@language': 'en' }, [{ '@value': '学位', '@language': 'zh-Hans-CN' }, { '@value': 'Degree', '@language': 'en-GB', '@direction': 'ltr' }],
  ];
  for (const name of ok) assert.deepEqual((await refusals(cred({ name, description: name }))).issue, [], JSON.stringify(name));
  const bad: Array<[unknown, RegExp]> = [
    [{ '@value': 'Degree', '@language': 'en', extra: 1 }, /only @value, @language and @direction, not "extra"/],
    [{ '@value': 'Degree', '@language': 'en', '@type': 'https://example.org/t' }, /not "@type"/],
    [{ '@value': 'Degree', '@language': 'english please' }, /BCP 47/],
    [{ '@value': 'Degree', '@direction': 'up' }, /"ltr" or "rtl"/],
    [{ '@language': 'en' }, /needs "@value"/],
    [[], /non-empty array/],
  ];
  for (const [name, message] of bad) {
    for (const where of ['name', 'description'] as const) {
      const r = await refusals(cred({ [where]: name as JsonValue }));
      assert.equal(r.issue[0], 'MALFORMED_CREDENTIAL', `${where}: ${JSON.stringify(name)}`);
      assert.match(r.messages.join(' '), message);
      assert.ok(r.verify.includes('MALFORMED_CREDENTIAL'));
    }
  }
  // The issuer's name is a language value too.
  assert.equal((await refusals(cred({ issuer: { id: signer.controller, name: { '@value': 'x', extra: true } } }))).issue[0], 'MALFORMED_CREDENTIAL');
});

test('relatedResource: an id (unique) and a well-formed digestSRI or digestMultibase', async () => {
  const bytes = createHash('sha384').update('the resource').digest();
  const sri = `sha384-${bytes.toString('base64')}`;
  const sha256 = createHash('sha256').update('the resource').digest();
  const multihash = Buffer.concat([Buffer.from([0x12, 0x20]), sha256]);
  const good: JsonValue[] = [
    { id: 'https://example.org/a.pdf', digestSRI: sri, mediaType: 'application/pdf' },
    { id: 'https://example.org/b.png', digestMultibase: `u${multihash.toString('base64url')}` },
    { id: 'https://example.org/c', digestMultibase: ['z' + (await import('../../codec/index.ts')).toBase58(multihash)], digestSRI: sri },
  ];
  assert.deepEqual((await refusals(cred({ relatedResource: good }))).verify, []);
  const bad: Array<[unknown, RegExp]> = [
    [{ id: 'https://example.org/a' }, /neither digestSRI nor digestMultibase/],
    [{ digestSRI: sri }, /has no id/],
    [{ id: 'not a url', digestSRI: sri }, /must be a URL/],
    [[{ id: 'https://example.org/a', digestSRI: sri }, { id: 'https://example.org/a', digestSRI: sri }], /must be unique/],
    [{ id: 'https://example.org/a', digestSRI: `sha384-${sha256.toString('base64')}` }, /32 bytes; sha384 digests are 48 bytes/],
    [{ id: 'https://example.org/a', digestSRI: `md5-${sha256.toString('base64')}` }, /sha256-, sha384- or sha512-/],
    [{ id: 'https://example.org/a', digestMultibase: `u${sha256.toString('base64url')}` }, /multihash|code 0x/],
    [{ id: 'https://example.org/a', digestMultibase: `u${multihash.subarray(0, 20).toString('base64url')}` }, /digest bytes/],
    [{ id: 'https://example.org/a', digestMultibase: 'x123' }, /must be multibase/],
    [{ id: 'https://example.org/a', digestSRI: sri, mediaType: 'pdf' }, /media type/],
    [[], /non-empty array/],
  ];
  for (const [rr, message] of bad) {
    const r = await refusals(cred({ relatedResource: rr as JsonObject }));
    assert.equal(r.issue[0], 'MALFORMED_CREDENTIAL', JSON.stringify(rr));
    assert.match(r.messages.join(' '), message, JSON.stringify(rr));
  }
});

test('contexts are never fetched: a context the bundle lacks is named, wherever the document uses it', async () => {
  const realFetch = globalThis.fetch;
  let fetched = 0;
  globalThis.fetch = (async () => {
    fetched++;
    throw new Error('no network');
  }) as typeof fetch;
  try {
    // Nested in a scoped context: the top-level @context list looks harmless.
    const nested = cred({ credentialSubject: { id: 'did:example:s', degree: { '@context': 'https://schema.example/ctx/v1', level: 'BSc' } } });
    const r = await checkJsonLd(nested, {}, 'MALFORMED_CREDENTIAL');
    assert.deepEqual(r.errors.map((e) => e.code), ['UNKNOWN_CONTEXT']);
    assert.match(r.errors[0]!.message, /https:\/\/schema.example\/ctx\/v1 is not bundled/);
    assert.equal(r.errors[0]!.path, 'credentialSubject.degree.@context');
    // Configured as acceptable: JSON-LD checks are skipped, and the warning says so.
    const accepted = await checkJsonLd(nested, { extraContexts: ['https://schema.example/ctx/v1'] }, 'MALFORMED_CREDENTIAL');
    assert.deepEqual(accepted.errors, []);
    assert.match(accepted.warnings[0]!.message, /JSON-LD checks .* were skipped/);
    assert.equal(fetched, 0);
  } finally {
    globalThis.fetch = realFetch;
  }
});
