import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { toHex } from '../../codec/index.ts';
import { publicKeyFromPrivate, type Suite } from '../../crypto/index.ts';
import type { ValidatorInfo } from '../../ledger/index.ts';
import {
  keySigner, signBytes, signProposal, signVote, suiteVerifier, verifyCommit, verifyEvidence, verifyProposalSig,
  verifyVoteSig, voteBody,
} from './messages.ts';
import type { Commit, Signer } from './types.ts';

function setup(suite: Suite, n: number, powers?: number[]): { signers: Signer[]; validators: ValidatorInfo[] } {
  const signers: Signer[] = [];
  const validators: ValidatorInfo[] = [];
  for (let i = 0; i < n; i++) {
    const priv = new Uint8Array(createHash('sha256').update(`${suite}-${i}`).digest());
    const s = keySigner(suite, priv);
    signers.push(s);
    validators.push({ did: s.did, publicKey: toHex(publicKeyFromPrivate(suite, priv)), power: powers?.[i] ?? 1 });
  }
  return { signers, validators };
}

for (const suite of ['ed25519', 'sm2'] as const) {
  test(`${suite}: votes and proposals verify under their key only, and only on their chain`, () => {
    const { signers, validators } = setup(suite, 2);
    const verify = suiteVerifier(suite);
    const v = signVote(signers[0]!, 'chain-a', 'precommit', 5, 2, 'ab'.repeat(32));
    assert.ok(verifyVoteSig(v, validators[0]!.publicKey, verify));
    assert.equal(verifyVoteSig(v, validators[1]!.publicKey, verify), false);
    assert.equal(verifyVoteSig({ ...v, chain: 'chain-b' }, validators[0]!.publicKey, verify), false);
    assert.equal(verifyVoteSig({ ...v, round: 3 }, validators[0]!.publicKey, verify), false);
    assert.equal(verifyVoteSig({ ...v, value: null }, validators[0]!.publicKey, verify), false);
    const p = signProposal(signers[1]!, 'chain-a', 5, 2, { hash: 'cd'.repeat(32), payload: { any: 'thing' } }, 1);
    assert.ok(verifyProposalSig(p, validators[1]!.publicKey, verify));
    assert.ok(verifyProposalSig({ ...p, value: { hash: p.value.hash } }, validators[1]!.publicKey, verify), 'the payload is bound by the hash, not signed');
    assert.equal(verifyProposalSig({ ...p, validRound: -1 }, validators[1]!.publicKey, verify), false);
  });
}

test('signed bytes: a domain tag with the chain id, then canonical JSON', () => {
  const body = voteBody({ type: 'prevote', chain: 'c1', height: 1, round: 0, value: null, validator: 'did:x' });
  assert.equal(Buffer.from(signBytes('c1', body)).toString('utf8'),
    'shulian/tbft/v1/c1\n{"chain":"c1","height":1,"round":0,"type":"prevote","validator":"did:x","value":null}');
});

test('verifyCommit: more than 2/3 of the power, each signer once, in the set, with valid precommits', () => {
  const { signers, validators } = setup('ed25519', 4, [1, 1, 1, 2]); // total 5: need > 10/3, i.e. ≥ 4
  const verify = suiteVerifier('ed25519');
  const hash = 'ee'.repeat(32);
  const sig = (i: number, value: string | null = hash, round = 1) => ({ validator: signers[i]!.did, sig: signVote(signers[i]!, 'c', 'precommit', 9, round, value).sig });
  const commit = (sigs: Commit['signatures']): Commit => ({ chain: 'c', height: 9, round: 1, blockHash: hash, signatures: sigs });
  assert.deepEqual(verifyCommit(commit([sig(0), sig(1), sig(3)]), validators, 'c', verify), { ok: true, power: 4, total: 5 });
  assert.equal(verifyCommit(commit([sig(0), sig(1), sig(2)]), validators, 'c', verify).ok, false); // 3 of 5
  assert.match(verifyCommit(commit([sig(0), sig(0), sig(3)]), validators, 'c', verify).reason!, /twice/);
  assert.match(verifyCommit(commit([sig(0), sig(1), { ...sig(3), validator: 'did:shulian:nobody' }]), validators, 'c', verify).reason!, /not a validator/);
  assert.match(verifyCommit(commit([sig(0), sig(1), sig(3, null)]), validators, 'c', verify).reason!, /bad precommit/); // a nil precommit
  assert.match(verifyCommit(commit([sig(0), sig(1), sig(3, hash, 0)]), validators, 'c', verify).reason!, /bad precommit/); // another round
  assert.match(verifyCommit(commit([sig(0), sig(1), sig(3)]), validators, 'other', verify).reason!, /chain/);
  assert.equal(verifyCommit({ ...commit([sig(0), sig(1), sig(3)]), height: 10 }, validators, 'c', verify).ok, false);
});

test('verifyEvidence: two different signed votes of one validator for one slot', () => {
  const { signers, validators } = setup('ed25519', 2);
  const verify = suiteVerifier('ed25519');
  const a = signVote(signers[0]!, 'c', 'prevote', 3, 0, null);
  const b = signVote(signers[0]!, 'c', 'prevote', 3, 0, 'aa'.repeat(32));
  const ev = { type: 'duplicate-vote' as const, validator: signers[0]!.did, height: 3, round: 0, voteType: 'prevote' as const, a, b };
  assert.ok(verifyEvidence(ev, validators, 'c', verify));
  assert.equal(verifyEvidence({ ...ev, b: a }, validators, 'c', verify), false);
  assert.equal(verifyEvidence({ ...ev, b: signVote(signers[0]!, 'c', 'prevote', 3, 1, 'aa'.repeat(32)) }, validators, 'c', verify), false);
  assert.equal(verifyEvidence({ ...ev, b: { ...b, validator: signers[1]!.did } }, validators, 'c', verify), false);
  const p1 = signProposal(signers[1]!, 'c', 3, 0, { hash: '11' }, -1);
  const p2 = signProposal(signers[1]!, 'c', 3, 0, { hash: '22' }, -1);
  assert.ok(verifyEvidence({ type: 'duplicate-proposal', validator: signers[1]!.did, height: 3, round: 0, a: p1, b: p2 }, validators, 'c', verify));
});
