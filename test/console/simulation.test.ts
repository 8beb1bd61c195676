/**
 * The console "done when" (#24): a member signed in to the console simulates a governance
 * proposal (taken as passed) and a settlement instruction, and sees the verdict, reasons and
 * effects, in both languages; nothing reaches the chains until "Sign and send". A simulated
 * transfer to a DID frozen by vote comes back "block", naming the freeze's proposal. A sandbox
 * business chain is proposed in the chain wizard (simulated first: signing waits for it), runs,
 * is labelled SANDBOX in the chain list and page, and is promoted by vote from its chain page.
 * A real node process, a real Chromium. Screenshots: test-artifacts/console/simulation-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../../src/crypto/index.ts';
import { ShulianClient, govPropose, govProposals, govVote } from '../../src/sdk/index.ts';
import { settleFaucet } from '../../src/sdk/settlement.ts';
import { nodeKey, startNodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, setLang, signInWithHex } from '../helpers/browser.ts';

test('console: simulate a governance proposal and a settlement instruction, see verdict and effects, then sign', { timeout: 600_000 }, async () => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (npm run build)');
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  const browser = await launchBrowser();
  try {
    const op = nodeKey(join(tmp.dir, 'node'));
    const c = new ShulianClient({ baseUrl: node.url });
    await waitFor(async () => ((await (await fetch(`${node.url}/v1/gov`)).json()) as { operator?: string }).operator, 'governance init', 60_000);
    await settleFaucet(c, op, { currency: 'CNY', amount: '100000' });
    const payee = didFromPublicKey(generateKeyPair('sm2').publicKey);
    const heights = async () => (await c.chains()).filter((x) => x.id === 'gov' || x.id === 'settle').map((x) => `${x.id}@${x.height}`).join(',');

    const { page, errors } = await browser.open(`${node.url}/console/`);
    await signInWithHex(page, toHex(op.privateKey));
    await goTo(page, 'simulation');
    const before = await heights();
    const pick = async (label: string) => {
      await page.getByTestId('sim-preset').click();
      await page.locator(`.ant-select-item-option[title="${label}"]`).click();
    };
    const run = async (args: unknown, expect: string) => {
      await page.getByTestId('sim-args').fill(JSON.stringify(args));
      await page.getByTestId('sim-run').click();
      await waitFor(async () => (await page.getByTestId('sim-verdict').textContent({ timeout: 1_000 }).catch(() => null)) === expect || undefined, `verdict ${expect}`, 60_000)
        .catch(async (err: Error) => assert.fail(`${err.message}; the page says: ${(await page.getByTestId('page-simulation').textContent())?.slice(0, 1500)}`));
    };
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      // A freeze of the payee, taken as passed: governance changes (info), so "no risk".
      await pick(lang === 'zh' ? '治理提案' : 'Governance proposal');
      await run({ kind: 'freeze', target: { type: 'did', did: payee }, reason: 'check' }, lang === 'zh' ? '无风险' : 'no risk');
      assert.match((await page.getByTestId('sim-reasons').textContent()) ?? '', lang === 'zh' ? /治理变更/ : /governance: Frozen/);
      await screenshot(page, `simulation-proposal-${lang}`);
      // A settlement instruction paying the payee: balances shown.
      await pick(lang === 'zh' ? '结算指令' : 'Settlement instruction');
      await run({ idempotencyKey: `sim-${lang}`, payer: didFromPublicKey(op.publicKey), currency: 'CNY', payments: [{ to: payee, amount: '700' }] }, lang === 'zh' ? '无风险' : 'no risk');
      assert.match((await page.getByTestId('sim-result').textContent()) ?? '', /700/);
      await screenshot(page, `simulation-instruction-${lang}`);
    }
    assert.equal(await heights(), before, 'simulating sent nothing');
    // Sign and send after simulating: the instruction is committed.
    await page.getByTestId('sim-send').click();
    await waitFor(async () => ((await c.state('settle', `settlement/acct/CNY/${payee}`)).value as { balance?: string } | null)?.balance === '700' || undefined, 'the instruction on chain', 60_000);

    // A transfer to a DID frozen by vote: "block", naming the freeze's proposal, in both languages.
    const frozen = didFromPublicKey(generateKeyPair('sm2').publicKey);
    const freeze = await govPropose(c, op, { kind: 'freeze', target: { type: 'did', did: frozen }, reason: 'fraud report' });
    assert.equal((await govVote(c, op, freeze.id, 'yes')).status, 'approved');
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await pick(lang === 'zh' ? '结算转账' : 'Settlement transfer');
      await run({ to: frozen, currency: 'CNY', amount: '100' }, lang === 'zh' ? '阻止' : 'block');
      const reasons = (await page.getByTestId('sim-reasons').textContent()) ?? '';
      assert.ok(reasons.includes(`#${freeze.id}`), `the freeze's proposal is named: ${reasons}`);
      assert.match((await page.getByTestId('sim-result').textContent()) ?? '', /FROZEN/);
      await screenshot(page, `simulation-frozen-${lang}`);
    }

    // A sandbox business chain, proposed in the wizard: simulate first, then sign.
    await setLang(page, 'en');
    const opDid = didFromPublicKey(op.publicKey);
    await goTo(page, 'chains');
    await page.getByRole('tab', { name: 'Propose a business chain' }).click();
    await page.getByTestId('wiz-chain').fill('trial');
    await page.getByTestId('wiz-name').fill('Trial chain');
    await page.getByTestId('wiz-sandbox').check();
    await page.getByTestId('wiz-next').click();
    await page.getByTestId('wiz-validators').getByTitle(opDid).click();
    for (let i = 0; i < 4; i++) await page.getByTestId('wiz-next').click();
    assert.equal(await page.getByTestId('wiz-submit').isDisabled(), true, 'signing waits for the simulation');
    await page.getByTestId('wiz-summary').getByTestId('sandbox-tag').waitFor();
    await page.getByTestId('simfirst-run').click();
    await page.getByTestId('simfirst-verdict').waitFor({ timeout: 60_000 });
    assert.match((await page.getByTestId('simfirst-reasons').textContent()) ?? '', /ChainApproved/);
    await screenshot(page, 'simulation-wizard-simulated');
    await page.getByTestId('wiz-submit').click();
    await page.getByTestId('wizard-done').waitFor({ timeout: 60_000 });
    const created = await waitFor(async () => (await govProposals(c, { limit: 10 })).find((p) => p.kind === 'create-chain'), 'the create-chain proposal', 60_000);
    assert.equal(created.payload.kind === 'create-chain' && created.payload.genesis.sandbox, true);
    assert.equal((await govVote(c, op, created.id, 'yes')).status, 'approved');
    // It runs: the node starts it and it takes a tx.
    await waitFor(async () => (await c.chains()).some((x) => x.id === 'trial'), 'trial started', 60_000);
    const put = await c.waitForTx(await c.send('trial', op, { module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) } }));
    assert.equal(put.receipt.status, 'ok', String(put.receipt.message));

    // Labelled in the chain list and on its page; promoted by vote from there.
    await page.getByRole('tab', { name: 'Chains', exact: true }).click();
    const row = page.getByTestId('chains-table').locator('tr', { hasText: 'trial' });
    await row.getByTestId('sandbox-tag').waitFor({ timeout: 60_000 });
    await row.click();
    await page.getByTestId('chain-mode').getByText(/Sandbox: sandbox money only/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'simulation-sandbox-chain');
    await page.getByTestId('chain-promote').click();
    await page.getByTestId('promote-proposed').waitFor({ timeout: 60_000 });
    const promote = await waitFor(async () => (await govProposals(c, { limit: 10 })).find((p) => p.kind === 'promote-chain'), 'the promote-chain proposal', 60_000);
    await page.keyboard.press('Escape');
    await page.getByRole('tab', { name: 'Chain proposals' }).click();
    await page.getByTestId(`vote-yes-${promote.id}`).click();
    await waitFor(async () => (await c.chains()).find((x) => x.id === 'trial')?.sandbox === false || undefined, 'trial promoted', 60_000);
    await page.getByRole('tab', { name: 'Chains', exact: true }).click();
    await waitFor(async () => (await row.getByTestId('sandbox-tag').count()) === 0 || undefined, 'the SANDBOX tag gone', 60_000);
    await row.click();
    await page.getByTestId('chain-mode').getByText(new RegExp(`Production \\(promoted from sandbox by proposal #${promote.id}\\)`)).waitFor({ timeout: 30_000 });
    await setLang(page, 'zh');
    await page.getByTestId('chain-mode').getByText(`生产（由提案 #${promote.id} 从沙箱转正式）`).waitFor({ timeout: 30_000 });
    await screenshot(page, 'simulation-promoted');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await node.stop();
    tmp.cleanup();
  }
});
