/**
 * The console's server side (issue #8) against a real node started in this process (real LMDB
 * stores, real HTTP): DID sign-in with SM2 and Ed25519 keys and every refusal, roles from the
 * governance chain, work orders and who may do what with them, API keys, the hash-chained audit
 * log (and a tampered entry found), /metrics as Prometheus text, and fuzzed bodies that never
 * give a 500 nor change anything.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { open as openLmdb } from 'lmdb';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sign, type KeyPair } from '../src/crypto/index.ts';
import { encodeMultikey } from '../src/did/index.ts';
import { buildApi } from '../src/api/index.ts';
import { ConsoleStore, auditHash, type AuditEntry as StoreAuditEntry, type WorkOrder as StoreWorkOrder } from '../src/api/console-store.ts';
import { commentBody, statusBody, workOrderBody } from '../src/api/routes/workorders.ts';
import type { NodeStats as ServerNodeStats } from '../src/api/routes/metrics.ts';
import { startNode, type RunningNode } from '../src/node/index.ts';
import {
  ConsoleClient, ShulianClient, govPropose, govVote, originOf, signSignIn,
  type AuditEntry, type NodeStats, type SignInChallenge, type WorkOrder,
} from '../src/sdk/index.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

// The SDK's wire types stay in step with the server's.
const _sameOrder: (o: StoreWorkOrder) => WorkOrder = (o) => o;
const _sameAudit: (e: StoreAuditEntry) => AuditEntry = (e) => e;
const _sameStats: (s: ServerNodeStats) => NodeStats = (s) => s;
void _sameOrder; void _sameAudit; void _sameStats;

let running: RunningNode;
let tmp: { dir: string; cleanup: () => void };
/** Added to the node's clock for the console: tests move it forward to expire challenges and tokens. */
let skew = 0;
const HOUR = 60 * 60 * 1000;

