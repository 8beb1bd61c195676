/**
 * `did.bindCertificate` (createBindCertificateMethod): through a ModuleContext over a map for
 * every rejection, and through a real chain on LMDB for the happy path.
 */
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509CertificateGenerator } from '@peculiar/x509';
import { ShulianError, canonicalize, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, encodeMultikey, parseShulianDid } from '../../src/crypto/index.ts';
import { signTx } from '../../src/ledger/index.ts';
import { MapContext, ModuleError, type MethodDef, type ModuleDef } from '../../src/runtime/index.ts';
import { NOT_AFTER, NOT_BEFORE, sm2Certificate, sm2Pki } from '../../src/crypto/x509/testcerts.ts';
import { openTestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';
import { didModule } from '../../src/modules/did/index.ts';
import { certsKey, certsStateKey, createBindCertificateMethod, type CertificateBindingsState } from '../../src/modules/did/x509.ts';


const T2025 = Date.parse('2025-06-01T00:00:00Z');
const b64 = (d: Uint8Array): string => Buffer.from(d).toString('base64');
const pki = sm2Pki();
const bind = createBindCertificateMethod([pki.root]);
const methods: Record<string, MethodDef<unknown>> = { ...didModule.methods, bindCertificate: bind };

type Outcome = { ok: true; result: JsonValue | void } | { ok: false; code: string; message: string };
function call(store: Map<string, string>, sender: string, method: string, args: unknown, time = T2025, height = 5): Outcome {
  const m = methods[method]!;
  const parsed = m.args.safeParse(args);
  if (!parsed.success) return { ok: false, code: 'BAD_ARGS', message: parsed.error.issues[0]!.message };
  const before = new Map(store);
  const ctx = new MapContext(store, sender, height, time, "identity", "ab".repeat(32));
  try {
    return { ok: true, result: m.run(ctx, parsed.data) };
  } catch (err) {
    assert.ok(err instanceof ModuleError || err instanceof ShulianError, `untyped error from ${method}: ${String(err)}`);
    assert.equal(ctx.writes, 0, 'wrote before rejecting');
    assert.deepEqual(store, before);
    return { ok: false, code: (err as ShulianError).code, message: (err as Error).message };
  }
}
const codeOf = (o: Outcome): string => (o.ok ? 'ok' : o.code);

function withDid(): { store: Map<string, string>; org: KeyPair; did: string } {
  const store = new Map<string, string>();
  const org = generateKeyPair('sm2');
  const did = didFromPublicKey(org.publicKey);
  assert.equal(codeOf(call(store, did, 'create', { publicKeyMultibase: encodeMultikey('sm2', org.publicKey) })), 'ok');
  return { store, org, did };
}
const bindings = (store: Map<string, string>, did: string): CertificateBindingsState | undefined => {
  const v = store.get(certsKey(parseShulianDid(did).id));
  return v === undefined ? undefined : (JSON.parse(v) as CertificateBindingsState);
};

test('binds an SM2 chain whose leaf certifies the DID\'s key, judged at the block time', () => {
  const { store, org, did } = withDid();
  const leaf = pki.leaf(org.publicKey, { notBefore: new Date('2023-01-01T00:00:00Z'), notAfter: new Date('2024-01-01T00:00:00Z') });
  // Long expired by the wall clock, but valid at this block's time.
  const r = call(store, did, 'bindCertificate', { chain: [b64(leaf), b64(pki.inter)] }, Date.parse('2023-06-01T00:00:00Z'), 7);
  assert.ok(r.ok, JSON.stringify(r));
  const st = bindings(store, did)!;
  assert.equal(st.did, did);
  assert.equal(st.certificates.length, 1);
  const c = st.certificates[0]!;
  assert.match(c.fingerprint, /^[0-9a-f]{64}$/);
  assert.deepEqual(r.result, { did, fingerprint: c.fingerprint, keyId: 'key-1' });
  assert.match(c.subject, /CN=Example Org/);
  assert.match(c.issuer, /CN=Test Issuing CA/);
  assert.equal(c.notBefore, Date.parse('2023-01-01T00:00:00Z'));
  assert.equal(c.notAfter, Date.parse('2024-01-01T00:00:00Z'));
  assert.equal(c.boundAt, 7);
  assert.equal(c.keyId, 'key-1');
  // The same chain at a later block time is expired; binding twice is refused.
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: [b64(leaf), b64(pki.inter)] })), 'X509_EXPIRED');
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: [b64(leaf), b64(pki.inter)] }, Date.parse('2023-07-01T00:00:00Z'))), 'X509_ALREADY_BOUND');
  // The DID document itself is untouched (still readable by the strict schema).
  assert.equal(JSON.parse(store.get(`doc/${parseShulianDid(did).id}`)!).version, 1);
});

