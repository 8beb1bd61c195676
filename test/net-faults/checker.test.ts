import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, type FinalBlock, type History, type ViolationKind } from '../helpers/netns/checker.ts';

// The history checker's negative tests: a clean history passes, and each planted violation is
// caught under its own kind (issue #21: "its checker would catch a planted violation").

const A = 'did:shulian:alice';
const B = 'did:shulian:bob';
const h = (n: number): string => n.toString(16).padStart(64, '0');

function block(height: number, txs: FinalBlock['txs']): FinalBlock {
  return { height, hash: `blk${height}`, stateRoot: `root${height}`, txs };
}

/** Two clients, three txs, two honest nodes that agree, and a sampler that saw it happen. */
function clean(): History {
  const t1 = { hash: h(1), from: A, nonce: 0, status: 'ok' as const };
  const t2 = { hash: h(2), from: B, nonce: 0, status: 'ok' as const };
  const t3 = { hash: h(3), from: A, nonce: 1, status: 'failed' as const };
  const chain = [block(1, [t1]), block(2, [t2, t3]), block(3, [])];
  return {
    clients: [A, B],
    ops: [
      { hash: h(1), from: A, nonce: 0, node: 0, submittedAt: 0, answer: { kind: 'accepted' }, committed: { height: 1, status: 'ok', node: 0, at: 40 } },
      { hash: h(2), from: B, nonce: 0, node: 1, submittedAt: 10, answer: { kind: 'error', message: 'timeout' } },
      { hash: h(2), from: B, nonce: 0, node: 0, submittedAt: 20, answer: { kind: 'accepted' }, committed: { height: 2, status: 'ok', node: 0, at: 70 } },
      { hash: h(3), from: A, nonce: 1, node: 1, submittedAt: 50, answer: { kind: 'accepted' } },
      { hash: h(4), from: A, nonce: 2, node: 1, submittedAt: 90, answer: { kind: 'accepted' } },
      { hash: h(5), from: B, nonce: 1, node: 1, submittedAt: 95, answer: { kind: 'rejected', code: 'MEMPOOL_FULL' } },
    ],
    blocks: [
      { node: 0, height: 1, hash: 'blk1', stateRoot: 'root1', at: 30 },
      { node: 1, height: 2, hash: 'blk2', stateRoot: 'root2', at: 60 },
    ],
    nonces: [
      { node: 0, did: A, nonce: 1, at: 30 },
      { node: 0, did: A, nonce: 2, at: 80 },
    ],
    finals: [{ node: 0, blocks: chain }, { node: 1, blocks: structuredClone(chain) }],
  };
}

const kinds = (hist: History): ViolationKind[] => checkHistory(hist).violations.map((v) => v.kind);

test('a clean history passes, and what the clients know is counted honestly', () => {
  const r = checkHistory(clean());
  assert.deepEqual(r.violations, []);
  // h(3) is in the chain though no client saw it commit: committed late; h(4) accepted and in no chain: unknown, not committed.
  assert.deepEqual(r.counts, { submitted: 5, ackedCommitted: 2, committedLate: 1, unknown: 1, rejected: 1 });
  assert.deepEqual(r.latencies, [40, 50]);
  assert.equal(r.commonHeight, 3);
});

test('planted: two nodes commit different blocks at one height (a fork), seen by the sampler', () => {
  const hist = clean();
  hist.blocks.push({ node: 1, height: 1, hash: 'evil1', stateRoot: 'root1', at: 35 });
  assert.deepEqual(kinds(hist), ['FORK']);
});

test('planted: same block, different state root', () => {
  const hist = clean();
  hist.finals[1]!.blocks[2]!.stateRoot = 'other';
  assert.deepEqual(kinds(hist), ['STATE_ROOT']);
});

test('planted: an acknowledged commit missing from one honest node (a lost write)', () => {
  const hist = clean();
  const b = hist.finals[1]!.blocks[0]!;
  b.txs = [];
  assert.ok(kinds(hist).includes('LOST_WRITE'));
});

test('planted: an acknowledged commit at another height, and with another result', () => {
  const moved = clean();
  moved.ops[2]!.committed!.height = 3;
  assert.deepEqual(kinds(moved), ['MOVED_WRITE', 'MOVED_WRITE']);
  const changed = clean();
  changed.ops[0]!.committed!.status = 'failed';
  assert.deepEqual(kinds(changed), ['RESULT_CHANGED', 'RESULT_CHANGED']);
});

test('planted: a phantom tx from a client key, and one tx committed twice', () => {
  const phantom = clean();
  phantom.finals[0]!.blocks[2]!.txs.push({ hash: h(99), from: B, nonce: 1, status: 'ok' });
  assert.deepEqual(kinds(phantom), ['PHANTOM']);
  const dup = clean();
  dup.finals[0]!.blocks[2]!.txs.push({ hash: h(1), from: 'did:shulian:other', nonce: 0, status: 'ok' });
  assert.deepEqual(kinds(dup), ['DUPLICATE']);
});

test('planted: a nonce that goes backwards on a node, and nonces committed out of order', () => {
  const back = clean();
  back.nonces.push({ node: 0, did: A, nonce: 1, at: 90 });
  assert.deepEqual(kinds(back), ['NONCE_BACKWARDS']);
  const order = clean();
  for (const f of order.finals) f.blocks[1]!.txs[1]!.nonce = 2;
  assert.deepEqual(kinds(order), ['NONCE_ORDER', 'NONCE_ORDER']);
});

test('planted: a tx refused with a code is committed, and a chain with a hole in it', () => {
  const refused = clean();
  refused.finals[0]!.blocks[2]!.txs.push({ hash: h(5), from: B, nonce: 1, status: 'ok' });
  assert.deepEqual(kinds(refused), ['REJECTED_COMMITTED']);
  // Indeterminate first (a timeout: the node did take it), refused as stale by the next: no violation.
  const retried = clean();
  retried.ops.push({ hash: h(6), from: B, nonce: 1, node: 0, submittedAt: 96, answer: { kind: 'error', message: 'timeout' } });
  retried.ops.push({ hash: h(6), from: B, nonce: 1, node: 1, submittedAt: 99, answer: { kind: 'rejected', code: 'TX_NONCE_STALE' } });
  for (const f of retried.finals) f.blocks[2]!.txs.push({ hash: h(6), from: B, nonce: 1, status: 'ok' });
  assert.deepEqual(kinds(retried), []);
  const gap = clean();
  gap.finals[1]!.blocks.splice(1, 1);
  assert.ok(kinds(gap).includes('GAP'));
});

test('a node behind the acknowledged height is not a lost write (it has not got there yet)', () => {
  const hist = clean();
  hist.finals[1]!.blocks = hist.finals[1]!.blocks.slice(0, 1);
  const r = checkHistory(hist);
  assert.deepEqual(r.violations, []);
  assert.equal(r.commonHeight, 1);
});
