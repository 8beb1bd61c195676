/**
 * The light client on its own, every check by the code it fails with; and the issue #27
 * regressions: a header signed by one validator of four, or by a removed validator, verifies
 * nothing — through verifyTxInclusion and verifyStateLookup as the SDK and the CLI call them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, generateKeyPair, hashFor, sign, type KeyPair } from '../../crypto/index.ts';
import { headerHashOf, receiptHashOf, stateKeyHash, stateValueHash } from '../hashing.ts';
import { merkleProof, merkleRoot } from '../merkle.ts';
import { EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree } from '../smt/index.ts';
import { signTx } from '../tx.ts';
import type { BlockHeader, Genesis, Receipt, ValidatorInfo } from '../types.ts';
import { verifyStateLookup, verifyTxInclusion } from '../verify.ts';
import { MIN_DELAY } from '../../modules/validators/index.ts';
import {
  SCHEDULE_LEAD, checkHeader, genesisHash, headerVerifier, lightStateFromGenesis, signBytes, precommitBody, trustedThrough, verifyHeaderProof,
  verifySignedHeader, LightClientError, type HeaderProof, type LightState,
} from './index.ts';

const keys = (n: number): KeyPair[] => Array.from({ length: n }, () => generateKeyPair('sm2'));
const infoOf = (ks: KeyPair[]): ValidatorInfo[] => ks.map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey), power: 1 }));
const H = hashFor('sm2');

function precommit(k: KeyPair, chain: string, height: number, blockHash: string, round = 0): { validator: string; sig: string } {
  const validator = didFromPublicKey(k.publicKey);
  return { validator, sig: toHex(sign('sm2', k.privateKey, signBytes(chain, precommitBody(chain, height, round, blockHash, validator)))) };
}

/** A block of chain `chain` at `height` holding one tx and a state tree with `state`, proposed by `proposer` and committed by `signers`. */
function block(chain: string, height: number, proposer: KeyPair, signers: KeyPair[], state: Record<string, JsonValue> = { 'notary/x': 1 }) {
  const tree = new SparseMerkleTree(new MemoryNodeStore(), H);
  const root = tree.update(EMPTY_ROOT, Object.entries(state).map(([k, v]) => ({ key: stateKeyHash('sm2', k), value: stateValueHash('sm2', v) })));
  const sender = generateKeyPair('sm2');
  const { tx, hash: txHash } = signTx(sender, { chain, module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) }, nonce: 0, expires: 100 });
  const receipt: Receipt = { tx: txHash, status: 'ok', gasUsed: 10, events: [] };
  const txLeaves = [Buffer.from(txHash, 'hex')];
  const rcLeaves = [Buffer.from(receiptHashOf('sm2', receipt), 'hex')];
  const header: BlockHeader = {
    chain, height, prev: '00'.repeat(32), time: 1_000 * height, txCount: 1, txRoot: toHex(merkleRoot(txLeaves, H)),
    receiptRoot: toHex(merkleRoot(rcLeaves, H)), stateRoot: toHex(root), proposer: didFromPublicKey(proposer.publicKey),
  };
  const hash = headerHashOf('sm2', header);
  const sig = toHex(sign('sm2', proposer.privateKey, Buffer.from(hash, 'hex')));
  const commit = { chain, height, round: 0, blockHash: hash, signatures: signers.map((k) => precommit(k, chain, height, hash)) };
  const inclusion = {
    tx, receipt, hash: txHash, height, index: 0, header, blockHash: hash, blockSig: sig, commit,
    proof: { tx: merkleProof(txLeaves, 0, H), receipt: merkleProof(rcLeaves, 0, H) },
  };
  const lookup = (key: string) => ({
    key, value: (state[key] ?? null) as JsonValue | null, height, stateRoot: header.stateRoot, proof: tree.prove(root, stateKeyHash('sm2', key)),
    header, blockHash: hash, blockSig: sig, commit,
  });
  const withSchedule = (schedule: JsonValue | null): HeaderProof => ({ header, hash, sig, commit, schedule: { value: schedule, proof: tree.prove(root, stateKeyHash('sm2', 'validators/schedule')) } });
  return { header, hash, sig, commit, inclusion, lookup, withSchedule };
}

