/**
 * The privacy module on a real chain (LMDB, blocks): runs are admitted only with the requester's
 * grants for both datasets and consents valid at the request's height; each run counts as a use
 * of each grant (the owner's count caps runs); reports and results only from the roles the run
 * names; every refusal writes nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, didFromPublicKey, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Receipt } from '../../src/ledger/index.ts';
import { builtinModules } from '../../src/modules/index.ts';
import { dataauthModule, dataauthStateKey } from '../../src/modules/dataauth/index.ts';
import { consentRoot, privacyModule, privacyStateKey, type RunRecord } from '../../src/modules/privacy/index.ts';
import { MapContext, runExport } from '../../src/runtime/index.ts';
import { openTestChain, type TestChain } from '../helpers/chain.ts';
import { changedKeys, stateSnapshot } from '../helpers/state.ts';
import { moduleCalls } from '../helpers/module-calls.ts';
import { tempDir } from '../helpers/tmp.ts';

let t: TestChain;
let tmp: { dir: string; cleanup: () => void };
const hospital = generateKeyPair('ed25519');
const alumni = generateKeyPair('ed25519');
const institute = generateKeyPair('ed25519');
const stranger = generateKeyPair('ed25519');
const subjects = [0, 1, 2].map(() => generateKeyPair('ed25519'));
const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
const hash = (n: number) => n.toString(16).padStart(64, '0');
const consentDigests = [hash(0xc1), hash(0xc2), hash(0xc3)];
const paillier = { n: 'c' + '1'.repeat(510) + '3', h: '05' };

before(async () => {
  tmp = tempDir();
  t = await openTestChain(tmp.dir, 'ed25519', { chain: 'data', modules: ['catalog', 'dataauth', 'consent', 'vcstatus', 'privacy'] }, builtinModules);
});
after(async () => {
  await t.close();
  tmp.cleanup();
});

const m = moduleCalls(() => t, 'data');
const { call, state } = m;
const ok = (r: Receipt) => { assert.equal(r.status, 'ok', `${r.code}: ${r.message}`); return r.result as Record<string, unknown>; };
const refused = async (...a: Parameters<typeof m.refused>): Promise<void> => { await m.refused(...a); };

const dataset = (id: string, title: string) => ({
  id, title: { en: title }, description: { en: title }, keywords: ['health'], themes: ['HEAL'], frequency: 'MONTHLY', sensitivity: 'conditional',
  distributions: [{ id: 'psi', mediaType: 'text/csv', accessUrl: 'https://example.org/psi', service: 'psi' }],
  services: [{ id: 'psi', title: { en: 'PSI party' }, kind: 'privacy-computing', endpointUrl: 'https://example.org/psi' }],
});
/** A psi-sum request; a key given as undefined is left out. */
const sumAsk = (over: Record<string, unknown> = {}): Record<string, unknown> => Object.fromEntries(Object.entries({
  protocol: 'psi-sum', receiver: { dataset: 'alumni-roster', grant: 2 }, sender: { dataset: 'hospital-visits', grant: 1 },
  columns: ['visits', 'cost'], purpose: 'dpv:AcademicResearch', consents: consentDigests, paillier, fee: { currency: 'CNY', amount: '1001' }, ...over,
}).filter(([, v]) => v !== undefined));

test('setup: two datasets, the institute\'s grants (aggregate, 3 uses), three subjects\' consents', async () => {
  ok(await call(hospital, 'catalog', 'publish', dataset('hospital-visits', 'Hospital visits')));
  ok(await call(alumni, 'catalog', 'publish', dataset('alumni-roster', 'Alumni roster')));
  for (const d of ['hospital-visits', 'alumni-roster']) ok(await call(institute, 'dataauth', 'request', { dataset: d, purpose: 'dpv:AcademicResearch', actions: ['aggregate'], count: 3 }));
  assert.equal(ok(await call(hospital, 'dataauth', 'approve', { request: 1 })).grant, 1);
  assert.equal(ok(await call(alumni, 'dataauth', 'approve', { request: 2 })).grant, 2);
  // A grant for read only (psi), to the institute, on the hospital's data.
  ok(await call(institute, 'dataauth', 'request', { dataset: 'hospital-visits', purpose: 'dpv:AcademicResearch', actions: ['read'], count: 5 }));
  assert.equal(ok(await call(hospital, 'dataauth', 'approve', { request: 3 })).grant, 3);
  for (const [i, s] of subjects.entries()) ok(await call(s, 'consent', 'give', { digest: consentDigests[i], controller: did(institute), source: did(hospital), purpose: 'dpv:AcademicResearch' }));
});

