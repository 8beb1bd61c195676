/**
 * Cross-chain commands.
 *   shulian gateway --key gw.json --chains sign,settle [--chain-api sign=http://…] [--xroute xroute]
 *       run a gateway (relayer) process for this organisation's DID until SIGINT/SIGTERM
 *   shulian gateway --key gw.json --chains alpha --evm eth-dev=http://…:8545,0x… --evm-key gw-evm.hex
 *       the same, also relaying tokens between alpha and an EVM chain (XEndpoint, k-of-n attestations)
 *   shulian xchain send --chain sign --to settle --payload '{"hello":1}' --key k.json   a plain message (port xchain → xchain)
 *   shulian xchain transfer --chain sign --to settle --denom CNY-T --amount 100 --receiver did:… --key k.json
 *   shulian xchain status sign/settle/1        a message with its path
 *   shulian xchain channels --chain sign       counterparties, light clients, packets sent
 *   shulian xchain messages                    recent messages on the node's chains
 * Register with `program.addCommand(xchainCommand())` and `program.addCommand(gatewayCommand())`.
 */
import { Command, Option } from 'commander';
import { foreign, ShulianError, type JsonValue } from '../../codec/index.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

const client = async (api: string) => new (await import('../../sdk/index.ts')).ShulianClient({ baseUrl: api });
const loadKey = async (file: string, passwordEnv: string | undefined) => (await import('../keyfile.ts')).loadKey(file, passwordEnv);



interface SendOpts extends CommonOptions { chain: string; to: string; port: string; payload: string; key: string; passwordEnv?: string; timeoutMs?: string; wait?: boolean }
interface TransferOpts extends CommonOptions { chain: string; to: string; denom: string; amount: string; receiver: string; key: string; passwordEnv?: string; wait?: boolean }

async function sendAndReport(o: CommonOptions & { chain: string; key: string; passwordEnv?: string; wait?: boolean }, module: string, method: string, args: JsonValue, to: string): Promise<void> {
  const key = await loadKey(o.key, o.passwordEnv);
  const c = await client(apiUrl(o));
  const hash = await c.send(o.chain, key, { module, method, args });
  const tx = await c.waitForTx(hash);
  if (tx.receipt.status !== 'ok') throw new ShulianError(foreign(tx.receipt.code) ?? 'TX_FAILED', tx.receipt.message ?? 'the transaction failed');
  const sent = tx.receipt.result as { sequence: number; packetId: string };
  const id = `${o.chain}/${to}/${sent.sequence}`;
  if (!o.wait) {
    emit(o, { tx: hash, id, sequence: sent.sequence }, () => [`sent ${id} in tx ${hash}`, `follow it: shulian xchain status ${id}`]);
    return;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const st = (await c.state(o.chain, `xchain/st/${to}/${sent.sequence}`)).value as { status: string; ack?: { ok: boolean; code?: string; message?: string } } | null;
    if (st && st.status !== 'sent') {
      emit(o, { tx: hash, id, ...st }, () => `${id}: ${st.status}${st.ack ? (st.ack.ok ? ' (ok)' : ` (error ${st.ack.code}: ${st.ack.message})`) : ''}`);
      return;
    }
    if (Date.now() > deadline) throw new ShulianError('XCHAIN_WAIT', `${id} was not acknowledged within 60 s; is a gateway running for ${o.chain} and ${to}? Check later with shulian xchain status ${id}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function xsend(o: SendOpts): Promise<void> {
  let payload: JsonValue;
  try {
    payload = JSON.parse(o.payload) as JsonValue;
  } catch (err) {
    throw usage(`--payload must be JSON (${(err as Error).message})`);
  }
  const args: { [k: string]: JsonValue } = { dstChain: o.to, dstPort: o.port, payload };
  if (o.timeoutMs !== undefined) {
    if (!/^\d+$/.test(o.timeoutMs)) throw usage('--timeout-ms must be a whole number of milliseconds');
    args.timeoutTime = Date.now() + Number(o.timeoutMs);
  }
  try {
    await sendAndReport(o, 'xchain', 'send', args, o.to);
  } catch (err) {
    // The chain refuses a message from a DID to a module's port (XCHAIN_PORT_MISMATCH): say what to use instead.
    if (err instanceof ShulianError && err.code === 'XCHAIN_PORT_MISMATCH') {
      throw new ShulianError(err.code, `${err.message}. \`shulian xchain send\` carries plain messages to port xchain only: leave out --port`);
    }
    throw err;
  }
}

