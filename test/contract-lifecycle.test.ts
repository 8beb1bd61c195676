import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShulianClient } from '../src/sdk/client.ts';
import { contractPdf, getContract, getContractFingerprint, listContracts } from '../src/sdk/contracts.ts';
import { fixtureKey } from './helpers/cli.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

const DAY = 86_400_000;

/**
 * The "done when", on a running node (a real process), through the CLI: a contract is
 * drafted with a notary, signed by both parties and countersigned, driven by events through a
 * breach, a dispute the notary resolves, and a termination with its penalty; its evidence
 * package then replays to the same state with no node running.
 */
test('contracts drafted, signed by two parties (and a notary), driven through penalties and a termination; evidence replays offline', async () => {
  const tmp = tempDir();
  let node = await startNodeProcess(join(tmp.dir, 'data'));
  const env = { ...process.env, PW: 'lifecycle-test', SHULIAN_HOME: join(tmp.dir, 'home') };
  const cli = (...args: string[]): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, env, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = <T>(...args: string[]): T => {
    const r = cli(...args, '--json');
    assert.equal(r.code, 0, `shulian ${args.join(' ')}: ${r.err}`);
    return JSON.parse(r.out) as T;
  };
  try {
    const api = ['--api', node.url];
    const keys: Record<string, { did: string; file: string }> = {};
    for (const p of ['seller', 'buyer', 'notary']) {
      const file = join(tmp.dir, `${p}.json`);
      keys[p] = { did: fixtureKey(file, env.PW).did, file };
    }
    const as = (p: string) => ['--key', keys[p]!.file, '--password-env', 'PW', ...api];
    const { template } = ok<{ template: string }>('contract', 'deploy', join(repoRoot, 'contracts/late-delivery/contract.lex'), ...as('seller'));

    // Delivery was due 20 days ago (block time is the wall clock here): the buyer may terminate.
    const due = new Date(Date.now() - 20 * DAY).toISOString();
    const terms = { goodsValue: 'CNY 100000.00', agreedDelivery: due, penaltyRate: '10.5%', penaltyPeriod: '2 days', capRate: '55%', terminationDelay: '15 days' };
    const paramsFile = join(tmp.dir, 'terms.json');
    writeFileSync(paramsFile, JSON.stringify(terms));
    const parties = JSON.stringify({ seller: keys.seller!.did, buyer: keys.buyer!.did });
    const drafted = ok<{ id: string; fingerprint: string }>('contract', 'draft', '--template', template, '--params', paramsFile, '--parties', parties,
      '--countersigner', keys.notary!.did, '--countersigner-role', 'notary', '--dispute-allows', 'ForceMajeure', ...as('buyer'));
    const id = drafted.id;

    // The notary cannot countersign before the parties.
    const early = cli('contract', 'sign', id, '--countersign', ...as('notary'));
    assert.notEqual(early.code, 0);
    assert.match(early.err, /LEX_PARTIES_NOT_SIGNED|not signed yet: buyer, seller/);
    assert.equal(ok<{ status: string }>('contract', 'sign', id, ...as('seller')).status, 'signing');
    assert.equal(ok<{ status: string }>('contract', 'sign', id, ...as('buyer')).status, 'signing');
    assert.equal(ok<{ status: string }>('contract', 'sign', id, '--countersign', ...as('notary')).status, 'active');

    // The deadline has passed: a Tick records the breach.
    ok('contract', 'submit-event', id, 'Tick', ...as('buyer'));
    // The buyer disputes; delivery is refused while disputed; the notary resolves it.
    assert.equal(ok<{ status: string }>('contract', 'dispute', id, '--reason', 'the seller claims delivery that did not happen', ...as('buyer')).status, 'disputed');
    const frozen = cli('contract', 'submit-event', id, 'Delivered', ...as('seller'));
    assert.notEqual(frozen.code, 0);
    assert.match(frozen.err, /LEX_DISPUTED|frozen by a dispute/);
    const notByParty = cli('contract', 'resolve', id, 'resume', ...as('buyer'));
    assert.match(notByParty.err, /LEX_NOT_ARBITER|may resolve its dispute/);
    assert.equal(ok<{ status: string }>('contract', 'resolve', id, 'resume', '--note', 'no delivery was made', ...as('notary')).status, 'active');

    // Termination: the penalty for ~20 days is capped at 55% of the price, 55000.00 CNY.
    const term = ok<{ status: string; response: { penalty: { minor: number } }; settlements: Array<{ kind: string; from: string; to: string; amount: { currency: string; minor: number } }> }>(
      'contract', 'submit-event', id, 'Terminate', ...as('buyer'));
    assert.equal(term.status, 'terminated');
    assert.deepEqual(term.response.penalty, { currency: 'CNY', minor: 5_500_000 });
    assert.deepEqual(term.settlements.map((s) => [s.kind, s.from, s.to, s.amount.minor]), [['pay', keys.seller!.did, keys.buyer!.did, 5_500_000]]);
    const after = cli('contract', 'submit-event', id, 'Delivered', ...as('seller'));
    assert.match(after.err, /LEX_NOT_ACTIVE|is terminated/);

    // Reads through the API routes (SDK): the instance with its history and settlement instruction.
    const client = new ShulianClient({ baseUrl: node.url });
    const view = await getContract(client, id);
    assert.equal(view.status, 'terminated');
    assert.equal(view.countersignature?.tx !== undefined, true);
    // Where the node's signing chain runs xchain, the settlement chain's answer may already have
    // come back as a further entry (paymentConfirmed / paymentFailed).
    const steps = view.history.slice(0, 10);
    assert.ok(view.history.slice(10).every((h) => h.action === 'paymentConfirmed' || h.action === 'paymentFailed'), JSON.stringify(view.history.slice(10)));
    assert.deepEqual(steps.map((h) => h.action), [
      'drafted', 'signed', 'signed', 'countersigned', 'activated', 'event', 'disputed', 'resolved', 'event', 'terminated',
    ]);
    assert.deepEqual(steps.map((h) => h.by), [
      keys.buyer!.did, keys.seller!.did, keys.buyer!.did, keys.notary!.did, keys.notary!.did, keys.buyer!.did, keys.buyer!.did, keys.notary!.did, keys.buyer!.did, keys.buyer!.did,
    ]);
    assert.ok(view.history.every((h, i) => i === 0 || h.time >= view.history[i - 1]!.time));
    assert.ok(view.history.every((h, i) => h.n === i && /^[0-9a-f]{64}$/.test(h.tx)));
    assert.equal(view.log.length, 2);
    assert.equal(view.obligations.find((o) => o.name === 'deliver')?.status, 'breached');
    assert.equal(view.settlements.length, 1);
    assert.equal(view.settlements[0]!.instruction.idempotencyKey, `${id}:1:0`);
    const st = view.settlements[0]!.status;
    assert.ok(['pending', 'sent', 'paid', 'failed'].includes(st), st);
    // Failed (e.g. NO_MANDATE: the seller granted this contract no mandate on the settlement chain) says why.
    if (st === 'failed') assert.match(view.settlements[0]!.note ?? '', /^[A-Z_]+: /);
    assert.deepEqual(view.pendingSettlements.map((s) => s.n), st === 'pending' || st === 'sent' ? [0] : []);
    const fp = await getContractFingerprint(client, id);
    assert.equal(fp.matches, true);
    assert.equal(fp.fingerprint, drafted.fingerprint);
    assert.deepEqual(fp.terms, { countersigner: { did: keys.notary!.did, role: 'notary' }, disputeAllows: ['ForceMajeure'] });
    for (const who of ['seller', 'buyer', 'notary']) {
      const mine = await listContracts(client, keys[who]!.did);
      assert.deepEqual(mine.instances.map((x) => [x.id, x.status]), [[id, 'terminated']]);
    }
    assert.equal(mine(await listContracts(client, keys.notary!.did)), 'countersigner');
    const pdf = await contractPdf(client, id, { lang: 'zh-CN' });
    assert.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');

    // A second contract, an instalment sale: two missed instalments (a late fee, the penalty, for
    // each) and the down payment, then the seller terminates for non-payment.
    const sale = ok<{ template: string }>('contract', 'deploy', join(repoRoot, 'contracts/instalment-sale/contract.lex'), ...as('seller')).template;
    const saleTerms = {
      price: 'CNY 12000.00', downPayment: 'CNY 2000.00', instalments: 3, annualRate: '6%',
      signedOn: new Date(Date.now() - 5 * DAY).toISOString(), firstDue: new Date(Date.now() - 45 * DAY).toISOString(), lateFeeRate: '5%',
    };
    const saleFile = join(tmp.dir, 'sale.json');
    writeFileSync(saleFile, JSON.stringify(saleTerms));
    const saleId = ok<{ id: string }>('contract', 'draft', '--template', sale, '--params', saleFile, '--parties', parties, ...as('seller')).id;
    ok('contract', 'sign', saleId, ...as('buyer'));
    assert.equal(ok<{ status: string }>('contract', 'sign', saleId, ...as('seller')).status, 'active');
    // Deadlines are checked first at every event: two instalments are already overdue, so the
    // down payment's event also charges a 5% late fee on each (3,333.33 + 50.00 interest → 169.17 CNY).
    const down = ok<{ settlements: Array<{ kind: string; from: string; to: string; amount: { minor: number }; clause: string }> }>('contract', 'submit-event', saleId, 'PayDownPayment', ...as('buyer'));
    assert.deepEqual(down.settlements.map((x) => [x.kind, x.from, x.to, x.amount.minor, x.clause]), [
      ['pay', keys.buyer!.did, keys.seller!.did, 16_917, 'instalmentsClause'], ['pay', keys.buyer!.did, keys.seller!.did, 16_917, 'instalmentsClause'],
      ['pay', keys.buyer!.did, keys.seller!.did, 200_000, 'down'],
    ]);
    const ended = ok<{ status: string }>('contract', 'submit-event', saleId, 'Terminate', ...as('seller'));
    assert.equal(ended.status, 'terminated');
    const saleView = await getContract(client, saleId);
    assert.deepEqual(saleView.obligations.map((x) => x.status), ['discharged', 'breached', 'breached', 'cancelled']);
    assert.equal(saleView.settlements.length, 3);

    // Evidence, then offline replay with the node stopped, against the pinned genesis.
    const G = (await client.chain('sign')).genesisHash;
    const pkg = join(tmp.dir, 'evidence.json');
    const ev = ok<{ txs: number; events: number }>('contract', 'evidence', id, '--out', pkg, '--genesis-hash', G, ...api);
    assert.equal(ev.events, 2);
    const salePkg = join(tmp.dir, 'sale-evidence.json');
    assert.equal(ok<{ events: number }>('contract', 'evidence', saleId, '--out', salePkg, '--genesis-hash', G, ...api).events, 2);
    await node.stop();
    const replay = ok<{ ok: boolean; problems: string[] }>('contract', 'replay', pkg, '--genesis-hash', G);
    assert.deepEqual(replay.problems, []);
    assert.equal(replay.ok, true);
    const saleReplay = ok<{ ok: boolean; problems: string[] }>('contract', 'replay', salePkg, '--genesis-hash', G);
    assert.deepEqual([saleReplay.ok, saleReplay.problems], [true, []]);
    type Proofs = { state: { proofs: Array<{ key: string; value: { by: string } }> } };
    const doc = JSON.parse(readFileSync(pkg, 'utf8')) as Proofs;
    const hist = doc.state.proofs.filter((p) => /\/hist\/[0-9a-f]{64}\/\d+$/.test(p.key));
    assert.ok(hist.length >= 10);
    // Tampering with a transition (who resolved the dispute) is caught.
    const forged = structuredClone(doc);
    forged.state.proofs.find((p) => p.key.endsWith(`/hist/${id}/7`))!.value.by = keys.buyer!.did;
    const bad = join(tmp.dir, 'forged.json');
    writeFileSync(bad, JSON.stringify(forged));
    const r = cli('contract', 'replay', bad, '--genesis-hash', G, '--json');
    assert.equal(r.code, 1);
    assert.match(r.out, /history 7/);
    node = await startNodeProcess(join(tmp.dir, 'data'));
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});

function mine(l: { instances: Array<{ role: string }> }): string {
  return l.instances[0]!.role;
}
