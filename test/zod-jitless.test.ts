/**
 * What a chain executes generates no code: zod 4 would compile each object schema with
 * `new Function` on its first parse; src/codec/zod.ts turns that off for every schema, and every
 * file takes `z` from the codec face (so the switch is set before any schema is built).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFiles } from '../scripts/check-deps.ts';
import { importsOf } from '../scripts/deps/scan.ts';
import { z } from '../src/codec/schemas.ts';
import { notaryModule } from '../src/modules/notary/index.ts';
import { parseArgs } from '../src/runtime/index.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Runs `f` with the global Function constructor replaced by one that records each use and throws. */
function withoutFunction<T>(f: () => T): { value?: T; generated: number } {
  const real = globalThis.Function;
  let generated = 0;
  globalThis.Function = function () {
    generated++;
    throw new Error('code generated at run time');
  } as unknown as FunctionConstructor;
  try {
    return { value: f(), generated };
  } catch {
    return { generated };
  } finally {
    globalThis.Function = real;
  }
}

test('a module export\'s args and a fresh object schema parse without generating code', () => {
  const put = notaryModule.methods!.put!;
  const hash = 'ab'.repeat(32);
  const r = withoutFunction(() => parseArgs(put.args, { hash, name: 'a.pdf' }, 'notary.put'));
  assert.equal(r.generated, 0);
  assert.deepEqual(r.value, { hash, name: 'a.pdf' });
  const nested = z.object({ a: z.object({ b: z.array(z.object({ c: z.number() })) }) });
  const n = withoutFunction(() => nested.parse({ a: { b: [{ c: 1 }, { c: 2 }] } }));
  assert.equal(n.generated, 0);
  assert.deepEqual(n.value, { a: { b: [{ c: 1 }, { c: 2 }] } });
  // The detector works: the same schema parsed with the JIT allowed (zod's per-parse switch is
  // only an opt-out, so a schema built while the global switch is off) does compile.
  z.config({ jitless: false });
  try {
    const jit = z.object({ x: z.string() });
    const j = withoutFunction(() => jit.parse({ x: 'y' }));
    assert.ok(j.generated > 0, 'with the JIT on, zod compiles the schema through Function');
  } finally {
    z.config({ jitless: true });
  }
});

test('no source file takes zod from anywhere but the codec face (type-only imports aside)', () => {
  // The dependency check's own file list and import scanner (type-only imports are erased).
  const offenders = listFiles(ROOT).filter((f) => f.startsWith('src/') && !f.endsWith('.test.ts') && f !== 'src/codec/zod.ts')
    .filter((f) => importsOf(readFileSync(join(ROOT, f), 'utf8')).some((i) => !i.typeOnly && (i.specifier === 'zod' || i.specifier.startsWith('zod/'))));
  assert.deepEqual(offenders, [], `import { z } from src/codec/schemas.ts (codec's zod face) instead: ${offenders.join(', ')}`);
});
