import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { generateKeyPair } from '../../crypto/index.ts';
import {
  decodeStatusList, encodeStatusList, issueCredential, keyPairSigner, readStatusBits, shulianKeyResolver, staticStatusListSource,
  verifyCredential, MIN_STATUS_LIST_ENTRIES, type JsonObject, type Signer, type StatusListSource,
} from './index.ts';

const NOW = Date.parse('2025-06-01T00:00:00Z');
const issuerKey = generateKeyPair('sm2');
const serviceKey = generateKeyPair('sm2');
const issuer = keyPairSigner(issuerKey);
const service = keyPairSigner(serviceKey, { fragment: 'multikey' });
const resolver = shulianKeyResolver({ keys: [issuerKey] });
const LIST = 'https://status.example/v1/status-lists/rev-1';

function bits(set: number[], size = MIN_STATUS_LIST_ENTRIES): Uint8Array {
  const b = new Uint8Array(size / 8);
  for (const i of set) b[i >> 3]! |= 0x80 >> (i & 7);
  return b;
}

async function listCredential(signer: Signer, opts: { purpose?: string; set?: number[]; size?: number; controller?: string; id?: string; validUntil?: string } = {}): Promise<JsonObject> {
  const subject: JsonObject = {
    id: `${LIST}#list`, type: 'BitstringStatusList', statusPurpose: opts.purpose ?? 'revocation',
    encodedList: encodeStatusList(bits(opts.set ?? [], opts.size)),
  };
  if (opts.controller) subject.listController = opts.controller;
  const vc: JsonObject = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'], id: opts.id ?? LIST, type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: signer.controller, validFrom: '2025-01-01T00:00:00Z', credentialSubject: subject,
  };
  if (opts.validUntil) vc.validUntil = opts.validUntil;
  return (await issueCredential(vc, signer, { created: '2025-01-01T00:00:00Z' })) as unknown as JsonObject;
}

async function credential(index: number, purpose = 'revocation'): Promise<JsonObject> {
  return (await issueCredential({
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'], type: ['VerifiableCredential'], issuer: issuer.controller,
    credentialSubject: { id: 'did:example:alice', licence: 'C1' },
    credentialStatus: { id: `${LIST}#${index}`, type: 'BitstringStatusListEntry', statusPurpose: purpose, statusListIndex: String(index), statusListCredential: LIST },
  }, issuer, { created: '2025-01-01T00:00:00Z' })) as unknown as JsonObject;
}

const codes = (r: { errors: Array<{ code: string }> }) => r.errors.map((e) => e.code);
const src = (vc: JsonObject): StatusListSource => staticStatusListSource({ [LIST]: vc });

test('bitstrings: index 0 is the left-most bit; encodedList is multibase base64url of GZIP', () => {
  const b = bits([0, 9, MIN_STATUS_LIST_ENTRIES - 1]);
  assert.equal(b[0], 0x80);
  assert.equal(b[1], 0x40);
  const enc = encodeStatusList(b);
  assert.match(enc, /^u[A-Za-z0-9_-]+$/);
  const dec = decodeStatusList(enc);
  assert.deepEqual(dec, b);
  assert.deepEqual([0, 1, 9, 10, MIN_STATUS_LIST_ENTRIES - 1].map((i) => readStatusBits(dec, i)), [1, 0, 1, 0, 1]);
  assert.equal(readStatusBits(Uint8Array.of(0b10110000), 1, 2), 0b11);
  assert.throws(() => decodeStatusList('z' + enc.slice(1)), /multibase base64url/);
  assert.throws(() => decodeStatusList('u' + Buffer.from('not gzip').toString('base64url')), /not GZIP/);
  const bomb = 'u' + gzipSync(new Uint8Array(1024 * 1024)).toString('base64url');
  assert.throws(() => decodeStatusList(bomb, 8 * 1024), /more than 8192 bits/);
});

test('an unrevoked credential verifies; a revoked one fails with REVOKED', async () => {
  const vc = await credential(42);
  const ok = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(await listCredential(issuer, { set: [41, 43] })) });
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.verified, true);
  assert.deepEqual(ok.checks.at(-1), 'status');
  assert.deepEqual(ok.status, [{ statusPurpose: 'revocation', statusListCredential: LIST, statusListIndex: 42, value: 0, blocks: false }]);
  const revoked = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(await listCredential(issuer, { set: [42] })) });
  assert.equal(revoked.verified, false);
  assert.deepEqual(codes(revoked), ['REVOKED']);
  assert.match(revoked.errors[0]!.message, /revoked by its issuer \(entry 42 of https:\/\/status.example/);
});