let operator: KeyPair;
const org = generateKeyPair('sm2'); // a member organisation
const orgAdmin = generateKeyPair('ed25519'); // controller of the organisation's DID document
const other = generateKeyPair('sm2'); // a second member organisation
const regulator = generateKeyPair('sm2');
const did = (k: KeyPair): string => didFromPublicKey(k.publicKey);

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: { code: string; message: string } };
}

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token?: string, rawBody?: string): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(running.url + path, { method, headers, ...(rawBody !== undefined ? { body: rawBody } : body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Answer<T>['body'] };
}

function client(token?: string): ConsoleClient {
  return new ConsoleClient({ baseUrl: running.url, now: () => Date.now() + skew, ...(token ? { token } : {}) });
}

/** A challenge straight from the node, for tests that build login bodies by hand. */
async function challengeFor(forDid: string): Promise<SignInChallenge> {
  const r = await call<{ challenge: SignInChallenge }>('POST', '/v1/auth/challenge', { did: forDid, origin: originOf(running.url) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.challenge;
}

async function signedIn(k: KeyPair, asDid?: string): Promise<ConsoleClient> {
  const c = client();
  await c.login(k, asDid);
  return c;
}

before(async () => {
  tmp = tempDir();
  running = await startNode({
    dataDir: tmp.dir, port: 0, log: () => {},
    api: {
      rateLimitPerMinute: 1_000_000,
      console: { now: () => Date.now() + skew, loginFailures: { perDid: 5, perAddress: 1_000_000 } },
      metrics: { sampleIntervalMs: 100 },
    },
  });
  operator = running.node.key;
  const chain = new ShulianClient({ baseUrl: running.url });
  await waitFor(async () => (await chain.state('gov', 'governance/meta')).value !== null, 'governance.init');
  // The organisation's DID document names its admin as a controller.
  const created = await chain.send('identity', org, { module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey('sm2', org.publicKey), controllers: [did(orgAdmin)] } });
  await chain.waitForTx(created);
  const voters: KeyPair[] = [operator];
  const decide = async (id: number) => {
    for (const v of voters) if ((await govVote(chain, v, id, 'yes')).status === 'approved') return;
    throw new Error(`proposal ${id} was not approved`);
  };
  for (const [k, name] of [[org, 'Port Authority'], [other, 'Shipping Bank']] as const) {
    await decide((await govPropose(chain, operator, { kind: 'admit-member', member: { did: did(k), name, roles: ['member'] } })).id);
    voters.push(k);
  }
  await decide((await govPropose(chain, operator, { kind: 'register-regulator', regulator: { did: did(regulator), name: 'Market Regulator', chains: ['*'] } })).id);
});

after(async () => {
  await running.close();
  tmp.cleanup();
});

test('sign in with SM2 and with Ed25519 keys through the SDK; me; logout ends the session', async () => {
  for (const suite of ['sm2', 'ed25519'] as const) {
    const k = generateKeyPair(suite);
    const c = client();
    const { challenge, expiresAt } = await c.challenge(did(k));
    const ch = challenge as SignInChallenge;
    assert.deepEqual([ch.node, ch.did, ch.origin, ch.expiresAt], [running.did, did(k), originOf(running.url), expiresAt]);
    assert.match(ch.nonce, /^[0-9a-f]{32}$/);
    assert.ok(expiresAt > Date.now() + skew && expiresAt <= Date.now() + skew + 5 * 60_000 + 1000);
    const r = await c.login(k);
    assert.equal(r.did, did(k));
    assert.deepEqual(r.roles, []);
    assert.match(r.token, /^shs_[0-9a-f]{64}$/);
    const me = await c.me();
    assert.deepEqual([me.did, me.via, me.roles], [did(k), 'session', []]);
    await c.logout();
    const again = await call('GET', '/v1/auth/me', undefined, r.token);
    assert.equal(again.status, 401);
    assert.equal(again.body.error?.code, 'NOT_AUTHORISED');
  }
  const anon = await call('GET', '/v1/auth/me');
  assert.equal(anon.status, 401);
  assert.match(anon.body.error!.message, /Authorization: Bearer/);
});

test('refused sign-ins: wrong signature, reused or foreign or expired challenge, key not of the DID, expired token; each says why and is audited', async () => {
  const k = generateKeyPair('sm2');
  const stranger = generateKeyPair('sm2');
  const c = client();
  const login = (body: Record<string, unknown>) => call('POST', '/v1/auth/login', body);
  const base = async (signer = k, forDid = did(k)) => {
    const challenge = await challengeFor(forDid);
    return { did: forDid, challenge, signature: signSignIn(signer, challenge), publicKey: toHex(signer.publicKey) };
  };
  const refused = async (body: Record<string, unknown>, why: RegExp) => {
    const r = await login(body);
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal(r.body.error?.code, 'NOT_AUTHORISED');
    assert.match(r.body.error!.message, why);
  };

  const wrong = await base();
  await refused({ ...wrong, signature: toHex(sign('sm2', k.privateKey, new TextEncoder().encode('something else'))) }, /signature does not verify/);
  const ok = await base();
  { const r = await login(ok); assert.equal(r.status, 200, JSON.stringify(r.body)); }
  await refused(ok, /used already/);
  await refused(await base(stranger, did(k)), /may not sign for/);
  const forOther = await base(k, did(stranger));
  await refused({ ...forOther, did: did(k) }, /issued for/);
  const late = await base();
  skew += 6 * 60_000;
  await refused(late, /expired/);

  // Five refusals for one DID: the next sign-in for it waits (see the next test); another DID signs in.
  const k2 = generateKeyPair('ed25519');
  const changed = await base(k2, did(k2));
  await refused({ ...changed, challenge: { ...changed.challenge, expiresAt: changed.challenge.expiresAt + HOUR } }, /not issued by this node, or was changed/);
  const session = await login(await base(k2, did(k2)));
  assert.equal(session.status, 200, JSON.stringify(session.body));
  const token = (session.body as { token: string }).token;
  assert.equal((await call('GET', '/v1/auth/me', undefined, token)).status, 200);
  skew += 13 * HOUR;
  const expired = await call('GET', '/v1/auth/me', undefined, token);
  assert.equal(expired.status, 401);
  assert.match(expired.body.error!.message, /expired/);
  assert.equal((await call('GET', '/v1/auth/me', undefined, 'shs_' + '0'.repeat(64))).status, 401);

  const op = await signedIn(operator);
  const { entries } = await op.audit({ limit: 200 });
  const mine = entries.filter((e) => e.actor === did(k) && e.action === 'auth.login-refused');
  assert.equal(mine.length, 5);
  assert.ok(mine.every((e) => typeof e.details.reason === 'string'));
});

test('failed sign-ins are rate-limited per DID and address, and the limit lifts after its window', async () => {
  const k = generateKeyPair('ed25519');
  const c = client();
  for (let i = 0; i < 5; i++) {
    const challenge = await challengeFor(did(k));
    const r = await call('POST', '/v1/auth/login', { did: did(k), challenge, signature: 'ab'.repeat(64), publicKey: toHex(k.publicKey) });
    assert.equal(r.status, 401);
  }
  const challenge = await challengeFor(did(k));
  const limited = await call('POST', '/v1/auth/login', { did: did(k), challenge, signature: signSignIn(k, challenge), publicKey: toHex(k.publicKey) });
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error?.code, 'RATE_LIMITED');
  assert.match(limited.body.error!.message, /try again in \d+ s/);
  skew += 16 * 60_000;
  assert.equal((await c.login(k)).did, did(k));
});

test('a DID with a document signs in with its current key only: a rotated-out key is refused, and so is the session it opened', async () => {
  const first = generateKeyPair('sm2');
  const next = generateKeyPair('sm2');
  const id = did(first);
  const chain = new ShulianClient({ baseUrl: running.url });
  await chain.waitForTx(await chain.send('identity', first, { module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey('sm2', first.publicKey) } }));
  // A DID with a role (its session is stored) and one without (its session is kept in memory).
  await (await signedIn(operator)).setRoles(id, ['member']);
  const old = await signedIn(first);
  assert.equal((await old.createWorkOrder({ kind: 'incident', title: 'before the rotation', body: 'b' })).createdBy, id);
  const guestFirst = generateKeyPair('sm2');
  const guestNext = generateKeyPair('ed25519');
  const guestId = did(guestFirst);
  await chain.waitForTx(await chain.send('identity', guestFirst, { module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey('sm2', guestFirst.publicKey) } }));
  const oldGuest = await signedIn(guestFirst);
  assert.deepEqual((await oldGuest.me()).roles, []);

  await chain.waitForTx(await chain.send('identity', first, { module: 'did', method: 'rotate', args: { did: id, publicKeyMultibase: encodeMultikey('sm2', next.publicKey) } }));
  await chain.waitForTx(await chain.send('identity', guestFirst, { module: 'did', method: 'rotate', args: { did: guestId, publicKeyMultibase: encodeMultikey('ed25519', guestNext.publicKey) } }));
  // The OLD token: refused on every use, with a code that says why.
  const revoked = (e: Error & { code?: string; details?: { status?: number } }) => e.code === 'SESSION_KEY_REVOKED' && e.details?.status === 401 && /no longer signs for/.test(e.message);
  await assert.rejects(old.me(), revoked);
  await assert.rejects(old.createWorkOrder({ kind: 'incident', title: 'after the rotation', body: 'b' }), revoked);
  await assert.rejects(old.workOrders(), revoked);
  await assert.rejects(oldGuest.me(), revoked);
  const raw = await call('GET', '/v1/auth/me', undefined, old.token);
  assert.deepEqual([raw.status, raw.body.error?.code], [401, 'SESSION_KEY_REVOKED']);
  // A new sign-in with the old key is refused; with the new key it works.
  await assert.rejects(signedIn(first), (e: Error & { code?: string }) => e.code === 'NOT_AUTHORISED' && /may not sign for/.test(e.message));
  assert.equal((await (await signedIn(guestNext, guestId)).me()).did, guestId, 'an Ed25519 key rotated in signs in');
  const c = await signedIn(next, id);
  assert.equal((await c.me()).did, id);
  assert.equal((await c.createWorkOrder({ kind: 'incident', title: 'with the new key', body: 'b' })).createdBy, id);

  // Deactivating the DID ends the session of its current key too.
  await chain.waitForTx(await chain.send('identity', next, { module: 'did', method: 'deactivate', args: { did: id } }, { from: id }));
  await assert.rejects(c.me(), (e: Error & { code?: string }) => e.code === 'SESSION_DID_DEACTIVATED' && /deactivated/.test(e.message));
  await assert.rejects(c.createWorkOrder({ kind: 'incident', title: 'after deactivation', body: 'b' }), { code: 'SESSION_DID_DEACTIVATED' });
});

