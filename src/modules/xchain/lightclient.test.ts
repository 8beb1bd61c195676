/**
 * The light client on its own: BFT commits (too few signers, signers from a replaced set, a
 * commit for another block) and the validator schedule it follows through changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, hashFor } from '../../crypto/index.ts';
import { headerHashOf, stateKeyHash, stateValueHash, EMPTY_ROOT, type BlockHeader, type ValidatorInfo } from '../../ledger/index.ts';
import { SparseMerkleTree, MemoryNodeStore } from '../../ledger/store/index.ts';
import { keySigner, signVote } from '../../consensus/tbft/index.ts';
import { verifyHeaderProof } from './lightclient.ts';
import type { ClientState, HeaderProof } from './types.ts';

const keys = (n: number): KeyPair[] => Array.from({ length: n }, () => generateKeyPair('sm2'));
const infoOf = (ks: KeyPair[]): ValidatorInfo[] => ks.map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey), power: 1 }));
const noGas = (): void => {};

/** A real state tree holding `validators/schedule`, and a header over its root signed by `signers`. */
function headerAt(height: number, signers: KeyPair[], schedule: JsonValue | null, blockHashOverride?: string): HeaderProof {
  const tree = new SparseMerkleTree(new MemoryNodeStore(), hashFor('sm2'));
  const filler = [{ key: stateKeyHash('sm2', 'notary/x'), value: stateValueHash('sm2', 1) }];
  const updates = schedule === null ? filler : [...filler, { key: stateKeyHash('sm2', 'validators/schedule'), value: stateValueHash('sm2', schedule) }];
  const root = tree.update(EMPTY_ROOT, updates);
  const header: BlockHeader = { chain: 'biz', height, prev: '00'.repeat(32), time: 1000 * height, txCount: 0, txRoot: '00'.repeat(32), receiptRoot: '00'.repeat(32), stateRoot: toHex(root), proposer: didFromPublicKey(signers[0]!.publicKey) };
  const hash = headerHashOf('sm2', header);
  const value = blockHashOverride ?? hash;
  const signatures = signers.map((k) => {
    const v = signVote(keySigner('sm2', k.privateKey), 'biz', 'precommit', height, 0, value);
    return { validator: v.validator, sig: v.sig };
  });
  const proof = tree.prove(root, stateKeyHash('sm2', 'validators/schedule'));
  return { header, hash, sig: '00'.repeat(64), commit: { chain: 'biz', height, round: 0, blockHash: value, signatures } as unknown as JsonValue, schedule: { value: schedule, proof } };
}

function client(set: ValidatorInfo[], tracks = true): ClientState {
  return { chain: 'biz', suite: 'sm2', consensus: 'tbft', schedule: [{ height: 0, validators: set }], tracksValidators: tracks, latestHeight: 0 };
}

test('a BFT header needs precommits of more than 2/3 of the power', () => {
  const ks = keys(4);
  const c = client(infoOf(ks));
  assert.equal(verifyHeaderProof(c, headerAt(5, ks.slice(0, 3), null), noGas).latestHeight, 5);
  assert.throws(() => verifyHeaderProof(c, headerAt(5, ks.slice(0, 2), null), noGas), /not more than 2\/3/);
  // Strangers' precommits count for nothing.
  assert.throws(() => verifyHeaderProof(c, headerAt(5, [...ks.slice(0, 2), ...keys(2)], null), noGas), /not a validator/);
  // A commit for another block does not make this header final.
  assert.throws(() => verifyHeaderProof(c, headerAt(5, ks.slice(0, 3), null, 'ee'.repeat(32)), noGas), /another block/);
  // Without a commit at all.
  const bare = headerAt(5, ks.slice(0, 3), null);
  delete bare.commit;
  assert.throws(() => verifyHeaderProof(c, bare, noGas), /needs its commit/);
});

test('the client follows validator changes; the replaced set cannot sign later heights', () => {
  const old = keys(4);
  const next = keys(4);
  const schedule = [{ height: 0, validators: infoOf(old) }, { height: 10, validators: infoOf(next) }] as unknown as JsonValue;
  let c = client(infoOf(old));
  // Height 8: still the old set; its proven schedule announces the change at 10, which the client adopts.
  c = verifyHeaderProof(c, headerAt(8, old.slice(0, 3), schedule), noGas);
  assert.equal(c.schedule.length, 2);
  // Height 12 signed by the new set verifies.
  assert.equal(verifyHeaderProof(c, headerAt(12, next.slice(0, 3), schedule), noGas).latestHeight, 12);
  // Height 12 signed by the old set, with a schedule saying nothing changed: refused.
  const forgedSchedule = [{ height: 0, validators: infoOf(old) }] as unknown as JsonValue;
  assert.throws(() => verifyHeaderProof(c, headerAt(12, old.slice(0, 3), forgedSchedule), noGas), /not a validator at height 12|another validator set/);
});

test('a client that has not seen a change refuses headers whose own schedule names another set', () => {
  const old = keys(4);
  const next = keys(4);
  const c = client(infoOf(old));
  const schedule = [{ height: 0, validators: infoOf(old) }, { height: 10, validators: infoOf(next) }] as unknown as JsonValue;
  // The new set signs height 12, but the client still holds the old set for 12: the commit fails.
  assert.throws(() => verifyHeaderProof(c, headerAt(12, next.slice(0, 3), schedule), noGas), /not a validator/);
  // A header whose schedule proof is for another value is refused.
  const h = headerAt(8, old.slice(0, 3), schedule);
  assert.throws(() => verifyHeaderProof(c, { ...h, schedule: { value: [{ height: 0, validators: infoOf(next) }] as unknown as JsonValue, proof: h.schedule!.proof } }, noGas), /proof/);
  // A header of a chain that tracks validators must carry its schedule.
  const bare = headerAt(8, old.slice(0, 3), schedule);
  delete bare.schedule;
  assert.throws(() => verifyHeaderProof(c, bare, noGas), /schedule/);
});
