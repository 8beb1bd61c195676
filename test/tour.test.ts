/**
 * The README's tour, as written (issue #15: "a new test walks the README's tour as written on a
 * fresh `shulian up`, and the cross-chain part on `--validators 4`"). The commands are read from
 * README.md (test/helpers/readme-tour.ts), so editing the README changes what runs here. They run
 * as a user runs them, with only what a user's machine would differ in filled in:
 *
 * - `npx shulian` is `node bin/shulian.mjs` (the README says they are the same CLI);
 * - the ports 7070 and 7170 and `./alliance4` are free ports and a temporary folder;
 * - placeholders (`<hash>`, `<did>`, …) are what earlier commands printed (CAPTURES below; a
 *   placeholder without a rule fails the test);
 * - commands that open a keystore get `--password-env` (the README: "scripts pass the keystore
 *   password with --password-env VAR");
 * - `curl URL` is a GET of that URL.
 *
 * The commands run in a scratch folder that holds the repository's `contracts/` and `docs/` (as
 * links), so what the tour writes (contract.pdf, case.json) lands there, and keys land in
 * $SHULIAN_HOME/keys: the test checks that no keystore is written where the commands run.
 * The cross-chain block runs against the four-validator alliance (as the README allows), which is
 * started from its README line when the test starts (its tbft start-up overlaps the first
 * commands) and stopped once its part is done with a Ctrl-C to its process group, as a terminal
 * sends it; the test waits for it to exit and checks every node stopped cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, freePort, repoRoot, startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { cli } from './helpers/cli.ts';
import { readmeTour, shellWords } from './helpers/readme-tour.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const PW_ENV = 'SHULIAN_TOUR_PASSWORD';

/** Where a placeholder's value comes from: the first command matching `after` whose output matches `from`. */
const CAPTURES: Array<{ name: string; after: RegExp; from: RegExp }> = [
  { name: 'did', after: /^keys new alice\b/, from: /^\s*did\s+(did:shulian:\S+)$/m },
  { name: 'hash', after: /^notary put\b/, from: /^tx\s+([0-9a-f]{64})$/m },
  { name: 'template', after: /^contract deploy\b/, from: /^deployed\s+([0-9a-f]{64})$/m },
  { name: 'id', after: /^contract draft\b/, from: /^contract\s+([0-9a-f]{64})$/m },
  { name: 'genesis', after: /^contract evidence\b/, from: /^genesis\s+([0-9a-f]{64})\b/m },
  { name: 'instruction id', after: /^settle instruct\b/, from: /^instruction\s+([0-9a-f]{64})$/m },
];

/**
 * What the tour promises each command shows (beyond exiting 0), by the command's words; `exit`
 * for a command the README says is refused.
 */
const EXPECT: Array<{ cmd: RegExp; stdout?: RegExp[]; exit?: number; stderr?: RegExp }> = [
  { cmd: /^chain list\b/, stdout: ['gov', 'identity', 'sign', 'settle', 'xroute', 'data', 'notary'].map((c) => new RegExp(`^${c}\\s`, 'm')) },
  { cmd: /^notary verify\b/, stdout: [/^proofVerified true$/m] },
  { cmd: /^tx get .*--verify/, stdout: [/verified locally/] },
  { cmd: /^chain status notary\b/, stdout: [/^validators 4 of 4 up$/m] },
  { cmd: /^did resolve .*--verify/, stdout: [/^proof\s+verified locally/m] },
  { cmd: /^contract status\b/, stdout: [/^accepts\s+Delivered\s+from seller/m, /^accepts\s+Tick\s+from anyone/m] },
  { cmd: /^contract replay\b/, stdout: [/^verified and replayed/m] },
  { cmd: /^xchain transfer\b/, stdout: [/acknowledged \(ok\)/] },
  { cmd: /^xchain status\b/, stdout: [/received\s+notary@\d+ by did:shulian:\S+ ok/, /acknowledged\s+sign@\d+/] },
  { cmd: /^vc verify vc\.json --local$/, stdout: [/^verified\s+yes/m] },
  { cmd: /^vc verify vc\.json$/, exit: 1, stdout: [/^verified\s+NO$/m, /^problem\s+REVOKED:/m] },
  { cmd: /^gateway\b/, exit: 1, stderr: /is not a registered gateway of sign, notary/ },
  { cmd: /^settle faucet\b/, stdout: [/^SANDBOX faucet: 1000\.00 CNY/m] },
  { cmd: /^settle balance\b/, stdout: [/^CNY\s+available 1000\.00/m, /^SANDBOX\s/m] },
  { cmd: /^settle instruct\b/, stdout: [/^status\s+settled$/m, /\+ tax [\d.]+ CNY at 6 % \(service\)/, /^SANDBOX\s/m] },
  { cmd: /^settle status\b/, stdout: [/^status\s+settled$/m, /^SANDBOX\s/m] },
  { cmd: /^settle invoice .*--xml/, stdout: [/^<Invoice /m, /<cac:TaxTotal>/], stderr: /^SANDBOX\s.*test money/m },
  { cmd: /^settle statement today CNY bob\b/, stdout: [/^credits\s+[1-9][\d.]*$/m, /^SANDBOX\s/m] },
];

