/**
 * `npm run bench -- statesync [--blocks N]` (issue #21 target: a new validator joins a chain of
 * 10⁵ blocks by state sync at least 10× faster than by replaying blocks).
 *
 * The chain: a tbft notary chain of three ed25519 validators (`shulian node` layout, an alliance
 * file naming only that chain, at most one tx a block), N blocks of one notary record each. Building 10⁵ blocks through
 * consensus takes hours, so the source is built here in process, through the real block path
 * (admission, execution, LMDB commit) into validator 1's data directory, each block with a commit
 * signed by all three validators — the blocks and commits a consensus run would have stored. On
 * /dev/shm when it exists; every node writes to the same kind of disk.
 *
 * Then real node processes over real sockets: validator 1 serves the chain (alone it cannot
 * commit, so the head stays at N) and a new validator joins it two ways, each from an empty data
 * directory, timed from its spawn until it reports height N with the source's state root:
 *   replay      validator 2: block sync from the peer, every block's commit verified and the
 *               block re-executed (the default);
 *   state sync  validator 3, `stateSync` in its config: offer checked against a header signed by
 *               the validator set (light client rooted at the genesis), chunks against the
 *               manifest, entries against the state root; taken by the server when asked.
 * value: state-sync ms; limit: replay ms; ratio = replay ÷ state sync (target ≥ 10).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../src/crypto/index.ts';
import { AdmissionPool, Chain } from '../src/chain/index.ts';
import { keySigner, signVote, verifyCommit, suiteVerifier } from '../src/consensus/tbft/messages.ts';
import { signTx, type Genesis } from '../src/ledger/index.ts';
import { modulesFor } from '../src/modules/index.ts';
import { DEFAULT_PARAMS, EMBEDDED_FOUNDER } from '../src/node/alliance.ts';
import { prepareCluster, type NodeConfig } from '../src/node/index.ts';
import { testGenesis } from '../test/helpers/chain.ts';
import { cliPath, freePort, nodeKey, repoRoot } from '../test/helpers/node-process.ts';
import { waitFor } from '../test/helpers/tmp.ts';
import { numberOption } from './lib/args.ts';
import type { BenchResult } from './result.ts';

interface ChainInfo { height: number; stateRoot: string }

/** Builds `blocks` blocks on `genesis` in `dir`, each with a commit signed by every validator. */
async function buildChain(genesis: Genesis, dir: string, keys: KeyPair[], blocks: number): Promise<{ ms: number; stateRoot: string }> {
  const pool = new AdmissionPool({ threads: 1 });
  const chain = await Chain.open({ genesis, dir, modules: modulesFor(genesis), admission: pool, validatorKey: keys[0]!, checkCalls: true, restoreMempool: false });
  const signers = keys.map((k) => keySigner('ed25519', k.privateKey));
  const user = (await import('../src/crypto/index.ts')).generateKeyPair('ed25519');
  const t0 = performance.now();
  // One tx per block (the genesis says maxBlockTxs 1); txs are admitted in batches ahead of the
  // blocks, while blocks are made, as a node admits clients' txs during consensus.
  const BATCH = 100;
  let submitted = 0;
  let admitted = 0;
  const submitNext = async (): Promise<void> => {
    const from = submitted;
    const n = Math.min(BATCH, blocks - from);
    submitted += n;
    const txs = Array.from({ length: n }, (_, k) => signTx(user, { chain: genesis.chain, module: 'notary', method: 'put', args: { hash: toHex(randomBytes(32)) }, nonce: from + k, expires: blocks + 10 }).tx);
    const rs = await chain.submit(txs);
    const bad = rs.findIndex((r) => !r.accepted);
    if (bad >= 0) throw new Error(`tx ${from + bad}: refused: ${JSON.stringify(rs[bad])}`);
    admitted = from + n;
  };
  let ahead: Promise<void> = Promise.resolve();
  const launch = (): void => {
    ahead = submitNext();
    ahead.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
  };
  try {
    launch();
    let time = genesis.time;
    for (let h = 1; h <= blocks; h++) {
      if (admitted === submitted && submitted < blocks && submitted - h < BATCH / 2) launch();
      if (h > admitted) await ahead; // the batch holding this block's tx
      const c = await chain.proposeBlock((time += 1000));
      if (!c || c.block.txs.length !== 1) throw new Error(`block ${h}: ${c ? c.block.txs.length : 'no'} txs proposed`);
      const commit = {
        chain: genesis.chain, height: h, round: 0, blockHash: c.block.hash,
        signatures: signers.map((s) => ({ validator: s.did, sig: signVote(s, genesis.chain, 'precommit', h, 0, c.block.hash).sig })),
      };
      if (h === 1) {
        const check = verifyCommit(commit, genesis.validators, genesis.chain, suiteVerifier('ed25519'));
        if (!check.ok) throw new Error(`the built commit does not verify: ${check.reason}`);
      }
      await chain.commitCandidate(c, commit);
      if (h % 10_000 === 0) process.stderr.write(`statesync: built ${h} blocks in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    return { ms: performance.now() - t0, stateRoot: chain.info().stateRoot };
  } finally {
    await ahead.catch(() => {});
    await chain.close();
    await pool.close();
  }
}

function startNode(configPath: string): { proc: ChildProcess; out: () => string; stop: () => Promise<void> } {
  const proc = spawn(process.execPath, [cliPath, 'node', '--config', configPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHULIAN_DEBUG: undefined } });
  let out = '';
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const kill = (): void => void proc.kill('SIGKILL');
  process.once('exit', kill);
  return {
    proc, out: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      const t = setTimeout(kill, 20_000);
      await exited;
      clearTimeout(t);
      process.removeListener('exit', kill);
    },
  };
}

async function info(api: string): Promise<ChainInfo | undefined> {
  try {
    const r = await fetch(`${api}/v1/chains/notary`, { signal: AbortSignal.timeout(5000) });
    return r.ok ? ((await r.json()) as ChainInfo) : undefined;
  } catch {
    return undefined;
  }
}

export default async function run(): Promise<BenchResult> {
  const blocks = Math.floor(numberOption('blocks', 'STATESYNC_BLOCKS', 100_000));
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'shulian-statesync-bench-'));
  const base = await freePort();
  const layout = prepareCluster(root, 3, base, base + 1000, 'ed25519');
  const keys = layout.nodes.map((n) => nodeKey(n.dir));
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  // An alliance of one tbft chain: the three validators, the notary module only.
  const createdAt = Date.now();
  const genesis = testGenesis('ed25519', keys[0]!, {
    alliance: 'shulian-local', consensus: { type: 'tbft' }, time: createdAt, params: { ...DEFAULT_PARAMS, maxBlockTxs: 1 },
    validators: keys.map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey), power: 1 })),
  });
  writeFileSync(layout.alliancePath, JSON.stringify({ alliance: 'shulian-local', createdAt, founder: EMBEDDED_FOUNDER, chains: [genesis] }, null, 2) + '\n');
  const c3 = JSON.parse(readFileSync(layout.nodes[2]!.configPath, 'utf8')) as NodeConfig;
  writeFileSync(layout.nodes[2]!.configPath, JSON.stringify({ ...c3, stateSync: { timeoutMs: 600_000 } }, null, 2) + '\n');
  const running: Array<ReturnType<typeof startNode>> = [];
  let current: ReturnType<typeof startNode> | undefined;
  try {
    const built = await buildChain(genesis, join(layout.nodes[0]!.dir, 'chains', 'notary'), keys, blocks);
    const server = startNode(layout.nodes[0]!.configPath);
    running.push(server);
    current = server;
    await waitFor(async () => (await info(apis[0]!))?.height === blocks, `validator 1 serving the built chain at height ${blocks}`, 300_000);

    /** Spawns validator i on its empty data directory and times it until it holds the source's head. */
    const join_ = async (i: number, what: string): Promise<{ ms: number; out: string }> => {
      const t0 = performance.now();
      const node = startNode(layout.nodes[i]!.configPath);
      running.push(node);
      current = node;
      await waitFor(async () => {
        if (node.proc.exitCode !== null) throw new Error(`validator ${i + 1} (${what}) exited`);
        const x = await info(apis[i]!);
        return x !== undefined && x.height >= blocks;
      }, `validator ${i + 1} to join by ${what}`, 3_600_000);
      const ms = performance.now() - t0;
      const x = (await info(apis[i]!))!;
      if (x.height === blocks && x.stateRoot !== built.stateRoot) throw new Error(`${what}: state root ${x.stateRoot}, the source has ${built.stateRoot}`);
      const out = node.out();
      await node.stop();
      return { ms, out };
    };
    const replay = await join_(1, 'replay');
    const synced = await join_(2, 'state sync');
    if (!/chain notary: started by state sync at height/.test(synced.out)) throw new Error(`validator 3 did not state-sync:\n${synced.out}`);
    await server.stop();
    return {
      bench: 'statesync', value: Math.round(synced.ms), unit: 'ms', limit: Math.round(replay.ms),
      limitWhat: `a new validator process replaying ${blocks} blocks from a peer (block sync, commits verified, blocks re-executed)`,
      ratio: Number((replay.ms / synced.ms).toFixed(1)), target: 10, blocks,
      buildMs: Math.round(built.ms), timedFrom: 'the joining node\'s spawn to its height = the source\'s',
      disk: root.startsWith('/dev/shm') ? 'tmpfs (/dev/shm)' : 'tmpdir',
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${current?.out().slice(-4000) ?? ''}`);
  } finally {
    await Promise.all(running.map((n) => (n.proc.exitCode === null ? n.stop() : undefined)));
    rmSync(root, { recursive: true, force: true });
  }
}
