import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalize, type JsonValue } from '../../codec/index.ts';
import { generateKeyPair } from '../../crypto/index.ts';
import {
  combineResolvers, didKeyResolver, issueCredential, keyPairSigner, shulianKeyResolver, verifyCredential, verifyPresentation,
  type JsonObject,
} from './index.ts';

const key = generateKeyPair('ed25519');
const signer = keyPairSigner(key);
const resolver = combineResolvers(shulianKeyResolver({ keys: [key] }), didKeyResolver());
const NOW = Date.parse('2025-06-01T00:00:00Z');

const valid = await issueCredential({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
  id: 'urn:uuid:6f2c1a2e-4b5d-4e8f-9a0b-1c2d3e4f5a6b',
  type: ['VerifiableCredential', 'ExampleMembershipCredential'],
  issuer: { id: signer.controller, name: 'Shulian test issuer' },
  validFrom: '2025-01-01T00:00:00Z',
  validUntil: '2026-01-01T00:00:00Z',
  credentialSubject: [{ id: 'did:example:alice', memberSince: 2021, roles: ['auditor', 'member'] }, { id: 'did:example:bob', level: 2.5 }],
}, signer, { created: '2025-01-01T00:00:00Z' }) as unknown as JsonObject;

/** Arbitrary JSON, plus credential-shaped objects with random fields, plus the valid one with random extras. */
const anyJson = fc.oneof(
  fc.jsonValue(),
  fc.record({
    '@context': fc.oneof(fc.constant(['https://www.w3.org/ns/credentials/v2']), fc.jsonValue()),
    type: fc.oneof(fc.constant(['VerifiableCredential']), fc.jsonValue()),
    issuer: fc.oneof(fc.constant(signer.controller), fc.jsonValue()),
    credentialSubject: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    validFrom: fc.oneof(fc.constant('2025-01-01T00:00:00Z'), fc.string()),
    proof: fc.oneof(fc.constant(valid.proof!), fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
    credentialStatus: fc.jsonValue(),
  }, { requiredKeys: [] }),
  fc.dictionary(fc.string(), fc.jsonValue()).map((extra) => ({ ...extra, ...valid, ...(Object.keys(extra).length ? { claims: extra } : { nothing: null }) })),
);

test('verifyCredential: arbitrary JSON never throws, never verifies, and always says why', async () => {
  await fc.assert(fc.asyncProperty(anyJson, async (input) => {
    const r = await verifyCredential(input, { resolver, now: NOW });
    assert.equal(r.verified, false);
    assert.ok(r.errors.length > 0);
    for (const e of r.errors) {
      assert.equal(typeof e.code, 'string');
      assert.ok(e.message.length > 0);
    }
  }), { numRuns: 500 });
});

test('verifyPresentation: arbitrary JSON never throws and never verifies', async () => {
  await fc.assert(fc.asyncProperty(fc.jsonValue(), async (input) => {
    const r = await verifyPresentation(input, { resolver, now: NOW });
    assert.equal(r.verified, false);
    assert.ok(r.errors.length > 0);
  }), { numRuns: 200 });
});

/** Every path to a value inside a JSON document. */
function paths(v: JsonValue, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push(...paths(v[k]!, [...at, k]));
  return out;
}

function replaceAt(doc: JsonValue, path: Array<string | number>, value: JsonValue): JsonValue {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, JsonValue>;
  let cur = copy;
  for (let i = 0; i < path.length - 1; i++) cur = cur[path[i]!] as Record<string | number, JsonValue>;
  cur[path.at(-1)!] = value;
  return copy as JsonValue;
}

test('verifyCredential: any change to any value of a signed credential is caught', async () => {
  assert.equal((await verifyCredential(valid, { resolver, now: NOW })).verified, true);
  const all = paths(valid);
  await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: all.length - 1 }), fc.jsonValue(), async (i, value) => {
    const path = all[i]!;
    const changed = replaceAt(valid, path, value as JsonValue);
    fc.pre(canonicalize(changed) !== canonicalize(valid));
    const r = await verifyCredential(changed, { resolver, now: NOW });
    assert.equal(r.verified, false, `changing ${path.join('.')} to ${JSON.stringify(value)} still verified`);
    assert.ok(r.errors.length > 0);
  }), { numRuns: 500 });
});

test('values JSON cannot carry, and hostile nesting, are reported, not thrown', async () => {
  let deep: JsonValue = 'leaf';
  for (let i = 0; i < 5000; i++) deep = [deep];
  for (const input of [
    { ...valid, validFrom: Number.NaN },
    { ...valid, credentialSubject: { id: 'did:example:x', when: new Date(0) } },
    { ...valid, credentialSubject: { id: 'did:example:x', deep } },
  ]) {
    const r = await verifyCredential(input, { resolver, now: NOW });
    assert.equal(r.verified, false);
    assert.ok(r.errors.length > 0);
  }
  // The same JSON without Object.prototype is the same credential.
  assert.equal((await verifyCredential(Object.assign(Object.create(null) as object, valid), { resolver, now: NOW })).verified, true);
});