test('roles come from the governance chain, plus what an operator grants', async () => {
  assert.ok((await (await signedIn(operator)).me()).roles.includes('operator'));
  assert.deepEqual((await (await signedIn(org)).me()).roles, ['member']);
  assert.deepEqual((await (await signedIn(orgAdmin)).me()).roles, ['member'], 'a controller of a member organisation\'s DID is its admin');
  assert.deepEqual((await (await signedIn(regulator)).me()).roles, ['regulator']);

  const outsider = generateKeyPair('sm2');
  const op = await signedIn(operator);
  const granted = await op.setRoles(did(outsider), ['auditor']);
  assert.deepEqual([granted.grantedRoles, granted.roles], [['auditor'], ['auditor']]);
  const o = await signedIn(outsider);
  assert.deepEqual((await o.me()).roles, ['auditor']);
  assert.ok((await o.audit()).entries.length > 0, 'an auditor reads the audit log');
  await assert.rejects(o.setRoles(did(outsider), ['operator']), { code: 'FORBIDDEN' });
  await assert.rejects((await signedIn(org)).users(), { code: 'FORBIDDEN' });
  const users = await op.users();
  const u = users.find((x) => x.did === did(outsider))!;
  assert.deepEqual([u.grantedRoles, u.governanceRoles, u.logins], [['auditor'], [], 1]);
  assert.ok(users.find((x) => x.did === did(org))?.governanceRoles.includes('member'));
  await op.setRoles(did(outsider), []);
  assert.deepEqual((await o.me()).roles, [], 'a revoked grant applies to the next request');
  const bad = await call('POST', `/v1/admin/users/${did(outsider)}/roles`, { roles: ['root'] }, op.token);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error!.message, /roles are operator, member, regulator, auditor/);
});

test('work orders: members file and see their own, comment; only operators see all and move the status', async () => {
  const a = await signedIn(org);
  const b = await signedIn(other);
  const op = await signedIn(operator);
  const wo = await a.createWorkOrder({ kind: 'quota', title: '扩容申请', body: 'Please raise our notary quota to 10 000 records a day.' });
  assert.deepEqual([wo.status, wo.createdBy, wo.comments, wo.history], ['open', did(org), [], []]);
  const theirs = await b.createWorkOrder({ kind: 'incident', title: 'Node down', body: 'Our node in Lingang is unreachable since 09:00.' });

  assert.deepEqual((await a.workOrders()).map((o) => o.id), [wo.id]);
  assert.deepEqual((await b.workOrders()).map((o) => o.id), [theirs.id]);
  await assert.rejects(b.workOrder(wo.id), { code: 'NOT_FOUND' });
  await assert.rejects(b.commentWorkOrder(wo.id, 'me too'), { code: 'NOT_FOUND' });
  await assert.rejects(a.setWorkOrderStatus(wo.id, 'resolved'), { code: 'FORBIDDEN' });
  const all = (await op.workOrders()).map((o) => o.id);
  assert.ok(all.includes(wo.id) && all.includes(theirs.id));
  assert.deepEqual((await op.workOrders({ kind: 'incident' })).map((o) => o.kind), (await op.workOrders({ kind: 'incident' })).map(() => 'incident'));

  await op.commentWorkOrder(wo.id, 'Looking into it.');
  await a.commentWorkOrder(wo.id, 'Thanks!');
  await op.setWorkOrderStatus(wo.id, 'in-progress');
  const done = await op.setWorkOrderStatus(wo.id, 'resolved', 'Quota raised.');
  await assert.rejects(op.setWorkOrderStatus(wo.id, 'resolved'), { code: 'CONFLICT' });
  const seen = await a.workOrder(wo.id);
  assert.deepEqual(seen, done);
  assert.deepEqual(seen.comments.map((c) => [c.by, c.text]), [[did(operator), 'Looking into it.'], [did(org), 'Thanks!']]);
  assert.deepEqual(seen.history.map((h) => [h.from, h.to, h.note]), [['open', 'in-progress', undefined], ['in-progress', 'resolved', 'Quota raised.']]);
  assert.deepEqual((await a.workOrders({ status: 'resolved' })).map((o) => [o.id, o.comments]), [[wo.id, 2]]);
  // Paging backwards, newest first.
  const [newest] = await op.workOrders({ limit: 1 });
  assert.equal(newest!.id, theirs.id);
  assert.deepEqual((await op.workOrders({ before: theirs.id, limit: 1 })).map((o) => o.id), [wo.id]);
  assert.deepEqual(await op.workOrders({ before: 1 }), []);

  assert.equal((await call('GET', '/v1/workorders')).status, 401);
  const tooLong = await call('POST', '/v1/workorders', { kind: 'join', title: 'x'.repeat(201), body: 'b' }, a.token);
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body.error!.message, /title may be at most 200 characters/);
  const huge = await call('POST', '/v1/workorders', { kind: 'join', title: 't', body: 'b'.repeat(200_000) }, a.token);
  assert.equal(huge.status, 413);
  assert.match(huge.body.error!.message, /larger than 131072 bytes, the most POST \/v1\/workorders takes/);
  assert.equal((await call('GET', '/v1/workorders/abc', undefined, a.token)).status, 400);
  assert.equal((await call('GET', '/v1/workorders/999999', undefined, op.token)).status, 404);
});

