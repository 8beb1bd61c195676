/**
 * The package as a user gets it: `npm pack` of a copy of this checkout (built there as a fresh
 * clone's `npm ci` builds it, so the running tree's dist/ is never touched), installed into a
 * fresh project with npm. There:
 *   - the tarball holds compiled JavaScript with type declarations, the CLI, the worker entries
 *     and data files the code finds by path, and no tests or TypeScript sources;
 *   - the install on this Node prints no engine warning and no unreviewed install script (the
 *     project approves shulian's and lmdb's, as a user would);
 *   - a TypeScript file importing 'shulian/sdk' typechecks (strict, NodeNext, no
 *     allowImportingTsExtensions) — and a wrong call in it does not;
 *   - a plain-node script (no tsx) puts a notary record on a real `shulian up` node and verifies
 *     its proofs, and so does docs/sdk.md's quickstart, as written; the installed CLI lists the
 *     node's chains.
 * The installed packages come from npm's cache where it has them (--prefer-offline).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

const run = promisify(execFile);
const TSC = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** The environment without npm's per-run variables (this test may itself run under `npm test`). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, SHULIAN_DEBUG: undefined, SHULIAN_FROM_SOURCE: undefined };
}

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, args, { cwd, env: cleanEnv(), timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('npm pack: the packed SDK and CLI in a fresh project', () => {
  const tmp = tempDir('shulian-pack-');
  const stage = join(tmp.dir, 'stage');
  const app = join(tmp.dir, 'app');
  let files: string[] = [];
  let installLog = '';
  let node: NodeProcess;

  before(async () => {
    // A copy of this checkout's files (tracked and new, as git sees them) without the tests,
    // benchmarks and console sources; its dependencies are this checkout's.
    const listed = (await sh('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], repoRoot)).stdout.split('\0');
    for (const f of listed) {
      if (!f || /^(test|bench|console)\//.test(f) || !existsSync(join(repoRoot, f))) continue;
      mkdirSync(dirname(join(stage, f)), { recursive: true });
      copyFileSync(join(repoRoot, f), join(stage, f));
    }
    symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(stage, 'node_modules'));
    await sh(process.execPath, ['scripts/build-dist.mjs', '--strict'], stage);
    // --ignore-scripts: `prepare` would build again (and the console); dist/ is built above.
    const packed = JSON.parse((await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], stage)).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed[0]!.files.map((f) => f.path);
    const tarball = join(tmp.dir, packed[0]!.filename);

    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({
      name: 'shulian-pack-test', private: true, type: 'module',
      dependencies: { shulian: `file:${tarball}` },
      devDependencies: { '@types/node': lock.packages['node_modules/@types/node']!.version },
      // What a user approves: shulian's install script (builds the SM2 addon, falls back to
      // pure-JS SM2 without a compiler) and lmdb's (loads its prebuilt binary).
      allowScripts: { [`file:${tarball}`]: true, lmdb: true, 'msgpackr-extract': true },
    }, null, 2));
    const installed = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app, 600_000);
    installLog = installed.stdout + installed.stderr;

    node = await startNodeProcess(join(tmp.dir, 'node'));
  });
  after(async () => {
    await node?.stop();
    tmp.cleanup();
  });

  test('the tarball ships compiled JS with types, the CLI, workers and data files, and no tests or sources', () => {
    for (const f of [
      'package.json', 'bin/shulian.mjs', 'dist/cli/main.js', 'dist/sdk/index.js', 'dist/sdk/index.d.ts',
      'dist/codec/worker-entry.mjs', 'dist/crypto/verify-worker-impl.js', 'dist/chain/admission/worker-impl.js', 'dist/api/render-worker-impl.js', 'dist/market/committer-worker.js',
      'dist/did/vc/contexts/did-v1.jsonld', 'native/sm2/sm2.c', 'native/sm2/binding.gyp', 'scripts/build-native.mjs',
      'contracts/late-delivery/contract.lex',
    ]) assert.ok(files.includes(f), `the tarball has ${f}`);
    assert.deepEqual(files.filter((f) => /\.test\.|(^|\/)test\/|^src\/|\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no tests, no TypeScript sources');
    assert.deepEqual(files.filter((f) => f.startsWith('native/sm2/build/')), [], 'no addon built for this machine');
  });

  test('installs on this Node with no engine warning and no unreviewed install script', () => {
    assert.doesNotMatch(installLog, /EBADENGINE/, installLog);
    assert.doesNotMatch(installLog, /install-scripts/, installLog);
    assert.ok(existsSync(join(app, 'node_modules', 'shulian', 'dist', 'sdk', 'index.js')));
  });

  test('a TypeScript project typechecks against shulian/sdk, and a wrong call fails', async () => {
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      // skipLibCheck as `tsc --init` sets it: lmdb's own declarations do not compile under NodeNext.
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: ['check.ts'],
    }));
    const good = [
      "import { ShulianClient, generateKeyPair, notaryPut, notaryVerify, sm3Hex, type KeyPair, type NotaryProof } from 'shulian/sdk';",
      "const key: KeyPair = generateKeyPair('sm2');",
      "const client = new ShulianClient({ baseUrl: 'http://127.0.0.1:7070' });",
      "const data = new TextEncoder().encode('hello');",
      'const committed = await notaryPut(client, key, { hash: sm3Hex(data), size: data.length });',
      'const proof: NotaryProof = await notaryVerify(client, committed.hash);',
      'const verified: true = proof.proofVerified;',
      'export { verified };',
    ];
    writeFileSync(join(app, 'check.ts'), good.join('\n') + '\n');
    await sh(process.execPath, [TSC, '-p', app], app);
    // The types are real, not `any`: a string where a key pair goes does not compile.
    writeFileSync(join(app, 'check.ts'), [...good, "await notaryPut(client, 'not a key', { hash: sm3Hex(data) });"].join('\n') + '\n');
    await assert.rejects(sh(process.execPath, [TSC, '-p', app], app), /TS2345|not assignable/);
  });

  test('plain node puts a notary record with the packed SDK and verifies its proofs', async () => {
    writeFileSync(join(app, 'put.mjs'), [
      "import { ShulianClient, generateKeyPair, notaryPut, notaryVerify, sm3Hex } from 'shulian/sdk';",
      'const client = new ShulianClient({ baseUrl: process.argv[2] });',
      "const key = generateKeyPair('sm2');",
      "const data = new TextEncoder().encode('packed sdk ' + process.pid);",
      'const hash = sm3Hex(data);',
      "await notaryPut(client, key, { hash, size: data.length, name: 'pack.txt' });",
      'const proof = await notaryVerify(client, hash);',
      'console.log(JSON.stringify({ hash, record: proof.record, proofVerified: proof.proofVerified }));',
    ].join('\n') + '\n');
    const out = await sh(process.execPath, ['put.mjs', node.url], app, 120_000);
    const r = JSON.parse(out.stdout) as { hash: string; record: { hash: string; name: string; size: number }; proofVerified: boolean };
    assert.equal(r.proofVerified, true);
    assert.equal(r.record.hash, r.hash);
    assert.equal(r.record.name, 'pack.txt');
  });

  test('the quickstart of docs/sdk.md runs as written', async () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'sdk.md'), 'utf8');
    const block = /<!-- sdk-quickstart:begin -->\s*```js\n([\s\S]*?)```\s*<!-- sdk-quickstart:end -->/.exec(doc);
    assert.ok(block, 'docs/sdk.md has the quickstart between its markers');
    writeFileSync(join(app, 'quickstart.mjs'), block[1]!);
    const out = await run(process.execPath, ['quickstart.mjs'], { cwd: app, env: { ...cleanEnv(), SHULIAN_API: node.url }, timeout: 120_000 });
    assert.match(out.stdout, /^chains: gov identity sign settle xroute data notary$/m);
    assert.match(out.stdout, /^committed at height \d+$/m);
    assert.match(out.stdout, /"name":"tender\.txt"/);
    assert.match(out.stdout, /proof verified: true$/m);
  });

  test('the installed CLI runs from its compiled code, as `npx shulian` in the project that installed it', async () => {
    assert.ok(existsSync(join(app, 'node_modules', '.bin', 'shulian')), 'npm linked the shulian command');
    const out = await sh('npx', ['--no-install', 'shulian', 'chain', 'list', '--api', node.url, '--json'], app, 120_000);
    const listed = JSON.parse(out.stdout) as { chains: Array<{ id: string }> };
    assert.ok(listed.chains.some((c) => c.id === 'notary'), out.stdout);
    assert.equal(out.stderr, '');
  });
});
