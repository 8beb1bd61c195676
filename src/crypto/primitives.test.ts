import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { fromBase58 } from '../codec/index.ts';
import {
  didFromPublicKey, generateKeyPair, hashFor, publicKeyFromPrivate, sha256, sign, sm3, sm4Decrypt, sm4Encrypt, verify,
} from './index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

test('SM3: GB/T 32905 Annex A examples', () => {
  assert.equal(hex(sm3(utf8('abc'))), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  assert.equal(hex(sm3(utf8('abcd'.repeat(16)))), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  assert.ok(sm3(utf8('abc')) instanceof Uint8Array);
  assert.equal(sm3(new Uint8Array()).length, 32);
});

test('SHA-256 and hashFor', () => {
  assert.equal(hex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hashFor('sm2'), sm3);
  assert.equal(hashFor('ed25519'), sha256);
  assert.throws(() => hashFor('rsa' as 'sm2'), { code: 'BAD_SUITE' });
});

test('SM4: GB/T 32907 Annex A.1 single block (sm4-ecb, no padding)', () => {
  const key = unhex('0123456789abcdeffedcba9876543210');
  const c = createCipheriv('sm4-ecb', key, null);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(key), c.final()]);
  assert.equal(out.toString('hex'), '681edf34d206965e86b3e94f536e4246');
});

test('SM4-CBC PKCS#7: first block matches the standard, round trips, rejects bad input', () => {
  const key = unhex('0123456789abcdeffedcba9876543210');
  // With a zero IV the first CBC block is the plain block cipher: GB/T 32907 A.1 again.
  const ct = sm4Encrypt(key, new Uint8Array(16), key);
  assert.equal(ct.length, 32); // one full block of padding
  assert.equal(hex(ct.subarray(0, 16)), '681edf34d206965e86b3e94f536e4246');
  assert.equal(hex(sm4Decrypt(key, new Uint8Array(16), ct)), hex(key));
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.uint8Array({ maxLength: 100 }), (k, iv, pt) => {
      const c = sm4Encrypt(k, iv, pt);
      assert.equal(c.length, (Math.floor(pt.length / 16) + 1) * 16);
      assert.equal(hex(sm4Decrypt(k, iv, c)), hex(pt));
    }), { numRuns: 50 });
  assert.throws(() => sm4Encrypt(new Uint8Array(15), new Uint8Array(16), key), { code: 'SM4_BAD_KEY' });
  assert.throws(() => sm4Encrypt(key, new Uint8Array(8), key), { code: 'SM4_BAD_IV' });
  assert.throws(() => sm4Decrypt(key, new Uint8Array(16), new Uint8Array(17)), { code: 'SM4_BAD_CIPHERTEXT' });
  const wrongKey = key.slice();
  wrongKey[0]! ^= 1;
  // A wrong key almost always breaks the padding; when it does, the error is typed.
  try {
    sm4Decrypt(wrongKey, new Uint8Array(16), ct);
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'SM4_BAD_PADDING');
  }
});

// RFC 8032 §7.1 TEST 1 (empty message).
const RFC8032_1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

test('Ed25519: RFC 8032 test 1', () => {
  const sk = unhex(RFC8032_1.secret);
  assert.equal(hex(publicKeyFromPrivate('ed25519', sk)), RFC8032_1.public);
  const sig = sign('ed25519', sk, new Uint8Array());
  assert.equal(hex(sig), RFC8032_1.sig);
  assert.equal(verify('ed25519', unhex(RFC8032_1.public), new Uint8Array(), sig), true);
  assert.equal(verify('ed25519', unhex(RFC8032_1.public), new Uint8Array([0]), sig), false);
  const bad = sig.slice();
  bad[10]! ^= 4;
  assert.equal(verify('ed25519', unhex(RFC8032_1.public), new Uint8Array(), bad), false);
});

test('Ed25519: generated pairs sign and verify; tampering fails', () => {
  const kp = generateKeyPair('ed25519');
  assert.equal(kp.privateKey.length, 32);
  assert.equal(kp.publicKey.length, 32);
  const msg = utf8('hello');
  const sig = sign('ed25519', kp.privateKey, msg);
  assert.equal(verify('ed25519', kp.publicKey, msg, sig), true);
  assert.equal(verify('sm2', kp.publicKey, msg, sig), false, 'wrong suite');
  assert.equal(verify('ed25519', generateKeyPair('ed25519').publicKey, msg, sig), false);
  assert.equal(verify('ed25519', kp.publicKey, utf8('hellp'), sig), false);
});

test('DID: did:shulian + base58btc of the first 20 bytes of SM3(public key), both suites', () => {
  for (const suite of ['sm2', 'ed25519'] as const) {
    const kp = generateKeyPair(suite);
    const did = didFromPublicKey(kp.publicKey);
    assert.match(did, /^did:shulian:[1-9A-HJ-NP-Za-km-z]+$/);
    assert.equal(hex(fromBase58(did.slice('did:shulian:'.length))), hex(sm3(kp.publicKey).subarray(0, 20)));
    assert.equal(didFromPublicKey(kp.publicKey), did, 'deterministic');
  }
  assert.throws(() => didFromPublicKey(new Uint8Array(10)), { name: 'ShulianError' });
});

test('key generation and derivation reject bad arguments with ShulianError', () => {
  assert.throws(() => generateKeyPair('rsa' as 'sm2'), { code: 'BAD_SUITE' });
  assert.throws(() => publicKeyFromPrivate('sm2', new Uint8Array(31)), { name: 'ShulianError' });
  assert.throws(() => publicKeyFromPrivate('sm2', new Uint8Array(32).fill(0xff)), { name: 'ShulianError' });
  assert.throws(() => publicKeyFromPrivate('ed25519', new Uint8Array(33)), { name: 'ShulianError' });
  assert.throws(() => sign('ed25519', new Uint8Array(32), 'text' as unknown as Uint8Array), { name: 'ShulianError' });
});
