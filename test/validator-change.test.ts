import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { prepareCluster } from '../src/node/index.ts';
import { ShulianClient, govPropose, govVote } from '../src/sdk/index.ts';
import { cliPath, freePort, repoRoot } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

interface Proc { proc: ChildProcess; exited: Promise<unknown>; out: () => string }
function start(configPath: string): Proc {
  const proc = spawn(process.execPath, [cliPath, 'node', '--config', configPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, exited: new Promise((r) => proc.on('exit', r)), out: () => out };
}

const json = async <T>(url: string): Promise<T | undefined> => {
  try {
    const r = await fetch(url);
    return r.ok ? ((await r.json()) as T) : undefined;
  } catch {
    return undefined;
  }
};

test('governance replaces a validator: the chain switches sets at the decided height and runs on the new set', async () => {
  const tmp = tempDir();
  const base = await freePort();
  const layout = prepareCluster(tmp.dir, 5, base, base + 1000, 'sm2', { validators: 4 });
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  const procs: Array<Proc | undefined> = layout.nodes.map((n) => start(n.configPath));
  const keyOf = (i: number): KeyPair => readKeystore(join(layout.nodes[i]!.dir, 'node', 'key.json'), readFileSync(join(layout.nodes[i]!.dir, 'node', 'key.pass'), 'utf8').trim());
  try {
    const client = new ShulianClient({ baseUrl: apis[1]! });
    await waitFor(async () => (await client.state('gov', 'governance/meta').catch(() => ({ value: null }))).value !== null, 'governance.init on the cluster', 120_000);
    const operatorIndex = [0, 1, 2, 3].sort((a, b) => (layout.nodes[a]!.did < layout.nodes[b]!.did ? -1 : 1))[0]!;
    const operator = keyOf(operatorIndex);
    const orgs = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
    const voters: KeyPair[] = [operator];
    const pass = async (proposer: KeyPair, input: Record<string, unknown>, electors: KeyPair[]) => {
      const { id } = await govPropose(client, proposer, input as never, { timeoutMs: 60_000 } as never);
      for (const v of electors) {
        const r = await govVote(client, v, id, 'yes', { timeoutMs: 60_000 } as never).catch(() => undefined);
        if (r?.status === 'approved') return id;
      }
      throw new Error(`proposal ${id} was not approved`);
    };
    for (const [i, org] of orgs.entries()) {
      await pass(operator, { kind: 'admit-member', member: { did: didFromPublicKey(org.publicKey), name: `Org ${i + 1}`, roles: ['member'] } }, voters);
      voters.push(org);
    }

    // Node 5 replaces node 1 on the notary chain, some blocks ahead.
    const next = [1, 2, 3, 4].map((i) => ({ did: layout.nodes[i]!.did, publicKey: toHex(keyOf(i).publicKey), power: 1 }));
    const h0 = (await client.chain('notary')).height;
    const H = h0 + 25;
    await pass(orgs[0]!, { kind: 'change-validators', chain: 'notary', validators: next, effectiveHeight: H }, [...orgs, operator]);

    // The current validators approve it on the notary chain; it is scheduled there for height H.
    await waitFor(async () => {
      const s = await json<{ value: Array<{ height: number }> | null }>(`${apis[1]}/v1/chains/notary/state?key=validators/schedule`);
      return s?.value?.some((e) => e.height === H);
    }, 'the change to be scheduled on the notary chain', 90_000);
    await waitFor(async () => ((await json<{ height: number }>(`${apis[1]}/v1/chains/notary`))?.height ?? 0) >= H + 1, `notary to pass height ${H}`, 120_000);
    const status = await json<{ validators: Array<{ did: string }> }>(`${apis[1]}/v1/chains/notary/consensus`);
    assert.deepEqual(status!.validators.map((v) => v.did), next.map((v) => v.did));

    // Without nodes 1 and 4 the old set would have no quorum; the new one (2, 3, 5 of 2–5) does.
    for (const i of [0, 3]) {
      procs[i]!.proc.kill('SIGKILL');
      await procs[i]!.exited;
      procs[i] = undefined;
    }
    const h1 = (await json<{ height: number }>(`${apis[1]}/v1/chains/notary`))!.height;
    await waitFor(async () => ((await json<{ height: number }>(`${apis[4]}/v1/chains/notary`))?.height ?? 0) >= h1 + 3, 'the new set, with node 5, to keep committing', 120_000);
    for (let h = H - 2; h <= h1 + 2; h++) {
      const hashes = await Promise.all([1, 2, 4].map((i) => json<{ hash: string }>(`${apis[i]}/v1/chains/notary/blocks/${h}`)));
      assert.equal(new Set(hashes.map((b) => b?.hash)).size, 1, `nodes disagree at height ${h}`);
    }
  } catch (err) {
    for (const [i, p] of procs.entries()) if (p) process.stderr.write(`--- node ${i + 1} ---\n${p.out().slice(-2500)}\n`);
    throw err;
  } finally {
    for (const p of procs) p?.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p?.exited));
    tmp.cleanup();
  }
});
