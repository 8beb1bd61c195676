import { createHash, randomBytes } from 'node:crypto';
import { EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree, type SmtUpdate } from '../src/ledger/smt/index.ts';
const sm3 = (d: Uint8Array): Uint8Array => createHash('sm3').update(d).digest();
for (const cacheSize of [0, 65536]) {
const tree = new SparseMerkleTree(new MemoryNodeStore(), sm3, { cacheSize });
const fill: SmtUpdate[] = [];
for (let i = 0; i < 200000; i++) fill.push({ key: randomBytes(32), value: randomBytes(32) });
let t = performance.now();
let root = tree.update(EMPTY_ROOT, fill);
console.log('cache', cacheSize, 'prefill', performance.now() - t);
for (let b = 0; b < 5; b++) {
  const batch = Array.from({ length: 2000 }, () => ({ key: fill[Math.floor(Math.random() * fill.length)]!.key, value: randomBytes(32) }));
  t = performance.now();
  root = tree.update(root, batch);
  console.log('batch', performance.now() - t);
}
}