test('a member may have at most 50 open work orders at a time', async () => {
  const k = generateKeyPair('ed25519');
  await (await signedIn(operator)).setRoles(did(k), ['member']);
  const busy = await signedIn(k);
  const ids: number[] = [];
  for (let i = 0; i < 50; i++) ids.push((await busy.createWorkOrder({ kind: 'incident', title: `incident ${i}`, body: 'b' })).id);
  await assert.rejects(busy.createWorkOrder({ kind: 'incident', title: 'one more', body: 'b' }), (e: Error & { code?: string }) => e.code === 'QUOTA_EXCEEDED' && /50 open work orders/.test(e.message));
  await (await signedIn(operator)).setWorkOrderStatus(ids[0]!, 'rejected', 'duplicate');
  assert.equal((await busy.createWorkOrder({ kind: 'incident', title: 'one more', body: 'b' })).status, 'open');
});

test('API keys: the secret is shown once, works as a bearer with its roles, and stops working when revoked or expired', async () => {
  const op = await signedIn(operator);
  const key = await op.createApiKey({ name: 'grafana audit export', roles: ['auditor'] });
  assert.match(key.secret, new RegExp(`^shk_${key.id}_[0-9a-f]{64}$`));
  const listed = (await op.apiKeys()).find((k) => k.id === key.id)!;
  assert.equal(listed.name, 'grafana audit export');
  assert.ok(!('secret' in listed) && !('hash' in listed), 'secrets are never listed');
  const viaKey = client(key.secret);
  assert.deepEqual(await viaKey.me(), { did: did(operator), roles: ['auditor'], via: 'apikey', expiresAt: key.expiresAt, keyId: key.id });
  assert.ok((await viaKey.audit({ limit: 5 })).entries.length === 5);
  await assert.rejects(viaKey.users(), { code: 'FORBIDDEN' });
  await assert.rejects(client(key.secret).createApiKey({ name: 'x', roles: ['operator'] }), { code: 'FORBIDDEN' });
  await assert.rejects(viaKey.logout(), { code: 'BAD_REQUEST' });
  await op.revokeApiKey(key.id);
  await assert.rejects(viaKey.me(), (e: Error & { code?: string }) => e.code === 'NOT_AUTHORISED' && /revoked/.test(e.message));
  await assert.rejects(op.revokeApiKey(key.id), { code: 'CONFLICT' });
  await assert.rejects(op.revokeApiKey('0123456789abcdef'), { code: 'NOT_FOUND' });

  const short = await op.createApiKey({ name: 'short', roles: ['operator'], expiresAt: Date.now() + skew + HOUR });
  assert.equal((await client(short.secret).me()).via, 'apikey');
  skew += 2 * HOUR;
  await assert.rejects(client(short.secret).me(), (e: Error & { code?: string }) => e.code === 'NOT_AUTHORISED' && /expired/.test(e.message));
  await assert.rejects((await signedIn(operator)).createApiKey({ name: 'old', roles: ['auditor'], expiresAt: 1 }), { code: 'BAD_REQUEST' });
  await assert.rejects((await signedIn(org)).createApiKey({ name: 'mine', roles: ['operator'] }), { code: 'FORBIDDEN' });

  // A key works only while the DID that made it is an operator.
  const deputy = generateKeyPair('sm2');
  const op2 = await signedIn(operator);
  await op2.setRoles(did(deputy), ['operator']);
  const deputyKey = await (await signedIn(deputy)).createApiKey({ name: 'deputy script', roles: ['auditor'] });
  assert.equal((await client(deputyKey.secret).me()).keyId, deputyKey.id);
  await op2.setRoles(did(deputy), []);
  await assert.rejects(client(deputyKey.secret).me(), (e: Error & { code?: string }) => e.code === 'NOT_AUTHORISED' && /no longer an operator/.test(e.message));
});

