import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, type KeyPair } from '../../src/crypto/index.ts';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey } from '../../src/crypto/index.ts';
import { keySigner, signVote, type DuplicateVoteEvidence } from '../../src/consensus/tbft/index.ts';
import { signTx } from '../../src/ledger/index.ts';
import { openTestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';
import { modulesFor } from '../../src/modules/index.ts';
import { testGenesis } from '../helpers/chain.ts';
import { evidenceKey } from '../../src/modules/evidence/index.ts';

test('equivocation is recorded once when both votes are validly signed by a validator of the chain, and refused otherwise', async () => {
  const tmp = tempDir();
  const byz = generateKeyPair('sm2');
  const outsider = generateKeyPair('sm2');
  const validators = [byz, generateKeyPair('sm2')].map((k) => ({ did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey), power: 1 }));
  const overrides = { chain: 'trade', modules: ['evidence'], validators, consensus: { type: 'tbft' as const } };
  const genesisFor = (v: KeyPair) => testGenesis('sm2', v, overrides);
  // The test chain's own block signer is irrelevant here; its genesis fixes the validator set.
  const t = await openTestChain(tmp.dir, 'sm2', overrides, modulesFor(genesisFor(byz)));
  try {
    const dup = (k: KeyPair, chain = 'trade'): DuplicateVoteEvidence => {
      const s = keySigner('sm2', k.privateKey);
      const a = signVote(s, chain, 'prevote', 7, 1, 'aa'.repeat(32));
      const b = signVote(s, chain, 'prevote', 7, 1, 'bb'.repeat(32));
      return { type: 'duplicate-vote', validator: s.did, height: 7, round: 1, voteType: 'prevote', a, b };
    };
    const reporter = generateKeyPair('sm2');
    const good = dup(byz);
    const sameTwice = { ...good, b: good.a };
    const forged = { ...good, b: { ...good.b, sig: good.a.sig } };
    const notValidator = dup(outsider);
    const otherChain = dup(byz, 'gov');
    const txs = [good, good, sameTwice, forged, notValidator, otherChain].map((evidence, nonce) =>
      signTx(reporter, { chain: 'trade', module: 'evidence', method: 'submit', args: { evidence } as never, nonce, expires: 50 }).tx);
    await t.chain.submit(txs);
    // The test chain is driven by hand; tbft chains make empty blocks, so allow them here too.
    const candidate = (await t.chain.proposeBlock(1_700_000_001_000, { allowEmpty: true }))!;
    const block = await t.chain.commitCandidate(candidate);
    assert.deepEqual(block.receipts.map((r) => r.code ?? 'ok'), ['ok', 'EVIDENCE_EXISTS', 'EVIDENCE_INVALID', 'EVIDENCE_INVALID', 'EVIDENCE_INVALID', 'EVIDENCE_INVALID']);
    const rec = t.chain.getState(`evidence/${evidenceKey(good)}`).value as { reportedBy: string; evidence: { validator: string } };
    assert.equal(rec.evidence.validator, validators[0]!.did);
    assert.equal(rec.reportedBy, txs[0]!.from);
    assert.deepEqual(block.receipts[0]!.events, [{ module: 'evidence', type: 'Equivocation', data: { validator: validators[0]!.did, height: 7, round: 1, type: 'duplicate-vote' } }]);
  } finally {
    await t.close();
    tmp.cleanup();
  }
});
