/**
 * The console "done when" (#24): a member signed in to the console simulates a governance
 * proposal (taken as passed) and a settlement instruction, and sees the verdict, reasons and
 * effects, in both languages; nothing reaches the chains until "Sign and send". A real node process,
 * a real Chromium. Screenshots: test-artifacts/console/simulation-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore } from '../../src/crypto/index.ts';
import { ShulianClient } from '../../src/sdk/index.ts';
import { settleFaucet } from '../../src/sdk/settlement.ts';
import { startNodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, setLang, signInWithHex } from '../helpers/browser.ts';

test('console: simulate a governance proposal and a settlement instruction, see verdict and effects, then sign', { timeout: 600_000 }, async () => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (npm run build)');
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  const browser = await launchBrowser();
  try {
    const nodeDir = join(tmp.dir, 'node', 'node');
    const op = readKeystore(join(nodeDir, 'key.json'), readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
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
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await node.stop();
    tmp.cleanup();
  }
});