async function xtransfer(o: TransferOpts): Promise<void> {
  await sendAndReport(o, 'xtransfer', 'send', { dstChain: o.to, denom: o.denom, amount: o.amount, receiver: o.receiver }, o.to);
}

async function xstatus(id: string, o: CommonOptions): Promise<void> {
  const m = /^([a-z][a-z0-9-]*)\/([a-z][a-z0-9-]*)\/(\d+)$/.exec(id);
  if (!m) throw usage('give the message as <source chain>/<destination chain>/<sequence>, e.g. sign/settle/1');
  const c = await client(apiUrl(o));
  const { messages } = await c.getJson<{ messages: Array<{ id: string; status: string; path: Array<{ step: string; chain: string; height: number; by: string; ok?: boolean }> }> }>('/xchain/messages?limit=500');
  const msg = messages.find((x) => x.id === id);
  if (!msg) {
    const st = (await c.state(m[1]!, `xchain/st/${m[2]}/${m[3]}`)).value;
    if (!st) throw new ShulianError('NOT_FOUND', `no message ${id} on this node's chains`);
    emit(o, st, () => JSON.stringify(st, null, 2));
    return;
  }
  emit(o, msg, () => [`${msg.id}: ${msg.status}`, ...msg.path.map((p) => `  ${p.step.padEnd(13)} ${p.chain}@${p.height} by ${p.by}${p.ok === undefined ? '' : p.ok ? ' ok' : ' error'}`)]);
}

async function xchannels(o: CommonOptions & { chain: string }): Promise<void> {
  const c = await client(apiUrl(o));
  const r = await c.getJson<{ channels: Array<{ chain: string; engine: string; status: string; sent: number; gateways: string[]; client?: { latestHeight: number } }> }>(`/chains/${encodeURIComponent(o.chain)}/xchain/channels`);
  emit(o, r, () => r.channels.length ? r.channels.map((ch) => `${o.chain} → ${ch.chain.padEnd(10)} ${ch.engine.padEnd(8)} ${ch.status.padEnd(9)} sent ${ch.sent}  client@${ch.client?.latestHeight ?? '-'}  gateways ${ch.gateways.length}`) : `${o.chain} has synced no routes yet (a gateway brings them from the routing chain)`);
}

async function xmessages(o: CommonOptions & { limit?: string }): Promise<void> {
  const c = await client(apiUrl(o));
  const r = await c.getJson<{ messages: Array<{ id: string; status: string; packet: { dstPort: string } }> }>(`/xchain/messages?limit=${Number(o.limit ?? 20)}`);
  emit(o, r, () => r.messages.length ? r.messages.map((m) => `${m.id.padEnd(24)} ${m.packet.dstPort.padEnd(10)} ${m.status}`) : 'no cross-chain messages yet');
}

