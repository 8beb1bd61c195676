/**
 * 航贸数链 (issue #26 item 3): `shulian scenario run trade` as a user runs it, against one real node
 * (`shulian up` as a process) and one partner EVM network (ganache, in-process, with XEndpoint
 * deployed by the partner with its account as the one gateway). Then the outcomes read back
 * through the API and the CLI: where the gemstones and the bill of lading are and who holds them,
 * who was paid what on which chain, what was refused and why (a handover not signed by the holder,
 * an altered inspection credential, a bill of lading presented twice, a payment released without
 * the document, a surrendered bill presented again, an altered invoice total, a payment to a
 * company not on the invoice), the supervision alerts, and the invoice anchored on chain. Then the
 * console's Scenarios page: the trade card with the two 2PC transactions and the eBL's history, in
 * zh-CN and en with no other language showing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ganache from 'ganache';
import { CONSOLE_DIST } from '../src/api/console.ts';
import { EvmEndpoint } from '../src/crosschain/evm/index.ts';
import { TRADE_CHAINS, TRADE_TERMS, ublTotals, type ScenarioReport } from '../src/scenarios/index.ts';
import { ConsoleClient, ShulianClient } from '../src/sdk/index.ts';
import { cli, json } from './helpers/cli.ts';
import { launchBrowser, openSignedIn, screenshot, setLang, settle } from './helpers/browser.ts';
import { LeakLog } from './helpers/i18n-scan.ts';
import { startNodeProcess, nodeKey, type NodeProcess } from './helpers/node-process.ts';
import { solidityArtefact } from './helpers/solidity.ts';
import { tempDir } from './helpers/tmp.ts';

const PARTNER = 'partner-evm';

describe('scenario trade (航贸数链) on a real node and a partner EVM network', () => {
  const tmp = tempDir('scenario-trade-');
  const data = join(tmp.dir, 'data');
  let node: NodeProcess;
  let env: Record<string, string>;
  let server: ReturnType<typeof ganache.server>;
  let rpc: string;
  let partnerKey: string;
  let partnerAccount: string;
  let address: string;
  let report: ScenarioReport;
  const key = join(data, 'node', 'key.json');

  before(async () => {
    server = ganache.server({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'shanghai' }, wallet: { deterministic: true, totalAccounts: 2 } } as never);
    await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    rpc = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const accounts = server.provider.getInitialAccounts();
    partnerAccount = Object.keys(accounts)[1]!.toLowerCase();
    partnerKey = accounts[Object.keys(accounts)[1]!]!.secretKey;
    // The partner network's own endpoint, deployed by its operator, its account the one gateway.
    address = await EvmEndpoint.deploy({ url: rpc, privateKey: accounts[Object.keys(accounts)[0]!]!.secretKey, bytecode: solidityArtefact('XEndpoint').bytecode, chainName: PARTNER, gateways: [partnerAccount], threshold: 1 });
    node = await startNodeProcess(data);
    env = { OPW: readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim(), PARTNER_KEY: partnerKey };
  });
  after(async () => {
    await node?.stop();
    await server?.close();
    tmp.cleanup();
  });

  test('the CLI refuses bad partner flags before it reaches anything', async () => {
    const base = ['scenario', 'run', 'trade', '--key', key, '--password-env', 'OPW', '--api', 'http://127.0.0.1:1'];
    const noKey = await cli([...base, '--partner-evm', `${PARTNER}=${rpc},${'0x' + '1'.repeat(40)}`], env);
    assert.equal(noKey.code, 2, noKey.stderr);
    assert.match(noKey.stderr, /--partner-evm needs the partner account's key/);
    const badSpec = await cli([...base, '--partner-evm', 'not a spec', '--partner-evm-key-env', 'PARTNER_KEY'], env);
    assert.equal(badSpec.code, 2, badSpec.stderr);
    assert.match(badSpec.stderr, /--partner-evm takes <chain id>=<rpc url>,<XEndpoint address>/);
    const other = await cli(['scenario', 'run', 'rural', '--key', key, '--password-env', 'OPW', '--api', 'http://127.0.0.1:1', '--partner-evm-key-env', 'PARTNER_KEY'], env);
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /options of the trade scenario only/);
  });

  test('gems traced by holder-signed handovers, eBL across carrier and bank chains, release against payment by 2PC, UBL invoice, offshore rule, EVM partner', async () => {
    const r = await cli(['scenario', 'run', 'trade', '--key', key, '--password-env', 'OPW', '--api', node.url, '--json', '--partner-evm', `${PARTNER}=${rpc},${address}`, '--partner-evm-key-env', 'PARTNER_KEY'], env, 400_000);
    if (r.code !== 0) assert.fail(`scenario run trade failed (${r.code}):\n${r.stderr}\n--- node\n${node.output().slice(-3000)}`);
    report = json<ScenarioReport>(r);
    const o = report.outcome;
    const titles = report.steps.map((s) => s.title);
    for (const chain of Object.values(TRADE_CHAINS)) {
      assert.ok(titles.some((x) => x.includes(`governance creates business chain ${chain}`)), titles.join('\n'));
      assert.ok(titles.includes(`governance registers ${chain} on the routing chain`), titles.join('\n'));
    }
    assert.ok(titles.some((x) => x.startsWith(`governance registers partner network ${PARTNER} (EVM`)), titles.join('\n'));

    // What was refused, and why: each with the chain's (or the checker's, or the rule's) own code.
    assert.deepEqual(report.steps.filter((s) => s.refused).map((s) => s.refused), [
      'PROOF_VERIFICATION_FAILED', 'COLLECTIBLE_NOT_OWNER', 'BR-CO-16', 'XDOC_AWAY', 'XDOC_AWAY', 'XDOC_NOT_HOLDER', 'OFFSHORE_MISMATCH',
    ]);
    assert.equal(o.refusals, 'COLLECTIBLE_NOT_OWNER XDOC_AWAY XDOC_AWAY XDOC_NOT_HOLDER OFFSHORE_MISMATCH');
    const withoutDoc = report.steps.find((s) => /released without the document/.test(s.title))!;
    assert.match(withoutDoc.detail, /carrier-ebl voted no: XDOC_AWAY/);
    assert.match(withoutDoc.detail, /all-rolled-back/);

    // The gems: minted by the mine, handed over mine → cutter → trader → buyer, each signed by the holder.
    assert.equal(o.stones, TRADE_TERMS.gems.length);
    assert.equal(o.buyerStones, TRADE_TERMS.gems.length);
    assert.equal(o.sapphireOwner, o.buyer);
    const c = new ShulianClient({ baseUrl: node.url });
    const shown = json<{ class: { minted: number; issuer: string }; tokens: Array<{ owner: string; gifts: number }> }>(await cli(['collectible', 'show', String(o.gemClass), '--chain', TRADE_CHAINS.trade, '--api', node.url, '--json']));
    assert.equal(shown.class.minted, 2);
    assert.deepEqual(shown.tokens.map((t) => [t.owner, t.gifts]), [[o.buyer, 3], [o.buyer, 3]]);
    assert.equal(titles.filter((x) => / hands gem-.* to /.test(x)).length, 6);
    assert.equal(titles.filter((x) => /: inspected and minted as /.test(x)).length, 2);

    // The eBL: issued to the trader, to the bank chain and back, endorsed to the buyer by the 2PC, surrendered.
    const doc = (await c.state(TRADE_CHAINS.carrier, `xdoc/doc/${o.billOfLading}`)).value as { holder: string; state: string; issuer: string; lock?: string };
    assert.equal(doc.holder, o.carrier, 'the surrendered eBL is back with its carrier');
    assert.equal(doc.issuer, o.carrier);
    assert.equal(doc.state, 'here');
    assert.equal(doc.lock, undefined);
    assert.equal(o.eblOnBank, 'away', 'the copy the bank chain held is away: live only on the carrier chain');
    assert.equal(o.eblHistory, [
      'issued@carrier-ebl', 'sent@carrier-ebl', 'received@bank-trade', 'sent@bank-trade', 'received@carrier-ebl', 'endorsed@carrier-ebl', 'endorsed@carrier-ebl',
    ].join(' '));
    assert.equal(o.logisticsEvents, TRADE_TERMS.logistics.length);

    // Money: paid from the partner EVM network to the buyer on the bank chain, then to the trader by the 2PC.
    const payable = ublTotals({ lines: [...TRADE_TERMS.gems.map((g) => ({ name: g.name, quantity: 1, unit: 'C62', unitPriceMinor: g.priceMinor, category: 'Z' as const, rateBp: 0 })), { name: 's', quantity: 1, unit: 'C62', unitPriceMinor: TRADE_TERMS.inspectionFeeMinor, category: 'S' as const, rateBp: TRADE_TERMS.inspectionRateBp }] }).payable;
    assert.equal(payable, 2_861_800n, '18,500 + 9,800 + 300 + 6 % of 300');
    assert.equal(o.invoicePayable, String(payable));
    assert.equal(o.invoiceTax, '1800');
    assert.equal(o.denom, `${PARTNER}/USD`);
    assert.equal(o.sellerPaid, String(payable));
    assert.equal(o.buyerLeft, '0');
    assert.equal(o.shellPaid, '0');
    assert.equal((await c.state(TRADE_CHAINS.bank, `xtransfer/bal/${o.seller}/${PARTNER}/USD`)).value, String(payable));
    const ep = new EvmEndpoint({ id: PARTNER, url: rpc, address });
    try {
      assert.equal(await ep.balanceOf('USD', partnerAccount), payable, 'the partner bank kept the other half');
      assert.equal(await ep.escrow(TRADE_CHAINS.bank, 'USD'), payable, 'what crossed is escrowed on the EVM side');
    } finally {
      await ep.close();
    }
    // The two atomic transactions, as the CLI shows them.
    const aborted = await cli(['xtx', 'status', String(o.abortedTx), '--api', node.url]);
    assert.match(aborted.stdout, /: aborted — decision abort/);
    const committed = json<{ status: string; atomicity: string; participants: Array<{ chain: string; vote: string }> }>(await cli(['xtx', 'status', String(o.committedTx), '--api', node.url, '--json']));
    assert.equal(committed.status, 'committed');
    assert.equal(committed.atomicity, 'all-committed');
    assert.deepEqual(committed.participants.map((p) => [p.chain, p.vote]), [[TRADE_CHAINS.carrier, 'yes'], [TRADE_CHAINS.bank, 'yes']]);

    // The invoice's digest is anchored on the trade chain, with a proof.
    const anchor = report.steps.find((s) => /anchors its digest/.test(s.title))!;
    const link = anchor.links.find((l) => l.includes('/state?'))!;
    const proven = await (await fetch(link)).json() as { value: { hash: string; owner: string; mime: string }; proof?: unknown };
    assert.equal(proven.value.hash, o.invoiceDigest);
    assert.equal(proven.value.owner, o.seller);
    assert.equal(proven.value.mime, 'application/xml');
    assert.ok(proven.proof);

    // Supervision: one offshore alert, for the mismatched deal only; customs saw both eBL moves.
    const reg = new ConsoleClient({ baseUrl: node.url });
    await reg.login(nodeKey(data));
    const offshore = (await reg.alerts({ rule: String(o.offshoreRule) })).alerts;
    assert.deepEqual(offshore.map((a) => [a.id, a.severity, a.chain]), [[o.offshoreAlert, 'high', TRADE_CHAINS.bank]]);
    const bad = report.steps.find((s) => s.refused === 'OFFSHORE_MISMATCH')!;
    assert.deepEqual(offshore[0]!.txs.map((t) => t.hash), [bad.tx]);
    const moves = (await reg.alerts({ rule: String(o.eblMoveRule) })).alerts;
    assert.deepEqual(moves.map((a) => a.chain).sort(), [TRADE_CHAINS.bank, TRADE_CHAINS.carrier]);

    // Every step on a chain links to its tx or a state proof.
    for (const s of report.steps.filter((x) => x.chain && !x.refused && x.chain !== PARTNER)) assert.ok(s.links.length > 0, `step ${s.n} has no link`);
  });

  test('the Scenarios page shows the trade card from the chains, in zh-CN and en', async (t) => {
    assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (node scripts/build-console.mjs)');
    assert.ok(report, 'the scenario ran');
    const o = report.outcome;
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const leaks = new LeakLog();
    const { page, errors } = await openSignedIn(browser, node.url, 'scenarios');
    const card = page.getByTestId('scenario-trade');
    const rows = card.getByTestId('trade-dvp').locator('tbody tr.ant-table-row');
    await rows.first().waitFor({ timeout: 60_000 });
    assert.equal(await rows.count(), 2);
    const [coordinator, aborted] = String(o.abortedTx).split('/') as [string, string];
    const committed = String(o.committedTx).split('/')[1]!;
    assert.equal(coordinator, TRADE_CHAINS.trade);
    assert.equal(await card.getByTestId(`dvp-${committed}`).getAttribute('data-atomicity'), 'all-committed');
    assert.equal(await card.getByTestId(`dvp-${aborted}`).getAttribute('data-atomicity'), 'all-rolled-back');
    assert.match(await rows.filter({ hasText: committed }).textContent() ?? '', /已提交.*各链均已提交/);
    assert.match(await rows.filter({ hasText: aborted }).textContent() ?? '', /已中止.*各链均已回滚.*XDOC_AWAY/);
    const history = card.getByTestId(`bill-history-${o.billOfLading}`);
    assert.equal(await history.getAttribute('data-events'), o.eblHistory);
    assert.match(await history.textContent() ?? '', /^签发 carrier-ebl → 发出 carrier-ebl → 接收 bank-trade/);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await settle(page);
      await leaks.check(page, lang, 'scenarios (trade)');
      await screenshot(page, `scenario-trade-${lang}`);
    }
    assert.match(await rows.filter({ hasText: committed }).textContent() ?? '', /committed.*committed on every chain/);
    leaks.assertNone();
    assert.deepEqual(errors, []);
  });
});
