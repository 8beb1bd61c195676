import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenIssuer } from './tokens.ts';

const DID = 'did:shulian:buyer';

test('a token verifies to its DID, again from the cache, until it expires — then it is refused, cached or not', () => {
  let now = 1_000_000;
  const t = new TokenIssuer(300_000, 10, () => now);
  const { token, expires } = t.issue(DID);
  assert.equal(expires, 1_300_000);
  assert.equal(t.verify(token), DID);
  assert.equal(t.verify(token), DID, 'a cache hit');
  now = 1_300_000;
  assert.equal(t.verify(token), DID, 'valid through its expiry ms');
  now = 1_300_001;
  assert.throws(() => t.verify(token), { code: 'GATEWAY_TOKEN_EXPIRED', message: /expired at/ });
  assert.throws(() => t.verify(token), { code: 'GATEWAY_TOKEN_EXPIRED', message: /expired at/ }, 'still refused once forgotten');
});

test('a forged, altered or foreign token is refused, even when its claims match a cached token', () => {
  let now = 1_000_000;
  const t = new TokenIssuer(300_000, 10, () => now);
  const other = new TokenIssuer(300_000, 10, () => now);
  const { token } = t.issue(DID);
  assert.equal(t.verify(token), DID);
  const [claims, mac] = token.split('.') as [string, string];
  const flipped = `${claims}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
  assert.throws(() => t.verify(flipped), { code: 'GATEWAY_TOKEN_EXPIRED', message: /not issued by this gateway/ });
  const longer = Buffer.from(JSON.stringify({ did: DID, exp: now + 10 ** 9 })).toString('base64url');
  assert.throws(() => t.verify(`${longer}.${mac}`), { code: 'GATEWAY_TOKEN_EXPIRED', message: /not issued by this gateway/ }, 'the mac binds the claims');
  assert.throws(() => t.verify(other.issue(DID).token), { code: 'GATEWAY_TOKEN_EXPIRED', message: /not issued by this gateway/ }, 'another process\'s secret');
  for (const bad of ['', 'nodot', '.mac', `${claims}.`, `${claims}.${mac}.x`, `${'a'.repeat(600)}.${mac}`]) {
    assert.throws(() => t.verify(bad), { code: 'GATEWAY_TOKEN_EXPIRED', message: /malformed/ }, bad.slice(0, 20));
  }
  now += 1;
  assert.equal(t.verify(token), DID, 'the real one still verifies');
});

test('the cache is bounded: past `max` tokens the oldest is forgotten and verified again when used', () => {
  const t = new TokenIssuer(300_000, 2);
  const a = t.issue('did:shulian:a').token;
  const b = t.issue('did:shulian:b').token;
  const c = t.issue('did:shulian:c').token;
  for (const x of [a, b, c]) t.verify(x);
  assert.deepEqual([t.verify(a), t.verify(b), t.verify(c)], ['did:shulian:a', 'did:shulian:b', 'did:shulian:c']);
  assert.ok(t.cached() <= 2);
});
