import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { generateKeyPair, didFromPublicKey, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Block, type Receipt } from '../../src/ledger/index.ts';
import { builtinModules } from '../../src/modules/index.ts';
import { openTestChain, type TestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';
import {
  buildStatusListCredential, chunkStateKey, CHUNK_BITS, listStateKey, MIN_LIST_SIZE, readStatusList, vcstatusModule, type StatusListRecord,
} from '../../src/modules/vcstatus/index.ts';

let t: TestChain;
let tmp: { dir: string; cleanup: () => void };
let time = 1_700_000_001_000;
const issuer = generateKeyPair('sm2');
const other = generateKeyPair('sm2');
const nonces = new Map<string, number>();

before(async () => {
  tmp = tempDir();
  t = await openTestChain(tmp.dir, 'sm2', { chain: 'identity', modules: ['vcstatus'] }, [...builtinModules, vcstatusModule]);
});
after(async () => {
  await t.close();
  tmp.cleanup();
});

async function call(key: KeyPair, method: string, args: Record<string, unknown>): Promise<Receipt> {
  const did = didFromPublicKey(key.publicKey);
  const nonce = nonces.get(did) ?? 0;
  nonces.set(did, nonce + 1);
  const { tx } = signTx(key, { chain: 'identity', module: 'vcstatus', method, args: args as never, nonce, expires: 10_000 });
  const [res] = await t.chain.submit([tx]);
  assert.equal(res!.accepted, true, JSON.stringify(res));
  const block = (await t.chain.produceBlock((time += 1000))) as Block;
  return block.receipts[0]!;
}

const state = (key: string) => t.chain.getState(key).value;
const bitsOf = (listId: string) => readStatusList(state, listId)!.bitstring;
const bit = (bits: Uint8Array, i: number) => (bits[i >> 3]! >> (7 - (i & 7))) & 1;

test('an issuer creates a list; the id is then taken', async () => {
  const r = await call(issuer, 'createList', { listId: 'rev-1', purpose: 'revocation' });
  assert.equal(r.status, 'ok', String(r.message));
  assert.deepEqual(r.result, { listId: 'rev-1', purpose: 'revocation', size: MIN_LIST_SIZE });
  const rec = state(listStateKey('rev-1')) as unknown as StatusListRecord;
  assert.equal(rec.issuer, didFromPublicKey(issuer.publicKey));
  assert.equal(rec.size, MIN_LIST_SIZE);
  assert.equal(bitsOf('rev-1').length, MIN_LIST_SIZE / 8);
  assert.ok(bitsOf('rev-1').every((b) => b === 0));

  const again = await call(other, 'createList', { listId: 'rev-1', purpose: 'suspension' });
  assert.equal(again.status, 'failed');
  assert.equal(again.code, 'VCSTATUS_LIST_EXISTS');
  assert.equal((state(listStateKey('rev-1')) as unknown as StatusListRecord).issuer, rec.issuer, 'the failed call changed nothing');
});

test('bad arguments are refused', async () => {
  for (const [args, code] of [
    [{ listId: 'tiny', purpose: 'revocation', size: 1024 }, 'BAD_ARGS'],
    [{ listId: 'odd', purpose: 'revocation', size: MIN_LIST_SIZE + 3 }, 'BAD_ARGS'],
    [{ listId: 'x/y', purpose: 'revocation' }, 'BAD_ARGS'],
    [{ listId: 'p', purpose: 'refresh' }, 'BAD_ARGS'],
  ] as const) {
    const r = await call(issuer, 'createList', args);
    assert.equal(r.status, 'failed');
    assert.equal(r.code, code, JSON.stringify(args));
  }
  assert.equal(state(listStateKey('tiny')), null);
});

test('only the list issuer sets bits; a non-issuer changes nothing', async () => {
  const r = await call(other, 'setStatus', { listId: 'rev-1', index: 7, value: true });
  assert.equal(r.status, 'failed');
  assert.equal(r.code, 'VCSTATUS_NOT_ISSUER');
  assert.match(r.message!, /belongs to did:shulian:/);
  assert.equal(bit(bitsOf('rev-1'), 7), 0);
  assert.equal(state(chunkStateKey('rev-1', 0)), null);

  const ok = await call(issuer, 'setStatus', { listId: 'rev-1', index: 7, value: true });
  assert.equal(ok.status, 'ok', String(ok.message));
  assert.deepEqual(ok.result, { listId: 'rev-1', index: 7, value: true, changed: true });
  assert.equal(bit(bitsOf('rev-1'), 7), 1);
  assert.equal(bitsOf('rev-1')[0], 0x01, 'index 7 is the last bit of the first byte');
  assert.deepEqual(ok.events, [{ module: 'vcstatus', type: 'StatusSet', data: { listId: 'rev-1', index: 7, value: true, purpose: 'revocation' } }]);
});

test('revocation cannot be undone; indexes outside the list and unknown lists are refused', async () => {
  const undo = await call(issuer, 'setStatus', { listId: 'rev-1', index: 7, value: false });
  assert.equal(undo.code, 'VCSTATUS_IRREVERSIBLE');
  assert.equal(bit(bitsOf('rev-1'), 7), 1);
  const far = await call(issuer, 'setStatus', { listId: 'rev-1', index: MIN_LIST_SIZE, value: true });
  assert.equal(far.code, 'VCSTATUS_INDEX_OUT_OF_RANGE');
  const none = await call(issuer, 'setStatus', { listId: 'nope', index: 1, value: true });
  assert.equal(none.code, 'VCSTATUS_LIST_NOT_FOUND');
  const last = await call(issuer, 'setStatus', { listId: 'rev-1', index: MIN_LIST_SIZE - 1, value: true });
  assert.equal(last.status, 'ok');
  assert.equal(bit(bitsOf('rev-1'), MIN_LIST_SIZE - 1), 1);
  assert.equal(bitsOf('rev-1').at(-1), 0x01);
});

test('suspension is reversible, and a cleared chunk leaves state', async () => {
  assert.equal((await call(issuer, 'createList', { listId: 'sus-1', purpose: 'suspension', size: MIN_LIST_SIZE * 2 })).status, 'ok');
  const i = CHUNK_BITS * 3 + 5;
  assert.equal((await call(issuer, 'setStatus', { listId: 'sus-1', index: i, value: true })).status, 'ok');
  assert.equal(bit(bitsOf('sus-1'), i), 1);
  assert.equal(typeof state(chunkStateKey('sus-1', 3)), 'string');
  const noop = await call(issuer, 'setStatus', { listId: 'sus-1', index: i, value: true });
  assert.deepEqual(noop.result, { listId: 'sus-1', index: i, value: true, changed: false });
  assert.equal((await call(issuer, 'setStatus', { listId: 'sus-1', index: i, value: false })).status, 'ok');
  assert.equal(bit(bitsOf('sus-1'), i), 0);
  assert.equal(state(chunkStateKey('sus-1', 3)), null, 'an all-zero chunk is deleted');
});

test('the list credential carries the chain\'s bitstring, GZIP\'d and base64url', () => {
  const list = readStatusList(state, 'rev-1')!;
  const vc = buildStatusListCredential({
    url: 'https://node.example/v1/status-lists/rev-1', record: list.record, bitstring: list.bitstring,
    issuer: 'did:shulian:node', validFrom: '2024-01-01T00:00:00Z', chain: 'identity', height: t.chain.height(),
  });
  const subject = vc.credentialSubject as Record<string, unknown>;
  assert.deepEqual(vc.type, ['VerifiableCredential', 'BitstringStatusListCredential']);
  assert.equal(subject.statusPurpose, 'revocation');
  assert.equal(subject.listController, list.record.issuer);
  const encoded = subject.encodedList as string;
  assert.equal(encoded[0], 'u');
  assert.doesNotMatch(encoded, /[=+/]/);
  assert.deepEqual(new Uint8Array(gunzipSync(Buffer.from(encoded.slice(1), 'base64url'))), list.bitstring);
});
