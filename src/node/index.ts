import type { ChainView } from '../chain/index.ts';
import type { Suite } from '../crypto/index.ts';
import { buildApi, type ApiOptions } from '../api/index.ts';
import { ShulianNode, type NodeOpenOptions } from './node.ts';

export { ShulianNode, VERSION, type AllianceFile, type NodeOpenOptions } from './node.ts';
export { loadNodeConfig, nodeConfigSchema, type NodeConfig } from './config.ts';
export { TbftDriver } from './tbft-driver.ts';
export { prepareCluster, type ClusterLayout } from './cluster.ts';
export { EMBEDDED_CHAINS, DEFAULT_PARAMS, embeddedGeneses } from './alliance.ts';
export { NODE_PASSWORD_ENV } from './keys.ts';

export interface StartOptions {
  dataDir: string;
  port: number;
  host?: string;
  log?: (line: string) => void;
  api?: ApiOptions;
  /** Crypto suite of the embedded alliance, fixed at its first start (default sm2). */
  suite?: Suite;
  allianceFile?: string;
  p2p?: NodeOpenOptions['p2p'];
  tbftTimeouts?: NodeOpenOptions['tbftTimeouts'];
}

export interface RunningNode {
  url: string;
  did: string;
  node: ShulianNode;
  chains(): ChainView[];
  close(): Promise<void>;
}

/** Opens the node's chains from `dataDir` (creating the embedded alliance on first start) and serves the API. */
export async function startNode(opts: StartOptions): Promise<RunningNode> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const node = await ShulianNode.open({
    dataDir: opts.dataDir, log, ...(opts.suite ? { suite: opts.suite } : {}), ...(opts.allianceFile ? { allianceFile: opts.allianceFile } : {}),
    ...(opts.p2p ? { p2p: opts.p2p } : {}), ...(opts.tbftTimeouts ? { tbftTimeouts: opts.tbftTimeouts } : {}),
  });
  let api;
  try {
    // The node serves its chains' status lists as credentials signed with its own key.
    api = await buildApi(node, { ...opts.api, vc: { statusSigner: node.key, ...opts.api?.vc } });
    await api.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
  } catch (err) {
    await node.close();
    throw err;
  }
  const addr = api.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    did: node.did,
    node,
    chains: () => node.chains(),
    close: () => (closing ??= (async () => {
      await api.close();
      await node.close();
    })()),
  };
}
