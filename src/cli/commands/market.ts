/**
 * The service market (docs/market.md):
 *   shulian market gateway --config gw.json --data-dir DIR --key gw [--port 7080]   run a metering gateway
 *   shulian market publish <product.json> --key provider                           publish (again: next version)
 *   shulian market delist <id> --key provider
 *   shulian market list [--category c] [--provider did] [--max-price fen] [--text t]
 *   shulian market show <id>
 *   shulian market subscribe <id> --plan P --key buyer [--start ms]                  draft the plan's contract
 *   shulian market subscribe <id> --plan P --key buyer --contract <cid>              … once every party signed it
 *   shulian market usage <subscription>                                             usage per period, settlements
 *   shulian market settle <subscription> --period N --key any
 *   shulian market revenue --provider <did>                                         what each contributor was paid
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ShulianError } from '../../codec/index.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, intArg, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

const sdk = async () => import('../../sdk/index.ts');
const client = async (o: CommonOptions) => new (await sdk()).ShulianClient({ baseUrl: apiUrl(o) });
const loadKey = async (file: string, passwordEnv: string | undefined) => (await import('../keyfile.ts')).loadKey(file, passwordEnv);
const chainOption = () => new Option('--chain <id>', 'the chain the market runs on').default('sign');

type Keyed = CommonOptions & { key: string; passwordEnv?: string; chain: string };
type Read = CommonOptions & { chain: string };

function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShulianError('FILE_NOT_FOUND', `cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usage(`${what} ${file} is not JSON: ${(err as Error).message}`);
  }
}

const yuan = (minor: number): string => `${Math.trunc(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

export function marketCommand(): Command {
  const m = new Command('market').description('the ecosystem service market: API products, subscriptions by contract, the metering gateway');

  m.command('gateway').description('run a metering gateway in front of providers\' services (prints one JSON line when it listens)')
    .requiredOption('--config <file>', 'JSON: {"products": {"<id>": {"upstream": "http://…", "timeoutMs": 10000}}, "chain"?, "dataChain"?}')
    .requiredOption('--data-dir <dir>', 'where the receipt journal lives')
    .option('--port <n>', 'port to listen on (default: any free port)', intArg('--port', 0)).option('--host <h>', 'address to listen on', '127.0.0.1')
    .addOption(keyOption('gateway key (its DID is listed in the products it serves)')).addOption(passwordEnvOption()).addOption(apiOption())
    .action(run(async (o: CommonOptions & { config: string; dataDir: string; port?: number; host: string; key: string; passwordEnv?: string }) => {
      const cfg = readJsonFile(o.config, 'the gateway config') as { products?: Record<string, { upstream: string; timeoutMs?: number }>; chain?: string; dataChain?: string };
      if (!cfg.products || typeof cfg.products !== 'object' || !Object.keys(cfg.products).length) throw usage(`${o.config} names no products: {"products": {"<id>": {"upstream": "http://…"}}}`);
      for (const [id, p] of Object.entries(cfg.products)) if (typeof p?.upstream !== 'string' || !/^https?:\/\//.test(p.upstream)) throw usage(`products.${id}.upstream is the provider's base URL (http:// or https://)`);
      const { MeteringGateway } = await import('../../market/index.ts');
      const dir = resolve(o.dataDir);
      mkdirSync(dir, { recursive: true });
      const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const gw = new MeteringGateway({
        client: await client(o), key: await loadKey(o.key, o.passwordEnv), dataDir: dir, products: cfg.products, host: o.host,
        ...(o.port !== undefined ? { port: o.port } : {}), ...(cfg.chain ? { chain: cfg.chain } : {}), ...(cfg.dataChain ? { dataChain: cfg.dataChain } : {}), log,
      });
      const url = await gw.listen();
      process.stdout.write(JSON.stringify({ type: 'listening', url, ...gw.status() }) + '\n');
      log(`market gateway ${gw.did} on ${url}, for ${Object.keys(cfg.products).join(', ')}; Ctrl-C to stop`);
      await new Promise<void>((done) => {
        const stop = (): void => void gw.close().then(() => {
          const s = gw.status();
          process.stderr.write(`market gateway stopped: ${s.journaled} receipts journaled, ${s.committed} committed, ${s.pending} pending\n`);
          done();
        });
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    }));

  m.command('publish').description('publish an API product described in a JSON file, as its provider').argument('<file>', 'the product (docs/market.md#products)')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (file: string, o: Keyed) => {
      const s = await sdk();
      const { tx, result } = await s.publishProduct(await client(o), await loadKey(o.key, o.passwordEnv), readJsonFile(file, 'the product') as Parameters<typeof s.publishProduct>[2], { chain: o.chain });
      emit(o, { ...result, tx: tx.hash, height: tx.height }, () => `published ${result.id} version ${result.version} at height ${tx.height} of ${o.chain}`);
    }));

  m.command('delist').description('take one of your products off the market').argument('<id>')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: Keyed) => {
      const { result } = await (await sdk()).delistProduct(await client(o), await loadKey(o.key, o.passwordEnv), id, { chain: o.chain });
      emit(o, result, () => `${result.id} is ${result.status}`);
    }));

  m.command('list').description('the product catalog, newest first')
    .option('--category <c>', 'data-source, data-authorisation, computation, feedback or composite').option('--provider <did>', 'provider DID')
    .option('--max-price <fen>', 'a plan priced at most this (unit price or base fee, in fen)', intArg('--max-price')).option('--text <t>', 'words in the id, title or description')
    .option('--all', 'include delisted products').addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: Read & { category?: string; provider?: string; maxPrice?: number; text?: string; all?: boolean }) => {
      const ps = await (await sdk()).listProducts(await client(o), {
        chain: o.chain, ...(o.category ? { category: o.category } : {}), ...(o.provider ? { provider: o.provider } : {}),
        ...(o.maxPrice !== undefined ? { maxPrice: o.maxPrice } : {}), ...(o.text ? { text: o.text } : {}), includeDelisted: !!o.all,
      });
      emit(o, { products: ps }, () => ps.length ? ps.map((p) => `${p.id}  v${p.version}  ${p.category}  ${p.title}  plans: ${p.plans.map((x) => `${x.id} (${x.kind})`).join(', ')}  by ${p.provider}${p.status === 'listed' ? '' : '  [delisted]'}`) : 'no products');
    }));

  m.command('show').description('a product: OpenAPI digest, plans, contributors, gateways').argument('<id>').option('--version <n>', 'an earlier version', intArg('--version', 1))
    .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: Read & { version?: number }) => {
      const p = await (await sdk()).getProduct(await client(o), id, { chain: o.chain, ...(o.version ? { version: o.version } : {}) });
      emit(o, p, () => [
        `${p.id} v${p.version} (${p.status}) — ${p.title}${p.titleZh ? ` / ${p.titleZh}` : ''}`, `provider   ${p.provider}`, `category   ${p.category}`, `openapi    sm3 ${p.openapi}`,
        `contributors  data ${p.contributors.dataSource}  algorithm ${p.contributors.algorithm}  compute ${p.contributors.compute}`,
        ...p.plans.map((x) => `plan ${x.id} (${x.kind}, per ${x.unit}): base ${yuan(x.baseFee)} CNY incl. ${x.includedUnits}, ${yuan(x.unitPrice)} then ${yuan(x.tierPrice)} after ${x.tierUnits}; quota ${x.quota || '—'}; ${x.periods} × ${x.periodSeconds} s; shares ${x.shares.provider / 100}/${x.shares.dataSource / 100}/${x.shares.algorithm / 100}/${x.shares.compute / 100} %, tax ${x.withholdingBp / 100} %`),
        `gateways   ${p.gateways.join(', ')}`, ...(p.components.length ? [`components ${p.components.map((c) => c.product).join(', ')}`] : []),
      ]);
    }));

  m.command('subscribe').description('draft the plan\'s subscription contract; with --contract, subscribe once every party has signed it').argument('<product>')
    .requiredOption('--plan <id>', 'the plan').option('--contract <id>', 'the signed contract (step 2)').option('--start <ms>', 'start of period 1 (ms since the epoch; default now)', intArg('--start'))
    .addOption(keyOption('buyer key')).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (product: string, o: Keyed & { plan: string; contract?: string; start?: number }) => {
      const s = await sdk();
      const c = await client(o);
      const key = await loadKey(o.key, o.passwordEnv);
      if (o.contract) {
        const { result } = await s.subscribe(c, key, { product, plan: o.plan, contract: o.contract }, { chain: o.chain });
        emit(o, result, () => `subscribed to ${product} on plan ${o.plan}: subscription ${result.id}, ${result.periods} period(s) from ${new Date(result.start).toISOString()}`);
        return;
      }
      const d = await s.draftSubscription(c, key, product, o.plan, { chain: o.chain, ...(o.start !== undefined ? { start: o.start } : {}) });
      emit(o, d, () => [
        `drafted contract ${d.id} (fingerprint ${d.fingerprint})`,
        'every party signs it:  shulian contract sign ' + d.id + ' --fingerprint ' + d.fingerprint + ' --key <party>',
        ...Object.entries(d.parties).map(([role, did]) => `  ${role.padEnd(13)} ${did}`),
        `then:  shulian market subscribe ${product} --plan ${o.plan} --contract ${d.id} --key <buyer>`,
      ]);
    }));

  m.command('usage').description('a subscription\'s usage per period, as committed by the gateways, and each settlement').argument('<subscription>')
    .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: Read) => {
      const u = await (await sdk()).subscriptionUsage(await client(o), id, { chain: o.chain });
      emit(o, u, () => [
        `subscription ${id} to ${u.subscription.product} (plan ${u.subscription.plan}), ${u.subscription.settled}/${u.subscription.periods} period(s) settled`,
        ...u.periods.map((p) => `period ${p.period}: ${p.usage.calls} calls, ${p.usage.units} units${p.settled ? `, settled at height ${p.settled.stamp.height}` : ''}`),
      ]);
    }));

  m.command('settle').description('settle a subscription\'s period through its contract (anyone may, once the period and its grace have ended)').argument('<subscription>')
    .requiredOption('--period <n>', 'the period', intArg('--period', 1))
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: Keyed & { period: number }) => {
      const { result } = await (await sdk()).settlePeriod(await client(o), await loadKey(o.key, o.passwordEnv), { subscription: id, period: o.period }, { chain: o.chain });
      emit(o, result, () => `period ${result.period} of ${id} settled: ${result.units} units; the contract emitted its settlement instructions`);
    }));

  m.command('revenue').description('a provider\'s revenue: each contributor\'s share of every settled period, tax withheld, and the payment status').requiredOption('--provider <did>', 'the provider')
    .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: Read & { provider: string }) => {
      const r = await (await sdk()).providerRevenue(await client(o), o.provider, { chain: o.chain });
      emit(o, r, () => [
        `provider ${o.provider}: ${r.products.length} product(s), ${r.subscriptions} subscription(s); gross ${yuan(r.gross)} CNY`,
        ...Object.entries(r.byRecipient).map(([did, v]) => `  ${did}  received ${yuan(v.received)}  withheld ${yuan(v.withheld)}  (${v.paid} paid, ${v.open} open)`),
      ]);
    }));
  return m;
}
