/**
 * A snapshot of a chain whose validator set changed since genesis (issue #21 item 4): the offer
 * carries the header just before each change, and the receiver's light client, rooted at the
 * genesis set, follows them one trusted set to the next before it checks the snapshot's header
 * (src/ledger/store/snapshot-headers.ts). Before, such an offer was refused outright
 * (SNAPSHOT_BAD_HEADER): the client only knew the genesis set. Attacks: a missing change header,
 * a forged set, a commit by the old set's minority, a header of another chain, too many headers,
 * headers out of order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, hashFor, sign, type KeyPair } from '../../src/crypto/index.ts';
import {
  EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree, verifyOffer, MAX_SNAPSHOT_CHANGE_HEADERS, type SnapshotOffer,
} from '../../src/ledger/store/index.ts';
import {
  headerHashOf, lightStateFromGenesis, precommitBody, signBytes, stateKeyHash, stateValueHash, trustedThrough,
  type BlockHeader, type Genesis, type HeaderProof, type ValidatorEpoch, type ValidatorInfo,
} from '../../src/ledger/index.ts';
import { stateSyncChains } from '../../src/node/statesync.ts';

const SUITE = 'ed25519' as const;
const H = hashFor(SUITE);
const keys = (n: number): KeyPair[] => Array.from({ length: n }, () => generateKeyPair(SUITE));
const infoOf = (ks: KeyPair[]): ValidatorInfo[] => ks.map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey), power: 1 }));

/**
 * A committed header of `chain` at `height` whose state holds `schedule` (none: the genesis set
 * alone), proposed by signers[0] and precommitted by `signers`, with the schedule's proof.
 */
function header(chain: string, height: number, schedule: ValidatorEpoch[] | null, signers: KeyPair[]): HeaderProof {
  const tree = new SparseMerkleTree(new MemoryNodeStore(), H);
  const state: Record<string, JsonValue> = { 'notary/x': height };
  if (schedule) state['validators/schedule'] = schedule as unknown as JsonValue;
  const root = tree.update(EMPTY_ROOT, Object.entries(state).map(([k, v]) => ({ key: stateKeyHash(SUITE, k), value: stateValueHash(SUITE, v) })));
  const h: BlockHeader = {
    chain, height, prev: '00'.repeat(32), time: 1_000 * height, txCount: 0, txRoot: '00'.repeat(32), receiptRoot: '00'.repeat(32),
    stateRoot: toHex(root), proposer: didFromPublicKey(signers[0]!.publicKey),
  };
  const hash = headerHashOf(SUITE, h);
  const signatures = signers.map((k) => {
    const validator = didFromPublicKey(k.publicKey);
    return { validator, sig: toHex(sign(SUITE, k.privateKey, signBytes(chain, precommitBody(chain, height, 0, hash, validator)))) };
  });
  return {
    header: h, hash, sig: toHex(sign(SUITE, signers[0]!.privateKey, Buffer.from(hash, 'hex'))),
    commit: { chain, height, round: 0, blockHash: hash, signatures },
    schedule: { value: (schedule ?? null) as JsonValue | null, proof: tree.prove(root, stateKeyHash(SUITE, 'validators/schedule')) },
  };
}

const offerOf = (hp: HeaderProof, changes?: unknown): SnapshotOffer => ({
  manifest: { format: 1, chain: hp.header.chain, height: hp.header.height, blockHash: hp.hash, stateRoot: hp.header.stateRoot, entries: 1, chunks: ['ab'.repeat(32)] },
  header: hp,
  ...(changes === undefined ? {} : { changes: changes as HeaderProof[] }),
});

/** A refusal with `code` and, for change headers, the light-client check that failed. */
const refused = (code: string, check?: string) => (err: Error & { code?: string; details?: Record<string, unknown> }): boolean => {
  assert.equal(err.code, code, err.message);
  if (check) assert.equal(err.details?.check, check, err.message);
  return true;
};

