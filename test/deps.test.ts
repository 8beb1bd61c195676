/**
 * The dependency check (scripts/check-deps.ts, docs/layout.md): the tree passes it, and each rule
 * catches what it is for when planted in a small tree of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, format, type Violation } from '../scripts/check-deps.ts';
import { importsOf } from '../scripts/deps/scan.ts';
import { tempDir } from './helpers/tmp.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

test('the tree keeps its layers: every import points down, through a face', () => {
  const violations = check(ROOT);
  assert.equal(violations.length, 0, `dependency rule violations:\n${format(violations)}`);
});

test('the scanner reads every import form and nothing inside comments, strings or templates', () => {
  const src = [
    "import a from './a.ts';",
    "import type { B } from './b.ts';",
    "import { type C, d } from './c.ts';",
    "import * as e from './e.ts';",
    "import './f.ts';",
    'export * from "./g.ts";',
    "export {\n  h,\n  type H,\n} from './h.ts';",
    "export type * from './i.ts';",
    "const j = await import('./j.ts');",
    "const w = new URL('./worker.mjs', import.meta.url);",
    "// import x from './comment.ts';",
    "/* export * from './block.ts'; */",
    "const s = \"import y from './string.ts'\";",
    "const t = `\nimport z from './template.ts';\n${await import('./in-template-expr.ts')}`;",
    'const re = /import q from \'.\\/regex.ts\'/;',
    'export const from = 1;',
    "const meta = import.meta.url;",
  ].join('\n');
  const got = importsOf(src).map((r) => `${r.kind}${r.typeOnly ? ':type' : ''} ${r.specifier} @${r.line}`);
  assert.deepEqual(got, [
    'static ./a.ts @1', 'static:type ./b.ts @2', 'static ./c.ts @3', 'static ./e.ts @4', 'static ./f.ts @5',
    'static ./g.ts @6', 'static ./h.ts @7', 'static:type ./i.ts @11', 'dynamic ./j.ts @12',
    'dynamic ./in-template-expr.ts @19', 'url ./worker.mjs @13',
  ]);
});

