import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainView } from '../chain/index.ts';
import { didFromPublicKey, type Suite } from '../crypto/index.ts';
import { ShulianError } from '../codec/index.ts';
import { CONSOLE_DIST, buildApi, type ApiOptions } from '../api/index.ts';
import { ShulianNode, type NodeOpenOptions } from './node.ts';
import { Gateway, localEndpoint } from '../crosschain/index.ts';
import { ExternalChains, loadExternalChains, type ExternalChainConfig, type ExternalChainsOptions } from './external.ts';
import { bootstrapSandbox, sandboxKeys, startSandbox, type RunningSandbox, type SandboxInfo } from './sandbox.ts';
import { SupervisionService, SupervisionStore, nodeFeed, type SupervisionOptions, type Webhook } from '../supervision/index.ts';
import type { Indexer, PgIndex } from '../indexer/index.ts';
import { ShulianHttp } from '../sdk/index.ts';

/** The node's own gateway over the chains it hosts, for the chains whose genesis registers it as one. */
function startEmbeddedGateway(node: ShulianNode, log: (line: string) => void): Gateway | undefined {
  const xroute = node.chains().find((c) => c.genesis.modules.includes('xroute'));
  const routes = (xroute?.genesis.crossChain?.routes ?? []) as Array<{ chain?: string; gateways?: Array<{ did?: string }> }>;
  const mine = routes.filter((r) => r.gateways?.some((g) => g.did === node.did)).map((r) => r.chain!);
  const chains = node.chains().filter((c) => mine.includes(c.id) && c.genesis.modules.includes('xchain'));
  if (!xroute || chains.length < 2) return undefined;
  const gw = new Gateway({
    chains: chains.map((c) => localEndpoint(c, node.key)),
    xroute: localEndpoint(xroute, node.key),
    log: (line) => log(`gateway: ${line}`),
  });
  gw.start();
  log(`gateway: relaying between ${chains.map((c) => c.id).join(', ')}`);
  return gw;
}

export { ShulianNode, VERSION, type AllianceFile, type NodeOpenOptions } from './node.ts';
export { loadNodeConfig, nodeConfigSchema, type NodeConfig } from './config.ts';
export { TbftDriver } from '../consensus/index.ts';
export { prepareCluster, type ClusterLayout } from './cluster.ts';
export { backupDataDir, restoreDataDir, type BackupManifest } from './backup.ts';
export { EMBEDDED_CHAINS, DEFAULT_PARAMS, embeddedGeneses } from './alliance.ts';
export { LIGHT_KDF_ENV, NODE_PASSWORD_ENV, newKeystoreOptions } from './keys.ts';
export { SANDBOX_DEFAULTS, sandboxKeys, type SandboxInfo } from './sandbox.ts';
export { didSenderAuthority, governanceAdmissionRule, governanceAllianceRule } from './admission.ts';
export {
  ExternalChains, EXTERNAL_CHAINS_FILE, externalChainSchema, loadExternalChains, parseExternalChains,
  type ExternalChainConfig, type ExternalChainsOptions,
} from './external.ts';

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
  /** This node's mempool policy (docs/operations.md#limits). */
  mempool?: NodeOpenOptions['mempool'];
  /** State sync of chains that hold no blocks yet (docs/operations.md#state-sync). */
  stateSync?: NodeOpenOptions['stateSync'];
  snapshotInterval?: number;
  minFreeBytes?: number;
  /**
   * Run a gateway in this process for the chains it hosts, when the routing chain's registry
   * names this node as a gateway (the embedded alliance does). Default true.
   */
  gateway?: boolean;
  /** Extra gateways registered when the embedded alliance is first created. */
  gateways?: NodeOpenOptions['gateways'];
  /**
   * Chains on other engines to follow read-only, on top of those in
   * `<dataDir>/external-chains.json` (docs/engines.md#external-chains-on-a-node).
   */
  external?: ExternalChainConfig[];
  /** Refresh interval and timeout of the external chains. */
  externalOptions?: ExternalChainsOptions;
  /**
   * The SANDBOX of a development alliance (`shulian up`): a sandbox issuer, a tax policy and the
   * faucet on the settlement chain, and the sandbox rail with its deposit watcher in this
   * process (src/node/sandbox.ts). Default false.
   */
  sandbox?: boolean;
  /**
   * The embedded supervision service (docs/supervision.md): on by default when the node hosts a
   * governance chain; its store is `<dataDir>/supervision.lmdb`. `false` turns it off.
   */
  supervision?: false | { webhooks?: Webhook[]; webhookRetry?: SupervisionOptions['webhookRetry'] };
  /**
   * A PostgreSQL database for the explorer (docs/explorer.md): the node indexes its chains there
   * and serves /v1/explorer/* from it.
   */
  pg?: string;
}