test('/metrics is Prometheus text with the expected series; /v1/node/stats has samples for charts', async () => {
  const chain = new ShulianClient({ baseUrl: running.url });
  await chain.waitForTx(await chain.send('notary', generateKeyPair('sm2'), { module: 'notary', method: 'put', args: { hash: '5a'.repeat(32) } }));
  const res = await fetch(running.url + '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  // Parse the exposition: every sample belongs to a family declared with HELP and TYPE before it.
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        assert.ok(['counter', 'gauge'].includes(m[3]!), line);
        assert.ok(!types.has(m[2]!), `family ${m[2]} declared once`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    assert.ok(m, `not a valid sample line: ${line}`);
    assert.ok(types.has(m[1]!), `${m[1]} has a TYPE line before its samples`);
    if (types.get(m[1]!) === 'counter') assert.ok(Number(m[3]) >= 0);
    samples.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  for (const name of [
    'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_used_bytes', 'nodejs_eventloop_lag_seconds',
    'shulian_data_dir_bytes', 'shulian_data_dir_free_bytes', 'shulian_peers', 'shulian_tps',
  ]) assert.ok(samples.has(name), `series ${name}`);
  for (const name of [
    'shulian_chain_height', 'shulian_chain_txs_committed_total', 'shulian_chain_mempool_txs', 'shulian_consensus_height',
    'shulian_consensus_round', 'shulian_chain_block_interval_seconds', 'shulian_chain_validators_up',
  ]) assert.ok(samples.has(`${name}{chain="notary"}`), `series ${name}{chain="notary"}`);
  assert.ok(samples.get('shulian_chain_txs_committed_total{chain="notary"}')! >= 1);
  assert.ok(samples.get('shulian_chain_height{chain="notary"}')! >= 1);
  assert.ok(samples.get('shulian_data_dir_bytes')! > 0);
  assert.equal(samples.get('shulian_peers'), 0);
  assert.equal(types.get('process_cpu_seconds_total'), 'counter');

  const stats = await waitFor(async () => {
    const s = await client().stats();
    return s.history.samples.length >= 2 ? s : undefined;
  }, 'two samples in the history');
  assert.equal(stats.node.did, running.did);
  assert.ok(stats.process.rssBytes > 0 && stats.process.cpuSeconds > 0);
  const notary = stats.chains.find((c) => c.id === 'notary')!;
  assert.ok(notary.height >= 1 && notary.txsCommitted >= 1 && notary.consensus?.type === 'solo');
  assert.ok(stats.history.samples.every((s) => s.rssBytes > 0 && s.tps >= 0 && s.cpuPercent >= 0));
  assert.equal(stats.history.intervalMs, 100);
  assert.match(await client().metrics(), /^# HELP /);
});

test('challenges are stateless: a flood of them for many DIDs stores nothing and another client still signs in; failures per address; operators named in the options', async () => {
  const t = tempDir();
  const store = ConsoleStore.open(join(t.dir, 'console.lmdb'));
  const boss = generateKeyPair('ed25519');
  const origin = 'https://console.example';
  const app = await buildApi(running.node, { rateLimitPerMinute: 1_000_000, console: { store, operators: [did(boss)], origins: [origin], loginFailures: { perAddress: 3 } } });
  try {
    const ask = (d: string, remoteAddress = '10.0.0.1') => app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { did: d, origin }, remoteAddress });
    const loginWith = (k: KeyPair, challenge: SignInChallenge, remoteAddress = '10.0.0.2') =>
      app.inject({ method: 'POST', url: '/v1/auth/login', payload: { did: did(k), challenge, signature: signSignIn(k, challenge), publicKey: toHex(k.publicKey) }, remoteAddress });
    // One client asks for 12 000 challenges for 12 000 DIDs (the old table held 10 000 in all) and six for one DID (it held five per DID).
    const victim = generateKeyPair('sm2');
    const early: SignInChallenge[] = [];
    for (let i = 0; i < 6; i++) early.push((await ask(did(victim))).json<{ challenge: SignInChallenge }>().challenge);
    for (let i = 0; i < 12_000; i++) {
      const r = await ask(`did:shulian:${String(i).padStart(6, '1').replace(/0/g, 'z')}${'A'.repeat(20)}`);
      if (r.statusCode !== 200) assert.fail(`challenge ${i} answered ${r.statusCode}: ${r.body}`);
    }
    // Another client signs in, with a fresh challenge and with the very first one asked for the victim.
    const fresh = (await ask(did(boss), '10.0.0.2')).json<{ challenge: SignInChallenge }>().challenge;
    const signed = await loginWith(boss, fresh);
    assert.equal(signed.statusCode, 200, signed.body);
    assert.deepEqual(signed.json<{ roles: string[] }>().roles, ['operator']);
    assert.equal((await loginWith(victim, early[0]!)).statusCode, 200);
    // Single use: the spent challenge is refused, and one naming an origin the node does not serve is never issued.
    const again = await loginWith(victim, early[0]!);
    assert.deepEqual([again.statusCode, /used already/.test(again.json<{ error: { message: string } }>().error.message)], [401, true]);
    const elsewhere = await app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { did: did(boss), origin: 'https://phish.example' } });
    assert.deepEqual([elsewhere.statusCode, elsewhere.json<{ error: { code: string } }>().error.code], [400, 'SIGNIN_ORIGIN_REFUSED']);
    // Three refusals from one address, then it waits.
    const bogus = () => {
      const x = generateKeyPair('sm2');
      const c = { ...fresh, did: did(x) };
      return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { did: did(x), challenge: c, signature: signSignIn(x, c), publicKey: toHex(x.publicKey) }, remoteAddress: '10.0.0.3' });
    };
    assert.deepEqual([(await bogus()).statusCode, (await bogus()).statusCode, (await bogus()).statusCode], [401, 401, 401]);
    const waits = await bogus();
    assert.equal(waits.statusCode, 429);
    assert.match(waits.json<{ error: { message: string } }>().error.message, /too many failed sign-ins from this address; try again in \d+ s/);
  } finally {
    await app.close();
    await store.close();
    t.cleanup();
  }
});

