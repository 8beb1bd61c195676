/**
 * What a scenario runs beside the chains, in the process that runs it (`shulian scenario run`,
 * `shulian up --demo`): the cross-chain relay under the operator's DID (the gateway the scenario's
 * routes name), the organisations' privacy parties and the metering gateway (docs/privacy.md,
 * docs/market.md) — the project's own servers, each with its key. They use the client the
 * scenario itself runs on, so one client hands out the operator's nonces in order.
 */
import { mkdirSync } from 'node:fs';
import type { KeyPair } from '../crypto/index.ts';
import type { ScenarioServices } from '../scenarios/index.ts';
import type { ShulianClient } from '../sdk/index.ts';

export interface ScenarioRuntime {
  relay: (chains: string[]) => Promise<{ stop: () => Promise<void> }>;
  services: ScenarioServices;
}

export function scenarioRuntime(client: ShulianClient, operator: KeyPair): ScenarioRuntime {
  const relay = async (chains: string[]) => {
    const { Gateway, httpEndpoint } = await import('../crosschain/index.ts');
    const gw = new Gateway({ chains: chains.map((id) => httpEndpoint(client, id, operator)), xroute: httpEndpoint(client, 'xroute', operator) });
    gw.start();
    return { stop: async () => { await gw.stop(); } };
  };
  const services: ScenarioServices = {
    privacyParty: async (key, datasets) => {
      const { PartyServer } = await import('../privacy/index.ts');
      const server = new PartyServer({ key, client, datasets, chain: 'data' });
      const port = await server.listen(0, '127.0.0.1');
      return { url: `http://127.0.0.1:${port}`, stop: () => server.close() };
    },
    privacyRun: async (key, ask) => (await import('../privacy/index.ts')).runAsRequester(client, key, ask, { chain: 'data', timeoutMs: 120_000 }),
    meteringGateway: async (key, dataDir, products) => {
      const { MeteringGateway } = await import('../market/index.ts');
      mkdirSync(dataDir, { recursive: true });
      const gw = new MeteringGateway({ client, key, dataDir, products, host: '127.0.0.1' });
      const url = await gw.listen();
      return { url, pending: () => gw.status().pending, stop: () => gw.close() };
    },
  };
  return { relay, services };
}