function genesisOf(chain: string, validators: ValidatorInfo[], tracks: boolean): Genesis {
  return {
    chain, alliance: 'a', name: chain, nameZh: chain, kind: 'business', suite: 'sm2', consensus: { type: validators.length === 1 ? 'solo' : 'tbft' }, validators,
    modules: tracks ? ['notary', 'validators'] : ['notary'],
    params: { maxBlockTxs: 10, maxTxBytes: 1000, maxTxGas: 1000, mempoolMaxTxs: 10, mempoolMaxBytes: 10_000, maxNonceGap: 5 }, time: 1,
  };
}

const codeOf = (r: { ok: boolean; code?: string }): string | undefined => (r.ok ? undefined : r.code);

test('a header signed by one validator of four verifies nothing (the proposer signature alone was enough before)', () => {
  const ks = keys(4);
  const set = infoOf(ks);
  const lone = block('biz', 5, ks[0]!, [ks[0]!]);
  // The proposer's own signature is valid, and it precommitted: 1 of 4 is not more than 2/3.
  assert.equal(codeOf(verifyTxInclusion('sm2', lone.inclusion, set)), 'LIGHT_NOT_ENOUGH_POWER');
  assert.equal(codeOf(verifyStateLookup('sm2', lone.lookup('notary/x'), set)), 'LIGHT_NOT_ENOUGH_POWER');
  const client = headerVerifier(lightStateFromGenesis(genesisOf('biz', set, false)));
  assert.equal(codeOf(verifyTxInclusion('sm2', lone.inclusion, client)), 'LIGHT_NOT_ENOUGH_POWER');
  assert.equal(codeOf(verifyStateLookup('sm2', lone.lookup('notary/x'), client)), 'LIGHT_NOT_ENOUGH_POWER');
  // Without any commit: refused, whatever the proposer signed.
  const { commit: _c, ...bare } = lone.inclusion;
  assert.equal(codeOf(verifyTxInclusion('sm2', bare, set)), 'LIGHT_NO_COMMIT');
  // Three of four: final.
  const good = block('biz', 5, ks[0]!, ks.slice(0, 3));
  assert.deepEqual(verifyTxInclusion('sm2', good.inclusion, client), { ok: true });
  assert.deepEqual(verifyStateLookup('sm2', good.lookup('notary/x'), client), { ok: true });
  assert.deepEqual(verifyStateLookup('sm2', good.lookup('notary/absent'), client), { ok: true });
  // A reader binds the proposer signature too: a commit is not a licence to change it.
  assert.equal(codeOf(verifyTxInclusion('sm2', { ...good.inclusion, blockSig: good.inclusion.blockSig.replace(/^../, (x) => (x === '00' ? '01' : '00')) }, client)), 'LIGHT_BAD_BLOCK_SIGNATURE');
  // And the tx signature.
  assert.equal(codeOf(verifyTxInclusion('sm2', { ...good.inclusion, tx: { ...good.inclusion.tx, sig: good.inclusion.tx.sig.replace(/^../, (x) => (x === '00' ? '01' : '00')) } }, client)), 'PROOF_TX_MISMATCH');
});

