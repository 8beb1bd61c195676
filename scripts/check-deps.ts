/**
 * The dependency check (DESIGN.md §3, docs/layout.md): reads every import of src/, console/,
 * test/, bench/, scripts/ and bin/ and reports what breaks the layering:
 *
 *   internal     a folder imports a file of another folder that is not one of its faces
 *                (scripts/deps/layers.ts FACES; a module's index.ts, types.ts and keys.ts)
 *   upward       a folder imports a folder of a higher layer, or of its own layer (sideways),
 *                or a module imports the modules registry
 *   client       src/sdk or console/ reaches server code (runtime, chain, node, api, ...) or a
 *                module's execution code, directly or through anything it imports
 *   cycle        top-level folders (or two modules) import each other in a circle
 *   test-import  a file of src/ or console/ imports test/ (a unit test beside the code too:
 *                what needs test/helpers is an integration test and lives in test/)
 *   test-helper  a test helper outside test/helpers/ (a *.test-helper.* or testkit file, or a
 *                file of test/ that is not a test)
 *   unresolved   a relative import names a file that does not exist
 *
 * Tests (*.test.ts, test/), bench/, scripts/ and bin/ stand above every layer: they may import
 * what they test. Run `node --import tsx scripts/check-deps.ts [--root DIR] [--json]` (exit 1 on
 * a violation); test/deps.test.ts runs it with `npm test`. A script rather than
 * dependency-cruiser or eslint-plugin-boundaries: those parse TypeScript with the `typescript`
 * package's JavaScript compiler API (createSourceFile, transpileModule), and TypeScript 7 (the
 * native port used here) does not ship it — `require('typescript')` gives only `version` —
 * while their fallbacks read TypeScript as JavaScript and lose imports (deps/scan.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { importsOf } from './deps/scan.ts';
import { LAYOUT, type Layout } from './deps/layers.ts';

export interface Violation {
  rule: 'internal' | 'upward' | 'client' | 'cycle' | 'test-import' | 'test-helper' | 'unresolved';
  file: string;
  line?: number;
  to?: string;
  message: string;
}

interface Edge {
  to: string;
  line: number;
  specifier: string;
}

const CODE = /\.(ts|tsx|mts|mjs|js)$/;
const TEST = /\.test\.[cm]?[jt]sx?$/;
const ROOTS = ['src', 'console/src', 'console/shims', 'console/vite.config.ts', 'test', 'bench', 'scripts', 'bin'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', '.git']);

/** Every code file under the roots, as repo-relative paths with forward slashes. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isFile()) {
      if (CODE.test(rel)) out.push(rel);
      return;
    }
    for (const name of readdirSync(abs).sort()) if (!SKIP_DIRS.has(name)) walk(`${rel}/${name}`);
  };
  for (const r of ROOTS) walk(r);
  return out;
}

const isTest = (f: string): boolean => TEST.test(f) || f.startsWith('test/');
const isTool = (f: string): boolean => isTest(f) || /^(bench|scripts|bin)\//.test(f) || f === 'console/vite.config.ts';

/**
 * The unit a file belongs to for the rules: `sdk`, `ledger`, `modules/did` (each module is one),
 * `modules` for modules/index.ts, `console` for console/src and console/shims; null for tools.
 */
export function unitOf(file: string): string | null {
  const p = file.split('/');
  if (p[0] === 'console' && (p[1] === 'src' || p[1] === 'shims')) return 'console';
  if (p[0] !== 'src' || p.length < 3) return null;
  if (p[1] === 'modules' && p.length > 3) return `modules/${p[2]}`;
  return p[1]!;
}
/** The folder of a unit (`modules/did` -> `modules`): what the layers are made of. */
const folderOf = (unit: string): string => unit.split('/')[0]!;
/** The path of a file inside its unit: `src/ledger/store/index.ts` -> `store/index.ts`. */
const insidePath = (file: string, unit: string): string => file.slice(`src/${unit}/`.length);
const facesOf = (layout: Layout, unit: string): string[] => (unit.startsWith('modules/') ? layout.MODULE_FACES : layout.FACES[unit] ?? ['index.ts']);

/**
 * The import graph: file -> relative imports of code files. `new URL(x, import.meta.url)` counts
 * when x is code under src/ (a worker's entry), not an asset or a program it spawns.
 */
