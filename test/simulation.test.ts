/**
 * The simulation sandbox (安全沙箱, issue #24) on a node opened in this process, over its real
 * LMDB chains: forks at several heights at once; a settlement transfer and instruction, a
 * governance proposal taken as passed; a transfer to a frozen DID comes back "block" naming the
 * freeze's proposal; a supervision rule in force is named when it would fire; simulation matches
 * real execution (simulate a signed tx, send it, compare; replay history on a fork, compare every
 * root); and none of it writes to the chains' stores (their LMDB files are byte-identical).
 * Limits: forks, lifetime, txs per simulation, time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { signTx } from '../src/ledger/index.ts';
import { startNode } from '../src/node/index.ts';
import { SimulationSandbox } from '../src/sandbox/index.ts';
import { ShulianClient, govPropose, govVote, supPublishCall, type RuleSpec, type SimulationResult } from '../src/sdk/index.ts';
import { settleMint, settleRegisterIssuer } from '../src/sdk/settlement.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const BIG: RuleSpec = {
  id: 'big-transfer', title: 'A transfer over 50,000,000 minor units', titleZh: '单笔转账超过 50,000,000', severity: 'high',
  scope: { chains: ['settle'], modules: ['settlement'] }, kind: 'match',
  when: 'tx.method == "transfer" && int(tx.args.amount) > 50000000',
};

const fileHash = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('forks, simulations with effects and verdicts, parity with real execution; the stores are never written', { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'node');
  const node = await startNode({ dataDir, port: 0, log: () => {} });
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const op = readKeystore(join(dataDir, 'node', 'key.json'), readFileSync(join(dataDir, 'node', 'key.pass'), 'utf8').trim());
    const [reg, bank, user, shop, other] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
    const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
    await waitFor(async () => ((await (await fetch(`${node.url}/v1/gov`)).json()) as { operator?: string }).operator, 'governance init', 60_000);

    // A regulator and its rule; money; a freeze of the shop by vote.
    const p = await govPropose(c, op, { kind: 'register-regulator', regulator: { did: did(reg), name: 'Market Regulator', nameZh: '市场监管', chains: ['*'] } });
    await govVote(c, op, p.id, 'yes');
    assert.equal((await c.waitForTx(await c.send('gov', reg, supPublishCall(BIG)))).receipt.status, 'ok');
    await settleRegisterIssuer(c, op, { issuer: did(bank), name: 'Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    const beforeMint = (await c.chain('settle')).height;
    await settleMint(c, bank, { to: did(user), currency: 'CNY', amount: '100000000', ref: 'd-1' });
    const freeze = await govPropose(c, op, { kind: 'freeze', target: { type: 'did', did: did(shop) }, reason: 'fraud report', title: 'Freeze the shop' });
    assert.equal((await govVote(c, op, freeze.id, 'yes')).status, 'approved');

    // The node's gateway syncs the routing chain's routes onto each routed chain (a
    // xchain.syncRoutes block there) on its own schedule: wait until it has, as syncRoutes itself
    // judges staleness, or a late sync moves a head after they are taken below.
    const routed = ((await c.state('xroute', 'xroute/chains')).value as string[] | null) ?? [];
    assert.ok(routed.length > 0, 'the routing chain lists its chains');
    await waitFor(async () => {
      for (const x of routed) {
        for (const r of routed) {
          const theirs = (await c.state('xroute', `xroute/routes/${r}`)).value as { version?: number } | null;
          const mine = (await c.state(x, `xchain/route/${r}`)).value as { version?: number } | null;
          if (theirs && (!mine || (mine.version ?? 0) < (theirs.version ?? 0))) return false;
        }
      }
      return true;
    }, 'the routes synced onto every routed chain', 120_000);

    const sandbox = new SimulationSandbox(node.node);
    const chainsDir = join(dataDir, 'chains');
    const files = ['settle', 'gov'].map((id) => join(chainsDir, id, 'data.mdb'));
    for (const f of files) assert.ok(existsSync(f), f);
    const hashesBefore = files.map(fileHash);
    const headsBefore = (await c.chains()).map((x) => `${x.id}@${x.height}`).sort();
    const balance = async (k: KeyPair) => ((await c.state('settle', `settlement/acct/CNY/${did(k)}`)).value as { balance: string } | null)?.balance ?? '0';

    // 1. A transfer to the frozen shop: block, naming the freeze's proposal.
    const toFrozen = await sandbox.simulateOnce({ txs: [{ chain: 'settle', from: did(user), module: 'settlement', method: 'transfer', args: { to: did(shop), currency: 'CNY', amount: '1000' } }] });
    assert.equal(toFrozen.risk.verdict, 'block');
    assert.equal(toFrozen.receipts[0]!.status, 'failed');
    assert.equal(toFrozen.receipts[0]!.code, 'FROZEN');
    const named = toFrozen.risk.reasons.filter((r) => r.proposal === freeze.id);
    assert.ok(named.some((r) => r.kind === 'FROZEN_PARTY' && r.en.includes(did(shop)) && r.zh.includes(`#${freeze.id}`)), JSON.stringify(toFrozen.risk.reasons));
    assert.ok(named.some((r) => r.kind === 'FROZEN'));

    // 2. An ordinary transfer: none; effects by module, balances per DID and currency.
    const ok = await sandbox.simulateOnce({ txs: [{ chain: 'settle', from: did(user), module: 'settlement', method: 'transfer', args: { to: did(other), currency: 'CNY', amount: '1000' } }] });
    assert.equal(ok.risk.verdict, 'none', JSON.stringify(ok.risk.reasons));
    assert.equal(ok.receipts[0]!.status, 'ok');
    assert.ok(ok.stateDiff.settle?.settlement && ok.stateDiff.settle.settlement.changes.length > 0);
    assert.deepEqual(ok.balances.map((b) => [b.did, b.currency, b.delta]).sort(), [[did(other), 'CNY', '1000'], [did(user), 'CNY', '-1000']].sort());
    assert.ok(ok.risk.rules.applied >= 1, 'the rule in force was applied');
    assert.equal(await balance(other), '0', 'the real chain is unchanged');

    // 3. A big transfer: the supervision rule in force would fire, named.
    const big = await sandbox.simulateOnce({ txs: [{ chain: 'settle', from: did(user), module: 'settlement', method: 'transfer', args: { to: did(other), currency: 'CNY', amount: '60000000' } }] });
    assert.equal(big.risk.verdict, 'block');
    const rule = big.risk.reasons.find((r) => r.kind === 'RULE');
    assert.equal(rule?.rule?.id, BIG.id);
    assert.match(rule!.zh, /big-transfer/);

    // 4. A settlement instruction, paying the frozen shop and another party: blocked, both effects shown.
    const ins = await sandbox.simulateOnce({
      txs: [{ chain: 'settle', from: did(user), module: 'settlement', method: 'instruct', args: { idempotencyKey: 'ins-1', payer: did(user), currency: 'CNY', payments: [{ to: did(other), amount: '700' }] } }],
    });
    assert.equal(ins.receipts[0]!.status, 'ok', ins.receipts[0]!.message ?? '');
    assert.equal(ins.risk.verdict, 'none', JSON.stringify(ins.risk.reasons));
    assert.ok(ins.balances.some((b) => b.did === did(other) && b.delta === '700'));
    const insFrozen = await sandbox.simulateOnce({
      txs: [{ chain: 'settle', from: did(user), module: 'settlement', method: 'instruct', args: { idempotencyKey: 'ins-2', payer: did(user), currency: 'CNY', payments: [{ to: did(shop), amount: '700' }] } }],
    });
    assert.equal(insFrozen.risk.verdict, 'block');
    assert.ok(insFrozen.risk.reasons.some((r) => r.kind === 'FROZEN_PARTY' && r.proposal === freeze.id));

    // 5. A governance proposal taken as passed, in a bundle with a transfer to its target on another chain.
    const bundle = await sandbox.simulateOnce({
      passProposals: true,
      txs: [
        { chain: 'gov', from: did(op), module: 'governance', method: 'propose', args: { kind: 'freeze', target: { type: 'did', did: did(other) }, reason: 'what if' } },
        { chain: 'settle', from: did(user), module: 'settlement', method: 'transfer', args: { to: did(other), currency: 'CNY', amount: '5' } },
      ],
    });
    const votes = bundle.receipts.filter((r) => r.synthetic);
    assert.ok(votes.length >= 1 && votes.every((v) => v.method === 'vote' && v.status === 'ok'));
    assert.ok(bundle.events.some((e) => e.chain === 'gov' && e.type === 'Frozen'));
    const transfer = bundle.receipts.find((r) => r.chain === 'settle')!;
    assert.equal(transfer.code, 'FROZEN', 'the freeze voted in the simulation applies to the settlement chain\'s tx');
    assert.equal(bundle.risk.verdict, 'block');
    // The freeze proposal alone, as passed: not held against itself (its target is frozen only after its block).
    const alone = await sandbox.simulateOnce({ passProposals: true, txs: [{ chain: 'gov', from: did(op), module: 'governance', method: 'propose', args: { kind: 'freeze', target: { type: 'did', did: did(other) }, reason: 'what if' } }] });
    assert.equal(alone.risk.verdict, 'none', JSON.stringify(alone.risk.reasons));
    assert.ok(alone.risk.reasons.some((r) => r.kind === 'GOVERNANCE_CHANGE' && r.en.includes('Frozen')));
    // A policy change as passed: warn.
    const policy = await sandbox.simulateOnce({
      passProposals: true,
      txs: [{ chain: 'gov', from: did(op), module: 'governance', method: 'propose', args: { kind: 'set-policy', policy: { kinds: { 'admit-member': { votingPeriod: 50 } } } } }],
    });
    assert.equal(policy.risk.verdict, 'warn', JSON.stringify(policy.risk.reasons));
    assert.ok(policy.risk.reasons.some((r) => r.kind === 'POLICY_CHANGE'));

    // 6. Several forks at once, at different heights: before the mint the user has nothing.
    const old = sandbox.fork([{ chain: 'settle', height: beforeMint }]);
    const head = sandbox.fork([{ chain: 'settle' }, { chain: 'gov' }]);
    assert.equal(old.chains[0]!.forkedAt, beforeMint);
    const tx = { chain: 'settle', from: did(user), module: 'settlement', method: 'transfer', args: { to: did(other), currency: 'CNY', amount: '10' } as JsonValue };
    const onOld = await sandbox.simulate(old.id, { txs: [tx] });
    assert.equal(onOld.receipts[0]!.status, 'failed');
    assert.equal(onOld.risk.verdict, 'warn');
    assert.ok(onOld.risk.reasons.some((r) => r.kind === 'TX_FAILS'));
    // Kept blocks accumulate on a fork; the other fork does not see them.
    const k1 = await sandbox.simulate(head.id, { txs: [tx], keep: true });
    const k2 = await sandbox.simulate(head.id, { txs: [tx], keep: true });
    assert.equal(k1.kept, true);
    assert.equal(k2.balances.find((b) => b.did === did(other))!.after, '20');
    assert.equal(sandbox.info(head.id).chains.find((x) => x.chain === 'settle')!.height, k2.blocks[0]!.height);
    assert.equal((await sandbox.simulate(old.id, { txs: [tx] })).receipts[0]!.status, 'failed');

    // Nothing of this reached the stores: the LMDB files are byte-identical, the heads unmoved.
    assert.deepEqual(files.map(fileHash), hashesBefore);
    assert.deepEqual((await c.chains()).map((x) => `${x.id}@${x.height}`).sort(), headsBefore);
    assert.equal(await balance(other), '0');

    // 7. Parity: a signed tx simulated, then executed for real: the same receipt and balances.
    const nonce = (await c.account('settle', did(user))).nonce;
    const height = (await c.chain('settle')).height;
    const { tx: signed } = signTx(user, { chain: 'settle', nonce, expires: height + 1000, module: 'settlement', method: 'transfer', args: { to: did(other), currency: 'CNY', amount: '123' } });
    const sim: SimulationResult = await sandbox.simulateOnce({ txs: [{ signed }] });
    const real = await c.waitForTx((await c.submit('settle', signed)).hash);
    assert.equal(sim.receipts[0]!.tx, real.receipt.tx);
    assert.equal(sim.receipts[0]!.status, real.receipt.status);
    assert.equal(sim.receipts[0]!.gasUsed, real.receipt.gasUsed);
    assert.deepEqual(sim.receipts[0]!.events.map((e) => e.type), real.receipt.events.map((e) => e.type));
    for (const b of sim.balances) assert.equal(await balance(b.did === did(user) ? user : other), b.after);

    // Replaying the whole history on a fork from genesis reaches every committed root.
    for (const id of ['settle', 'gov']) {
      const to = (await c.chain(id)).height;
      const r = await sandbox.replay(id, 0, to);
      assert.equal(r.blocks, to);
      assert.ok(r.txs > 0);
      assert.deepEqual(r.divergences, [], `${id}: ${JSON.stringify(r.divergences)}`);
    }
  } finally {
    await node.close();
    tmp.cleanup();
  }
});

test('limits: forks at once, their lifetime, txs per simulation, time; a stopped simulation keeps nothing', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'node');
  const node = await startNode({ dataDir, port: 0, log: () => {}, supervision: false });
  try {
    let now = 1_000_000;
    const sandbox = new SimulationSandbox(node.node, { limits: { maxForks: 2, ttlMs: 60_000, maxTxs: 3 }, now: () => now });
    const a = sandbox.fork([{ chain: 'notary' }]);
    sandbox.fork([{ chain: 'notary' }]);
    assert.throws(() => sandbox.fork([{ chain: 'notary' }]), { code: 'SIM_FORK_LIMIT' });
    assert.throws(() => sandbox.fork([{ chain: 'nowhere' }]), { code: 'CHAIN_NOT_FOUND' });
    assert.throws(() => sandbox.fork([{ chain: 'notary', height: 10_000 }]), { code: 'HEIGHT_NOT_FOUND' });
    const k = generateKeyPair('sm2');
    const rec = (i: number) => ({ chain: 'notary', from: didFromPublicKey(k.publicKey), module: 'notary', method: 'put', args: { hash: i.toString(16).padStart(64, '0') } as JsonValue });
    await assert.rejects(sandbox.simulate(a.id, { txs: [rec(1), rec(2), rec(3), rec(4)] }), { code: 'SIM_TOO_MANY_TXS' });
    await assert.rejects(sandbox.simulate(a.id, { txs: [{ ...rec(1), chain: 'settle' }] }), { code: 'SIM_CHAIN_NOT_FORKED' });
    await assert.rejects(sandbox.simulate(a.id, { txs: [{ ...rec(1), nonce: 5 }] }), { code: 'SIM_BAD_REQUEST' });
    // One-shot simulations take no place among the kept forks; they are bounded by how many run at once.
    assert.equal((await sandbox.simulateOnce({ txs: [rec(1)] })).receipts[0]!.status, 'ok');
    const single = new SimulationSandbox(node.node, { limits: { maxRunning: 1 } });
    const both = await Promise.allSettled([single.simulateOnce({ txs: [rec(1)] }), single.simulateOnce({ txs: [rec(2)] })]);
    assert.equal(both[0].status, 'fulfilled');
    assert.equal(both[1].status === 'rejected' && (both[1].reason as { code?: string }).code, 'BUSY');
    assert.equal((await single.simulateOnce({ txs: [rec(2)] })).receipts.length, 1, 'a place frees when a run ends');
    const done = await sandbox.simulate(a.id, { txs: [rec(1), rec(2)], keep: true });
    assert.equal(done.receipts.length, 2);
    assert.ok(done.receipts.every((r) => r.status === 'ok'), JSON.stringify(done.receipts));
    // Used forks live on; unused ones expire and free their place.
    now += 50_000;
    sandbox.info(a.id);
    now += 50_000;
    assert.equal(sandbox.size, 1);
    sandbox.fork([{ chain: 'notary' }]);
    now += 61_000;
    assert.throws(() => sandbox.info(a.id), { code: 'SIM_FORK_NOT_FOUND' });
    assert.equal(sandbox.size, 0);

    // A fork's memory is bounded: a simulation that would take it past its bytes fails and keeps nothing.
    const probe = new SimulationSandbox(node.node);
    const p1 = probe.fork([{ chain: 'notary' }]);
    await probe.simulate(p1.id, { txs: [rec(11)], keep: true });
    const one = probe.info(p1.id).chains[0]!.bytes;
    assert.ok(one > 0);
    const small = new SimulationSandbox(node.node, { limits: { maxForkBytes: Math.floor(one * 1.5) } });
    const s1 = small.fork([{ chain: 'notary' }]);
    await small.simulate(s1.id, { txs: [rec(11)], keep: true });
    const s0 = small.info(s1.id).chains[0]!;
    await assert.rejects(small.simulate(s1.id, { txs: [rec(12), rec(13)], keep: true }), { code: 'SIM_FORK_FULL' });
    await assert.rejects(small.simulate(s1.id, { txs: [rec(12), rec(13)] }), { code: 'SIM_FORK_FULL' }, 'a simulation that is not kept is bounded too');
    assert.deepEqual(small.info(s1.id).chains[0], s0);

    // A simulation past its time limit stops with SIM_TIMEOUT and keeps nothing on the fork.
    const slow = new SimulationSandbox(node.node, { limits: { timeMs: 0 } });
    const f = slow.fork([{ chain: 'notary' }]);
    const at = slow.info(f.id).chains[0]!;
    await assert.rejects(slow.simulate(f.id, { txs: [rec(7)], keep: true }), { code: 'SIM_TIMEOUT' });
    await new Promise((r) => setImmediate(r));
    const after = slow.info(f.id).chains[0]!;
    assert.equal(after.height, at.height);
    assert.equal(after.stateRoot, at.stateRoot);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
