/**
 * Fuzz of tbft messages off the network (src/consensus/tbft/messages.ts) and of the core that
 * takes them: arbitrary JSON and signed votes, proposals, commits and evidence with one field
 * changed. Shape checks and signature checks never throw; a changed message never verifies
 * unless what it signs is unchanged; a commit verifies only with more than 2/3 of the power in
 * valid precommits; evidence holds only for two different signed messages of one slot; and a
 * core fed any of it never throws and never decides on forged or too few votes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalize, toHex, type JsonValue } from '../../src/codec/index.ts';
import { publicKeyFromPrivate } from '../../src/crypto/index.ts';
import type { ValidatorInfo } from '../../src/ledger/types.ts';
import { isProposal, isVote } from '../../src/consensus/tbft/messages.ts';
import {
  isTbftMessage, keySigner, MemoryWal, proposalBody, signProposal, signVote, suiteVerifier, TbftCore,
  verifyCommit, verifyEvidence, verifyProposalSig, verifyVoteSig, voteBody,
  type Commit, type Evidence, type Proposal, type Signer, type TbftMessage, type Vote,
} from '../../src/consensus/tbft/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const CHAIN = 'fuzz-chain';
const verifyFn = suiteVerifier('ed25519');
const signers: Signer[] = [];
const validators: ValidatorInfo[] = [];
for (let i = 0; i < 4; i++) {
  const priv = new Uint8Array(createHash('sha256').update(`fuzz-validator-${i}`).digest());
  const s = keySigner('ed25519', priv);
  signers.push(s);
  validators.push({ did: s.did, publicKey: toHex(publicKeyFromPrivate('ed25519', priv)), power: 1 });
}
const pk = (did: unknown): string => validators.find((v) => v.did === did)?.publicKey ?? validators[0]!.publicKey;
const H = (s: string): string => createHash('sha256').update(s).digest('hex');
const valueA = { hash: H('block a'), payload: { n: 1 } };
const valueB = { hash: H('block b'), payload: { n: 2 } };

// Signed messages a peer could replay or alter: two validators' votes (never > 2/3 of the power), proposals.
const pool: TbftMessage[] = [];
for (const s of signers.slice(0, 2)) {
  for (const type of ['prevote', 'precommit'] as const) {
    for (const v of [valueA.hash, valueB.hash, null]) pool.push(signVote(s, CHAIN, type, 1, 0, v));
  }
}
pool.push(signProposal(signers[0]!, CHAIN, 1, 0, valueA, -1), signProposal(signers[0]!, CHAIN, 1, 0, valueB, -1), signProposal(signers[1]!, CHAIN, 1, 1, valueA, 0));
const commit: Commit = {
  chain: CHAIN, height: 1, round: 0, blockHash: valueA.hash,
  signatures: signers.slice(0, 3).map((s) => ({ validator: s.did, sig: signVote(s, CHAIN, 'precommit', 1, 0, valueA.hash).sig })),
};

const nearValues: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
  fc.constantFrom<JsonValue>(-1, 0, 1, 2, 2 ** 31, 2 ** 53, 1.5, '1', '', null, 'prevote', 'precommit', 'proposal', 'decision', CHAIN, 'other-chain',
    valueA.hash, valueB.hash, validators[0]!.did, validators[3]!.did, '00'.repeat(64), 'x'.repeat(300), { hash: valueB.hash }, []),
);

/** A pool message with one field replaced (or left as it is), or arbitrary JSON. */
const messageArb: fc.Arbitrary<{ original?: TbftMessage; msg: unknown }> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...pool), fc.constantFrom('type', 'chain', 'height', 'round', 'value', 'validator', 'proposer', 'validRound', 'sig', 'extra'), nearValues, fc.boolean())
    .map(([m, field, v, keep]) => ({ original: m, msg: keep ? structuredClone(m) : { ...structuredClone(m), [field]: v } })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((msg) => ({ msg })) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('type', 'chain', 'height', 'round', 'value', 'validator', 'sig', 'commit', 'proposer', 'validRound'), nearValues).map((msg) => ({ msg })) },
);

const signedPart = (m: unknown): string | undefined => {
  if (isVote(m)) return canonicalize({ ...voteBody(m), sig: m.sig } as JsonValue);
  if (isProposal(m)) return canonicalize({ ...proposalBody(m), sig: m.sig } as JsonValue);
  return undefined;
};

test('votes and proposals off the wire: shape and signature checks never throw; a changed one verifies only if what is signed is unchanged', () => {
  const b = bounded(3000, 6000);
  fc.assert(fc.property(messageArb, b.guard(({ original, msg }) => {
    const shaped = isTbftMessage(msg);
    if (isVote(msg)) {
      const ok = verifyVoteSig(msg, pk(msg.validator), verifyFn);
      assert.equal(ok, original !== undefined && msg.chain === CHAIN && signedPart(msg) === signedPart(original), `vote ${JSON.stringify(msg)}`);
    } else if (isProposal(msg)) {
      const ok = verifyProposalSig(msg, pk(msg.proposer), verifyFn);
      assert.equal(ok, original !== undefined && msg.chain === CHAIN && signedPart(msg) === signedPart(original), `proposal ${JSON.stringify(msg)}`);
    } else {
      assert.equal(shaped && (msg as { type?: unknown }).type !== 'decision', false);
    }
  })), b.params);
});

