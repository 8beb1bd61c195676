/**
 * The soak's traffic besides notary puts (issue #21 item 6): settlement transfers, cross-chain
 * token packets and lex contract events on a four-validator alliance (the `shulian up
 * --validators 4` layout), each a closed loop of its own that sends one tx, waits for its block
 * and records the latency, going round the validators' APIs.
 *
 *   settlement  a sandbox issuer, registered by validator 1, mints to a payer once; the payer
 *               pays 1 minor unit to a payee per tx (settlement.transfer on `settle`).
 *   cross-chain a token issued on `sign` is sent 1 unit at a time to `notary` (xtransfer.send),
 *               relayed by the nodes' own gateways; `delivered` counts what arrived.
 *   lex         a pay-per-use contract (contracts/pay-per-use) drafted and signed by its three
 *               parties on `sign`; the customer raises its spending limit by one yuan per event
 *               (lexcontract.event SetLimit: the contract's require/set/respond run each time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { ShulianClient } from '../../src/sdk/index.ts';
import { repoRoot } from '../../test/helpers/node-process.ts';
import { waitFor } from '../../test/helpers/tmp.ts';

export interface KindStats { sent: number; ok: number; failed: number; lastError?: string; done: Array<{ at: number; ms: number }> }

type Step = (c: ShulianClient, i: number) => Promise<void>;

export class MixedLoad {
  readonly stats = new Map<string, KindStats>();
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly clients: ShulianClient[];
  private readonly steps = new Map<string, Step>();
  private delivered: (() => Promise<number>) | undefined;

  constructor(apis: string[]) {
    this.clients = apis.map((baseUrl) => new ShulianClient({ baseUrl }));
  }

  /** Sends a tx and waits for its block; a failed receipt throws with its code. */
  private async send(c: ShulianClient, chain: string, key: KeyPair, module: string, method: string, args: Record<string, JsonValue>): Promise<JsonValue | undefined> {
    const tx = await c.waitForTx(await c.send(chain, key, { module, method, args }), { timeoutMs: 60_000 });
    if (tx.receipt.status !== 'ok') throw new Error(`${module}.${method}: ${tx.receipt.code ?? ''} ${tx.receipt.message ?? ''}`);
    return tx.receipt.result;
  }

  /** Sets up the accounts, routes and the contract each kind needs; `validatorKey` is a validator's of every chain. */
  async setup(validatorKey: KeyPair): Promise<void> {
    const c = this.clients[0]!;
    const [bank, payer, payee, alice, bob, provider, customer, meter] = Array.from({ length: 8 }, () => generateKeyPair('sm2'));
    const did = (k: KeyPair): string => didFromPublicKey(k.publicKey);

    await this.send(c, 'settle', validatorKey, 'settlement', 'registerIssuer', { issuer: did(bank!), name: 'Soak Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    await this.send(c, 'settle', bank!, 'settlement', 'mint', { to: did(payer!), currency: 'CNY', amount: '1000000000', ref: 'soak-mint' });
    this.steps.set('settlement', async (x) => void (await this.send(x, 'settle', payer!, 'settlement', 'transfer', { to: did(payee!), currency: 'CNY', amount: '1' })));

    await waitFor(async () => (await c.state('sign', 'xchain/route/notary')).value !== null && (await c.state('notary', 'xchain/route/sign')).value !== null, 'the sign–notary route synced', 120_000);
    await this.send(c, 'sign', alice!, 'xtransfer', 'issue', { denom: 'SOAK' });
    await this.send(c, 'sign', alice!, 'xtransfer', 'mint', { denom: 'SOAK', to: did(alice!), amount: '1000000000' });
    this.steps.set('cross-chain', async (x) => void (await this.send(x, 'sign', alice!, 'xtransfer', 'send', { dstChain: 'notary', denom: 'SOAK', amount: '1', receiver: did(bob!) })));
    this.delivered = async () => Number((await c.state('notary', `xtransfer/bal/${did(bob!)}/sign/SOAK`)).value ?? 0);

    const source = readFileSync(join(repoRoot, 'contracts/pay-per-use/contract.lex'), 'utf8');
    const { template } = (await this.send(c, 'sign', provider!, 'lexcontract', 'deploy', { source })) as { template: string };
    const params = JSON.parse(readFileSync(join(repoRoot, 'contracts/pay-per-use/sample.json'), 'utf8')) as Record<string, JsonValue>;
    const parties = { provider: did(provider!), customer: did(customer!), meter: did(meter!) };
    const { id, fingerprint } = (await this.send(c, 'sign', provider!, 'lexcontract', 'draft', { template, params, parties })) as { id: string; fingerprint: string };
    for (const k of [provider!, customer!, meter!]) await this.send(c, 'sign', k, 'lexcontract', 'sign', { id, fingerprint });
    let limit = 100;
    this.steps.set('lex', async (x) => void (await this.send(x, 'sign', customer!, 'lexcontract', 'event', { id, event: 'SetLimit', input: { newLimit: `CNY ${limit++}.00` } })));
    for (const k of this.steps.keys()) this.stats.set(k, { sent: 0, ok: 0, failed: 0, done: [] });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = [...this.steps].map(([name, step], k) => this.loop(name, step, k));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(name: string, step: Step, offset: number): Promise<void> {
    const s = this.stats.get(name)!;
    for (let i = 0; this.running; i++) {
      const t0 = Date.now();
      s.sent++;
      try {
        await step(this.clients[(i + offset) % this.clients.length]!, i);
        s.ok++;
        s.done.push({ at: Date.now(), ms: Date.now() - t0 });
      } catch (err) {
        s.failed++;
        s.lastError = (err as Error).message;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Per kind: txs committed since `since` (ms epoch) and their p50 latency. */
  window(since: number): Record<string, { ok: number; p50Ms: number | null }> {
    const out: Record<string, { ok: number; p50Ms: number | null }> = {};
    for (const [k, s] of this.stats) {
      const lat = s.done.filter((d) => d.at >= since).map((d) => d.ms).sort((a, b) => a - b);
      out[k] = { ok: lat.length, p50Ms: lat.length ? lat[Math.floor(lat.length / 2)]! : null };
    }
    return out;
  }

  /** Token units that arrived on notary from the cross-chain loop. */
  async deliveredUnits(): Promise<number> {
    return this.delivered ? this.delivered() : 0;
  }
}