interface Cluster { proc: ChildProcess; url: string; output: () => string; exited: Promise<number | null> }

test('the README tour runs as written: a fresh `shulian up`, and cross-chain on `--validators 4`', { timeout: 900_000 }, async (t) => {
  const tmp = tempDir('tour-');
  const work = join(tmp.dir, 'work');
  const home = join(tmp.dir, 'home');
  mkdirSync(work);
  for (const d of ['contracts', 'docs']) symlinkSync(join(repoRoot, d), join(work, d));
  const clusterPort = await freePort();
  const vars = new Map<string, string>();
  let soloUrl = 'http://127.0.0.1:7070';
  const fill = (line: string): string => line
    .replace(/<([a-z][a-z ]*)>/g, (_, name: string) => {
      const v = vars.get(name);
      if (v === undefined) throw new Error(`README placeholder <${name}> has no value yet: add a rule to CAPTURES in test/tour.test.ts, or print it earlier in the tour\nline: ${line}`);
      return v;
    })
    .replaceAll('http://127.0.0.1:7070', soloUrl)
    .replaceAll('http://127.0.0.1:7170', `http://127.0.0.1:${clusterPort}`)
    .replace(/--port 7170\b/g, `--port ${clusterPort}`)
    .replaceAll('./alliance4', join(tmp.dir, 'alliance4'));

  const blocks = readmeTour();
  assert.ok(blocks.length >= 4, 'the tour has its blocks');
  // The four-validator alliance starts from its README line at once, beside the fresh node (as a
  // user may start it in another terminal whenever): its tbft start-up overlaps the first commands.
  const upLine = blocks.flatMap((b) => b.lines).find((l) => /^npx shulian up\b/.test(l));
  assert.ok(upLine, 'the tour starts the four-validator alliance');
  const upWords = shellWords(fill(upLine))[0]!;
  assert.ok(upWords.includes('--validators'), `the tour starts only the four-validator alliance itself: ${upLine}`);
  const cluster = startCluster(upWords.slice(2), work, home);
  let node: NodeProcess | undefined;
  t.after(async () => {
    // A test that failed midway: the nodes go without ceremony (a cluster node whose parent is
    // gone stops by itself; see src/cli/commands/cluster.ts).
    if (cluster.proc.exitCode === null && cluster.proc.signalCode === null) {
      process.kill(-cluster.proc.pid!, 'SIGKILL');
      await cluster.exited;
    }
    await node?.kill9();
    tmp.cleanup();
  });
  const clusterReady = waitForCluster(cluster, 4).catch((e: Error) => {
    throw new Error(`${e.message}\n${upLine}\n${cluster.output().slice(-6000)}`);
  });
  clusterReady.catch(() => undefined);
  node = await startNodeProcess(join(tmp.dir, 'node'));
  soloUrl = node.url;
  // The banner says where the console and the SANDBOX are (item 5, item 3).
  assert.match(node.output(), new RegExp(`^  console  ${node.url}/console`, 'm'));
  assert.match(node.output(), /^ {2}SANDBOX {2}test money only/m);

  let ran = 0;
  // The cross-chain part runs on the four validators (the README: "these work on either alliance").
  const isCrossChain = (b: { lines: string[] }): boolean => b.lines.some((l) => /^npx shulian (xchain|gateway)\b/.test(l));
  const lastOnCluster = blocks.map(isCrossChain).lastIndexOf(true);
  assert.ok(lastOnCluster >= 0, 'the tour has a cross-chain part');
  let clusterStopped = false;
  for (const [bi, block] of blocks.entries()) {
    const crossChain = isCrossChain(block);
    const api = crossChain ? cluster.url : node.url;
    for (const line of block.lines) {
      for (const words of shellWords(fill(line))) {
        ran++;
        if (words[0] === 'curl') {
          assert.equal(words.length, 2, `curl with one URL: ${line}`);
          const res = await fetch(words[1]!);
          assert.equal(res.status, 200, `${line}: HTTP ${res.status}`);
          const body = await res.json() as Record<string, unknown>;
          if (words[1]!.endsWith('/docs/json')) assert.match(String(body.openapi), /^3\./);
          if (words[1]!.includes('/1.0/identifiers/')) assert.equal((body.didDocument as { id?: string } | undefined)?.id, vars.get('did'));
          continue;
        }
        assert.deepEqual(words.slice(0, 2), ['npx', 'shulian'], `a tour command is \`npx shulian …\` or curl: ${line}`);
        const args = words.slice(2);
        const text = args.join(' ');
        if (args[0] === 'up') {
          const began = Date.now();
          await clusterReady;
          t.diagnostic(`${((Date.now() - began) / 1000).toFixed(1)} s more until the four validators (started with the test) commit and their routes are synced`);
          continue;
        }
        const signs = args.includes('--key') || (args[0] === 'keys' && args[1] === 'new');
        const began = Date.now();
        const r = await cli(signs ? [...args, '--password-env', PW_ENV] : args, { SHULIAN_HOME: home, SHULIAN_API: api, [PW_ENV]: 'tour password' }, 180_000, work);
        t.diagnostic(`${((Date.now() - began) / 1000).toFixed(1)} s  shulian ${text.slice(0, 90)}`);
        const expect = EXPECT.find((e) => e.cmd.test(text));
        const shown = `\`shulian ${text}\` (README: ${line})\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
        assert.equal(r.code, expect?.exit ?? 0, shown);
        if (expect?.stderr) assert.match(r.stderr, expect.stderr, shown);
        for (const re of expect?.stdout ?? []) assert.match(r.stdout, re, shown);
        for (const c of CAPTURES) {
          if (vars.has(c.name) || !c.after.test(text)) continue;
          const m = c.from.exec(r.stdout);
          assert.ok(m, `no ${c.name} in the output of ${shown}`);
          vars.set(c.name, m[1]!);
        }
        if (args[0] === 'contract' && args[1] === 'render' && args.includes('--format')) {
          const out = join(work, args[args.indexOf('--out') + 1]!);
          assert.equal(readFileSync(out).subarray(0, 5).toString(), '%PDF-', `${line} wrote a PDF`);
        }
      }
    }
    if (bi === lastOnCluster) {
      // Done with the four validators: Ctrl-C at the terminal, SIGINT to the whole foreground
      // process group. It exits, every node stopped cleanly, and relaying never failed the light client.
      process.kill(-cluster.proc.pid!, 'SIGINT');
      const code = await waitFor(() => (cluster.proc.exitCode ?? (cluster.proc.signalCode ? -1 : undefined)), 'the four-validator alliance to exit after Ctrl-C', 120_000);
      const out = cluster.output();
      assert.equal(code, 0, out.slice(-4000));
      assert.equal(out.match(/^\[node \d\] node stopped$/gm)?.length, 4, out.slice(-4000));
      assert.doesNotMatch(out, /without a clean shutdown/);
      assert.doesNotMatch(out, /XCHAIN_BAD_HEADER|not the chain's only validator/);
      assert.match(out, /^all nodes stopped$/m);
      clusterStopped = true;
    }
  }
  assert.ok(ran >= 30, `the tour ran ${ran} commands`);
  // Keys went to $SHULIAN_HOME/keys, not into the folder the commands ran in.
  assert.deepEqual(readdirSync(join(home, 'keys')).sort(), ['alice.json', 'bob.json', 'carol.json', 'gw.json']);
  // What the tour writes there on purpose: the evidence package and the signed credential.
  const strays = readdirSync(work).filter((f) => f.endsWith('.json') && f !== 'case.json' && f !== 'vc.json');
  assert.deepEqual(strays, [], 'no keystore in the working folder');
  assert.match(readFileSync(join(work, 'vc.json'), 'utf8'), /"DataIntegrityProof"/, 'vc issue wrote the signed credential where the tour said');
  assert.ok(existsSync(join(work, 'case.json')), 'the evidence package was written where the tour said');

  assert.ok(clusterStopped, 'the four-validator alliance was stopped after the cross-chain part');
  const soloExit = await node.stop('SIGINT');
  assert.equal(soloExit, 0, node.output().slice(-2000));
  assert.match(node.output(), /^node stopped$/m);
});

/** `shulian up --validators 4 …` from the README line, in its own process group (as a terminal runs it). */
function startCluster(args: string[], cwd: string, home: string): Cluster {
  const proc = spawn(process.execPath, [cliPath, ...args], {
    cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHULIAN_DEBUG: undefined, SHULIAN_HOME: home },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = Number(args[args.indexOf('--port') + 1]);
  return { proc, url: `http://127.0.0.1:${port}`, output: () => out, exited: new Promise((r) => proc.on('exit', r)) };
}

/** Until every node of the cluster commits blocks and its gateways have synced the routes. */
async function waitForCluster(c: Cluster, n: number): Promise<void> {
  const port = Number(new URL(c.url).port);
  await waitFor(async () => {
    if (c.proc.exitCode !== null) throw new Error(`shulian up --validators ${n} exited:\n${c.output()}`);
    const heights = await Promise.all(Array.from({ length: n }, async (_, i) => {
      try {
        const r = await fetch(`http://127.0.0.1:${port + i}/v1/chains/notary`, { signal: AbortSignal.timeout(2000) });
        return r.ok ? ((await r.json()) as { height: number }).height : -1;
      } catch {
        return -1;
      }
    }));
    return heights.every((h) => h >= 2);
  }, `the ${n} validators to commit`, 240_000);
  await waitFor(async () => {
    try {
      const r = await fetch(`${c.url}/v1/chains/sign/state?key=${encodeURIComponent('xchain/route/notary')}`);
      return r.ok && ((await r.json()) as { value: unknown }).value !== null;
    } catch {
      return false;
    }
  }, 'the gateways to sync the routes', 240_000);
}
