/**
 * The SANDBOX of a development alliance (`shulian up`, issue #15): test money only, labelled so
 * everywhere. On the settlement chain, once, the node (a validator there) registers a sandbox
 * issuer, sets a tax policy if there is none, and opens the faucet (settlement.faucet: any DID
 * may take test money, up to a limit per DID and currency; signed txs, checked on chain). In the
 * node's process it runs the sandbox rail and that issuer's deposit watcher (src/rails), so
 * `shulian settle deposit` and withdrawals work without another process.
 *
 * The issuer's, rail's and tax authority's keys are derived from the node key (deriveKeyPair):
 * no files to keep, the same DIDs after a restart, and no one without the node key can sign as
 * them. See docs/settlement.md#the-sandbox-of-shulian-up.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, type JsonValue } from '../codec/index.ts';
import { deriveKeyPair, didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import type { ChainView } from '../chain/index.ts';
import { signTx, type Receipt } from '../ledger/index.ts';
import { fullKey, sk } from '../modules/settlement/keys.ts';
import { SandboxRailAdapter, startDepositWatcher, startSandboxRail, type DepositWatcher, type SandboxRail } from '../rails/index.ts';
import { ShulianClient } from '../sdk/index.ts';

/** What the sandbox gives: currencies, the faucet's limit per DID (minor units), the tax rates (bp). */
export const SANDBOX_DEFAULTS = {
  currencies: ['CNY', 'EUR', 'USD'],
  faucetPerDid: '1000000',
  taxRates: { service: 600, goods: 1300, exempt: 0 } as Record<string, number>,
  issuerName: 'Shulian sandbox bank (SANDBOX: test money)',
};

export interface SandboxKeys {
  issuer: KeyPair;
  rail: KeyPair;
  taxAuthority: KeyPair;
}

export function sandboxKeys(nodeKey: KeyPair): SandboxKeys {
  const d = (label: string): KeyPair => deriveKeyPair(nodeKey.suite, nodeKey.privateKey, `shulian/sandbox/${label}`);
  return { issuer: d('issuer'), rail: d('rail'), taxAuthority: d('tax-authority') };
}

export interface SandboxInfo {
  /** The sandbox issuer (its money is test money). */
  issuer: string;
  taxAuthority: string;
  currencies: string[];
  /** Minor units per DID and currency. */
  faucetPerDid: string;
  railUrl: string;
  webhookUrl: string;
}

export interface RunningSandbox extends SandboxInfo {
  close(): Promise<void>;
}

/**
 * The settlement chain's sandbox records, sent by the node as its validator when missing (a
 * later start finds them and sends nothing; a tax policy someone set is left alone). Waits until
 * they are committed, so nothing a client sends afterwards races them.
 */
export async function bootstrapSandbox(chain: ChainView, nodeKey: KeyPair, keys: SandboxKeys, log: (line: string) => void, timeoutMs = 30_000): Promise<void> {
  const me = didFromPublicKey(nodeKey.publicKey);
  if (!chain.genesis.validators.some((v) => v.did === me)) return;
  const issuer = didFromPublicKey(keys.issuer.publicKey);
  const has = (k: string): boolean => chain.getState(fullKey(k)).value !== null;
  const calls: Array<{ method: string; args: JsonValue }> = [];
  if (!has(sk.issuer(issuer))) {
    calls.push({ method: 'registerIssuer', args: { issuer, name: SANDBOX_DEFAULTS.issuerName, currencies: SANDBOX_DEFAULTS.currencies, rail: 'sandbox', sandbox: true } });
  }
  if (!has(sk.tax())) calls.push({ method: 'taxPolicy', args: { authority: didFromPublicKey(keys.taxAuthority.publicKey), rates: SANDBOX_DEFAULTS.taxRates } });
  if (!has(sk.faucet())) calls.push({ method: 'faucetPolicy', args: { issuer, currencies: SANDBOX_DEFAULTS.currencies, perDid: SANDBOX_DEFAULTS.faucetPerDid } });
  if (calls.length === 0) return;
  // After any of the node's txs still pending (a restored mempool): sent again, a setup call
  // writes the same record, so one that an earlier start left on its way does no harm.
  const first = chain.nonces(me).pendingNonce;
  const txs = calls.map((c, i) => signTx(nodeKey, { chain: chain.id, module: 'settlement', method: c.method, args: c.args, nonce: first + i, expires: chain.height() + 1000 }));
  const want = new Set(txs.map((t) => t.hash));
  const receipts: Receipt[] = [];
  const committed = new Promise<void>((resolve) => {
    const timer = setTimeout(() => { off(); resolve(); }, timeoutMs);
    const off = chain.onBlock((b) => {
      for (const r of b.receipts) if (want.delete(r.tx)) receipts.push(r);
      if (want.size === 0) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
  const results = await chain.submit(txs.map((t) => t.tx));
  const refused = results.filter((r) => !r.accepted);
  if (refused.length) {
    log(`sandbox: the settlement chain refused ${refused.length} setup transaction(s): ${refused.map((r) => (r.accepted ? '' : r.message)).join('; ')}`);
    return;
  }
  await committed;
  const failed = receipts.filter((r) => r.status !== 'ok');
  if (want.size > 0) log(`sandbox: ${want.size} setup transaction(s) not committed within ${timeoutMs} ms`);
  for (const r of failed) log(`sandbox: setup transaction failed: ${r.code}: ${r.message}`);
  if (want.size === 0 && failed.length === 0) log(`sandbox: on chain ${chain.id}: ${calls.map((c) => c.method).join(', ')} (SANDBOX issuer ${issuer})`);
}

/**
 * The sandbox rail and the issuer's deposit watcher, in this process on loopback ports, over the
 * node's API at `apiUrl`. The rail keeps its small ledger in `<dataDir>/sandbox/`.
 */
export async function startSandbox(o: { chain: ChainView; nodeKey: KeyPair; apiUrl: string; dataDir: string; log: (line: string) => void }): Promise<RunningSandbox> {
  const keys = sandboxKeys(o.nodeKey);
  const dir = join(o.dataDir, 'sandbox');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let watcher: DepositWatcher | undefined;
  const rail: SandboxRail = await startSandboxRail({
    key: keys.rail, dataDir: dir, port: 0, host: '127.0.0.1',
    // Deposits booked before the watcher listens are redelivered (the rail retries).
    webhookUrl: () => watcher?.webhookUrl ?? 'http://127.0.0.1:9/not-yet',
  });
  try {
    watcher = await startDepositWatcher({
      client: new ShulianClient({ baseUrl: o.apiUrl }), chain: o.chain.id, issuerKey: keys.issuer,
      rail: new SandboxRailAdapter(rail.url, toHex(keys.rail.publicKey)), port: 0, host: '127.0.0.1', pollMs: 1_000,
      cursorFile: join(dir, 'withdrawal-cursor.json'),
      log: (line) => o.log(`sandbox: ${line}`),
    });
  } catch (err) {
    await rail.close();
    throw err;
  }
  const w = watcher;
  return {
    issuer: didFromPublicKey(keys.issuer.publicKey),
    taxAuthority: didFromPublicKey(keys.taxAuthority.publicKey),
    currencies: SANDBOX_DEFAULTS.currencies,
    faucetPerDid: SANDBOX_DEFAULTS.faucetPerDid,
    railUrl: rail.url,
    webhookUrl: w.webhookUrl,
    close: async () => {
      await rail.close();
      await w.close();
    },
  };
}
