/**
 * Ops alarms on a running node (issue #25 item 4, docs/alarms.md): an operator sets thresholds, a
 * signed webhook and SMTP settings over the API; a chain's height stalls with a tx waiting (one
 * the chain cannot include: it waits behind a nonce gap) and the alarm fires — the webhook is
 * received and its signature verified with the secret, the e-mail arrives in a local SMTP sink
 * over a real socket (AUTH PLAIN checked) — then resolves once the gap is filled. The history
 * survives a restart; secrets are never returned nor logged; non-operators are refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { signTx } from '../src/ledger/index.ts';
import { ConsoleClient, ShulianClient, type AlarmEvent, type AlarmSettings } from '../src/sdk/index.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const SECRET = 'whsec-0123456789abcdef-test';
const PASSWORD = 'smtp-pass-!@#-never-shown';
let tmp: { dir: string; cleanup: () => void };
let node: NodeProcess;
let sink: SmtpSink;
let hookServer: Server;
let hookUrl: string;
const received: Array<{ body: string; ts: string; sig: string; seq: string; verified: boolean }> = [];
let operator: KeyPair;

/** The receiver's side, as docs/alarms.md tells it: HMAC-SHA256 over `<timestamp>.<body>`, compared in constant time. */
function verify(secret: string, ts: string, body: string, sig: string): boolean {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`);
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}

before(async () => {
  tmp = tempDir('alarms-');
  sink = await startSmtpSink({ user: 'alarms', password: PASSWORD });
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const ts = String(req.headers['x-shulian-timestamp'] ?? '');
      const sig = String(req.headers['x-shulian-signature'] ?? '');
      received.push({ body, ts, sig, seq: String(req.headers['x-shulian-alarm'] ?? ''), verified: verify(SECRET, ts, body, sig) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  const addr = hookServer.address();
  hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
  node = await startNodeProcess(join(tmp.dir, 'data'));
  operator = readKeystore(join(tmp.dir, 'data', 'node', 'key.json'), readFileSync(join(tmp.dir, 'data', 'node', 'key.pass'), 'utf8').trim());
});

after(async () => {
  await node?.stop();
  await sink?.close();
  await new Promise((r) => hookServer?.close(r));
  tmp?.cleanup();
});

const signedIn = async (key: KeyPair): Promise<ConsoleClient> => {
  const cc = new ConsoleClient({ baseUrl: node.url });
  await cc.login(key);
  return cc;
};

test('a stalled height fires an alarm: a signed webhook and an e-mail are delivered, it resolves, and the history survives a restart', { timeout: 300_000 }, async () => {
  const cc = await signedIn(operator);
  const settings: AlarmSettings = {
    thresholds: { heightStalledS: 2, checkS: 1 },
    webhooks: [{ id: 'ops', url: hookUrl, secret: SECRET }],
    smtp: { host: '127.0.0.1', port: sink.port, security: 'plain', user: 'alarms', password: PASSWORD, from: 'node@shulian.test', to: ['ops@shulian.test'] },
  };
  const saved = await cc.setAlarmSettings(settings);
  assert.equal(JSON.stringify(saved).includes(SECRET) || JSON.stringify(saved).includes(PASSWORD), false, 'no secret in the answer');
  assert.equal(saved.webhooks[0]!.secretSet, true);
  assert.equal(saved.smtp!.passwordSet, true);
  const read = await cc.alarmSettings();
  assert.deepEqual(read, saved);
  // Saving again without the secrets keeps them (the console never has them).
  await cc.setAlarmSettings(read);
  assert.equal((await cc.alarmSettings()).webhooks[0]!.secretSet, true);

  // A tx the notary chain cannot include (nonce 1 before 0): it waits, and the height stays.
  const c = new ShulianClient({ baseUrl: node.url });
  const alice = generateKeyPair('sm2');
  const [head] = await c.blocks('notary', { limit: 1 });
  const put = (nonce: number) => signTx(alice, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (77_000 + nonce).toString(16).padStart(64, '0') }, nonce, expires: (head?.height ?? 0) + 1_000 });
  await c.submit('notary', put(1).tx);

  const hook = await waitFor(() => received.find((r) => (JSON.parse(r.body) as { alarm: AlarmEvent }).alarm.id === 'height-stalled/notary'), 'the webhook', 60_000);
  assert.equal(hook.verified, true, 'the signature verifies with the secret');
  assert.equal(verify('another-secret-of-16+chars', hook.ts, hook.body, hook.sig), false);
  const alarm = (JSON.parse(hook.body) as { alarm: AlarmEvent; node: string }).alarm;
  assert.equal(alarm.state, 'firing');
  assert.equal(alarm.kind, 'height-stalled');
  assert.equal(alarm.chain, 'notary');
  assert.match(alarm.message, /chain notary has stayed at height \d+ for \d+ s with 1 txs waiting \(threshold 2 s\)/);
  assert.equal(hook.seq, String(alarm.seq));

  const mail = await waitFor(() => sink.mails.find((m) => /FIRING height-stalled notary/.test(m.subject)), 'the e-mail', 60_000);
  assert.equal(mail.from, 'node@shulian.test');
  assert.deepEqual(mail.to, ['ops@shulian.test']);
  assert.equal(mail.user, 'alarms', 'authenticated with the stored password');
  assert.match(mail.text, /chain notary has stayed at height/);

  // Filling the gap lets the chain move: the alarm resolves, delivered the same ways.
  await c.submit('notary', put(0).tx);
  await waitFor(() => received.some((r) => { const a = (JSON.parse(r.body) as { alarm: AlarmEvent }).alarm; return a.id === 'height-stalled/notary' && a.state === 'resolved'; }), 'the resolution', 60_000);
  await waitFor(() => sink.mails.some((m) => /resolved height-stalled notary/.test(m.subject)), 'the resolution e-mail', 60_000);

  // The history, with each delivery's outcome.
  let lastHistory: unknown;
  const history = await waitFor(async () => {
    const h = (await cc.alarmHistory()).alarms.filter((a) => a.id === 'height-stalled/notary');
    lastHistory = h;
    return h.length === 2 && h.every((a) => a.deliveries.ops?.status === 'delivered' && a.deliveries.smtp?.status === 'delivered') ? h : undefined;
  }, 'the history with delivered alarms', 60_000).catch((err: Error) => {
    throw new Error(`${err.message}; the last history read: ${JSON.stringify(lastHistory)}`);
  });
  assert.deepEqual(history.map((a) => a.state), ['resolved', 'firing']);
  assert.equal(sink.refused, 0);

  // After a restart the history is still there; nothing logged a secret.
  await node.stop();
  const out = node.output();
  node = await startNodeProcess(join(tmp.dir, 'data'));
  const again = await (await signedIn(operator)).alarmHistory();
  assert.deepEqual(again.alarms.filter((a) => a.id === 'height-stalled/notary').map((a) => a.seq), history.map((a) => a.seq));
  for (const s of [SECRET, PASSWORD, Buffer.from(`\0alarms\0${PASSWORD}`).toString('base64')]) assert.equal((out + node.output()).includes(s), false, 'a secret in the node\'s output');
});

test('only operators read or change alarm settings; bad settings are refused with the field and change nothing', { timeout: 120_000 }, async () => {
  const stranger = await signedIn(generateKeyPair('sm2'));
  await assert.rejects(stranger.alarmSettings(), (e: Error & { code?: string }) => e.code === 'FORBIDDEN' || e.code === 'UNAUTHORIZED' || /operator/.test(e.message));
  await assert.rejects(stranger.setAlarmSettings({ thresholds: {}, webhooks: [] }), (e: Error & { code?: string }) => e.code !== undefined && e.code !== 'ALARM_SETTINGS_INVALID');
  await assert.rejects(fetch(`${node.url}/v1/alarms/history`).then(async (r) => { if (!r.ok) throw Object.assign(new Error(await r.text()), { status: r.status }); }), (e: Error & { status?: number }) => e.status === 401 || e.status === 403);
  const cc = await signedIn(operator);
  const before = await cc.alarmSettings();
  for (const [bad, re] of [
    [{ thresholds: { diskPercent: 101 }, webhooks: [] }, /thresholds\.diskPercent: must be at most 100/],
    [{ thresholds: {}, webhooks: [{ id: 'x', url: 'ftp://h/', secret: SECRET }] }, /webhooks\[0\]\.url: must be an http\(s\) URL/],
    [{ thresholds: {}, webhooks: [{ id: 'new', url: hookUrl }] }, /webhooks\.new: give a secret/],
    [{ thresholds: {}, webhooks: [{ id: 'x', url: hookUrl, secret: 'short' }] }, /at least 16 characters/],
    [{ thresholds: {}, webhooks: [], smtp: { host: 'h', port: 25, security: 'plain', from: 'nobody', to: ['a@b'] } }, /smtp\.from: must be an e-mail address/],
    [{ thresholds: { heightStalledS: 1 }, webhooks: [], extra: 1 }, /alarm settings/],
    [{ thresholds: { gatewayBacklog: 0 }, webhooks: [] }, /thresholds\.gatewayBacklog: must be at least 1/],
  ] as const) {
    await assert.rejects(cc.setAlarmSettings(bad as never), (e: Error & { code?: string }) => e.code === 'ALARM_SETTINGS_INVALID' && re.test(e.message), JSON.stringify(bad));
  }
  assert.deepEqual(await cc.alarmSettings(), before);
});

test('the node\'s own gateway reports its backlog per route in /v1/node/stats and /metrics: 0 while idle', { timeout: 120_000 }, async () => {
  const s = await new ConsoleClient({ baseUrl: node.url }).stats();
  assert.ok(s.gateway, 'the embedded alliance runs a gateway in the node');
  const hosted = s.chains.map((c) => c.id);
  assert.ok(s.gateway.routes.length >= 2, 'at least one pair of chains, both ways');
  for (const r of s.gateway.routes) {
    assert.ok(hosted.includes(r.from) && hosted.includes(r.to) && r.from !== r.to, `${r.from}→${r.to} is a route between hosted chains`);
    assert.ok(s.gateway.routes.some((o) => o.from === r.to && o.to === r.from), `${r.to}→${r.from} is relayed too`);
    assert.equal(r.backlog, 0, `nothing waits from ${r.from} to ${r.to}`);
  }
  assert.equal(s.gateway.backlog, 0);
  const text = await (await fetch(`${node.url}/metrics`)).text();
  assert.match(text, /^# TYPE shulian_gateway_backlog gauge$/m);
  for (const r of s.gateway.routes) assert.match(text, new RegExp(`^shulian_gateway_backlog\\{from="${r.from}",to="${r.to}"\\} 0$`, 'm'));
});
