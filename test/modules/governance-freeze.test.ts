/**
 * Freezes by vote and emergency freezes by regulators (docs/supervision.md#freezes), through the
 * real Executor on an in-memory governance state: who may propose what (scope, role), replayed
 * proposals, unfreeze, the emergency quorum, its confirmation, rejection and lapse. Refusals
 * change nothing. The chains' side (TX_FROZEN, execution) is test/supervision-freeze.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/codec/index.ts';
import type { Receipt } from '../../src/ledger/index.ts';
import type { FreezeRecord, Proposal } from '../../src/modules/governance/index.ts';
import { MemGov, alliance, newOrg, validatorOf, type Org } from '../helpers/governance.ts';

const ok = (r: Receipt): Receipt => {
  assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
  return r;
};

const ALERT = 'ab'.repeat(32);

/** Proposes and has `voters` vote yes; returns the receipts of the votes. */
async function pass(g: MemGov, by: Org, voters: Org[], args: Record<string, JsonValue>): Promise<{ id: number; votes: Receipt[] }> {
  const p = ok(await g.call(by.did, 'propose', args));
  const id = (p.result as { id: number }).id;
  const votes = await g.block(voters.map((v) => ({ from: v.did, method: 'vote', args: { id, choice: 'yes' } })));
  return { id, votes };
}

async function setup() {
  const op = newOrg();
  const [a, b] = [newOrg(), newOrg()];
  const g = new MemGov(MemGov.config(op.did));
  await alliance(g, op, [a, b], { kinds: { freeze: { votingPeriod: 20 }, unfreeze: { votingPeriod: 20 } }, emergency: { quorumBps: 6_666, maxBlocks: 5 } });
  await pass(g, a, [op, a, b], {
    kind: 'create-chain',
    genesis: { chain: 'trade', name: 'Trade chain', suite: 'ed25519', consensus: { type: 'solo' }, validators: [validatorOf(newOrg())] as unknown as JsonValue, modules: ['notary'] },
  });
  const wide = newOrg();
  const narrow = newOrg();
  const third = newOrg();
  for (const [r, chains] of [[wide, ['*']], [narrow, ['trade']], [third, ['*']]] as const) {
    const { votes } = await pass(g, op, [op, a, b], { kind: 'register-regulator', regulator: { did: r.did, name: 'Regulator', chains: [...chains] } });
    assert.ok(votes.some((v) => v.events.some((e) => e.type === 'RegulatorRegistered')));
  }
  return { g, op, a, b, wide, narrow, third };
}

test('a regulator proposes a freeze from an alert; members vote; the record names the proposal', async () => {
  const { g, op, a, b, wide } = await setup();
  const target = newOrg();
  const { id, votes } = await pass(g, wide, [op, a], {
    kind: 'freeze', target: { type: 'did', did: target.did }, reason: 'burst of transfers', evidence: { alert: ALERT, rule: 'burst', version: 1 },
  });
  assert.ok(votes.some((v) => v.events.some((e) => e.type === 'Frozen')), JSON.stringify(votes.map((v) => v.code)));
  const rec = g.get<FreezeRecord>(`freeze/did/${target.did}`)!;
  assert.equal(rec.proposal, id);
  assert.equal(rec.how, 'vote');
  assert.deepEqual(rec.by, [wide.did]);
  assert.equal(rec.evidence!.alert, ALERT);
  assert.deepEqual(g.get('freezes'), [`did/${target.did}`]);

  // Replays: the same alert again, the same party again; unfreezing by vote lifts it.
  const before = g.snapshot();
  const again = await g.call(wide.did, 'propose', { kind: 'freeze', target: { type: 'did', did: newOrg().did }, reason: 'again', evidence: { alert: ALERT } });
  assert.equal(again.code, 'GOV_EVIDENCE_USED');
  assert.match(again.message!, new RegExp(`proposal #${id}`));
  assert.equal((await g.call(wide.did, 'propose', { kind: 'freeze', target: { type: 'did', did: target.did }, reason: 'again' })).code, 'GOV_ALREADY_FROZEN');
  assert.equal(g.snapshot().replace(/"sys\/nonce[^,]*,/g, ''), before.replace(/"sys\/nonce[^,]*,/g, ''));
  const un = await pass(g, b, [op, a, b], { kind: 'unfreeze', target: { type: 'did', did: target.did }, reason: 'cleared after review' });
  assert.ok(un.votes.some((v) => v.events.some((e) => e.type === 'Unfrozen')));
  assert.equal(g.get(`freeze/did/${target.did}`), undefined);
  assert.deepEqual(g.get('freezes'), []);
  assert.equal((await g.call(b.did, 'propose', { kind: 'unfreeze', target: { type: 'did', did: target.did }, reason: 'x' })).code, 'GOV_NOT_FROZEN');
});

