import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalBytes, fromHex, toHex } from '../codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, verify } from '../crypto/index.ts';
import { merkleRoot } from '../ledger/index.ts';
import { headMessage, nextHead, ReceiptJournal, type UsageEvent } from './journal.ts';

const key = generateKeyPair('sm2');
const event = (n: number): UsageEvent => ({
  specversion: '1.0', id: toHex(sm3(new TextEncoder().encode(`e${n}`))), source: didFromPublicKey(key.publicKey), type: 'org.shulian.market.usage',
  subject: 'ab'.repeat(32), time: new Date(1_800_000_000_000 + n).toISOString(), datacontenttype: 'application/json',
  data: { product: 'p', caller: 'did:shulian:x', period: 1, units: 1, result: 'cd'.repeat(32), timeMs: 1_800_000_000_000 + n, status: 200 },
});

function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-journal-'));
  return f(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

type Line = { head: string; root?: string; sig?: string; events?: UsageEvent[] };
const linesOf = (dir: string): Line[] => readFileSync(join(dir, 'receipts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

/** Checks the hash chain and every signature; returns whether the last head is signed. */
function checkChain(lines: Line[]): boolean {
  let head = '00'.repeat(32);
  for (const l of lines) {
    if (l.events) {
      assert.equal(l.root, toHex(merkleRoot(l.events.map((e) => canonicalBytes({ ...e, data: { ...e.data } })), sm3)));
      head = nextHead(head, l.root!);
    }
    assert.equal(l.head, head, 'each line carries the chained head');
    if (l.sig) assert.ok(verify('sm2', key.publicKey, headMessage(l.head), fromHex(l.sig)), 'the gateway signed the head');
  }
  return lines[lines.length - 1]!.sig !== undefined;
}

test('a receipt is in the file once append resolves; groups chain by hash and the gateway signs the head', () => withDir(async (dir) => {
  const j = ReceiptJournal.open(dir, key);
  await Promise.all([1, 2, 3].map((n) => j.append(event(n))));
  await j.append(event(4));
  const lines = linesOf(dir);
  assert.deepEqual(lines.flatMap((l) => (l.events ?? []).map((e) => e.id)), [1, 2, 3, 4].map((n) => event(n).id));
  assert.ok(lines.length >= 2, 'the fourth waited for the first group\'s sync');
  assert.ok(lines[0]!.sig, 'the first group is signed');
  checkChain(lines);
  assert.deepEqual(j.stats().pending, 4);
  await j.close();
  assert.equal(checkChain(linesOf(dir)), true, 'closing signs the last head');
  const tampered = linesOf(dir);
  tampered[0]!.events![0]!.data.units = 9;
  assert.throws(() => checkChain(tampered), 'a changed receipt breaks its root');
}));

test('after a crash: a torn last line (never acknowledged) is cut off; what was committed on chain is not sent again', () => withDir(async (dir) => {
  const j = ReceiptJournal.open(dir, key);
  for (const n of [1, 2, 3]) await j.append(event(n));
  await j.committed(2);
  await j.close();
  appendFileSync(join(dir, 'receipts.jsonl'), '{"head":"ab","root":"cd","events":[{"id":'); // the process died mid-write
  const again = ReceiptJournal.open(dir, key);
  assert.equal(checkChain(linesOf(dir)), true, 'the cut file chains and ends signed');
  assert.deepEqual(again.pending().map((e) => e.id), [event(3).id]);
  assert.deepEqual({ ...again.stats(), bytes: 0 }, { journaled: 3, committed: 2, pending: 1, rejected: 0, bytes: 0 });
  await again.append(event(4));
  await again.close();
  const third = ReceiptJournal.open(dir, key);
  assert.deepEqual(third.pending().map((e) => e.id), [event(3).id, event(4).id], 'the file reads back whole after the cut');
  assert.equal(checkChain(linesOf(dir)), true);
  await third.close();
}));

test('a closed journal takes no more receipts', () => withDir(async (dir) => {
  const j = ReceiptJournal.open(dir, key);
  await j.close();
  await assert.rejects(j.append(event(1)), { code: 'GATEWAY_BUSY' });
}));
