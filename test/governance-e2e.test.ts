import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { ShulianClient, govChains, govMembers, govPropose, govVote } from '../src/sdk/index.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

test('以链治链 on a real node: three member organisations approve a business chain, and the named node starts it by itself', async () => {
  const tmp = tempDir();
  const data = join(tmp.dir, 'data');
  let node = await startNodeProcess(data);
  try {
    const client = new ShulianClient({ baseUrl: node.url });
    // The node initialised the governance chain as its founding operator on first start.
    await waitFor(async () => (await client.state('gov', 'governance/meta')).value !== null, 'governance.init', 30_000);
    const operator = readKeystore(join(data, 'node', 'key.json'), readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim());
    // The embedded alliance's founder holds a member seat beside the operator role, so it is the
    // electorate of create-chain on a fresh node (#15: the console's wizard failed with GOV_NO_ELECTORATE).
    const founder = (await govMembers(client, { verified: true }))[0]!;
    assert.deepEqual([founder.did, founder.roles, founder.nameZh], [didFromPublicKey(operator.publicKey), ['operator', 'member'], '数链本地联盟运营方']);
    const orgs = ['Port Authority', 'Shipping Bank', 'Customs Broker'].map((name) => ({ name, key: generateKeyPair('sm2') }));
    const did = (k: KeyPair): string => didFromPublicKey(k.publicKey);

    // Admission of members: voted by the operator and the members admitted so far.
    const voters: KeyPair[] = [operator];
    for (const org of orgs) {
      const { id } = await govPropose(client, operator, { kind: 'admit-member', member: { did: did(org.key), name: org.name, roles: ['member'] } });
      for (const v of voters) {
        const r = await govVote(client, v, id, 'yes');
        if (r.status === 'approved') break;
      }
      voters.push(org.key);
    }
    assert.deepEqual((await govMembers(client, { verified: true })).map((m) => m.name).sort(), ['Customs Broker', 'Port Authority', 'Shipping Bank', 'Shulian local alliance operator'].sort());

    // A business chain naming this node as its validator: proposed by one member, approved by three of
    // four (the embedded alliance's operator holds a member seat too).
    const genesis = {
      chain: 'trade', name: 'Trade chain', nameZh: '航贸链', suite: 'sm2', consensus: { type: 'solo' }, modules: ['notary'],
      validators: [{ did: did(operator), publicKey: toHex(operator.publicKey), power: 1 }],
    };
    const { id } = await govPropose(client, orgs[0]!.key, { kind: 'create-chain', title: 'Trade chain', genesis, admission: { type: 'members' } } as never);
    assert.equal((await govVote(client, orgs[0]!.key, id, 'yes')).status, 'voting');
    assert.equal((await govVote(client, orgs[1]!.key, id, 'yes')).status, 'voting');
    assert.equal((await govVote(client, operator, id, 'yes')).status, 'approved');

    // The node starts the chain by itself, reports it active, and it takes transactions.
    await waitFor(async () => (await client.chains()).some((c) => c.id === 'trade'), 'the trade chain to start', 30_000);
    // Its admission policy (members only) holds: a member organisation transacts, an outsider does not.
    const hash = await client.send('trade', orgs[2]!.key, { module: 'notary', method: 'put', args: { hash: 'cd'.repeat(32) } });
    await client.waitForTx(hash, { timeoutMs: 30_000 });
    await assert.rejects(client.send('trade', generateKeyPair('sm2'), { module: 'notary', method: 'put', args: { hash: 'ce'.repeat(32) } }), { code: 'TX_NOT_ADMITTED' });
    await waitFor(async () => (await govChains(client)).find((c) => c.id === 'trade')?.status === 'active', 'the registry to show trade active', 30_000);

    // The same, through the node's governance read routes.
    const members = (await (await fetch(`${node.url}/v1/gov/members`)).json()) as { members: Array<{ name: string }> };
    assert.equal(members.members.length, 4);
    const proposal = (await (await fetch(`${node.url}/v1/gov/proposals/${id}`)).json()) as { status: string; votes: unknown[] };
    assert.deepEqual([proposal.status, proposal.votes.length], ['approved', 3]);
    const registry = (await (await fetch(`${node.url}/v1/gov/chains/trade`)).json()) as { status: string; admission: { type: string } };
    assert.deepEqual([registry.status, registry.admission.type], ['active', 'members']);
    assert.equal((await fetch(`${node.url}/v1/gov/proposals/999`)).status, 404);

    // After a restart the node reopens it from the registry.
    await node.stop();
    node = await startNodeProcess(data);
    const again = new ShulianClient({ baseUrl: node.url });
    await waitFor(async () => (await again.chains()).some((c) => c.id === 'trade'), 'trade after restart', 30_000);
    assert.equal((await again.tx(hash)).status, 'committed');

    // Suspended by governance: the node stops the chain at once.
    const suspend = await govPropose(again, orgs[0]!.key, { kind: 'suspend-chain', chain: 'trade' } as never);
    for (const o of orgs) {
      if ((await govVote(again, o.key, suspend.id, 'yes')).status === 'approved') break;
    }
    await waitFor(async () => !(await again.chains()).some((c) => c.id === 'trade'), 'the suspended chain to stop', 30_000);
    assert.equal((await fetch(`${node.url}/v1/chains/trade`)).status, 404);
  } catch (err) {
    process.stderr.write(node.output().slice(-4000));
    throw err;
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});