test('commits: arbitrary or altered commits never throw and never verify; the genuine one does', () => {
  assert.deepEqual(verifyCommit(commit, validators, CHAIN, verifyFn), { ok: true, power: 3, total: 4 });
  const altered = fc.oneof(
    fc.tuple(fc.constantFrom('chain', 'height', 'round', 'blockHash', 'signatures'), nearValues).map(([f, v]) => ({ ...structuredClone(commit), [f]: v })),
    fc.tuple(fc.nat(2), fc.constantFrom('validator', 'sig'), nearValues).map(([i, f, v]) => {
      const c = structuredClone(commit);
      (c.signatures[i] as unknown as Record<string, JsonValue>)[f] = v;
      return c;
    }),
    fc.nat(2).map((i) => ({ ...structuredClone(commit), signatures: [...commit.signatures, commit.signatures[i]!] })),
    fc.nat(2).map((i) => ({ ...structuredClone(commit), signatures: commit.signatures.filter((_, j) => j !== i) })),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const b = bounded(2000, 5000);
  fc.assert(fc.property(altered, b.guard((c) => {
    const r = verifyCommit(c as unknown as Commit, validators, CHAIN, verifyFn);
    const same = canonicalize(c as JsonValue) === canonicalize(commit as unknown as JsonValue);
    assert.equal(r.ok, same, `${JSON.stringify(c)}: ${r.reason}`);
    if (!r.ok) assert.ok(r.reason && r.reason.length > 5);
  })), b.params);
});

test('evidence: holds only for two different signed messages of one validator in one slot; anything else is false, never a throw', () => {
  const votes = pool.filter(isVote);
  const proposals = pool.filter(isProposal);
  const b = bounded(2000, 5000);
  const evArb = fc.oneof(
    fc.tuple(fc.constantFrom(...votes), fc.constantFrom(...votes)).map(([a, v]) => ({ type: 'duplicate-vote', validator: a.validator, voteType: a.type, height: a.height, round: a.round, a, b: v })),
    fc.tuple(fc.constantFrom(...proposals), fc.constantFrom(...proposals)).map(([a, p]) => ({ type: 'duplicate-proposal', validator: a.proposer, height: a.height, round: a.round, a, b: p })),
    fc.dictionary(fc.constantFrom('type', 'validator', 'voteType', 'height', 'round', 'a', 'b'), fc.oneof(nearValues, fc.constantFrom(...pool) as unknown as fc.Arbitrary<JsonValue>)),
  ).chain((ev) => fc.oneof(fc.constant(ev), fc.tuple(fc.constantFrom('type', 'validator', 'voteType', 'height', 'round', 'a', 'b'), nearValues).map(([f, v]) => ({ ...ev, [f]: v }))));
  fc.assert(fc.property(evArb, b.guard((ev) => {
    const got = verifyEvidence(ev as unknown as Evidence, validators, CHAIN, verifyFn);
    const e = ev as Record<string, unknown>;
    const a = e.a as TbftMessage | undefined;
    const bb = e.b as TbftMessage | undefined;
    const genuine = (m: unknown): boolean => pool.some((p) => canonicalize(p as unknown as JsonValue) === canonicalize(m as JsonValue));
    let expected = false;
    if (e.type === 'duplicate-vote' && isVote(a) && isVote(bb) && genuine(a) && genuine(bb)) {
      expected = a.validator === e.validator && bb.validator === e.validator && a.type === e.voteType && bb.type === e.voteType
        && a.height === e.height && bb.height === e.height && a.round === e.round && bb.round === e.round && a.value !== bb.value;
    } else if (e.type !== 'duplicate-vote' && isProposal(a) && isProposal(bb) && genuine(a) && genuine(bb)) {
      expected = a.proposer === e.validator && bb.proposer === e.validator && a.height === e.height && bb.height === e.height
        && a.round === e.round && bb.round === e.round && (a.value.hash !== bb.value.hash || a.validRound !== bb.validRound);
    }
    assert.equal(got, expected, JSON.stringify(ev));
  })), b.params);
});

test('a core fed arbitrary and altered messages never throws and never decides on forged or too few votes', () => {
  const b = bounded(150, 6000);
  fc.assert(fc.property(fc.array(messageArb, { minLength: 1, maxLength: 30 }), fc.boolean(), b.guard((msgs, asValidator) => {
    const core = new TbftCore({
      chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(),
      ...(asValidator ? { signer: signers[3]! } : {}),
    });
    const actions = [...core.start(1)];
    for (const { msg } of msgs) actions.push(...core.receive(msg as TbftMessage, 'peer'));
    // Also the decision of a height, carrying the pool's votes as its commit (2 of 4: too few).
    const forged = { type: 'decision', chain: CHAIN, height: 1, value: valueA, commit: { ...commit, signatures: commit.signatures.slice(0, 2) } };
    actions.push(...core.receive(forged as unknown as TbftMessage, 'peer'));
    assert.ok(!actions.some((a) => a.type === 'decide'), 'decided without more than 2/3 of the power');
    assert.equal(core.status().height, 1);
  })), b.params);
});

// The pool's own messages are what they claim (the properties above rely on it).
test('the fuzz pool: every message verifies as signed', () => {
  for (const m of pool) {
    if (isVote(m)) assert.equal(verifyVoteSig(m as Vote, pk(m.validator), verifyFn), true);
    else assert.equal(verifyProposalSig(m as Proposal, pk((m as Proposal).proposer), verifyFn), true);
  }
});
