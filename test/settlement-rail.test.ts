/**
 * The sandbox rail end to end with real processes: a node (`shulian up`), the sandbox rail in its
 * own process with its own ledger, the issuer's deposit watcher on a real port, the CLI. Deposits
 * become signed webhooks that mint on chain once; withdrawals are paid out by the rail; a
 * three-way split with tax settles and is invoiced; every surface says SANDBOX.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, writeKeystore } from '../src/crypto/index.ts';
import { ShulianClient } from '../src/sdk/client.ts';
import {
  settleBalances, settleInstruct, settleRegisterIssuer, settleTaxPolicy, settleWithdraw, settleInvoices, settleJournal,
} from '../src/sdk/settlement.ts';
import { SandboxRailAdapter, signWebhook, startDepositWatcher } from '../src/rails/index.ts';
import { cliPath, freePort, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PW: 'settle-test' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

test('sandbox rail: signed webhooks mint once, withdrawals pay out, a split with tax settles and is invoiced', { timeout: 240_000 }, async () => {
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const client = new ShulianClient({ baseUrl: node.url });
    await waitFor(async () => (await client.chains()).find((c) => c.id === 'settle' && c.modules.includes('settlement')), 'the settle chain with settlement');
    const nodeDir = join(tmp.dir, 'node', 'node');
    const validator = readKeystore(join(nodeDir, 'key.json'), process.env.SHULIAN_NODE_PASSWORD ?? readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
    const [issuer, payer, p1, p2, p3, taxman] = Array.from({ length: 6 }, () => generateKeyPair('sm2')) as [ReturnType<typeof generateKeyPair>, ReturnType<typeof generateKeyPair>, ReturnType<typeof generateKeyPair>, ReturnType<typeof generateKeyPair>, ReturnType<typeof generateKeyPair>, ReturnType<typeof generateKeyPair>];
    const D = (k: typeof issuer) => didFromPublicKey(k.publicKey);
    await settleRegisterIssuer(client, validator, { issuer: D(issuer), name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    await settleTaxPolicy(client, validator, { authority: D(taxman), rates: { service: 600 } });

    // The rail's key exists before it starts so the watcher knows whose signatures to accept.
    const railDir = join(tmp.dir, 'rail');
    mkdirSync(railDir);
    const railKey = generateKeyPair('sm2');
    writeKeystore(join(railDir, 'sandbox-rail-key.json'), railKey, 'sandbox');
    const railPort = await freePort();
    const railUrl = `http://127.0.0.1:${railPort}`;
    const adapter = new SandboxRailAdapter(railUrl, toHex(railKey.publicKey));
    const watcher = await startDepositWatcher({ client, issuerKey: issuer, rail: adapter, port: 0, pollMs: 0 });
    stops.push(() => watcher.close());
    const rail = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'sandbox-rail.ts'), '--data-dir', railDir, '--webhook', watcher.webhookUrl, '--port', String(railPort)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const railExit = new Promise((r) => rail.on('exit', r));
    stops.push(async () => { rail.kill('SIGTERM'); await railExit; });
    let railOut = '';
    rail.stdout!.on('data', (d: Buffer) => (railOut += d.toString()));
    rail.stderr!.on('data', (d: Buffer) => (railOut += d.toString()));
    await waitFor(() => /READY/.test(railOut), 'the sandbox rail to start', 60_000);
    assert.match(railOut, /SANDBOX rail: test money only/);
    assert.ok(railOut.includes(D(railKey)));

    // A deposit through the CLI: the rail books it and webhooks the watcher, which mints.
    const dep = await cli(['settle', 'deposit', '--rail', railUrl, '--to', D(payer), '--amount', '1000.00', '--currency', 'CNY', '--wait', '--api', node.url, '--json']);
    assert.equal(dep.code, 0, dep.err);
    const depOut = JSON.parse(dep.out) as { sandbox: boolean; minted: boolean; deposit: string };
    assert.deepEqual([depOut.sandbox, depOut.minted, depOut.deposit], [true, true, 'sbx-dep-1']);
    assert.equal((await settleBalances(client, D(payer))).balances[0]!.available, '100000');

    // A forged webhook is refused; a redelivered genuine one mints nothing more.
    const body = JSON.stringify({ type: 'deposit.succeeded', id: 'sbx-dep-1', account: D(payer), currency: 'CNY', amount: '100000', time: Date.now(), rail: 'sandbox', sandbox: true });
    const forged = await fetch(watcher.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook(generateKeyPair('sm2'), body, Date.now()) }, body });
    assert.equal(forged.status, 401);
    const tampered = { ...signWebhook(railKey, body, Date.now()) };
    const bad = await fetch(watcher.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...tampered }, body: body.replace('100000', '900000') });
    assert.equal(bad.status, 401);
    const again = await fetch(watcher.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook(railKey, body, Date.now()) }, body });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { duplicate: boolean }).duplicate, true);
    assert.equal((await settleBalances(client, D(payer))).balances[0]!.available, '100000');

    // A three-way revenue split with 6 % tax.
    const st = await settleInstruct(client, payer, {
      idempotencyKey: 'usage-2026-11', payer: D(payer), currency: 'CNY', total: '30000',
      split: { by: 'bp', shares: [{ to: D(p1), share: 5000 }, { to: D(p2), share: 3000 }, { to: D(p3), share: 2000 }] },
      taxCategory: 'service', service: { description: 'Medical data analysis: data, algorithm and compute', quantity: 1 },
    });
    assert.equal(st.status, 'settled');
    assert.equal((await settleBalances(client, D(taxman))).balances[0]!.available, st.lines.reduce((a, l) => a + BigInt(l.tax), 0n).toString());

    // API: balances labelled sandbox; invoice XML; statement (running, not cleared yet); journal.
    const bal = (await (await fetch(`${node.url}/v1/settlement/accounts/${D(payer)}`)).json()) as { sandbox: boolean; notice: string; balances: unknown[] };
    assert.equal(bal.sandbox, true);
    assert.match(bal.notice, /SANDBOX/);
    const xmlRes = await fetch(`${node.url}/v1/settlement/invoices/${st.id}?format=xml&line=2`);
    assert.equal(xmlRes.status, 200);
    assert.match(xmlRes.headers.get('content-type') ?? '', /application\/xml/);
    const xml = await xmlRes.text();
    const errors: string[] = [];
    const doc = new DOMParser({ onError: (level: string, m: string) => { if (level !== 'warning') errors.push(m); } }).parseFromString(xml, 'text/xml');
    assert.deepEqual(errors, []);
    assert.equal(doc.documentElement!.getElementsByTagName('cbc:EndpointID')[0]!.textContent, D(p2));
    const invs = await settleInvoices(client, st.id, { verified: true });
    assert.equal(invs[1]!.xml, xml, 'the SDK builds the same invoice locally, from proven state');
    const period = new Date(st.settled!.time).toISOString().slice(0, 10);
    const stmt = (await (await fetch(`${node.url}/v1/settlement/statements/${period}/CNY/${D(payer)}`)).json()) as { statement: { cleared: boolean; entries: unknown[]; record: { closing: string } } };
    assert.equal(stmt.statement.cleared, false);
    assert.equal(stmt.statement.record.closing, '70000');
    const journal = await settleJournal(client, { account: D(payer), currency: 'CNY' }, { verified: true });
    assert.deepEqual(journal.entries.map((e) => e.kind), ['instruction', 'mint']);
    assert.equal((await fetch(`${node.url}/v1/settlement/instructions/${'0'.repeat(64)}`)).status, 404);
    assert.equal((await fetch(`${node.url}/v1/settlement/accounts/not-a-did`)).status, 400);

    // CLI reads.
    const status = await cli(['settle', 'status', st.id, '--api', node.url, '--json']);
    assert.equal(status.code, 0, status.err);
    assert.equal((JSON.parse(status.out) as { status: string }).status, 'settled');
    const human = await cli(['settle', 'balance', D(payer), '--api', node.url]);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /available 700\.00/);
    assert.match(human.out, /SANDBOX/);

    // CLI writes: a payment, an instruction, and its invoice as UBL XML; the journal and statement.
    const payerFile = join(tmp.dir, 'payer.json');
    writeKeystore(payerFile, payer, 'settle-test');
    const as = ['--key', payerFile, '--password-env', 'PW', '--api', node.url];
    const pay = await cli(['settle', 'pay', '--to', D(p1), '--amount', '1.50', '--currency', 'CNY', ...as, '--json']);
    assert.equal(pay.code, 0, pay.err);
    const ins = await cli(['settle', 'instruct', '--instruction', JSON.stringify({ idempotencyKey: 'cli-1', currency: 'CNY', payments: [{ to: D(p2), amount: '2000' }], taxCategory: 'service', service: { description: 'Compute hours', quantity: 4, unit: 'HUR' } }), ...as, '--json']);
    assert.equal(ins.code, 0, ins.err);
    const insOut = JSON.parse(ins.out) as { id: string; status: string };
    assert.equal(insOut.status, 'settled');
    const again2 = await cli(['settle', 'instruct', '--instruction', JSON.stringify({ idempotencyKey: 'cli-1', currency: 'CNY', payments: [{ to: D(p2), amount: '2000' }], taxCategory: 'service' }), ...as]);
    assert.equal(again2.code, 0, again2.err);
    assert.match(again2.out, /duplicate: the first result/);
    const invXml = await cli(['settle', 'invoice', insOut.id, '--xml', '--api', node.url]);
    assert.equal(invXml.code, 0, invXml.err);
    assert.match(invXml.out, /<cbc:InvoicedQuantity unitCode="HUR">4<\/cbc:InvoicedQuantity>/);
    assert.match(invXml.out, /<cbc:PayableAmount currencyID="CNY">20\.00<\/cbc:PayableAmount>/);
    const jr = await cli(['settle', 'journal', '--account', D(payer), '--currency', 'CNY', '--api', node.url]);
    assert.equal(jr.code, 0, jr.err);
    assert.match(jr.out, /Dr {2}did:shulian:\S+ {2}20\.00/);
    const sr = await cli(['settle', 'statement', period, 'CNY', D(payer), '--api', node.url]);
    assert.equal(sr.code, 0, sr.err);
    assert.match(sr.out, /not cleared yet/);
    assert.match(sr.out, /closing {4}678\.50/);
    const badAmount = await cli(['settle', 'pay', '--to', D(p1), '--amount', '1.505', '--currency', 'CNY', ...as]);
    assert.equal(badAmount.code, 2);
    assert.match(badAmount.err, /CNY has 2 decimal places/);

    // A withdrawal: burnt on chain, paid out by the rail; the rail's omnibus equals what is issued on chain.
    await settleWithdraw(client, p1, { issuer: D(issuer), currency: 'CNY', amount: '10000', ref: 'cash-out-1' });
    assert.equal(await watcher.syncWithdrawals(), 1);
    assert.equal(await watcher.syncWithdrawals(), 0, 'paid out once');
    const ledger = (await (await fetch(`${railUrl}/v1/sandbox/ledger`)).json()) as { omnibus: Record<string, string>; payouts: Array<{ account: string; amount: string }>; sandbox: boolean };
    assert.equal(ledger.sandbox, true);
    assert.deepEqual(ledger.payouts.map((p) => [p.account, p.amount]), [[D(p1), '10000']]);
    const issued = (await settleBalances(client, D(issuer))).balances[0]!.issued;
    assert.equal(ledger.omnibus.CNY, issued);
    assert.equal(issued, '90000');

    // A watcher with a cursor file reads each block once across restarts; a cursor past the head reads again from 1.
    const cursorFile = join(tmp.dir, 'withdrawal-cursor.json');
    class CountingClient extends ShulianClient {
      blocksRead = 0;
      override block(chain: string, height: number | 'latest'): ReturnType<ShulianClient['block']> {
        this.blocksRead++;
        return super.block(chain, height);
      }
    }
    const first = new CountingClient({ baseUrl: node.url });
    const w1 = await startDepositWatcher({ client: first, issuerKey: issuer, rail: adapter, port: 0, pollMs: 0, cursorFile });
    assert.equal(await w1.syncWithdrawals(), 0, 'the withdrawal was paid already: nothing twice');
    await w1.close();
    const head = (await client.chain('settle')).height;
    assert.ok(first.blocksRead >= head - 1, `the first start reads the chain (${first.blocksRead} blocks of ${head})`);
    assert.ok(JSON.parse(readFileSync(cursorFile, 'utf8')).next > head - 1);
    const second = new CountingClient({ baseUrl: node.url });
    const w2 = await startDepositWatcher({ client: second, issuerKey: issuer, rail: adapter, port: 0, pollMs: 0, cursorFile });
    await w2.syncWithdrawals();
    await w2.close();
    const readAgain = second.blocksRead;
    assert.ok(readAgain <= (await client.chain('settle')).height - head + 1, `a restart reads only the new blocks (read ${readAgain})`);
    writeFileSync(cursorFile, JSON.stringify({ next: 10_000_000 }));
    const third = new CountingClient({ baseUrl: node.url });
    const w3 = await startDepositWatcher({ client: third, issuerKey: issuer, rail: adapter, port: 0, pollMs: 0, cursorFile });
    assert.equal(await w3.syncWithdrawals(), 0);
    await w3.close();
    assert.ok(third.blocksRead >= head - 1, 'a cursor past the head reads the chain from block 1 again');
  } finally {
    for (const s of stops.reverse()) await s();
    await node.stop();
    tmp.cleanup();
  }
});