test('scope and roles: out-of-scope regulators, plain members and strangers cannot propose freezes', async () => {
  const { g, a, narrow, op, b } = await setup();
  const before = g.snapshot();
  const did = newOrg().did;
  const r = await g.block([
    { from: narrow.did, method: 'propose', args: { kind: 'freeze', target: { type: 'did', did }, reason: 'x' } },
    { from: narrow.did, method: 'propose', args: { kind: 'freeze', target: { type: 'contract', chain: 'settle', id: 'c1' }, reason: 'x' } },
    { from: a.did, method: 'propose', args: { kind: 'freeze', target: { type: 'did', did }, reason: 'x' } },
    { from: newOrg().did, method: 'propose', args: { kind: 'freeze', target: { type: 'did', did }, reason: 'x' } },
    { from: narrow.did, method: 'propose', args: { kind: 'freeze', target: { type: 'token', chain: '*', denom: 'CNY' }, reason: 'x' } },
    { from: narrow.did, method: 'propose', args: { kind: 'admit-member', member: { did, name: 'X', roles: ['member'] } } },
    { from: narrow.did, method: 'propose', args: { kind: 'freeze', target: { type: 'did', did: 'nope' }, reason: 'x' } },
  ]);
  assert.deepEqual(r.map((x) => x.code), [
    'GOV_OUT_OF_SCOPE', 'GOV_CHAIN_NOT_FOUND', 'GOV_ROLE_FORBIDDEN', 'GOV_NOT_MEMBER', 'GOV_OUT_OF_SCOPE', 'GOV_ROLE_FORBIDDEN', 'GOV_PAYLOAD_INVALID',
  ]);
  assert.match(r[0]!.message!, /regulator of every chain/);
  const strip = (s: string) => s.replace(/"sys\/nonce[^,]*,/g, '');
  assert.equal(strip(g.snapshot()), strip(before));
  // Within its scope: a contract on its chain.
  const { votes } = await pass(g, narrow, [op, a, b], { kind: 'freeze', target: { type: 'contract', chain: 'trade', id: 'c1' }, reason: 'not from an approved template' });
  assert.ok(votes.some((v) => v.events.some((e) => e.type === 'Frozen')));
  assert.equal(g.get<FreezeRecord>('freeze/contract/trade/c1')!.how, 'vote');
});

test('emergency freeze: a quorum of regulators freezes at once for a bounded time; the vote confirms it or it ends', async () => {
  const { g, op, a, b, wide, third, narrow } = await setup();
  const t1 = newOrg().did;
  const target = { type: 'did', did: t1 };
  // Three registered regulators, quorum 66.66 %: two must ask. The narrow one is out of scope.
  assert.equal((await g.call(narrow.did, 'emergencyFreeze', { target, reason: 'x' })).code, 'GOV_OUT_OF_SCOPE');
  assert.equal((await g.call(a.did, 'emergencyFreeze', { target, reason: 'x' })).code, 'GOV_NOT_REGULATOR');
  const first = ok(await g.call(wide.did, 'emergencyFreeze', { target, reason: 'sanctioned counterparty', evidence: { alert: ALERT } }));
  assert.deepEqual(first.result, { key: `did/${t1}`, frozen: false, asked: 1, needed: 2 });
  assert.equal((await g.call(wide.did, 'emergencyFreeze', { target, reason: 'x' })).code, 'GOV_ALREADY_VOTED');
  const second = ok(await g.call(third.did, 'emergencyFreeze', { target, reason: 'x' }));
  const res = second.result as { frozen: boolean; proposal: number; until: number };
  assert.equal(res.frozen, true);
  const rec = g.get<FreezeRecord>(`freeze/did/${t1}`)!;
  assert.equal(rec.how, 'emergency');
  assert.equal(rec.until, rec.since + 5);
  assert.deepEqual(rec.by, [wide.did, third.did].sort());
  const p = g.get<Proposal>(`proposal/${res.proposal}`)!;
  assert.equal(p.status, 'voting');
  assert.equal(p.kind, 'freeze');
  // While it is open, nobody opens another proposal on the same party; the alert is taken.
  assert.equal((await g.call(wide.did, 'propose', { kind: 'freeze', target, reason: 'y' })).code, 'GOV_ALREADY_FROZEN');
  // The vote confirms it: a freeze by vote, no end.
  const votes = await g.block([op, a].map((v) => ({ from: v.did, method: 'vote', args: { id: res.proposal, choice: 'yes' } })));
  assert.ok(votes.some((v) => v.events.some((e) => e.type === 'Frozen')));
  const confirmed = g.get<FreezeRecord>(`freeze/did/${t1}`)!;
  assert.equal(confirmed.how, 'vote');
  assert.equal(confirmed.until, undefined);
  assert.equal(confirmed.since, rec.since);

  // A second party: the vote rejects it → lifted at once.
  const t2 = newOrg().did;
  ok(await g.call(wide.did, 'emergencyFreeze', { target: { type: 'did', did: t2 }, reason: 'x' }));
  const id2 = ((ok(await g.call(third.did, 'emergencyFreeze', { target: { type: 'did', did: t2 }, reason: 'x' })).result) as { proposal: number }).proposal;
  assert.ok(g.get(`freeze/did/${t2}`));
  const no = await g.block([op, a, b].map((v) => ({ from: v.did, method: 'vote', args: { id: id2, choice: 'no' } })));
  assert.ok(no.some((v) => v.events.some((e) => e.type === 'Unfrozen')), JSON.stringify(no.map((x) => x.events.map((e) => e.type))));
  assert.equal(g.get(`freeze/did/${t2}`), undefined);

  // A third: nobody votes; after maxBlocks it no longer holds (the record says until when), and may be asked again.
  const t3 = newOrg().did;
  ok(await g.call(wide.did, 'emergencyFreeze', { target: { type: 'did', did: t3 }, reason: 'x' }));
  ok(await g.call(third.did, 'emergencyFreeze', { target: { type: 'did', did: t3 }, reason: 'x' }));
  const r3 = g.get<FreezeRecord>(`freeze/did/${t3}`)!;
  while (g.height <= r3.until!) await g.block([]);
  // Lapsed: an unfreeze has nothing to lift, a new freeze proposal is refused only while the confirmation is open.
  assert.equal((await g.call(op.did, 'propose', { kind: 'unfreeze', target: { type: 'did', did: t3 }, reason: 'x' })).code, 'GOV_NOT_FROZEN');
});
