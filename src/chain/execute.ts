import { canonicalize, fromHex, toHex, type JsonValue } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import { merkleRoot, receiptHashOf, stateKeyHash, type Receipt } from '../ledger/index.ts';
import type { SmtUpdate, SparseMerkleTree } from '../ledger/store/index.ts';
import type { MempoolEntry } from './mempool.ts';
import type { AllianceView, Executor } from '../runtime/index.ts';
import { REFS_KEY, type Refs } from './refs.ts';

/**
 * The state a block executes on: its parent's state root and a reader of the parent's values.
 * Today always the committed head; naming it here is what lets a block run on a parent that is
 * not yet durable (pipelining, issue #14 follow-up) without touching propose or validate.
 */
export interface ParentState {
  stateRoot: string;
  get(key: string): string | undefined;
}

/** What running a block needs from its chain. */
export interface RunContext {
  chain: string;
  suite: Suite;
  maxTxGas: number;
  executor: Executor;
  tree: SparseMerkleTree;
  hash: (d: Uint8Array) => Uint8Array;
}

/** A block's execution: its receipts, state writes and the roots its header commits to. */
export interface BlockRun {
  receipts: Receipt[];
  receiptHashes: string[];
  writes: Map<string, string | null>;
  values: Map<string, string>;
  stateRoot: string;
  txRoot: string;
  receiptRoot: string;
}

/** State updates per tree slice. */
const SMT_SLICE = 128;
/** Hashes per slice of a block's other hashing work. */
const HASH_SLICE = 250;

/** Lets pending I/O (API requests) run between slices of long work. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Executes txs at (height, time) on top of `parent` and computes the roots; `refs`, when the
 * block moves them, is written to REFS_KEY so the state root commits to it. Long work runs in
 * slices with yields so the node keeps serving reads; none of it changes the result.
 */
export async function runBlock(
  ctx: RunContext, parent: ParentState, height: number, time: number, entries: MempoolEntry[], refs?: Refs, alliance?: AllianceView,
): Promise<BlockRun> {
  const executed = await ctx.executor.executeBlock(
    { get: (k) => parent.get(k) },
    { chain: ctx.chain, height, time, maxTxGas: ctx.maxTxGas, ...(alliance ? { alliance } : {}) },
    entries, yieldToEventLoop,
  );
  if (refs) executed.writes.set(REFS_KEY, canonicalize(refs as JsonValue));
  const updates: SmtUpdate[] = [];
  const values = new Map<string, string>();
  let n = 0;
  for (const [key, json] of executed.writes) {
    if (++n % HASH_SLICE === 0) await yieldToEventLoop();
    if (json === null) {
      updates.push({ key: stateKeyHash(ctx.suite, key), value: null });
    } else {
      const vh = ctx.hash(Buffer.from(json, 'utf8'));
      values.set(toHex(vh), json);
      updates.push({ key: stateKeyHash(ctx.suite, key), value: vh });
    }
  }
  // In slices: the root is the same as one batch (it depends only on the final key set), at
  // the cost of rehashing the few shared upper nodes once per slice.
  // Tree nodes of candidates that never commit stay pending and are written, unreferenced,
  // with the next committed block: content-addressed, so they harm nothing, and no candidate
  // can lose a node another still needs.
  let stateRoot = fromHex(parent.stateRoot);
  for (let i = 0; i < updates.length; i += SMT_SLICE) {
    if (i > 0) await yieldToEventLoop();
    stateRoot = ctx.tree.update(stateRoot, updates.slice(i, i + SMT_SLICE));
  }
  const receiptHashes: string[] = [];
  for (let i = 0; i < executed.receipts.length; i++) {
    if (i > 0 && i % HASH_SLICE === 0) await yieldToEventLoop();
    receiptHashes.push(receiptHashOf(ctx.suite, executed.receipts[i]!));
  }
  const txRoot = toHex(merkleRoot(entries.map((e) => fromHex(e.hash)), ctx.hash));
  await yieldToEventLoop();
  const receiptRoot = toHex(merkleRoot(receiptHashes.map((h) => fromHex(h)), ctx.hash));
  return { receipts: executed.receipts, receiptHashes, writes: executed.writes, values, stateRoot: toHex(stateRoot), txRoot, receiptRoot };
}
