/**
 * State-tree throughput: key updates/s applying blocks of 2000 random writes (70% overwrite,
 * 20% insert, 10% delete) to a tree pre-filled with 200k keys in a MemoryNodeStore, against the
 * ceiling of one SM3 hash per level of a log2(n)-deep path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree, type SmtUpdate } from '../src/ledger/smt/index.ts';

const PREFILL = 200_000;
const BATCH = 2000;
const BATCHES = 40;

// digest() returns a fresh Buffer (a Uint8Array): no extra copy on the hot path.
const sm3 = (d: Uint8Array): Uint8Array => createHash('sm3').update(d).digest();

function sm3PerSecond(ms: number): number {
  const input = randomBytes(65);
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 1000; i++) sm3(input);
    n += 1000;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

export default async function run(): Promise<{ bench: string; value: number; unit: string; limit: number; limitWhat: string; ratio: number }> {
  const hashesPerSec = sm3PerSecond(1000);

  const tree = new SparseMerkleTree(new MemoryNodeStore(), sm3);
  const keys: Uint8Array[] = [];
  const fill: SmtUpdate[] = [];
  for (let i = 0; i < PREFILL; i++) {
    const key = randomBytes(32);
    keys.push(key);
    fill.push({ key, value: randomBytes(32) });
  }
  let root = tree.update(EMPTY_ROOT, fill);

  // Prepare every batch up front so the timed loop is tree work only.
  const batches: SmtUpdate[][] = [];
  for (let b = 0; b < BATCHES; b++) {
    const batch: SmtUpdate[] = [];
    for (let i = 0; i < BATCH; i++) {
      const r = Math.random();
      if (r < 0.2) {
        const key = randomBytes(32);
        keys.push(key);
        batch.push({ key, value: randomBytes(32) });
      } else {
        const key = keys[Math.floor(Math.random() * keys.length)]!;
        batch.push({ key, value: r < 0.9 ? randomBytes(32) : null });
      }
    }
    batches.push(batch);
  }
  // Warm up the JIT on two blocks, then time the rest.
  root = tree.update(root, batches[0]!);
  root = tree.update(root, batches[1]!);
  const t0 = performance.now();
  for (let b = 2; b < BATCHES; b++) root = tree.update(root, batches[b]!);
  const secs = (performance.now() - t0) / 1000;
  const value = Math.round(((BATCHES - 2) * BATCH) / secs);
  const limit = Math.round(hashesPerSec / Math.log2(PREFILL));
  return {
    bench: 'smt',
    value,
    unit: 'updates/s',
    limit,
    limitWhat: 'SM3 hashes/s ÷ log2(n): the cost of one log-n path',
    ratio: Math.round((value / limit) * 100) / 100,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run()));
}