test('work orders need a role, and a flood of comments meets its quota with a clear error while another member still works', async () => {
  const t = tempDir();
  const store = ConsoleStore.open(join(t.dir, 'console.lmdb'));
  const app = await buildApi(running.node, { rateLimitPerMinute: 1_000_000, console: { store, quotas: { member: { openOrders: 5, bytes: 64 * 1024 } } } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  const at = (k: KeyPair) => {
    const c = new ConsoleClient({ baseUrl: `http://127.0.0.1:${addr.port}`, node: running.did });
    return c.login(k).then(() => c);
  };
  try {
    const nobody = generateKeyPair('sm2');
    const n = await at(nobody);
    await assert.rejects(n.createWorkOrder({ kind: 'incident', title: 'let me in', body: 'b' }), (e: Error & { code?: string }) => e.code === 'FORBIDDEN' && /holds no console role/.test(e.message));
    assert.equal(store.user(did(nobody)), undefined, 'a DID with no role gets no user row');
    assert.equal(store.sessionCount(), 0, 'nor a stored session');

    const flooder = await at(org);
    const neighbour = await at(other);
    const wo = await flooder.createWorkOrder({ kind: 'incident', title: 'flood', body: 'b' });
    const text = 'x'.repeat(5000);
    let accepted = 0;
    let refusal: (Error & { code?: string }) | undefined;
    for (let i = 0; i < 100 && !refusal; i++) {
      try {
        await flooder.commentWorkOrder(wo.id, text);
        accepted++;
      } catch (e) {
        refusal = e as Error & { code?: string };
      }
    }
    assert.equal(accepted, 13, '64 KiB of quota holds 13 comments of 5 000 bytes after the order itself');
    assert.equal(refusal?.code, 'QUOTA_EXCEEDED');
    assert.match(refusal!.message, /quota of 65536 bytes/);
    assert.equal((await flooder.workOrder(wo.id)).comments.length, 13, 'the refused comment changed nothing');
    // The neighbour files and comments as before.
    const theirs = await neighbour.createWorkOrder({ kind: 'quota', title: 'more notary quota', body: 'please' });
    assert.equal((await neighbour.commentWorkOrder(theirs.id, 'thanks')).comments.length, 1);
    // Work orders are listed through the author index.
    assert.deepEqual((await neighbour.workOrders()).map((o) => o.id), [theirs.id]);
    assert.deepEqual((await flooder.workOrders()).map((o) => [o.id, o.comments]), [[wo.id, 13]]);
  } finally {
    await app.close();
    await store.close();
    t.cleanup();
  }
});

test('join requests from DIDs without a role: one small open request each, bounded per address and in all, with clear errors', async () => {
  const t = tempDir();
  const store = ConsoleStore.open(join(t.dir, 'console.lmdb'));
  const boss = generateKeyPair('ed25519');
  const origin = 'https://console.example';
  const app = await buildApi(running.node, {
    rateLimitPerMinute: 1_000_000,
    console: { store, operators: [did(boss)], origins: [origin], joinRequests: { total: 5, perAddress: 2, bytes: 1024 } },
  });
  type Err = { error: { code: string; message: string } };
  try {
    /** Signs `k` in from `ip`; the bearer token. */
    const signIn = async (k: KeyPair, ip: string): Promise<string> => {
      const challenge = (await app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { did: did(k), origin }, remoteAddress: ip })).json<{ challenge: SignInChallenge }>().challenge;
      const r = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { did: did(k), challenge, signature: signSignIn(k, challenge), publicKey: toHex(k.publicKey) }, remoteAddress: ip });
      assert.equal(r.statusCode, 200, r.body);
      return r.json<{ token: string }>().token;
    };
    const as = (token: string, ip: string) => ({
      post: (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: { authorization: `Bearer ${token}` }, remoteAddress: ip }),
    });
    const ask = { kind: 'join', title: 'Yangshan Port Logistics asks to join', body: 'We run the port community system and would like to join as a member organisation.' };
    /** A fresh DID with no role, signed in from `ip`, filing a join request. */
    const stranger = async (ip: string) => {
      const k = generateKeyPair('ed25519');
      const c = as(await signIn(k, ip), ip);
      return { k, c, filed: await c.post('/v1/workorders', ask) };
    };

    // A prospective member files a join request; it gets no user row, but the order is stored and audited.
    const first = await stranger('10.7.0.1');
    assert.equal(first.filed.statusCode, 201, first.filed.body);
    const order = first.filed.json<{ id: number; kind: string; status: string; createdBy: string }>();
    assert.deepEqual([order.kind, order.status, order.createdBy], ['join', 'open', did(first.k)]);
    assert.equal(store.user(did(first.k)), undefined);
    const entry = store.auditEntries({ limit: 1 })[0]!;
    assert.deepEqual([entry.action, entry.actor, entry.details.withoutRole, entry.details.ip], ['workorder.create', did(first.k), true, '10.7.0.1']);
    // A second one from the same DID is refused naming the open one; other kinds need a role; too large is refused: none changes anything.
    const orders = () => JSON.stringify(store.listWorkOrders({ limit: 100 }));
    const before = orders();
    const again = await first.c.post('/v1/workorders', { ...ask, title: 'asking again' });
    assert.deepEqual([again.statusCode, again.json<Err>().error.code], [409, 'CONFLICT']);
    assert.match(again.json<Err>().error.message, new RegExp(`open work order already \\(#${order.id}\\)`));
    const incident = await first.c.post('/v1/workorders', { ...ask, kind: 'incident' });
    assert.deepEqual([incident.statusCode, incident.json<Err>().error.code], [403, 'FORBIDDEN']);
    assert.match(incident.json<Err>().error.message, /may file one join request/);
    const small = await stranger('10.7.0.9');
    assert.equal(small.filed.statusCode, 201, 'a small request from another DID');
    const huge = await as(await signIn(generateKeyPair('ed25519'), '10.7.0.9'), '10.7.0.9').post('/v1/workorders', { ...ask, body: 'x'.repeat(1100) });
    assert.deepEqual([huge.statusCode, huge.json<Err>().error.code], [400, 'BAD_REQUEST']);
    assert.match(huge.json<Err>().error.message, /at most 1024 bytes of title and body; this one has \d+/);
    assert.notEqual(orders(), before, 'the small request was stored');
    const stored = orders();
    // It may answer the operator on its own open request.
    assert.equal((await first.c.post(`/v1/workorders/${order.id}/comments`, { text: 'Our DID document names our admin.' })).statusCode, 201);

    // A flood of fresh DIDs from one address: two are taken, then that address is refused, another is still served.
    const flood = [await stranger('10.7.0.2'), await stranger('10.7.0.2'), await stranger('10.7.0.2'), await stranger('10.7.0.2')];
    assert.deepEqual(flood.map((f) => f.filed.statusCode), [201, 201, 429, 429]);
    assert.equal(flood[2]!.filed.json<Err>().error.code, 'LIMIT_REACHED');
    assert.match(flood[2]!.filed.json<Err>().error.message, /come from this address \(10\.7\.0\.2\) already, the most one address may hold/);
    assert.equal(store.guestJoinCount('10.7.0.2'), 2);
    assert.notEqual(orders(), stored);
    const elsewhere = await stranger('10.7.0.3');
    assert.equal(elsewhere.filed.statusCode, 201, elsewhere.filed.body);
    // Five open in all now (10.7.0.1, .9, two from .2, .3): the node takes no more from anyone, and says so.
    assert.equal(store.guestJoinCount(), 5);
    const full = await stranger('10.7.0.4');
    assert.deepEqual([full.filed.statusCode, full.filed.json<Err>().error.code], [429, 'LIMIT_REACHED']);
    assert.match(full.filed.json<Err>().error.message, /holds 5 open join requests from DIDs without a console role, the most it keeps \(5\)/);
    // A member organisation is not counted against these bounds.
    const member = as(await signIn(org, '10.7.0.2'), '10.7.0.2');
    assert.equal((await member.post('/v1/workorders', { ...ask, title: 'a member files as usual' })).statusCode, 201);

    // The operator answers the first request: its slot is free, the address behind it may file again, and the closed request takes no more replies.
    const op = as(await signIn(boss, '10.7.0.5'), '10.7.0.5');
    assert.equal((await op.post(`/v1/workorders/${order.id}/status`, { status: 'rejected', note: 'apply through the governance chain' })).statusCode, 200);
    assert.equal(store.guestJoinCount(), 4);
    const later = await stranger('10.7.0.4');
    assert.equal(later.filed.statusCode, 201, later.filed.body);
    const closed = await first.c.post(`/v1/workorders/${order.id}/comments`, { text: 'why?' });
    assert.deepEqual([closed.statusCode, closed.json<Err>().error.code], [403, 'FORBIDDEN']);
    // Its own open request is the only one it sees or may comment on.
    const theirs = await later.c.post(`/v1/workorders/${order.id}/comments`, { text: 'hello' });
    assert.equal(theirs.statusCode, 404);
  } finally {
    await app.close();
    await store.close();
    t.cleanup();
  }
});

