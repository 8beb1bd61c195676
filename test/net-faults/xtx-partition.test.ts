import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, type KeyPair } from '../../src/crypto/index.ts';
import { txDigest } from '../../src/modules/xtx/types.ts';
import { ShulianClient } from '../../src/sdk/index.ts';
import { netSuite } from '../helpers/netns/suite.ts';
import { waitFor } from '../helpers/tmp.ts';

// A cross-chain atomic transaction (2PC, modules xtx and xlock) across a partition (issue #21):
// four validator processes in their own network namespaces, each running the alliance's chains
// and its own gateway, clients writing notary records through every node the whole time. The
// transaction is cut by a 2–2 partition mid-way; afterwards it is done on both chains or on
// neither, on every node, and the history checks.

const { opts, cluster, check, partition } = netSuite();

interface XtxView { status: string; atomicity: string; decision?: { outcome: string; reason: string }; participants: Array<{ chain: string; vote: string; local?: { state: string } | null }> }

test('a cross-chain 2PC across a 2–2 partition: cut while a participant holds its lock, never half done; healed, it commits or aborts on both chains; the history checks', opts, async (t) => {
  const [alice, bob] = [generateKeyPair('sm2'), generateKeyPair('sm2')];
  const [aliceDid, bobDid] = [didFromPublicKey(alice.publicKey), didFromPublicKey(bob.publicKey)];
  const clients = cluster().nodes.map((n) => new ShulianClient({ baseUrl: n.api }));
  const c = clients[2]!;
  const ok = async (chain: string, key: KeyPair, module: string, method: string, args: Record<string, JsonValue>): Promise<void> => {
    const tx = await c.waitForTx(await c.send(chain, key, { module, method, args }), { timeoutMs: 60_000 });
    assert.equal(tx.receipt.status, 'ok', `${module}.${method}: ${tx.receipt.message}`);
  };
  try {
    // The nodes' own gateways relay between the chains once the routing chain's routes are synced.
    await waitFor(async () => {
      for (const [x, y] of [['data', 'sign'], ['data', 'notary'], ['sign', 'data'], ['notary', 'data']]) if ((await c.state(x!, `xchain/route/${y}`)).value === null) return false;
      return true;
    }, 'routes synced', 120_000);
    await ok('sign', alice, 'xtransfer', 'issue', { denom: 'CNY-T' });
    await ok('sign', alice, 'xtransfer', 'mint', { denom: 'CNY-T', to: aliceDid, amount: '1000' });
    await ok('notary', bob, 'xdoc', 'issue', { id: 'BL-7', kind: 'bill-of-lading', hash: toHex(sm3(new TextEncoder().encode('B/L 7'))), holder: bobDid });
    const participants = [
      { chain: 'sign', ops: [{ kind: 'transfer' as const, denom: 'CNY-T', amount: '500', from: aliceDid, to: bobDid }] },
      { chain: 'notary', ops: [{ kind: 'endorse' as const, id: 'notary:BL-7', from: bobDid, to: aliceDid }] },
    ];
    // The deadline is the coordinator's block time, which a validator 5 s ahead may have moved on.
    const deadline = Date.now() + 180_000;
    const body = { coordinator: 'data', id: 'NP1', participants, deadline, recoverAfter: deadline + 3600_000 };
    await ok('notary', bob, 'xlock', 'consent', { coordinator: 'data', id: 'NP1', digest: txDigest(body) });
    await ok('data', alice, 'xtx', 'begin', { id: 'NP1', participants: participants as unknown as JsonValue, deadline, recoverAfter: body.recoverAfter });
    // Cut as soon as one participant holds its lock (a prepare delivered and committed).
    await waitFor(async () => (await c.state('sign', 'xlock/tx/data/NP1')).value !== null || (await c.state('notary', 'xlock/tx/data/NP1')).value !== null, 'a prepare delivered', 120_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster().outputs()}`);
  }
  const heal = partition(t, [[0, 1], [2, 3]]);
  // While cut: every node's view, read on both sides, is never half committed and half undone.
  const during: string[] = [];
  const until = Date.now() + 15_000;
  await waitFor(async () => {
    for (const [k, x] of clients.entries()) {
      const v = await x.getJson<XtxView>('/xtx/data/NP1').catch(() => undefined);
      if (!v) continue;
      assert.notEqual(v.atomicity, 'violation', `node ${k} during the partition: ${JSON.stringify(v)}`);
      during.push(`${k}:${v.status}/${v.participants.map((p) => p.local?.state ?? '-').join(',')}`);
    }
    return Date.now() >= until;
  }, 'the partition watch', 120_000);
  heal();
  const finals = await Promise.all(clients.map((x, k) => waitFor(async () => {
    const v = await x.getJson<XtxView>('/xtx/data/NP1').catch(() => undefined);
    return v && (v.atomicity === 'all-committed' || v.atomicity === 'all-rolled-back') ? v : undefined;
  }, `node ${k}: the transaction completed after the partition healed`, 180_000).catch((err: Error) => { throw new Error(`${err.message}\n${cluster().outputs()}`); })));
  process.stderr.write(`xtx-partition: while cut ${[...new Set(during)].join(' ')}; after ${finals.map((v) => `${v.status}/${v.atomicity}`).join(' ')} (${finals[0]!.decision?.reason ?? ''})\n`);
  // One outcome on every node and both chains; balances and the bill follow it.
  assert.equal(new Set(finals.map((v) => v.atomicity)).size, 1, 'every node reports the same outcome');
  const committed = finals[0]!.atomicity === 'all-committed';
  for (const [k, x] of clients.entries()) {
    await waitFor(async () => (await x.state('sign', `xtransfer/bal/${aliceDid}/CNY-T`)).value === (committed ? '500' : '1000'), `node ${k}: alice's balance follows the outcome`, 60_000);
    assert.equal((await x.state('sign', `xtransfer/bal/${bobDid}/CNY-T`)).value, committed ? '500' : null);
    const doc = (await x.state('notary', 'xdoc/doc/notary:BL-7')).value as { holder: string; lock?: string };
    assert.equal(doc.holder, committed ? aliceDid : bobDid, `node ${k}: the bill's holder follows the outcome`);
    assert.equal(doc.lock, undefined, `node ${k}: the bill is not left locked`);
  }
  await check([0, 1, 2, 3]);
});
