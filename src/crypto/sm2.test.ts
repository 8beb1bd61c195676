import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { generateKeyPair, publicKeyFromPrivate, sign, sm2Backend, sm2js, sm2native, verify } from './index.ts';
import { createSm2, SM2_RECOMMENDED_CURVE, sm2js as sm2jsFull } from './sm2js.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
// The native tests run unless the JS backend is forced on purpose: a missing addon is a failure.
const noNative = process.env.SHULIAN_SM2_BACKEND === 'js' ? 'SHULIAN_SM2_BACKEND=js forces the pure-JS backend' : false;

// GB/T 32918.2 Annex A (also GM/T 0003.2-2012 Annex A): example Fp-256 curve, ID ALICE123@YAHOO.COM.
// Values cross-checked against OpenSSL's test/sm2_internal_test.c and Bouncy Castle's SM2SignerTest.
const EXAMPLE_CURVE = {
  p: 0x8542d69e4c044f18e8b92435bf6ff7de457283915c45517d722edb8b08f1dfc3n,
  a: 0x787968b4fa32c3fd2417842e73bbfeff2f3c848b6831d7e0ec65228b3937e498n,
  b: 0x63e4c6d3b23b0c849cf84241484bfe48f61d59a5b16ba06e6e12d1da27c5249an,
  Gx: 0x421debd61b62eab6746434ebc3cc315e32220b3badd50bdc4c4e6c147fedd43dn,
  Gy: 0x0680512bcbb42c07d47349d2153b70c4e5d7fdfcbfa36ea1a85841b9e46e09a2n,
  n: 0x8542d69e4c044f18e8b92435bf6ff7dd297720630485628d5ae74ee7c32e79b7n,
};
const ANNEX_A = {
  id: utf8('ALICE123@YAHOO.COM'),
  d: unhex('128b2fa8bd433c6c068c8d803dff79792a519a55171b1b650c23661d15897263'),
  pub: '040ae4c7798aa0f119471bee11825be46202bb79e2a5844495e97c04ff4df2548a7c0240f88f1cd4e16352a73c17b7f16f07353e53a176d684a9fe0c6bb798e857',
  za: 'f4a38489e32b45b6f876e3ac2168ca392362dc8f23459c1d1146fc3dbfb7bc9a',
  k: 0x6cb28d99385c175c94f94e934817663fc176d925dd72b727260dbaae1fb2f96fn,
  r: '40f1ec59f793d9f49e09dcef49130d4194f79fb1eed2caa55bacdb49c4e755d1',
  s: '6fc6dac32c5d5cf10c77dfb20f7c2eb667a457872fb09ec56327a67ec7deebe7',
};

// Recommended curve (GB/T 32918.5), default ID, message "message digest"; the widely used
// vector (GB/T 32918.2-2016 Annex A / GM/T 0003.5), confirmed in OpenSSL, gmssl and ehsm tests.
const REC = {
  d: unhex('3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8'),
  pub: '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
  za: 'b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3',
  k: 0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n,
  sig: 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3' +
    'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa',
};
const MSG = utf8('message digest');

test('GB/T 32918.2 Annex A example curve: JS public key, Z_A and (r, s) with the fixed k', () => {
  const ex = createSm2(EXAMPLE_CURVE);
  const pub = ex.publicKey(ANNEX_A.d);
  assert.equal(hex(pub), ANNEX_A.pub);
  assert.equal(hex(ex.za(pub, ANNEX_A.id)), ANNEX_A.za);
  const sig = ex.signWithK(ANNEX_A.d, MSG, ANNEX_A.k, ANNEX_A.id);
  assert.equal(hex(sig), ANNEX_A.r + ANNEX_A.s);
  assert.equal(ex.verify(pub, MSG, sig, ANNEX_A.id), true);
  assert.equal(ex.verify(pub, utf8('message digesT'), sig, ANNEX_A.id), false);
  assert.equal(ex.verify(pub, MSG, sig, utf8('ALICE123@YAHOO.CON')), false);
});

test('recommended curve vector: JS reproduces (r, s) with the fixed k; both backends verify it', () => {
  assert.equal(hex(sm2jsFull.publicKey(REC.d)), REC.pub);
  assert.equal(hex(sm2jsFull.za(unhex(REC.pub))), REC.za);
  assert.equal(hex(sm2jsFull.signWithK(REC.d, MSG, REC.k)), REC.sig);
  assert.equal(sm2js.verify(unhex(REC.pub), MSG, unhex(REC.sig)), true);
  assert.equal(verify('sm2', unhex(REC.pub), MSG, unhex(REC.sig)), true);
  assert.equal(hex(publicKeyFromPrivate('sm2', REC.d)), REC.pub);
});