test('fuzzed auth, work-order and admin bodies: never a 500, and a bad body changes nothing', async () => {
  const member = await signedIn(org);
  const op = await signedIn(operator);
  const target = (await member.createWorkOrder({ kind: 'join', title: 'fuzz target', body: 'b' })).id;
  const snapshot = async () => JSON.stringify([await op.workOrders({ limit: 200 }), await op.workOrder(target), await op.users(), await op.apiKeys()]);
  const auditCount = async () => (await op.audit({ limit: 1 })).total;
  const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
  const someDid = fc.oneof(fc.constant(did(org)), fc.string(), fc.constant('did:shulian:' + 'A'.repeat(30)));
  const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constant(''), fc.constant('   '), fc.constant('a\u0000b'), fc.string({ minLength: 190, maxLength: 230 }));
  const junk = fc.oneof(fc.anything(), fc.constant(null), fc.array(fc.string()), fc.string());
  const body = (shape: Record<string, fc.Arbitrary<unknown>>) => fc.oneof(
    junk,
    fc.record(shape, { requiredKeys: [] }),
    fc.record({ ...shape, extra: fc.string() }),
  );
  const rawJson = fc.oneof(fc.constant('{'), fc.constant('[1,'), fc.constant('nul'), fc.string());

  const cases: Array<{ path: string; token?: string; arb: fc.Arbitrary<unknown>; creates?: (b: unknown) => boolean }> = [
    { path: '/v1/auth/challenge', arb: body({ did: someDid, origin: fc.oneof(fc.constant(originOf(running.url)), fc.string(), fc.constant('https://phish.example')) }) },
    { path: '/v1/auth/login', arb: body({ did: someDid, challenge: fc.oneof(fc.string(), fc.anything(), fc.record({ node: fc.constant(running.did), did: someDid, origin: fc.string(), nonce: hex(32), expiresAt: fc.integer(), mac: hex(64) })), signature: fc.oneof(hex(128), fc.string()), publicKey: fc.oneof(hex(64), fc.constant('04' + 'ab'.repeat(64)), fc.string()) }) },
    { path: '/v1/workorders', token: member.token!, arb: body({ kind: fc.oneof(fc.constantFrom('join', 'chain', 'quota', 'incident'), fc.string()), title: text, body: text }), creates: (b) => workOrderBody.safeParse(b).success },
    { path: `/v1/workorders/${target}/comments`, token: member.token!, arb: body({ text }), creates: (b) => commentBody.safeParse(b).success },
    { path: `/v1/workorders/${target}/status`, token: op.token!, arb: body({ status: fc.oneof(fc.constantFrom('open', 'in-progress', 'resolved', 'rejected'), fc.string()), note: text }), creates: (b) => statusBody.safeParse(b).success },
    { path: `/v1/admin/users/${did(other)}/roles`, token: op.token!, arb: body({ roles: fc.oneof(fc.array(fc.string()), fc.array(fc.constantFrom('operator', 'root', 'auditor')), fc.string()) }), creates: () => true },
    { path: '/v1/admin/apikeys', token: op.token!, arb: body({ name: text, roles: fc.array(fc.string()), expiresAt: fc.oneof(fc.integer(), fc.double()) }) },
  ];
  for (const c of cases) {
    await fc.assert(fc.asyncProperty(fc.oneof(c.arb.map((b) => ({ b, raw: undefined as string | undefined })), rawJson.map((raw) => ({ b: undefined as unknown, raw }))), async ({ b, raw }) => {
      const before = await snapshot();
      const audits = await auditCount();
      const r = raw !== undefined ? await call('POST', c.path, undefined, c.token, raw) : await call('POST', c.path, b === undefined ? null : b, c.token);
      assert.ok(r.status < 500, `${c.path} answered ${r.status} to ${raw ?? JSON.stringify(b)}: ${JSON.stringify(r.body)}`);
      if (r.status >= 400) {
        assert.equal(typeof r.body.error?.message, 'string', `${c.path}: an error says what is wrong`);
        assert.equal(await snapshot(), before, `${c.path}: refused ${raw ?? JSON.stringify(b)} but state changed`);
        const added = (await op.audit({ limit: Math.max(1, (await auditCount()) - audits) })).entries.slice(0, (await auditCount()) - audits);
        assert.ok(added.every((e) => e.action === 'auth.login-refused'), `${c.path}: only refused sign-ins are audited on bad input`);
      } else if (c.creates) {
        assert.ok(raw === undefined && c.creates(b), `${c.path} accepted ${raw ?? JSON.stringify(b)}`);
      } else {
        assert.ok(c.path === '/v1/auth/challenge' || c.path === '/v1/admin/apikeys', `${c.path} accepted ${JSON.stringify(b)}`);
      }
    }), { numRuns: 60 });
  }
});

