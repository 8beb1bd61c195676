/**
 * Issue #17 item 4 on a running node: a business chain whose governance policy admits holders of
 * a `DataOperator` credential from one issuer. The holder presents a verifiable presentation once
 * (credadmit on the identity chain) and is admitted; outsiders are refused; a presentation of
 * someone else's credential, a forged credential, an expired one, and — after the issuer revokes
 * it — the holder's own are refused, and nothing is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { createPresentation, issueCredential, keyPairSigner } from '../src/did/index.ts';
import { ShulianClient, govPropose, govVote, presentForAdmission } from '../src/sdk/index.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

test('a credential admission policy admits the holder of a presented credential and refuses everyone else', async (t) => {
  const tmp = tempDir('cred-admit-');
  t.after(tmp.cleanup);
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  t.after(() => node.stop());
  const c = new ShulianClient({ baseUrl: node.url });
  await waitFor(async () => (await c.state('gov', 'governance/meta')).value !== null, 'governance.init', 60_000);
  const operator = readKeystore(join(data, 'node', 'key.json'), readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim());
  const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
  const [issuer, holder, mallory, outsider] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];

  // A member organisation is admitted; it proposes chain "biz", admitting holders of DataOperator credentials from `issuer`.
  const org = generateKeyPair('sm2');
  const admit = await govPropose(c, operator, { kind: 'admit-member', member: { did: did(org), name: 'Data Exchange', roles: ['member'] } });
  assert.equal((await govVote(c, operator, admit.id, 'yes')).status, 'approved');
  const genesis = { chain: 'biz', name: 'Data operators\' chain', nameZh: '数据运营链', suite: 'sm2', consensus: { type: 'solo' }, modules: ['notary'], validators: [{ did: did(operator), publicKey: toHex(operator.publicKey), power: 1 }] };
  const { id } = await govPropose(c, org, { kind: 'create-chain', title: 'Data operators', genesis, admission: { type: 'credential', credentialType: 'DataOperator', issuer: did(issuer) } } as never);
  let status = '';
  for (const voter of [org, operator]) if ((status = (await govVote(c, voter, id, 'yes')).status) === 'approved') break;
  assert.equal(status, 'approved');
  await waitFor(async () => (await c.chains()).some((x) => x.id === 'biz'), 'chain biz to start', 60_000);

  // The issuer's revocation list on the identity chain, and a credential for the holder.
  const send = async (key: KeyPair, chain: string, module: string, method: string, args: Record<string, unknown>) => {
    const inc = await c.waitForTx(await c.send(chain, key, { module, method, args: args as never }), { timeoutMs: 60_000 });
    return inc.receipt;
  };
  assert.equal((await send(issuer, 'identity', 'vcstatus', 'createList', { listId: 'operators', purpose: 'revocation' })).status, 'ok');
  const credential = (subject: string, over: Record<string, unknown> = {}) => ({
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'], type: ['VerifiableCredential', 'DataOperator'], issuer: did(issuer), validFrom: '2020-01-01T00:00:00Z',
    credentialSubject: { id: subject, licence: 'SH-DATA-0001' },
    credentialStatus: { id: `${node.url}/v1/status-lists/operators#5`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '5', statusListCredential: `${node.url}/v1/status-lists/operators` },
    ...over,
  });
  const vc = await issueCredential(credential(did(holder)), keyPairSigner(issuer, { fragment: 'multikey' }));
  const vp = (signer: KeyPair, vcs: unknown[]) => createPresentation({ verifiableCredential: vcs as never }, keyPairSigner(signer, { fragment: 'multikey' }), { challenge: 'admission', domain: 'biz' });
  const put = (key: KeyPair, n: number) => c.send('biz', key, { module: 'notary', method: 'put', args: { hash: n.toString(16).padStart(64, '0') } });

  // Before presenting, the holder is refused like anyone.
  await assert.rejects(put(holder, 1), (e: Error & { code?: string }) => e.code === 'TX_NOT_ADMITTED' && /has presented no credential for chain biz/.test(e.message));
  // Presented once: admitted.
  await presentForAdmission(c, holder, 'biz', await vp(holder, [vc]) as never);
  await waitFor(async () => {
    try {
      await c.waitForTx(await put(holder, 2), { timeoutMs: 30_000 });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'TX_NOT_ADMITTED') return false;
      throw err;
    }
  }, 'the holder to be admitted once the business chain names the identity height of the presentation', 60_000);
  await assert.rejects(put(outsider, 3), { code: 'TX_NOT_ADMITTED' });

  // Someone else's credential, presented as theirs: refused by credadmit, nothing written.
  await assert.rejects(presentForAdmission(c, mallory, 'biz', await vp(mallory, [vc]) as never), (e: Error & { code?: string }) => e.code === 'CREDADMIT_BAD_PRESENTATION' && /credentialSubject\.id must be the holder/.test(e.message));
  assert.equal((await c.state('identity', `credadmit/vp/biz/${did(mallory)}`)).value, null);
  // A forged credential (mallory signs one naming the issuer): kept, but the chain refuses it.
  const forged = await issueCredential({ ...credential(did(mallory)), issuer: did(mallory) }, keyPairSigner(mallory, { fragment: 'multikey' }));
  await presentForAdmission(c, mallory, 'biz', await vp(mallory, [{ ...forged, issuer: did(issuer) }]) as never);
  await waitFor(async () => {
    try {
      await put(mallory, 4);
      return assert.fail('a forged credential admitted mallory');
    } catch (err) {
      const e = err as { code?: string; message: string };
      if (e.code !== 'TX_NOT_ADMITTED') throw err;
      return /DataOperator credential does not hold: its proof is by did:shulian:\S+, not by/.test(e.message);
    }
  }, 'the forged credential to be judged', 60_000);
  // An expired credential: refused at presentation.
  const expired = await issueCredential(credential(did(outsider), { validUntil: '2021-01-01T00:00:00Z' }), keyPairSigner(issuer, { fragment: 'multikey' }));
  await assert.rejects(presentForAdmission(c, outsider, 'biz', await vp(outsider, [expired]) as never), { code: 'CREDADMIT_EXPIRED' });

  // The issuer revokes the holder's credential: one write, and the holder is refused from then on.
  assert.equal((await send(issuer, 'identity', 'vcstatus', 'setStatus', { listId: 'operators', index: 5, value: true })).status, 'ok');
  let n = 10;
  await waitFor(async () => {
    try {
      await c.waitForTx(await put(holder, n++), { timeoutMs: 30_000 });
      return false;
    } catch (err) {
      if ((err as { code?: string }).code !== 'TX_NOT_ADMITTED') throw err;
      return /revoked by its issuer/.test((err as Error).message);
    }
  }, 'the revoked holder to be refused', 60_000);
});
