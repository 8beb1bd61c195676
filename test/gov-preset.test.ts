/**
 * `shulian up --preset gov --demo` as a newcomer runs it (docs/gov.md): ONE real node process.
 * The government system's five chains and its agencies (admitted through governance, keys in the
 * data dir); a material issued → granted → reused → superseded → grant revoked → refused, through
 * the CLI, with the refusals a deployment must show (a read without a grant, a non-member issuer,
 * a holder granting what is not theirs, wrong signer, wrong module, wrong chain) and the
 * regulator's alert on a refused read; the demo's scenarios completed, their outcomes read back
 * through the API; and a restart that recreates nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShulianError } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { ConsoleClient, getContract, GOV_AGENCIES, GOV_SYSTEM, LOWCARBON_CHAIN, RURAL_CHAINS, ShulianClient, getMaterial, govMembers, govRegulators, materialUses, signTx } from '../src/sdk/index.ts';
import type { ScenarioReport } from '../src/scenarios/index.ts';
import { cli, fixtureKey, json, jsonError, PW } from './helpers/cli.ts';
import { nodeKey, showingNodeLog, startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, setLang, settle, signInWithHex } from './helpers/browser.ts';
import { LeakLog } from './helpers/i18n-scan.ts';
import { toHex } from '../src/codec/index.ts';

let tmp: ReturnType<typeof tempDir>;
let node: NodeProcess;
let c: ShulianClient;
let data: string;
let agency: Record<string, { key: KeyPair; file: string; did: string }>;
let agencyPassword: string;
const env = { SHULIAN_LIGHT_KDF: '1' };

before(async () => {
  tmp = tempDir('shulian-gov-');
  data = join(tmp.dir, 'data');
  node = await startNodeProcess(data, undefined, ['--preset', 'gov', '--demo', 'rural,lowcarbon'], { env });
  c = new ShulianClient({ baseUrl: node.url });
  // The preset and the demo run in the node's background; the log says when they are done.
  await showingNodeLog(node, async () => { await waitFor(() => /demo: done/.test(node.output()) || undefined, 'the preset and the demo to finish', 280_000); });
  const dir = join(data, 'gov', 'keys');
  agencyPassword = readFileSync(join(dir, 'password'), 'utf8').trim();
  agency = Object.fromEntries(GOV_AGENCIES.map((a) => {
    const file = join(dir, `${a.slug}.json`);
    const key = readKeystore(file, agencyPassword);
    return [a.slug, { key, file, did: didFromPublicKey(key.publicKey) }];
  }));
});

after(async () => {
  await node?.stop();
  tmp?.cleanup();
});

const api = () => ['--api', node.url, '--json'];
const asAgency = (slug: string) => ['--key', agency[slug]!.file, '--password-env', 'AGENCY_PW'];
const agencyEnv = () => ({ AGENCY_PW: agencyPassword });

test('the government system: five chains with their modules, the agencies as members, the regulator and its rule', async () => {
  await showingNodeLog(node, async () => {
    assert.doesNotMatch(node.output(), /error: (preset gov|demo) stopped|scenario \w+ failed/);
    const chains = await c.chains();
    for (const g of GOV_SYSTEM) {
      assert.ok(chains.some((x) => x.id === g.chain), `chain ${g.chain} (${g.nameZh}) runs`);
      const genesis = await c.genesis(g.chain);
      for (const m of g.modules) assert.ok(genesis.modules.includes(m), `${g.chain} runs ${m}`);
    }
    assert.ok((await c.genesis('gov-material')).modules.includes('material'));
    const members = await govMembers(c);
    for (const a of GOV_AGENCIES) {
      const m = members.find((x) => x.did === agency[a.slug]!.did);
      assert.ok(m, `${a.nameZh} is a member`);
      assert.equal(m.nameZh, a.nameZh);
      assert.ok(m.proposal > 0, 'admitted by a governance proposal');
    }
    const regs = await govRegulators(c);
    assert.ok(regs.some((r) => r.did === agency.market!.did && r.chains.includes('gov-material')), '市场监管局 regulates the material chain');
    // The signing chain holds the agencies' data sharing agreement, signed by both parties and in force.
    const { id } = JSON.parse(readFileSync(join(data, 'gov', 'agreement.json'), 'utf8')) as { id: string };
    const contract = await getContract(c, id, { chain: 'gov-sign' });
    assert.equal(contract.status, 'active');
    assert.deepEqual(contract.instance.parties, { provider: agency.bigdata!.did, requester: agency.health!.did });
    assert.deepEqual(Object.keys(contract.signatures).sort(), ['provider', 'requester']);
  });
});

test('a material through the CLI: issued, refused without a grant, granted, reused, superseded, grant revoked and refused again; the attacks fail', { timeout: 300_000 }, async () => {
  await showingNodeLog(node, async () => {
    const citizen = fixtureKey(join(tmp.dir, 'citizen.json'));
    const stranger = fixtureKey(join(tmp.dir, 'stranger.json'));
    const file = join(tmp.dir, 'licence.pdf');
    writeFileSync(file, '营业执照 business licence of 张三 — scan');
    const id = 'lic-zhang-1';
    const issued = json(await cli(['material', 'issue', '--id', id, '--kind', 'licence', '--title', '营业执照', '--file', file, '--holder', citizen.did, ...asAgency('market'), ...api()], agencyEnv()));
    assert.equal(issued.version, 1);

    // A material read without a grant: refused, nothing recorded.
    const noGrant = jsonError(await cli(['material', 'use', id, '--purpose', '卫生许可审批', ...asAgency('health'), ...api()], agencyEnv()));
    assert.equal(noGrant.code, 'MATERIAL_NO_GRANT', noGrant.message);
    assert.equal((await materialUses(c)).length, 0, 'a refused read is in no log');

    // A non-member cannot issue; a holder cannot grant what is not theirs.
    const notAgency = jsonError(await cli(['material', 'issue', '--id', 'forged-1', '--kind', 'certificate', '--title', 'forged', '--digest', 'c'.repeat(64), '--holder', stranger.did, '--key', citizen.file, '--password-env', 'PW', ...api()], { PW }));
    assert.equal(notAgency.code, 'MATERIAL_NOT_AGENCY', notAgency.message);
    const notHolder = jsonError(await cli(['material', 'grant', id, '--to', agency.health!.did, '--purpose', 'x', '--days', '30', '--key', stranger.file, '--password-env', 'PW', ...api()], { PW }));
    assert.equal(notHolder.code, 'MATERIAL_NOT_HOLDER', notHolder.message);

    // The holder grants; the agency reuses; the read is logged with the version and digest.
    json(await cli(['material', 'grant', id, '--to', agency.health!.did, '--purpose', '卫生许可审批 health permit', '--days', '30', '--key', citizen.file, '--password-env', 'PW', ...api()], { PW }));
    const used = json<{ n: number; version: number; digest: string; agency: string }>(await cli(['material', 'use', id, '--purpose', '卫生许可审批', ...asAgency('health'), ...api()], agencyEnv()));
    assert.equal(used.n, 1);
    assert.equal(used.agency, agency.health!.did);
    assert.equal(used.digest, issued.digest);

    // The issuer supersedes: a new version, history kept, the grant carries over.
    const citizenKey = readKeystore(citizen.file, PW);
    await import('../src/sdk/index.ts').then((s) => s.materialSupersede(c, agency.market!.key, { id, digest: 'd'.repeat(64), version: 1 }));
    const shown = json<{ material: { version: number }; versions: Array<{ digest: string }>; grants: Array<{ grantee: string; uses: number; status: string }> }>(await cli(['material', 'show', id, ...api()]));
    assert.equal(shown.material.version, 2);
    assert.deepEqual(shown.versions.map((v) => v.digest), [issued.digest, 'd'.repeat(64)]);
    assert.deepEqual(shown.grants.map((g) => [g.grantee, g.uses, g.status]), [[agency.health!.did, 1, 'active']]);

    // Wrong signer, wrong chain, wrong module: refused before or in execution, nothing recorded.
    await assert.rejects(c.send('gov-material', generateKeyPair('sm2'), { module: 'material', method: 'use', args: { id, purpose: 'x' } }, { from: agency.health!.did }), (e: ShulianError) => e.code === 'TX_BAD_SENDER', 'a tx from the agency signed by another key');
    const head = (await c.blocks('gov-material', { limit: 1 }))[0]?.height ?? 0;
    const acct = await c.account('gov-material', agency.health!.did);
    const { tx } = signTx(agency.health!.key, { chain: 'gov-material', from: agency.health!.did, module: 'material', method: 'use', args: { id, purpose: 'x' }, nonce: acct.pendingNonce, expires: head + 100 });
    await assert.rejects(c.submit('gov-catalog', tx), (e: ShulianError) => e.code === 'TX_WRONG_CHAIN', 'a material tx sent to the catalog chain');
    const wrongModule = jsonError(await cli(['material', 'use', id, '--purpose', 'x', '--chain', 'gov-catalog', ...asAgency('health'), ...api()], agencyEnv()));
    assert.equal(wrongModule.code, 'MODULE_NOT_FOUND', wrongModule.message);

    // The holder revokes the grant: the next read is refused, and the regulator's rule raises an alert.
    json(await cli(['material', 'revoke', id, '--grantee', agency.health!.did, '--key', citizen.file, '--password-env', 'PW', ...api()], { PW }));
    const revoked = jsonError(await cli(['material', 'use', id, '--purpose', 'again', ...asAgency('health'), ...api()], agencyEnv()));
    assert.equal(revoked.code, 'MATERIAL_GRANT_REVOKED', revoked.message);
    const uses = await materialUses(c);
    assert.deepEqual(uses.map((u) => u.n), [1], 'only the granted read is in the reuse log');
    const view = await getMaterial(c, id);
    assert.equal(view!.grants[0]!.status, 'revoked');
    assert.equal(didFromPublicKey(citizenKey.publicKey), citizen.did);

    const cc = new ConsoleClient({ baseUrl: node.url });
    await cc.login(nodeKey(data));
    const refusedReads = await waitFor(async () => {
      const a = (await cc.alerts({ rule: 'gov-material-refused-read' })).alerts;
      return a.length >= 2 ? a : undefined;
    }, 'alerts for the refused reads', 60_000);
    assert.ok(refusedReads.every((a) => a.chain === 'gov-material'));
    const list = json<Array<{ id: string }>>(await cli(['material', 'list', ...api()]));
    assert.ok(list.some((m) => m.id === id));
  });
});

test('the console\'s 政务系统 page: the five chains running with heights, the agencies, the material with its versions and grants, the reuse log, in zh-CN and en', { timeout: 300_000 }, async () => {
  await showingNodeLog(node, async () => {
    const browser = await launchBrowser();
    try {
      const leaks = new LeakLog();
      const { page, errors } = await browser.open(`${node.url}/console/`);
      await signInWithHex(page, toHex(nodeKey(data).privateKey));
      await goTo(page, 'gov');
      await settle(page);
      const rows = (id: string) => page.getByTestId(id).locator('tbody tr.ant-table-row');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="gov-chains"] tbody tr.ant-table-row').length === 5);
      for (const g of GOV_SYSTEM) {
        const h = Number(await page.getByTestId(`gov-chain-height-${g.chain}`).textContent());
        assert.ok(h >= 0 && (g.chain !== 'gov' || h > 0), `${g.chain} shows its height`);
      }
      assert.equal(await rows('gov-agencies').count(), GOV_AGENCIES.length);
      assert.equal(await page.getByTestId('gov-regulator').count(), 1, 'one agency is the regulator');
      await page.getByTestId('gov-materials').getByText('lic-zhang-1').waitFor();
      assert.equal(await rows('gov-uses').count(), 1, 'the one granted read');
      await page.getByTestId('gov-materials').locator('.ant-table-row-expand-icon').first().click();
      await page.getByTestId('material-detail-lic-zhang-1').getByTestId('material-versions').locator('tbody tr.ant-table-row').nth(1).waitFor();
      await page.getByTestId('material-grants').locator('tbody tr.ant-table-row').first().waitFor();
      for (const lang of ['zh', 'en'] as const) {
        await setLang(page, lang);
        await page.getByTestId('gov-chains').getByText(lang === 'zh' ? '材料链' : 'Government material chain').waitFor();
        await page.getByTestId('gov-agencies').getByText(lang === 'zh' ? '卫健委' : 'Municipal Health Commission').waitFor();
        await page.getByTestId('material-grants').getByText(lang === 'zh' ? '已撤销' : 'revoked', { exact: true }).waitFor();
        await page.getByTestId('material-versions').getByText(lang === 'zh' ? '已被新版本取代' : 'superseded', { exact: true }).waitFor();
        await page.getByTestId('gov-uses').getByText(lang === 'zh' ? '卫健委' : 'Municipal Health Commission').waitFor();
        await leaks.check(page, lang, 'government system');
        await screenshot(page, `gov-${lang}`);
      }
      leaks.assertNone();
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});

test('the demo ran every scenario: chains, settlements and the alert, read back through the API', { timeout: 120_000 }, async () => {
  await showingNodeLog(node, async () => {
    const chains = (await c.chains()).map((x) => x.id);
    for (const ch of [...Object.values(RURAL_CHAINS), LOWCARBON_CHAIN]) assert.ok(chains.includes(ch), `the demo created ${ch}`);
    for (const name of ['rural', 'lowcarbon']) {
      const file = join(data, 'demo', `${name}.json`);
      assert.ok(existsSync(file), `${name} finished`);
      const r = JSON.parse(readFileSync(file, 'utf8')) as ScenarioReport;
      assert.ok(Object.keys(r.outcome).length > 0);
      // The last step with a transaction: the node serves it with its receipt.
      const last = [...r.steps].reverse().find((s) => s.tx && !s.refused)!;
      const inc = await c.tx(last.tx!);
      assert.ok('receipt' in inc && inc.receipt.status === 'ok', `${name}: ${last.title}`);
    }
    const cc = new ConsoleClient({ baseUrl: node.url });
    await cc.login(nodeKey(data));
    const alerts = (await cc.alerts({ rule: 'demo-large-transfer' })).alerts;
    assert.ok(alerts.length >= 1 && alerts.every((a) => a.chain === 'settle'), 'the demo rule raised an alert on the settlement chain');
  });
});

test('a second start with --preset gov --demo recreates nothing', { timeout: 300_000 }, async () => {
  await showingNodeLog(node, async () => {
    const before = { chains: (await c.chains()).length, members: (await govMembers(c)).length, regs: (await govRegulators(c)).length };
    assert.equal(await node.stop(), 0);
    node = await startNodeProcess(data, undefined, ['--preset', 'gov', '--demo', 'rural,lowcarbon'], { env });
    c = new ShulianClient({ baseUrl: node.url });
    await waitFor(() => /demo: done/.test(node.output()) || undefined, 'the second start\'s demo', 120_000);
    assert.match(node.output(), /skipped rural, lowcarbon/);
    assert.doesNotMatch(node.output(), /governance creates|governance admits|error:/);
    assert.deepEqual({ chains: (await c.chains()).length, members: (await govMembers(c)).length, regs: (await govRegulators(c)).length }, before);
  });
});

test('--demo with a scenario that does not exist is refused before the node starts, naming the scenarios', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = jsonError(await cli(['up', '--data-dir', join(dir, 'd'), '--port', '0', '--demo', 'rural,nosuch', '--json']), 2);
    assert.equal(r.code, 'USAGE');
    assert.match(r.message, /rural, lowcarbon, medical, trade/);
    assert.ok(!existsSync(join(dir, 'd')), 'no data directory was made');
  } finally {
    cleanup();
  }
});
