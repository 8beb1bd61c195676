import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, didFromPublicKey, type KeyPair } from '../../src/crypto/index.ts';
import type { Receipt } from '../../src/ledger/index.ts';
import { builtinModules } from '../../src/modules/index.ts';
import { catalogStateKey, type DatasetRecord, type DatasetInput } from '../../src/modules/catalog/index.ts';
import { dataauthStateKey, grantListId, type GrantRecord, type RequestRecord } from '../../src/modules/dataauth/index.ts';
import { consentStateKey, type ConsentRecord } from '../../src/modules/consent/index.ts';
import { vcstatusModule } from '../../src/modules/vcstatus/index.ts';
import { MapContext, runExport } from '../../src/runtime/index.ts';
import { openTestChain, type TestChain } from '../helpers/chain.ts';
import { changedKeys, stateSnapshot } from '../helpers/state.ts';
import { moduleCalls } from '../helpers/module-calls.ts';
import { tempDir } from '../helpers/tmp.ts';

let t: TestChain;
let tmp: { dir: string; cleanup: () => void };
const agency = generateKeyPair('ed25519');
const operator = generateKeyPair('ed25519');
const stranger = generateKeyPair('ed25519');
const citizen = generateKeyPair('ed25519');
const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
const hash = (n: number) => n.toString(16).padStart(64, '0');

before(async () => {
  tmp = tempDir();
  t = await openTestChain(tmp.dir, 'ed25519', { chain: 'data', modules: ['catalog', 'dataauth', 'consent', 'vcstatus'] }, builtinModules);
});
after(async () => {
  await t.close();
  tmp.cleanup();
});

const { block, call, refused, state } = moduleCalls(() => t, 'data');
const ok = (r: Receipt) => assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);

export const traffic: DatasetInput = {
  id: 'traffic-flow', title: { zh: '道路交通流量', en: 'Road traffic flow' }, description: { zh: '全市主要道路每小时车流量', en: 'Hourly vehicle counts on main roads' },
  keywords: ['traffic', '交通'], themes: ['TRAN'], frequency: 'HOURLY', sensitivity: 'conditional', license: 'https://creativecommons.org/licenses/by/4.0/',
  distributions: [{ id: 'api', mediaType: 'application/json', accessUrl: 'https://data.example.gov.cn/traffic/api', service: 'query' }],
  services: [{ id: 'query', title: { en: 'Traffic query API' }, kind: 'api', endpointUrl: 'https://data.example.gov.cn/traffic/api' }],
};

test('catalog: publish, versions, owners only, withdraw', async () => {
  ok(await call(agency, 'catalog', 'publish', traffic as never));
  const rec = state<DatasetRecord>(catalogStateKey.dataset('traffic-flow'));
  assert.equal(rec.owner, did(agency));
  assert.equal(rec.version, 1);
  assert.equal(state<number>(catalogStateKey.count()), 1);
  await refused(stranger, 'catalog', 'publish', traffic as never, 'CATALOG_EXISTS', /pick another id/);
  await refused(stranger, 'catalog', 'revise', { dataset: traffic, version: 1 } as never, 'CATALOG_NOT_OWNER');
  await refused(agency, 'catalog', 'revise', { dataset: traffic, version: 2 } as never, 'CATALOG_STALE_VERSION');
  await refused(agency, 'catalog', 'publish', { ...traffic, id: 'x', distributions: [] } as never, 'BAD_ARGS', /args\.distributions: a dataset has at least one distribution/);
  await refused(agency, 'catalog', 'publish', { ...traffic, id: 'x', themes: ['SPACE'] } as never, 'BAD_ARGS', /EU data themes/);
  ok(await call(agency, 'catalog', 'revise', { dataset: { ...traffic, keywords: ['traffic', 'flow'] }, version: 1 }));
  assert.equal(state<DatasetRecord>(catalogStateKey.dataset('traffic-flow')).version, 2);
  assert.deepEqual(state<DatasetRecord>(catalogStateKey.version('traffic-flow', 1)).keywords, ['traffic', '交通'], 'older versions are kept');
  ok(await call(agency, 'catalog', 'publish', { ...traffic, id: 'old', sensitivity: 'public' } as never));
  ok(await call(agency, 'catalog', 'withdraw', { id: 'old' }));
  assert.equal(state<DatasetRecord>(catalogStateKey.dataset('old')).status, 'withdrawn');
  ok(await call(agency, 'catalog', 'publish', { ...traffic, id: 'secret', sensitivity: 'closed' } as never));
});

