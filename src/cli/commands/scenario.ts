/**
 * shulian scenario run <rural|lowcarbon> --key operator.json [--password-env VAR] [--api URL] [--json]
 * Runs a scenario of issue #19 against a running alliance (shulian up): it creates what it needs
 * through governance with the operator's key and prints every step with links to txs and proofs.
 */
import { Command } from 'commander';
import type { KeyPair } from '../../crypto/index.ts';
import { apiUrl, emit, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

/**
 * The chains a scenario registers for cross-chain calls are relayed by the project's gateway
 * under the operator's DID (the gateway their routes name), over the node's API
 * (`shulian scenario run`, and `shulian up --demo`).
 */
export function operatorRelay(api: string, operator: KeyPair): (chains: string[]) => Promise<{ stop(): Promise<void> }> {
  return async (chains) => {
    const { ShulianClient } = await import('../../sdk/index.ts');
    const { Gateway, httpEndpoint } = await import('../../crosschain/index.ts');
    const gc = new ShulianClient({ baseUrl: api });
    const gw = new Gateway({ chains: chains.map((id) => httpEndpoint(gc, id, operator)), xroute: httpEndpoint(gc, 'xroute', operator) });
    gw.start();
    return { stop: () => gw.stop() };
  };
}

export function scenarioCommand(): Command {
  const cmd = new Command('scenario').description('the city-life scenarios (scenarios/*/README.md) against a running alliance');
  cmd.command('run').description('run a scenario: rural (乡村振兴) or lowcarbon (低碳生活)').argument('<name>', 'rural or lowcarbon')
    .addOption(keyOption('the alliance operator\'s key (it proposes and votes in governance)')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (name: string, o: CommonOptions & { key: string; passwordEnv?: string }) => {
      const { ShulianClient } = await import('../../sdk/index.ts');
      const { runScenario, formatReport } = await import('../../scenarios/index.ts');
      const operator = await (await import('../keyfile.ts')).loadKey(o.key, o.passwordEnv);
      const api = apiUrl(o).replace(/\/+$/, '');
      const onStep = o.json ? undefined : (s: { n: number; title: string }) => process.stderr.write(`  step ${s.n}: ${s.title}\n`);
      const relay = operatorRelay(api, operator);
      const report = await runScenario(name, new ShulianClient({ baseUrl: api }), operator, { api, relay, ...(onStep ? { onStep } : {}) });
      emit(o, report, () => formatReport(report));
    }));
  return cmd;
}
