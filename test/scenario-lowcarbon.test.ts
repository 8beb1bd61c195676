/**
 * Issue #19 item 5 end to end on a real node (`shulian up` as a process): `shulian scenario run
 * lowcarbon` creates the green-travel chain through governance, registers the methodology, issues
 * points for trips (refusing a double claim and a trip sent by a citizen), exchanges points for
 * the mall's coupons and redeems them, pays the acquisition cost split between the fund and the
 * platform by the carbon-coupons lex contract, and grants to a social worker. The report shows every step with links; the outcome is
 * checked here against the chain through the CLI's token commands, and a second run on the same
 * alliance reuses the chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOWCARBON_CHAIN, LOWCARBON_TERMS, type ScenarioReport } from '../src/scenarios/index.ts';
import { cli, json } from './helpers/cli.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

test('scenario lowcarbon: trips → carbon points → coupons → acquisition cost split → grant, on a real node', async (t) => {
  const tmp = tempDir('lowcarbon-');
  t.after(tmp.cleanup);
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  t.after(() => node.stop());
  const env = { OPW: readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim() };
  const key = join(data, 'node', 'key.json');
  const runIt = async () => json<ScenarioReport>(await cli(['scenario', 'run', 'lowcarbon', '--key', key, '--password-env', 'OPW', '--api', node.url, '--json'], env, 300_000));

  const report = await runIt();
  const o = report.outcome;
  const titles = report.steps.map((s) => s.title);
  assert.ok(titles.some((x) => /governance creates business chain green-travel/.test(x)), titles.join('\n'));
  // Metro 18 km (98 g/km) + bike 4 km + walk 2.5 km (135 g/km) for Wang; metro 22 km + bike 6 km for Li.
  const wang = 98 * 18 + 135 * 4 + Math.floor(135 * 2.5);
  const li = 98 * 22 + 135 * 6;
  assert.equal(o.tripsCredited, 5);
  assert.equal(o.pointsIssued, String(wang + li));
  const price = Number(LOWCARBON_TERMS.pointsPrice);
  assert.equal(o.pointsWang, String(wang - price));
  assert.equal(o.pointsLi, String(li - price));
  assert.equal(o.pointsMall, String(2 * price));
  assert.equal(o.chainSupply, String(wang + li));
  // Two coupons redeemed, each 20 元 off; the budget (200 元) not exceeded.
  assert.equal(o.couponsRedeemed, 2);
  assert.equal(o.campaignSpent, String(2 * Number(LOWCARBON_TERMS.couponOffFen)));
  assert.ok(BigInt(String(o.campaignSpent)) <= BigInt(String(o.campaignBudget)));
  // The acquisition cost (2 × 5 元) split 60/40; the fund granted 3 元 on.
  const paid = 2 * LOWCARBON_TERMS.acquisitionFen;
  assert.equal(o.acquisitionPaid, String(paid));
  assert.equal(o.fundCNY, String((paid * LOWCARBON_TERMS.fundBp) / 10_000 - Number(LOWCARBON_TERMS.grantFen)));
  assert.equal(o.platformCNY, String((paid * LOWCARBON_TERMS.platformBp) / 10_000));
  assert.equal(o.socialWorkerCNY, LOWCARBON_TERMS.grantFen);
  // The intended refusals are steps of the report, with their codes.
  assert.deepEqual(report.steps.filter((s) => s.refused).map((s) => s.refused), ['CARBON_DOUBLE_CLAIM', 'CARBON_NOT_RECORDER', 'COUPON_USED', 'REQUIREMENT_NOT_MET']);
  // The split is the carbon-coupons lex contract's: two CouponUsed events, two split instructions paid on settle.
  assert.equal(o.contractPayments, 2);
  type Minor = { currency: string; minor: number };
  const contract = json<{ settlements: Array<{ status: string; instruction: { kind: string; amount: Minor; shares: Array<{ to: string; amount: Minor }> } }> }>(await cli(['contract', 'status', String(o.contract), '--api', node.url, '--json']));
  assert.deepEqual(contract.settlements.map((x) => [x.status, x.instruction.kind, x.instruction.amount.minor]), [['paid', 'split', 500], ['paid', 'split', 500]]);
  assert.deepEqual(contract.settlements[0]!.instruction.shares.map((x) => x.amount.minor), [300, 200]);
  // Every step on a chain links to its tx or a state proof, and the links answer.
  for (const s of report.steps.filter((x) => x.chain && !x.refused)) assert.ok(s.links.length > 0, `step ${s.n} has no link`);
  const proofLink = report.steps.find((s) => s.links.some((l) => l.includes('/state?')))!.links.find((l) => l.includes('/state?'))!;
  const proof = await (await fetch(proofLink)).json() as { value: unknown; proof?: unknown };
  assert.notEqual(proof.value, null);
  assert.ok(proof.proof, 'the state link carries a proof');

  // The CLI's token commands read the same numbers from the chain.
  const methodology = String(o.methodology).split(' ')[0]!;
  const stats = json<{ stats: { records: number; issued: string } }>(await cli(['carbon', 'stats', methodology, '1', '--chain', LOWCARBON_CHAIN, '--api', node.url, '--json']));
  assert.deepEqual(stats.stats, { records: 5, issued: String(wang + li) });
  const campaign = report.steps.find((s) => /coupon campaign/.test(s.title))!.links.find((l) => l.includes('/state?'))!;
  const campaignId = decodeURIComponent(campaign.split('key=')[1]!.split('&')[0]!).split('/').pop()!;
  const shown = json<{ campaign: { redeemed: number }; coupons: Array<{ status: string }> }>(await cli(['coupon', 'show', campaignId, '--chain', LOWCARBON_CHAIN, '--api', node.url, '--json']));
  assert.equal(shown.campaign.redeemed, 2);
  assert.deepEqual(shown.coupons.map((c) => c.status), ['redeemed', 'redeemed']);
  const human = await cli(['coupon', 'show', campaignId, '--chain', LOWCARBON_CHAIN, '--api', node.url]);
  assert.match(human.stdout, /budget 20000: reserved 0, spent 4000; 2 issued, 2 redeemed/);

  // A second run on the same alliance: the chain exists, new ids, the same outcome.
  const again = await runIt();
  assert.ok(again.steps.some((s) => /is running/.test(s.title)));
  assert.equal(again.outcome.tripsCredited, 5);
  assert.equal(again.outcome.couponsRedeemed, 2);
});