test('a psi-sum run: admitted with both grants and the consents, reported by the owners, completed by the requester', async () => {
  const r = ok(await call(institute, 'privacy', 'request', sumAsk()));
  assert.deepEqual(r, { run: 1, consentRoot: consentRoot(consentDigests), uses: [1, 1] });
  assert.equal(state<number>(dataauthStateKey.uses(1)), 1, 'the run is a use of the hospital\'s grant');
  assert.equal(state<number>(dataauthStateKey.uses(2)), 1);
  const run = state<RunRecord>(privacyStateKey.run(1));
  assert.equal(run.status, 'admitted');
  assert.deepEqual(run.parties.map((p) => [p.role, p.dataset, p.owner]), [['receiver', 'alumni-roster', did(alumni)], ['sender', 'hospital-visits', did(hospital)]]);
  const rep = { run: 1, inputCommitment: hash(0xaa), records: 3, durationMs: 12 };
  await refused(institute, 'privacy', 'complete', { run: 1, resultDigest: hash(1), durationMs: 5 }, 'PRIVACY_NOT_READY', /has not reported/);
  await refused(stranger, 'privacy', 'report', rep, 'PRIVACY_NOT_PARTY', /owns neither dataset/);
  await refused(institute, 'privacy', 'report', rep, 'PRIVACY_NOT_PARTY');
  assert.equal(ok(await call(hospital, 'privacy', 'report', rep)).role, 'sender');
  await refused(hospital, 'privacy', 'report', rep, 'PRIVACY_NOT_PARTY', /already reported/);
  assert.equal(ok(await call(alumni, 'privacy', 'report', { ...rep, inputCommitment: hash(0xbb) })).role, 'receiver');
  await refused(alumni, 'privacy', 'complete', { run: 1, resultDigest: hash(1), durationMs: 5 }, 'PRIVACY_NOT_PARTY', /only the requester/);
  const done = ok(await call(institute, 'privacy', 'complete', { run: 1, resultDigest: hash(0x77), durationMs: 40 }));
  assert.equal(done.status, 'done');
  const after = state<RunRecord>(privacyStateKey.run(1));
  assert.equal(after.result?.digest, hash(0x77));
  // This chain runs no xchain: the fee instruction waits, with the reason.
  assert.equal(after.fee?.status, 'pending');
  await refused(institute, 'privacy', 'complete', { run: 1, resultDigest: hash(1), durationMs: 5 }, 'PRIVACY_RUN_ENDED');
  await refused(hospital, 'privacy', 'fail', { run: 1, reason: 'late' }, 'PRIVACY_RUN_ENDED');
});

test('refused requests write nothing: another\'s grant, a grant for the wrong dataset or action, shape errors', async () => {
  // Not the grantee: the stranger names the institute's grants.
  await refused(stranger, 'privacy', 'request', sumAsk({ consents: [] }), 'DATAAUTH_NOT_GRANTEE');
  // Grant 1 is the hospital's; the receiver is the alumni roster.
  await refused(institute, 'privacy', 'request', sumAsk({ receiver: { dataset: 'alumni-roster', grant: 1 }, sender: { dataset: 'hospital-visits', grant: 1 } }), 'PRIVACY_BAD_REQUEST', /grant 1 is for dataset hospital-visits, not alumni-roster/);
  // Grant 3 allows read, not aggregate.
  await refused(institute, 'privacy', 'request', sumAsk({ sender: { dataset: 'hospital-visits', grant: 3 } }), 'ODRL_NO_PERMISSION');
  await refused(institute, 'privacy', 'request', sumAsk({ sender: { dataset: 'hospital-visits', grant: 99 } }), 'DATAAUTH_GRANT_NOT_FOUND');
  await refused(institute, 'privacy', 'request', sumAsk({ columns: [] }), 'PRIVACY_BAD_REQUEST', /at least one value column/);
  await refused(institute, 'privacy', 'request', sumAsk({ paillier: undefined }), 'PRIVACY_BAD_REQUEST', /Paillier public key/);
  await refused(institute, 'privacy', 'request', sumAsk({ paillier: { n: '03', h: '05' } }), 'PRIVACY_BAD_REQUEST', /2048-bit/);
  await refused(institute, 'privacy', 'request', sumAsk({ protocol: 'psi-cardinality' }), 'PRIVACY_BAD_REQUEST', /args\.columns must be empty/);
  await refused(institute, 'privacy', 'request', sumAsk({ sender: { dataset: 'alumni-roster', grant: 2 } }), 'PRIVACY_BAD_REQUEST', /different datasets/);
  await refused(institute, 'privacy', 'request', sumAsk({ consents: [hash(0xc1), hash(0xc1)] }), 'PRIVACY_BAD_REQUEST', /twice/);
  await refused(institute, 'privacy', 'request', sumAsk({ consents: [hash(0xdead)] }), 'CONSENT_NOT_FOUND');
  await refused(institute, 'privacy', 'request', sumAsk({ purpose: 'dpv:Marketing' }), 'CONSENT_WRONG_PURPOSE');
  await refused(institute, 'privacy', 'request', sumAsk({ group: 'p256' }), 'BAD_ARGS', /args\.group/);
});

