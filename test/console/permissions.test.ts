/**
 * Issue #25 item 5 in the console: an operator opens Permissions 访问控制, drafts a rule that lets
 * one member organisation call notary.put on a business chain, and submits it as a set-policy
 * proposal; once members approve it, the chain refuses everyone else's notary.put and takes the
 * member's. A real node process, a real Chromium, both languages.
 * Screenshots: test-artifacts/console/permissions-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { ShulianClient, govPolicy, govProposals, govPropose, govVote } from '../../src/sdk/index.ts';
import { nodeKey, startNodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, setLang, settle, signInWithHex } from '../helpers/browser.ts';

test('console: grant a member the right to call one method of a business chain, by proposal', { timeout: 600_000 }, async () => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (npm run build)');
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  const browser = await launchBrowser();
  try {
    const op = nodeKey(join(tmp.dir, 'node'));
    const c = new ShulianClient({ baseUrl: node.url });
    await waitFor(async () => (await c.state('gov', 'governance/meta')).value !== null, 'governance init', 60_000);
    const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
    const [org, outsider] = [generateKeyPair('sm2'), generateKeyPair('sm2')];
    const admit = await govPropose(c, op, { kind: 'admit-member', member: { did: did(org), name: 'Org', roles: ['member'] } });
    assert.equal((await govVote(c, op, admit.id, 'yes')).status, 'approved');
    const genesis = { chain: 'biz', name: 'Business', suite: 'sm2', consensus: { type: 'solo' }, modules: ['notary', 'xdoc'], validators: [{ did: did(op), publicKey: toHex(op.publicKey), power: 1 }] };
    const created = await govPropose(c, org, { kind: 'create-chain', title: 'biz', genesis, admission: { type: 'open' } } as never);
    let status = '';
    for (const voter of [org, op]) if ((status = (await govVote(c, voter, created.id, 'yes')).status) === 'approved') break;
    assert.equal(status, 'approved');
    await waitFor(async () => (await c.chains()).some((x) => x.id === 'biz'), 'chain biz to start', 90_000);

    const { page, errors } = await browser.open(`${node.url}/console/`);
    await signInWithHex(page, toHex(op.privateKey));
    await goTo(page, 'permissions');
    await settle(page);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      assert.match((await page.getByTestId('perm-rules').textContent()) ?? '', lang === 'zh' ? /没有规则/ : /No rules/);
    }
    // The draft: notary.put for the member organisation only.
    await page.getByTestId('perm-module').click();
    await page.locator('.ant-select-item-option[title="notary"]').click();
    await page.getByTestId('perm-method').fill('put');
    await page.getByTestId('perm-dids').fill(did(org));
    await page.getByTestId('perm-add').click();
    await page.getByTestId('perm-changed').waitFor();
    assert.match((await page.getByTestId('perm-rules').textContent()) ?? '', /notary.*put/);
    await screenshot(page, 'permissions-draft-en');
    // Simulate first: the set-policy proposal taken as passed, then signed.
    assert.equal(await page.getByTestId('perm-propose').isDisabled(), true);
    await page.getByTestId('simfirst-run').click();
    await page.getByTestId('simfirst-result').waitFor({ timeout: 60_000 });
    await page.getByTestId('perm-propose').click();
    const proposal = await waitFor(async () => (await govProposals(c, { limit: 10 })).find((p) => p.kind === 'set-policy'), 'the set-policy proposal', 60_000);
    assert.deepEqual(proposal.payload.kind === 'set-policy' && proposal.payload.policy.access, { biz: [{ module: 'notary', method: 'put', dids: [did(org)] }] });
    // Until it passes, nothing is enforced.
    assert.equal((await govPolicy(c))?.access, undefined);
    if ((await govVote(c, org, proposal.id, 'yes')).status !== 'approved') assert.equal((await govVote(c, op, proposal.id, 'yes')).status, 'approved');

    const put = (k: KeyPair, n: number) => c.send('biz', k, { module: 'notary', method: 'put', args: { hash: n.toString(16).padStart(64, '0') } });
    await assert.rejects(put(outsider, 1), { code: 'TX_ACCESS_DENIED' });
    assert.equal((await c.waitForTx(await put(org, 2), { timeoutMs: 60_000 })).receipt.status, 'ok');
    // The page shows the rule in force, in both languages.
    await page.reload();
    await page.getByTestId('page-permissions').waitFor();
    await settle(page);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await waitFor(async () => /put/.test((await page.getByTestId('perm-rules').textContent()) ?? '') || undefined, 'the rule on the page', 30_000);
      assert.equal(await page.getByTestId('perm-changed').count(), 0);
      await screenshot(page, `permissions-${lang}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await node.stop();
    tmp.cleanup();
  }
});
