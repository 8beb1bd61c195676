import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ShulianError } from '../../codec/index.ts';
import type { KeyPair } from '../../crypto/index.ts';
import { formatMinor } from '../../settlement/index.ts';

export interface UpOptions {
  dataDir: string;
  port: number;
  host: string;
  /** --public-url: where clients reach the API (status-list URLs, console sign-in origins). */
  publicUrl?: string;
  json?: boolean;
  validators?: number;
  /** false: do not run the node's own gateway (--no-gateway). */
  gateway?: boolean;
  /** did:publicKeyHex of further gateways to register on first start (--extra-gateway). */
  extraGateway?: string[];
  /** false: no SANDBOX issuer, faucet, tax policy or rail (--no-sandbox). */
  sandbox?: boolean;
  /** --issuer-key: keystore of the credential issuer key (default: the node key). */
  issuerKey?: string;
  issuerPasswordEnv?: string;
  /** --pg / --pg-env: the explorer's PostgreSQL database. */
  pg?: string;
  pgEnv?: string;
  /** --preset gov: the government application system (docs/gov.md). */
  preset?: string;
  /** --demo [a,b]: run the scenarios (all, or those listed) in the background once the node is up (docs/gov.md#demo). */
  demo?: boolean | string;
}

export const PRESETS = ['gov'] as const;

/** The credential issuer key of --issuer-key (or a node config's vc.issuerKey), opened now so a wrong password stops the start. */
export async function issuerKeyOf(file: string | undefined, passwordEnv: string | undefined): Promise<KeyPair | undefined> {
  if (file === undefined) return undefined;
  const { loadKey } = await import('../keyfile.ts');
  return loadKey(file, passwordEnv);
}

/** Starts the embedded alliance node and keeps it running until SIGINT / SIGTERM. */
export async function up(o: UpOptions): Promise<void> {
  if (o.preset !== undefined && !(PRESETS as readonly string[]).includes(o.preset)) throw new ShulianError('USAGE', `--preset is one of ${PRESETS.join(', ')}, not "${o.preset}"`);
  if ((o.validators ?? 1) > 1) {
    if (o.preset !== undefined || o.demo) throw new ShulianError('USAGE', '--preset and --demo apply to one node (shulian up without --validators); against a cluster, run `shulian scenario run` instead');
    if (o.issuerKey !== undefined) throw new ShulianError('USAGE', '--issuer-key applies to one node; for --validators N, set vc.issuerKey in the config of the node that should issue');
    if (o.pg !== undefined || o.pgEnv !== undefined) throw new ShulianError('USAGE', '--pg applies to one node; for --validators N, run shulian indexer --pg … --api <a node> beside the alliance');
    const { upCluster } = await import('./cluster.ts');
    return upCluster({ ...o, validators: o.validators! });
  }
  const gateways = (o.extraGateway ?? []).map((g) => {
    const m = /^(did:shulian:[1-9A-HJ-NP-Za-km-z]+)=([0-9a-f]+)$/.exec(g);
    if (!m) throw new ShulianError('USAGE', `--extra-gateway takes <did>=<public key hex> (see shulian keys show), not "${g}"`);
    return { did: m[1]!, publicKey: m[2]! };
  });
  const issuer = await issuerKeyOf(o.issuerKey, o.issuerPasswordEnv);
  const pg = o.pg ?? (o.pgEnv ? process.env[o.pgEnv] : undefined);
  if (o.pgEnv && !pg) throw new ShulianError('USAGE', `the environment variable ${o.pgEnv} is empty: put the PostgreSQL URL in it`);
  return runNode({
    dataDir: o.dataDir, port: o.port, host: o.host, ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}), ...(o.json ? { json: true } : {}),
    gateway: o.gateway !== false, gateways, sandbox: o.sandbox !== false, ...(issuer ? { issuer } : {}), ...(pg ? { pg } : {}),
    ...(o.preset === 'gov' ? { preset: 'gov' as const } : {}), ...(o.demo ? { demo: await demoScenarios(o.demo) } : {}),
  });
}