export function buildGraph(root: string, files: string[]): { graph: Map<string, Edge[]>; unresolved: Violation[] } {
  const graph = new Map<string, Edge[]>();
  const unresolved: Violation[] = [];
  for (const f of files) {
    const edges: Edge[] = [];
    for (const ref of importsOf(readFileSync(join(root, f), 'utf8'))) {
      if (!ref.specifier.startsWith('.')) continue; // packages and node: builtins
      let to = relative(root, resolve(root, dirname(f), ref.specifier)).split(sep).join('/');
      // A worker entry (.mjs) names its compiled sibling (x.js in dist/), the source is x.ts.
      if (to.endsWith('.js') && !existsSync(join(root, to)) && existsSync(join(root, to.replace(/\.js$/, '.ts')))) {
        to = to.replace(/\.js$/, '.ts');
      }
      // dist/ is src/ compiled (tsconfig.build.json): bin/ importing dist/x.js depends on src/x.ts,
      // whether or not this checkout has been built (a git worktree has no dist/).
      const built = /^dist\/(.*)\.js$/.exec(to);
      if (built && !existsSync(join(root, to)) && existsSync(join(root, `src/${built[1]}.ts`))) to = `src/${built[1]}.ts`;
      if (ref.kind === 'url' && (!CODE.test(to) || !to.startsWith('src/'))) continue;
      if (!CODE.test(to)) continue; // JSON and other assets
      if (!existsSync(join(root, to))) {
        unresolved.push({ rule: 'unresolved', file: f, line: ref.line, to, message: `${f}:${ref.line} imports ${ref.specifier}, which does not exist` });
        continue;
      }
      edges.push({ to, line: ref.line, specifier: ref.specifier });
    }
    graph.set(f, edges);
  }
  return { graph, unresolved };
}

