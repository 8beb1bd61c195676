import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, sign, verify, VerifyPool, type KeyPair, type Suite, type VerifyItem } from './index.ts';
import { packBatch, verifyPacked } from './batch.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A mixed batch: both suites, valid and broken in every way, plus non-items. */
function mixedBatch(count: number): { items: VerifyItem[]; keys: KeyPair[] } {
  const keys = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('ed25519'), generateKeyPair('ed25519')];
  const items: VerifyItem[] = [];
  for (let i = 0; i < count; i++) {
    const kp = keys[i % keys.length]!;
    const message = new TextEncoder().encode(`tx ${i} ${'x'.repeat(i % 50)}`);
    const signature = sign(kp.suite, kp.privateKey, message);
    const item: VerifyItem = { suite: kp.suite, publicKey: kp.publicKey, message, signature };
    switch (i % 11) {
      case 1: item.signature = signature.slice(); item.signature[5]! ^= 1; break;
      case 3: item.message = new Uint8Array([...message, 1]); break;
      case 5: item.publicKey = keys[(i + 1) % keys.length]!.publicKey; break; // other key (maybe other suite)
      case 7: item.suite = (kp.suite === 'sm2' ? 'ed25519' : 'sm2') as Suite; break;
      case 8: item.signature = signature.subarray(0, 63); break;
      case 9: (item as unknown as { publicKey: unknown }).publicKey = 'not bytes'; break;
      case 10: (item as unknown as { suite: unknown }).suite = 'rsa'; break;
      default: break;
    }
    items.push(item);
  }
  (items as unknown[]).push(null, 42, { suite: 'sm2' });
  return { items, keys };
}

function expected(items: VerifyItem[]): boolean[] {
  return items.map((it) => (it && typeof it === 'object' ? verify(it.suite, it.publicKey, it.message, it.signature) : false));
}

test('packed batches round trip through verifyPacked', () => {
  const { items } = mixedBatch(40);
  const wellFormed = items.map((_, i) => i).filter((i) => {
    const it = items[i];
    return it && (it.suite === 'sm2' || it.suite === 'ed25519') && it.publicKey instanceof Uint8Array &&
      it.publicKey.length === (it.suite === 'sm2' ? 65 : 32) && it.signature instanceof Uint8Array && it.signature.length === 64;
  });
  const res = verifyPacked(packBatch(items, wellFormed, 0, wellFormed.length));
  const want = expected(items);
  wellFormed.forEach((i, k) => assert.equal(res[k] === 1, want[i], `item ${i}`));
  assert.deepEqual([...verifyPacked(new ArrayBuffer(0))], []);
  // Truncated buffer: no throw, unanswered items are false.
  const buf = packBatch(items, wellFormed, 0, wellFormed.length);
  assert.doesNotThrow(() => verifyPacked(buf.slice(0, 100)));
});

test('VerifyPool gives the same answers as verify for a mixed batch (workers and inline)', async () => {
  const pool = new VerifyPool({ threads: 2 });
  try {
    const { items } = mixedBatch(400);
    const want = expected(items);
    assert.ok(want.some((x) => x) && want.some((x) => !x));
    assert.deepEqual(await pool.verifyBatch(items), want);
    // Small batch, verified inline.
    const small = items.slice(0, 20);
    assert.deepEqual(await pool.verifyBatch(small), want.slice(0, 20));
    assert.deepEqual(await pool.verifyBatch([]), []);
    // Concurrent batches on the same pool.
    const [a, b] = await Promise.all([pool.verifyBatch(items.slice(0, 200)), pool.verifyBatch(items.slice(200))]);
    assert.deepEqual([...a, ...b], want);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.verifyBatch([]), { code: 'POOL_CLOSED' });
});

test('VerifyPool rejects bad options', () => {
  assert.throws(() => new VerifyPool({ threads: 0 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => new VerifyPool({ threads: 1.5 }), { code: 'BAD_ARGUMENT' });
});

// The worker entry registers tsx itself, so a pool works from a bin script that only called
// tsx/esm/api register() (no --import tsx); and an idle pool must not keep the process alive.
test('VerifyPool works from a tsx register() script and an unclosed idle pool lets the process exit', () => {
  const code = `
    import { register } from 'tsx/esm/api';
    register();
    const c = await import('./src/crypto/index.ts');
    const kp = c.generateKeyPair('sm2');
    const items = [];
    for (let i = 0; i < 200; i++) {
      const m = new Uint8Array([i, 1, 2]);
      const s = c.sign('sm2', kp.privateKey, m);
      if (i % 3 === 0) s[0] ^= 1;
      items.push({ suite: 'sm2', publicKey: kp.publicKey, message: m, signature: s });
    }
    const pool = new c.VerifyPool({ threads: 2 });
    const res = await pool.verifyBatch(items);
    console.log(res.filter(Boolean).length);
  `;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: repoRoot, encoding: 'utf8', timeout: 60_000,
  });
  assert.equal(res.error, undefined, 'must exit on its own (no hang)');
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), '133');
});
