/**
 * Issue #25 item 4 in the console: an operator opens the alerts centre, sets a stalled-height
 * alarm with a signed webhook, and the alarm fires — the webhook is received and verifies with
 * the secret typed in the page, and the history shows it delivered, in both languages; the
 * secret is never shown back. A real node process, a real Chromium.
 * Screenshots: test-artifacts/console/alerts-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { toHex } from '../../src/codec/index.ts';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { signTx } from '../../src/ledger/index.ts';
import { ConsoleClient, ShulianClient } from '../../src/sdk/index.ts';
import { nodeKey, startNodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, setLang, settle, signInWithHex } from '../helpers/browser.ts';

test('console: set an alarm in the alerts centre; it fires and its signed webhook is received', { timeout: 600_000 }, async () => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (npm run build)');
  const SECRET = 'console-typed-secret-0123456789';
  const got: Array<{ body: string; ok: boolean }> = [];
  const hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const want = `sha256=${createHmac('sha256', SECRET).update(`${String(req.headers['x-shulian-timestamp'])}.${body}`).digest('hex')}`;
      got.push({ body, ok: want === req.headers['x-shulian-signature'] });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  const addr = hooks.address();
  const hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/alarm`;
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  const browser = await launchBrowser();
  try {
    const op = nodeKey(join(tmp.dir, 'node'));
    const { page, errors } = await browser.open(`${node.url}/console/`);
    await signInWithHex(page, toHex(op.privateKey));
    await goTo(page, 'alerts');
    await page.getByRole('tab', { name: /告警设置|Alarm settings/ }).click();
    await page.getByTestId('alarm-heightStalledS').fill('2');
    await page.getByTestId('alarm-checkS').fill('1');
    await page.getByTestId('alarm-hook-url').fill(hookUrl);
    await page.getByTestId('alarm-hook-secret').fill(SECRET);
    await page.getByTestId('alarm-save').click();
    const cc = new ConsoleClient({ baseUrl: node.url });
    await cc.login(op);
    const saved = await waitFor(async () => { const s = await cc.alarmSettings(); return s.webhooks[0]?.secretSet ? s : undefined; }, 'the settings saved', 30_000);
    assert.equal(saved.thresholds.heightStalledS, 2);
    assert.equal(JSON.stringify(saved).includes(SECRET), false);

    // The notary chain stalls with a tx waiting behind a nonce gap.
    const c = new ShulianClient({ baseUrl: node.url });
    const [head] = await c.blocks('notary', { limit: 1 });
    await c.submit('notary', signTx(generateKeyPair('sm2'), { chain: 'notary', module: 'notary', method: 'put', args: { hash: '7'.repeat(64) }, nonce: 1, expires: (head?.height ?? 0) + 1_000 }).tx);
    const hook = await waitFor(() => got.find((g) => g.body.includes('height-stalled/notary')), 'the webhook', 60_000);
    assert.equal(hook.ok, true, 'signed with the secret typed in the console');

    await page.getByRole('tab', { name: /运维告警|Node alarms/ }).click();
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await waitFor(async () => {
        await page.getByTestId('alarms-reload').click();
        await settle(page);
        const t = (await page.getByTestId('alarm-history').textContent()) ?? '';
        return (lang === 'zh' ? /告警中.*出块停滞.*ops: 已送达/ : /firing.*height stalled.*ops: delivered/).test(t) || undefined;
      }, `the fired alarm in the history (${lang})`, 60_000);
      await screenshot(page, `alerts-${lang}`);
    }
    await page.getByRole('tab', { name: /告警设置|Alarm settings/ }).click();
    assert.equal(await page.getByTestId('alarm-hook-secret').inputValue(), '', 'the secret is not shown back');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await node.stop();
    await new Promise((r) => hooks.close(r));
    tmp.cleanup();
  }
});