/** Strongly connected components with more than one node (Tarjan). */
function circles(adj: Map<string, Set<string>>): string[][] {
  let next = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    on.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...adj.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** Every violation of the rules in the tree at `root`. */
export function check(root: string, layout: Layout = LAYOUT): Violation[] {
  const files = listFiles(root);
  const { graph, unresolved } = buildGraph(root, files);
  const violations: Violation[] = [...unresolved];
  const layerOf = new Map<string, number>();
  layout.LAYERS.forEach((l, i) => l.folders.forEach((f) => layerOf.set(f, i)));
  const sideways = new Set(layout.SIDEWAYS.map(([a, b]) => `${a}>${b}`));
  const unitEdges = new Map<string, Map<string, string>>(); // from unit -> to unit -> first file:line
  const add = (v: Violation): void => { violations.push(v); };

  for (const [file, edges] of graph) {
    const from = unitOf(file);
    for (const e of edges) {
      const where = `${file}:${e.line}`;
      const base = { file, line: e.line, to: e.to };
      if ((file.startsWith('src/') || file.startsWith('console/')) && e.to.startsWith('test/')) {
        add({ rule: 'test-import', ...base, message: `${where} imports ${e.to}: code under src/ and console/, unit tests beside it too, does not import test/ (a test that needs test/helpers lives in test/)` });
        continue;
      }
      if (!isTest(file) && TEST.test(e.to)) add({ rule: 'test-import', ...base, message: `${where} imports the test ${e.to}` });
      if (from === null || isTool(file)) continue;
      const to = unitOf(e.to);
      if (to === null) {
        add({ rule: 'upward', ...base, message: `${where} imports ${e.to}: code under src/ does not import tools (test, bench, scripts, bin)` });
        continue;
      }
      if (to === from) continue;
      // The console stands over the SDK: it imports src/sdk/browser.ts and nothing else of src/.
      // Its shims are browser builds of crypto files, so they may use what those files use.
      if (from === 'console') {
        const shimOk = file.startsWith('console/shims/') && layout.SHIMS_MAY_IMPORT.includes(to);
        if (e.to !== 'src/sdk/browser.ts' && !shimOk) add({ rule: 'client', ...base, message: `${where} imports ${e.to}: the console imports src/ only through src/sdk/browser.ts` });
        continue;
      }
      if (to === 'console') {
        add({ rule: 'upward', ...base, message: `${where} imports ${e.to}: nothing in src/ imports the console` });
        continue;
      }
      if (!unitEdges.has(from)) unitEdges.set(from, new Map());
      if (!unitEdges.get(from)!.has(to)) unitEdges.get(from)!.set(to, where);
      const faces = facesOf(layout, to);
      if (!faces.includes(insidePath(e.to, to))) {
        add({ rule: 'internal', ...base, message: `${where} imports ${e.to}, an internal file of ${to}/: import its face (${faces.map((x) => `src/${to}/${x}`).join(', ')})` });
      }
      const fromFolder = folderOf(from);
      const toFolder = folderOf(to);
      if (fromFolder === toFolder) {
        if (from.startsWith('modules/') && to === 'modules') add({ rule: 'upward', ...base, message: `${where} imports ${e.to}: a module does not import the modules registry` });
        continue;
      }
      const a = layerOf.get(fromFolder);
      const b = layerOf.get(toFolder);
      if (a === undefined || b === undefined) {
        add({ rule: 'upward', ...base, message: `${where}: src/${a === undefined ? fromFolder : toFolder}/ is in no layer; add it to scripts/deps/layers.ts` });
      } else if (b > a || (b === a && !sideways.has(`${fromFolder}>${toFolder}`))) {
        const how = b > a ? 'upward' : 'sideways, within one layer';
        add({ rule: 'upward', ...base, message: `${where} imports ${e.to}: ${fromFolder}/ (layer ${a + 1}) -> ${toFolder}/ (layer ${b + 1}) points ${how} (scripts/deps/layers.ts)` });
      }
    }
  }

  // cycle: between top-level folders, and between modules.
  const folderAdj = new Map<string, Set<string>>();
  const moduleAdj = new Map<string, Set<string>>();
  const witness = new Map<string, string>();
  const link = (adj: Map<string, Set<string>>, a: string, b: string, where: string): void => {
    if (!adj.has(a)) adj.set(a, new Set());
    adj.get(a)!.add(b);
    if (!witness.has(`${a}>${b}`)) witness.set(`${a}>${b}`, where);
  };
  for (const [u, tos] of unitEdges) {
    for (const [t, where] of tos) {
      if (folderOf(u) !== folderOf(t)) link(folderAdj, folderOf(u), folderOf(t), where);
      else if (u.startsWith('modules/') && t.startsWith('modules/')) link(moduleAdj, u, t, where);
    }
  }
  for (const [adj, what] of [[folderAdj, 'folders'], [moduleAdj, 'modules']] as const) {
    for (const comp of circles(adj)) {
      const ties = comp.flatMap((a) => [...(adj.get(a) ?? [])].filter((b) => comp.includes(b)).map((b) => `${a} -> ${b} (${witness.get(`${a}>${b}`)})`));
      add({ rule: 'cycle', file: `src/${comp[0]}`, message: `${what} import each other in a circle: ${ties.join('; ')}` });
    }
  }

  // client: what the SDK's faces and the console reach, following every import.
  const via = new Map<string, string | null>();
  const clientWhy = (f: string): string | null => {
    const u = unitOf(f);
    if (u === null || u === 'console') return null;
    if (layout.SERVER_FOLDERS.includes(folderOf(u))) return `server code (src/${folderOf(u)}/)`;
    if (u === 'modules') return 'the modules registry (execution code)';
    const importer = via.get(f);
    const entering = !importer || unitOf(importer) !== u;
    if (u.startsWith('modules/') && entering && !layout.MODULE_CLIENT_FACES.includes(insidePath(f, u))) {
      return `a module's execution code (a client uses ${layout.MODULE_CLIENT_FACES.map((x) => `src/${u}/${x}`).join(' and ')})`;
    }
    return null;
  };
  const entries = [
    ...(layout.FACES.sdk ?? []).map((f) => `src/sdk/${f}`),
    ...files.filter((f) => layout.CLIENTS.some((c) => f.startsWith(`${c}/`)) && !isTest(f)),
  ].filter((f) => graph.has(f));
  const queue = [...entries];
  for (const f of entries) via.set(f, null);
  while (queue.length > 0) {
    const f = queue.shift()!;
    const why = clientWhy(f);
    if (why) {
      const path: string[] = [];
      for (let x: string | null | undefined = f; x; x = via.get(x)) path.unshift(x);
      add({ rule: 'client', file: f, message: `the SDK or console reaches ${why}: ${path.join(' -> ')}` });
      continue; // what lies beyond it is its own problem
    }
    for (const e of graph.get(f) ?? []) {
      if (via.has(e.to) || !graph.has(e.to)) continue;
      via.set(e.to, f);
      queue.push(e.to);
    }
  }

  // test-helper: helpers live in test/helpers/ only.
  for (const f of files) {
    if (f.startsWith('test/helpers/')) continue;
    if (/\.test-helper\.|(^|\/)testkit[^/]*$/.test(f)) add({ rule: 'test-helper', file: f, message: `${f} is a test helper: move it to test/helpers/` });
    else if (f.startsWith('test/') && !TEST.test(f)) add({ rule: 'test-helper', file: f, message: `${f} is not a test: helpers live in test/helpers/` });
  }
  return violations;
}

/** A readable report, grouped by rule. */
export function format(violations: Violation[]): string {
  const by = new Map<string, string[]>();
  for (const v of violations) {
    if (!by.has(v.rule)) by.set(v.rule, []);
    by.get(v.rule)!.push(v.message);
  }
  return [...by].map(([rule, msgs]) => `${rule} (${msgs.length}):\n${msgs.map((m) => `  ${m}`).join('\n')}`).join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--root');
  const root = at >= 0 ? resolve(args[at + 1] ?? '.') : dirname(dirname(fileURLToPath(import.meta.url)));
  const violations = check(root);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(violations, null, 2)}\n`);
  else if (violations.length > 0) process.stderr.write(`${format(violations)}\n\n${violations.length} dependency rule violation(s); the layers are in scripts/deps/layers.ts (docs/layout.md)\n`);
  else process.stdout.write('dependencies: every import points down, through a face\n');
  process.exit(violations.length > 0 ? 1 : 0);
}
