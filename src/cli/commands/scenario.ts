/**
 * shulian scenario run <rural|lowcarbon|medical> --key operator.json [--password-env VAR] [--api URL] [--json]
 * Runs a scenario (issues #19, #26) against a running alliance (shulian up): it creates what it needs
 * through governance with the operator's key and prints every step with links to txs and proofs.
 * The services a scenario runs beside the chains (the cross-chain relay, privacy parties, a
 * metering gateway) run in this process and stop when the scenario ends.
 */
import { mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { apiUrl, emit, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';
import type { ScenarioServices } from '../../scenarios/index.ts';

export function scenarioCommand(): Command {
  const cmd = new Command('scenario').description('the city-life scenarios (scenarios/*/README.md) against a running alliance');
  cmd.command('run').description('run a scenario: rural (乡村振兴), lowcarbon (低碳生活) or medical (医研结合)').argument('<name>', 'rural, lowcarbon or medical')
    .addOption(keyOption('the alliance operator\'s key (it proposes and votes in governance)')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (name: string, o: CommonOptions & { key: string; passwordEnv?: string }) => {
      const { ShulianClient } = await import('../../sdk/index.ts');
      const { runScenario, formatReport } = await import('../../scenarios/index.ts');
      const operator = await (await import('../keyfile.ts')).loadKey(o.key, o.passwordEnv);
      const api = apiUrl(o).replace(/\/+$/, '');
      const onStep = o.json ? undefined : (s: { n: number; title: string }) => process.stderr.write(`  step ${s.n}: ${s.title}\n`);
      // The chains a scenario registers for cross-chain calls are relayed by the project's gateway
      // under the operator's DID (the gateway their routes name), over the node's API.
      const relay = async (chains: string[]) => {
        const { Gateway, httpEndpoint } = await import('../../crosschain/index.ts');
        const gc = new ShulianClient({ baseUrl: api });
        const gw = new Gateway({ chains: chains.map((id) => httpEndpoint(gc, id, operator)), xroute: httpEndpoint(gc, 'xroute', operator) });
        gw.start();
        return { stop: () => gw.stop() };
      };
      // The medical scenario's organisations run their privacy parties and the association its
      // metering gateway: the project's own servers (docs/privacy.md, docs/market.md), each with its key.
      const sc = new ShulianClient({ baseUrl: api });
      const services: ScenarioServices = {
        privacyParty: async (key, datasets) => {
          const { PartyServer } = await import('../../privacy/index.ts');
          const server = new PartyServer({ key, client: sc, datasets, chain: 'data' });
          const port = await server.listen(0, '127.0.0.1');
          return { url: `http://127.0.0.1:${port}`, stop: () => server.close() };
        },
        privacyRun: async (key, ask) => (await import('../../privacy/index.ts')).runAsRequester(sc, key, ask, { chain: 'data', timeoutMs: 120_000 }),
        meteringGateway: async (key, dataDir, products) => {
          const { MeteringGateway } = await import('../../market/index.ts');
          mkdirSync(dataDir, { recursive: true });
          const gw = new MeteringGateway({ client: sc, key, dataDir, products, host: '127.0.0.1' });
          const url = await gw.listen();
          return { url, pending: () => gw.status().pending, stop: () => gw.close() };
        },
      };
      const report = await runScenario(name, new ShulianClient({ baseUrl: api }), operator, { api, relay, services, ...(onStep ? { onStep } : {}) });
      emit(o, report, () => formatReport(report));
    }));
  return cmd;
}
