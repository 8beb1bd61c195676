/**
 * shulian scenario run <rural|lowcarbon|medical|trade> --key operator.json [--password-env VAR] [--api URL] [--json]
 *   [--partner-evm <id>=<rpc url>,<XEndpoint address> --partner-evm-key-env VAR | --partner-evm-key FILE]   (trade)
 * Runs a scenario (scenarios/<name>/README.md) against a running alliance (shulian up): it creates
 * what it needs through governance with the operator's key and prints every step with links to
 * txs and proofs. The services a scenario runs beside the chains (the cross-chain relay, privacy
 * parties, a metering gateway: src/cli/scenario-runtime.ts) run in this process and stop when the
 * scenario ends.
 */
import { Command, Option } from 'commander';
import { ShulianError } from '../../codec/index.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

interface ScenarioFlags extends CommonOptions {
  key: string;
  passwordEnv?: string;
  partnerEvm?: string;
  partnerEvmKey?: string;
  partnerEvmKeyEnv?: string;
}

export function scenarioCommand(): Command {
  const cmd = new Command('scenario').description('the city-life, medical-research and trade scenarios (scenarios/*/README.md) against a running alliance');
  cmd.command('run').description('run a scenario: rural (乡村振兴), lowcarbon (低碳生活), medical (医研结合) or trade (航贸数链)').argument('<name>', 'rural, lowcarbon, medical or trade')
    .addOption(keyOption('the alliance operator\'s key (it proposes and votes in governance)')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .addOption(new Option('--partner-evm <spec>', 'trade: a partner EVM network, <chain id>=<rpc url>,<XEndpoint address> (XEndpoint deployed with the --partner-evm-key account as its one gateway)'))
    .addOption(new Option('--partner-evm-key <file>', 'trade: the partner account\'s secp256k1 key (file of 64 hex digits)'))
    .addOption(new Option('--partner-evm-key-env <var>', 'trade: the same, from an environment variable'))
    .action(run(async (name: string, o: ScenarioFlags) => {
      const { ShulianClient } = await import('../../sdk/index.ts');
      const { runScenario, formatReport } = await import('../../scenarios/index.ts');
      const partnerFlags = o.partnerEvm ?? o.partnerEvmKey ?? o.partnerEvmKeyEnv;
      if (partnerFlags !== undefined && name !== 'trade') throw usage('--partner-evm and its key are options of the trade scenario only');
      if (!o.partnerEvm && (o.partnerEvmKey || o.partnerEvmKeyEnv)) throw usage('--partner-evm-key(-env) needs --partner-evm <chain id>=<rpc url>,<XEndpoint address>');
      const xchain = await import('./xchain.ts');
      let spec: ReturnType<typeof xchain.parseEvmSpec> | undefined;
      let evmKey: string | undefined;
      if (o.partnerEvm) {
        try {
          spec = xchain.parseEvmSpec(o.partnerEvm);
        } catch {
          throw usage(`--partner-evm takes <chain id>=<rpc url>,<XEndpoint address>, e.g. partner-evm=http://127.0.0.1:8545,0x5FbDB2315678afecb367f032d93F642f64180aa3; not "${o.partnerEvm}"`);
        }
        if (!o.partnerEvmKey && !o.partnerEvmKeyEnv) throw usage('--partner-evm needs the partner account\'s key: --partner-evm-key <file> or --partner-evm-key-env <variable>');
        evmKey = await xchain.readEvmKey({ ...(o.partnerEvmKey ? { evmKey: o.partnerEvmKey } : {}), ...(o.partnerEvmKeyEnv ? { evmKeyEnv: o.partnerEvmKeyEnv } : {}) });
      }
      const operator = await (await import('../keyfile.ts')).loadKey(o.key, o.passwordEnv);
      const api = apiUrl(o).replace(/\/+$/, '');
      const onStep = o.json ? undefined : (s: { n: number; title: string }) => process.stderr.write(`  step ${s.n}: ${s.title}\n`);
      // The relay, privacy parties and metering gateway a scenario needs, over one API client.
      const { scenarioRuntime } = await import('../scenario-runtime.ts');
      const gc = new ShulianClient({ baseUrl: api });
      const { relay, services } = scenarioRuntime(gc, operator);
      const { httpEndpoint } = await import('../../crosschain/index.ts');
      let close = async (): Promise<void> => {};
      let partner: import('../../scenarios/index.ts').PartnerEvm | undefined;
      if (spec && evmKey) {
        const { EvmEndpoint } = await import('../../crosschain/evm/index.ts');
        const s = spec;
        const k = evmKey;
        const ep = new EvmEndpoint({ id: s.id, url: s.url, address: s.address, privateKey: k });
        close = () => ep.close();
        const account = ep.account!;
        partner = {
          id: s.id, address: s.address, account,
          async startGateway(natives: string[]) {
            const g = await xchain.startEvmGateways({ key: operator, natives: natives.map((id) => httpEndpoint(gc, id, operator)), xroute: httpEndpoint(gc, 'xroute', operator), evm: [s], evmKey: k });
            return { stop: () => g.stop() };
          },
          async fund(denom: string, amount: bigint) {
            const issued = await ep.issue(denom);
            // A later run finds its token issued already; any other failure is the network's answer.
            if (issued.status !== 'ok' && !/token exists/.test(issued.error ?? '')) throw new ShulianError('SCENARIO_FAILED', `XEndpoint.issue(${denom}) on ${s.id} failed: ${issued.error ?? issued.status}`);
            const m = await ep.mint(denom, account, amount);
            if (m.status !== 'ok') throw new ShulianError('SCENARIO_FAILED', `XEndpoint.mint(${denom}) on ${s.id} failed: ${m.error ?? m.status}`);
            return { ...(m.hash ? { hash: m.hash } : {}), ...(m.height !== undefined ? { height: m.height } : {}) };
          },
          async send(dst: string, denom: string, amount: bigint, receiver: string, timeoutMs: number) {
            const t = await ep.send(dst, denom, amount, receiver, { timeMs: timeoutMs });
            return { status: t.status, ...(t.hash ? { hash: t.hash } : {}), ...(t.height !== undefined ? { height: t.height } : {}), ...(t.error ? { error: t.error } : {}) };
          },
          balanceOf: (denom: string, acct: string) => ep.balanceOf(denom, acct),
        };
      }
      try {
        const report = await runScenario(name, gc, operator, { api, relay, services, ...(onStep ? { onStep } : {}), ...(partner ? { partner } : {}) });
        emit(o, report, () => formatReport(report));
      } finally {
        await close();
      }
    }));
  return cmd;
}