const ask = { dataset: 'traffic-flow', purpose: 'dpv:AcademicResearch', actions: ['read'], count: 3 };

test('dataauth: the owner grants a count of 3; three uses pass, the fourth is refused and writes nothing', async () => {
  const r = await call(operator, 'dataauth', 'request', ask);
  ok(r);
  assert.deepEqual(r.result, { request: 1, status: 'pending' });
  await refused(stranger, 'dataauth', 'approve', { request: 1 }, 'DATAAUTH_NOT_OWNER');
  const a = await call(agency, 'dataauth', 'approve', { request: 1 });
  ok(a);
  const g = state<GrantRecord>(dataauthStateKey.grant(1));
  assert.equal(g.grantee, did(operator));
  assert.equal(g.policy['@type'], 'Agreement');
  assert.equal(g.status.listId, grantListId(did(agency)));
  assert.equal(state<RequestRecord>(dataauthStateKey.request(1)).status, 'granted');
  await refused(agency, 'dataauth', 'approve', { request: 1 }, 'DATAAUTH_DECIDED');
  for (let i = 1; i <= 3; i++) {
    const u = await call(operator, 'dataauth', 'use', { grant: 1, action: 'read', requestHash: hash(i) });
    ok(u);
    assert.equal((u.result as { n: number }).n, i);
  }
  await refused(operator, 'dataauth', 'use', { grant: 1, action: 'read', requestHash: hash(4) }, 'ODRL_CONSTRAINT', /permission\[0\]\.constraint\[1\] \(count lteq 3\)/);
  assert.equal(state<number>(dataauthStateKey.uses(1)), 3);
});

test('dataauth: wrong party, wrong action, wrong purpose, closed and withdrawn datasets', async () => {
  ok(await call(operator, 'dataauth', 'request', { ...ask, count: 10 }));
  ok(await call(agency, 'dataauth', 'approve', { request: 2 }));
  await refused(stranger, 'dataauth', 'use', { grant: 2, action: 'read', requestHash: hash(1) }, 'DATAAUTH_NOT_GRANTEE');
  await refused(operator, 'dataauth', 'use', { grant: 2, action: 'distribute', requestHash: hash(1) }, 'ODRL_NO_PERMISSION');
  await refused(operator, 'dataauth', 'use', { grant: 2, action: 'read', requestHash: hash(1), purpose: 'dpv:Marketing' }, 'ODRL_CONSTRAINT', /purpose isA/);
  await refused(operator, 'dataauth', 'use', { grant: 2, action: 'read', requestHash: hash(1), recipient: did(stranger) }, 'ODRL_CONSTRAINT', /recipient eq/);
  await refused(operator, 'dataauth', 'use', { grant: 2, action: 'teleport', requestHash: hash(1) }, 'ODRL_UNKNOWN_ACTION');
  await refused(operator, 'dataauth', 'request', { ...ask, dataset: 'secret' }, 'DATAAUTH_CLOSED', /不予开放/);
  await refused(operator, 'dataauth', 'request', { ...ask, dataset: 'old' }, 'DATAAUTH_DATASET_WITHDRAWN');
  await refused(operator, 'dataauth', 'request', { ...ask, dataset: 'nope' }, 'CATALOG_NOT_FOUND');
  await refused(operator, 'dataauth', 'request', { ...ask, purpose: 'dpv:Fun' }, 'ODRL_UNKNOWN_PURPOSE');
  ok(await call(operator, 'dataauth', 'request', { ...ask, count: 1 }));
  const bad = { '@type': 'Agreement', uid: 'x', assigner: did(agency), assignee: did(operator), target: 'urn:shulian:data:dataset:traffic-flow', permission: [{ action: 'read', constraint: [{ leftOperand: 'count', operator: 'roughly', rightOperand: 1 }] }] };
  await refused(agency, 'dataauth', 'approve', { request: 3, policy: bad }, 'ODRL_UNKNOWN_OPERATOR', /permission\[0\]\.constraint\[0\]: operator "roughly"/);
  await refused(agency, 'dataauth', 'approve', { request: 3, policy: { ...bad, assignee: did(stranger), permission: [{ action: 'read' }] } }, 'DATAAUTH_POLICY_MISMATCH');
  ok(await call(agency, 'dataauth', 'refuse', { request: 3, reason: 'not now' }));
  assert.equal(state<RequestRecord>(dataauthStateKey.request(3)).status, 'refused');
});

