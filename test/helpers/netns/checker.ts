/**
 * A history checker in the manner of Jepsen (issue #21): clients record every answer the nodes
 * gave them, a sampler records what each node reported as committed while the faults ran, and
 * at the end every honest node's chain is read in full. checkHistory then looks for:
 *
 * - FORK: two different block hashes at one height (from any node, at any time);
 * - STATE_ROOT: one height with two different state roots;
 * - LOST_WRITE: a tx a client was told is committed (height h) missing from an honest node's
 *   chain at h, or there with another result (MOVED_WRITE, RESULT_CHANGED);
 * - PHANTOM: a tx from a client key that no client ever submitted; DUPLICATE: one tx at two heights;
 * - NONCE_BACKWARDS: a node reported a sender's nonce lower than it reported before;
 *   NONCE_ORDER: a chain commits a sender's nonces out of order or with a gap;
 * - REJECTED_COMMITTED: a tx refused with an error code at every submission that was committed anyway;
 * - GAP: an honest node's final chain misses a height below its top.
 *
 * Accepted txs that no honest chain holds are counted as `unknown` — an acceptance is not a
 * promise of commit — never as committed.
 */

export type Answer = { kind: 'accepted' } | { kind: 'rejected'; code: string } | { kind: 'error'; message: string };

/** One submission of a tx to one node, and what came of it. */
export interface TxOp {
  hash: string;
  from: string;
  nonce: number;
  node: number;
  submittedAt: number;
  answer: Answer;
  /** Set when a client read the tx back as committed. */
  committed?: { height: number; status: 'ok' | 'failed'; node: number; at: number };
}

export interface BlockObs { node: number; height: number; hash: string; stateRoot: string; at: number }
export interface NonceObs { node: number; did: string; nonce: number; at: number }

export interface FinalBlock {
  height: number;
  hash: string;
  stateRoot: string;
  txs: Array<{ hash: string; from: string; nonce: number; status: 'ok' | 'failed' }>;
}

/** An honest node's whole chain at the end (heights 1..top, in order). */
export interface FinalChain { node: number; blocks: FinalBlock[] }

export interface History {
  /** The DIDs the clients sign with: only their txs are checked for phantoms. */
  clients: string[];
  ops: TxOp[];
  blocks: BlockObs[];
  nonces: NonceObs[];
  finals: FinalChain[];
}

export type ViolationKind = 'FORK' | 'STATE_ROOT' | 'LOST_WRITE' | 'MOVED_WRITE' | 'RESULT_CHANGED' | 'PHANTOM' | 'DUPLICATE'
  | 'NONCE_BACKWARDS' | 'NONCE_ORDER' | 'REJECTED_COMMITTED' | 'GAP';

export interface Violation { kind: ViolationKind; detail: string }

export interface CheckReport {
  violations: Violation[];
  /** Distinct txs by what the clients know of them. */
  counts: { submitted: number; ackedCommitted: number; committedLate: number; unknown: number; rejected: number };
  /** Submit-to-acknowledged-commit latencies, ms, sorted. */
  latencies: number[];
  /** Highest height every honest node has. */
  commonHeight: number;
}