export interface RunningNode {
  url: string;
  did: string;
  node: ShulianNode;
  chains(): ChainView[];
  /** The external chains the node follows. */
  external: ExternalChains;
  /** The web console: its URL, and whether it is built (console/dist) so the URL serves it. */
  console: { url: string; built: boolean };
  /** The SANDBOX, when the node runs one (StartOptions.sandbox). */
  sandbox?: SandboxInfo;
  /** The embedded supervision service, when it runs. */
  supervision?: SupervisionService;
  close(): Promise<void>;
}

/** Opens the node's chains from `dataDir` (creating the embedded alliance on first start) and serves the API. */
export async function startNode(opts: StartOptions): Promise<RunningNode> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const node = await ShulianNode.open({
    dataDir: opts.dataDir, log, ...(opts.suite ? { suite: opts.suite } : {}), ...(opts.allianceFile ? { allianceFile: opts.allianceFile } : {}),
    ...(opts.p2p ? { p2p: opts.p2p } : {}), ...(opts.tbftTimeouts ? { tbftTimeouts: opts.tbftTimeouts } : {}),
    ...(opts.gateways ? { gateways: opts.gateways } : {}), ...(opts.mempool ? { mempool: opts.mempool } : {}),
    ...(opts.stateSync ? { stateSync: opts.stateSync } : {}), ...(opts.snapshotInterval ? { snapshotInterval: opts.snapshotInterval } : {}),
    ...(opts.minFreeBytes !== undefined ? { minFreeBytes: opts.minFreeBytes } : {}),
  });
  let api;
  let external: ExternalChains;
  // Started once the API listens; its backlog is read by the API's figures (GET /v1/node/stats).
  let gateway: Gateway | undefined;
  let supervision: SupervisionService | undefined;
  const stopSupervision = async (): Promise<void> => {
    await supervision?.close();
    await supervision?.store.close();
  };
  const gov = node.chains().find((c) => c.genesis.modules.includes('governance'));
  let pgIndex: PgIndex | undefined;
  // The explorer's indexer (and the pg driver) is loaded only by a node given a database.
  const explorer = opts.pg ? await import('../indexer/index.ts') : undefined;
  if (opts.pg && explorer) {
    try {
      pgIndex = await explorer.PgIndex.open(opts.pg);
    } catch (err) {
      await node.close();
      throw err;
    }
  }
  const stopIndex = async (): Promise<void> => {
    await pgIndex?.close().catch(() => undefined);
  };
  if (opts.supervision !== false && gov) {
    try {
      supervision = new SupervisionService({
        feed: nodeFeed(node), store: SupervisionStore.open(join(opts.dataDir, 'supervision.lmdb')), govChain: gov.id, log,
        ...(opts.supervision?.webhooks ? { webhooks: opts.supervision.webhooks } : {}),
        ...(opts.supervision?.webhookRetry ? { webhookRetry: opts.supervision.webhookRetry } : {}),
      });
      await supervision.start();
    } catch (err) {
      await stopSupervision();
      await stopIndex();
      await node.close();
      throw err;
    }
  }
  // The sandbox's records are committed before the API answers, so no client races them.
  const settle = opts.sandbox ? node.chains().find((c) => c.genesis.modules.includes('settlement')) : undefined;
  if (settle) {
    try {
      await bootstrapSandbox(settle, node.key, sandboxKeys(node.key), log);
    } catch (err) {
      await stopSupervision();
      await stopIndex();
      await node.close();
      throw err;
    }
  }
  try {
    const configs = [...loadExternalChains(opts.dataDir), ...(opts.external ?? [])];
    const clash = configs.find((c) => node.chain(c.id));
    if (clash) throw new ShulianError('CONFIG_INVALID', `external chain "${clash.id}" has the id of a chain this node hosts; give it another id`);
    external = new ExternalChains(configs, { log, ...opts.externalOptions });
  } catch (err) {
    await stopSupervision();
    await stopIndex();
    await node.close();
    throw err;
  }
  try {
    // The node serves its chains' status lists as credentials signed with its own key, issues
    // credentials as the operator (its own DID) unless told otherwise, and keeps the console's
    // sessions, work orders and audit log in <dataDir>/console.lmdb.
    const vc = { statusSigner: node.key, issuers: [node.key], ...opts.api?.vc };
    api = await buildApi(node, {
      ...opts.api, vc, metrics: { ...opts.api?.metrics, gateway: () => gateway?.backlog() }, console: { dataDir: opts.dataDir, ...opts.api?.console }, external, ...(supervision ? { supervision } : {}),
      ...(pgIndex && explorer ? { explorer: new explorer.ExplorerQueries(pgIndex.pool) } : {}),
    });
    log(`credentials: issuing as ${vc.issuers.map((i) => ('controller' in i ? i.controller : didFromPublicKey(i.publicKey))).join(', ')} (POST /credentials/issue)`);
    await api.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
  } catch (err) {
    // The API's onClose hooks stop what it started (the alarm service's timers read the node's
    // stores: left running, they would throw once the node is closed and end the process before
    // the caller could say why the start failed, e.g. PORT_IN_USE).
    await api?.close().catch(() => undefined);
    await stopSupervision();
    await stopIndex();
    await node.close();
    throw err;
  }
  const addr = api.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  let sandbox: RunningSandbox | undefined;
  if (settle) {
    try {
      // A wildcard listen address is reached on loopback.
      const local = ['0.0.0.0', '::'].includes(opts.host ?? '') ? `http://127.0.0.1:${port}` : url;
      sandbox = await startSandbox({ chain: settle, nodeKey: node.key, apiUrl: local, dataDir: opts.dataDir, log });
    } catch (err) {
      await api.close();
      await stopSupervision();
      await stopIndex();
      await node.close();
      throw err;
    }
  }
  gateway = opts.gateway === false ? undefined : startEmbeddedGateway(node, log);
  // The node indexes its own chains into the explorer's database, over its own API like any indexer.
  const local = ['0.0.0.0', '::'].includes(opts.host ?? '') ? `http://127.0.0.1:${port}` : url;
  const indexer: Indexer | undefined = pgIndex && explorer ? new explorer.Indexer({ index: pgIndex, sources: [new ShulianHttp({ baseUrl: local })], log }) : undefined;
  if (indexer) {
    await indexer.start();
    log(`explorer: indexing into ${explorer!.redact(opts.pg!)}`);
  }
  external.start();
  if (external.ids.length) log(`following external chains: ${external.ids.join(', ')}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    did: node.did,
    node,
    chains: () => node.chains(),
    external,
    console: { url: `${url}/console`, built: existsSync(join(CONSOLE_DIST, 'index.html')) },
    ...(supervision ? { supervision } : {}),
    ...(sandbox ? { sandbox: { issuer: sandbox.issuer, taxAuthority: sandbox.taxAuthority, currencies: sandbox.currencies, faucetPerDid: sandbox.faucetPerDid, railUrl: sandbox.railUrl, webhookUrl: sandbox.webhookUrl } } : {}),
    // In order: what sends txs or calls the API first, then the API, then the chains.
    close: () => (closing ??= (async () => {
      await gateway?.stop();
      await indexer?.close();
      await sandbox?.close();
      await external.close();
      await api.close();
      await stopSupervision();
      await stopIndex();
      await node.close();
    })()),
  };
}
