/**
 * `shulian up --demo` (docs/gov.md#demo): after the node is up, in its own process, run every
 * scenario of the registry against the embedded alliance, so a newcomer's console shows a living
 * alliance — members, business chains, contracts in force, cross-chain messages, settlements and
 * alerts. A regulator and a rule that some scenario's traffic trips come first, so there is an
 * alert. Each finished scenario leaves its report in `<dir>/<name>.json`; a later start skips it,
 * so a second start does not fail on, or duplicate, what exists.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShulianError } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair, type KeystoreOptions } from '../crypto/index.ts';
import { keysIn } from './keys.ts';
import { supStateKey } from '../modules/supervision/keys.ts';
import type { RuleSpec } from '../rules/index.ts';
import { govRegulators, sendToken, type ShulianClient } from '../sdk/index.ts';
import { decide } from './chain.ts';
import type { ScenarioOptions } from './lowcarbon.ts';
import type { ScenarioReport } from './report.ts';

/** A large single payment on the settlement chain: the rural scenario's donation (¥5,000) trips it. */
export const DEMO_RULE: RuleSpec = {
  id: 'demo-large-transfer', title: 'A single transfer of ¥5,000 or more', titleZh: '单笔转账达到五千元',
  severity: 'low', scope: { chains: ['settle'], modules: ['settlement'] },
  kind: 'match', when: 'tx.method == "transfer" && ok && int(tx.args.amount) >= 500000',
} as RuleSpec;

export interface DemoOptions {
  api: string;
  /** `<dataDir>/demo`: the regulator's key and the scenarios' reports. */
  dir: string;
  scenarios: readonly string[];
  run: (name: string, o: ScenarioOptions) => Promise<ScenarioReport>;
  relay?: ScenarioOptions['relay'];
  /** The privacy parties and metering gateway the medical scenario runs (src/cli/scenario-runtime.ts). */
  services?: ScenarioOptions['services'];
  keystore?: KeystoreOptions;
  log: (line: string) => void;
}

export interface DemoResult {
  ran: string[];
  skipped: string[];
  failed: Array<{ scenario: string; error: string }>;
}

/** The demo's regulator and rule, registered through governance once. */
async function ensureDemoRule(c: ShulianClient, operator: KeyPair, o: DemoOptions): Promise<void> {
  const reg = keysIn(join(o.dir, 'keys'), ['regulator'], o.keystore, operator.suite).regulator;
  const regDid = didFromPublicKey(reg.publicKey);
  if (!(await govRegulators(c)).some((x) => x.did === regDid)) {
    const p = await decide(c, operator, { kind: 'register-regulator', title: 'Register the demo city regulator', regulator: { did: regDid, name: 'Demo city financial regulator', nameZh: '演示·市金融监管局', chains: ['settle'] } } as never);
    o.log(`demo: governance registers the demo regulator ${regDid} (proposal #${p.id})`);
  }
  if ((await c.state('gov', supStateKey.rule(DEMO_RULE.id))).value === null) {
    await sendToken(c, reg, 'supervision', 'publish', { rule: DEMO_RULE }, { chain: 'gov', timeoutMs: 60_000 });
    o.log(`demo: the regulator publishes rule ${DEMO_RULE.id} (${DEMO_RULE.titleZh})`);
  }
}

export async function runDemo(c: ShulianClient, operator: KeyPair, o: DemoOptions): Promise<DemoResult> {
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const out: DemoResult = { ran: [], skipped: [], failed: [] };
  await ensureDemoRule(c, operator, o);
  for (const name of o.scenarios) {
    const file = join(o.dir, `${name}.json`);
    if (existsSync(file)) {
      out.skipped.push(name);
      o.log(`demo: scenario ${name} ran on an earlier start (${file}); skipped`);
      continue;
    }
    const t0 = Date.now();
    o.log(`demo: scenario ${name} starts`);
    try {
      const report = await o.run(name, { api: o.api, onStep: (s) => o.log(`demo: ${name} step ${s.n}: ${s.title}`), ...(o.relay ? { relay: o.relay } : {}), ...(o.services ? { services: o.services } : {}) });
      writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
      out.ran.push(name);
      o.log(`demo: scenario ${name} completed in ${Math.round((Date.now() - t0) / 1000)} s (${report.steps.length} steps; report ${file})`);
    } catch (err) {
      const error = err instanceof ShulianError ? `${err.code}: ${err.message}` : String(err);
      out.failed.push({ scenario: name, error });
      o.log(`demo: scenario ${name} failed: ${error}`);
    }
  }
  o.log(`demo: done — ran ${out.ran.join(', ') || 'none'}${out.skipped.length ? `; skipped ${out.skipped.join(', ')}` : ''}${out.failed.length ? `; FAILED ${out.failed.map((f) => f.scenario).join(', ')}` : ''}`);
  return out;
}