export interface RunNodeOptions {
  dataDir: string;
  port: number;
  host: string;
  publicUrl?: string;
  /** Requests per minute per client address by route class (node config `api.rateLimits`). */
  rateLimits?: Partial<Record<'reads' | 'writes' | 'auth', number>>;
  json?: boolean;
  allianceFile?: string;
  p2p?: { host: string; port: number; peers: string[] };
  gateway?: boolean;
  gateways?: Array<{ did: string; publicKey: string }>;
  /** Run the SANDBOX (issuer, faucet, tax policy, rail): the embedded alliance of `up` only. */
  sandbox?: boolean;
  /** Mempool policy from a node config (docs/operations.md#limits). */
  mempool?: { maxExpiryBlocks?: number | undefined; maxSenderBytes?: number | undefined; maxSenderGapped?: number | undefined };
  /** The credential issuer key (default: the node key, the operator's DID). */
  issuer?: KeyPair;
  /** State sync from a node config (docs/operations.md#state-sync). */
  stateSync?: { minHeight?: number | undefined; timeoutMs?: number | undefined };
  snapshotInterval?: number;
  minFreeBytes?: number;
  /** The explorer's PostgreSQL database (docs/explorer.md). */
  pg?: string;
  preset?: 'gov';
  /** The scenarios --demo runs, in order. */
  demo?: readonly string[];
}

/** --demo's scenarios: all of them, or the comma-separated names given, each checked before the node starts. */
async function demoScenarios(demo: true | string): Promise<readonly string[]> {
  const { SCENARIOS } = await import('../../scenarios/index.ts');
  if (demo === true) return SCENARIOS;
  const names = demo.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (!names.length || unknown.length) throw new ShulianError('USAGE', `--demo takes no value or a comma-separated list of scenarios among ${SCENARIOS.join(', ')}; not "${demo}"`);
  return names;
}

/** Starts one node process's node and keeps it running until SIGINT / SIGTERM. */
export async function runNode(o: RunNodeOptions): Promise<void> {
  const dataDir = resolve(o.dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ShulianError('DATA_DIR', `cannot create the data directory ${dataDir} (${(err as { code?: string }).code ?? String(err)}); choose another with --data-dir`);
  }
  const { startNode } = await import('../../node/index.ts');
  const log = (line: string): void => {
    process.stderr.write(line.endsWith('\n') ? line : line + '\n');
  };
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode({
      dataDir, port: o.port, host: o.host, log,
      ...(o.publicUrl || o.rateLimits || o.issuer ? {
        api: {
          ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}), ...(o.rateLimits ? { rateLimits: o.rateLimits } : {}),
          ...(o.issuer ? { vc: { issuers: [o.issuer] } } : {}),
        },
      } : {}),
      ...(o.allianceFile ? { allianceFile: o.allianceFile } : {}), ...(o.p2p ? { p2p: o.p2p } : {}),
      ...(o.gateway === false ? { gateway: false } : {}), ...(o.gateways?.length ? { gateways: o.gateways } : {}),
      ...(o.sandbox ? { sandbox: true } : {}), ...(o.pg ? { pg: o.pg } : {}),
      ...(o.mempool ? { mempool: Object.fromEntries(Object.entries(o.mempool).filter(([, v]) => v !== undefined)) } : {}),
      ...(o.stateSync ? { stateSync: Object.fromEntries(Object.entries(o.stateSync).filter(([, v]) => v !== undefined)) } : {}),
      ...(o.snapshotInterval ? { snapshotInterval: o.snapshotInterval } : {}),
      ...(o.minFreeBytes !== undefined ? { minFreeBytes: o.minFreeBytes } : {}),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE') {
      throw new ShulianError('PORT_IN_USE', `a port this node needs (API ${o.port}${o.p2p ? `, p2p ${o.p2p.port}` : ''}) is already in use; stop the other process or pick other ports`);
    }
    if (code === 'EACCES') {
      throw new ShulianError('PORT_DENIED', `not allowed to listen on ${o.host}:${o.port}; pick a port above 1023 with --port`);
    }
    throw err;
  }

  const sb = node.sandbox;
  if (o.json) {
    process.stdout.write(JSON.stringify({
      status: 'running', url: node.url, console: node.console.url, did: node.did, dataDir,
      nodeKey: join(dataDir, 'node', 'key.json'), ...(sb ? { sandbox: { ...sb, notice: 'SANDBOX: test money only, not real funds' } } : {}),
    }) + '\n');
  } else {
    process.stdout.write([
      'Shulian node running',
      `  API      ${node.url}/v1   (docs at ${node.url}/docs)`,
      `  console  ${node.console.url}${node.console.built ? '' : '   (not built here: run `npm run build`, then restart)'}`,
      `  node     ${node.did}   key ${join(dataDir, 'node', 'key.json')}`,
      `  data     ${dataDir}`,
      ...(sb ? [
        `  SANDBOX  test money only, not real funds: \`shulian settle faucet --key KEY\` gives up to ${formatMinor(sb.faucetPerDid, 'CNY')} ${sb.currencies.join('/')} per DID;`,
        `           rail ${sb.railUrl} (\`shulian settle deposit --rail ${sb.railUrl} …\`)`,
      ] : []),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'));
  }

  if (o.preset || o.demo) void populate(node, dataDir, o, log);

  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting without a clean shutdown\n`);
        process.exit(1);
      }
      stopping = true;
      if (!o.json) process.stderr.write(`${signal}: stopping the node…\n`);
      populating.stopped = true;
      node.close().then(
        () => {
          if (!o.json) process.stderr.write('node stopped\n');
          done();
        },
        (err: unknown) => {
          process.stderr.write(`error: the node did not close cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exitCode = 1;
          done();
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Started by `shulian up --validators N` (an IPC channel to it): stop when it goes away
    // without stopping this node (killed, crashed). unref: the channel alone keeps nothing alive.
    if (process.channel) {
      process.channel.unref();
      process.once('disconnect', () => { if (!stopping) stop('SIGTERM'); });
    }
  });
}