export function xchainCommand(): Command {
  const x = new Command('xchain').description('cross-chain messages: send, transfer tokens, follow a message\'s path, list channels');
  x.command('send').description('send a plain message from your DID to port xchain on another chain')
    .requiredOption('--chain <id>', 'source chain').requiredOption('--to <id>', 'destination chain')
    .option('--port <port>', 'destination port: xchain, the plain-message port (a DID cannot send to a module\'s port; use that module\'s command, e.g. xchain transfer)', 'xchain').option('--payload <json>', 'message payload (JSON)', 'null')
    .option('--timeout-ms <ms>', 'time out this long after now (destination block time)').option('--wait', 'wait for the acknowledgement')
    .addOption(keyOption('sender')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[], SendOpts>(xsend));
  x.command('transfer').description('send tokens to a DID on another chain (escrow here, voucher there; refunded on error or timeout)')
    .requiredOption('--chain <id>', 'source chain').requiredOption('--to <id>', 'destination chain')
    .requiredOption('--denom <name>', 'token (e.g. CNY-T, or a voucher such as sign/CNY-T)').requiredOption('--amount <n>', 'integer amount in minor units')
    .requiredOption('--receiver <did>', 'receiving DID').option('--wait', 'wait for the acknowledgement')
    .addOption(keyOption('sender')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[], TransferOpts>(xtransfer));
  x.command('status').description('a message and its path: sent, received (by which gateway), acknowledged or timed out')
    .argument('<id>', '<source>/<destination>/<sequence>').addOption(apiOption()).addOption(jsonOption())
    .action(run<[string], CommonOptions>(xstatus));
  x.command('channels').description('counterparties a chain has synced from the routing chain, with light-client heights')
    .requiredOption('--chain <id>', 'chain').addOption(apiOption()).addOption(jsonOption())
    .action(run<[], CommonOptions & { chain: string }>(xchannels));
  x.command('messages').description('recent cross-chain messages on the node\'s chains')
    .option('--limit <n>', 'how many', '20').addOption(apiOption()).addOption(jsonOption())
    .action(run<[], CommonOptions & { limit?: string }>(xmessages));
  return x;
}

interface GatewayOpts extends CommonOptions {
  key: string; passwordEnv?: string; chains: string; chainApi?: string[]; xroute: string;
  evm?: string[]; evmKey?: string; evmKeyEnv?: string; evmNative?: string;
}

/** An EVM chain for `shulian gateway --evm <id>=<rpc url>,<XEndpoint address>[,<deploy block>]`. */
export interface EvmChainSpec {
  id: string;
  url: string;
  address: string;
  fromBlock?: number;
}

export function parseEvmSpec(flag: string): EvmChainSpec {
  const m = /^([a-z][a-z0-9-]{0,31})=(https?:\/\/[^,\s]+),(0x[0-9a-fA-F]{40})(?:,(\d{1,15}))?$/.exec(flag);
  if (!m) throw usage(`--evm takes <chain id>=<rpc url>,<XEndpoint address>[,<block it was deployed in>], e.g. eth-dev=http://127.0.0.1:8545,0x5FbDB2315678afecb367f032d93F642f64180aa3; not "${flag}"`);
  return { id: m[1]!, url: m[2]!, address: m[3]!.toLowerCase(), ...(m[4] ? { fromBlock: Number(m[4]) } : {}) };
}

/**
 * The gateway's secp256k1 key on EVM chains (0x and 64 hex digits): from a file (`--evm-key`,
 * whose only content is the key) or an environment variable (`--evm-key-env`). Never printed.
 */
export async function readEvmKey(o: { evmKey?: string; evmKeyEnv?: string }): Promise<string> {
  if (o.evmKey && o.evmKeyEnv) throw usage('give the EVM key once: --evm-key <file> or --evm-key-env <variable>');
  let raw: string | undefined;
  let where: string;
  if (o.evmKey) {
    where = `--evm-key file ${o.evmKey}`;
    try {
      raw = (await import('node:fs')).readFileSync(o.evmKey, 'utf8');
    } catch (err) {
      throw new ShulianError('KEY_FILE', `cannot read ${where} (${(err as { code?: string }).code ?? String(err)})`);
    }
  } else if (o.evmKeyEnv) {
    where = `environment variable ${o.evmKeyEnv}`;
    raw = process.env[o.evmKeyEnv];
    if (raw === undefined) throw usage(`${where} (--evm-key-env) is not set`);
  } else {
    throw usage('--evm needs the gateway\'s secp256k1 account on the EVM chain: --evm-key <file> or --evm-key-env <variable>');
  }
  const key = raw.trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw usage(`${where} must hold a secp256k1 private key: 64 hex digits, optionally after 0x`);
  return key.startsWith('0x') ? key : `0x${key}`;
}

