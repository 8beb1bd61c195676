import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { canonicalize, fromHex, toHex, type JsonValue } from '../../src/codec/index.ts';
import { generateKeyPair, sha256, sign, verify, type KeyPair } from '../../src/crypto/index.ts';
import type { Block, BlockHeader } from '../../src/ledger/index.ts';
import { BlockSyncer, requestStatus, serveSync, type SyncBlock, type SyncSource, type SyncTarget } from '../../src/net/index.ts';
import { closeAll, connected, startNode, waitFor, type TestNode } from '../helpers/net.ts';

const CHAIN = 'c1';
const ZERO = '00'.repeat(32);

function hashHeader(h: BlockHeader): string {
  return toHex(sha256(new TextEncoder().encode(canonicalize(h))));
}

/** A toy chain: each block links to the previous hash; the commit is the validator's signature. */
function makeChain(validator: KeyPair, n: number): SyncBlock[] {
  const out: SyncBlock[] = [];
  let prev = ZERO;
  for (let height = 1; height <= n; height++) {
    const header: BlockHeader = {
      chain: CHAIN, height, prev, time: 1_700_000_000_000 + height * 1000, txCount: 0,
      txRoot: ZERO, receiptRoot: ZERO, stateRoot: toHex(sha256(new Uint8Array([height & 255, height >> 8]))), proposer: 'did:shulian:test',
    };
    const hash = hashHeader(header);
    const block: Block = { header, hash, sig: '', txs: [], receipts: [] };
    out.push({ block, commit: { sig: toHex(sign('ed25519', validator.privateKey, fromHex(hash))) } });
    prev = hash;
  }
  return out;
}

class FakeTarget implements SyncTarget {
  applied: number[] = [];
  rejected: number[] = [];
  private head = ZERO;
  constructor(private readonly validator: KeyPair) {}
  height(): number {
    return this.applied.length;
  }
  async verifyAndApply(block: Block, commit: JsonValue): Promise<void> {
    await new Promise((r) => setImmediate(r)); // like a real, asynchronous apply
    const h = block.header;
    const sig = (commit as { sig?: unknown } | null)?.sig;
    const ok = h.height === this.height() + 1 && h.prev === this.head && hashHeader(h) === block.hash
      && typeof sig === 'string' && verify('ed25519', this.validator.publicKey, fromHex(block.hash), fromHex(sig));
    if (!ok) {
      this.rejected.push(h.height);
      throw new Error(`block ${h.height} does not verify`);
    }
    this.applied.push(h.height);
    this.head = block.hash;
  }
}

function source(blocks: SyncBlock[], corrupt?: (b: SyncBlock) => SyncBlock): SyncSource & { served: number } {
  const s = {
    served: 0,
    height: () => blocks.length,
    headHash: () => blocks[blocks.length - 1]?.block.hash ?? null,
    async getBlocks(from: number, max: number): Promise<SyncBlock[]> {
      const out = blocks.slice(from - 1, from - 1 + max).map((b) => (corrupt ? corrupt(b) : b));
      s.served += out.length;
      return out;
    },
  };
  return s;
}

describe('block sync', () => {
  const open: TestNode[] = [];
  after(() => closeAll(...open));

  test('a node at height 0 reaches 200 from two peers, one of which serves corrupt blocks', async () => {
    const validator = generateKeyPair('ed25519');
    const blocks = makeChain(validator, 200);
    const good = await startNode();
    const evil = await startNode();
    const fresh = await startNode();
    open.push(good, evil, fresh);
    serveSync(good.net, CHAIN, source(blocks));
    // Every block whose height ends in 7 has a tampered state root (its hash no longer matches).
    const evilSource = source(blocks, (b) => (b.block.header.height % 10 === 7
      ? { block: { ...b.block, header: { ...b.block.header, stateRoot: ZERO } }, commit: b.commit } : b));
    serveSync(evil.net, CHAIN, evilSource);
    fresh.net.addPeer(good.url);
    fresh.net.addPeer(evil.url);
    await waitFor(() => connected(fresh, good) && connected(fresh, evil), 'links');

    const st = await requestStatus(fresh.net, good.did, CHAIN);
    assert.deepEqual(st, { did: good.did, height: 200, head: blocks[199]!.block.hash });

    const target = new FakeTarget(validator);
    const bad: string[] = [];
    const syncer = new BlockSyncer(fresh.net, { chain: CHAIN, target, batchSize: 16, window: 4, onBadPeer: (did) => bad.push(did) });
    const t0 = Date.now();
    const res = await syncer.syncToTip();
    const ms = Date.now() - t0;
    assert.equal(res.height, 200);
    assert.equal(res.startHeight, 0);
    assert.equal(res.applied, 200);
    assert.deepEqual(target.applied, Array.from({ length: 200 }, (_, i) => i + 1), 'every block once, in order');
    assert.ok(target.rejected.length >= 1, 'the corrupt block was rejected by verification');
    assert.ok(target.rejected.every((h) => h % 10 === 7));
    assert.deepEqual(res.badPeers, [evil.did]);
    assert.deepEqual(bad, [evil.did]);
    assert.deepEqual(syncer.badPeers(), [evil.did]);
    assert.ok(evilSource.served > 0, 'the bad peer was asked too');
    assert.equal((res.fromPeers[good.did] ?? 0) + (res.fromPeers[evil.did] ?? 0), 200);
    assert.ok(ms < 10_000, `took ${ms} ms`);
    // Caught up: another pass does nothing.
    const again = await syncer.syncToTip();
    assert.equal(again.applied, 0);
    assert.equal(again.bestPeerHeight, 200);
    await closeAll(good, evil, fresh);
  });

  test('a peer that stalls or lies about heights is skipped; a peer that advances is followed', async () => {
    const validator = generateKeyPair('ed25519');
    const blocks = makeChain(validator, 120);
    const growing = blocks.slice(0, 60);
    const slow = await startNode();
    const liar = await startNode();
    const honest = await startNode();
    const fresh = await startNode();
    open.push(slow, liar, honest, fresh);
    serveSync(slow.net, CHAIN, { height: () => 120, getBlocks: () => new Promise(() => {}) });
    // Answers with blocks of the wrong heights.
    serveSync(liar.net, CHAIN, { height: () => 120, getBlocks: async (from, max) => blocks.slice(from, from + max) });
    serveSync(honest.net, CHAIN, source(growing));
    for (const n of [slow, liar, honest]) fresh.net.addPeer(n.url);
    await waitFor(() => fresh.net.peers(CHAIN).length === 3, 'links');
    const target = new FakeTarget(validator);
    const syncer = new BlockSyncer(fresh.net, { chain: CHAIN, target, batchSize: 10, window: 3, requestTimeoutMs: 300, maxPeerFailures: 1 });
    const r1 = await syncer.syncToTip();
    assert.equal(r1.height, 60, 'everything the honest peer has');
    assert.deepEqual(r1.badPeers, [liar.did]);
    assert.deepEqual(target.rejected, []);
    // The honest peer's chain grows; the next pass follows it.
    growing.push(...blocks.slice(60));
    const r2 = await syncer.syncToTip();
    assert.equal(r2.height, 120);
    assert.deepEqual(target.applied, Array.from({ length: 120 }, (_, i) => i + 1));
    await closeAll(slow, liar, honest, fresh);
  });
});