test('native addon verifies the recommended-curve vector and derives the same public key', { skip: noNative }, () => {
  assert.ok(sm2native);
  assert.equal(sm2native.verify(unhex(REC.pub), MSG, unhex(REC.sig)), true);
  assert.equal(sm2native.verify(unhex(REC.pub), MSG, unhex(REC.sig), utf8('1234567812345678')), true);
  assert.equal(sm2native.verify(unhex(REC.pub), MSG, unhex(REC.sig), utf8('1234567812345679')), false);
  assert.equal(sm2Backend, process.env.SHULIAN_SM2_BACKEND === 'js' ? 'js' : 'native');
});

test('sign/verify round trip through the public API, with tampering', () => {
  const kp = generateKeyPair('sm2');
  assert.equal(kp.privateKey.length, 32);
  assert.equal(kp.publicKey.length, 65);
  assert.equal(kp.publicKey[0], 4);
  const msg = utf8('transfer 100 to did:shulian:xyz');
  const sig = sign('sm2', kp.privateKey, msg);
  assert.equal(sig.length, 64);
  assert.equal(verify('sm2', kp.publicKey, msg, sig), true);
  const other = generateKeyPair('sm2');
  assert.equal(verify('sm2', other.publicKey, msg, sig), false, 'other key');
  for (let i = 0; i < 64; i += 7) {
    const bad = sig.slice();
    bad[i]! ^= 0x01;
    assert.equal(verify('sm2', kp.publicKey, msg, bad), false, `sig byte ${i}`);
  }
  const badMsg = msg.slice();
  badMsg[0]! ^= 0x80;
  assert.equal(verify('sm2', kp.publicKey, badMsg, sig), false, 'message');
  const badKey = kp.publicKey.slice();
  badKey[40]! ^= 0x01; // no longer on the curve
  assert.equal(verify('sm2', badKey, msg, sig), false, 'key');
  assert.throws(() => sign('sm2', new Uint8Array(32), msg), { name: 'ShulianError' });
});

test('cross-backend: native signs, JS verifies, and the reverse (random keys/messages/IDs)', { skip: noNative }, () => {
  const nat = sm2native!;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
      fc.boolean(),
      (seed, msg, id, tamper) => {
        seed[0] = (seed[0]! & 0x7f) | 0x01; // in [1, n-2]
        const pub = sm2jsFull.publicKey(seed);
        const sigN = nat.sign(seed, msg, id);
        const sigJ = sm2js.sign(seed, msg, id);
        assert.equal(sm2js.verify(pub, msg, sigN, id), true, 'JS verifies native');
        assert.equal(nat.verify(pub, msg, sigJ, id), true, 'native verifies JS');
        if (tamper) {
          const m2 = new Uint8Array([...msg, 0]);
          assert.equal(sm2js.verify(pub, m2, sigN, id), false);
          assert.equal(nat.verify(pub, m2, sigJ, id), false);
          const s2 = sigJ.slice();
          s2[63]! ^= 1;
          assert.equal(nat.verify(pub, msg, s2, id), false);
          assert.equal(sm2js.verify(pub, msg, s2, id), false);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('native signing keeps contexts for the last keys it signed with: each signature is by its own key, past the cache size and out of order', { skip: noNative }, () => {
  const nat = sm2native!;
  const keys = Array.from({ length: 20 }, (_, i) => {
    const d = new Uint8Array(32).fill(i + 1);
    d[0] = 0x11;
    return { d, pub: sm2jsFull.publicKey(d) };
  });
  const msg = utf8('vote');
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(i * 7 + round) % keys.length]!; // revisits keys in and out of the 8 kept
      const sig = nat.sign(k.d, msg);
      assert.equal(sm2js.verify(k.pub, msg, sig), true, 'signed by its own key');
      assert.equal(sm2js.verify(keys[(keys.indexOf(k) + 1) % keys.length]!.pub, msg, sig), false, 'not by another kept key');
      const other = nat.sign(k.d, msg, utf8('ALICE123@YAHOO.COM'));
      assert.equal(sm2js.verify(k.pub, msg, other, utf8('ALICE123@YAHOO.COM')), true, 'another ID is not served from the default-ID cache');
      assert.equal(sm2js.verify(k.pub, msg, other), false);
    }
  }
  const n = SM2_RECOMMENDED_CURVE.n;
  for (const bad of [new Uint8Array(32), unhex((n - 1n).toString(16).padStart(64, '0'))]) {
    assert.throws(() => nat.sign(bad, msg), (err: Error & { code?: string }) => err.code === 'SM2_BAD_KEY', 'a key outside [1, n-2] is refused, cache or not');
  }
});

test('native and JS derive identical public keys', { skip: noNative }, () => {
  const nat = sm2native as unknown as { publicKey(d: Uint8Array): Uint8Array };
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (d) => {
      d[0] = (d[0]! & 0x7f) | 0x01;
      assert.equal(hex(nat.publicKey(d)), hex(sm2jsFull.publicKey(d)));
    }),
    { numRuns: 40 },
  );
});

