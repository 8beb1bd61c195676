import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { generateKeyPair } from '../src/crypto/index.ts';
import { signTx, type Block, type Tx } from '../src/ledger/index.ts';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

async function submit(url: string, txs: Tx[]): Promise<Array<{ accepted: boolean; code?: string }>> {
  const res = await fetch(`${url}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ txs }) });
  return ((await res.json()) as { results: Array<{ accepted: boolean; code?: string }> }).results;
}

test('kill -9 under load: every reported block survives unchanged and the node carries on', async () => {
  const tmp = tempDir();
  let node = await startNodeProcess(join(tmp.dir, 'data'));
  const cli = (...args: string[]) => {
    const api = args[0] === 'keys' ? [] : ['--api', node.url];
    const r = spawnSync(process.execPath, [cliPath, ...args, ...api], { encoding: 'utf8', env: { ...process.env, KEY_PW: 'crash-test', SHULIAN_HOME: join(tmp.dir, 'home') } });
    assert.equal(r.status, 0, `shulian ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  try {
    // A record put with the CLI before the crash must verify with the CLI after it.
    const doc = join(tmp.dir, 'deed.txt');
    writeFileSync(doc, 'title deed, plot 42');
    cli('keys', 'new', '--out', join(tmp.dir, 'owner.json'), '--password-env', 'KEY_PW');
    cli('notary', 'put', doc, '--key', join(tmp.dir, 'owner.json'), '--password-env', 'KEY_PW');

    const keys = Array.from({ length: 40 }, () => generateKeyPair('sm2'));
    const txs: Tx[] = [];
    for (let i = 0; i < 2400; i++) {
      const hash = (i.toString(16).padStart(8, '0') + 'ab'.repeat(28));
      txs.push(signTx(keys[i % keys.length]!, { chain: 'notary', module: 'notary', method: 'put', args: { hash }, nonce: Math.floor(i / keys.length), expires: 1_000_000 }).tx);
    }
    // Blocks the node reports as committed, from its stream.
    const reported = new Map<number, string>();
    const ws = new WebSocket(`${node.url.replace('http', 'ws')}/v1/stream?chains=notary`);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; height: number; hash: string };
      if (m.type === 'block') reported.set(m.height, m.hash);
    });
    ws.on('error', () => {});
    await new Promise((r) => ws.once('message', r));

    // Keep submitting in the background; kill the node once a few blocks have committed.
    let stopLoad = false;
    const load = (async () => {
      for (let i = 0; i < txs.length && !stopLoad; i += 100) {
        await submit(node.url, txs.slice(i, i + 100)).catch(() => undefined);
      }
    })();
    await waitFor(() => reported.size >= 3, 'three committed blocks', 60_000);
    await node.kill9();
    stopLoad = true;
    await load;
    ws.terminate();
    const before = new Map(reported);
    assert.ok(before.size >= 3);

    node = await startNodeProcess(join(tmp.dir, 'data'));
    const verified = JSON.parse(cli('notary', 'verify', doc, '--json')) as { proofVerified: boolean };
    assert.equal(verified.proofVerified, true);
    for (const [height, hash] of before) {
      const { status, body } = await getJson<Block>(`${node.url}/v1/chains/notary/blocks/${height}`);
      assert.equal(status, 200, `block ${height} is missing after restart`);
      assert.equal(body.hash, hash, `block ${height} changed after restart`);
      for (const r of body.receipts) {
        const tx = await getJson<{ status: string; height: number }>(`${node.url}/v1/txs/${r.tx}`);
        assert.equal(tx.body.status, 'committed');
        assert.equal(tx.body.height, height);
      }
    }
    // It carries on: resubmitting everything commits the rest; already-committed txs are refused as replays.
    const heightBefore = (await getJson<{ height: number }>(`${node.url}/v1/chains/notary`)).body.height;
    const codes = new Map<string, number>();
    for (let i = 0; i < txs.length; i += 500) {
      for (const r of await submit(node.url, txs.slice(i, i + 500))) {
        const k = r.accepted ? 'accepted' : r.code!;
        codes.set(k, (codes.get(k) ?? 0) + 1);
      }
    }
    assert.deepEqual([...codes.keys()].filter((k) => k !== 'accepted' && k !== 'TX_NONCE_STALE'), []);
    await waitFor(async () => {
      const accts = await Promise.all(keys.map((k) => signTx(k, { chain: 'notary', module: 'notary', method: 'put', args: {}, nonce: 0, expires: 0 }).tx.from)
        .map((did) => getJson<{ nonce: number }>(`${node.url}/v1/chains/notary/accounts/${did}`)));
      return accts.every((a) => a.body.nonce === txs.length / keys.length);
    }, 'every tx committed after restart', 60_000);
    const after = (await getJson<{ height: number }>(`${node.url}/v1/chains/notary`)).body.height;
    assert.ok(after > heightBefore || codes.get('accepted') === undefined);
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});

test('kill -9 with txs pending: every accepted tx is pending again after the restart and commits once it can', async () => {
  const tmp = tempDir();
  let node = await startNodeProcess(join(tmp.dir, 'data'));
  try {
    const alice = generateKeyPair('sm2');
    const height = (await getJson<{ height: number }>(`${node.url}/v1/chains/notary`)).body.height;
    const at = (nonce: number) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (nonce + 7).toString(16).padStart(64, '0') }, nonce, expires: height + 1000 });
    // Nonces 1 and 2 wait for nonce 0, so they stay pending until it comes.
    const waiting = [at(1), at(2)];
    const results = await submit(node.url, waiting.map((s) => s.tx));
    assert.deepEqual(results.map((r) => r.accepted), [true, true]);
    for (const s of waiting) assert.equal((await getJson<{ status: string }>(`${node.url}/v1/txs/${s.hash}`)).body.status, 'pending');
    await node.kill9();

    node = await startNodeProcess(join(tmp.dir, 'data'));
    for (const s of waiting) {
      const { status, body } = await getJson<{ status: string }>(`${node.url}/v1/txs/${s.hash}`);
      assert.equal(status, 200, `tx ${s.hash} was accepted before the crash and is gone after it`);
      assert.equal(body.status, 'pending');
    }
    assert.equal((await getJson<{ pendingNonce: number }>(`${node.url}/v1/chains/notary/accounts/${waiting[0]!.tx.from}`)).body.pendingNonce, 0);
    const first = at(0);
    assert.deepEqual((await submit(node.url, [first.tx])).map((r) => r.accepted), [true]);
    for (const s of [first, ...waiting]) {
      await waitFor(async () => (await getJson<{ status: string }>(`${node.url}/v1/txs/${s.hash}`)).body.status === 'committed', `tx ${s.hash} committed`, 60_000);
    }
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});
