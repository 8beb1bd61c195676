/**
 * Issue #7 on a running node (a real `shulian up` process with its own gateway): a lex contract
 * says its instructions wait for the payer's funds until the month's settlement deadline
 * (`if insufficient funds wait until deadline`, contracts/data-revenue-share).
 *
 *  - A: the payer's account is empty when the month is reported → the settlement chain
 *    acknowledges 'waiting' and the contract shows the instructions sent and waiting; the payer
 *    is funded (an issuer mint) → the settlement chain pays → its `settlement-status` packets
 *    cross back → the contract shows them paid, with paymentConfirmed history entries.
 *  - B: the deadline passes with the payer still short → the next try fails them
 *    (WAIT_EXPIRED) → the status crosses back → the contract shows them failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import type { JsonValue } from '../src/codec/index.ts';
import { ShulianClient } from '../src/sdk/client.ts';
import { getContract, type ContractView } from '../src/sdk/contracts.ts';
import { settleBalances, settleGrantMandate, settleInstructionByKey, settleMint, settleRegisterIssuer, settleRetry, settleTotals } from '../src/sdk/settlement.ts';
import { repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const ROLES = ['platform', 'dataSource', 'algorithm', 'compute', 'taxAuthority'] as const;
const HOUR = 3_600_000;

test('instructions that may wait are paid when the payer is funded, or fail when their deadline passes; the status flows back to the contract', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const nodeDir = join(tmp.dir, 'node', 'node');
    const validator = readKeystore(join(nodeDir, 'key.json'), process.env.SHULIAN_NODE_PASSWORD ?? readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
    const bank = generateKeyPair('sm2');
    const ok = async (chain: string, key: KeyPair, module: string, method: string, args: JsonValue): Promise<Record<string, JsonValue>> => {
      const tx = await c.waitForTx(await c.send(chain, key, { module, method, args }));
      assert.equal(tx.receipt.status, 'ok', `${module}.${method}: ${tx.receipt.message}`);
      return tx.receipt.result as Record<string, JsonValue>;
    };
    await settleRegisterIssuer(c, validator, { issuer: didFromPublicKey(bank.publicKey), name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });

    const source = readFileSync(join(repoRoot, 'contracts/data-revenue-share/contract.lex'), 'utf8');
    const { template } = await ok('sign', bank, 'lexcontract', 'deploy', { source });
    const sample = JSON.parse(readFileSync(join(repoRoot, 'contracts/data-revenue-share/sample.json'), 'utf8')) as Record<string, JsonValue>;
    // Month 1 runs from the 1st of the month before last to the 1st of last month (00:00 +08:00),
    // so it can be reported now; its settlement deadline is that end + settleWithin.
    const local = new Date(Date.now() + 8 * HOUR);
    const firstPeriod = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 2, 1) - 8 * HOUR;
    const monthEnd = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1) - 8 * HOUR;

    interface Deal { id: string; keys: Record<string, KeyPair>; did: (r: string) => string; deadline: number }
    /** A fresh contract between fresh parties whose month 1 must be settled by `deadline`. */
    const deal = async (deadline: number): Promise<Deal> => {
      const keys = Object.fromEntries(ROLES.map((r) => [r, generateKeyPair('sm2')])) as Record<string, KeyPair>;
      const did = (r: string): string => didFromPublicKey(keys[r]!.publicKey);
      const params: Record<string, JsonValue> = { ...sample, firstPeriod: new Date(firstPeriod).toISOString(), settleWithin: deadline - monthEnd };
      for (const r of ROLES) delete params[r];
      const parties = Object.fromEntries(ROLES.map((r) => [r, did(r)]));
      const drafted = await ok('sign', keys.platform!, 'lexcontract', 'draft', { template: template!, params, parties });
      const id = drafted.id as string;
      await Promise.all(ROLES.map((r) => ok('sign', keys[r]!, 'lexcontract', 'sign', { id, fingerprint: drafted.fingerprint! })));
      const grantee = { chain: 'sign', port: 'lexcontract', contract: id };
      await Promise.all([
        settleGrantMandate(c, keys.platform!, { grantee, currency: 'CNY', cap: '10000000' }),
        settleGrantMandate(c, keys.dataSource!, { grantee, currency: 'CNY', cap: '1000000' }),
      ]);
      return { id, keys, did, deadline };
    };
    /** Reports month 1 (revenue 1 000.00: 900.00 split, 10.80 tax) while both payers' accounts are empty. */
    const report = async (d: Deal): Promise<void> => {
      const r = await ok('sign', d.keys.platform!, 'lexcontract', 'event', { id: d.id, event: 'MonthlyRevenue', input: { period: 1, calls: 1000, revenue: 'CNY 1000.00' } });
      const sent = r.settlements as Array<{ onInsufficientFunds?: string; waitUntil?: string }>;
      assert.deepEqual(sent.map((s) => s.onInsufficientFunds), ['wait', 'wait'], `reported before its deadline (${new Date(d.deadline).toISOString()}), the month's instructions may wait`);
      assert.ok(sent.every((s) => Date.parse(s.waitUntil!) === d.deadline));
    };
    /** Polls the contract until `done`; resends instructions still pending (the gateway syncing routes). */
    const contractUntil = async (d: Deal, what: string, done: (v: ContractView) => boolean): Promise<ContractView> => {
      let lastResend = Date.now();
      return waitFor(async () => {
        const v = await getContract(c, d.id);
        if (v.settlements.some((s) => s.status === 'pending') && Date.now() - lastResend > 1_000) {
          lastResend = Date.now();
          await ok('sign', d.keys.compute!, 'lexcontract', 'settle', { id: d.id });
        }
        return done(v) ? v : undefined;
      }, what, 120_000).catch(async (e: Error) => {
        const v = await getContract(c, d.id);
        throw new Error(`${e.message}; settlements: ${JSON.stringify(v.settlements.map((s) => [s.status, s.waiting, s.note]))}\nnode output:\n${node.output().slice(-3000)}`);
      });
    };
    const waiting = (v: ContractView): boolean => v.settlements.length === 2 && v.settlements.every((s) => s.status === 'sent' && s.waiting === true);

    // B first, so its deadline (a little ahead) runs while A is worked through.
    const b = await deal(Date.now() + 20_000);
    await report(b);
    const a = await deal(Date.now() + 30 * 24 * HOUR);
    await report(a);

    // A: acknowledged as waiting; the contract shows both sent and waiting, the settlement chain too.
    const aWaiting = await contractUntil(a, 'A acknowledged as waiting', waiting);
    assert.ok(aWaiting.settlements.every((s) => /waiting for the payer's funds/.test(s.note ?? '')));
    const origin = (d: Deal) => ({ chain: 'sign', port: 'lexcontract', contract: d.id });
    const aSplit = aWaiting.settlements[0]!;
    const aTax = aWaiting.settlements[1]!;
    assert.equal((await settleInstructionByKey(c, a.did('platform'), aSplit.instruction.idempotencyKey, origin(a)))?.status, 'waiting');
    assert.equal(aSplit.settlementId, (await settleInstructionByKey(c, a.did('platform'), aSplit.instruction.idempotencyKey, origin(a)))?.id);

    // The platform is funded: the mint pays its waiting split at once. The split credits the data
    // source, whose waiting withholding is paid by the next try (`retry`, which anyone may send).
    await settleMint(c, bank, { to: a.did('platform'), currency: 'CNY', amount: '500000', ref: 'wire-a' });
    assert.equal((await settleInstructionByKey(c, a.did('platform'), aSplit.instruction.idempotencyKey, origin(a)))?.status, 'settled');
    const retried = await settleRetry(c, a.keys.algorithm!, { payer: a.did('dataSource'), currency: 'CNY' });
    assert.equal(retried.settled.length, 1);
    assert.equal((await settleInstructionByKey(c, a.did('dataSource'), aTax.instruction.idempotencyKey, origin(a)))?.status, 'settled');

    // The settlement chain's status packets reach the contract: both paid.
    const aPaid = await contractUntil(a, 'A paid', (v) => v.settlements.every((s) => s.status === 'paid'));
    assert.deepEqual(aPaid.settlements.map((s) => [s.status, s.statusPacket?.srcChain]), [['paid', 'settle'], ['paid', 'settle']]);
    const confirmed = aPaid.history.filter((h) => h.action === 'paymentConfirmed');
    assert.deepEqual(confirmed.map((h) => [(h.detail as { idempotencyKey: string }).idempotencyKey, (h.detail as { via: string }).via]),
      [[aSplit.instruction.idempotencyKey, 'settlement-status'], [aTax.instruction.idempotencyKey, 'settlement-status']]);
    const bal = async (did: string): Promise<string> => (await settleBalances(c, did, { verified: true })).balances.find((x) => x.currency === 'CNY')?.available ?? '0';
    assert.equal(await bal(a.did('platform')), String(500_000 - 90_000));
    assert.equal(await bal(a.did('dataSource')), String(36_000 - 1_080));
    assert.equal(await bal(a.did('taxAuthority')), '1080');

    // B: waiting too; then its deadline passes with the payers still short.
    await contractUntil(b, 'B acknowledged as waiting', waiting);
    await waitFor(() => Date.now() > b.deadline, 'B\'s deadline to pass', 120_000);
    // The next try (block time past the deadline) fails them: WAIT_EXPIRED.
    for (const payer of ['platform', 'dataSource']) {
      const r = await settleRetry(c, b.keys.compute!, { payer: b.did(payer), currency: 'CNY' });
      assert.equal(r.failed.length, 1, `${payer}'s waiting instruction fails once its deadline has passed`);
    }
    const bFailed = await contractUntil(b, 'B failed', (v) => v.settlements.every((s) => s.status === 'failed'));
    assert.ok(bFailed.settlements.every((s) => /^WAIT_EXPIRED: /.test(s.note ?? '')), JSON.stringify(bFailed.settlements.map((s) => s.note)));
    assert.equal(bFailed.history.filter((h) => h.action === 'paymentFailed').length, 2);
    assert.equal(bFailed.history.filter((h) => h.action === 'paymentConfirmed').length, 0);
    assert.equal(await bal(b.did('platform')), '0');
    assert.equal((await settleTotals(c)).balanced, true);
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});
