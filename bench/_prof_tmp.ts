import { createHash, randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree, type SmtUpdate } from '../src/ledger/smt/index.ts';
const sm3 = (d: Uint8Array): Uint8Array => createHash('sm3').update(d).digest();
const tree = new SparseMerkleTree(new MemoryNodeStore(), sm3, { cacheSize: Number(process.env.CS ?? 65536) });
const fill: SmtUpdate[] = [];
for (let i = 0; i < 200000; i++) fill.push({ key: randomBytes(32), value: randomBytes(32) });
let root = tree.update(EMPTY_ROOT, fill);
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.start');
const t = performance.now();
for (let b = 0; b < 30; b++) {
  const batch = Array.from({ length: 2000 }, () => ({ key: fill[Math.floor(Math.random() * fill.length)]!.key, value: randomBytes(32) }));
  root = tree.update(root, batch);
}
console.log('30 batches', performance.now() - t);
const { profile } = await s.post('Profiler.stop');
writeFileSync('/tmp/batch.cpuprofile', JSON.stringify(profile));
