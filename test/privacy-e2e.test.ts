/**
 * Issue #22, done when: three processes — a hospital and an alumni association (`shulian privacy
 * serve`), a research institute (`shulian privacy request`) — on a running alliance (`shulian up`).
 * A PSI-sum over consenting alumni runs only after the grants and the consent root check out;
 * its run and fee are on chain; a withdrawn subject is excluded from the next run; a request past
 * its counter is refused. Then the parties' sockets refuse unsigned, wrongly signed, replayed and
 * malformed messages, and a run whose receiver sends bad points ends failed on chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, readKeystore, sm3, writeKeystore, type KeyPair } from '../src/crypto/index.ts';
import {
  approveRequest, getPrivacyRun, publishDataset, requestData, resultDigest, settleBalances, settleGrantMandate, settleMint, settleRegisterIssuer,
  ShulianClient, type RunRecord,
} from '../src/sdk/index.ts';
import { post, signHeaders, encodeElements } from '../src/privacy/index.ts';
import { sendData } from '../src/sdk/data.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { cli, json, jsonError, PW } from './helpers/cli.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const dataset = (id: string, title: string, port: number) => ({
  id, title: { en: title }, description: { en: `${title}, keyed by DID` }, keywords: ['health'], themes: ['HEAL'], frequency: 'MONTHLY', sensitivity: 'conditional',
  distributions: [{ id: 'psi', mediaType: 'text/csv', accessUrl: `http://127.0.0.1:${port}`, service: 'psi' }],
  services: [{ id: 'psi', title: { en: 'PSI party' }, kind: 'privacy-computing', endpointUrl: `http://127.0.0.1:${port}` }],
});

/** `shulian privacy serve …` as its own process; resolves once it printed where it listens. */
async function serve(args: string[], env: Record<string, string>): Promise<{ proc: ChildProcess; port: number; did: string; output: () => string }> {
  const proc = spawn(process.execPath, [cliPath, 'privacy', 'serve', '--port', '0', '--json', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const first = await waitFor(() => { try { return JSON.parse(out) as { port: number; did: string }; } catch { return proc.exitCode !== null ? (() => { throw new Error(`serve exited: ${err}`); })() : undefined; } }, 'the party to listen', 90_000);
  return { proc, port: first.port, did: first.did, output: () => err };
}

test('PSI-sum over consenting alumni between three processes on a running alliance', { timeout: 900_000 }, async (t) => {
  const tmp = tempDir('privacy-e2e-');
  t.after(tmp.cleanup);
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  t.after(() => node.stop());
  const c = new ShulianClient({ baseUrl: node.url });
  const home = join(tmp.dir, 'home');
  const env = { SHULIAN_HOME: home, PW };
  const key = async (name: string) => {
    const k = generateKeyPair('sm2');
    const file = join(tmp.dir, `${name}.json`);
    await writeKeystore(file, k, PW);
    return { k, file, did: didFromPublicKey(k.publicKey) };
  };
  const [hospital, alumni, institute] = [await key('hospital'), await key('alumni'), await key('institute')];

  // Subjects: s0…s3 are alumni who consent; x0, x1 are alumni who did not; h0 is only a patient.
  const subject = (): KeyPair => generateKeyPair('sm2');
  const s = [subject(), subject(), subject(), subject()];
  const x = [subject(), subject()];
  const h0 = subject();
  const d = (k: KeyPair) => didFromPublicKey(k.publicKey);
  // The hospital: visits and cost per patient (s3 was never a patient).
  const visits = new Map<string, [number, number]>([[d(s[0]!), [3, 120_000]], [d(s[1]!), [1, 45_000]], [d(s[2]!), [7, 980_500]], [d(x[0]!), [2, 10_000]], [d(x[1]!), [5, 70_000]], [d(h0), [9, 99_999]]]);
  const hospitalCsv = join(tmp.dir, 'hospital.csv');
  writeFileSync(hospitalCsv, ['did,visits,cost', ...[...visits].map(([id, [v, co]]) => `${id},${v},${co}`)].join('\n') + '\n');
  const alumniJsonl = join(tmp.dir, 'alumni.jsonl');
  writeFileSync(alumniJsonl, [...s, ...x].map((k, i) => JSON.stringify({ did: d(k), year: 2000 + i })).join('\n') + '\n');

  const keyed = (f: string) => ['--key', f, '--password-env', 'PW', '--api', node.url];
  const hp = await serve(['--dataset', `hospital-visits=${hospitalCsv}`, '--idle-ms', '20000', ...keyed(hospital.file)], env);
  t.after(() => hp.proc.kill('SIGTERM'));
  const ap = await serve(['--dataset', `alumni-roster=${alumniJsonl}`, ...keyed(alumni.file)], env);
  t.after(() => ap.proc.kill('SIGTERM'));
  assert.deepEqual([hp.did, ap.did], [hospital.did, alumni.did]);

  // Catalog entries name each party's endpoint; the institute is granted 2 aggregate uses of each.
  await publishDataset(c, hospital.k, dataset('hospital-visits', 'Hospital visits', hp.port) as never);
  await publishDataset(c, alumni.k, dataset('alumni-roster', 'Alumni roster', ap.port) as never);
  const grants: number[] = [];
  for (const [ds, owner] of [['hospital-visits', hospital], ['alumni-roster', alumni]] as const) {
    const r = await requestData(c, institute.k, { dataset: ds, purpose: 'dpv:AcademicResearch', actions: ['aggregate'], count: 2 });
    grants.push((await approveRequest(c, owner.k, r.result.request)).result.grant);
  }
  // Consents: the alumni s0…s3 let the institute use their data for research.
  const digests: string[] = [];
  for (const [i, k] of s.entries()) {
    const digest = Buffer.from(sm3(Buffer.from(`consent vc of s${i}`))).toString('hex');
    await sendData(c, k, 'consent', 'give', { digest, controller: institute.did, source: hospital.did, purpose: 'dpv:AcademicResearch' }, {});
    digests.push(digest);
  }
  // The fee: money for the institute through a sandbox issuer, and its mandate for the privacy module.
  const nodeDir = join(tmp.dir, 'node', 'node');
  const validator = readKeystore(join(nodeDir, 'key.json'), process.env.SHULIAN_NODE_PASSWORD ?? readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
  const bank = generateKeyPair('sm2');
  await settleRegisterIssuer(c, validator, { issuer: d(bank), name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
  await settleMint(c, bank, { to: institute.did, currency: 'CNY', amount: '100000', ref: 'wire-1' });
  await settleGrantMandate(c, institute.k, { grantee: { chain: 'data', port: 'privacy', contract: 'privacy' }, currency: 'CNY', cap: '50000' });

  const request = (consents: string[]) => cli(['privacy', 'request', '--protocol', 'psi-sum', '--receiver', `alumni-roster:${grants[1]}`, '--sender', `hospital-visits:${grants[0]}`,
    '--columns', 'visits,cost', '--purpose', 'dpv:AcademicResearch', '--consents', consents.join(','), '--fee', 'CNY:1001', '--json', ...keyed(institute.file)], env, 600_000);
  const expected = (included: KeyPair[]) => {
    const rows = included.map((k) => visits.get(d(k))).filter((v): v is [number, number] => v !== undefined);
    return { count: rows.length, sums: { visits: String(rows.reduce((a, r) => a + r[0], 0)), cost: String(rows.reduce((a, r) => a + r[1], 0)) } };
  };

  // Run 1: the consenting alumni who were patients are s0, s1, s2 (x0 and x1 are in both files but never consented).
  const r1 = json<{ run: number; count: number; sums: Record<string, string>; resultDigest: string }>(await request(digests));
  assert.deepEqual({ count: r1.count, sums: r1.sums }, expected(s));
  assert.equal(r1.resultDigest, resultDigest({ run: r1.run, protocol: 'psi-sum', count: r1.count, sums: r1.sums }));
  const run1 = (await getPrivacyRun(c, r1.run))!;
  assert.equal(run1.status, 'done');
  assert.equal(run1.result?.digest, r1.resultDigest);
  assert.deepEqual(run1.parties.map((p) => [p.role, p.owner, p.use, p.report?.records]), [['receiver', alumni.did, 1, 4], ['sender', hospital.did, 1, 3]]);
  assert.equal(run1.consents.length, 4);
  // The fee reaches the settlement chain (the node's gateway relays it) and its ack comes back.
  const paid = await waitFor(async () => {
    const r = (await getPrivacyRun(c, r1.run))!;
    if (r.fee?.status === 'pending') await sendData(c, institute.k, 'privacy', 'settle', { run: r1.run }, {}).catch(() => {});
    return r.fee?.status === 'paid' || r.fee?.status === 'failed' ? r : undefined;
  }, 'the fee acknowledgement', 180_000);
  assert.equal(paid.fee?.status, 'paid', String(paid.fee?.note));
  const bal = async (who: string) => (await settleBalances(c, who)).balances.find((b) => b.currency === 'CNY')?.available ?? '0';
  assert.equal(await bal(institute.did), String(100_000 - 1001));
  // 1001 split between the two owners (501 + 500), less the settlement chain's tax on services.
  const [ba, bh] = [Number(await bal(alumni.did)), Number(await bal(hospital.did))];
  assert.ok(ba > 0 && bh > 0 && ba + bh <= 1001 && ba >= bh, `owners received ${ba} and ${bh}`);

  // s2 withdraws: a request naming the withdrawn consent is refused, and writes no run.
  await sendData(c, s[2]!, 'consent', 'withdraw', { digest: digests[2] }, {});
  const refused = jsonError(await request(digests));
  assert.equal(refused.code, 'CONSENT_WITHDRAWN');
  assert.match(refused.message, /args\.consents\[\d\]/);
  // Without s2's consent the next run leaves s2's records out on both sides.
  const active = digests.filter((_, i) => i !== 2);
  const r2 = json<{ run: number; count: number; sums: Record<string, string> }>(await request(active));
  assert.equal(r2.run, r1.run + 1, 'the refused request wrote no run');
  assert.deepEqual({ count: r2.count, sums: r2.sums }, expected([s[0]!, s[1]!, s[3]!]));
  assert.equal((await getPrivacyRun(c, r2.run))!.parties[1]!.report?.records, 2);

  // The grants allow 2 runs: the third is refused with the owner's count.
  const past = jsonError(await request(active));
  assert.equal(past.code, 'ODRL_CONSTRAINT');
  assert.match(past.message, /count lteq 2/);

  // `privacy status` and `privacy runs` show the audit trail.
  const st = json<RunRecord>(await cli(['privacy', 'status', String(r1.run), '--api', node.url, '--json'], env));
  assert.equal(st.consentRoot, run1.consentRoot);
  const runs = json<RunRecord[]>(await cli(['privacy', 'runs', '--requester', institute.did, '--api', node.url, '--json'], env));
  assert.deepEqual(runs.map((r) => [r.id, r.status]), [[r2.run, 'done'], [r1.run, 'done']]);
  const api = (await (await fetch(`${node.url}/v1/data/privacy/runs?requester=${institute.did}`)).json()) as { runs: RunRecord[] };
  assert.deepEqual(api.runs.map((r) => r.id), [r2.run, r1.run]);
  assert.equal(((await (await fetch(`${node.url}/v1/data/privacy/runs/${r1.run}`)).json()) as RunRecord).result?.digest, r1.resultDigest);
  assert.equal((await fetch(`${node.url}/v1/data/privacy/runs/999`)).status, 404);

  // ---- the parties' sockets ----
  const hospitalUrl = `http://127.0.0.1:${hp.port}`;
  const raw = async (headers: Record<string, string>, body: string) => {
    const res = await fetch(`${hospitalUrl}/psi/v1/open`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: (await res.json()) as { code: string; message: string } };
  };
  const openBody = JSON.stringify({ run: r1.run, count: 1 });
  const unsigned = await raw({}, openBody);
  assert.deepEqual([unsigned.status, unsigned.body.code], [401, 'PRIVACY_UNAUTHENTICATED']);
  // Signed by the alumni association over another body: the signature does not verify.
  const swapped = await raw(signHeaders(alumni.k, '/psi/v1/open', JSON.stringify({ run: r1.run, count: 2 })), openBody);
  assert.deepEqual([swapped.status, swapped.body.code], [401, 'PRIVACY_UNAUTHENTICATED']);
  // The institute is not the receiver; a done run is not open; the alumni replaying run 1's open is refused.
  await assert.rejects(post(institute.k, hospitalUrl, '/psi/v1/open', { run: r1.run, count: 1 }), (e: Error & { code?: string }) => e.code === 'PRIVACY_REPLAY');
  await assert.rejects(post(alumni.k, hospitalUrl, '/psi/v1/open', { run: r1.run, count: 1 }), (e: Error & { code?: string }) => e.code === 'PRIVACY_REPLAY' || e.code === 'PRIVACY_NOT_AUTHORISED');

  // A fresh run, driven by a receiver that sends a low-order point: the hospital refuses, the run fails on chain.
  const g2 = [] as number[];
  for (const [ds, owner] of [['hospital-visits', hospital], ['alumni-roster', alumni]] as const) {
    const r = await requestData(c, institute.k, { dataset: ds, purpose: 'dpv:AcademicResearch', actions: ['aggregate'], count: 5 });
    g2.push((await approveRequest(c, owner.k, r.result.request)).result.grant);
  }
  const bad = await sendData<{ run: number }>(c, institute.k, 'privacy', 'request', { protocol: 'psi-cardinality', receiver: { dataset: 'alumni-roster', grant: g2[1] }, sender: { dataset: 'hospital-visits', grant: g2[0] }, purpose: 'dpv:AcademicResearch', consents: active }, {});
  const runId = bad.result.run;
  await assert.rejects(post(institute.k, hospitalUrl, '/psi/v1/open', { run: runId, count: 1 }), (e: Error & { code?: string }) => e.code === 'PRIVACY_UNAUTHENTICATED', 'only the receiver opens');
  const opened = await post<{ count: number }>(alumni.k, hospitalUrl, '/psi/v1/open', { run: runId, count: 2 });
  assert.equal(opened.count, 2);
  await assert.rejects(post(alumni.k, hospitalUrl, '/psi/v1/open', { run: runId, count: 2 }), (e: Error & { code?: string }) => e.code === 'PRIVACY_REPLAY');
  await assert.rejects(post(alumni.k, hospitalUrl, '/psi/v1/mask', { run: runId, from: 0, elements: 'not base64!' }), (e: Error & { code?: string }) => e.code === 'PRIVACY_BAD_MESSAGE');
  await assert.rejects(post(alumni.k, hospitalUrl, '/psi/v1/mask', { run: runId, from: 0, elements: encodeElements([new Uint8Array(32)]) }), (e: Error & { code?: string }) => e.code === 'PRIVACY_BAD_POINT');
  const failed = await waitFor(async () => { const r = (await getPrivacyRun(c, runId))!; return r.status === 'failed' ? r : undefined; }, 'the failed run on chain', 60_000);
  assert.equal(failed.failed?.by, hospital.did);
  assert.match(failed.failed!.reason, /PRIVACY_BAD_POINT/);
  assert.equal(failed.result, undefined, 'no partial result');
  // Once ended, the run takes no more steps.
  await assert.rejects(post(alumni.k, hospitalUrl, '/psi/v1/own', { run: runId, from: 0, to: 1 }), (e: Error & { code?: string }) => e.code === 'PRIVACY_REPLAY');

  // A receiver that stops mid-run: the sender fails the run after its idle time.
  const bad2 = await sendData<{ run: number }>(c, institute.k, 'privacy', 'request', { protocol: 'psi-cardinality', receiver: { dataset: 'alumni-roster', grant: g2[1] }, sender: { dataset: 'hospital-visits', grant: g2[0] }, purpose: 'dpv:AcademicResearch' }, {});
  await post(alumni.k, hospitalUrl, '/psi/v1/open', { run: bad2.result.run, count: 3 });
  const stopped = await waitFor(async () => { const r = (await getPrivacyRun(c, bad2.result.run))!; return r.status === 'failed' ? r : undefined; }, 'the stopped run to fail', 120_000);
  assert.match(stopped.failed!.reason, /sent nothing for 20000 ms/);

  // The same PSI-sum over the SM2 curve (全国产: SM2 group, SM3 hash-to-curve), chosen per request and recorded on chain.
  const r3 = json<{ run: number; count: number; sums: Record<string, string> }>(await cli(['privacy', 'request', '--protocol', 'psi-sum', '--group', 'sm2',
    '--receiver', `alumni-roster:${g2[1]}`, '--sender', `hospital-visits:${g2[0]}`, '--columns', 'visits,cost', '--purpose', 'dpv:AcademicResearch',
    '--consents', active.join(','), '--json', ...keyed(institute.file)], env, 600_000));
  assert.deepEqual({ count: r3.count, sums: r3.sums }, expected([s[0]!, s[1]!, s[3]!]));
  const run3 = (await getPrivacyRun(c, r3.run))!;
  assert.deepEqual([run3.group, run3.status, run3.parties.map((p) => p.report?.records)], ['sm2', 'done', [3, 2]]);
});
