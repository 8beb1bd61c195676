/**
 * The console's browser stand-ins for Node-only crypto (console/shims) against Node's OpenSSL:
 * the pure-TypeScript SM3, HMAC-SM3 and SM4-CBC give the same bytes, and a keystore written by
 * the CLI's code decrypts with the browser code (and the other way round).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decryptKeystore as nodeDecrypt, encryptKeystore as nodeEncrypt, generateKeyPair } from '../../src/crypto/index.ts';
import { hmacSm3, sm3js } from '../../console/shims/sm3.ts';
import { sm4Block, sm4Decrypt, sm4Encrypt } from '../../console/shims/sm4.ts';
import { decryptKeystore, decryptKeystoreAsync, encryptKeystore } from '../../console/shims/keystore.ts';
import { BrowserBuffer } from '../../console/shims/buffer.ts';

test('SM3 in TypeScript matches OpenSSL (GB/T 32905 vectors and random inputs of every padding length)', () => {
  assert.equal(Buffer.from(sm3js(Buffer.from('abc'))).toString('hex'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  assert.equal(Buffer.from(sm3js(Buffer.from('abcd'.repeat(16)))).toString('hex'), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  for (let len = 0; len < 200; len++) {
    const data = randomBytes(len);
    assert.equal(Buffer.from(sm3js(data)).toString('hex'), createHash('sm3').update(data).digest('hex'), `length ${len}`);
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 100 }), (key, msg) => {
    assert.equal(Buffer.from(hmacSm3(key, msg)).toString('hex'), createHmac('sm3', key).update(msg).digest('hex'));
  }));
});

test('SM4 in TypeScript matches OpenSSL (GB/T 32907 vector, CBC with PKCS#7 both ways)', () => {
  const k = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
  assert.equal(Buffer.from(sm4Block(k, k)).toString('hex'), '681edf34d206965e86b3e94f536e4246');
  assert.equal(Buffer.from(sm4Block(k, sm4Block(k, k), true)).toString('hex'), k.toString('hex'));
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 100 }), (key, iv, pt) => {
    const c = createCipheriv('sm4-cbc', key, iv);
    const want = Buffer.concat([c.update(pt), c.final()]);
    const got = sm4Encrypt(key, iv, pt);
    assert.equal(Buffer.from(got).toString('hex'), want.toString('hex'));
    assert.equal(Buffer.from(sm4Decrypt(key, iv, got)).toString('hex'), Buffer.from(pt).toString('hex'));
  }), { numRuns: 300 });
});

test('keystores cross between the CLI code and the browser code; a wrong password is told apart', async () => {
  for (const suite of ['sm2', 'ed25519'] as const) {
    const kp = generateKeyPair(suite);
    const file = JSON.parse(JSON.stringify(nodeEncrypt(kp, 'pw-密码', { scryptN: 1 << 10 })));
    const got = await decryptKeystoreAsync(file, 'pw-密码');
    assert.deepEqual([Buffer.from(got.privateKey).toString('hex'), got.suite], [Buffer.from(kp.privateKey).toString('hex'), suite]);
    await assert.rejects(decryptKeystoreAsync(file, 'wrong'), { code: 'KEYSTORE_BAD_PASSWORD' });
    const back = nodeDecrypt(encryptKeystore(kp, 'x', { scryptN: 1 << 10 }), 'x');
    assert.equal(Buffer.from(back.privateKey).toString('hex'), Buffer.from(kp.privateKey).toString('hex'));
    assert.throws(() => decryptKeystore({ ...file, version: 2 }, 'pw-密码'), { code: 'KEYSTORE_INVALID' });
  }
});

test('the browser keystore applies the CLI\'s scrypt default and bounds (one shared copy of the checks)', async () => {
  const kp = generateKeyPair('sm2');
  // New files: N = 2^17, r = 8, p = 1 (OWASP), like the CLI's.
  const made = encryptKeystore(kp, 'pw');
  assert.deepEqual([made.crypto.n, made.crypto.r, made.crypto.p], [1 << 17, 8, 1]);
  assert.throws(() => encryptKeystore(kp, 'pw', { scryptN: 1 << 21 }), { code: 'BAD_ARGUMENT' });
  // Crafted costs are refused before any scrypt runs, with the same error as the CLI's code.
  const base = nodeEncrypt(kp, 'pw', { scryptN: 1 << 4 });
  const crafted: Array<Partial<typeof base.crypto>> = [
    { r: 17 }, { p: 17 }, { n: 1 << 21, r: 1 }, { n: 1 << 20, r: 9 }, { n: 3 }, { r: 0 },
  ];
  for (const c of crafted) {
    const file = { ...base, crypto: { ...base.crypto, ...c } };
    let nodeErr: { code?: string; message?: string } = {};
    try { nodeDecrypt(file, 'pw'); } catch (err) { nodeErr = err as typeof nodeErr; }
    assert.equal(nodeErr.code, 'KEYSTORE_INVALID', JSON.stringify(c));
    assert.throws(() => decryptKeystore(file, 'pw'), { code: nodeErr.code, message: nodeErr.message }, JSON.stringify(c));
    await assert.rejects(decryptKeystoreAsync(file, 'pw'), { code: nodeErr.code, message: nodeErr.message }, JSON.stringify(c));
  }
});

test('the Buffer stand-in agrees with Node on what the SDK uses', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.string(), (b, s) => {
    assert.equal(BrowserBuffer.from(b).toString('hex'), Buffer.from(b).toString('hex'));
    assert.equal(BrowserBuffer.from(Buffer.from(b).toString('hex'), 'hex').toString('hex'), Buffer.from(b).toString('hex'));
    assert.equal(BrowserBuffer.from(s, 'utf8').toString('hex'), Buffer.from(s, 'utf8').toString('hex'));
    assert.equal(BrowserBuffer.byteLength(s), Buffer.byteLength(s));
    assert.equal(BrowserBuffer.from(b).toString('latin1'), Buffer.from(b).toString('latin1'));
    assert.equal(BrowserBuffer.compare(b, b.subarray(1)), Buffer.compare(b, b.subarray(1)));
  }));
});
