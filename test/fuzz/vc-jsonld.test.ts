/**
 * Fuzz of the validators and decoders issue #16 added to the credential layer, each fed anything
 * an outsider could send: absolute IRIs (RFC 3987), SRI and multibase/multihash digests of
 * related resources, language tags and value objects, and the JSON-LD checks of a whole
 * credential (inline contexts included). None throws; each either accepts or says why; what is
 * built correctly is accepted, and what carries a forbidden part is refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { toBase58 } from '../../src/codec/index.ts';
import {
  checkJsonLd, digestMultibaseProblem, digestSriProblem, iriProblem, isLanguageTag, languageValueProblems, relatedResourceProblems,
  type JsonObject,
} from '../../src/did/vc/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

/** JSON-LD's own test for an absolute IRI (jsonld.js url.isAbsolute): ours must never accept more. */
const JSONLD_ABSOLUTE = /^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/;

test('absolute IRIs: never throws; URLs built correctly pass; a forbidden character anywhere after the scheme fails', () => {
  const b = bounded(3000, 5000);
  fc.assert(fc.property(fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string({ maxLength: 60 }), fc.anything({ maxDepth: 0 })), b.guard((v) => {
    const why = iriProblem(v);
    if (why === undefined) {
      assert.equal(typeof v, 'string');
      assert.match(v as string, JSONLD_ABSOLUTE, `${JSON.stringify(v)} accepted, but JSON-LD would not call it absolute`);
    } else {
      assert.ok(why.length > 0);
    }
  })), b.params);
  const good = bounded(2000, 4000);
  fc.assert(fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), good.guard((u) => {
    assert.equal(iriProblem(u), undefined, u);
  })), good.params);
  const bad = bounded(2000, 4000);
  fc.assert(fc.property(fc.webUrl(), fc.constantFrom(' ', '<', '>', '"', '{', '}', '|', '\\', '^', '`', '\u0000', '\u007f', '%G1', '%zz'), fc.nat(), bad.guard((u, c, at) => {
    const start = u.indexOf(':') + 1;
    const cut = start + (at % (u.length - start + 1));
    const broken = u.slice(0, cut) + c + u.slice(cut);
    assert.notEqual(iriProblem(broken), undefined, JSON.stringify(broken));
  })), bad.params);
});

const SRI: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

test('digestSRI: never throws; a base64 digest of the right length passes; a wrong length or algorithm fails', () => {
  const b = bounded(2000, 4000);
  fc.assert(fc.property(fc.constantFrom('sha256', 'sha384', 'sha512', 'sha1', 'md5'), fc.integer({ min: 0, max: 80 }), fc.boolean(), b.guard((alg, len, urlSafe) => {
    const digest = Buffer.from(createHash('sha512').update(String(len)).digest()).subarray(0, Math.min(len, 64));
    const value = `${alg}-${digest.toString(urlSafe ? 'base64url' : 'base64')}`;
    const why = digestSriProblem(value);
    assert.equal(why === undefined, SRI[alg] === digest.length, `${value}: ${why}`);
  })), b.params);
  const any = bounded(2000, 3000);
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.anything({ maxDepth: 1 })), any.guard((v) => {
    const why = digestSriProblem(v);
    assert.ok(why === undefined || why.length > 0);
  })), any.params);
});

test('digestMultibase: never throws; a multihash with its header passes in every base; truncated or unknown ones fail', () => {
  const codes: Array<[number[], number]> = [[[0x12], 32], [[0x20], 48], [[0x13], 64], [[0x16], 32], [[0xcd, 0xa6, 0x01], 32]];
  const b = bounded(2000, 4000);
  fc.assert(fc.property(fc.constantFrom(...codes), fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.constantFrom('z', 'u', 'm', 'f'), fc.integer({ min: -3, max: 0 }), b.guard(([code, len], bytes, base, trim) => {
    const mh = Buffer.concat([Buffer.from(code), Buffer.from([len]), Buffer.from(bytes.subarray(0, len + trim))]);
    const text = base === 'z' ? 'z' + toBase58(mh) : base === 'u' ? 'u' + mh.toString('base64url') : base === 'm' ? 'm' + mh.toString('base64').replace(/=+$/, '') : 'f' + mh.toString('hex');
    const why = digestMultibaseProblem(text);
    assert.equal(why === undefined, trim === 0, `${text}: ${why}`);
  })), b.params);
  const any = bounded(2000, 3000);
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.uint8Array({ maxLength: 80 }).map((u) => 'z' + toBase58(u)), fc.anything({ maxDepth: 1 })), any.guard((v) => {
    const why = digestMultibaseProblem(v);
    assert.ok(why === undefined || why.length > 0);
  })), any.params);
});