test('suspension reads the same way and says it may be reinstated', async () => {
  const vc = await credential(7, 'suspension');
  const r = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(await listCredential(issuer, { purpose: 'suspension', set: [7] })) });
  assert.deepEqual(codes(r), ['SUSPENDED']);
  assert.match(r.errors[0]!.message, /reinstated/);
  const wrongPurpose = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(await listCredential(issuer, { purpose: 'revocation' })) });
  assert.deepEqual(codes(wrongPurpose), ['STATUS_VERIFICATION_ERROR']);
  assert.match(wrongPurpose.errors[0]!.message, /is for revocation, not suspension/);
});

test('the list credential must verify, be issued by the issuer or a trusted service for it, and be long enough', async () => {
  const vc = await credential(3);
  // Signed by a status service: refused unless trusted, and then only for the issuer it names.
  const byService = await listCredential(service, { set: [3], controller: issuer.controller });
  const untrusted = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(byService) });
  assert.deepEqual(codes(untrusted), ['STATUS_VERIFICATION_ERROR']);
  assert.match(untrusted.errors[0]!.message, /neither the credential's issuer nor a trusted status service/);
  const trusted = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(byService), trustedStatusIssuers: [service.controller] });
  assert.deepEqual(codes(trusted), ['REVOKED']);
  const otherIssuers = await listCredential(service, { controller: 'did:shulian:someoneElse1234567890abc' });
  const misbound = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(otherIssuers), trustedStatusIssuers: [service.controller] });
  assert.match(misbound.errors[0]!.message, /lists the statuses of "did:shulian:someoneElse/);
  // Tampered list: its proof fails, so its bits are not believed.
  const tampered = await listCredential(issuer);
  (tampered.credentialSubject as JsonObject).encodedList = encodeStatusList(bits([3]));
  const t = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(tampered) });
  assert.deepEqual(codes(t), ['STATUS_VERIFICATION_ERROR']);
  assert.match(t.errors[0]!.message, /does not verify \(PROOF_VERIFICATION_FAILED/);
  const expired = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(await listCredential(issuer, { validUntil: '2025-05-01T00:00:00Z' })) });
  assert.match(expired.errors[0]!.message, /does not verify \(EXPIRED/);
  const swapped = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(await listCredential(issuer, { id: 'https://status.example/v1/status-lists/other' })) });
  assert.match(swapped.errors[0]!.message, /not the URL it was fetched from/);
  const short = await verifyCredential(vc, { resolver, now: NOW, statusSource: src(await listCredential(issuer, { size: 1024 })) });
  assert.deepEqual(codes(short), ['STATUS_LIST_LENGTH_ERROR']);
  const far = await verifyCredential(await credential(MIN_STATUS_LIST_ENTRIES), { resolver, now: NOW, statusSource: src(await listCredential(issuer)) });
  assert.deepEqual(codes(far), ['STATUS_RANGE_ERROR']);
});

test('status that cannot be checked fails closed', async () => {
  const vc = await credential(5);
  const none = await verifyCredential(vc, { resolver, now: NOW });
  assert.deepEqual(codes(none), ['STATUS_UNCHECKED']);
  const missing = await verifyCredential(vc, { resolver, now: NOW, statusSource: staticStatusListSource({}) });
  assert.deepEqual(codes(missing), ['STATUS_RETRIEVAL_ERROR']);
  assert.match(missing.errors[0]!.message, /could not get the status list credential/);
  assert.equal((await verifyCredential(vc, { resolver, now: NOW, checkStatus: false })).verified, true);
  // A forged credential never triggers a status fetch.
  let fetched = 0;
  const counting: StatusListSource = { fetch: async () => { fetched++; throw new Error('unreachable'); } };
  const forged = structuredClone(vc);
  (forged.credentialSubject as JsonObject).licence = 'A1';
  assert.deepEqual(codes(await verifyCredential(forged, { resolver, now: NOW, statusSource: counting })), ['PROOF_VERIFICATION_FAILED']);
  assert.equal(fetched, 0);
});