test('each header check fails with its own code', () => {
  const ks = keys(4);
  const set = infoOf(ks);
  const tbft = { chain: 'biz', suite: 'sm2' as const, consensus: 'tbft' as const };
  const b = block('biz', 7, ks[1]!, ks.slice(0, 3));
  const sh = { header: b.header, hash: b.hash, sig: b.sig, commit: b.commit };
  assert.deepEqual(verifySignedHeader(tbft, set, sh), { ok: true });
  assert.equal(codeOf(verifySignedHeader({ ...tbft, chain: 'other' }, set, sh)), 'LIGHT_WRONG_CHAIN');
  assert.equal(codeOf(verifySignedHeader(tbft, set, { ...sh, header: { ...b.header, time: 1 } })), 'LIGHT_HASH_MISMATCH');
  assert.equal(codeOf(verifySignedHeader(tbft, set, { ...sh, commit: { ...b.commit, blockHash: 'ee'.repeat(32) } })), 'LIGHT_COMMIT_OTHER_BLOCK');
  assert.equal(codeOf(verifySignedHeader(tbft, set, { ...sh, commit: { ...b.commit, signatures: [...b.commit.signatures.slice(0, 2), precommit(generateKeyPair('sm2'), 'biz', 7, b.hash)] } })), 'LIGHT_COMMIT_UNKNOWN_SIGNER');
  assert.equal(codeOf(verifySignedHeader(tbft, set, { ...sh, commit: { ...b.commit, signatures: [...b.commit.signatures, b.commit.signatures[0]!] } })), 'LIGHT_COMMIT_DUPLICATE_SIGNER');
  assert.equal(codeOf(verifySignedHeader(tbft, set, { ...sh, commit: { ...b.commit, signatures: [...b.commit.signatures.slice(0, 2), precommit(ks[2]!, 'biz', 7, b.hash, 1)] } })), 'LIGHT_COMMIT_BAD_SIGNATURE');
  assert.equal(codeOf(verifySignedHeader(tbft, set, { ...sh, commit: { ...b.commit, signatures: b.commit.signatures.slice(0, 2) } })), 'LIGHT_NOT_ENOUGH_POWER');
  assert.equal(codeOf(verifySignedHeader(tbft, set, { ...sh, commit: 'yes' })), 'LIGHT_NO_COMMIT');
  assert.equal(codeOf(verifySignedHeader({ ...tbft, consensus: 'attested' }, set, sh)), 'LIGHT_ATTESTED_CHAIN');
  // The proposer: checked for readers on BFT chains too.
  const stranger = generateKeyPair('sm2');
  const byStranger = block('biz', 7, stranger, ks.slice(0, 3));
  const strangerSh = { header: byStranger.header, hash: byStranger.hash, sig: byStranger.sig, commit: byStranger.commit };
  assert.deepEqual(verifySignedHeader(tbft, set, strangerSh), { ok: true }, 'a bridge checks the commit only');
  assert.equal(codeOf(verifySignedHeader(tbft, set, strangerSh, { reader: true })), 'LIGHT_NOT_VALIDATOR');
  // A zero state root: refused by a bridge (Nomad), accepted by a reader under a valid commit (an empty state).
  const zeroHeader = { ...b.header, stateRoot: '00'.repeat(32) };
  const zh = headerHashOf('sm2', zeroHeader);
  const zero = { header: zeroHeader, hash: zh, sig: toHex(sign('sm2', ks[1]!.privateKey, Buffer.from(zh, 'hex'))), commit: { ...b.commit, blockHash: zh, signatures: ks.slice(0, 3).map((k) => precommit(k, 'biz', 7, zh)) } };
  assert.equal(codeOf(verifySignedHeader(tbft, set, zero)), 'LIGHT_ZERO_STATE_ROOT');
  assert.deepEqual(verifySignedHeader(tbft, set, zero, { reader: true }), { ok: true });
  // Solo: the one validator, its signature.
  const solo = { chain: 'biz', suite: 'sm2' as const, consensus: 'solo' as const };
  const one = block('biz', 3, ks[0]!, []);
  assert.deepEqual(verifySignedHeader(solo, [set[0]!], { header: one.header, hash: one.hash, sig: one.sig }), { ok: true });
  assert.equal(codeOf(verifySignedHeader(solo, [set[1]!], { header: one.header, hash: one.hash, sig: one.sig })), 'LIGHT_NOT_VALIDATOR');
  assert.equal(codeOf(verifySignedHeader(solo, [set[0]!], { header: one.header, hash: one.hash, sig: b.sig })), 'LIGHT_BAD_BLOCK_SIGNATURE');
});

