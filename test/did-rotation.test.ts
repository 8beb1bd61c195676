import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import { encodeMultikey } from '../src/did/index.ts';
import { signTx, type Tx } from '../src/ledger/index.ts';
import { startNode } from '../src/node/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

test('after a rotation on the identity chain, every chain accepts the new key for the DID and refuses the old one', async () => {
  const tmp = tempDir();
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {} });
  const post = async (chain: string, tx: Tx) => {
    const res = await fetch(`${node.url}/v1/chains/${chain}/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) });
    return { status: res.status, body: (await res.json()) as { hash?: string; error?: { code: string; message: string } } };
  };
  const committed = (hash: string) => waitFor(async () => ((await (await fetch(`${node.url}/v1/txs/${hash}`)).json()) as { status: string }).status === 'committed', `tx ${hash}`);
  try {
    const first: KeyPair = generateKeyPair('sm2');
    const next: KeyPair = generateKeyPair('sm2');
    const did = didFromPublicKey(first.publicKey);
    const create = signTx(first, { chain: 'identity', module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey('sm2', first.publicKey) }, nonce: 0, expires: 1000 });
    assert.equal((await post('identity', create.tx)).status, 202);
    await committed(create.hash);
    const rotate = signTx(first, { chain: 'identity', module: 'did', method: 'rotate', args: { did, publicKeyMultibase: encodeMultikey('sm2', next.publicKey) }, nonce: 1, expires: 1000 });
    assert.equal((await post('identity', rotate.tx)).status, 202);
    await committed(rotate.hash);

    // On the notary chain: the new key signs for the DID, the old one no longer does.
    const byNew = signTx(next, { chain: 'notary', from: did, module: 'notary', method: 'put', args: { hash: 'ee'.repeat(32) }, nonce: 0, expires: 1000 });
    const accepted = await post('notary', byNew.tx);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    await committed(byNew.hash);
    const rec = (await (await fetch(`${node.url}/v1/chains/notary/state?key=notary/rec/${'ee'.repeat(32)}`)).json()) as { value: { owner: string } };
    assert.equal(rec.value.owner, did);
    const byOld = signTx(first, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ff'.repeat(32) }, nonce: 1, expires: 1000 });
    const refused = await post('notary', byOld.tx);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error?.code, 'TX_BAD_SENDER');
    // A key that was never the DID's is refused as before.
    const stranger = signTx(generateKeyPair('sm2'), { chain: 'notary', from: did, module: 'notary', method: 'put', args: { hash: 'dd'.repeat(32) }, nonce: 1, expires: 1000 });
    assert.equal((await post('notary', stranger.tx)).body.error?.code, 'TX_BAD_SENDER');
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