test('dataauth: revocation is one write and stops the next use', async () => {
  ok(await call(operator, 'dataauth', 'use', { grant: 2, action: 'read', requestHash: hash(9) }));
  await refused(stranger, 'dataauth', 'revoke', { grant: 2 }, 'DATAAUTH_NOT_OWNER');
  const before = stateSnapshot(t.chain);
  ok(await call(agency, 'dataauth', 'revoke', { grant: 2 }));
  assert.deepEqual(changedKeys(before, stateSnapshot(t.chain)), [`vcstatus/bits/${grantListId(did(agency))}/0`]);
  await refused(operator, 'dataauth', 'use', { grant: 2, action: 'read', requestHash: hash(10) }, 'DATAAUTH_REVOKED');
});

test('dataauth: a standing offer decides requests by itself', async () => {
  const offer = { '@type': 'Offer', uid: 'urn:offer:1', assigner: did(agency), permission: [{ action: 'use', constraint: [{ leftOperand: 'purpose', operator: 'isA', rightOperand: 'dpv:ResearchAndDevelopment' }, { leftOperand: 'count', operator: 'lteq', rightOperand: 100 }] }], prohibition: [{ action: 'distribute' }], conflict: 'prohibit' };
  await refused(stranger, 'dataauth', 'setOffer', { dataset: 'traffic-flow', policy: offer }, 'DATAAUTH_NOT_OWNER');
  ok(await call(agency, 'dataauth', 'setOffer', { dataset: 'traffic-flow', policy: offer }));
  const yes = await call(stranger, 'dataauth', 'request', { dataset: 'traffic-flow', purpose: 'dpv:NonCommercialResearch', actions: ['read', 'aggregate'], count: 2 });
  ok(yes);
  const gid = (yes.result as { grant: number }).grant;
  const g = state<GrantRecord>(dataauthStateKey.grant(gid));
  assert.equal(g.granted.by, 'offer');
  assert.equal(g.policy.permission!.length, 2);
  assert.equal(g.policy.prohibition![0]!.action, 'distribute');
  ok(await call(stranger, 'dataauth', 'use', { grant: gid, action: 'aggregate', requestHash: hash(1) }));
  const no = await call(stranger, 'dataauth', 'request', { dataset: 'traffic-flow', purpose: 'dpv:Marketing', actions: ['read'] });
  ok(no);
  assert.equal((no.result as { status: string }).status, 'refused');
  assert.match((no.result as { reason: string }).reason, /purpose isA/);
  ok(await call(agency, 'dataauth', 'setOffer', { dataset: 'traffic-flow', policy: null }));
  const pending = await call(stranger, 'dataauth', 'request', { dataset: 'traffic-flow', purpose: 'dpv:Marketing', actions: ['read'] });
  assert.equal((pending.result as { status: string }).status, 'pending', 'without an offer the owner decides');
});