describe('snapshot offers across validator changes', () => {
  // Four validators at genesis; at 10 the first leaves and J1 joins; at 20 the second leaves and J2 joins.
  const g0 = keys(4);
  const [j1, j2] = keys(2);
  const set1 = [...g0.slice(1), j1!];
  const set2 = [...set1.slice(1), j2!];
  const s0: ValidatorEpoch = { height: 0, validators: infoOf(g0) };
  const e1: ValidatorEpoch = { height: 10, validators: infoOf(set1) };
  const e2: ValidatorEpoch = { height: 20, validators: infoOf(set2) };
  const genesis: Genesis = {
    chain: 'biz', alliance: 'a', name: 'biz', nameZh: 'biz', kind: 'business', suite: SUITE, consensus: { type: 'tbft' }, validators: infoOf(g0),
    modules: ['notary', 'validators'], params: { maxBlockTxs: 10, maxTxBytes: 1000, maxTxGas: 1000, mempoolMaxTxs: 10, mempoolMaxBytes: 10_000, maxNonceGap: 5 }, time: 1,
  };
  const light = () => lightStateFromGenesis(genesis);
  // What an honest node offers at 25: the header before each change, then the snapshot's.
  const h9 = header('biz', 9, [s0, e1], g0.slice(0, 3));
  const h19 = header('biz', 19, [s0, e1, e2], set1.slice(1));
  const h25 = header('biz', 25, [s0, e1, e2], set2.slice(0, 3));

  it('follows each change from the genesis set and accepts the snapshot header signed by the current set', () => {
    const state = verifyOffer(light(), offerOf(h25, [h9, h19]), 25);
    assert.deepEqual(state.schedule.map((e) => e.height), [0, 10, 20]);
    assert.equal(state.latestHeight, 25);
    assert.equal(trustedThrough(state), 27);
    // A chain whose set never changed: no change headers needed, as before.
    verifyOffer(light(), offerOf(header('biz', 8, [s0, e1], g0.slice(1))), 1);
    verifyOffer(light(), offerOf(header('biz', 8, null, g0.slice(1)), []), 1);
  });

  it('refuses an offer that skips a change, naming the header it needs (the old offer had none: refused as a bad header)', () => {
    // No change headers at all: what a node offered before this change.
    assert.throws(() => verifyOffer(light(), offerOf(h25)), (err: Error & { details?: Record<string, unknown> }) => {
      refused('SNAPSHOT_MISSING_CHANGE_HEADER')(err);
      assert.equal(err.details?.changeHeight, 10);
      assert.match(err.message, /must carry header 9/);
      return true;
    });
    // The first change proven, the second skipped.
    assert.throws(() => verifyOffer(light(), offerOf(h25, [h9])), (err: Error & { details?: Record<string, unknown> }) => {
      refused('SNAPSHOT_MISSING_CHANGE_HEADER')(err);
      assert.equal(err.details?.changeHeight, 20);
      return true;
    });
    // The first skipped: the second change's header is refused before any signature is trusted.
    assert.throws(() => verifyOffer(light(), offerOf(h25, [h19])), refused('SNAPSHOT_MISSING_CHANGE_HEADER'));
  });

  it('refuses a forged set: strangers\' commit for a schedule that hands the chain to them', () => {
    const mallory = keys(4);
    const forged = [s0, e1, { height: 20, validators: infoOf(mallory) }];
    const f19 = header('biz', 19, forged, mallory);
    const f25 = header('biz', 25, forged, mallory.slice(0, 3));
    assert.throws(() => verifyOffer(light(), offerOf(f25, [h9, f19])), refused('SNAPSHOT_BAD_CHANGE_HEADER', 'LIGHT_COMMIT_UNKNOWN_SIGNER'));
    // A set1 header whose schedule was edited after signing: its proof no longer verifies against the signed root.
    const edited = structuredClone(h19);
    edited.schedule!.value = forged as unknown as JsonValue;
    assert.throws(() => verifyOffer(light(), offerOf(f25, [h9, edited])), refused('SNAPSHOT_BAD_CHANGE_HEADER', 'LIGHT_BAD_KEY_PROOF'));
    // The snapshot header itself signed by the forged set, after honest change headers: refused as before.
    assert.throws(() => verifyOffer(light(), offerOf(header('biz', 25, [s0, e1, e2], mallory.slice(0, 3)), [h9, h19])), refused('SNAPSHOT_BAD_HEADER', 'LIGHT_COMMIT_UNKNOWN_SIGNER'));
  });

  it('refuses a change committed by a minority of the old set (the two who leave, handing the chain to a stranger)', () => {
    const stranger = keys(1);
    const grab = [s0, { height: 10, validators: infoOf([...g0.slice(0, 2), ...stranger]) }];
    const m9 = header('biz', 9, grab, g0.slice(0, 2));
    assert.throws(() => verifyOffer(light(), offerOf(h25, [m9, h19])), refused('SNAPSHOT_BAD_CHANGE_HEADER', 'LIGHT_NOT_ENOUGH_POWER'));
    // The removed validator alone after the change it was removed by: not in the set it signs for.
    const r19 = header('biz', 19, [s0, e1, e2], [g0[0]!, ...set1.slice(1, 3)]);
    assert.throws(() => verifyOffer(light(), offerOf(h25, [h9, r19])), refused('SNAPSHOT_BAD_CHANGE_HEADER', 'LIGHT_COMMIT_UNKNOWN_SIGNER'));
  });

  it('refuses a change header of another chain, even one signed by the same validators', () => {
    const other9 = header('other', 9, [s0, e1], g0.slice(0, 3));
    assert.throws(() => verifyOffer(light(), offerOf(h25, [other9, h19])), refused('SNAPSHOT_WRONG_CHAIN'));
  });

  it('refuses too many headers, too many bytes of them, and headers out of order, before checking any signature', () => {
    const many = Array.from({ length: MAX_SNAPSHOT_CHANGE_HEADERS + 1 }, () => h9);
    assert.throws(() => verifyOffer(light(), offerOf(h25, many)), refused('SNAPSHOT_TOO_MANY_HEADERS'));
    const padded = { ...h9, padding: 'x'.repeat(3 * 1024 * 1024) };
    assert.throws(() => verifyOffer(light(), offerOf(h25, [padded, h19])), refused('SNAPSHOT_TOO_MANY_HEADERS'));
    assert.throws(() => verifyOffer(light(), offerOf(h25, [h19, h9])), refused('SNAPSHOT_MALFORMED'));
    assert.throws(() => verifyOffer(light(), offerOf(h25, [h9, h9, h19])), refused('SNAPSHOT_MALFORMED'));
    assert.throws(() => verifyOffer(light(), offerOf(h25, [h9, h19, h25])), refused('SNAPSHOT_MALFORMED'));
    assert.throws(() => verifyOffer(light(), offerOf(h25, { 0: h9 })), refused('SNAPSHOT_MALFORMED'));
    assert.throws(() => verifyOffer(light(), offerOf(h25, [h9, 'header 19'])), refused('SNAPSHOT_MALFORMED'));
  });

  it('a node state-syncs the chains its config names (those it validates), and refuses a name that is no tbft chain', () => {
    const bft = ['gov', 'notary', 'sign'].map((chain) => ({ ...genesis, chain }));
    assert.deepEqual(stateSyncChains(undefined, bft).map((g) => g.chain), ['gov', 'notary', 'sign']);
    assert.deepEqual(stateSyncChains(['sign', 'notary'], bft).map((g) => g.chain), ['notary', 'sign']);
    assert.throws(() => stateSyncChains(['notary', 'notray'], bft), (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /notray, which is not a tbft chain of the alliance \(gov, notary, sign\)/.test(err.message));
  });
});