test('each bad chain is refused with its own code, writing nothing', async () => {
  const { store, org, did } = withDid();
  const good = [b64(pki.leaf(org.publicKey)), b64(pki.inter)];
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: good, did })), 'ok', 'explicit did');

  const expired = pki.leaf(org.publicKey, { notAfter: new Date('2024-01-01T00:00:00Z'), serial: 9 });
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: [b64(expired), b64(pki.inter)] })), 'X509_EXPIRED');

  const other = sm2Pki('Other');
  const foreign = other.leaf(org.publicKey);
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: [b64(foreign), b64(other.inter), b64(other.root)] })), 'X509_UNTRUSTED_ROOT');

  const tampered = pki.leaf(org.publicKey, { serial: 10 });
  tampered[tampered.length - 4]! ^= 0x10;
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: [b64(tampered), b64(pki.inter)] })), 'X509_BAD_SIGNATURE');

  const midKey = generateKeyPair('sm2');
  const notCa = sm2Certificate({ subject: 'Mid', issuer: 'Test Root CA', publicKey: midKey.publicKey, issuerPrivateKey: pki.rootKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: false, keyUsage: 'ca' });
  const underNotCa = sm2Certificate({ subject: 'Example Org', issuer: 'Mid', publicKey: org.publicKey, issuerPrivateKey: midKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER });
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: [b64(underNotCa), b64(notCa)] })), 'X509_NOT_CA');

  const stranger = generateKeyPair('sm2');
  const r = call(store, did, 'bindCertificate', { chain: [b64(pki.leaf(stranger.publicKey, { serial: 11 })), b64(pki.inter)] });
  assert.equal(codeOf(r), 'X509_LEAF_KEY_NOT_DID');
  assert.match((r as { message: string }).message, /key-1/);

  // A P-256 leaf (made with WebCrypto) under a configured P-256 root verifies, but a P-256 key is never a DID key.
  const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const rootKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leafKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const base = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } };
  const pRoot = await X509CertificateGenerator.createSelfSigned({ ...base, name: 'CN=P256 Root', keys: rootKeys, extensions: [new BasicConstraintsExtension(true, undefined, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign, true)] });
  const pLeaf = await X509CertificateGenerator.create({ ...base, subject: 'CN=P256 Org', issuer: pRoot.subject, publicKey: leafKeys.publicKey, signingKey: rootKeys.privateKey });
  const both = createBindCertificateMethod([pki.root, new Uint8Array(pRoot.rawData)]);
  const ctx = new MapContext(store, did, 5, T2025, "identity", "ab".repeat(32));
  assert.throws(() => both.run(ctx, both.args.parse({ chain: [b64(new Uint8Array(pLeaf.rawData))] })), (e: ModuleError) => e.code === 'X509_LEAF_KEY_NOT_DID' && /P256/.test(e.message));

  // Who may bind.
  const intruder = generateKeyPair('sm2');
  assert.equal(codeOf(call(store, didFromPublicKey(intruder.publicKey), 'bindCertificate', { did, chain: good })), 'DID_NOT_CONTROLLER');
  assert.equal(codeOf(call(store, didFromPublicKey(intruder.publicKey), 'bindCertificate', { chain: [b64(pki.leaf(intruder.publicKey))] })), 'DID_NOT_FOUND');
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: ['%%%'] })), 'BAD_ARGS');
  assert.equal(bindings(store, did)!.certificates.length, 1);
});

test('a rotated-out key no longer qualifies; its replacement does', () => {
  const { store, org, did } = withDid();
  const next = generateKeyPair('sm2');
  assert.equal(codeOf(call(store, did, 'rotate', { did, publicKeyMultibase: encodeMultikey('sm2', next.publicKey) })), 'ok');
  assert.equal(codeOf(call(store, did, 'bindCertificate', { chain: [b64(pki.leaf(org.publicKey)), b64(pki.inter)] })), 'X509_LEAF_KEY_NOT_DID');
  const r = call(store, did, 'bindCertificate', { chain: [b64(pki.leaf(next.publicKey)), b64(pki.inter)] });
  assert.deepEqual(r.ok && (r.result as { keyId: string }).keyId, 'key-2');
});

test('through a real chain: create the DID, bind, read the binding from state', async () => {
  const tmp = tempDir();
  const did2: ModuleDef = { ...didModule, methods };
  const t = await openTestChain(tmp.dir, 'sm2', { chain: 'identity', name: 'Identity chain', nameZh: '身份链', modules: ['did'] }, [did2]);
  try {
    const org = generateKeyPair('sm2');
    const did = didFromPublicKey(org.publicKey);
    let clock = t.genesis.time;
    const send = async (method: string, args: JsonValue) => {
      const { pendingNonce } = t.chain.nonces(did);
      const { tx } = signTx(org, { chain: 'identity', module: 'did', method, args, nonce: pendingNonce, expires: t.chain.height() + 100 });
      const [r] = await t.chain.submit([tx]);
      assert.equal(r!.accepted, true, JSON.stringify(r));
      clock += 60_000;
      const block = await t.chain.produceBlock(clock);
      return { ...block!.receipts[0]!, height: block!.header.height };
    };
    assert.equal((await send('create', { publicKeyMultibase: encodeMultikey('sm2', org.publicKey) })).status, 'ok');
    const bad = await send('bindCertificate', { chain: [b64(pki.leaf(generateKeyPair('sm2').publicKey)), b64(pki.inter)] });
    assert.equal(bad.status, 'failed');
    assert.equal(bad.code, 'X509_LEAF_KEY_NOT_DID');
    const r = await send('bindCertificate', { chain: [b64(pki.leaf(org.publicKey)), b64(pki.inter), b64(pki.root)] });
    assert.equal(r.status, 'ok', `${r.code} ${r.message}`);
    const st = t.chain.getState(certsStateKey(did)).value as unknown as CertificateBindingsState;
    assert.equal(st.certificates.length, 1);
    assert.equal(st.certificates[0]!.boundAt, r.height);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});