/** Set when the node stops, so the background work stops at its next step instead of failing on a closed node. */
const populating = { stopped: false };

/**
 * --preset gov and --demo, in the background of the node process once the API answers: the
 * government system first (docs/gov.md), then the scenarios, each logged. A failure is logged and
 * leaves the node running.
 */
async function populate(node: { url: string; node: { key: KeyPair } }, dataDir: string, o: RunNodeOptions, log: (line: string) => void): Promise<void> {
  const { ShulianClient } = await import('../../sdk/index.ts');
  const { newKeystoreOptions } = await import('../../node/index.ts');
  const scenarios = await import('../../scenarios/index.ts');
  const c = new ShulianClient({ baseUrl: node.url });
  const operator = node.node.key;
  const keystore = newKeystoreOptions();
  try {
    if (o.preset === 'gov') {
      const t0 = Date.now();
      log('preset gov: setting up the government application system (目录链, 身份链, 材料链, 签署链, 监管链)…');
      const r = await scenarios.ensureGovSystem(c, operator, { api: node.url, dir: join(dataDir, 'gov'), keystore, onStep: (s) => log(`preset gov: ${s.title}`) });
      log(`preset gov: ready in ${Math.round((Date.now() - t0) / 1000)} s — chains ${String(r.outcome.chains)}; agencies' keys in ${join(dataDir, 'gov', 'keys')}`);
    }
    if (o.demo && !populating.stopped) {
      const { scenarioRuntime } = await import('../scenario-runtime.ts');
      const { relay, services } = scenarioRuntime(c, operator);
      log(`demo: running the scenarios ${o.demo.join(', ')} in the background; the console fills as they go`);
      await scenarios.runDemo(c, operator, {
        api: node.url, dir: join(dataDir, 'demo'), scenarios: o.demo, keystore, log,
        run: (name, so) => scenarios.runScenario(name, c, operator, so), relay, services,
      });
    }
  } catch (err) {
    if (!populating.stopped) log(`error: ${o.preset === 'gov' ? 'preset gov' : 'demo'} stopped: ${err instanceof Error ? err.message : String(err)}`);
  }
}
