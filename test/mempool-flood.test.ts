import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Tx } from '../src/ledger/index.ts';
import { startNode, type RunningNode } from '../src/node/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

/**
 * Issue #13 item 2: one chain's mempool could be locked until restart by signed junk from a few
 * fresh keys. These floods run against a real node over HTTP; afterwards a legitimate user's tx
 * must be admitted and committed.
 */

type Result = { accepted: boolean; code?: string; message?: string };

async function submitBatch(url: string, chain: string, txs: Tx[]): Promise<Result[]> {
  const res = await fetch(`${url}/v1/chains/${chain}/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ txs }) });
  const body = (await res.json()) as { results?: Result[]; error?: { code: string; message: string } };
  assert.equal(res.status, 202, JSON.stringify(body.error));
  return body.results!;
}

async function submitOne(url: string, chain: string, tx: Tx): Promise<{ status: number; body: { hash?: string; error?: { code: string; message: string } } }> {
  const res = await fetch(`${url}/v1/chains/${chain}/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) });
  return { status: res.status, body: (await res.json()) as { hash?: string; error?: { code: string; message: string } } };
}

async function committed(node: RunningNode, hash: string): Promise<void> {
  await waitFor(async () => ((await (await fetch(`${node.url}/v1/txs/${hash}`)).json()) as { status?: string }).status === 'committed', `tx ${hash} committed`, 60_000);
}

async function height(node: RunningNode, chain: string): Promise<number> {
  return ((await (await fetch(`${node.url}/v1/chains/${chain}`)).json()) as { height: number }).height;
}

/** Counts results by code ('accepted' for accepted ones). */
function tally(results: Result[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const k = r.accepted ? 'accepted' : r.code!;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

const digest = (i: number): string => i.toString(16).padStart(64, '0');

test('the attack as reported: 1,191 gapped txs from 4 fresh keys with expires 9e15 and 63 KB of junk arguments are refused at the door; a user is served', async () => {
  const tmp = tempDir();
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {} });
  try {
    const attackers: KeyPair[] = Array.from({ length: 4 }, () => generateKeyPair('sm2'));
    const junk = 'x'.repeat(63 * 1024);
    const attack: Tx[] = [];
    for (let i = 0; i < 1191; i++) {
      const k = attackers[i % 4]!;
      attack.push(signTx(k, { chain: 'notary', module: 'notary', method: 'put', args: { hash: digest(i), junk }, nonce: 500 + Math.floor(i / 4), expires: 9e15 }).tx);
    }
    const codes: Record<string, number> = {};
    for (let i = 0; i < attack.length; i += 200) {
      for (const [k, n] of Object.entries(tally(await submitBatch(node.url, 'notary', attack.slice(i, i + 200))))) codes[k] = (codes[k] ?? 0) + n;
    }
    // Nothing of it stays: the args do not parse against notary.put (checked before anything else).
    assert.deepEqual(codes, { BAD_ARGS: 1191 });
    // The same txs with valid args are still refused: expiry is bounded relative to the head.
    const far = signTx(attackers[0]!, { chain: 'notary', module: 'notary', method: 'put', args: { hash: digest(9999) }, nonce: 500, expires: 9e15 });
    const farAnswer = await submitOne(node.url, 'notary', far.tx);
    assert.equal(farAnswer.status, 400);
    assert.equal(farAnswer.body.error?.code, 'TX_EXPIRES_TOO_FAR');
    assert.match(farAnswer.body.error!.message, /set it to at most \d+/);
    const info = (await (await fetch(`${node.url}/v1/chains/notary`)).json()) as { mempool: { txs: number } };
    assert.equal(info.mempool.txs, 0);

    const user = generateKeyPair('sm2');
    const mine = signTx(user, { chain: 'notary', module: 'notary', method: 'put', args: { hash: digest(424242) }, nonce: 0, expires: (await height(node, 'notary')) + 100 });
    const answer = await submitOne(node.url, 'notary', mine.tx);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    await committed(node, mine.hash);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});

test('a full mempool of gapped junk with valid arguments from many fresh keys: a user\'s executable tx evicts junk and commits; more junk is refused', async () => {
  const tmp = tempDir();
  const node = await startNode({ dataDir: tmp.dir, port: 0, log: () => {} });
  try {
    // lexcontract.deploy takes up to 60,000 characters of source: the largest valid args there are.
    // Every tx waits for a nonce 0 that never comes, so none can ever execute.
    const source = 'y'.repeat(59_000);
    const expires = (await height(node, 'sign')) + 1000;
    const codes: Record<string, number> = {};
    let full = false;
    for (let wave = 0; !full && wave < 40; wave++) {
      const keys = Array.from({ length: 4 }, () => generateKeyPair('sm2'));
      const txs: Tx[] = [];
      for (const k of keys) for (let n = 1; n <= 72; n++) txs.push(signTx(k, { chain: 'sign', module: 'lexcontract', method: 'deploy', args: { source }, nonce: n, expires }).tx);
      for (let i = 0; i < txs.length; i += 144) {
        const t = tally(await submitBatch(node.url, 'sign', txs.slice(i, i + 144)));
        for (const [k, n] of Object.entries(t)) codes[k] = (codes[k] ?? 0) + n;
        if (t.MEMPOOL_FULL) full = true;
      }
    }
    assert.ok(full, `the flood should fill the pool: ${JSON.stringify(codes)}`);
    // Each key was held to its byte quota (4 MiB: 72 such txs exceed it).
    assert.ok((codes.MEMPOOL_SENDER_QUOTA ?? 0) > 0, JSON.stringify(codes));
    // Then small junk fills the last bytes, until not even a small tx fits.
    full = false;
    for (let wave = 0; !full && wave < 20; wave++) {
      const k = generateKeyPair('sm2');
      const txs = Array.from({ length: 200 }, (_, i) => signTx(k, { chain: 'sign', module: 'lexcontract', method: 'deploy', args: { source: 'z' }, nonce: i + 1, expires }).tx);
      if (tally(await submitBatch(node.url, 'sign', txs)).MEMPOOL_FULL) full = true;
    }
    assert.ok(full, 'small junk should fill the last bytes');
    const before = (await (await fetch(`${node.url}/v1/chains/sign`)).json()) as { mempool: { txs: number; bytes: number } };
    assert.ok(before.mempool.bytes > 60 * 1024 * 1024, `pool holds ${before.mempool.bytes} bytes`);

    // More gapped junk from a fresh key is refused while the pool is full, saying why.
    const late = generateKeyPair('sm2');
    const junk = await submitOne(node.url, 'sign', signTx(late, { chain: 'sign', module: 'lexcontract', method: 'deploy', args: { source }, nonce: 3, expires }).tx);
    assert.equal(junk.status, 503);
    assert.equal(junk.body.error?.code, 'MEMPOOL_FULL');
    assert.match(junk.body.error!.message, /not executable yet/);

    // A user's executable tx gets in, and commits.
    const user = generateKeyPair('sm2');
    const mine = signTx(user, { chain: 'sign', module: 'notary', method: 'put', args: { hash: digest(7) }, nonce: 0, expires });
    const answer = await submitOne(node.url, 'sign', mine.tx);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    await committed(node, mine.hash);
    const after = (await (await fetch(`${node.url}/v1/chains/sign`)).json()) as { mempool: { txs: number; bytes: number } };
    assert.ok(after.mempool.bytes < before.mempool.bytes, 'junk was evicted');
    assert.ok(after.mempool.bytes <= 64 * 1024 * 1024);
  } finally {
    await node.close();
    tmp.cleanup();
  }
});