test('a withdrawn consent refuses the request from the next block; without it the run is admitted', async () => {
  ok(await call(subjects[2]!, 'consent', 'withdraw', { digest: consentDigests[2] }));
  await refused(institute, 'privacy', 'request', sumAsk(), 'CONSENT_WITHDRAWN', /args\.consents\[2\].*leave out subjects who withdrew/);
  const r = ok(await call(institute, 'privacy', 'request', sumAsk({ consents: consentDigests.slice(0, 2) })));
  assert.equal(r.consentRoot, consentRoot(consentDigests.slice(0, 2)));
  assert.deepEqual(r.uses, [2, 2]);
});

test('the grant\'s count caps runs (differencing): a failed run still counts, the fourth is refused', async () => {
  const two = consentDigests.slice(0, 2);
  ok(await call(alumni, 'privacy', 'fail', { run: 2, reason: 'PRIVACY_PEER: the sender stopped answering' }));
  assert.equal(state<RunRecord>(privacyStateKey.run(2)).status, 'failed');
  await refused(stranger, 'privacy', 'fail', { run: 2, reason: 'x' }, 'PRIVACY_NOT_PARTY');
  ok(await call(institute, 'privacy', 'request', sumAsk({ consents: two })));
  await refused(institute, 'privacy', 'request', sumAsk({ consents: two }), 'ODRL_CONSTRAINT', /count lteq 3/);
  assert.equal(state<number>(dataauthStateKey.uses(1)), 3);
});

test('a revoked grant refuses the run', async () => {
  ok(await call(institute, 'dataauth', 'request', { dataset: 'alumni-roster', purpose: 'dpv:AcademicResearch', actions: ['read'], count: 5 }));
  const g = ok(await call(alumni, 'dataauth', 'approve', { request: 4 })).grant as number;
  ok(await call(alumni, 'dataauth', 'revoke', { grant: g }));
  await refused(institute, 'privacy', 'request', { protocol: 'psi', receiver: { dataset: 'alumni-roster', grant: g }, sender: { dataset: 'hospital-visits', grant: 3 }, purpose: 'dpv:AcademicResearch' }, 'DATAAUTH_REVOKED');
});

test('wrong module, wrong caller, wrong chain: useFor serves the privacy module only; exports are no transactions; a tx for another chain is not admitted', async () => {
  const ctx = new MapContext(new Map(), did(institute), 1, 1_800_000_000_000, 'data');
  Object.defineProperty(ctx, 'caller', { value: 'notary' });
  assert.throws(() => runExport(dataauthModule, 'useFor', ctx, { grant: 1, user: did(institute), action: 'aggregate', requestHash: hash(1) }), /dataauth\.useFor is called by module privacy only, not by module notary/);
  assert.throws(() => runExport(dataauthModule, 'useFor', new MapContext(new Map(), did(institute)), {}), /never by a transaction/);
  assert.throws(() => runExport(privacyModule, 'onAcknowledgementPacket', new MapContext(new Map(), did(institute)), {}), /never by a transaction/);
  const before = stateSnapshot(t.chain);
  const r = await call(institute, 'dataauth', 'useFor', { grant: 1, user: did(institute), action: 'aggregate', requestHash: hash(1) });
  assert.equal(r.status, 'failed');
  assert.equal(state<number>(dataauthStateKey.uses(1)), 3);
  const tx = signTx(institute, { chain: 'gov', module: 'privacy', method: 'request', args: sumAsk() as never, nonce: m.nonce(institute), expires: 100_000 }).tx;
  const [adm] = await t.chain.submit([tx]);
  assert.equal(adm!.accepted, false, 'a transaction signed for chain gov is not admitted on data');
  assert.deepEqual(changedKeys(before, stateSnapshot(t.chain)).filter((k) => k.startsWith('privacy/') || k.startsWith('dataauth/')), [], 'neither reached a module');
});