test('the audit log verifies; an edited or removed entry is found, and a rewritten tail is caught by its notary anchor', async () => {
  const op = await signedIn(operator);
  const ok = await op.verifyAudit();
  assert.ok(ok.ok && ok.entries > 10, JSON.stringify(ok));
  const { entries } = await op.audit({ limit: 3 });
  assert.deepEqual(entries.map((e) => e.seq), [ok.entries, ok.entries - 1, ok.entries - 2]);
  assert.equal(entries[0]!.prev, entries[1]!.hash);
  assert.deepEqual((await op.audit({ before: ok.entries, limit: 2 })).entries.map((e) => e.seq), [ok.entries - 1, ok.entries - 2]);
  assert.deepEqual((await op.audit({ before: 1 })).entries, []);

  // Tamper with the stored log from outside the API, as someone with the data dir would.
  const env = openLmdb({ path: join(tmp.dir, 'console.lmdb'), maxDbs: 12 });
  const db = env.openDB<StoreAuditEntry, number>({ name: 'audit', keyEncoding: 'uint32' });
  const victim = 3;
  const original = db.get(victim)!;
  try {
    await db.put(victim, { ...original, actor: did(generateKeyPair('sm2')) });
    const edited = await op.verifyAudit();
    assert.deepEqual(edited.ok ? null : [edited.brokenAt, /content does not match its hash/.test(edited.reason)], [victim, true]);

    // Rehashing the edited entry does not help: the next entry's link breaks.
    const { hash: _h, ...rest } = { ...original, actor: did(generateKeyPair('sm2')) };
    await db.put(victim, { ...rest, hash: auditHash(rest) });
    const relinked = await op.verifyAudit();
    assert.deepEqual(relinked.ok ? null : [relinked.brokenAt, /does not link/.test(relinked.reason)], [victim + 1, true]);

    await db.remove(victim);
    const removed = await op.verifyAudit();
    assert.deepEqual(removed.ok ? null : removed.brokenAt, victim + 1);
  } finally {
    await db.put(victim, original);
  }
  assert.deepEqual((await op.verifyAudit()).ok, true);
  const lastSeq = (await op.audit({ limit: 1 })).entries[0]!.seq;
  const last = db.get(lastSeq)!;
  await db.remove(lastSeq);
  const truncated = await op.verifyAudit();
  assert.ok(!truncated.ok && /head/.test(truncated.reason), JSON.stringify(truncated));
  await db.put(lastSeq, last);
  assert.equal((await op.verifyAudit()).ok, true);

  // Rewriting the whole tail and the head defeats the chain alone, not an anchor on the notary chain.
  const chain = new ShulianClient({ baseUrl: running.url });
  const anchor = await op.anchorAudit(chain, operator);
  assert.deepEqual([anchor.seq, anchor.owner], [lastSeq, did(operator)]);
  assert.deepEqual(await op.anchorAudit(chain, operator), anchor, 'anchoring the same head again finds the first record');
  assert.equal((await op.checkAuditAnchor(chain, anchor)).ok, true);
  const meta = env.openDB<{ seq: number; hash: string }, string>({ name: 'meta' });
  const originals = [...db.getRange({})].map(({ value }) => value);
  const originalHead = meta.get('auditHead')!;
  try {
    let prev = originals[victim - 2]!.hash;
    for (const e of originals.slice(victim - 1)) {
      const { hash: _old, ...body } = { ...e, prev, ...(e.seq === victim ? { actor: did(generateKeyPair('sm2')) } : {}) };
      const rewritten = { ...body, hash: auditHash(body) };
      await db.put(e.seq, rewritten);
      prev = rewritten.hash;
    }
    await meta.put('auditHead', { seq: originals.length, hash: prev });
    assert.equal((await op.verifyAudit()).ok, true, 'a consistent rewrite passes the hash chain');
    const caught = await op.checkAuditAnchor(chain, anchor);
    assert.ok(!caught.ok && /no longer has the anchored hash/.test(caught.reason), JSON.stringify(caught));
  } finally {
    for (const e of originals) await db.put(e.seq, e);
    await meta.put('auditHead', originalHead);
  }
  assert.equal((await op.checkAuditAnchor(chain, anchor)).ok, true);
});

test('sessions, work orders and the audit log survive a restart of the node', async () => {
  const a = await signedIn(org);
  const wo = await a.createWorkOrder({ kind: 'chain', title: 'A trade chain', body: 'Three validators, SM2, notary module.' });
  await running.close();
  running = await startNode({ dataDir: tmp.dir, port: 0, log: () => {}, api: { console: { now: () => Date.now() + skew } } });
  const again = client(a.token);
  assert.equal((await again.me()).did, did(org));
  assert.equal((await again.workOrder(wo.id)).title, 'A trade chain');
  assert.equal((await (await signedIn(operator)).verifyAudit()).ok, true);
});
