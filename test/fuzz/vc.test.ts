/**
 * Fuzz of verifiable presentations and the parts of credentials src/did/vc/property.test.ts does
 * not reach: a genuine presentation (holder-signed, for a challenge) carrying a genuine issued
 * credential, altered anywhere — inside the embedded credential too; status lists (the GZIP'd
 * bitstrings a verifier fetches from anyone); and the dateTime values validity rests on.
 * Verification never throws, never passes an altered presentation, and always says why.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalize, type JsonValue } from '../../src/codec/index.ts';
import { generateKeyPair } from '../../src/crypto/index.ts';
import {
  combineResolvers, createPresentation, decodeStatusList, didKeyResolver, encodeStatusList, formatDateTime, issueCredential, keyPairSigner,
  parseDateTime, readStatusBits, shulianKeyResolver, verifyPresentation, type JsonObject,
} from '../../src/did/vc/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const issuerKey = generateKeyPair('sm2');
const holderKey = generateKeyPair('ed25519');
const issuer = keyPairSigner(issuerKey);
const holder = keyPairSigner(holderKey);
const resolver = combineResolvers(shulianKeyResolver({ keys: [issuerKey, holderKey] }), didKeyResolver());
const NOW = Date.parse('2025-06-01T00:00:00Z');
const CHALLENGE = 'c-8f2e';

const vc = await issueCredential({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'],
  type: ['VerifiableCredential'],
  issuer: issuer.controller,
  validFrom: '2025-01-01T00:00:00Z',
  credentialSubject: { id: holder.controller, alliance: 'shulian', roles: ['member'] },
}, issuer, { created: '2025-01-01T00:00:00Z' }) as unknown as JsonObject;
const vp = await createPresentation({ verifiableCredential: [vc] }, holder, { challenge: CHALLENGE, domain: 'verifier.example', created: '2025-05-01T00:00:00Z' }) as unknown as JsonObject;

function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push(...paths((v as Record<string, unknown>)[k], [...at, k]));
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

test('a presentation altered anywhere, the embedded credential included, never verifies, and says why', async () => {
  const ok = await verifyPresentation(vp, { resolver, now: NOW, challenge: CHALLENGE, domain: 'verifier.example' });
  assert.equal(ok.verified, true, JSON.stringify(ok.errors));
  const all = paths(vp);
  const near = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
    fc.constantFrom<JsonValue>('', null, 0, [], {}, holder.controller, issuer.controller, CHALLENGE, 'other-challenge', '2099-01-01T00:00:00Z', 'VerifiablePresentation', 'authentication', 'assertionMethod'),
  );
  const b = bounded(400, 8000);
  await fc.assert(fc.asyncProperty(fc.nat(all.length - 1), near, b.guard(async (i, value) => {
    const altered = replaceAt(vp, all[i]!, value);
    fc.pre(canonicalize(altered) !== canonicalize(vp));
    const r = await verifyPresentation(altered, { resolver, now: NOW, challenge: CHALLENGE, domain: 'verifier.example' });
    assert.equal(r.verified, false, `changing ${all[i]!.join('.')} to ${JSON.stringify(value)} still verified`);
    assert.ok(r.errors.length > 0);
    for (const e of r.errors) assert.ok(typeof e.code === 'string' && e.message.length > 0);
  })), b.params);
  // Replayed elsewhere: another challenge or domain.
  assert.equal((await verifyPresentation(vp, { resolver, now: NOW, challenge: 'another', domain: 'verifier.example' })).verified, false);
  assert.equal((await verifyPresentation(vp, { resolver, now: NOW, challenge: CHALLENGE, domain: 'elsewhere.example' })).verified, false);
});

test('status lists from anyone: decoded within the bit limit or refused with a reason; entries read inside the list only', () => {
  const b = bounded(1500, 5000);
  fc.assert(fc.property(fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 256 }).map((bits) => ({ text: encodeStatusList(bits), bits })),
    fc.uint8Array({ maxLength: 64 }).map((raw) => ({ text: 'u' + Buffer.from(raw).toString('base64url') })),
    fc.string({ maxLength: 40 }).map((text) => ({ text })),
    fc.constantFrom({ text: 'u' + gzipSync(Buffer.alloc(1 << 20)).toString('base64url') }, { text: 'z' + encodeStatusList(new Uint8Array(4)).slice(1) }, { text: 'u===' }),
    fc.anything({ maxDepth: 1 }).map((text) => ({ text })),
  ), fc.nat(4096), fc.constantFrom(1, 2, 4, 8), b.guard((input: { text: unknown; bits?: Uint8Array }, index, size) => {
    let bits: Uint8Array;
    try {
      bits = decodeStatusList(input.text, 64 * 1024);
    } catch (err) {
      assert.ok(err instanceof Error && err.message.includes('encodedList'), String(err));
      assert.equal(input.bits, undefined, 'a list this library encoded was refused');
      return;
    }
    if (input.bits) assert.deepEqual(Buffer.from(bits), Buffer.from(input.bits));
    assert.ok(bits.length * 8 <= 64 * 1024, 'the bit limit holds');
    if ((index + 1) * size <= bits.length * 8) {
      const v = readStatusBits(bits, index, size);
      assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** size);
    } else {
      assert.throws(() => readStatusBits(bits, index, size), RangeError);
    }
  })), b.params);
});

test('dateTime values: any input parses to a time or to nothing, never throws; what parses prints back to the same instant', () => {
  const b = bounded(3000, 3000);
  const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((x) => String(x).padStart(n, '0'));
  const shaped = fc.tuple(fc.constantFrom('', '-'), digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), fc.option(digits(3)), fc.constantFrom('Z', '+08:00', '-14:00', '+14:30', '', '+2:00'))
    .map(([sign, y, mo, d, h, mi, s, frac, z]) => `${sign}${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}${z}`);
  fc.assert(fc.property(fc.oneof(shaped, fc.string({ maxLength: 30 }), fc.anything({ maxDepth: 0 })), fc.boolean(), b.guard((v, zone) => {
    const ms = parseDateTime(v, zone);
    if (ms === undefined) return;
    assert.ok(Number.isFinite(ms));
    // formatDateTime prints the times Shulian makes (years 1 to 9999); outside them toISOString's
    // expanded years ("-000001") are not XML Schema dateTimes. Left alone: no such time is made.
    const year = new Date(ms).getUTCFullYear();
    fc.pre(year >= 1 && year <= 9999);
    assert.equal(parseDateTime(formatDateTime(ms)), Math.floor(ms / 1000) * 1000);
  })), b.params);
});
