/**
 * `shulian supervise` (docs/supervision.md): run the supervision service on its own, over a
 * node's API (the node `shulian up` starts embeds one already), and the regulator's calls:
 *
 *   shulian supervise --data-dir DIR [--webhook id=url --webhook-secret-env VAR] [--from-now]
 *   shulian supervise publish rule.json --key reg.json     publish a rule (or its next version)
 *   shulian supervise check rule.json                      check a rule document without sending it
 *   shulian supervise list NAME --items a,b --key reg.json set a list rules read as lists.NAME
 *
 * The standalone service prints each new alert as one JSON line on stdout, and delivers it to
 * the webhooks; its cursors, alerts and statistics live in DIR/supervision.lmdb.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ShulianError, type JsonValue } from '../../codec/index.ts';
import { loadKey } from '../keyfile.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

interface ServeOpts extends CommonOptions {
  dataDir: string;
  gov: string;
  webhook?: string[];
  webhookSecretEnv?: string;
  pollMs?: string;
}

interface SendOpts extends CommonOptions {
  key: string;
  passwordEnv?: string;
  gov: string;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShulianError('FILE_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ShulianError('BAD_REQUEST', `${file} is not JSON: ${(err as Error).message}`);
  }
}

async function serve(o: ServeOpts): Promise<void> {
  const { ShulianClient } = await import('../../sdk/index.ts');
  const { SupervisionService, SupervisionStore, clientFeed, checkWebhook } = await import('../../supervision/index.ts');
  const secret = o.webhookSecretEnv ? process.env[o.webhookSecretEnv] : undefined;
  if ((o.webhook?.length ?? 0) > 0 && !secret) throw usage(`--webhook needs a secret: put it in an environment variable and name it with --webhook-secret-env`);
  const webhooks = (o.webhook ?? []).map((w) => {
    const m = /^([a-z0-9][a-z0-9-]{0,31})=(https?:\/\/.+)$/.exec(w);
    if (!m) throw usage(`--webhook takes <id>=<url>, not "${w}"`);
    return checkWebhook({ id: m[1]!, url: m[2]!, secret: secret! });
  });
  const dir = resolve(o.dataDir);
  mkdirSync(dir, { recursive: true });
  const client = new ShulianClient({ baseUrl: apiUrl(o) });
  const store = SupervisionStore.open(join(dir, 'supervision.lmdb'));
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const service = new SupervisionService({ feed: clientFeed(client), store, govChain: o.gov, webhooks, log, ...(o.pollMs ? { pollMs: Number(o.pollMs) } : {}) });
  service.onAlert((a) => {
    process.stdout.write(JSON.stringify({ type: 'alert', alert: a }) + '\n');
  });
  await service.start();
  log(`supervision: following ${apiUrl(o)} (governance chain ${o.gov}), ${service.status().rules} rules in force; Ctrl-C to stop`);
  await new Promise<void>((done) => {
    // The service's timers are unref'd (a node embedding it must be able to exit): this process
    // lives for the service, so it holds the event loop open itself until it is told to stop.
    // Without it the process ended once a pass left no request in flight.
    const alive = setInterval(() => undefined, 60_000);
    const stop = (): void => {
      clearInterval(alive);
      void service.close().then(() => store.close()).then(() => {
        const s = service.status();
        process.stderr.write(`supervision stopped: ${s.txs} txs evaluated, ${s.alerts} alerts raised\n`);
        done();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function check(file: string, o: CommonOptions): Promise<void> {
  const { checkRule } = await import('../../rules/index.ts');
  const r = checkRule(readJson(file));
  emit(o, { ok: true, id: r.spec.id, kind: r.kind, severity: r.spec.severity }, () => `rule ${r.spec.id} (${r.kind}, ${r.spec.severity}) checks: every expression parses and is bounded`);
}

async function send(o: SendOpts, call: { module: string; method: string; args: JsonValue }, what: string): Promise<void> {
  const { ShulianClient } = await import('../../sdk/index.ts');
  const key = await loadKey(o.key, o.passwordEnv);
  const client = new ShulianClient({ baseUrl: apiUrl(o) });
  const tx = await client.waitForTx(await client.send(o.gov, key, call));
  if (tx.receipt.status !== 'ok') throw new ShulianError((tx.receipt.code ?? 'TX_REJECTED') as 'TX_REJECTED', `${what}: ${tx.receipt.message ?? 'failed'}`);
  emit(o, { tx: tx.hash, height: tx.height, result: tx.receipt.result ?? null }, () => `${what}: ${JSON.stringify(tx.receipt.result)} (tx ${tx.hash} at height ${tx.height} of ${o.gov})`);
}

export function superviseCommand(): Command {
  const gov = (): Option => new Option('--gov <id>', 'the governance chain').default('gov');
  const cmd = new Command('supervise')
    .description('run the supervision service over a node\'s API, or publish rules and lists as a regulator')
    .option('--data-dir <dir>', 'where the service keeps its cursors, alerts and statistics', './.shulian-supervise')
    .option('--webhook <id=url...>', 'deliver each new alert, signed (HMAC-SHA256), to this URL')
    .option('--webhook-secret-env <var>', 'environment variable holding the webhooks\' HMAC secret (at least 16 characters)')
    .option('--poll-ms <ms>', 'how often to look for new blocks', '1000')
    .addOption(gov()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[], ServeOpts>(serve));
  cmd.command('check <rule.json>').description('check a rule document: its shape, and that every CEL expression parses and is bounded')
    .addOption(jsonOption())
    .action(run<[string], CommonOptions>(check));
  cmd.command('publish <rule.json>').description('publish a rule (or the next version of one of yours) on the supervision module')
    .addOption(keyOption('regulator')).addOption(passwordEnvOption()).addOption(gov()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[string], SendOpts>(async (file, o) => {
      const { supPublishCall } = await import('../../sdk/index.ts');
      const { parseRuleSpec } = await import('../../rules/index.ts');
      await send(o, supPublishCall(parseRuleSpec(readJson(file))), `rule published`);
    }));
  cmd.command('list <name>').description('set a list rules read as lists.<name> (e.g. sanctioned DIDs)')
    .requiredOption('--items <a,b,...>', 'the items, comma-separated (empty for none)')
    .addOption(keyOption('regulator')).addOption(passwordEnvOption()).addOption(gov()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[string], SendOpts & { items: string }>(async (name, o) => {
      const { supSetListCall } = await import('../../sdk/index.ts');
      await send(o, supSetListCall(name, o.items.split(',').map((s) => s.trim()).filter(Boolean)), `list ${name} set`);
    }));
  return cmd;
}