test('r, s outside [1, n-1] and off-curve keys are rejected by both backends', () => {
  const n = SM2_RECOMMENDED_CURVE.n;
  const be = (x: bigint): string => x.toString(16).padStart(64, '0');
  const pub = unhex(REC.pub);
  const good = unhex(REC.sig);
  const r = REC.sig.slice(0, 64);
  const s = REC.sig.slice(64);
  const cases: Record<string, Uint8Array> = {
    'r = 0': unhex(be(0n) + s),
    's = 0': unhex(r + be(0n)),
    'r = n': unhex(be(n) + s),
    's = n': unhex(r + be(n)),
    'r + n (overflow)': unhex('ff'.repeat(32) + s),
    's = n + s': unhex(r + be((BigInt('0x' + s) + n) % (1n << 256n))),
  };
  const impls = sm2native ? [sm2js, sm2native] : [sm2js];
  for (const impl of impls) {
    assert.equal(impl.verify(pub, MSG, good), true);
    for (const [name, sig] of Object.entries(cases)) assert.equal(impl.verify(pub, MSG, sig), false, name);
    const offCurve = pub.slice();
    offCurve[64]! ^= 1;
    assert.equal(impl.verify(offCurve, MSG, good), false, 'off-curve key');
    const compressed = new Uint8Array([0x02 | (pub[64]! & 1), ...pub.subarray(1, 33)]);
    assert.equal(impl.verify(compressed, MSG, good), false, 'compressed key is not accepted');
    assert.equal(impl.verify(new Uint8Array([0, ...pub.subarray(1)]), MSG, good), false, 'bad prefix');
  }
});

test('verify never throws on malformed input (property)', () => {
  const bytesOrJunk = fc.oneof(
    fc.uint8Array({ maxLength: 100 }),
    fc.uint8Array({ minLength: 65, maxLength: 65 }).map((b) => { b[0] = 4; return b; }),
    fc.uint8Array({ minLength: 64, maxLength: 64 }),
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.anything(),
  );
  const suite = fc.oneof(fc.constantFrom('sm2', 'ed25519'), fc.anything());
  const impls = sm2native ? [sm2js, sm2native] : [sm2js];
  fc.assert(
    fc.property(suite, bytesOrJunk, bytesOrJunk, bytesOrJunk, (su, pub, msg, sig) => {
      const call = verify as (...a: unknown[]) => boolean;
      assert.equal(call(su, pub, msg, sig), false);
      for (const impl of impls) {
        const v = impl.verify as (...a: unknown[]) => boolean;
        assert.equal(v(pub, msg, sig), false);
        assert.equal(v(pub, msg, sig, msg), false);
      }
    }),
    { numRuns: 400 },
  );
  // Right shapes, wrong everything.
  assert.equal(verify('sm2', unhex(REC.pub), MSG, new Uint8Array(64)), false);
  assert.equal(verify('sm2', new Uint8Array(65), MSG, unhex(REC.sig)), false);
});

test('SHULIAN_SM2_BACKEND=js forces the pure-JS backend', () => {
  const code = "const m = await import('./src/crypto/index.ts'); console.log(m.sm2Backend, m.sm2native === null);";
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: repoRoot, encoding: 'utf8', env: { ...process.env, SHULIAN_SM2_BACKEND: 'js' },
  });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /^js (true|false)\n$/);
});
