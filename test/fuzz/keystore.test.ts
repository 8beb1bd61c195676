/**
 * Fuzz of keystore files (src/crypto/keystore.ts) as `shulian keys show` and every signing
 * command read them: any bytes in the file, any JSON, and real keystores with one field changed.
 * The answer is the key (only for the intact file and its password), KEYSTORE_BAD_PASSWORD, or
 * KEYSTORE_INVALID saying which field is wrong — never another error, never a different key.
 *
 * Bounded to the file's structure: the scrypt cost fields (n, r, p) are only ever set to values
 * the parser refuses or to small costs. That absurd but in-range costs are refused quickly is
 * being changed elsewhere (see docs/testing.md#fuzzing).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { ShulianError, type JsonValue } from '../../src/codec/index.ts';
import { decryptKeystore, encryptKeystore, generateKeyPair, readKeystore, type KeyPair } from '../../src/crypto/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const tmp = tempDir('shulian-fuzz-keystore-');
after(() => tmp.cleanup());
const PW = 'fuzz password';
const N = 16; // scrypt N for the fuzz's own files: cheap, and the parser accepts it
const pairs: KeyPair[] = [generateKeyPair('sm2'), generateKeyPair('ed25519')];
const files = pairs.map((k) => encryptKeystore(k, PW, { scryptN: N }) as unknown as Record<string, JsonValue>);

const typed = (err: unknown): ShulianError => {
  assert.ok(err instanceof ShulianError, `threw ${String(err)} instead of a typed keystore error`);
  assert.match(err.code, /^KEYSTORE_(INVALID|BAD_PASSWORD)$/, err.message);
  assert.ok(err.message.length > 10);
  return err;
};

/** Values a field might be changed to; scrypt costs only to refused or cheap ones (see above). */
const fieldValue = (path: string): fc.Arbitrary<JsonValue> => {
  if (/crypto\.(n|r|p)$/.test(path)) {
    return fc.constantFrom<JsonValue>(0, 1, 3, 6, 2, 4, 8, 16, 32, -16, 1.5, '16', null, 2 ** 23, 2 ** 40, 33, 17, Number.MAX_SAFE_INTEGER);
  }
  return fc.oneof(
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
    fc.constantFrom<JsonValue>('', '00', 'ab'.repeat(16), 'ab'.repeat(32), 'AB'.repeat(16), 'zz', 1, 32, 'sm2', 'ed25519', 'sm4-cbc', 'scrypt', 'hmac-sm3', 'did:shulian:x'),
  );
};
const paths = (v: JsonValue, at = ''): string[] =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).flatMap(([k, x]) => [`${at}${k}`, ...paths(x, `${at}${k}.`)]) : [];
const setAt = (doc: Record<string, JsonValue>, path: string, value: JsonValue | undefined): Record<string, JsonValue> => {
  const copy = structuredClone(doc);
  const keys = path.split('.');
  let cur = copy as Record<string, JsonValue>;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, JsonValue>;
  if (value === undefined) delete cur[keys.at(-1)!];
  else cur[keys.at(-1)!] = value;
  return copy;
};

test('a real keystore with one field changed or removed: the key only if unchanged, else a typed refusal', () => {
  const b = bounded(400, 8000);
  const arb = fc.nat(files.length - 1).chain((i) => {
    const ps = paths(files[i]!);
    return fc.tuple(fc.constant(i), fc.constantFrom(...ps).chain((p) => fc.tuple(fc.constant(p), fc.option(fieldValue(p), { nil: undefined, freq: 5 }))), fc.boolean());
  });
  fc.assert(fc.property(arb, b.guard(([i, [path, value], rightPassword]) => {
    const changed = setAt(files[i]!, path, value);
    const same = JSON.stringify(changed) === JSON.stringify(files[i]);
    try {
      const k = decryptKeystore(changed, rightPassword ? PW : 'not the password');
      assert.ok(same && rightPassword, `changing ${path} to ${JSON.stringify(value)} still opened`);
      assert.deepEqual(k, pairs[i]);
    } catch (err) {
      const e = typed(err);
      if (e.code === 'KEYSTORE_INVALID') assert.match(e.message, /^invalid keystore: /);
      if (same) assert.equal(e.code, rightPassword ? 'unreachable' : 'KEYSTORE_BAD_PASSWORD');
    }
  })), b.params);
});

test('any JSON, and any bytes in the file, are refused with KEYSTORE_INVALID before any key derivation', () => {
  const b = bounded(2000, 4000);
  fc.assert(fc.property(fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.constantFrom('version', 'suite', 'did', 'publicKey', 'crypto'), fc.jsonValue({ maxDepth: 2 })),
    fc.record({ version: fc.constant(1), suite: fc.constantFrom('sm2', 'ed25519'), publicKey: fc.constantFrom('ab'.repeat(32), '04' + 'ab'.repeat(64)), did: fc.string(), crypto: fc.dictionary(fc.constantFrom('cipher', 'kdf', 'n', 'r', 'p', 'dklen', 'salt', 'iv', 'ciphertext', 'macAlg', 'mac'), fc.jsonValue({ maxDepth: 1 })) }),
  ), b.guard((v) => {
    assert.throws(() => decryptKeystore(v, PW), (err) => typed(err).code === 'KEYSTORE_INVALID');
  })), b.params);
  const f = join(tmp.dir, 'fuzz.json');
  const c = bounded(500, 3000);
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s))), c.guard((bytes) => {
    writeFileSync(f, bytes);
    assert.throws(() => readKeystore(f, PW), (err) => typed(err).code === 'KEYSTORE_INVALID');
  })), c.params);
});
