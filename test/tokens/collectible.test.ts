/**
 * The collectible module on a real chain: classes, mints within the supply, gifts under the
 * class's rules (soulbound, holding period, real-name recipients, gift limit, cooldown) refused
 * with their own codes and nothing written, the mayMove query agreeing with the chain, albums.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { collectibleStateKey } from '../../src/modules/collectible/keys.ts';
import { mayMove, type AlbumRecord, type ClassRecord, type TokenRecord } from '../../src/modules/collectible/types.ts';
import { DAY, did, tokenChain, type TokenChain } from '../helpers/tokens.ts';

let k: TokenChain;
const issuer = generateKeyPair('ed25519');
const verifier = generateKeyPair('ed25519');
const alice = generateKeyPair('ed25519');
const bob = generateKeyPair('ed25519');
const carol = generateKeyPair('ed25519');
const stranger = generateKeyPair('ed25519');
const media = 'ab'.repeat(32);

before(async () => {
  k = await tokenChain();
});
after(async () => {
  await k.close();
});

const cls = (id: string) => k.state<ClassRecord>(collectibleStateKey.class(id))!;
const token = (id: string, serial: number) => k.state<TokenRecord>(collectibleStateKey.token(id, serial))!;

test('classes: the issuer mints within the supply; no one else mints', async () => {
  await k.ok(issuer, 'collectible', 'createClass', { id: 'heritage-embroidery', name: '顾绣 Gu embroidery', supply: 2, metadata: media, rules: { transferable: true, holdDays: 180, realNameVerifier: did(verifier), maxGifts: 2, cooldownDays: 30 } });
  await k.refused(stranger, 'collectible', 'createClass', { id: 'heritage-embroidery', name: 'x', supply: 1, metadata: media, rules: { transferable: true } }, 'COLLECTIBLE_EXISTS');
  await k.refused(stranger, 'collectible', 'mint', { class: 'heritage-embroidery', to: did(stranger) }, 'COLLECTIBLE_NOT_ISSUER', /may not mint/);
  assert.deepEqual(await k.ok(issuer, 'collectible', 'mint', { class: 'heritage-embroidery', to: did(alice) }), { class: 'heritage-embroidery', serial: 1 });
  await k.ok(issuer, 'collectible', 'mint', { class: 'heritage-embroidery', to: did(carol) });
  await k.refused(issuer, 'collectible', 'mint', { class: 'heritage-embroidery', to: did(bob) }, 'COLLECTIBLE_SOLD_OUT', /all 2 tokens/);
  assert.equal(cls('heritage-embroidery').minted, 2);
  await k.refused(issuer, 'collectible', 'createClass', { id: 'bad', name: 'x', supply: 0, metadata: media, rules: { transferable: true } }, 'BAD_ARGS', /args\.supply/);
  await k.refused(issuer, 'collectible', 'createClass', { id: 'bad', name: 'x', supply: 1, metadata: media, rules: { transferable: true, holdDays: -1 } }, 'BAD_ARGS', /args\.rules\.holdDays/);
});

test('gifts: holding period, real name, cooldown and gift limit are refused with their codes; mayMove says why', async () => {
  const t0 = token('heritage-embroidery', 1).acquired;
  // Too early: 180 days of holding.
  await k.ok(verifier, 'collectible', 'attest', { subject: did(bob), credential: 'cd'.repeat(32) });
  await k.refused(alice, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 1, to: did(bob) }, 'COLLECTIBLE_HOLDING', /after 180 days/, t0 + 179 * DAY);
  const why = mayMove(cls('heritage-embroidery'), token('heritage-embroidery', 1), did(alice), did(bob), t0 + 179 * DAY, { realName: true });
  assert.equal(why.ok, false);
  assert.equal(!why.ok && why.code, 'COLLECTIBLE_HOLDING');
  assert.equal(!why.ok && why.until, t0 + 180 * DAY);
  // Someone else's token.
  await k.refused(stranger, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 1, to: did(bob) }, 'COLLECTIBLE_NOT_OWNER', undefined, t0 + 181 * DAY);
  // A recipient without a real-name attestation by the class's verifier (an attestation by anyone else does not count).
  await k.ok(stranger, 'collectible', 'attest', { subject: did(stranger), credential: 'cd'.repeat(32) });
  await k.refused(alice, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 1, to: did(stranger) }, 'COLLECTIBLE_NOT_REAL_NAME', /no real-name attestation/);
  assert.equal(mayMove(cls('heritage-embroidery'), token('heritage-embroidery', 1), did(alice), did(bob), k.time + 1000, { realName: true }).ok, true);
  await k.ok(alice, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 1, to: did(bob) });
  const moved = token('heritage-embroidery', 1);
  assert.equal(moved.owner, did(bob));
  assert.equal(moved.gifts, 1);
  assert.equal(k.state<number>(collectibleStateKey.held(did(alice), 'heritage-embroidery')) ?? 0, 0);
  assert.equal(k.state<number>(collectibleStateKey.held(did(bob), 'heritage-embroidery')), 1);
  // The new holder starts a new holding period.
  await k.ok(verifier, 'collectible', 'attest', { subject: did(alice), credential: 'ce'.repeat(32) });
  await k.refused(bob, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 1, to: did(alice) }, 'COLLECTIBLE_HOLDING');
  // Second gift (bob → alice) after 180 days; the third is beyond maxGifts = 2.
  await k.ok(bob, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 1, to: did(alice) }, moved.acquired + 180 * DAY);
  await k.ok(verifier, 'collectible', 'attest', { subject: did(carol), credential: 'cf'.repeat(32) });
  await k.refused(alice, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 1, to: did(carol) }, 'COLLECTIBLE_GIFT_LIMIT', /gifted 2 times/, k.time + 181 * DAY);
  // Cooldown: carol gifts token 2 to bob, then cannot gift again within 30 days (a token she got back meanwhile).
  await k.ok(carol, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 2, to: did(bob) });
  const lastGift = k.time;
  // A revoked attestation: the recipient no longer qualifies until attested again.
  await k.ok(verifier, 'collectible', 'revokeAttestation', { subject: did(carol) });
  await k.refused(bob, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 2, to: did(carol) }, 'COLLECTIBLE_NOT_REAL_NAME', undefined, lastGift + 180 * DAY);
  await k.refused(verifier, 'collectible', 'revokeAttestation', { subject: did(carol) }, 'COLLECTIBLE_NOT_FOUND');
  await k.ok(verifier, 'collectible', 'attest', { subject: did(carol), credential: 'cf'.repeat(32) });
  await k.ok(bob, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 2, to: did(carol) });
  await k.refused(carol, 'collectible', 'gift', { class: 'heritage-embroidery', serial: 2, to: did(alice) }, 'COLLECTIBLE_HOLDING');
});

test('cooldown between one holder\'s gifts of a class', async () => {
  await k.ok(issuer, 'collectible', 'createClass', { id: 'lantern', name: '花灯 lantern', supply: 10, metadata: media, rules: { transferable: true, cooldownDays: 30 } });
  await k.ok(issuer, 'collectible', 'mint', { class: 'lantern', to: did(alice) });
  await k.ok(issuer, 'collectible', 'mint', { class: 'lantern', to: did(alice) });
  await k.ok(alice, 'collectible', 'gift', { class: 'lantern', serial: 1, to: did(bob) });
  await k.refused(alice, 'collectible', 'gift', { class: 'lantern', serial: 2, to: did(bob) }, 'COLLECTIBLE_COOLDOWN', /after 30 days/, k.time + 29 * DAY);
  await k.ok(alice, 'collectible', 'gift', { class: 'lantern', serial: 2, to: did(bob) }, k.time + 2 * DAY);
});

test('soulbound classes never move', async () => {
  await k.ok(issuer, 'collectible', 'createClass', { id: 'volunteer-badge', name: 'volunteer', supply: 10, metadata: media, rules: { transferable: false } });
  await k.ok(issuer, 'collectible', 'mint', { class: 'volunteer-badge', to: did(alice) });
  await k.refused(alice, 'collectible', 'gift', { class: 'volunteer-badge', serial: 1, to: did(bob) }, 'COLLECTIBLE_LOCKED', /soulbound/, k.time + 5000 * DAY);
  // No method sells or transfers otherwise: the module has no sale.
  await k.refused(alice, 'collectible', 'transfer', { class: 'volunteer-badge', serial: 1, to: did(bob) }, 'METHOD_NOT_FOUND');
  await k.refused(alice, 'collectible', 'sell', { class: 'volunteer-badge', serial: 1, price: '100' }, 'METHOD_NOT_FOUND');
});

test('albums: completion mints the reward once; incomplete or repeated claims are refused', async () => {
  await k.ok(issuer, 'collectible', 'createClass', { id: 'album-reward', name: 'collector', supply: 5, metadata: media, rules: { transferable: false } });
  await k.refused(stranger, 'collectible', 'createAlbum', { id: 'heritage', name: '非遗', classes: ['lantern', 'volunteer-badge'], reward: 'album-reward' }, 'COLLECTIBLE_NOT_ISSUER');
  await k.refused(issuer, 'collectible', 'createAlbum', { id: 'heritage', name: '非遗', classes: ['lantern', 'album-reward'], reward: 'album-reward' }, 'BAD_ARGS', /args\.reward/);
  await k.ok(issuer, 'collectible', 'createAlbum', { id: 'heritage', name: '非遗', classes: ['lantern', 'volunteer-badge'], reward: 'album-reward' });
  // bob holds lanterns but no badge.
  await k.refused(bob, 'collectible', 'claimAlbum', { album: 'heritage' }, 'COLLECTIBLE_ALBUM_INCOMPLETE', /volunteer-badge/);
  await k.ok(issuer, 'collectible', 'mint', { class: 'volunteer-badge', to: did(bob) });
  assert.deepEqual(await k.ok(bob, 'collectible', 'claimAlbum', { album: 'heritage' }), { album: 'heritage', class: 'album-reward', serial: 1 });
  assert.equal(token('album-reward', 1).album, 'heritage');
  await k.refused(bob, 'collectible', 'claimAlbum', { album: 'heritage' }, 'COLLECTIBLE_ALBUM_CLAIMED');
  assert.equal(k.state<AlbumRecord>(collectibleStateKey.album('heritage'))!.claimed, 1);
});
