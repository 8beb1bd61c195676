/**
 * State sync on real processes (issue #21 item 4): three of four validators run an alliance
 * under tbft and commit notary records; the fourth starts later on an empty data directory with
 * `stateSync` in its config. It fetches each chain's snapshot from its peers over the node
 * network, verifies it against a commit of the validator set (light client rooted at the
 * genesis), starts at that height without the blocks below it, syncs the blocks after it and
 * takes part in consensus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { signTx } from '../../src/ledger/index.ts';
import { prepareCluster, type NodeConfig } from '../../src/node/index.ts';
import { cliPath, freePort, repoRoot, track } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';

interface Proc { proc: ChildProcess; exited: Promise<unknown>; out: () => string }

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

function startNode(configPath: string): Proc {
  const proc = spawn(process.execPath, [cliPath, 'node', '--config', configPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHULIAN_DEBUG: undefined } });
  track(proc); // killed with this process if the runner stops the file
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-40_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-40_000)));
  return { proc, exited: new Promise((r) => proc.on('exit', (c) => { live.delete(proc); r(c); })), out: () => out };
}

async function json<T>(url: string): Promise<{ status: number; body?: T }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: res.ok ? ((await res.json()) as T) : undefined };
  } catch {
    return { status: 0 };
  }
}

interface ChainInfo { height: number; stateRoot: string; headHash: string }

test('a validator that joins late starts every chain from a verified snapshot and syncs only the blocks after it', async () => {
  const tmp = tempDir('shulian-statesync-');
  const base = await freePort();
  const layout = prepareCluster(tmp.dir, 4, base, base + 1000, 'ed25519');
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  // The late node asks for state sync; every node retakes its snapshot every 5 blocks.
  for (const [i, n] of layout.nodes.entries()) {
    const c = JSON.parse(readFileSync(n.configPath, 'utf8')) as NodeConfig;
    c.snapshotInterval = 5;
    if (i === 3) c.stateSync = { timeoutMs: 60_000 };
    writeFileSync(n.configPath, JSON.stringify(c, null, 2) + '\n');
  }
  const procs: Proc[] = layout.nodes.slice(0, 3).map((n) => startNode(n.configPath));
  const outputs = (): string => procs.map((p, i) => `--- node ${i + 1} ---\n${p.out().slice(-4000)}`).join('\n');
  try {
    const notary = async (api: string): Promise<ChainInfo | undefined> => (await json<ChainInfo>(`${api}/v1/chains/notary`)).body;
    // All three answering, not only the first: the txs below go to each of them in turn.
    await waitFor(async () => (await Promise.all(apis.slice(0, 3).map(notary))).every((c) => (c?.height ?? 0) >= 1), 'three of four validators committing', 180_000);
    // Records written while the fourth is away.
    const key = generateKeyPair('ed25519');
    const hashes: string[] = [];
    for (let nonce = 0; nonce < 40; nonce++) {
      const hash = (nonce + 1).toString(16).padStart(64, 'a');
      const { tx } = signTx(key, { chain: 'notary', module: 'notary', method: 'put', args: { hash }, nonce, expires: 1_000_000 });
      const res = await fetch(`${apis[nonce % 3]}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) });
      assert.ok(res.status < 300, `submit: ${res.status} ${await res.text()}`);
      hashes.push(hash);
    }
    const record = async (api: string, hash: string): Promise<{ hash: string } | null | undefined> =>
      (await json<{ value: { hash: string } | null }>(`${api}/v1/chains/notary/state?key=${encodeURIComponent(`notary/rec/${hash}`)}`)).body?.value;
    await waitFor(async () => (await record(apis[0]!, hashes[39]!))?.hash === hashes[39], 'the records committed', 120_000);
    await waitFor(async () => ((await notary(apis[0]!))?.height ?? 0) >= 6, 'notary at height 6', 120_000);
    const before = (await notary(apis[0]!))!;

    procs.push(startNode(layout.nodes[3]!.configPath));
    const late = procs[3]!;
    await waitFor(() => /chain notary: started by state sync at height (\d+)/.test(late.out()) || late.proc.exitCode !== null, 'the late node to state-sync notary', 180_000);
    assert.equal(late.proc.exitCode, null, `the late node exited:\n${late.out()}`);
    const at = Number(/chain notary: started by state sync at height (\d+)/.exec(late.out())![1]);
    assert.ok(at >= before.height, `snapshot height ${at} >= ${before.height}`);
    // Then it follows the chain: same blocks as the others above the snapshot.
    const target = (await notary(apis[0]!))!.height + 2;
    // Both at it: the late node can be a block ahead of node 1, which then does not hold it yet.
    await waitFor(async () => (await Promise.all([apis[0]!, apis[3]!].map(notary))).every((c) => (c?.height ?? 0) >= target), `the late node and node 1 at notary height ${target}`, 180_000);
    const h = target;
    const [a, b] = await Promise.all([json<{ hash: string }>(`${apis[0]}/v1/chains/notary/blocks/${h}`), json<{ hash: string }>(`${apis[3]}/v1/chains/notary/blocks/${h}`)]);
    assert.equal(a.status, 200);
    assert.equal(b.body?.hash, a.body?.hash, `block ${h} agrees`);
    // It did not replay the blocks below the snapshot: it does not hold them.
    assert.equal((await json(`${apis[3]}/v1/chains/notary/blocks/1`)).status, 404);
    // The state came with the snapshot: every record is readable on the late node.
    for (const hash of [hashes[0]!, hashes[39]!]) {
      assert.equal((await record(apis[3]!, hash))?.hash, hash, `record ${hash} on the late node`);
    }
    // And it votes: with it up, the consensus status of a peer sees all four validators.
    await waitFor(async () => (await json<{ validators: Array<{ up: boolean }> }>(`${apis[0]}/v1/chains/notary/consensus`)).body?.validators.every((v) => v.up), 'all four validators up', 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${outputs()}`);
  } finally {
    for (const p of procs) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 20_000))])));
    for (const p of procs) p.proc.kill('SIGKILL');
    tmp.cleanup();
  }
});
