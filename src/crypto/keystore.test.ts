import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decryptKeystore, didFromPublicKey, encryptKeystore, generateKeyPair, readKeystore, writeKeystore, type KeystoreFile,
} from './index.ts';

const FAST = { scryptN: 1 << 10 };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const clone = (f: KeystoreFile): KeystoreFile => JSON.parse(JSON.stringify(f)) as KeystoreFile;

function flipHex(s: string, at = 0): string {
  const c = s[at] === '0' ? '1' : '0';
  return s.slice(0, at) + c + s.slice(at + 1);
}

test('keystore round trip for both suites; file holds no plaintext key bytes', () => {
  for (const suite of ['sm2', 'ed25519'] as const) {
    const kp = generateKeyPair(suite);
    const file = encryptKeystore(kp, 'correct horse', FAST);
    assert.equal(file.version, 1);
    assert.equal(file.suite, suite);
    assert.equal(file.did, didFromPublicKey(kp.publicKey));
    assert.equal(file.publicKey, hex(kp.publicKey));
    assert.equal(file.crypto.n, 1 << 10);
    const text = JSON.stringify(file);
    assert.ok(!text.includes(hex(kp.privateKey)), 'private key hex must not appear');
    assert.ok(!text.includes(Buffer.from(kp.privateKey).toString('base64').slice(0, 20)), 'nor base64');
    const back = decryptKeystore(JSON.parse(text), 'correct horse');
    assert.deepEqual(back, kp);
  }
});

test('default scrypt parameters are OWASP\'s N=2^17, r=8, p=1; files written with the old N=2^15 still open', () => {
  const kp = generateKeyPair('ed25519');
  const file = encryptKeystore(kp, 'pw');
  assert.deepEqual([file.crypto.n, file.crypto.r, file.crypto.p], [1 << 17, 8, 1]);
  assert.deepEqual(decryptKeystore(file, 'pw'), kp);
  const old = encryptKeystore(kp, 'pw', { scryptN: 1 << 15 });
  assert.equal(old.crypto.n, 1 << 15);
  assert.deepEqual(decryptKeystore(JSON.parse(JSON.stringify(old)), 'pw'), kp);
});