export function checkHistory(h: History): CheckReport {
  const violations: Violation[] = [];
  const v = (kind: ViolationKind, detail: string): void => void violations.push({ kind, detail });

  // Agreement: every report of every node, during the run and at the end.
  const hashAt = new Map<number, { hash: string; node: number }>();
  const rootAt = new Map<number, { root: string; node: number }>();
  const see = (node: number, height: number, hash: string, root: string): void => {
    const seen = hashAt.get(height);
    if (!seen) hashAt.set(height, { hash, node });
    else if (seen.hash !== hash) v('FORK', `height ${height}: node ${seen.node} has ${seen.hash}, node ${node} has ${hash}`);
    const r = rootAt.get(height);
    if (!r) rootAt.set(height, { root, node });
    else if (r.root !== root) v('STATE_ROOT', `height ${height}: node ${r.node} has state root ${r.root}, node ${node} has ${root}`);
  };
  for (const b of h.blocks) see(b.node, b.height, b.hash, b.stateRoot);
  for (const f of h.finals) for (const b of f.blocks) see(f.node, b.height, b.hash, b.stateRoot);

  // Each final chain: contiguous, no tx twice, each sender's nonces in order without gaps.
  const clients = new Set(h.clients);
  const submitted = new Map<string, TxOp[]>();
  for (const op of h.ops) submitted.set(op.hash, [...(submitted.get(op.hash) ?? []), op]);
  const where = h.finals.map((f) => {
    const at = new Map<string, { height: number; status: 'ok' | 'failed' }>();
    const lastNonce = new Map<string, number>();
    f.blocks.forEach((b, k) => {
      if (b.height !== k + 1) v('GAP', `node ${f.node}: block ${k + 1} is missing (found ${b.height} in its place)`);
      for (const t of b.txs) {
        const prev = at.get(t.hash);
        if (prev) v('DUPLICATE', `node ${f.node}: tx ${t.hash} at heights ${prev.height} and ${b.height}`);
        else at.set(t.hash, { height: b.height, status: t.status });
        if (clients.has(t.from)) {
          if (!submitted.has(t.hash)) v('PHANTOM', `node ${f.node}: tx ${t.hash} from client ${t.from} at height ${b.height} was never submitted`);
          const last = lastNonce.get(t.from) ?? -1;
          if (t.nonce !== last + 1) v('NONCE_ORDER', `node ${f.node}: ${t.from} nonce ${t.nonce} after ${last} at height ${b.height}`);
          lastNonce.set(t.from, t.nonce);
        }
      }
    });
    return { node: f.node, top: f.blocks.length, at };
  });

  // Acknowledged commits are everywhere, at the same height, with the same result.
  const latencies: number[] = [];
  for (const op of h.ops) {
    const c = op.committed;
    if (!c) continue;
    latencies.push(c.at - op.submittedAt);
    for (const w of where) {
      if (w.top < c.height) continue; // that node has not reached it (checked for liveness elsewhere)
      const found = w.at.get(op.hash);
      if (!found) v('LOST_WRITE', `tx ${op.hash} acknowledged committed at height ${c.height} by node ${c.node} is not in node ${w.node}'s chain`);
      else if (found.height !== c.height) v('MOVED_WRITE', `tx ${op.hash} acknowledged at height ${c.height} by node ${c.node} is at ${found.height} on node ${w.node}`);
      else if (found.status !== c.status) v('RESULT_CHANGED', `tx ${op.hash} acknowledged ${c.status} by node ${c.node} is ${found.status} on node ${w.node}`);
    }
  }

  // A node never reports a sender's nonce going back.
  const lastSeen = new Map<string, NonceObs>();
  for (const o of [...h.nonces].sort((a, b) => a.at - b.at)) {
    const key = `${o.node}/${o.did}`;
    const prev = lastSeen.get(key);
    if (prev && o.nonce < prev.nonce) v('NONCE_BACKWARDS', `node ${o.node} reported ${o.did} at nonce ${prev.nonce}, later at ${o.nonce}`);
    lastSeen.set(key, o);
  }

  // What the clients know, per distinct tx.
  const counts = { submitted: submitted.size, ackedCommitted: 0, committedLate: 0, unknown: 0, rejected: 0 };
  for (const [hash, ops] of submitted) {
    const inChain = where.find((w) => w.at.has(hash));
    if (ops.some((o) => o.committed)) counts.ackedCommitted++;
    else if (inChain) counts.committedLate++;
    else if (ops.some((o) => o.answer.kind !== 'rejected')) counts.unknown++;
    else counts.rejected++;
    // Refused at every submission, yet committed. (A refusal after an indeterminate answer — a
    // timeout, then TX_NONCE_STALE from the next node because the first did commit it — is not.)
    if (inChain && ops.every((o) => o.answer.kind === 'rejected')) {
      v('REJECTED_COMMITTED', `tx ${hash} refused at every submission (${ops.map((o) => `node ${o.node}: ${(o.answer as { code: string }).code}`).join(', ')}) is committed`);
    }
  }
  latencies.sort((a, b) => a - b);
  const commonHeight = where.length ? Math.min(...where.map((w) => w.top)) : 0;
  return { violations, counts, latencies, commonHeight };
}
