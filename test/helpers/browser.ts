/**
 * Drives Debian's Chromium (/usr/bin/chromium) headless through playwright-core for the console
 * tests, against a real node. Every page's console errors and uncaught exceptions are collected so
 * a test can assert there were none; screenshots go to test-artifacts/console/.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { toHex } from '../../src/codec/index.ts';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { repoRoot } from './node-process.ts';
import { tempDir } from './tmp.ts';

export const CHROMIUM = process.env.SHULIAN_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(repoRoot, 'test-artifacts', 'console');

export interface ConsoleBrowser {
  context: BrowserContext;
  /** A new tab whose console errors and page errors are collected in `errors`. */
  open(url: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; install it with apt-get install -y chromium (.ci/run does)`);
  const profile = tempDir('shulian-chromium-');
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    async open(url) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      await page.goto(url);
      return { page, errors };
    },
    async close() {
      await context.close();
      profile.cleanup();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(ARTIFACTS, `${name}.png`);
  // Cosmetic only: let opening dialogs finish their animation, so the picture shows them.
  await page.waitForFunction(() => !document.querySelector('.ant-modal-wrap [class*="-appear"], .ant-modal-wrap [class*="-enter"]'), undefined, { timeout: 5_000 }).catch(() => undefined);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Switches the console's language with its header switch, also while a dialog covers the header
 * (the click is dispatched to the switch itself), so an open dialog can be read in both languages.
 */
export async function setLang(page: Page, lang: 'zh' | 'en'): Promise<void> {
  await page.getByTestId('lang-switch').first().getByText(lang === 'zh' ? '中文' : 'EN', { exact: true }).dispatchEvent('click');
  await page.waitForFunction((l) => document.documentElement.lang === l, lang === 'zh' ? 'zh-CN' : 'en');
}

/** Signs in by pasting a hex private key. */
export async function signInWithHex(page: Page, hex: string, suite: 'sm2' | 'ed25519' = 'sm2'): Promise<void> {
  await page.getByRole('tab', { name: /粘贴私钥|Paste a key/ }).click();
  if (suite === 'ed25519') await page.getByLabel('Ed25519').first().check();
  await page.getByTestId('hex-key').fill(hex);
  await page.getByTestId('signin-hex').click();
  await page.getByTestId('whoami').waitFor({ timeout: 60_000 });
}

/** A new tab at the node's console, signed in with a fresh SM2 key (a newcomer), on page `nav`. */
export async function openSignedIn(browser: ConsoleBrowser, nodeUrl: string, nav: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await browser.open(`${nodeUrl}/console/`);
  await opened.page.getByTestId('signin').waitFor();
  await signInWithHex(opened.page, toHex(generateKeyPair('sm2').privateKey));
  await goTo(opened.page, nav);
  return opened;
}

/** Signs in with a keystore file (the CLI's format) and its password. */
export async function signInWithKeystore(page: Page, file: string, password: string): Promise<void> {
  await page.getByRole('tab', { name: /密钥文件|Keystore file/ }).click();
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('keystore-pick').click();
  await (await chooser).setFiles(file);
  await page.getByTestId('keystore-did').waitFor();
  await page.getByTestId('keystore-password').fill(password);
  await page.getByTestId('signin-file').click();
  await page.getByTestId('whoami').waitFor({ timeout: 120_000 });
}

export async function signOut(page: Page): Promise<void> {
  await page.getByTestId('whoami').hover();
  await page.getByTestId('sign-out').click();
  await page.getByTestId('signin').waitFor();
}

export async function goTo(page: Page, nav: string): Promise<void> {
  await page.getByTestId(`nav-${nav}`).click();
  await page.getByTestId(`page-${nav}`).waitFor();
}

/** Waits until no Ant Design spinner is spinning (tables and pages have loaded). */
export async function settle(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(() => document.querySelectorAll('.ant-spin-spinning, .ant-btn-loading').length === 0, undefined, { timeout });
}

export const PAGES = ['overview', 'alliance', 'chains', 'explorer', 'identity', 'contracts', 'data', 'privacy', 'workorders', 'supervision', 'monitoring', 'admin'] as const;
