/**
 * 医研结合 (issue #26 item 2): `shulian scenario run medical` on one real node (`shulian up` as a
 * process), run through the CLI as a user runs it; the privacy parties, the requester's side and
 * the metering gateway are the project's own servers, run by the CLI beside the scenario. Then
 * the outcomes are read back from the chains through the API and the CLI:
 * - the refusals: a run below the consent threshold without the hospital's grant, the hospitals'
 *   refusals of the association's first requests (4 of 5 consents), a run naming a withdrawn
 *   consent, a call without a subscription;
 * - the privacy runs: admitted with the consents (6, then 5 after the withdrawal), the sums each
 *   hospital's PSI-sum gave equal to the records of the consenting alumni, the withdrawn alumnus
 *   left out of the second round on both sides;
 * - who was paid what: each buyer charged by its plan for the calls the gateway committed, the
 *   association paid by the four subscription contracts, the consortium agreement's split to the
 *   fen with the tax withheld from each hospital's share, four invoices, every balance.
 * Then the console's Scenarios page shows the run's card, in zh-CN and en.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../src/api/console.ts';
import { consortiumPayout, expectedAggregate, MEDICAL_TERMS as T, planCharge, type ScenarioReport } from '../src/scenarios/index.ts';
import { settleBalances, ShulianClient, subscriptionUsage, type ConsentRecord, type PeriodReport, type RequestRecord, type RunRecord } from '../src/sdk/index.ts';
import { cli, json } from './helpers/cli.ts';
import { launchBrowser, openSignedIn, screenshot, setLang, settle } from './helpers/browser.ts';
import { LeakLog } from './helpers/i18n-scan.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

describe('scenario medical (医研结合) on one real node', () => {
  const tmp = tempDir('scenario-medical-');
  const data = join(tmp.dir, 'data');
  let node: NodeProcess;
  let env: Record<string, string>;
  let report: ScenarioReport;
  const key = join(data, 'node', 'key.json');
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${node.url}${path}`);
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  const cliJson = async <T>(args: string[]): Promise<T> => json<T>(await cli([...args, '--api', node.url, '--json'], env));
  /** The state key a step's proof link names. */
  const stateKeyOf = (title: RegExp): string => {
    const s = report.steps.find((x) => title.test(x.title));
    assert.ok(s, `a step ${title}`);
    const link = s.links.find((l) => l.includes('/state?'))!;
    return decodeURIComponent(link.split('key=')[1]!.split('&')[0]!);
  };

  before(async () => {
    node = await startNodeProcess(data);
    env = { OPW: readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim() };
    report = json<ScenarioReport>(await cli(['scenario', 'run', 'medical', '--key', key, '--password-env', 'OPW', '--api', node.url, '--json'], env, 400_000));
  });
  after(async () => {
    await node?.stop();
    tmp.cleanup();
  });

  test('the refusals, each with the chain\'s or the gateway\'s own code', async () => {
    assert.deepEqual(report.steps.filter((s) => s.refused).map((s) => s.refused), ['PRIVACY_BAD_REQUEST', 'CONSENT_WITHDRAWN', 'ODRL_CONSTRAINT', 'GATEWAY_NO_SUBSCRIPTION']);
    assert.match(report.steps.find((s) => s.refused === 'ODRL_CONSTRAINT')!.detail, new RegExp(`count lteq ${T.hospitalGrantCount}`));
    assert.match(report.steps.find((s) => s.refused === 'PRIVACY_BAD_REQUEST')!.detail, /grant \d+ is for dataset alumni-cohort-/);
    assert.match(report.steps.find((s) => s.refused === 'CONSENT_WITHDRAWN')!.detail, /args\.consents\[\d\]/);
    // Below the threshold the hospitals refused the association's requests, on chain, with the count.
    const o = report.outcome;
    const { requests } = await get<{ requests: RequestRecord[] }>(`/v1/data/requests?requester=${o.association}`);
    const byDataset = (ds: string) => requests.filter((r) => r.dataset === ds).sort((a, b) => a.id - b.id).map((r) => r.status);
    for (const h of ['a', 'b']) assert.deepEqual(byDataset(`hospital-${h}-visits-${o.tag}`), ['refused', 'granted']);
    const refused = requests.filter((r) => r.status === 'refused');
    assert.equal(refused.length, 2);
    for (const r of refused) assert.match(JSON.stringify(r), new RegExp(`${T.firstConsents.length} alumni consents in force; the consortium agreement needs ${T.minConsents}`));
    // The withdrawn consent is withdrawn on chain; the later run does not name it.
    const withdrawn = await get<ConsentRecord>(`/v1/data/consents/${stateKeyOf(/withdraws their consent/).split('/').pop()}`);
    assert.equal(withdrawn.state, 'withdrawn');
    const [, , r3, r4] = String(o.runs).split(',').map(Number);
    for (const run of [r3!, r4!]) assert.ok(!(await get<RunRecord>(`/v1/data/privacy/runs/${run}`)).consents.includes(withdrawn.digest));
  });

  test('the alumni\'s DIDs are on the identity chain, with a state proof', async () => {
    const step = report.steps.find((s) => /alumni sign in/.test(s.title))!;
    assert.equal(step.chain, 'identity');
    const alumni = step.detail.match(/did:shulian:\w+/g) ?? [];
    assert.equal(alumni.length, T.alumni);
    const doc = await (await fetch(step.links.find((l) => l.includes('/state?'))!)).json() as { value: { id?: string } | null; proof?: unknown };
    assert.ok(doc.value && doc.proof, 'the first alumnus\' DID document, proven');
    const resolved = await cliJson<{ didDocument: { id: string } }>(['did', 'resolve', alumni[6]!]);
    assert.equal(resolved.didDocument.id, alumni[6]);
  });

  test('the privacy runs: admitted with the consents, the sums of the consenting alumni\'s records, the withdrawn alumnus left out', async () => {
    const o = report.outcome;
    const everyone = [...T.firstConsents, ...T.laterConsents];
    const remaining = everyone.filter((i) => i !== T.withdraws);
    assert.deepEqual([o.consentsRound1, o.consentsRound2], [everyone.length, remaining.length]);
    assert.ok(Number(o.consentsRound2) >= T.minConsents);
    assert.deepEqual(JSON.parse(String(o.round1A)), expectedAggregate('a', everyone));
    assert.deepEqual(JSON.parse(String(o.round1B)), expectedAggregate('b', everyone));
    assert.deepEqual(JSON.parse(String(o.round2A)), expectedAggregate('a', remaining));
    assert.deepEqual(JSON.parse(String(o.round2B)), expectedAggregate('b', remaining));
    // The withdrawer was a patient of both hospitals: the count drops in both.
    assert.ok(expectedAggregate('a', remaining).count < expectedAggregate('a', everyone).count);
    assert.ok(expectedAggregate('b', remaining).count < expectedAggregate('b', everyone).count);
    assert.equal(Number(o.recordsRound2), Number(o.recordsRound1) - 2);

    const runs = String(o.runs).split(',').map(Number);
    const records = await Promise.all(runs.map((id) => get<RunRecord>(`/v1/data/privacy/runs/${id}`)));
    // The CLI reads the same record from the chain, with its state proof checked.
    const st = await cliJson<RunRecord>(['privacy', 'status', String(runs[2])]);
    assert.deepEqual([st.consentRoot, st.result?.digest, st.parties], [records[2]!.consentRoot, records[2]!.result?.digest, records[2]!.parties]);
    assert.deepEqual(records.map((r) => [r.status, r.protocol, r.requester, r.consents.length]), [
      ['done', 'psi-sum', o.association, 6], ['done', 'psi-sum', o.association, 6], ['done', 'psi-sum', o.association, 5], ['done', 'psi-sum', o.association, 5],
    ]);
    // Receiver: the compute provider's cohort (all who consented in that round); sender: the hospital's consenting patients.
    assert.deepEqual(records.map((r) => r.parties.map((p) => [p.role, p.owner, p.report?.records])), [
      [['receiver', o.compute, 6], ['sender', o.hospitalA, 4]], [['receiver', o.compute, 6], ['sender', o.hospitalB, 4]],
      [['receiver', o.compute, 5], ['sender', o.hospitalA, 3]], [['receiver', o.compute, 5], ['sender', o.hospitalB, 3]],
    ]);
    assert.deepEqual(records.map((r) => r.parties.map((p) => p.grant)), [
      [o.cohortGrant, o.grantA], [o.cohortGrant, o.grantB], [o.cohortGrant, o.grantA], [o.cohortGrant, o.grantB],
    ]);
    assert.equal(records[0]!.consentRoot, records[1]!.consentRoot);
    assert.notEqual(records[0]!.consentRoot, records[2]!.consentRoot);
  });

  test('who was paid what: plans, the subscriptions\' contracts, the consortium split with tax and invoices, to the fen', async () => {
    const o = report.outcome;
    let revenue = 0;
    const c = new ShulianClient({ baseUrl: node.url });
    for (const [i, b] of T.buyers.entries()) {
      const sub = String(o[`sub_${b.who}`]);
      const use = i === 0 ? await cliJson<{ periods: PeriodReport[] }>(['market', 'usage', sub]) : await subscriptionUsage(c, sub);
      assert.equal(use.periods[0]!.usage.units, b.calls, `${b.who}: every answered call counted once`);
      assert.equal(use.periods[0]!.settled?.units, b.calls);
      const charge = planCharge(b.plan, b.calls);
      revenue += charge;
      assert.equal(o[`${b.who}CNY`], T.buyerFundsFen - charge, `${b.who} paid its plan's charge`);
    }
    // The plans price differently: ¥0.20 a call, tiered ¥0.50/¥0.30, ¥500 a period for 10 calls, ¥5 a call.
    assert.deepEqual(T.buyers.map((b) => planCharge(b.plan, b.calls)), [60, 210, 50_000, 1_000]);
    assert.equal(o.revenueFen, revenue);
    const rev = await cliJson<{ gross: number; byRecipient: Record<string, { received: number; withheld: number; paid: number; open: number }> }>(['market', 'revenue', '--provider', String(o.association)]);
    assert.equal(rev.gross, revenue);
    assert.deepEqual(rev.byRecipient[String(o.association)], { received: revenue, withheld: 0, paid: T.buyers.length, open: 0 });

    const want = consortiumPayout(revenue);
    assert.equal(want.fee + want.hospitalA + want.hospitalB + want.algorithm + want.compute, revenue, 'the split adds up to the revenue');
    const agreement = await cliJson<{ settlements: Array<{ status: string; instruction: { kind: string; amount: { minor: number }; from?: string; to?: string; shares?: Array<{ to: string; amount: { minor: number } }> } }> }>(['contract', 'status', String(o.agreement)]);
    assert.deepEqual(agreement.settlements.map((s) => [s.status, s.instruction.kind, s.instruction.amount.minor]), [
      ['paid', 'split', want.distributable], ['paid', 'withhold', want.taxA], ['paid', 'withhold', want.taxB],
    ]);
    assert.deepEqual(agreement.settlements[0]!.instruction.shares!.map((x) => [x.to, x.amount.minor]), [
      [o.hospitalA, want.hospitalA], [o.hospitalB, want.hospitalB], [o.algorithm, want.algorithm], [o.compute, want.compute],
    ]);
    assert.deepEqual([agreement.settlements[1]!.instruction.from, agreement.settlements[2]!.instruction.from], [o.hospitalA, o.hospitalB]);
    const balance = async (d: unknown) => Number((await settleBalances(c, String(d), { verified: true })).balances.find((b) => b.currency === 'CNY')?.available ?? '0');
    const viaCli = await cliJson<{ balances: Array<{ currency: string; available: string }> }>(['settle', 'balance', String(o.hospitalA)]);
    assert.equal(Number(viaCli.balances.find((b) => b.currency === 'CNY')?.available), want.hospitalA - want.taxA);
    assert.deepEqual(
      await Promise.all([o.association, o.hospitalA, o.hospitalB, o.algorithm, o.compute, o.taxBureau].map(balance)),
      [want.fee, want.hospitalA - want.taxA, want.hospitalB - want.taxB, want.algorithm, want.compute, want.taxA + want.taxB],
    );
    assert.deepEqual([o.associationCNY, o.hospitalACNY, o.hospitalBCNY, o.algorithmCNY, o.computeCNY, o.taxBureauCNY], [want.fee, want.hospitalA - want.taxA, want.hospitalB - want.taxB, want.algorithm, want.compute, want.taxA + want.taxB]);
    assert.equal(o.invoices, 4);
    // The split's settlement instruction, by its proof link: settled.
    const ins = report.steps.find((s) => /invoices each partner/.test(s.title))!;
    assert.match(ins.detail, /invoices \(UBL\) to the association: settle-\d+-1 from First Hospital/);
    const proof = await (await fetch(ins.links.find((l) => l.includes('/chains/settle/state?'))!)).json() as { value: { status: string }; proof?: unknown };
    assert.equal(proof.value.status, 'settled');
    assert.ok(proof.proof, 'the link carries a state proof');
    for (const s of report.steps.filter((x) => x.chain && !x.refused)) assert.ok(s.links.length > 0, `step ${s.n} has no link`);
  });

  test('the Scenarios page shows the medical run: its rounds, subscriptions and the consortium split, in zh-CN and en', async (t) => {
    assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (node scripts/build-console.mjs)');
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const leaks = new LeakLog();
    const { page, errors } = await openSignedIn(browser, node.url, 'scenarios');
    const o = report.outcome;
    const card = page.getByTestId('medical-card');
    await card.waitFor({ timeout: 60_000 });
    const rounds = page.getByTestId('medical-runs').locator('tbody tr.ant-table-row');
    await rounds.nth(3).waitFor({ timeout: 60_000 });
    assert.equal(await rounds.count(), 4);
    // Newest first: round 2's runs have 5 consents and 3 records each, round 1's 6 and 4.
    assert.match(await rounds.nth(0).textContent() ?? '', /#4.*已完成.*5.*3/);
    assert.match(await rounds.nth(3).textContent() ?? '', /#1.*已完成.*6.*4/);
    const subs = page.getByTestId('medical-subscriptions').locator('tbody tr.ant-table-row');
    await subs.nth(3).waitFor({ timeout: 30_000 });
    assert.equal(await subs.count(), 4);
    const want = consortiumPayout(Number(o.revenueFen));
    const split = page.getByTestId('medical-split');
    await split.waitFor({ timeout: 30_000 });
    assert.match(await split.textContent() ?? '', new RegExp(`¥${(want.hospitalA / 100).toFixed(2)}`));
    assert.match(await split.textContent() ?? '', /已支付/);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await settle(page);
      await leaks.check(page, lang, 'scenarios');
      await screenshot(page, `scenario-medical-${lang}`);
    }
    assert.match(await split.textContent() ?? '', /paid/);
    leaks.assertNone();
    assert.deepEqual(errors, []);
  });
});
