/**
 * Issue #17, done when: on a running alliance (a real `shulian up` process), through the CLI —
 * an agency publishes a dataset; a data operator requests it and is granted a count of 3; three
 * uses succeed and the fourth is refused; a citizen consents under a pairwise DID, a use
 * succeeds, the citizen withdraws, and the next use is refused at the next height. The grant,
 * signed by its owner as a VC 2.0, verifies with its status list until it is revoked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { didFromPublicKey, generateKeyPair, writeKeystore } from '../src/crypto/index.ts';
import { ShulianClient, checkConsentRecord, dcatJsonLd, listConsents, pairwiseKey, sm3Hex, useGrant } from '../src/sdk/index.ts';
import { issueCredential, keyPairSigner, verifyCredential, shulianKeyResolver, httpStatusListSource } from '../src/did/index.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { cli, json, jsonError, PW } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';
import { jsonLdQuads, parseTurtle, validateDcatAp } from './helpers/shacl.ts';

export const dataset = {
  id: 'traffic-flow',
  title: { zh: '道路交通流量', en: 'Road traffic flow' },
  description: { zh: '全市主要道路每小时车流量', en: 'Hourly vehicle counts on the city\'s main roads' },
  keywords: ['traffic', '交通'], themes: ['TRAN'], frequency: 'HOURLY', sensitivity: 'conditional',
  license: 'https://creativecommons.org/licenses/by/4.0/',
  distributions: [{ id: 'api', mediaType: 'application/json', accessUrl: 'https://data.example.gov.cn/traffic/api', service: 'query' }],
  services: [{ id: 'query', title: { zh: '交通查询接口', en: 'Traffic query API' }, kind: 'api', endpointUrl: 'https://data.example.gov.cn/traffic/api' }],
};

test('the data chain end to end through the CLI on a running node', async (t) => {
  const tmp = tempDir('data-e2e-');
  t.after(tmp.cleanup);
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  t.after(() => node.stop());
  const home = join(tmp.dir, 'home');
  const run = (...args: string[]) => cli([...args, '--api', node.url, '--json'], { SHULIAN_HOME: home, PW });
  const keyed = (file: string) => ['--key', file, '--password-env', 'PW'];
  const key = async (name: string) => {
    const k = generateKeyPair('sm2');
    const file = join(tmp.dir, `${name}.json`);
    await writeKeystore(file, k, PW);
    return { k, file, did: didFromPublicKey(k.publicKey) };
  };
  const [agency, operator, citizen] = [await key('agency'), await key('operator'), await key('citizen')];
  const c = new ShulianClient({ baseUrl: node.url });
  const dsFile = join(tmp.dir, 'dataset.json');
  writeFileSync(dsFile, JSON.stringify(dataset));

  // An agency publishes; anyone finds it by Chinese or English words.
  const pub = json<{ id: string; version: number }>(await run('data', 'catalog', 'publish', dsFile, ...keyed(agency.file)));
  assert.deepEqual([pub.id, pub.version], ['traffic-flow', 1]);
  const found = json<{ total: number; datasets: Array<{ id: string }> }>(await run('data', 'catalog', 'search', '交通流量', '--theme', 'TRAN'));
  assert.deepEqual(found.datasets.map((d) => d.id), ['traffic-flow']);
  assert.equal(json<{ total: number }>(await run('data', 'catalog', 'search', 'weather')).total, 0);
  // The node's DCAT-AP 3 export, Turtle through the CLI and JSON-LD through the SDK, conforms to the shapes.
  const ttl = await cli(['data', 'catalog', 'export', '--format', 'turtle', '--api', node.url], { SHULIAN_HOME: home });
  assert.equal(ttl.code, 0, ttl.stderr);
  for (const quads of [parseTurtle(ttl.stdout), await jsonLdQuads(await dcatJsonLd(c))]) {
    const report = await validateDcatAp(quads);
    assert.equal(report.conforms, true, JSON.stringify(report.results));
    assert.ok(quads.some((q) => q.object.value === 'http://www.w3.org/ns/dcat#Dataset'), 'the export holds the dataset');
  }

  // A data operator asks for 3 reads; the agency approves; three uses pass, the fourth is refused.
  const req = json<{ request: number; status: string }>(await run('data', 'request', '--dataset', 'traffic-flow', '--purpose', 'dpv:AcademicResearch', '--actions', 'read', '--count', '3', ...keyed(operator.file)));
  assert.equal(req.status, 'pending');
  const stranger = jsonError(await run('data', 'approve', String(req.request), ...keyed(operator.file)));
  assert.equal(stranger.code, 'DATAAUTH_NOT_OWNER');
  const appr = json<{ grant: number }>(await run('data', 'approve', String(req.request), ...keyed(agency.file)));
  const u1 = json<{ n: number }>(await run('data', 'use', String(appr.grant), '--action', 'read', '--request', 'SELECT flow WHERE hour=1', ...keyed(operator.file)));
  assert.equal(u1.n, 1);
  for (let i = 2; i <= 3; i++) assert.equal((await useGrant(c, operator.k, { grant: appr.grant, action: 'read', requestHash: sm3Hex(new TextEncoder().encode(`hour=${i}`)) })).result.n, i);
  const fourth = jsonError(await run('data', 'use', String(appr.grant), '--action', 'read', '--request', 'SELECT flow WHERE hour=4', ...keyed(operator.file)));
  assert.equal(fourth.code, 'ODRL_CONSTRAINT');
  assert.match(fourth.message, /count lteq 3/);
  const grants = json<{ grants: Array<{ id: number; uses: number; revoked: boolean }> }>(await run('data', 'grant', 'list', '--grantee', operator.did));
  assert.deepEqual(grants.grants.map((g) => [g.id, g.uses, g.revoked]), [[appr.grant, 3, false]]);

  // The owner signs the grant as a VC; it verifies with its status entry on the data chain, until revoked.
  const vcFile = join(tmp.dir, 'grant.json');
  json(await run('data', 'grant', 'credential', String(appr.grant), '--out', vcFile, ...keyed(agency.file)));
  const grantVc = (await import(vcFile, { with: { type: 'json' } })).default as Record<string, unknown>;
  const nodeDid = (await c.health() as unknown as { node: string }).node;
  const verifyOpts = () => ({ resolver: shulianKeyResolver({ keys: [] }), statusSource: httpStatusListSource(), trustedStatusIssuers: [nodeDid] });
  const good = await verifyCredential(grantVc, verifyOpts());
  assert.equal(good.verified, true, JSON.stringify(good.errors));
  assert.equal(((grantVc.credentialSubject as Record<string, unknown>)['odrl:hasPolicy'] as { '@type': string })['@type'], 'Agreement');

  // A citizen consents (pairwise DID for the operator); a grant relying on it is used, then the consent is withdrawn.
  const given = json<{ digest: string; subject: string }>(await run('data', 'consent', 'give', '--controller', operator.did, '--purpose', 'dpv:AcademicResearch', '--data', 'dpv-pd:HealthRecord', '--source', agency.did, ...keyed(citizen.file)));
  assert.equal(given.subject, didFromPublicKey(pairwiseKey(citizen.k, operator.did).publicKey));
  // The operator checks the credential it was handed: signed by its subject, recorded for it on chain.
  const consentVc = (given as unknown as { credential: Record<string, unknown> }).credential;
  assert.equal((await checkConsentRecord(c, consentVc, operator.did)).subject, given.subject);
  // The same claims signed by someone else (another DID issues a consent in the citizen's pairwise name): refused.
  const other = generateKeyPair('sm2');
  const { proof: _p, ...unsigned } = consentVc;
  const byOther = await issueCredential({ ...unsigned, issuer: didFromPublicKey(other.publicKey) }, keyPairSigner(other, { fragment: 'multikey' }));
  await assert.rejects(checkConsentRecord(c, byOther as unknown as Record<string, unknown>, operator.did), { code: 'CONSENT_SIGNER_NOT_SUBJECT' });
  await assert.rejects(checkConsentRecord(c, consentVc, agency.did), { code: 'CONSENT_BAD_CREDENTIAL' });
  assert.notEqual(given.subject, citizen.did, 'the consent is given under a pairwise DID, not the citizen\'s own');
  const req2 = json<{ request: number }>(await run('data', 'request', '--dataset', 'traffic-flow', '--purpose', 'dpv:AcademicResearch', '--actions', 'read', '--consents', given.digest, ...keyed(operator.file)));
  const g2 = json<{ grant: number }>(await run('data', 'approve', String(req2.request), ...keyed(agency.file)));
  json(await run('data', 'use', String(g2.grant), '--action', 'read', '--request', 'cohort A', ...keyed(operator.file)));
  const listed = json<{ consents: Array<{ digest: string; state: string }> }>(await run('data', 'consent', 'list', ...keyed(citizen.file)));
  assert.deepEqual(listed.consents.map((x) => [x.digest, x.state]), [[given.digest, 'given']]);
  const w = json<{ effectiveFrom: number }>(await run('data', 'consent', 'withdraw', given.digest, ...keyed(citizen.file)));
  const refused = jsonError(await run('data', 'use', String(g2.grant), '--action', 'read', '--request', 'cohort B', ...keyed(operator.file)));
  assert.equal(refused.code, 'CONSENT_WITHDRAWN');
  assert.match(refused.message, new RegExp(`from height ${w.effectiveFrom}`));
  const after = await listConsents(c, given.subject);
  assert.deepEqual(after.consents[0]!.history.map((h) => h.state), ['given', 'withdrawn']);

  // Revocation: one write; the credential no longer verifies, and uses are refused.
  json(await run('data', 'revoke', String(appr.grant), ...keyed(agency.file)));
  const revoked = await verifyCredential(grantVc, verifyOpts());
  assert.equal(revoked.verified, false);
  assert.ok(revoked.errors.some((e) => e.code === 'REVOKED'), JSON.stringify(revoked.errors));
  const decision = await c.postJson<{ ok: boolean; code: string }>(`/data/grants/${appr.grant}/decide`, { user: operator.did, action: 'read' });
  assert.deepEqual([decision.ok, decision.code], [false, 'DATAAUTH_REVOKED']);
});
