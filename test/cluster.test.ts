import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import { signTx } from '../src/ledger/index.ts';
import { prepareCluster } from '../src/node/index.ts';
import { cliPath, freePort, repoRoot, track } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

interface Proc { proc: ChildProcess; exited: Promise<number | null>; out: () => string }

function startNode(configPath: string, env: Record<string, string> = {}): Proc {
  const proc = spawn(process.execPath, [cliPath, 'node', '--config', configPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  track(proc); // killed with this process if the runner stops the file
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, exited: new Promise((r) => proc.on('exit', r)), out: () => out };
}

async function json<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url);
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** The node's shulian_p2p_duplicate_gossip_total from /metrics. */
async function duplicateGossip(api: string): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const m = /^shulian_p2p_duplicate_gossip_total (\d+)$/m.exec(text);
  assert.ok(m, `no shulian_p2p_duplicate_gossip_total in ${api}/metrics`);
  return Number(m[1]);
}

const height = async (api: string): Promise<number> => (await json<{ height: number }>(`${api}/v1/chains/notary`))?.height ?? -1;

interface Consensus { height: number; round: number; step: string; validators: Array<{ power: number; up: boolean }> }

/** One round's timeouts at round r, with the node's defaults (propose 3 s, prevote 1 s, precommit 1 s, +0.5 s each per round). */
const roundMs = (r: number): number => (3000 + 500 * r) + (1000 + 500 * r) + (1000 + 500 * r);

/**
 * Waits until the chain has halted, judged from the consensus status of the live nodes: too little
 * power is up for a quorum, and their committed height, round and step stay the same for three
 * round timeouts (a decision already under way, landing meanwhile, starts the watch again).
 * Returns the height it halted at.
 */
async function waitForHalt(apis: string[]): Promise<number> {
  let watch: { key: string; since: number; round: number } | undefined;
  return waitFor(async () => {
    const all = await Promise.all(apis.map((a) => json<Consensus>(`${a}/v1/chains/notary/consensus`)));
    if (all.some((s) => !s)) return (watch = undefined);
    const statuses = all as Consensus[];
    const quorumUp = statuses.some((s) => {
      const total = s.validators.reduce((n, v) => n + v.power, 0);
      return s.validators.filter((v) => v.up).reduce((n, v) => n + v.power, 0) * 3 > total * 2;
    });
    if (quorumUp) return (watch = undefined);
    const key = JSON.stringify(statuses.map((s) => [s.height, s.round, s.step]));
    if (watch?.key !== key) {
      watch = { key, since: Date.now(), round: Math.max(...statuses.map((s) => s.round)) };
      return undefined;
    }
    return Date.now() - watch.since >= 3 * roundMs(watch.round) && new Set(statuses.map((s) => s.height)).size === 1 ? statuses[0]!.height : undefined;
  }, 'the chain to halt', 180_000);
}

