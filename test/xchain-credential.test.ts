/**
 * Issue #17 item 4: a channel policy names a credential type and its trusted issuers instead of a
 * list of DIDs. Real chains (LMDB, real execution), relayed by hand: only a packet carrying its
 * sender's credential of that type, from a trusted issuer, valid at the destination's block time,
 * gets through; no credential, someone else's, a forged one, an expired one, another type: each
 * is answered XCHAIN_FORBIDDEN with the reason, and no handler runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import { issueCredential, keyPairSigner } from '../src/did/index.ts';
import { relayOnce, syncRoutes } from '../src/crosschain/index.ts';
import { openXchainWorld } from './helpers/xchain.ts';
import { tempDir } from './helpers/tmp.ts';

test('a channel admits only holders of a credential type from trusted issuers', async (t) => {
  const tmp = tempDir('xchain-cred-');
  const w = await openXchainWorld(tmp.dir);
  t.after(async () => {
    await w.close();
    tmp.cleanup();
  });
  const [issuer, alice, mallory] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
  const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
  const credential = async (subject: string, signer = issuer, over: Record<string, unknown> = {}) => (await issueCredential({
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'], type: ['VerifiableCredential', 'DataOperator'], issuer: did(signer), validFrom: '2020-01-01T00:00:00Z',
    credentialSubject: { id: subject }, ...over,
  }, keyPairSigner(signer, { fragment: 'multikey' }))) as unknown as Record<string, JsonValue>;
  assert.equal((await w.register(w.routeOf(w.a), 1)).status, 'ok');
  // Beta's channel policy by governance: from alpha, to port xchain, holders of DataOperator credentials from `issuer`.
  const rule = { srcChain: 'alpha', dstPort: 'xchain', senders: ['*'], credential: { type: 'DataOperator', issuers: [{ did: did(issuer), publicKey: toHex(issuer.publicKey) }] } };
  assert.equal((await w.register(w.routeOf(w.b, { inbound: [rule] }), 2)).status, 'ok');
  const ea = w.a.endpoint(w.gateway);
  const eb = w.b.endpoint(w.gateway);
  const ex = w.xroute.endpoint(w.gateway);
  await syncRoutes(ex, ea);
  await syncRoutes(ex, eb);

  const good = await credential(did(alice));
  const forged = { ...(await credential(did(mallory), mallory)), issuer: did(issuer) };
  const sends: Array<[KeyPair, Record<string, JsonValue> | undefined, RegExp | undefined]> = [
    [alice, good, undefined],
    [alice, undefined, /carries none/],
    [mallory, good, /is about did:shulian:\S+, not the sender/],
    [mallory, forged, /proof is not by its issuer|does not verify/],
    [alice, await credential(did(alice), issuer, { validUntil: '2021-01-01T00:00:00Z' }), /not valid at this block's time/],
    [alice, await credential(did(alice), issuer, { type: ['VerifiableCredential', 'Visitor'] }), /not a DataOperator credential/],
    [mallory, await credential(did(mallory), mallory), /not one the channel trusts/],
  ];
  for (const [key, cred] of sends) {
    const r = await w.a.call(key, 'xchain', 'send', { dstChain: 'beta', dstPort: 'xchain', payload: { hello: 'beta' }, ...(cred ? { credential: cred } : {}) });
    assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
  }
  const c = { from: 1 };
  for (let i = 0; i < sends.length; i++) await relayOnce(ea, eb, c);
  sends.forEach(([, , why], i) => {
    const rec = w.b.state(`xchain/recv/alpha/${i + 1}`) as { ack: { ok: boolean; code?: string; message?: string } } | null;
    assert.ok(rec, `packet ${i + 1} was relayed`);
    if (!why) assert.equal(rec.ack.ok, true, JSON.stringify(rec.ack));
    else {
      assert.equal(rec.ack.code, 'XCHAIN_FORBIDDEN', `packet ${i + 1}`);
      assert.match(rec.ack.message!, why, `packet ${i + 1}`);
    }
  });
});
