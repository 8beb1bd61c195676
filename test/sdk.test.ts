/**
 * The SDK against a real node (started in this process with startNode on a free port), plus
 * offline checks of its error mapping and proof checking with a fake fetch.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

import { freePort } from './helpers/node-process.ts';

type Sdk = typeof import('../src/sdk/index.ts');


const randomHash = (): string => createHash('sm3').update(`${Date.now()} ${Math.random()}`).digest('hex');

describe('sdk offline', () => {
  let sdk: Sdk;
  before(async () => {
    sdk = await import('../src/sdk/index.ts');
  });

  test('constructor validates the URL and strips /v1', () => {
    assert.throws(() => new sdk.ShulianClient({ baseUrl: 'nope' }), { code: 'BAD_OPTIONS' });
    assert.throws(() => new sdk.ShulianClient({ baseUrl: 'ftp://x' }), { code: 'BAD_OPTIONS' });
    assert.equal(new sdk.ShulianClient({ baseUrl: 'http://h:1/v1/' }).baseUrl, 'http://h:1');
    assert.throws(() => new sdk.ShulianClient({ baseUrl: 'http://h:1', genesisHashes: { notary: 'xyz' } }), { code: 'BAD_GENESIS_HASH' });
  });

  test('node down: NODE_UNREACHABLE naming the URL and `shulian up`', async () => {
    const port = await freePort();
    const c = new sdk.ShulianClient({ baseUrl: `http://127.0.0.1:${port}` });
    await assert.rejects(c.health(), (e: InstanceType<Sdk['ShulianError']>) => {
      assert.equal(e.code, 'NODE_UNREACHABLE');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(e.message, /shulian up/);
      return true;
    });
  });

  test('HTTP errors carry the server code and message; non-JSON errors get HTTP_<status>', async () => {
    const fetch = async (url: string) => {
      if (url.endsWith('/v1/chains/zzz')) return { ok: false, status: 404, text: async () => JSON.stringify({ error: { code: 'CHAIN_NOT_FOUND', message: 'no chain zzz' } }) };
      if (url.endsWith('/v1/health')) return { ok: false, status: 502, text: async () => '<html>bad gateway</html>' };
      return { ok: true, status: 200, text: async () => 'not json' };
    };
    const c = new sdk.ShulianClient({ baseUrl: 'http://x', fetch });
    await assert.rejects(c.chain('zzz'), { code: 'CHAIN_NOT_FOUND', message: 'no chain zzz' });
    await assert.rejects(c.health(), { code: 'HTTP_502' });
    await assert.rejects(c.chains(), { code: 'BAD_RESPONSE' });
  });

  test('a slow node: NODE_TIMEOUT', async () => {
    // AbortSignal.timeout's timer does not keep the process alive; a real socket would, so hold a timer.
    const fetch = (_url: string, init?: { signal?: AbortSignal }) =>
      new Promise<never>((_, rej) => {
        const keepAlive = setTimeout(() => rej(new Error('fake fetch was never aborted')), 10_000);
        init?.signal?.addEventListener('abort', () => {
          clearTimeout(keepAlive);
          rej(init.signal!.reason);
        });
      });
    const c = new sdk.ShulianClient({ baseUrl: 'http://x', fetch, timeoutMs: 50 });
    await assert.rejects(c.health(), { code: 'NODE_TIMEOUT' });
  });

  test('waitForTx gives up with TX_TIMEOUT', async () => {
    const fetch = async () => ({ ok: false, status: 404, text: async () => JSON.stringify({ error: { code: 'TX_NOT_FOUND', message: 'x' } }) });
    const c = new sdk.ShulianClient({ baseUrl: 'http://x', fetch });
    const t0 = Date.now();
    await assert.rejects(c.waitForTx('ab'.repeat(32), { timeoutMs: 300, intervalMs: 20 }), { code: 'TX_TIMEOUT' });
    assert.ok(Date.now() - t0 < 2000);
  });
});

describe('sdk against a real node', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'shulian-sdk-'));
  let sdk: Sdk;
  let running: { url: string; did: string; close(): Promise<void> };
  let client: InstanceType<Sdk['ShulianClient']>;
  let key: ReturnType<Sdk['generateKeyPair']>;
  let did: string;

  before(async () => {
    sdk = await import('../src/sdk/index.ts');
    const { startNode } = await import('../src/node/index.ts');
    running = await startNode({ dataDir: join(tmp, 'node'), port: await freePort(), log: () => {} });
    client = new sdk.ShulianClient({ baseUrl: running.url });
    key = sdk.generateKeyPair('sm2');
    did = sdk.didFromPublicKey(key.publicKey);
  });

  after(async () => {
    await running?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('health, chains, chain with genesis', async () => {
    const h = await client.health();
    assert.equal(h.status, 'ok');
    assert.equal(h.node, running.did);
    assert.equal(h.chains, 7);
    const chains = await client.chains();
    assert.deepEqual(chains.map((c) => c.id).sort(), ['data', 'gov', 'identity', 'notary', 'settle', 'sign', 'xroute']);
    const n = await client.chain('notary');
    assert.equal(n.genesis.chain, 'notary');
    assert.equal(sdk.genesisHashOf(n.genesis), n.genesisHash);
    await assert.rejects(client.chain('nope'), { code: 'CHAIN_NOT_FOUND' });
  });

  test('blocks, latest block, account', async () => {
    const latest = await client.block('notary', 'latest');
    const list = await client.blocks('notary', { limit: 3 });
    assert.ok(list.length >= 1);
    assert.ok(list[0]!.height >= latest.header.height);
    const b0 = await client.block('notary', 0);
    assert.equal(b0.header.height, 0);
    const acct = await client.account('notary', did);
    assert.equal(acct.did, did);
    assert.equal(typeof acct.pendingNonce, 'number');
  });

  test('send, waitForTx, verifiedTx, accountTxs', async () => {
    const hash = await client.send('notary', key, { module: 'notary', method: 'put', args: { hash: randomHash(), name: 'a.txt' } });
    assert.match(hash, /^[0-9a-f]{64}$/);
    const inc = await client.waitForTx(hash, { timeoutMs: 60_000 });
    assert.equal(inc.status, 'committed');
    assert.equal(inc.receipt.status, 'ok');
    const v = await client.verifiedTx(hash);
    assert.equal(v.proofVerified, true);
    assert.equal(v.hash, hash);
    const txs = await client.accountTxs('notary', did, { limit: 10 });
    assert.ok(txs.some((t) => t.hash === hash));
  });

  test('parallel sends from one key get distinct nonces and all commit', async () => {
    const hashes = await Promise.all(Array.from({ length: 5 }, () =>
      client.send('sign', key, { module: 'notary', method: 'put', args: { hash: randomHash() } })));
    const incs = await Promise.all(hashes.map((h) => client.waitForTx(h, { timeoutMs: 60_000 })));
    assert.deepEqual(incs.map((i) => i.tx.nonce).sort((a, b) => a - b), [0, 1, 2, 3, 4]);
    assert.ok(incs.every((i) => i.receipt.status === 'ok'));
  });

  test('submit and submitBatch with locally signed txs', async () => {
    const other = sdk.generateKeyPair('sm2');
    const height = (await client.blocks('settle', { limit: 1 }))[0]!.height;
    const txs = [0, 1].map((nonce) => sdk.signTx(other, { chain: 'settle', module: 'notary', method: 'put', args: { hash: randomHash() }, nonce, expires: height + 50 }));
    const results = await client.submitBatch('settle', txs.map((t) => t.tx));
    assert.deepEqual(results.map((r) => r.accepted), [true, true]);
    assert.deepEqual(results.map((r) => r.hash), txs.map((t) => t.hash));
    const dup = client.submit('settle', txs[0]!.tx);
    await assert.rejects(dup, (e: InstanceType<Sdk['ShulianError']>) => typeof e.code === 'string' && e.code.length > 0);
    const t2 = sdk.signTx(other, { chain: 'settle', module: 'notary', method: 'put', args: { hash: randomHash() }, nonce: 2, expires: height + 50 });
    assert.deepEqual(await client.submit('settle', t2.tx), { hash: t2.hash });
    await client.waitForTx(t2.hash, { timeoutMs: 60_000 });
  });

  test('verifiedState: inclusion and verified absence, via the notary helpers', async () => {
    const hash = randomHash();
    const inc = await sdk.notaryPut(client, key, { hash, name: 'doc.pdf', size: 12, mime: 'application/pdf' }, { timeoutMs: 60_000 });
    const s = await client.verifiedState('notary', sdk.notaryKey(hash));
    assert.equal(s.proofVerified, true);
    assert.equal((s.value as { owner: string }).owner, did);
    const p = await sdk.notaryVerify(client, hash);
    assert.equal(p.proofVerified, true);
    assert.equal(p.record.tx, inc.hash);
    assert.equal(p.record.mime, 'application/pdf');
    const absent = await client.verifiedState('notary', sdk.notaryKey(randomHash()));
    assert.equal(absent.value, null);
    assert.equal(absent.proofVerified, true);
    await assert.rejects(sdk.notaryVerify(client, randomHash()), { code: 'NOTARY_NOT_RECORDED', message: /not recorded/ });
    await assert.rejects(sdk.notaryPut(client, key, { hash }, { timeoutMs: 60_000 }), { code: 'NOTARY_EXISTS' });
    // Past heights are provable too.
    const past = await client.verifiedState('notary', sdk.notaryKey(hash), { height: inc.height - 1 });
    assert.equal(past.value, null);
  });

  test('a node that lies is caught: PROOF_INVALID', async () => {
    const hash = randomHash();
    const inc = await sdk.notaryPut(client, key, { hash }, { timeoutMs: 60_000 });
    const tamper = (mutate: (body: Record<string, unknown>, url: string) => void) => async (url: string, init?: Parameters<typeof fetch>[1]) => {
      const res = await fetch(url, init);
      const text = await res.text();
      if (!res.ok || !/\/(txs|state)/.test(url)) return { ok: res.ok, status: res.status, text: async () => text };
      const body = JSON.parse(text) as Record<string, unknown>;
      mutate(body, url);
      return { ok: true, status: 200, text: async () => JSON.stringify(body) };
    };
    const liar1 = new sdk.ShulianClient({ baseUrl: running.url, fetch: tamper((b) => { (b.receipt as { gasUsed: number }).gasUsed += 1; }) });
    await assert.rejects(liar1.verifiedTx(inc.hash), { code: 'PROOF_INVALID', message: /receipt/ });
    const liar2 = new sdk.ShulianClient({ baseUrl: running.url, fetch: tamper((b) => { if (b.value) (b.value as { owner: string }).owner = 'did:shulian:mallory'; }) });
    await assert.rejects(liar2.verifiedState('notary', sdk.notaryKey(hash)), { code: 'PROOF_INVALID' });
    const liar3 = new sdk.ShulianClient({ baseUrl: running.url, fetch: tamper((b) => { b.value = null; }) });
    await assert.rejects(liar3.verifiedState('notary', sdk.notaryKey(hash)), { code: 'PROOF_INVALID' });
    const liar4 = new sdk.ShulianClient({ baseUrl: running.url, fetch: tamper((b) => { delete b.proof; }) });
    await assert.rejects(liar4.verifiedState('notary', sdk.notaryKey(hash)), { code: 'PROOF_INVALID', message: /no proof/ });
  });

  test('pinned genesis: right pin passes, wrong pin fails', async () => {
    const g = (await client.chain('notary')).genesisHash;
    const pinned = new sdk.ShulianClient({ baseUrl: running.url, genesisHashes: { notary: g } });
    const s = await pinned.verifiedState('notary', sdk.notaryKey(randomHash()));
    assert.equal(s.proofVerified, true);
    const wrong = new sdk.ShulianClient({ baseUrl: running.url, genesisHashes: { notary: 'ff'.repeat(32) } });
    await assert.rejects(wrong.verifiedState('notary', sdk.notaryKey(randomHash())), { code: 'GENESIS_MISMATCH', message: /not the pinned/ });
  });

  test('unpinned: trusted on first use with a warning and a stored pin; a node that later serves another genesis fails loudly', async () => {
    const g = (await client.chain('notary')).genesisHash;
    const dir = mkdtempSync(join(tmpdir(), 'shulian-pins-'));
    try {
      const file = join(dir, 'sub', 'known-genesis.json');
      const seen: Array<import('../src/sdk/index.ts').FirstUse> = [];
      const first = new sdk.ShulianClient({ baseUrl: running.url, pinStore: sdk.fileGenesisPinStore(file), onFirstUse: (e) => seen.push(e) });
      assert.equal((await first.verifiedState('notary', sdk.notaryKey(randomHash()))).proofVerified, true);
      await first.verifiedState('notary', sdk.notaryKey(randomHash()));
      assert.deepEqual(seen.slice(), [{ chain: 'notary', genesisHash: g, baseUrl: running.url, storedIn: file }]);
      assert.match(sdk.firstUseWarning(seen[0]!), /warning: trusting chain notary .* on first use \(pinned in .*known-genesis\.json\)/);
      // A later client with the same pin file: no warning, same answer.
      const later = new sdk.ShulianClient({ baseUrl: running.url, pinStore: sdk.fileGenesisPinStore(file), onFirstUse: (e) => seen.push(e) });
      await later.verifiedState('notary', sdk.notaryKey(randomHash()));
      assert.equal(seen.length, 1);
      // The node (or whoever answers at its address) now serves another genesis for the chain.
      const swapped = async (url: string, init?: Parameters<typeof fetch>[1]) => {
        const res = await fetch(url, init);
        const text = await res.text();
        if (!url.endsWith('/v1/chains/notary')) return { ok: res.ok, status: res.status, text: async () => text };
        const body = JSON.parse(text) as { genesis: { time: number } };
        body.genesis.time += 1;
        return { ok: true, status: 200, text: async () => JSON.stringify(body) };
      };
      const fooled = new sdk.ShulianClient({ baseUrl: running.url, fetch: swapped, pinStore: sdk.fileGenesisPinStore(file), onFirstUse: (e) => seen.push(e) });
      await assert.rejects(fooled.verifiedState('notary', sdk.notaryKey(randomHash())), { code: 'GENESIS_MISMATCH', message: new RegExp(`but ${g} was pinned when it was first used \\(in `) });
      assert.equal(seen.length, 1);
      // Refusing trust on first use altogether.
      const strict = new sdk.ShulianClient({ baseUrl: running.url, requirePinnedGenesis: true });
      await assert.rejects(strict.verifiedState('notary', sdk.notaryKey(randomHash())), { code: 'GENESIS_NOT_PINNED' });
      // A damaged pin file is refused, not overwritten.
      writeFileSync(file, '{"version":1,"pins":{"x notary":{"genesisHash":"nope"}}}');
      const damaged = new sdk.ShulianClient({ baseUrl: running.url, pinStore: sdk.fileGenesisPinStore(file), onFirstUse: () => undefined });
      await assert.rejects(damaged.verifiedState('notary', sdk.notaryKey(randomHash())), { code: 'PIN_FILE_INVALID' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('validatorsAt: a solo chain without the validators module needs no headers; the answer says so', async () => {
    const v = await client.validatorsAt('notary', 1);
    const n = await client.chain('notary');
    assert.deepEqual(v, { chain: 'notary', height: 1, validators: n.genesis.validators, tracksValidators: false, headers: [], more: false });
    await assert.rejects(client.validatorsAt('nochain', 1), { code: 'CHAIN_NOT_FOUND' });
  });

  test('subscribe delivers the block and the event of a tx', async () => {
    const hash = randomHash();
    const seen: Array<{ type: string; event?: string; tx?: string }> = [];
    let resolveEvent!: () => void;
    const gotEvent = new Promise<void>((r) => (resolveEvent = r));
    let txHash = '';
    const sub = client.subscribe({ chains: ['notary'] }, (m) => {
      seen.push(m);
      if (m.type === 'event' && m.event === 'Recorded' && (m.data as { hash?: string }).hash === hash) {
        txHash = m.tx;
        resolveEvent();
      }
    });
    try {
      await sub.ready;
      const sent = await client.send('notary', key, { module: 'notary', method: 'put', args: { hash } });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('no event within 60 s')), 60_000)));
      await Promise.race([gotEvent, timeout]).finally(() => clearTimeout(timer));
      assert.equal(txHash, sent);
      assert.ok(seen.some((m) => m.type === 'block'));
    } finally {
      sub.close();
    }
    const bad = client.subscribe({ chains: ['nope'] }, () => {});
    await assert.rejects(bad.ready, { code: 'CHAIN_NOT_FOUND' });
    bad.close();
  });
});