test('four validator processes under tbft: survive one crash, catch up, halt without forking at two down, resume', async () => {
  const tmp = tempDir();
  const base = await freePort();
  const layout = prepareCluster(tmp.dir, 4, base, base + 1000);
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  // Every node traces its tbft steps (docs/consensus.md#tracing-a-height); read back below.
  const traceDir = join(tmp.dir, 'trace');
  mkdirSync(traceDir);
  const procs: Array<Proc | undefined> = layout.nodes.map((n) => startNode(n.configPath, { SHULIAN_TBFT_TRACE: traceDir }));
  let loadOn = true;
  try {
    await waitFor(async () => (await Promise.all(apis.map(height))).every((h) => h >= 2), 'all four nodes committing', 180_000);
    const status = await json<{ validators: Array<{ up: boolean }> }>(`${apis[0]}/v1/chains/notary/consensus`);
    assert.equal(status!.validators.filter((v) => v.up).length, 4);

    // Txs gossiped by a validator reach every validator once: none forwards them again (each
    // forward would be a duplicate on a link that already carried the tx; docs/network.md#gossip).
    const before = await Promise.all(apis.map(duplicateGossip));
    const sender = generateKeyPair('sm2');
    const hashes: string[] = [];
    for (let n = 0; n < 8; n++) {
      const { tx, hash } = signTx(sender, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (0xd0_0000 + n).toString(16).padStart(64, '0') }, nonce: n, expires: 1_000_000 });
      const res = await fetch(`${apis[n % 2]}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) });
      assert.equal(res.status, 202, await res.text());
      hashes.push(hash);
    }
    await waitFor(async () => (await Promise.all(apis.map((a) => Promise.all(hashes.map((h) => json<{ status: string }>(`${a}/v1/txs/${h}`)))))).every((rs) => rs.every((r) => r?.status === 'committed')), 'the eight txs committed on every node', 60_000);
    const after = await Promise.all(apis.map(duplicateGossip));
    assert.deepEqual(after, before, 'no node received a gossiped tx twice');

    // The four traces line up: heights with txs, each with a proposer that built it, a proposal
    // that reached the others, their validation, votes and commits.
    const summary = await waitFor(() => {
      const r = spawnSync(process.execPath, ['scripts/tbft-trace.mjs', traceDir, '--chain', 'notary', '--json'], { cwd: repoRoot, encoding: 'utf8' });
      if (r.status !== 0) return undefined;
      const s = JSON.parse(r.stdout) as { heights: number; buildMs: number | null; proposalArrivesMs: number | null; validateMs: number | null; votesMs: number | null; commitMs: number | null };
      return s.heights >= 1 && s.proposalArrivesMs !== null && s.validateMs !== null && s.votesMs !== null && s.commitMs !== null ? s : undefined;
    }, 'the traces of the heights that took the eight txs', 30_000);
    assert.ok(summary.buildMs! >= 0 && summary.commitMs! >= 0);
    const table = spawnSync(process.execPath, ['scripts/tbft-trace.mjs', traceDir, '--chain', 'notary', '--last', '20'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /height \d+ round \d+: pid \d+ built \d+ txs in \d+ ms/);
    assert.match(table.stdout, /\* pid \d+ .*d=\d+-\d+/, 'the proposer\'s decision and commit');
    assert.match(table.stdout, /^ {4}pid \d+ +in=\d+ ok=\d+ v=\d+-\d+ pv=\d+ pc=\d+ d=\d+-\d+/m, 'a validator: proposal in, rebuilt, validated, voted, committed');
    assert.match(table.stdout, /medians over \d+ heights with txs/);
    // On Linux, building, validating and committing split into the main thread's time on a core and waiting for one.
    if (existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`)) {
      const split = summary as unknown as { onCoreMs?: Record<string, number | null>; waitingForCoreMs?: Record<string, number | null> };
      for (const stage of ['build', 'validate', 'commit']) {
        assert.ok((split.onCoreMs?.[stage] ?? -1) >= 0 && (split.waitingForCoreMs?.[stage] ?? -1) >= 0, `${stage}: ${JSON.stringify(split)}`);
      }
      assert.match(table.stdout, /of which the node's main thread ran \/ waited for a core \(ms\): build [\d.]+ \/ [\d.]+, validate [\d.]+ \/ [\d.]+, commit [\d.]+ \/ [\d.]+/);
    }

    // Steady load through node 1 and node 2.
    const key: KeyPair = generateKeyPair('sm2');
    let nonce = 0;
    const load = (async () => {
      while (loadOn) {
        const { tx } = signTx(key, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (nonce + 1).toString(16).padStart(64, '0') }, nonce, expires: 1_000_000 });
        const res = await fetch(`${apis[nonce % 2]}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) }).catch(() => undefined);
        if (res?.status === 202) nonce++;
        await res?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // 1. kill -9 one validator: the other three keep committing.
    procs[3]!.proc.kill('SIGKILL');
    await procs[3]!.exited;
    procs[3] = undefined;
    const h1 = await height(apis[0]!);
    await waitFor(async () => (await height(apis[0]!)) >= h1 + 3, 'commits with one validator down', 60_000);

    // 2. Bring it back: it catches up from its peers.
    procs[3] = startNode(layout.nodes[3]!.configPath);
    await waitFor(async () => {
      const [a, d] = await Promise.all([height(apis[0]!), height(apis[3]!)]);
      return d >= 0 && d >= a - 1 && d > h1 + 3;
    }, 'the restarted validator to catch up', 90_000);

    // 3. Two of four down: no quorum, the chain halts.
    for (const i of [2, 3]) {
      procs[i]!.proc.kill('SIGKILL');
      await procs[i]!.exited;
      procs[i] = undefined;
    }
    // A decision already under way may still land; after that, nothing, over several round timeouts.
    const halted = await waitForHalt([apis[0]!, apis[1]!]);
    assert.equal(await height(apis[0]!), halted, 'two of four validators down must halt the chain');
    assert.equal(await height(apis[1]!), halted);

    // 4. One comes back: quorum again, the chain resumes.
    procs[2] = startNode(layout.nodes[2]!.configPath);
    await waitFor(async () => (await height(apis[0]!)) >= halted + 3, 'the chain to resume with three validators', 120_000);

    loadOn = false;
    await load;
    assert.ok(nonce > 0, 'some load was accepted');

    // Agreement: every height any two live nodes have holds the same block.
    const top = Math.min(...(await Promise.all([0, 1, 2].map((i) => height(apis[i]!)))));
    for (let h = 1; h <= top; h++) {
      const hashes = await Promise.all([0, 1, 2].map((i) => json<{ hash: string }>(`${apis[i]}/v1/chains/notary/blocks/${h}`)));
      assert.equal(new Set(hashes.map((b) => b?.hash)).size, 1, `nodes disagree at height ${h}`);
    }
  } catch (err) {
    for (const [i, p] of procs.entries()) if (p) process.stderr.write(`--- node ${i + 1} output ---\n${p.out().slice(-3000)}\n`);
    throw err;
  } finally {
    loadOn = false;
    for (const p of procs) p?.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p?.exited));
    tmp.cleanup();
  }
});

test('shulian up --validators 4 starts four live validators and chain status shows them', async () => {
  const tmp = tempDir();
  const port = await freePort();
  const up = spawn(process.execPath, [cliPath, 'up', '--validators', '4', '--data-dir', join(tmp.dir, 'alliance'), '--port', String(port)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => up.on('exit', r));
  try {
    const out = await waitFor(() => {
      const r = spawnSync(process.execPath, [cliPath, 'chain', 'status', 'gov', '--api', `http://127.0.0.1:${port}`, '--json'], { encoding: 'utf8' });
      if (r.status !== 0) return undefined;
      const s = JSON.parse(r.stdout) as { type: string; height: number; validators: Array<{ up: boolean }> };
      return s.height >= 1 && s.validators.filter((v) => v.up).length === 4 ? s : undefined;
    }, 'four live validators on gov', 180_000);
    assert.equal(out.type, 'tbft');
  } finally {
    up.kill('SIGINT');
    await exited;
    tmp.cleanup();
  }
});