export interface EvmGatewaysOptions {
  /** The gateway's DID key (its native attestations; registered in the EVM chain's route). */
  key: import('../../crypto/index.ts').KeyPair;
  /** Native chains that exchange tokens with the EVM chains (one EvmGateway per pair). */
  natives: import('../../crosschain/index.ts').ChainEndpoint[];
  /** The routing chain: the native chains' registrations, trust roots of the gateway's light clients. */
  xroute: import('../../crosschain/index.ts').ChainEndpoint;
  evm: EvmChainSpec[];
  /** The gateway's secp256k1 account on the EVM chains (one of XEndpoint's gateways). */
  evmKey: string;
  idleMs?: number;
  log?: (line: string) => void;
}

/**
 * Starts an EvmGateway for every (native chain, EVM chain) pair, each with its own light client of
 * the native chain (trust root: the native chain's registration on the routing chain). The
 * caller's native relay (`Gateway`) keeps the native chains' routes synced, which the EVM gateways
 * need before they can act. Repeated identical log lines are shown once.
 */
export async function startEvmGateways(o: EvmGatewaysOptions): Promise<{ gateways: Array<import('../../crosschain/evm/index.ts').EvmGateway>; account: string; stop(): Promise<void> }> {
  const { EvmEndpoint, EvmGateway, nativeClientOf } = await import('../../crosschain/evm/index.ts');
  const { readState } = await import('../../crosschain/index.ts');
  const { routeStateKey } = await import('../../modules/xroute/keys.ts');
  const gateways: Array<InstanceType<typeof EvmGateway>> = [];
  const endpoints: Array<InstanceType<typeof EvmEndpoint>> = [];
  const log = o.log ?? (() => {});
  const seen = new Map<string, string>();
  for (const spec of o.evm) {
    const ep = new EvmEndpoint({ id: spec.id, url: spec.url, address: spec.address, privateKey: o.evmKey, ...(spec.fromBlock !== undefined ? { fromBlock: spec.fromBlock } : {}) });
    endpoints.push(ep);
    for (const native of o.natives) {
      const route = await readState(o.xroute, routeStateKey(native.id));
      if (!route) throw new ShulianError('ROUTE_NOT_FOUND', `${native.id} is not registered on the routing chain ${o.xroute.id}; register it before relaying to ${spec.id}`);
      const tag = `${native.id}↔${spec.id}`;
      gateways.push(new EvmGateway({
        native, nativeKey: o.key, nativeClient: nativeClientOf(route), evm: ep, ...(o.idleMs !== undefined ? { idleMs: o.idleMs } : {}),
        log: (line) => {
          if (seen.get(tag) === line) return;
          seen.set(tag, line);
          log(`${tag}: ${line}`);
        },
      }));
    }
  }
  for (const g of gateways) g.start();
  return {
    gateways,
    account: endpoints[0]?.account ?? '',
    async stop() {
      await Promise.all(gateways.map((g) => g.stop()));
      await Promise.all(endpoints.map((e) => e.close()));
    },
  };
}

