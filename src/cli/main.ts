/**
 * `shulian` command line. Only commander is loaded up front: each command imports what it needs
 * when it runs, and the command groups defined in their own files (did, vc, gov, …, whose imports
 * reach the SDK, zod and lmdb) are loaded only when the command line names them, or for the
 * full help. So `chain list`, `tx`, `notary` and `keys` start without them.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_API, action, action1, report, type CommonOptions } from './output.ts';
import { keyOption } from './options.ts';

/** Command groups defined in their own files: top-level name -> loader of its Command(s). */
const GROUPS: Record<string, () => Promise<Command[]>> = {
  did: async () => [(await import('./commands/did.ts')).didCommand()],
  vc: async () => [(await import('./commands/vc.ts')).vcCommand()],
  org: async () => [(await import('./commands/gov.ts')).orgCommand()],
  gov: async () => [(await import('./commands/gov.ts')).govCommand()],
  contract: async () => [(await import('./commands/contract.ts')).contractCommand()],
  settle: async () => [(await import('./commands/settle.ts')).settleCommand()],
  xchain: async () => [(await import('./commands/xchain.ts')).xchainCommand()],
  gateway: async () => [(await import('./commands/xchain.ts')).gatewayCommand()],
  xtx: async () => [(await import('./commands/xtx.ts')).xtxCommand()],
  supervise: async () => [(await import('./commands/supervise.ts')).superviseCommand()],
  indexer: async () => [(await import('./commands/indexer.ts')).indexerCommand()],
  data: async () => [(await import('./commands/data.ts')).dataCommand()],
  market: async () => [(await import('./commands/market.ts')).marketCommand()],
  collectible: async () => [(await import('./commands/tokens.ts')).collectibleCommand()],
  coupon: async () => [(await import('./commands/tokens.ts')).couponCommand()],
  carbon: async () => [(await import('./commands/tokens.ts')).carbonCommand()],
  scenario: async () => [(await import('./commands/scenario.ts')).scenarioCommand()],
  privacy: async () => [(await import('./commands/privacy.ts')).privacyCommand()],
  simulate: async () => [(await import('./commands/simulate.ts')).simulateCommand()],
  material: async () => [(await import('./commands/material.ts')).materialCommand()],
};
/** `chain` subcommands defined here; any other (`chain propose`, `chain --help`) loads gov.ts. */
const OWN_CHAIN_COMMANDS = new Set(['list', 'status']);

/** The words of the command line that are not options: the command path, then arguments. */
const words = (argv: string[]): string[] => argv.slice(2).filter((a) => !a.startsWith('-'));

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function intArg(what: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${what} must be a whole number.`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${what} must be between ${min} and ${max}.`);
    return n;
  };
}

const apiOption = (): Option =>
  new Option('--api <url>', `node API URL (default: $SHULIAN_API or ${DEFAULT_API})`);
const jsonOption = (): Option => new Option('--json', 'print JSON');
const passwordEnvOption = (): Option =>
  new Option('--password-env <var>', 'read the keystore password from this environment variable (default: ask at the terminal)');
const genesisOption = (): Option =>
  new Option('--genesis-hash <hex>', 'pin the chain\'s genesis hash: proofs are checked against its validators only if the node\'s genesis matches (without it: trust on first use, the genesis the node serves is pinned the first time in $SHULIAN_HOME/known-genesis.json, ~/.shulian by default, and a later mismatch fails)');

