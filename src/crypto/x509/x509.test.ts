/**
 * The X.509 chain checker: real SM2 chains (built and SM2-signed here) and real ECDSA P-256
 * chains (made with @peculiar/x509's generator over WebCrypto), and each way a chain fails.
 */
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509CertificateGenerator,
} from '@peculiar/x509';
import { generateKeyPair } from '../index.ts';
import { sm2js } from '../sm2js.ts';
import { bitString, oid, rsToDer, seq } from './der.ts';
import { loadTrustRoots, OID, parseCertificate, verifyCertificateChain, type ChainVerification } from './index.ts';
import { NOT_AFTER, NOT_BEFORE, sm2Certificate, sm2Pki } from './testcerts.ts';

const AT = new Date('2025-06-01T00:00:00Z');
const pem = (d: Uint8Array): string => `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
const code = (r: ChainVerification): string => (r.ok ? 'ok' : r.code);

test('a valid SM2 chain: leaf, intermediate, up to the configured root', () => {
  const pki = sm2Pki();
  const org = generateKeyPair('sm2');
  const leaf = pki.leaf(org.publicKey);
  const r = verifyCertificateChain([leaf, pki.inter], [pki.root], { at: AT });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.leafKeySuite, 'sm2');
  assert.deepEqual(r.leafPublicKey, org.publicKey);
  assert.match(r.subject, /CN=Example Org/);
  assert.match(r.issuer, /CN=Test Issuing CA/);
  assert.match(r.leaf.fingerprint, /^[0-9a-f]{64}$/);
  // The root may be sent too; PEM is accepted as well as DER; roots may be pre-parsed.
  assert.equal(code(verifyCertificateChain([pem(leaf), pem(pki.inter), pem(pki.root)], loadTrustRoots([pem(pki.root)]), { at: AT })), 'ok');
  // A leaf issued straight by the root.
  const direct = sm2Certificate({ subject: 'Direct', issuer: 'Test Root CA', publicKey: org.publicKey, issuerPrivateKey: pki.rootKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER });
  assert.equal(code(verifyCertificateChain([direct], [pki.root], { at: AT })), 'ok');
});

test('SM2 signatures really are checked with the issuer key and the default ID', () => {
  const pki = sm2Pki();
  const org = generateKeyPair('sm2');
  // Signed by the root's key but naming the intermediate as issuer.
  const forged = sm2Certificate({ subject: 'Example Org', issuer: 'Test Issuing CA', publicKey: org.publicKey, issuerPrivateKey: pki.rootKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER });
  const r = verifyCertificateChain([forged, pki.inter], [pki.root], { at: AT });
  assert.equal(code(r), 'X509_BAD_SIGNATURE');
  assert.match((r as { reason: string }).reason, /Example Org/);
  // The right key, but Z_A computed with an ID other than the GM/T 0015 default: refused.
  const good = parseCertificate(pki.leaf(org.publicKey));
  const otherId = new TextEncoder().encode('ALICE123@YAHOO.COM');
  const sig = sm2js.signWithK(pki.interKey.privateKey, good.tbs, 0x1234567890abcdef1234567890abcdefn, otherId);
  const reSigned = seq(good.tbs, seq(oid(OID.sm2WithSm3)), bitString(rsToDer(sig)));
  assert.equal(code(verifyCertificateChain([reSigned, pki.inter], [pki.root], { at: AT })), 'X509_BAD_SIGNATURE');
  const defaultSig = sm2js.signWithK(pki.interKey.privateKey, good.tbs, 0x1234567890abcdef1234567890abcdefn);
  const defaultSigned = seq(good.tbs, seq(oid(OID.sm2WithSm3)), bitString(rsToDer(defaultSig)));
  assert.equal(code(verifyCertificateChain([defaultSigned, pki.inter], [pki.root], { at: AT })), 'ok');
});

test('expired and not-yet-valid certificates are judged at opts.at', () => {
  const pki = sm2Pki();
  const org = generateKeyPair('sm2');
  const leaf = pki.leaf(org.publicKey, { notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2025-01-01T00:00:00Z') });
  assert.equal(code(verifyCertificateChain([leaf, pki.inter], [pki.root], { at: AT })), 'X509_EXPIRED');
  assert.equal(code(verifyCertificateChain([leaf, pki.inter], [pki.root], { at: new Date('2023-06-01T00:00:00Z') })), 'X509_NOT_YET_VALID');
  assert.equal(code(verifyCertificateChain([leaf, pki.inter], [pki.root], { at: new Date('2024-06-01T00:00:00Z') })), 'ok');
  // The root's own validity counts too.
  assert.equal(code(verifyCertificateChain([leaf, pki.inter], [pki.root], { at: new Date('2040-01-01T00:00:00Z') })), 'X509_EXPIRED');
});

test('a chain that does not end at a configured root is refused', () => {
  const pki = sm2Pki();
  const other = sm2Pki('Other');
  const org = generateKeyPair('sm2');
  const leaf = pki.leaf(org.publicKey);
  assert.equal(code(verifyCertificateChain([leaf, pki.inter], [other.root], { at: AT })), 'X509_UNTRUSTED_ROOT');
  assert.equal(code(verifyCertificateChain([leaf, pki.inter, pki.root], [other.root], { at: AT })), 'X509_UNTRUSTED_ROOT');
  assert.equal(code(verifyCertificateChain([leaf], [pki.root], { at: AT })), 'X509_UNTRUSTED_ROOT', 'intermediate left out');
  // A root impostor: same name as the configured root, different key.
  const fakeRootKey = generateKeyPair('sm2');
  const fakeInter = sm2Certificate({ subject: 'Test Issuing CA', issuer: 'Test Root CA', publicKey: pki.interKey.publicKey, issuerPrivateKey: fakeRootKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: {}, keyUsage: 'ca' });
  assert.equal(code(verifyCertificateChain([leaf, fakeInter], [pki.root], { at: AT })), 'X509_UNTRUSTED_ROOT');
});

test('tampered certificates fail their signature check', () => {
  const pki = sm2Pki();
  const org = generateKeyPair('sm2');
  const leaf = pki.leaf(org.publicKey);
  const badSig = new Uint8Array(leaf);
  badSig[badSig.length - 5]! ^= 0x01;
  assert.equal(code(verifyCertificateChain([badSig, pki.inter], [pki.root], { at: AT })), 'X509_BAD_SIGNATURE');
  const badTbs = new Uint8Array(leaf);
  const i = Buffer.from(badTbs).indexOf('Example Org');
  badTbs[i] = 'X'.charCodeAt(0);
  const r = verifyCertificateChain([badTbs, pki.inter], [pki.root], { at: AT });
  assert.equal(code(r), 'X509_BAD_SIGNATURE');
  assert.equal(code(verifyCertificateChain([leaf.subarray(0, 100), pki.inter], [pki.root], { at: AT })), 'X509_MALFORMED');
  assert.equal(code(verifyCertificateChain(['not a certificate'], [pki.root], { at: AT })), 'X509_MALFORMED');
  assert.equal(code(verifyCertificateChain([], [pki.root], { at: AT })), 'X509_CHAIN_LENGTH');
});

test('issuers must be CAs with keyCertSign, within their path length', () => {
  const pki = sm2Pki();
  const org = generateKeyPair('sm2');
  const midKey = generateKeyPair('sm2');
  const mk = (over: Parameters<typeof sm2Certificate>[0]['ca'], ku: 'ca' | 'leaf' | undefined): Uint8Array =>
    sm2Certificate({ subject: 'Mid CA', issuer: 'Test Root CA', publicKey: midKey.publicKey, issuerPrivateKey: pki.rootKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: over, keyUsage: ku, serial: 7 });
  const leaf = sm2Certificate({ subject: 'Example Org', issuer: 'Mid CA', publicKey: org.publicKey, issuerPrivateKey: midKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: false, keyUsage: 'leaf' });
  assert.equal(code(verifyCertificateChain([leaf, mk({}, 'ca')], [pki.root], { at: AT })), 'ok');
  assert.equal(code(verifyCertificateChain([leaf, mk(false, 'ca')], [pki.root], { at: AT })), 'X509_NOT_CA');
  assert.equal(code(verifyCertificateChain([leaf, mk(undefined, 'ca')], [pki.root], { at: AT })), 'X509_NOT_CA');
  assert.equal(code(verifyCertificateChain([leaf, mk({}, 'leaf')], [pki.root], { at: AT })), 'X509_NO_KEY_CERT_SIGN');
  assert.equal(code(verifyCertificateChain([leaf, mk({}, undefined)], [pki.root], { at: AT })), 'X509_NO_KEY_CERT_SIGN');
  // pki.inter has pathLength 0: a CA under it may not issue.
  const sub = sm2Certificate({ subject: 'Mid CA', issuer: 'Test Issuing CA', publicKey: midKey.publicKey, issuerPrivateKey: pki.interKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: {}, keyUsage: 'ca' });
  assert.equal(code(verifyCertificateChain([leaf, sub, pki.inter], [pki.root], { at: AT })), 'X509_PATH_LENGTH');
});

// ---- ECDSA P-256 through WebCrypto ----------------------------------------------------------

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const caExts = (ca = true) => [new BasicConstraintsExtension(ca, undefined, true), new KeyUsagesExtension(ca ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature, true)];

async function p256Pki(interIsCa = true) {
  const rootKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const interKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leafKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const base = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER, signingAlgorithm: SIGN };
  const root = await X509CertificateGenerator.createSelfSigned({ ...base, serialNumber: '01', name: 'CN=P256 Root CA', keys: rootKeys, extensions: caExts() });
  const inter = await X509CertificateGenerator.create({ ...base, serialNumber: '02', subject: 'CN=P256 Issuing CA', issuer: root.subject, publicKey: interKeys.publicKey, signingKey: rootKeys.privateKey, extensions: caExts(interIsCa) });
  const leaf = await X509CertificateGenerator.create({ ...base, serialNumber: '03', subject: 'CN=P256 Org', issuer: inter.subject, publicKey: leafKeys.publicKey, signingKey: interKeys.privateKey, extensions: caExts(false) });
  const der = (c: { rawData: ArrayBuffer }) => new Uint8Array(c.rawData);
  return { root: der(root), inter: der(inter), leaf: der(leaf), leafRaw: new Uint8Array(await crypto.subtle.exportKey('raw', leafKeys.publicKey)), rootPem: root.toString('pem') };
}

test('a valid ECDSA P-256 chain made with WebCrypto', async () => {
  const p = await p256Pki();
  const r = verifyCertificateChain([p.leaf, p.inter], [p.rootPem], { at: AT });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.leafKeySuite, 'p256');
  assert.deepEqual(r.leafPublicKey, p.leafRaw);
  assert.match(r.subject, /CN=P256 Org/);
  const bad = new Uint8Array(p.leaf);
  bad[bad.length - 3]! ^= 0x40;
  assert.equal(code(verifyCertificateChain([bad, p.inter], [p.root], { at: AT })), 'X509_BAD_SIGNATURE');
  assert.equal(code(verifyCertificateChain([p.leaf, p.inter], [sm2Pki().root], { at: AT })), 'X509_UNTRUSTED_ROOT');
  assert.equal(code(verifyCertificateChain([p.leaf, p.inter], [p.root], { at: new Date('2034-01-01T00:00:00Z') })), 'X509_EXPIRED');
  const nonCa = await p256Pki(false);
  assert.equal(code(verifyCertificateChain([nonCa.leaf, nonCa.inter], [nonCa.root], { at: AT })), 'X509_NOT_CA');
});

test('mixed suites: an SM2 key cannot stand in for a P-256 issuer', async () => {
  const p = await p256Pki();
  const pki = sm2Pki();
  // SM2 leaf claiming the P-256 intermediate as issuer, signed by an SM2 key.
  const leaf = sm2Certificate({ subject: 'X', issuer: 'P256 Issuing CA', publicKey: generateKeyPair('sm2').publicKey, issuerPrivateKey: pki.interKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER });
  const r = verifyCertificateChain([leaf, p.inter], [p.root], { at: AT });
  assert.ok(!r.ok && (r.code === 'X509_BAD_SIGNATURE' || r.code === 'X509_ISSUER_MISMATCH'), JSON.stringify(r));
});
