/**
 * External chains in the console (issue #9 item 4), on a real node process following a real
 * ganache node started in this process, driven by a real Chromium: the Chains page lists the
 * external chain with its engine tag ("以太坊虚拟机" / "EVM") and a height above 0, and the
 * Explorer shows its latest blocks, each in its language only. Screenshots go to
 * test-artifacts/console/external-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ganache from 'ganache';
import { JsonRpcProvider, Wallet } from 'ethers';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { toHex } from '../../src/codec/index.ts';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { startNodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, setLang, settle, signInWithHex } from '../helpers/browser.ts';
import { LeakLog } from '../helpers/i18n-scan.ts';

test('an external EVM chain appears on the Chains page with its engine tag and height, and in the Explorer', async () => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (npm run build)');
  const server = ganache.server({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'shanghai' }, wallet: { deterministic: true, totalAccounts: 2 } } as never);
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  const rpc = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // Two blocks on the EVM chain: a transfer each.
  const accounts = server.provider.getInitialAccounts();
  const [from, to] = Object.keys(accounts);
  const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1, polling: false });
  const wallet = new Wallet(accounts[from!]!.secretKey, provider);
  for (let i = 0; i < 2; i++) await (await wallet.sendTransaction({ to: to!, value: 1n })).wait();
  provider.destroy();

  const tmp = tempDir();
  const data = join(tmp.dir, 'data');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'external-chains.json'), JSON.stringify([{ id: 'eth-dev', engine: 'evm', rpc, name: 'Ethereum dev chain', nameZh: '以太坊开发链' }]));
  const node = await startNodeProcess(data);
  const browser = await launchBrowser();
  try {
    await waitFor(async () => {
      const r = await (await fetch(`${node.url}/v1/external-chains/eth-dev`)).json() as { reachable: boolean; height: number };
      return r.reachable && r.height >= 2;
    }, 'the node reaching ganache', 30_000);
    const leaks = new LeakLog();
    const { page, errors } = await browser.open(`${node.url}/console/`);
    await signInWithHex(page, toHex(generateKeyPair('sm2').privateKey));
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await goTo(page, 'chains');
      await settle(page);
      await page.getByTestId('external-row-eth-dev').waitFor();
      assert.equal(await page.getByTestId('engine-tag-eth-dev').textContent(), lang === 'zh' ? '以太坊虚拟机' : 'EVM');
      const height = Number(await page.getByTestId('external-height-eth-dev').textContent());
      assert.ok(height > 0, `height ${height}`);
      await page.getByTestId('external-chains-table').getByText(lang === 'zh' ? '以太坊开发链' : 'Ethereum dev chain').waitFor();
      await leaks.check(page, lang, 'external chains');
      await screenshot(page, `external-chains-${lang}`);

      await goTo(page, 'explorer');
      await settle(page);
      await page.getByRole('tab', { name: lang === 'zh' ? '外部链' : 'External chains' }).click();
      await page.getByTestId('external-explorer').waitFor();
      // Rows: the header, then the latest blocks newest first, down to the genesis block.
      const rows = page.getByTestId('external-blocks').locator('tbody tr');
      await waitFor(async () => (await rows.count()) >= 3, 'external blocks', 15_000);
      assert.equal(Number(await rows.first().locator('td').first().textContent()), height);
      await settle(page);
      // Cosmetic: let the tab switch finish its animation before the picture.
      await page.waitForFunction(() => {
        const bar = document.querySelector('[data-testid="page-explorer"] .ant-tabs-ink-bar');
        const active = document.querySelector('[data-testid="page-explorer"] .ant-tabs-tab-active');
        const pane = document.querySelector('[data-testid="external-explorer"]');
        return bar && active && pane && Math.abs(bar.getBoundingClientRect().left - active.getBoundingClientRect().left) < 2 && getComputedStyle(pane.closest('.ant-tabs-tabpane') ?? pane).opacity === '1';
      }, undefined, { timeout: 5_000 }).catch(() => undefined);
      await leaks.check(page, lang, 'external explorer');
      await screenshot(page, `external-explorer-${lang}`);
    }
    assert.deepEqual(errors, [], 'no console errors');
    leaks.assertNone();
  } catch (err) {
    process.stderr.write(node.output().slice(-3000));
    throw err;
  } finally {
    await browser.close();
    await node.stop();
    await server.close();
    tmp.cleanup();
  }
});
