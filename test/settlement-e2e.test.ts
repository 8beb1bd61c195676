/**
 * The "done when", on a running node (a real `shulian up` process with its own gateway):
 * a lex revenue-share contract on the signing chain reports a month's usage; its split (three
 * providers) and its tax withholding cross to the settlement chain over xchain, are paid within
 * the mandates the payers granted, and the acknowledgements come back so the contract sees the
 * payments; the settlement chain produces invoices and statements for them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import type { JsonValue } from '../src/codec/index.ts';
import { ShulianClient } from '../src/sdk/client.ts';
import { getContract } from '../src/sdk/contracts.ts';
import {
  settleBalances, settleGrantMandate, settleInstructionByKey, settleInvoices, settleMint, settleRegisterIssuer, settleStatement, settleTotals,
} from '../src/sdk/settlement.ts';
import { repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

test('a lex revenue share pays three providers and withholds tax on the settlement chain; the contract sees the payments', { timeout: 300_000 }, async () => {
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const nodeDir = join(tmp.dir, 'node', 'node');
    const validator = readKeystore(join(nodeDir, 'key.json'), process.env.SHULIAN_NODE_PASSWORD ?? readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
    const k = Object.fromEntries(['platform', 'dataSource', 'algorithm', 'compute', 'taxAuthority', 'bank'].map((n) => [n, generateKeyPair('sm2')])) as Record<string, KeyPair>;
    const did = (n: string): string => didFromPublicKey(k[n]!.publicKey);
    const ok = async (chain: string, key: KeyPair, module: string, method: string, args: JsonValue): Promise<Record<string, JsonValue>> => {
      const tx = await c.waitForTx(await c.send(chain, key, { module, method, args }));
      assert.equal(tx.receipt.status, 'ok', `${module}.${method}: ${tx.receipt.message}`);
      return tx.receipt.result as Record<string, JsonValue>;
    };

    // The platform's money comes in through an issuer (a payment institution).
    await settleRegisterIssuer(c, validator, { issuer: did('bank'), name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    await settleMint(c, k.bank!, { to: did('platform'), currency: 'CNY', amount: '5000000', ref: 'wire-1' });

    // The contract, signed by all five parties.
    const source = readFileSync(join(repoRoot, 'contracts/data-revenue-share/contract.lex'), 'utf8');
    const { template } = await ok('sign', k.platform!, 'lexcontract', 'deploy', { source });
    const params = { ...(JSON.parse(readFileSync(join(repoRoot, 'contracts/data-revenue-share/sample.json'), 'utf8')) as Record<string, JsonValue>) };
    const parties = Object.fromEntries(['platform', 'dataSource', 'algorithm', 'compute', 'taxAuthority'].map((n) => [n, did(n)]));
    for (const p of Object.keys(parties)) delete params[p];
    const drafted = await ok('sign', k.platform!, 'lexcontract', 'draft', { template: template!, params, parties });
    const id = drafted.id as string;
    for (const p of Object.keys(parties)) await ok('sign', k[p]!, 'lexcontract', 'sign', { id, fingerprint: drafted.fingerprint! });

    // Mandates: the platform lets the contract pay its revenue share (as an invoiced service);
    // the data source lets it withhold tax from its share.
    const grantee = { chain: 'sign', port: 'lexcontract', contract: id };
    await settleGrantMandate(c, k.platform!, { grantee, currency: 'CNY', cap: '10000000', service: { description: 'Model API revenue share (data, algorithm, compute)' } } as never);
    await settleGrantMandate(c, k.dataSource!, { grantee, currency: 'CNY', cap: '1000000' });

    // Usage: month 1 earned 10 000.00 CNY; fee 10 % → 9 000.00 split 40/35/25; 3 % tax on the data share.
    const r = await ok('sign', k.platform!, 'lexcontract', 'event', { id, event: 'MonthlyRevenue', input: { period: 1, calls: 120000, revenue: 'CNY 10000.00' } });
    assert.equal((r.settlements as JsonValue[]).length, 2);

    // The contract sees both payments confirmed (acks relayed back by the node's gateway).
    // Until the node's gateway has synced the routes, the signing chain may not send yet and keeps
    // the instructions pending: `lexcontract.settle` (anyone may send it) sends them again.
    let lastResend = Date.now();
    const view = await waitFor(async () => {
      const v = await getContract(c, id);
      if (v.settlements.some((s) => s.status === 'pending') && Date.now() - lastResend > 1_000) {
        lastResend = Date.now();
        await ok('sign', k.platform!, 'lexcontract', 'settle', { id });
      }
      return v.settlements.length === 2 && v.settlements.every((s) => s.status === 'paid' || s.status === 'failed') ? v : undefined;
    }, 'the settlement acknowledgements', 120_000).catch(async (e: Error) => {
      const v = await getContract(c, id);
      throw new Error(`${e.message}; settlements: ${JSON.stringify(v.settlements.map((s) => [s.status, s.note, s.packet]))}\nnode output:\n${node.output().slice(-3000)}`);
    });
    assert.deepEqual(view.settlements.map((s) => [s.status, s.note ?? '']), [['paid', ''], ['paid', '']]);
    assert.ok(view.history.some((h) => h.action === 'paymentConfirmed'));

    const bal = async (n: string): Promise<string> => (await settleBalances(c, did(n), { verified: true })).balances.find((b) => b.currency === 'CNY')?.available ?? '0';
    assert.equal(await bal('platform'), String(5_000_000 - 900_000));
    assert.equal(await bal('dataSource'), String(360_000 - 10_800));
    assert.equal(await bal('algorithm'), '315000');
    assert.equal(await bal('compute'), '225000');
    assert.equal(await bal('taxAuthority'), '10800');
    assert.equal((await settleTotals(c)).balanced, true);

    // The split is an invoiced service: three invoices, one per provider, matching the journal.
    const split = await settleInstructionByKey(c, did('platform'), view.settlements[0]!.instruction.idempotencyKey, grantee, { verified: true });
    assert.equal(split?.status, 'settled');
    assert.equal(split?.origin.kind, 'xchain');
    const invs = await settleInvoices(c, split!.id, { verified: true });
    assert.deepEqual(invs.map((i) => [i.supplier.did, i.totals.payable]), [[did('dataSource'), '360000'], [did('algorithm'), '315000'], [did('compute'), '225000']]);
    assert.ok(invs.every((i) => i.xml.includes('<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>')));
    // A statement of the day so far for the data source: its share in, the tax out.
    const period = new Date(split!.settled!.time).toISOString().slice(0, 10);
    const stmt = await settleStatement(c, period, 'CNY', did('dataSource'));
    assert.equal(stmt.record.closing, String(360_000 - 10_800));
    assert.deepEqual(stmt.entries.map((e) => e.kind), ['instruction', 'instruction']);
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});
