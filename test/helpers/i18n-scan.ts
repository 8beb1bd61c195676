/**
 * The console's language check, run in the page: every piece of text a user can see now (text,
 * placeholders, the window title, toasts, dialogs, field hints) is read and
 * - in zh-CN, any Latin word is a leak unless it is an identifier: inside <code>/<pre> or marked
 *   `data-ident` (chain ids, modules, codes), a DID, a hash, a number, a single name set off
 *   in Chinese quotes or parentheses as Chinese text sets off names (“allSigned”,
 *   密钥文件密码错误（KEYSTORE_BAD_PASSWORD）, 受托方（contractor）), or one of the few names
 *   below that Chinese text writes in Latin letters;
 * - in English, any Chinese character or full-width punctuation is a leak.
 * What users typed (`data-user`) and the language switch (each language named in itself) are not
 * judged. A native file input is always a leak: the browser words it in its own language.
 */
import type { Page } from 'playwright-core';

/** Names Chinese text writes in Latin letters: algorithms, standards, units, currencies, brands. Keep it short. */
export const LATIN_IN_ZH = [
  'Shulian', 'SM2', 'SM3', 'SM4', 'Ed25519', 'SHA-256', 'DID', 'TBFT', 'API', 'JSON', 'ID', 'CPU', 'W3C', 'Prometheus',
  'UTC', 'B', 'KB', 'MB', 'GB', 'TB', 'CNY', 'USD',
  // Names of technologies Chinese consoles keep in Latin (WeBASE, ChainMaker): the contract language, its machine, the certificate encoding.
  'Solidity', 'EVM', 'PEM', 'URL',
];

export interface Leak {
  text: string;
  where: string;
}

/**
 * The scan, as plain JavaScript run in the page (a string, so that the test runner's transform
 * adds nothing the page lacks). Takes {lang, allowed}; returns [{text, where}].
 */
const SCAN = String.raw`(({ lang, allowed }) => {
  const SKIP = 'code, pre, kbd, samp, script, style, svg, canvas, textarea, [data-ident], [data-user], [data-testid="lang-switch"], .ant-typography-copy';
  const allow = new Set(allowed);
  const leaks = [];
  const shown = (el) => {
    if (el.getClientRects().length === 0) return false;
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0) return false;
      // Clipped away by a box of no size, as rc-select's accessibility mirror of the options'
      // values (role=listbox, 0×0, overflow hidden): on the page but never seen.
      if (cs.overflow !== 'visible') {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return false;
      }
    }
    return true;
  };
  const where = (el) => {
    const parts = [];
    for (let e = el; e && parts.length < 4; e = e.parentElement) {
      const id = e.getAttribute('data-testid');
      parts.push(id ? '[' + id + ']' : e.tagName.toLowerCase() + (e.classList[0] ? '.' + e.classList[0] : ''));
    }
    return parts.join(' < ');
  };
  const judge = (raw, el) => {
    const text = raw.replace(/\s+/g, ' ').trim();
    if (!text) return;
    if (lang === 'en') {
      if (/[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/.test(text)) leaks.push({ text, where: where(el) });
      return;
    }
    const rest = text
      .replace(/[“「（]\s*[A-Za-z_][A-Za-z0-9_.:{}\[\]-]*\s*[”」）]/g, ' ')
      .replace(/did:shulian:[1-9A-HJ-NP-Za-km-z]*(…[1-9A-HJ-NP-Za-km-z]+)?/g, ' ')
      .replace(/\b[0-9a-f]{6,}(…[0-9a-f]+)?\b/g, ' ')
      .replace(/\b[0-9a-f]+…[0-9a-f]+\b/g, ' ');
    const words = rest.match(/[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*/g) || [];
    const bad = words.filter((w) => !allow.has(w));
    if (bad.length > 0) leaks.push({ text: bad.join(' ') + ' ‹' + text.slice(0, 120) + '›', where: where(el) });
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(SKIP) || !shown(el)) continue;
    judge(n.textContent || '', el);
  }
  for (const i of Array.from(document.querySelectorAll('input, textarea'))) {
    if (!shown(i) || i.closest('[data-user], [data-ident]')) continue;
    if (i.type === 'file') leaks.push({ text: 'a native file input (worded by the browser)', where: where(i) });
    else if (i.placeholder && !i.value) judge(i.placeholder, i);
  }
  judge(document.title, document.body);
  return leaks;
})`;

/** The leaks on the page as it is now (an empty list when there are none). */
export async function languageLeaks(page: Page, lang: 'zh' | 'en'): Promise<Leak[]> {
  return page.evaluate(`${SCAN}(${JSON.stringify({ lang, allowed: LATIN_IN_ZH })})`) as Promise<Leak[]>;
}

/**
 * Leaks found along a walk through the console: each check records what it finds, and `assertNone`
 * fails at the end naming every leak and where it was, so one run shows them all.
 */
export class LeakLog {
  private readonly found: string[] = [];
  checks = 0;

  async check(page: Page, lang: 'zh' | 'en', what: string): Promise<void> {
    this.checks++;
    for (const l of await languageLeaks(page, lang)) this.found.push(`${lang} · ${what}: ${l.text}   at ${l.where}`);
  }

  /** What was found so far, one leak a line. */
  report(): string {
    return this.found.join('\n');
  }

  assertNone(): void {
    if (this.found.length > 0) throw new Error(`the console shows the other language (${this.found.length} leaks in ${this.checks} checks):\n${this.found.join('\n')}`);
  }
}
