/**
 * `npm run bench -- statesync [--blocks N]` (issue #21 target: a new validator joins a chain of
 * 10⁵ blocks by state sync at least 10× faster than by replaying blocks).
 *
 * The chain: a solo ed25519 chain of N blocks (default 100 000), one notary record per block,
 * built here through the real block path (admission, execution, LMDB commit), on /dev/shm when
 * it exists so that building it takes minutes rather than the hours of 10⁵ fsyncs; both ways of
 * joining write to the same kind of disk. Then a new node joins it two ways:
 *   replay      a fresh store validates and commits every block 1..N (re-execution, as block
 *               sync does, without the network);
 *   state sync  the offer is checked against the header (light client rooted at the genesis),
 *               every chunk against the manifest, the entries against the state root, and the
 *               store is started at N and opened (src/ledger/store/snapshot.ts, as a node does).
 * value: state-sync ms; limit: replay ms; ratio = replay ÷ state sync (target ≥ 10). The
 * exporting side's time (taken ahead of time on a serving node) is printed beside it, as is the
 * ratio with it counted.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { generateKeyPair } from '../src/crypto/index.ts';
import { AdmissionPool, Chain } from '../src/chain/index.ts';
import { lightStateFromGenesis, signTx } from '../src/ledger/index.ts';
import { importSnapshot, verifyChunk, verifyOffer } from '../src/ledger/store/index.ts';
import { builtinModules } from '../src/modules/index.ts';
import { testGenesis } from '../test/helpers/chain.ts';
import { numberOption } from './lib/args.ts';
import type { BenchResult } from './result.ts';

export default async function run(): Promise<BenchResult> {
  const blocks = Math.floor(numberOption('blocks', 'STATESYNC_BLOCKS', 100_000));
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'shulian-statesync-bench-'));
  const pool = new AdmissionPool({ threads: 1 });
  const validator = generateKeyPair('ed25519');
  const user = generateKeyPair('ed25519');
  const genesis = testGenesis('ed25519', validator);
  const open = (dir: string, key = false) => Chain.open({ genesis, dir: join(root, dir), modules: builtinModules, admission: pool, ...(key ? { validatorKey: validator } : {}) });
  try {
    // 1. The chain.
    const source = await open('source', true);
    const t0 = performance.now();
    let time = genesis.time;
    for (let h = 1; h <= blocks; h++) {
      const { tx } = signTx(user, { chain: 'notary', module: 'notary', method: 'put', args: { hash: toHex(randomBytes(32)) }, nonce: h - 1, expires: blocks + 10 });
      const [r] = await source.submit([tx]);
      if (!r?.accepted) throw new Error(`block ${h}: tx refused: ${JSON.stringify(r)}`);
      await source.produceBlock((time += 1000));
      if (h % 10_000 === 0) process.stderr.write(`statesync: built ${h} blocks in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    const buildMs = performance.now() - t0;

    // 2. Replay: every block validated (re-executed) and committed on a fresh store.
    const replayed = await open('replay');
    const r0 = performance.now();
    for (let h = 1; h <= blocks; h++) {
      const b = source.getBlock(h)!;
      await replayed.commitCandidate(await replayed.validateBlock(b, b.header.time));
    }
    const replayMs = performance.now() - r0;
    const replayRoot = replayed.info().stateRoot;
    await replayed.close();

    // 3. State sync: export on the serving side, then verify and import on the new node.
    const e0 = performance.now();
    const snap = await source.exportSnapshot();
    const exportMs = performance.now() - e0;
    const wire = JSON.parse(JSON.stringify(snap)) as typeof snap; // what arrives is a copy
    const s0 = performance.now();
    verifyOffer(lightStateFromGenesis(genesis), wire, blocks);
    const chunks = wire.chunks.map((c, i) => verifyChunk('ed25519', wire.manifest, i, c));
    await importSnapshot(join(root, 'synced'), genesis, wire, chunks);
    const synced = await open('synced');
    const syncMs = performance.now() - s0;
    const syncedRoot = synced.info().stateRoot;
    await synced.close();
    const headRoot = source.info().stateRoot;
    await source.close();
    if (replayRoot !== headRoot || syncedRoot !== headRoot) throw new Error(`roots differ: head ${headRoot}, replay ${replayRoot}, state sync ${syncedRoot}`);
    return {
      bench: 'statesync', value: Math.round(syncMs), unit: 'ms', limit: Math.round(replayMs), limitWhat: `replaying ${blocks} blocks on a fresh store`,
      ratio: Number((replayMs / syncMs).toFixed(1)), target: 10, blocks, entries: snap.manifest.entries, chunks: snap.manifest.chunks.length,
      exportMs: Math.round(exportMs), ratioWithExport: Number((replayMs / (syncMs + exportMs)).toFixed(1)), buildMs: Math.round(buildMs),
      disk: root.startsWith('/dev/shm') ? 'tmpfs (/dev/shm)' : 'tmpdir',
    };
  } finally {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  }
}
