/**
 * State snapshots (issue #21 item 4): a chain's state exported at a height, checked on receipt
 * against a header its validator signed (light client rooted at the genesis), chunk by chunk
 * against the manifest and as a whole against the state root; a store started from it goes on
 * with the blocks after it. Attacks: wrong chain, wrong height, tampered chunk, a manifest that
 * lists tampered chunks, forged headers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sign } from '../../src/crypto/index.ts';
import { Chain } from '../../src/chain/index.ts';
import { headerHashOf, lightStateFromGenesis, signTx, type Block } from '../../src/ledger/index.ts';
import {
  ChainStore, chunkHash, importSnapshot, verifyChunk, verifyOffer, type Snapshot, type SnapshotOffer,
} from '../../src/ledger/store/index.ts';
import { builtinModules } from '../../src/modules/index.ts';
import { openTestChain, testGenesis, type TestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('state snapshots', () => {
  let dir: string;
  let cleanup: () => void;
  let t: TestChain;
  let snap: Snapshot;
  let time = 1_700_000_000_000;
  let nonce = 0;
  const user = generateKeyPair('ed25519');

  const block = async (n: number): Promise<Block> => {
    const txs = Array.from({ length: n }, () => signTx(user, {
      chain: 'notary', module: 'notary', method: 'put', args: { hash: toHex(randomBytes(32)) }, nonce: nonce++, expires: 100_000,
    }).tx);
    const rs = await t.chain.submit(txs);
    assert.ok(rs.every((r) => r.accepted), JSON.stringify(rs));
    return (await t.chain.produceBlock((time += 1000)))!;
  };

  before(async () => {
    ({ dir, cleanup } = tempDir('shulian-snapshot-'));
    t = await openTestChain(dir, 'ed25519');
    for (let i = 0; i < 12; i++) await block(25);
    // Small chunks, so the snapshot has several.
    snap = await t.chain.exportSnapshot(4096);
  });
  after(async () => {
    await t.close();
    cleanup();
  });

  it('exports the state at the head, chunked and hashed, bound to the signed header', () => {
    const m = snap.manifest;
    assert.equal(m.height, 12);
    assert.equal(m.stateRoot, t.chain.info().stateRoot);
    assert.equal(m.blockHash, t.chain.info().headHash);
    assert.ok(m.chunks.length > 3, `${m.chunks.length} chunks`);
    assert.equal(snap.chunks.flat().length, m.entries);
    snap.chunks.forEach((c, i) => assert.equal(chunkHash('ed25519', c), m.chunks[i]));
  });

  it('a new store started from it has the same state and follows the blocks after it', async () => {
    const light = lightStateFromGenesis(t.genesis);
    verifyOffer(light, snap, 12);
    const chunks = snap.chunks.map((c, i) => verifyChunk('ed25519', snap.manifest, i, clone(c)));
    const newDir = join(dir, 'synced');
    await importSnapshot(newDir, t.genesis, snap, chunks);
    const synced = await Chain.open({ genesis: t.genesis, dir: newDir, modules: builtinModules, admission: t.pool });
    try {
      assert.equal(synced.height(), 12);
      assert.equal(synced.baseHeight(), 12);
      assert.equal(synced.info().stateRoot, snap.manifest.stateRoot);
      const [key, value] = snap.chunks[1]![0]!;
      assert.equal(JSON.stringify(synced.getState(key).value), value);
      // Blocks at and below the base are not held; their txs are not claimed.
      assert.equal(synced.getBlock(12), undefined);
      assert.equal(synced.getBlock(5), undefined);
      // Nonces are state: the sender's next nonce came with it.
      assert.equal(synced.nonces(didFromPublicKey(user.publicKey)).nonce, 300);
      // The blocks after the snapshot apply by re-execution and reach the same roots.
      for (let i = 0; i < 3; i++) {
        const b = await block(10);
        const c = await synced.validateBlock(b, b.header.time);
        await synced.commitCandidate(c);
        assert.equal(synced.info().stateRoot, b.header.stateRoot);
      }
      assert.equal(synced.height(), 15);
      assert.equal(synced.getBlock(15)!.hash, t.chain.getBlock(15)!.hash);
      // A second import into the now populated store is refused.
      await synced.close();
      await assert.rejects(importSnapshot(newDir, t.genesis, snap, chunks), { code: 'SNAPSHOT_STORE_NOT_EMPTY' });
    } finally {
      await synced.close().catch(() => {});
    }
  });

  it('refuses a snapshot of another chain (and a light client of another chain)', () => {
    const other = testGenesis('ed25519', t.validator, { chain: 'other' });
    assert.throws(() => verifyOffer(lightStateFromGenesis(other), snap), { code: 'SNAPSHOT_WRONG_CHAIN' });
    const renamed = clone(snap) as SnapshotOffer;
    renamed.manifest.chain = 'other';
    assert.throws(() => verifyOffer(lightStateFromGenesis(other), renamed), { code: 'SNAPSHOT_WRONG_CHAIN' });
  });

  it('refuses a header of another height, and a snapshot below the height asked for', () => {
    const light = lightStateFromGenesis(t.genesis);
    const wrong = clone(snap) as SnapshotOffer;
    wrong.header = t.chain.headerProof(11);
    assert.throws(() => verifyOffer(light, wrong), { code: 'SNAPSHOT_WRONG_HEIGHT' });
    const relabelled = clone(snap) as SnapshotOffer;
    relabelled.manifest.height = 11;
    assert.throws(() => verifyOffer(light, relabelled), { code: 'SNAPSHOT_WRONG_HEIGHT' });
    assert.throws(() => verifyOffer(light, snap, 13), { code: 'SNAPSHOT_WRONG_HEIGHT' });
  });

  it('refuses a tampered chunk, and a manifest listing tampered chunks', async () => {
    const tampered = clone(snap.chunks[2]!);
    const [key] = tampered[0]!;
    tampered[0] = [key, JSON.stringify({ forged: true })];
    assert.throws(() => verifyChunk('ed25519', snap.manifest, 2, tampered), { code: 'SNAPSHOT_CHUNK_HASH' });
    assert.throws(() => verifyChunk('ed25519', snap.manifest, 1, snap.chunks[2]), { code: 'SNAPSHOT_CHUNK_HASH' });
    assert.throws(() => verifyChunk('ed25519', snap.manifest, 0, [['a', 1]]), { code: 'SNAPSHOT_MALFORMED' });
    // The manifest is not signed: one that lists the tampered chunk passes the chunk checks and
    // fails on the state root of the signed header. Nothing is written.
    const forged = clone(snap);
    forged.chunks[2] = tampered;
    forged.manifest.chunks[2] = chunkHash('ed25519', tampered);
    verifyOffer(lightStateFromGenesis(t.genesis), forged);
    const target = join(dir, 'forged');
    await assert.rejects(importSnapshot(target, t.genesis, forged, forged.chunks), { code: 'SNAPSHOT_STATE_ROOT' });
    const store = new ChainStore(target);
    assert.equal(store.head(), undefined);
    await store.close();
    // A dropped entry, an entry out of order: refused before any root is computed.
    const dropped = clone(snap);
    dropped.chunks[1] = dropped.chunks[1]!.slice(1);
    await assert.rejects(importSnapshot(join(dir, 'dropped'), t.genesis, dropped, dropped.chunks), { code: 'SNAPSHOT_MALFORMED' });
    const swapped = clone(snap);
    swapped.chunks = [swapped.chunks[1]!, swapped.chunks[0]!, ...swapped.chunks.slice(2)];
    await assert.rejects(importSnapshot(join(dir, 'swapped'), t.genesis, swapped, swapped.chunks), { code: 'SNAPSHOT_MALFORMED' });
  });

  it('refuses forged headers: a root signed by a non-validator, a bad signature, a header edited after signing', () => {
    const light = lightStateFromGenesis(t.genesis);
    const mallory = generateKeyPair('ed25519');
    // Mallory builds her own state root and signs a header for it with her key.
    const forged = clone(snap) as SnapshotOffer;
    const header = { ...forged.header.header, stateRoot: toHex(randomBytes(32)) };
    const hash = headerHashOf('ed25519', header);
    forged.header = { header, hash, sig: toHex(sign('ed25519', mallory.privateKey, fromHex(hash))) };
    forged.manifest = { ...forged.manifest, blockHash: hash, stateRoot: header.stateRoot };
    assert.throws(() => verifyOffer(light, forged), (err: Error & { code?: string }) => err.code === 'SNAPSHOT_BAD_HEADER' && /LIGHT_BAD_BLOCK_SIGNATURE/.test(err.message));
    // The same, claiming the real validator proposed it.
    const edited = clone(snap) as SnapshotOffer;
    edited.header.header = { ...edited.header.header, stateRoot: header.stateRoot };
    edited.manifest = { ...edited.manifest, stateRoot: header.stateRoot };
    assert.throws(() => verifyOffer(light, edited), (err: Error & { code?: string }) => err.code === 'SNAPSHOT_BAD_HEADER' && /LIGHT_HASH_MISMATCH/.test(err.message));
  });
});
