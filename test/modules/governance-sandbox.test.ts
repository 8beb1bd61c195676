/**
 * Sandbox chains in the governance module (issue #24 item 4, docs/governance.md#sandbox-chains):
 * the registry label, routes labelled by governance (never by the proposer) and refused across
 * the sandbox line, promotion by vote that lifts the label and re-issues the chain's route, and a
 * route voted while the chain was promoted labelled as the chain is when it executes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/codec/index.ts';
import type { ChainRecord } from '../../src/modules/governance/index.ts';
import type { Receipt } from '../../src/ledger/index.ts';
import { MemGov, alliance, newOrg, validatorOf, type Org } from '../helpers/governance.ts';

const route = (chain: string, v: Org, inbound: JsonValue[] = [{ srcChain: '*', dstPort: '*', senders: ['*'] }]): JsonValue => ({
  chain, engine: 'shulian', suite: 'ed25519', consensus: 'solo', validators: [validatorOf(v)] as unknown as JsonValue,
  tracksValidators: false, gateways: [], inbound, status: 'active',
});

test('sandbox chains: labelled, kept apart at registration, promoted by vote; a route voted across a promotion is labelled at execution', async () => {
  const op = newOrg();
  const [a, b, c] = [newOrg(), newOrg(), newOrg()];
  const g = new MemGov(MemGov.config(op.did));
  await alliance(g, op, [a, b, c]);
  const voters = [op, a, b, c];
  const propose = async (args: Record<string, JsonValue>): Promise<number> => {
    const r = await g.call(a.did, 'propose', args);
    assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
    return (r.result as { id: number }).id;
  };
  /** Votes yes until approved; returns the receipt that approved it. */
  const pass = async (id: number): Promise<Receipt> => {
    for (const v of voters) {
      const r = await g.call(v.did, 'vote', { id, choice: 'yes' });
      if (r.code === 'GOV_NOT_ELIGIBLE') continue;
      assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
      if (r.events.some((e) => e.type === 'ProposalApproved')) return r;
    }
    assert.fail(`proposal ${id} was not approved`);
  };
  const genesis = (chain: string, sandbox?: boolean): JsonValue => ({
    chain, name: chain, suite: 'ed25519', consensus: { type: 'solo' }, validators: [validatorOf(a)] as unknown as JsonValue, modules: ['notary'],
    ...(sandbox === undefined ? {} : { sandbox }),
  });
  const routeEvent = (r: Receipt) => r.events.find((e) => e.type === 'RouteApproved')?.data as { route: { sandbox?: boolean }; proposal: number } | undefined;

  // A sandbox chain and a production chain.
  await pass(await propose({ kind: 'create-chain', genesis: genesis('trial', true) }));
  await pass(await propose({ kind: 'create-chain', genesis: genesis('trade', false) }));
  const trial = g.get<ChainRecord>('chain/trial')!;
  assert.equal(trial.sandbox, true);
  assert.equal(trial.genesis.sandbox, true, 'born a sandbox: part of its genesis');
  assert.equal(g.get<ChainRecord>('chain/trade')!.sandbox, undefined);
  assert.equal(g.get<ChainRecord>('chain/trade')!.genesis.sandbox, undefined, 'sandbox: false leaves the genesis as it was');

  // Refused at registration, nothing written: routes across the line, and a proposer's own label.
  const before = g.snapshot();
  for (const [args, code, field] of [
    [{ kind: 'register-route', route: route('trade', a, [{ srcChain: 'trial', dstPort: '*', senders: ['*'] }]) }, 'GOV_SANDBOX_ROUTE', /route\.inbound\[0\]\.srcChain: "trial" is a sandbox chain and "trade" a production chain/],
    [{ kind: 'register-route', route: route('trial', a, [{ srcChain: '*', dstPort: 'notary', senders: ['*'] }, { srcChain: 'trade', dstPort: '*', senders: ['*'] }]) }, 'GOV_SANDBOX_ROUTE', /route\.inbound\[1\]\.srcChain: "trial" is a sandbox chain and "trade" a production chain/],
    [{ kind: 'register-route', route: { ...(route('trade', a) as Record<string, JsonValue>), sandbox: true } }, 'GOV_SANDBOX_ROUTE', /route\.sandbox: chain "trade" is not a sandbox chain/],
    [{ kind: 'promote-chain', chain: 'trade' }, 'GOV_NOT_SANDBOX', /chain "trade" is not a sandbox chain/],
  ] as const) {
    const r = await g.call(a.did, 'propose', args as unknown as JsonValue);
    assert.equal(r.code, code, r.message ?? "");
    assert.match(r.message!, field);
  }
  // A chain the registry does not hold (an external engine) counts as production.
  assert.equal((await g.call(a.did, 'propose', { kind: 'register-route', route: route('trial', a, [{ srcChain: 'ext', dstPort: '*', senders: ['*'] }]) })).code, 'GOV_SANDBOX_ROUTE');
  assert.equal(g.snapshot().replace(/"proposal-count":\d+/, ''), before.replace(/"proposal-count":\d+/, ''), 'refusals wrote nothing');

  // The sandbox chain's own route ("*" inbound) is approved, labelled by governance.
  const labelled = routeEvent(await pass(await propose({ kind: 'register-route', route: route('trial', a) })));
  assert.equal(labelled?.route.sandbox, true);

  // A second registration is voted while the chain is promoted: it executes unlabelled.
  const pending = await propose({ kind: 'register-route', route: route('trial', a) });
  const payload = (g.get<{ payload: { route: { sandbox?: boolean } } }>(`proposal/${pending}`))!.payload;
  assert.equal(payload.route.sandbox, true, 'proposed while the chain is a sandbox');
  const promoteId = await propose({ kind: 'promote-chain', chain: 'trial' });
  const promoted = await pass(promoteId);
  assert.ok(promoted.events.some((e) => e.type === 'ChainPromoted'));
  const reissued = routeEvent(promoted);
  assert.deepEqual([reissued?.route.sandbox, reissued?.proposal], [undefined, promoteId], 'the promotion re-issues the route without the label');
  const rec = g.get<ChainRecord>('chain/trial')!;
  assert.deepEqual([rec.sandbox, rec.promoted?.proposal], [undefined, promoteId]);
  const late = routeEvent(await pass(pending));
  assert.equal(late?.route.sandbox, undefined, 'labelled as the chain is when the route executes');
  // Promoted once: a second promotion is refused.
  assert.equal((await g.call(a.did, 'propose', { kind: 'promote-chain', chain: 'trial' })).code, 'GOV_NOT_SANDBOX');
});