test('consent: given, used, withdrawn — refused from the next block, never in the same one', async () => {
  const digest = hash(0xc0);
  await refused(citizen, 'consent', 'give', { digest, controller: did(citizen), purpose: 'dpv:AcademicResearch' }, 'BAD_ARGS');
  ok(await call(citizen, 'consent', 'give', { digest, controller: did(operator), source: did(agency), purpose: 'dpv:AcademicResearch' }));
  const c = state<ConsentRecord>(consentStateKey.consent(digest));
  assert.deepEqual(Object.keys(c).sort(), ['controller', 'digest', 'history', 'purpose', 'source', 'state', 'subject']);
  ok(await call(operator, 'dataauth', 'request', { ...ask, count: 10, consents: [digest] }));
  const req = state<number>(dataauthStateKey.requests());
  const a = await call(agency, 'dataauth', 'approve', { request: req });
  ok(a);
  const gid = (a.result as { grant: number }).grant;
  ok(await call(operator, 'dataauth', 'use', { grant: gid, action: 'read', requestHash: hash(1) }));
  await refused(stranger, 'consent', 'withdraw', { digest }, 'CONSENT_NOT_SUBJECT');
  // Withdrawal and a use in the same block: the use still holds (effective from the next block).
  const [w, sameBlock] = await block([citizen, 'consent', 'withdraw', { digest }], [operator, 'dataauth', 'use', { grant: gid, action: 'read', requestHash: hash(2) }]);
  ok(w);
  ok(sameBlock);
  const h = t.chain.height();
  assert.equal(state<ConsentRecord>(consentStateKey.consent(digest)).withdrawnFrom, h + 1);
  await refused(operator, 'dataauth', 'use', { grant: gid, action: 'read', requestHash: hash(3) }, 'CONSENT_WITHDRAWN', new RegExp(`from height ${h + 1}`));
  assert.deepEqual(state<ConsentRecord>(consentStateKey.consent(digest)).history.map((e) => e.state), ['given', 'withdrawn']);
  await refused(operator, 'dataauth', 'request', { ...ask, consents: [digest] }, 'CONSENT_WITHDRAWN');
});

test('consent: withdraw all, portability request and receipt, only by the right parties', async () => {
  const d1 = hash(0xd1);
  const d2 = hash(0xd2);
  ok(await call(citizen, 'consent', 'give', { digest: d1, controller: did(operator), purpose: 'dpv:ServiceProvision' }));
  ok(await call(citizen, 'consent', 'give', { digest: d2, controller: did(stranger), purpose: 'dpv:ServiceProvision' }));
  await refused(stranger, 'consent', 'give', { digest: d1, controller: did(operator), purpose: 'dpv:ServiceProvision' }, 'CONSENT_EXISTS');
  const all = await call(citizen, 'consent', 'withdrawAll', {});
  ok(all);
  assert.deepEqual((all.result as { withdrawn: string[] }).withdrawn, [d1, d2]);
  const id = hash(0xee);
  ok(await call(citizen, 'consent', 'requestPortability', { id, source: did(agency), recipient: did(operator) }));
  await refused(operator, 'consent', 'fulfilPortability', { id, receipt: hash(0xef) }, 'PORTABILITY_NOT_SOURCE');
  ok(await call(agency, 'consent', 'fulfilPortability', { id, receipt: hash(0xef) }));
  await refused(agency, 'consent', 'fulfilPortability', { id, receipt: hash(0xef) }, 'PORTABILITY_FULFILLED');
  assert.equal(state<{ fulfilled: { receipt: string } }>(consentStateKey.portability(id)).fulfilled.receipt, hash(0xef));
});

test('exports refuse callers they do not serve, and transactions cannot reach them', async () => {
  const ctx = new MapContext(new Map(), did(agency));
  Object.defineProperty(ctx, 'caller', { value: 'xcall' });
  assert.throws(() => runExport(vcstatusModule, 'setStatus', ctx, { listId: 'x', index: 1, value: true }), /called by module dataauth or module consent only, not by module xcall/);
  assert.throws(() => runExport(vcstatusModule, 'ensureList', new MapContext(new Map(), did(agency)), { listId: 'x' }), /never by a transaction/);
  const asDataauth = new MapContext(new Map(), did(agency));
  Object.defineProperty(asDataauth, 'caller', { value: 'dataauth' });
  assert.throws(() => runExport(vcstatusModule, 'setStatus', asDataauth, { listId: 'x', index: -1, value: true }), (e: Error & { code?: string }) => e.code === 'BAD_ARGS' && /vcstatus\.setStatus args\.index/.test(e.message));
  assert.equal(ctx.writes, 0);
  await refused(agency, 'vcstatus', 'ensureList', { listId: 'x' }, 'METHOD_NOT_FOUND');
  await refused(agency, 'catalog', 'dataset', { id: 'traffic-flow' }, 'METHOD_NOT_FOUND');
});