/** A small tree in a temp dir: path -> source. */
function plant(files: Record<string, string>): { root: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir('shulian-deps-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { root: dir, cleanup };
}

/** A clean base: codec <- ledger <- runtime <- modules/m <- chain, sdk over ledger and m's face. */
const BASE: Record<string, string> = {
  'src/codec/index.ts': 'export const x = 1;\n',
  'src/ledger/index.ts': "export { x } from '../codec/index.ts';\nexport * from './tx.ts';\n",
  'src/ledger/tx.ts': 'export const tx = 1;\n',
  'src/ledger/store/index.ts': "export * from '../index.ts';\n",
  'src/runtime/index.ts': "import { tx } from '../ledger/index.ts';\nexport const run = tx;\n",
  'src/modules/m/index.ts': "import { run } from '../../runtime/index.ts';\nexport * from './types.ts';\nexport const m = run;\n",
  'src/modules/m/types.ts': "import { tx } from '../../ledger/index.ts';\nexport const mt = tx;\n",
  'src/chain/index.ts': "import { m } from '../modules/m/index.ts';\nimport { ChainStore } from '../ledger/store/index.ts';\nexport const c = [m, ChainStore];\n",
  'src/sdk/index.ts': "import { mt } from '../modules/m/types.ts';\nexport * from './browser.ts';\nexport const s = mt;\n",
  'src/sdk/browser.ts': "export { tx } from '../ledger/index.ts';\n",
  'src/api/index.ts': "import type { s } from '../sdk/index.ts';\nimport { c } from '../chain/index.ts';\nexport const a = c;\n",
  'test/helpers/tmp.ts': 'export const t = 1;\n',
  'test/a.test.ts': "import { tx } from '../src/ledger/tx.ts';\nimport { t } from './helpers/tmp.ts';\n",
};

function rulesOf(violations: Violation[]): string[] {
  return violations.map((v) => `${v.rule} ${v.file}`).sort();
}

test('a clean tree passes, tests may import internals', () => {
  const t = plant(BASE);
  try {
    assert.deepEqual(check(t.root), []);
  } finally { t.cleanup(); }
});

test('a planted upward import is caught, with the layers it crosses', () => {
  const t = plant({ ...BASE, 'src/ledger/tx.ts': "import { c } from '../chain/index.ts';\nexport const tx = c;\n" });
  try {
    const v = check(t.root);
    const up = v.find((x) => x.rule === 'upward');
    assert.ok(up, format(v));
    assert.match(up.message, /src\/ledger\/tx\.ts:1 imports src\/chain\/index\.ts: ledger\/ \(layer 3\) -> chain\/ \(layer \d+\) points upward/);
    // ledger -> chain -> ... -> ledger is also a circle of folders.
    assert.ok(v.some((x) => x.rule === 'cycle' && /ledger/.test(x.message) && /chain/.test(x.message)), format(v));
  } finally { t.cleanup(); }
});

test('an import past a face is caught; a module\'s types.ts and the storage face are faces', () => {
  const t = plant({ ...BASE, 'src/runtime/index.ts': "import { tx } from '../ledger/tx.ts';\nexport const run = tx;\n" });
  try {
    const v = check(t.root);
    assert.deepEqual(rulesOf(v), ['internal src/runtime/index.ts']);
    assert.match(v[0]!.message, /internal file of ledger\/: import its face \(src\/ledger\/index\.ts, src\/ledger\/store\/index\.ts\)/);
  } finally { t.cleanup(); }
});

test('the SDK reaching server code through anything it imports is caught, with the path', () => {
  const t = plant({
    ...BASE,
    // types.ts is a face, but this one leans on the module's execution code, which runs on the runtime.
    'src/modules/m/types.ts': "import { tx } from '../../ledger/index.ts';\nimport { m } from './index.ts';\nexport const mt = [tx, m];\n",
  });
  try {
    const v = check(t.root).filter((x) => x.rule === 'client');
    assert.equal(v.length, 1, format(v));
    assert.equal(v[0]!.message, 'the SDK or console reaches server code (src/runtime/): src/sdk/index.ts -> src/modules/m/types.ts -> src/modules/m/index.ts -> src/runtime/index.ts');
  } finally { t.cleanup(); }
  const direct = plant({ ...BASE, 'src/sdk/browser.ts': "export { tx } from '../ledger/index.ts';\nexport { m } from '../modules/m/index.ts';\n" });
  try {
    const v = check(direct.root).filter((x) => x.rule === 'client');
    assert.equal(v.length, 1, format(v));
    assert.match(v[0]!.message, /reaches a module's execution code .*: src\/sdk\/browser\.ts -> src\/modules\/m\/index\.ts$/);
  } finally { direct.cleanup(); }
});

test('the console imports src/ through src/sdk/browser.ts only; its crypto shims may use codec', () => {
  const t = plant({
    ...BASE,
    'console/src/App.tsx': "import { tx } from '../../src/sdk/browser.ts';\nimport { x } from '../../src/ledger/index.ts';\n",
    'console/shims/hash.ts': "import { x } from '../../src/codec/index.ts';\n",
  });
  try {
    assert.deepEqual(rulesOf(check(t.root)), ['client console/src/App.tsx']);
  } finally { t.cleanup(); }
});

test('test code stays in test/: src never imports test/, helpers live in test/helpers/', () => {
  const t = plant({
    ...BASE,
    'src/ledger/tx.test.ts': "import { t } from '../../test/helpers/tmp.ts';\n",
    'src/ledger/testkit.test-helper.ts': 'export const k = 1;\n',
    'test/net/helpers.ts': 'export const h = 1;\n',
  });
  try {
    assert.deepEqual(rulesOf(check(t.root)), [
      'test-helper src/ledger/testkit.test-helper.ts', 'test-helper test/net/helpers.ts', 'test-import src/ledger/tx.test.ts',
    ]);
  } finally { t.cleanup(); }
});

test('two modules that import each other are a circle; a folder in no layer is told to be placed', () => {
  const t = plant({
    ...BASE,
    'src/modules/a/index.ts': "import { b } from '../b/index.ts';\nexport const a = b;\n",
    'src/modules/b/index.ts': "import { a } from '../a/types.ts';\nexport const b = a;\n",
    'src/modules/a/types.ts': "export const a = 1;\n",
    'src/modules/b/types.ts': "import { a } from '../a/index.ts';\nexport const bt = a;\n",
    'src/stray/index.ts': "import { x } from '../codec/index.ts';\n",
  });
  try {
    const v = check(t.root);
    assert.ok(v.some((x) => x.rule === 'cycle' && x.message.startsWith('modules import each other in a circle: modules/a -> modules/b')), format(v));
    assert.ok(v.some((x) => x.rule === 'upward' && /src\/stray\/ is in no layer/.test(x.message)), format(v));
  } finally { t.cleanup(); }
});