test('a crafted file asking for too costly a scrypt is refused before anything is derived', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-ks-'));
  try {
    const file = encryptKeystore(generateKeyPair('sm2'), 'pw', FAST);
    // N = 2^24 with r = 8 would need 16 GiB; r = 32 or p = 17 beyond the limits; N = 2^20 with r = 16 is 2 GiB.
    const crafted: Array<[Partial<KeystoreFile['crypto']>, RegExp]> = [
      [{ n: 1 << 24 }, /crypto\.n is 2\^24, above 2\^20/],
      [{ n: 2 ** 40 }, /crypto\.n is 2\^40/],
      [{ r: 32 }, /crypto\.r is 32, above 16/],
      [{ p: 17 }, /crypto\.p is 17, above 16/],
      [{ n: 1 << 20, r: 16 }, /ask for 2 GiB of memory/],
    ];
    for (const [params, why] of crafted) {
      const path = join(dir, 'crafted.json');
      writeFileSync(path, JSON.stringify({ ...file, crypto: { ...file.crypto, ...params } }));
      assert.throws(() => readKeystore(path, 'pw'), (e: unknown) => {
        const err = e as { code?: string; message?: string };
        assert.equal(err.code, 'KEYSTORE_INVALID');
        assert.match(String(err.message), why);
        assert.match(String(err.message), /refused before any memory is allocated/);
        return true;
      });
    }
    // At the limits the parameters are accepted (the wrong password then says so, after deriving).
    assert.throws(() => decryptKeystore({ ...file, crypto: { ...file.crypto, n: 1 << 10, r: 16, p: 16 } }, 'pw'), { code: 'KEYSTORE_BAD_PASSWORD' });
    assert.throws(() => encryptKeystore(generateKeyPair('sm2'), 'pw', { scryptN: 1 << 21 }), { code: 'BAD_ARGUMENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wrong password gives KEYSTORE_BAD_PASSWORD and nothing else', () => {
  const file = encryptKeystore(generateKeyPair('sm2'), 'right', FAST);
  for (const pw of ['wrong', '', 'right ', 'Right']) {
    assert.throws(() => decryptKeystore(file, pw), (e: unknown) => {
      const err = e as { code?: string; message?: string };
      assert.equal(err.code, 'KEYSTORE_BAD_PASSWORD');
      assert.equal(err.message, 'wrong keystore password');
      return true;
    });
  }
});

test('tampered files are detected', () => {
  const kp = generateKeyPair('sm2');
  const file = encryptKeystore(kp, 'pw', FAST);
  const mutate = (f: (x: KeystoreFile) => void): KeystoreFile => {
    const c = clone(file);
    f(c);
    return c;
  };
  // Integrity of the encrypted part: MAC over iv || ciphertext.
  for (const bad of [
    mutate((x) => { x.crypto.ciphertext = flipHex(x.crypto.ciphertext, 5); }),
    mutate((x) => { x.crypto.iv = flipHex(x.crypto.iv, 3); }),
    mutate((x) => { x.crypto.mac = flipHex(x.crypto.mac, 0); }),
    mutate((x) => { x.crypto.salt = flipHex(x.crypto.salt, 0); }),
    mutate((x) => { x.crypto.n = 1 << 11; }),
  ]) {
    assert.throws(() => decryptKeystore(bad, 'pw'), { code: 'KEYSTORE_BAD_PASSWORD' });
  }
  // Header fields are bound by re-deriving the public key and DID after decryption.
  const other = generateKeyPair('sm2');
  assert.throws(() => decryptKeystore(mutate((x) => { x.publicKey = hex(other.publicKey); }), 'pw'),
    { code: 'KEYSTORE_INVALID', message: /publicKey does not match/ });
  assert.throws(() => decryptKeystore(mutate((x) => { x.did = didFromPublicKey(other.publicKey); }), 'pw'),
    { code: 'KEYSTORE_INVALID', message: /did does not match/ });
  assert.throws(() => decryptKeystore(mutate((x) => { x.suite = 'ed25519'; }), 'pw'), { code: 'KEYSTORE_INVALID' });
});

test('malformed files give KEYSTORE_INVALID saying what is wrong', () => {
  const file = encryptKeystore(generateKeyPair('ed25519'), 'pw', FAST);
  const cases: Array<[unknown, RegExp]> = [
    [null, /not a JSON object/],
    ['{}', /not a JSON object/],
    [{ ...clone(file), version: 2 }, /version/],
    [{ ...clone(file), suite: 'rsa' }, /suite/],
    [{ ...clone(file), publicKey: 'zz' }, /publicKey/],
    [{ ...clone(file), crypto: undefined }, /crypto must be an object/],
    [{ ...clone(file), crypto: { ...file.crypto, kdf: 'pbkdf2' } }, /kdf/],
    [{ ...clone(file), crypto: { ...file.crypto, cipher: 'aes-128-ctr' } }, /cipher/],
    [{ ...clone(file), crypto: { ...file.crypto, n: 1000 } }, /crypto\.n/],
    [{ ...clone(file), crypto: { ...file.crypto, n: 2 ** 40 } }, /crypto\.n/],
    [{ ...clone(file), crypto: { ...file.crypto, r: 0 } }, /crypto\.r/],
    [{ ...clone(file), crypto: { ...file.crypto, iv: 'abcd' } }, /crypto\.iv/],
    [{ ...clone(file), crypto: { ...file.crypto, ciphertext: 'ab' } }, /ciphertext/],
    [{ ...clone(file), crypto: { ...file.crypto, mac: 'ABCD' } }, /crypto\.mac/],
  ];
  for (const [bad, why] of cases) {
    assert.throws(() => decryptKeystore(bad, 'pw'), (e: unknown) => {
      const err = e as { code?: string; message?: string };
      assert.equal(err.code, 'KEYSTORE_INVALID', String(err.message));
      assert.match(String(err.message), why);
      return true;
    });
  }
});

test('writeKeystore: mode 0600, atomic, refuses to overwrite unless asked; readKeystore round trips', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-ks-'));
  try {
    const path = join(dir, 'node.key.json');
    const kp = generateKeyPair('sm2');
    writeKeystore(path, kp, 'pw', FAST);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readKeystore(path, 'pw'), kp);
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes(hex(kp.privateKey)));

    const kp2 = generateKeyPair('sm2');
    assert.throws(() => writeKeystore(path, kp2, 'pw', FAST), { code: 'KEYSTORE_EXISTS' });
    assert.deepEqual(readKeystore(path, 'pw'), kp, 'existing file untouched');
    writeKeystore(path, kp2, 'pw2', { ...FAST, overwrite: true });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readKeystore(path, 'pw2'), kp2);
    assert.deepEqual(readdirSync(dir), ['node.key.json'], 'no temporary files left behind');

    assert.throws(() => readKeystore(path, 'pw'), { code: 'KEYSTORE_BAD_PASSWORD' });
    assert.throws(() => readKeystore(join(dir, 'missing.json'), 'pw'), { code: 'KEYSTORE_NOT_FOUND' });
    writeFileSync(join(dir, 'junk.json'), '{not json');
    assert.throws(() => readKeystore(join(dir, 'junk.json'), 'pw'), { code: 'KEYSTORE_INVALID' });
    assert.throws(() => writeKeystore(join(dir, 'nope', 'x.json'), kp, 'pw', FAST), { code: 'KEYSTORE_WRITE_FAILED' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