test('the client follows a validator change from its genesis; a removed validator\'s signatures stop counting at the change', () => {
  const old = keys(4);
  // Validator 0 leaves, a new one joins at height 10 (as test/validator-change.test.ts does on a cluster).
  const joiner = generateKeyPair('sm2');
  const next = [...old.slice(1), joiner];
  const schedule = [{ height: 0, validators: infoOf(old) }, { height: 10, validators: infoOf(next) }] as unknown as JsonValue;
  const g = genesisOf('biz', infoOf(old), true);
  let s: LightState = lightStateFromGenesis(g, genesisHash(g));
  assert.throws(() => lightStateFromGenesis(g, 'ab'.repeat(32)), (e: LightClientError) => e.code === 'LIGHT_GENESIS_MISMATCH');
  assert.equal(trustedThrough(s), SCHEDULE_LEAD);
  // A header past what the client has proven is not checked against a guessed set.
  const at11 = block('biz', 11, joiner, next.slice(0, 3));
  assert.equal(codeOf(checkHeader(s, at11)), 'LIGHT_HEIGHT_NOT_TRUSTED');
  // The header just before the change (what validatorsAt gives), signed by the old set, proves the schedule.
  s = verifyHeaderProof(s, block('biz', 9, old[0]!, old.slice(0, 3), { 'validators/schedule': schedule }).withSchedule(schedule), { reader: true });
  assert.equal(s.schedule.length, 2);
  // And the header of height 10 proves the schedule as of 10: sets up to 12 are known.
  s = verifyHeaderProof(s, block('biz', 10, joiner, next.slice(0, 3), { 'validators/schedule': schedule }).withSchedule(schedule), { reader: true });
  assert.equal(trustedThrough(s), 12);
  assert.deepEqual(checkHeader(s, at11), { ok: true });
  // The removed validator with two who stayed: its precommit is a stranger's now.
  const withRemoved = block('biz', 11, old[1]!, [old[0]!, old[1]!, old[2]!]);
  assert.equal(codeOf(checkHeader(s, withRemoved)), 'LIGHT_COMMIT_UNKNOWN_SIGNER');
  // The removed validator proposing and signing alone: not a validator of height 11.
  const removedAlone = block('biz', 11, old[0]!, [old[0]!]);
  assert.equal(codeOf(checkHeader(s, removedAlone)), 'LIGHT_COMMIT_UNKNOWN_SIGNER');
  assert.equal(codeOf(verifyTxInclusion('sm2', removedAlone.inclusion, headerVerifier(s))), 'LIGHT_COMMIT_UNKNOWN_SIGNER');
  // Before the change it was a validator, and its signatures there still count.
  assert.deepEqual(checkHeader(s, block('biz', 8, old[0]!, old.slice(0, 3))), { ok: true });
  // A hop whose own proven schedule disagrees with the set that signed it: the client is behind.
  const fresh = lightStateFromGenesis(g);
  assert.throws(() => verifyHeaderProof(fresh, block('biz', 12, old[0]!, old.slice(0, 3), { 'validators/schedule': schedule }).withSchedule(schedule)),
    (e: LightClientError) => e.code === 'LIGHT_SCHEDULE_MISMATCH' && /client is behind/.test(e.message));
  const noSchedule = block('biz', 9, old[0]!, old.slice(0, 3));
  assert.throws(() => verifyHeaderProof(fresh, { header: noSchedule.header, hash: noSchedule.hash, sig: noSchedule.sig, commit: noSchedule.commit }), (e: LightClientError) => e.code === 'LIGHT_NO_SCHEDULE');
  assert.throws(() => verifyHeaderProof(fresh, { ...noSchedule.withSchedule(schedule) }), (e: LightClientError) => e.code === 'LIGHT_BAD_KEY_PROOF');
});

test('the schedule lead is the validators module\'s minimum delay', () => {
  assert.equal(SCHEDULE_LEAD, MIN_DELAY);
});
