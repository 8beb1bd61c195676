import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveKeyPair, generateKeyPair, publicKeyFromPrivate, sign, verify } from './index.ts';

test('deriveKeyPair: the same secret and label give the same working key; another label or secret another', () => {
  for (const suite of ['sm2', 'ed25519'] as const) {
    const secret = generateKeyPair(suite).privateKey;
    const a = deriveKeyPair(suite, secret, 'shulian/sandbox/issuer');
    const again = deriveKeyPair(suite, secret, 'shulian/sandbox/issuer');
    assert.deepEqual(a, again);
    assert.deepEqual(a.publicKey, publicKeyFromPrivate(suite, a.privateKey));
    const msg = new TextEncoder().encode('m');
    assert.ok(verify(suite, a.publicKey, msg, sign(suite, a.privateKey, msg)));
    assert.notDeepEqual(deriveKeyPair(suite, secret, 'shulian/sandbox/rail').privateKey, a.privateKey);
    assert.notDeepEqual(deriveKeyPair(suite, generateKeyPair(suite).privateKey, 'shulian/sandbox/issuer').privateKey, a.privateKey);
    assert.notDeepEqual(a.privateKey, secret, 'not the secret itself');
    // HMAC-SM3 of the label (counter 0: an SM2 key out of range has odds of 2^-32), as Node's OpenSSL computes it.
    assert.deepEqual(Buffer.from(a.privateKey), createHmac('sm3', secret).update('shulian/sandbox/issuer\u00000').digest());
  }
  assert.throws(() => deriveKeyPair('sm2', new Uint8Array(16), 'x'), /at least 32 bytes/);
});
