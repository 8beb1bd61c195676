/**
 * The hand-written fast path of the credential structure check (plainlyValidCredential,
 * src/did/vc/schema.ts) against zod's credentialSchema: whenever the fast path says "valid",
 * zod must agree — on the common credential with any member replaced by anything nearby. It may
 * say "ask zod" for valid ones; then zod decides, as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { credentialSchema, plainlyValidCredential } from '../../src/did/vc/schema.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const base = (): Record<string, unknown> => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
  id: 'urn:uuid:58172aac-d8ba-11ed-83dd-000000000001',
  type: ['VerifiableCredential', 'AlumniCredential'],
  name: 'Alumni Credential',
  issuer: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  validFrom: '2023-01-01T00:00:00Z',
  validUntil: '2030-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
  proof: { type: 'DataIntegrityProof', proofValue: 'z1' },
});

const MEMBERS = ['@context', 'id', 'type', 'issuer', 'credentialSubject', 'validFrom', 'validUntil', 'proof', 'credentialStatus', 'evidence'];

/** Values near the valid ones: wrong kinds, empty ones, bad URLs and dates, long strings, nested forms. */
const near: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    undefined, null, 0, 1, true, '', 'VerifiableCredential', ['VerifiableCredential'], [], {}, [{}], ['x'], [''], ['VerifiableCredential', ''],
    'did:example:a', 'did:example:a b', 'https://a.example/x', 'not a url', ':x', 'a:', `https://a.example/${'x'.repeat(2050)}`,
    '2023-01-01T00:00:00Z', '2023-02-30T00:00:00Z', '2023-01-01T00:00:00', '2023-01-01', { id: 'did:example:a' }, { id: 'nope' }, { id: 1 },
    { x: 1 }, [{ x: 1 }], [{ id: 'did:example:a', x: 1 }, {}], [{ id: 'did:example:a' }, 'x'], { type: 'DataIntegrityProof' }, [{ a: 1 }, { b: 2 }],
    [null], ['https://www.w3.org/ns/credentials/v2'], 'https://www.w3.org/ns/credentials/v2',
  ),
  fc.string(),
  fc.jsonValue({ maxDepth: 2 }),
);

test('the fast structure check never calls valid what zod refuses, and takes the common credential', () => {
  assert.equal(plainlyValidCredential(base()), true, 'the common credential takes the fast path');
  assert.equal(credentialSchema.safeParse(base()).success, true);
  const b = bounded(4000, 6000);
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...MEMBERS), near), { minLength: 1, maxLength: 3 }), b.guard((changes) => {
    const doc = base();
    for (const [k, v] of changes) {
      if (v === undefined) delete doc[k];
      else doc[k] = v;
    }
    if (plainlyValidCredential(doc)) {
      const r = credentialSchema.safeParse(doc);
      assert.ok(r.success, `fast path accepted what zod refuses: ${JSON.stringify(doc).slice(0, 300)} — ${JSON.stringify(r.error?.issues)}`);
    }
  })), b.params);
});