/**
 * The program for this command line, with only the group of GROUPS it names: none for this
 * file's own commands and for `--version`, all of them when it names no command (`--help`) or an
 * unknown one, so the help and the "did you mean" hints are complete.
 */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const [first, second] = words(argv);
  const program = new Command('shulian')
    .description('Shulian (数链): city blockchain alliance — node, keys, transactions and notarisation')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });

  program
    .command('up')
    .description('run the embedded alliance: one node hosting governance and the public service chains, with the API')
    .option('--data-dir <dir>', 'where the node keeps its keys and chain data', './.shulian')
    .option('--port <port>', 'API port', intArg('--port', 0, 65535), 7070)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'the address clients reach the API at (https://node.example): status-list URLs and console sign-ins name it (default: the listen address)')
    .option('--validators <n>', 'run N validator processes under tbft (N ≥ 4) instead of one solo node', intArg('--validators', 1, 64), 1)
    .option('--no-gateway', 'do not run the node\'s own cross-chain gateway')
    .option('--extra-gateway <did=pubkey...>', 'register further gateways (their own processes, `shulian gateway`) when the alliance is first created')
    .option('--no-sandbox', 'no SANDBOX: no test-money issuer, faucet, tax policy or sandbox rail on the settlement chain (one node only)')
    .option('--issuer-key <file>', 'keystore of the key POST /credentials/issue signs with, as that key\'s DID (default: the node key, the operator\'s DID)')
    .option('--issuer-password-env <var>', 'read the --issuer-key password from this environment variable (default: ask at the terminal)')
    .option('--pg <url>', 'a PostgreSQL database for the explorer: the node indexes its chains there and serves /v1/explorer/* from it (docs/explorer.md)')
    .option('--pg-env <var>', 'read the --pg URL from this environment variable (keeps a password out of the process list)')
    .option('--preset <name>', 'gov: on first start, set up the government application system — its chains and agencies (docs/gov.md)')
    .option('--demo [scenarios]', 'once the node is up, run the scenarios (all, or a comma-separated list such as rural,lowcarbon) against it in the background so the console shows a living alliance (docs/gov.md#demo)')
    .addOption(jsonOption())
    .action(action(async (o: { dataDir: string; port: number; host: string; publicUrl?: string; json?: boolean; validators: number; gateway?: boolean; extraGateway?: string[]; sandbox?: boolean; issuerKey?: string; issuerPasswordEnv?: string; pg?: string; pgEnv?: string; preset?: string; demo?: boolean | string }) => {
      const { up } = await import('./commands/up.ts');
      await up(o);
    }));

  program
    .command('node')
    .description('run one node of an alliance from its config file (keys, data, API and p2p addresses, peers, alliance file)')
    .requiredOption('--config <file>', 'node config file (JSON)')
    .addOption(jsonOption())
    .action(action(async (o: { config: string; json?: boolean }) => {
      const { nodeRun } = await import('./commands/node.ts');
      await nodeRun(o);
    }));

  program
    .command('backup')
    .description('copy a node\'s data directory into a new folder, consistently, while the node runs (docs/operations.md#backup-and-restore)')
    .requiredOption('--data-dir <dir>', 'the node\'s data directory')
    .requiredOption('--out <dir>', 'a new (or empty) folder for the backup')
    .addOption(jsonOption())
    .action(action(async (o: { dataDir: string; out: string; json?: boolean }) => {
      const { backupDataDir } = await import('../node/index.ts');
      const m = await backupDataDir(o.dataDir, o.out);
      if (o.json) process.stdout.write(JSON.stringify({ out: o.out, chains: m.chains, files: m.files.length }) + '\n');
      else process.stdout.write(`backed up ${o.dataDir} to ${o.out}: ${Object.entries(m.chains).map(([c, h]) => `${c}@${h.height}`).join(', ')} (${m.files.length} files)\n`);
    }));

  program
    .command('restore')
    .description('restore a backup made by `shulian backup` into a new data directory, after checking it')
    .requiredOption('--from <dir>', 'the backup folder')
    .requiredOption('--data-dir <dir>', 'a new (or empty) data directory to restore into')
    .addOption(jsonOption())
    .action(action(async (o: { from: string; dataDir: string; json?: boolean }) => {
      const { restoreDataDir } = await import('../node/index.ts');
      const m = await restoreDataDir(o.from, o.dataDir);
      if (o.json) process.stdout.write(JSON.stringify({ dataDir: o.dataDir, chains: m.chains }) + '\n');
      else process.stdout.write(`restored ${o.from} into ${o.dataDir}: ${Object.entries(m.chains).map(([c, h]) => `${c}@${h.height}`).join(', ')}\n`);
    }));

  const keys = program.command('keys').description('create and inspect keystores (encrypted key files)');
  keys
    .command('new')
    .description('create a key pair in an encrypted keystore: NAME is kept as $SHULIAN_HOME/keys/NAME.json (~/.shulian/keys), --out FILE anywhere; never overwrites')
    .argument('[name]', 'the key\'s name, e.g. alice (then --key alice signs with it)')
    .option('--out <file>', 'write the keystore to this file instead')
    .addOption(new Option('--suite <suite>', 'signature suite').choices(['sm2', 'ed25519']).default('sm2'))
    .addOption(passwordEnvOption())
    .addOption(jsonOption())
    .action(async (name: string | undefined, o: { out?: string; suite: 'sm2' | 'ed25519'; passwordEnv?: string; json?: boolean }) => {
      try {
        const { keysNew } = await import('./commands/keys.ts');
        await keysNew(name, o);
      } catch (err) {
        process.exitCode = report(err, o);
      }
    });
  keys
    .command('list')
    .description('the named keys in $SHULIAN_HOME/keys (~/.shulian/keys) with their DIDs; no password needed')
    .addOption(jsonOption())
    .action(action(async (o: { json?: boolean }) => {
      const { keysList } = await import('./commands/keys.ts');
      await keysList(o);
    }));
  keys
    .command('show')
    .description('print a keystore\'s DID, suite and public key (never the private key)')
    .addOption(keyOption())
    .addOption(passwordEnvOption())
    .addOption(jsonOption())
    .action(action(async (o: { key: string; passwordEnv?: string; json?: boolean }) => {
      const { keysShow } = await import('./commands/keys.ts');
      await keysShow(o);
    }));

  const chain = program.command('chain').description('chains hosted by a node');
  chain
    .command('list')
    .description('list the chains a node hosts, then the external chains it follows (marked with their engine)')
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(action(async (o: CommonOptions) => {
      const { chainList } = await import('./commands/chain.ts');
      await chainList(o);
    }));

  chain
    .command('status')
    .description('consensus state of a chain: height, round, step, validators and who is up, last commit; for an external chain: engine, reachability, height, finality, latest blocks')
    .argument('<chain>', 'chain id, e.g. notary')
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(action1(async (id: string, o: CommonOptions) => {
      const { chainStatus } = await import('./commands/chain.ts');
      await chainStatus(id, o);
    }));

  const tx = program.command('tx').description('send and look up transactions');
  tx
    .command('send')
    .description('sign a transaction locally and submit it')
    .requiredOption('--chain <id>', 'chain id, e.g. notary')
    .requiredOption('--module <name>', 'module, e.g. notary')
    .requiredOption('--method <name>', 'method, e.g. put')
    .option('--args <json>', 'method arguments as JSON', '{}')
    .addOption(keyOption())
    .addOption(passwordEnvOption())
    .option('--wait', 'wait until the transaction is in a block')
    .option('--expires-in <blocks>', 'blocks after the current height the tx stays valid', intArg('--expires-in', 1), 100)
    .option('--timeout <ms>', 'how long --wait waits', intArg('--timeout', 1), 30000)
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(action(async (o: Parameters<typeof import('./commands/tx.ts').txSend>[0]) => {
      const { txSend } = await import('./commands/tx.ts');
      await txSend(o);
    }));
  tx
    .command('get')
    .description('show a transaction; --verify checks its inclusion proof locally')
    .argument('<hash>', 'transaction hash (64 hex digits)')
    .option('--verify', 'check the Merkle proofs and the block signature against the chain\'s validators')
    .addOption(genesisOption())
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(action1(async (hash: string, o: Parameters<typeof import('./commands/tx.ts').txGet>[1]) => {
      const { txGet } = await import('./commands/tx.ts');
      await txGet(hash, o);
    }));

  const notary = program.command('notary').description('record files on the notary chain and verify them');
  notary
    .command('put')
    .description('record a file\'s SM3 hash on the notary chain and wait for the block')
    .argument('<file>', 'file to notarise (only its hash, size and the optional name/mime leave this machine)')
    .addOption(keyOption())
    .addOption(passwordEnvOption())
    .option('--chain <id>', 'notary chain id', 'notary')
    .option('--name <name>', 'a name to record with the hash')
    .option('--mime <type>', 'a media type to record with the hash')
    .option('--timeout <ms>', 'how long to wait for the block', intArg('--timeout', 1), 30000)
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(action1(async (file: string, o: Parameters<typeof import('./commands/notary.ts').notaryPutCmd>[1]) => {
      const { notaryPutCmd } = await import('./commands/notary.ts');
      await notaryPutCmd(file, o);
    }));
  notary
    .command('verify')
    .description('check that a file was recorded, verifying the state and transaction proofs locally')
    .argument('<file>', 'file to check')
    .option('--chain <id>', 'notary chain id', 'notary')
    .addOption(genesisOption())
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(action1(async (file: string, o: Parameters<typeof import('./commands/notary.ts').notaryVerifyCmd>[1]) => {
      const { notaryVerifyCmd } = await import('./commands/notary.ts');
      await notaryVerifyCmd(file, o);
    }));

  const own = new Set(program.commands.map((c) => c.name()));
  const grouped = first !== undefined && Object.hasOwn(GROUPS, first);
  const versionOnly = first === undefined && argv.slice(2).some((a) => a === '-V' || a === '--version');
  const all = (first === undefined && !versionOnly) || (first !== undefined && !own.has(first) && !grouped);
  if (all || (first === 'chain' && !OWN_CHAIN_COMMANDS.has(second ?? ''))) {
    const govCmds = await import('./commands/gov.ts');
    chain.addCommand(govCmds.chainProposeCommand());
    chain.addCommand(govCmds.chainPromoteCommand());
  }
  // Insertion order is the help's order: the groups keep the place they always had.
  const named = all ? Object.keys(GROUPS) : grouped ? [first!] : [];
  for (const name of named) for (const c of await GROUPS[name]!()) program.addCommand(c);

  return program;
}

/**
 * Ends the process once stdout and stderr are written. A finished command has nothing left to
 * do (the commands that serve — up, node, gateway — return only when they stop), but fetch's
 * idle keep-alive connection would hold the process open for up to a second more.
 */
async function finish(): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((done) => s.write('', () => done()))));
  process.exit();
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  program.exitOverride();
  for (const c of program.commands) {
    c.exitOverride();
    for (const s of c.commands) s.exitOverride();
  }
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return;
    }
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help/version) already.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = report(err);
  }
}

await main(process.argv);
await finish();