test('relatedResource and language values: never throw, always name a path; extra keys in a value object always fail', () => {
  const b = bounded(2000, 5000);
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), b.guard((v) => {
    for (const p of relatedResourceProblems(v)) assert.ok(p.code === 'MALFORMED_CREDENTIAL' && p.message.length > 0 && typeof p.path === 'string');
    for (const p of languageValueProblems(v, 'name', 'MALFORMED_CREDENTIAL')) assert.ok(p.path?.startsWith('name'));
  })), b.params);
  const extra = bounded(1000, 3000);
  fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['@value', '@language', '@direction'].includes(k)), fc.jsonValue({ maxDepth: 1 }), extra.guard((text, key, value) => {
    assert.ok(languageValueProblems({ '@value': text, '@language': 'en', [key]: value }, 'name', 'MALFORMED_CREDENTIAL').length > 0);
  })), extra.params);
  const tags = bounded(2000, 3000);
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('en', 'zh-Hans-CN', 'de-CH-1996', 'x-private', 'i-klingon', 'en-GB-oed', 'sr-Latn-RS')), tags.guard((t) => {
    const ok = isLanguageTag(t);
    if (ok) assert.match(t, /^[A-Za-z0-9-]+$/);
    if (/\s|_|--|^-|-$/.test(t)) assert.equal(ok, false, t);
  })), tags.params);
});

test('JSON-LD checks of whole credentials, with random inline contexts and types: never throw, always give typed problems', async () => {
  const term = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
  const iri = fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 }), fc.constantFrom('@id', '@type', '@vocab', '_:b0', 'https ://x'));
  const inline = fc.dictionary(fc.oneof(term, fc.constantFrom('VerifiableCredential', 'issuer', 'name', 'type', 'id', '@vocab', '@protected', '@version')), fc.oneof(iri, fc.record({ '@id': iri }), fc.boolean(), fc.constant(null)), { maxKeys: 4 });
  const doc = fc.record({
    '@context': fc.tuple(fc.constant('https://www.w3.org/ns/credentials/v2'), fc.array(fc.oneof(inline, fc.constantFrom('https://www.w3.org/ns/credentials/examples/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2', 'https://w3id.org/security/data-integrity/v2', 'https://unknown.example/ctx')), { maxLength: 2 })).map(([a, rest]) => [a, ...rest]),
    type: fc.array(fc.oneof(term, iri), { maxLength: 3 }).map((t) => ['VerifiableCredential', ...t]),
    issuer: fc.constant('did:example:issuer'),
    credentialSubject: fc.dictionary(fc.oneof(term, fc.constant('id')), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 }),
    name: fc.oneof(fc.string({ maxLength: 8 }), fc.record({ '@value': fc.string({ maxLength: 8 }), '@language': fc.constantFrom('en', 'zh', 'not a tag') })),
  });
  const b = bounded(300, 10_000);
  await fc.assert(fc.asyncProperty(doc, b.guard(async (d) => {
    const r = await checkJsonLd(d as unknown as JsonObject, {}, 'MALFORMED_CREDENTIAL');
    for (const p of [...r.errors, ...r.warnings]) {
      assert.ok(typeof p.code === 'string' && p.message.length > 0 && p.type.startsWith('https://www.w3.org/TR/'), JSON.stringify(p));
    }
    const ctx = d['@context'] as unknown[];
    const redefinesVc = ctx.some((c) => c !== null && typeof c === 'object' && Object.hasOwn(c, 'VerifiableCredential'));
    if (redefinesVc && !ctx.includes('https://unknown.example/ctx')) {
      assert.ok(r.errors.length > 0, `a context redefining VerifiableCredential passed: ${JSON.stringify(ctx)}`);
    }
  })), b.params);
});