async function gateway(o: GatewayOpts): Promise<void> {
  const evmSpecs = (o.evm ?? []).map(parseEvmSpec);
  const evmKey = evmSpecs.length ? await readEvmKey(o) : undefined;
  if (!evmSpecs.length && (o.evmKey || o.evmKeyEnv || o.evmNative)) throw usage('--evm-key, --evm-key-env and --evm-native go with --evm <id>=<rpc url>,<XEndpoint address>');
  const key = await loadKey(o.key, o.passwordEnv);
  const { Gateway, httpEndpoint } = await import('../../crosschain/index.ts');
  const { didFromPublicKey } = await import('../../crypto/index.ts');
  const apis = new Map<string, string>();
  for (const pair of o.chainApi ?? []) {
    const m = /^([a-z][a-z0-9-]*)=(https?:\/\/.+)$/.exec(pair);
    if (!m) throw usage(`--chain-api takes <chain>=<url>, not "${pair}"`);
    apis.set(m[1]!, m[2]!);
  }
  const ids = o.chains.split(',').filter(Boolean);
  if (ids.length < (evmSpecs.length ? 1 : 2)) throw usage(evmSpecs.length ? '--chains needs the native chain(s) to relay with the EVM chain' : '--chains needs at least two chains to relay between');
  const evmNative = o.evmNative ? o.evmNative.split(',').filter(Boolean) : ids;
  const stray = evmNative.find((id) => !ids.includes(id));
  if (stray) throw usage(`--evm-native ${stray} is not one of --chains (${ids.join(', ')})`);
  // One client per node API: the native relay and the EVM gateways send from the same DID, and a
  // client hands out that sender's nonces one after another.
  const clients = new Map<string, Awaited<ReturnType<typeof client>>>();
  const endpoint = async (id: string) => {
    const api = apis.get(id) ?? apiUrl(o);
    if (!clients.has(api)) clients.set(api, await client(api));
    return httpEndpoint(clients.get(api)!, id, key);
  };
  const chains = await Promise.all(ids.map(endpoint));
  const xroute = await endpoint(o.xroute);
  const did = didFromPublicKey(key.publicKey);
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  const gw = new Gateway({ chains, xroute, log });
  gw.start();
  let evm: Awaited<ReturnType<typeof startEvmGateways>> | undefined;
  if (evmSpecs.length) {
    try {
      evm = await startEvmGateways({ key, natives: chains.filter((c) => evmNative.includes(c.id)), xroute, evm: evmSpecs, evmKey: evmKey!, log: (line) => log(`evm ${line}`) });
    } catch (err) {
      await gw.stop();
      throw err;
    }
  }
  const evmIds = evmSpecs.map((e) => e.id);
  emit(o, { status: 'running', did, chains: ids, ...(evm ? { evm: evmIds, evmAccount: evm.account } : {}) },
    () => `gateway ${did} relaying between ${ids.join(', ')}${evm ? ` and EVM chain${evmIds.length > 1 ? 's' : ''} ${evmIds.join(', ')} (account ${evm.account})` : ''} (routing chain ${o.xroute}); Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void Promise.all([gw.stop(), evm?.stop()]).then(() => {
        const e = evm?.gateways.reduce((a, g) => ({ onEvm: a.onEvm + g.stats.attestedOnEvm, onNative: a.onNative + g.stats.attestedOnNative }), { onEvm: 0, onNative: 0 });
        process.stderr.write(`gateway stopped: received ${gw.stats.received}, acknowledged ${gw.stats.acknowledged}, timed out ${gw.stats.timedOut}${e ? `; EVM attestations ${e.onEvm}, native attestations ${e.onNative}` : ''}\n`);
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function gatewayCommand(): Command {
  return new Command('gateway').description('run a cross-chain gateway (relayer) under your organisation\'s DID')
    .requiredOption('--chains <ids>', 'comma-separated chains to relay between')
    .option('--chain-api <chain=url...>', 'API of the node serving a chain, when not --api')
    .option('--xroute <id>', 'the routing chain', 'xroute')
    .option('--evm <id=url,address...>', 'also relay tokens with an EVM chain registered as attested: <chain id>=<rpc url>,<XEndpoint address>[,<deploy block>]')
    .option('--evm-key <file>', 'file holding this gateway\'s secp256k1 private key on the EVM chain(s) (hex), one of XEndpoint\'s gateways')
    .option('--evm-key-env <var>', 'environment variable holding that key instead')
    .option('--evm-native <ids>', 'the native chains that exchange with the EVM chain(s) (default: all of --chains)')
    .addOption(keyOption('gateway (its DID must be registered as a gateway of these chains)')).addOption(passwordEnvOption())
    .addOption(apiOption()).addOption(jsonOption())
    .action(run<[], GatewayOpts>(gateway));
}
