/**
 * What a block's validity may depend on besides its parent's state: other chains' committed
 * state at heights the block names (Block.refs). A node's *current* view of another chain differs
 * from its peers', so it is never consulted for validity; a named height is the same everywhere
 * once that chain reached it (docs/consensus.md, "Block validity").
 */
import { ShulianError, canonicalize, type ErrorCode, type JsonValue } from '../codec/index.ts';
import type { Block, StateLookup } from '../ledger/index.ts';
import type { AllianceView } from '../runtime/index.ts';

/** A chain this node hosts whose committed state another chain consults. */
export interface ReferenceChain {
  readonly id: string;
  /** Its latest committed (durable) height on this node; −1 when it is not open yet. */
  height(): number;
  /** State at a committed height (≤ height()). */
  getState(key: string, opts?: { height?: number }): StateLookup;
  /** Called after each committed block; returns an unsubscribe function. */
  onBlock(listener: (block: Block) => void): () => void;
}

/** One chain's state frozen at one height: all a judge may read. */
export interface StateAt {
  readonly chain: string;
  readonly height: number;
  getState(key: string): StateLookup;
}

export type Verdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

/**
 * Whether `pubkey` may sign for `did` (its DID document on the identity chain). `source` is the
 * identity chain; absent when the judged chain is the identity chain itself (its parent state).
 */
export interface SenderAuthority {
  readonly source?: ReferenceChain;
  judge(state: StateAt, did: string, pubkeyHex: string): Verdict;
}

/**
 * A business chain's admission policy, held by the governance chain (`source`). A credential
 * policy also reads the identity chain (`identity`: presentations, DID documents, status lists),
 * at the identity height the block names.
 */
export interface AdmissionRule {
  readonly source: ReferenceChain;
  readonly identity?: ReferenceChain;
  judge(state: StateAt, did: string, identity?: StateAt): Verdict;
}

/**
 * What the governance chain says about every chain's parties (docs/supervision.md#freezes):
 * frozen DIDs (refused at admission), and the freezes and template approvals execution reads.
 * `source` is the governance chain; absent when the judged chain is the governance chain itself
 * (its parent state, as the identity chain judges its own senders).
 */
export interface AllianceRule {
  readonly source?: ReferenceChain;
  judge(state: StateAt, did: string): Verdict;
  view(state: StateAt): AllianceView;
}

/** State key holding a chain's effective refs (canonical JSON, chain id → height). */
export const REFS_KEY = 'sys/refs';

/** Most chains a block may name. */
const MAX_REFS = 8;

export type Refs = Record<string, number>;

export function stateAt(chain: ReferenceChain, height: number): StateAt {
  return { chain: chain.id, height, getState: (key) => chain.getState(key, { height }) };
}

export function refsEqual(a: Refs, b: Refs): boolean {
  return canonicalize(a as JsonValue) === canonicalize(b as JsonValue);
}

/** Parses the stored `sys/refs` value (null when the chain never named any). */
export function parseRefs(value: JsonValue | null): Refs {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ShulianError('STATE_INVALID', `${REFS_KEY} holds ${JSON.stringify(value)}, not a map of heights`);
  const out: Refs = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ShulianError('STATE_INVALID', `${REFS_KEY}.${k} is not a height`);
    out[k] = v;
  }
  return out;
}

/**
 * The effective refs of a block: its parent's, overridden by those it names. Throws a message
 * (for BLOCK_INVALID) when it names a chain this chain does not consult, a height that is not a
 * whole number, or goes back from its parent's (a proposer may not roll senders' keys back).
 */
export function effectiveRefs(named: unknown, parent: Refs, consulted: ReadonlySet<string>): Refs {
  if (named === undefined) return { ...parent };
  if (named === null || typeof named !== 'object' || Array.isArray(named)) throw new Error('its refs are not a map of chain ids to heights');
  const entries = Object.entries(named as Record<string, unknown>);
  if (entries.length > MAX_REFS) throw new Error(`it names more than ${MAX_REFS} chains in refs`);
  const out: Refs = { ...parent };
  for (const [chain, h] of entries) {
    if (!consulted.has(chain)) throw new Error(`its refs name chain "${chain}", whose state this chain does not consult`);
    if (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 0) throw new Error(`its refs give chain ${chain} height ${String(h)}, not a whole number`);
    if (h < (parent[chain] ?? 0)) throw new Error(`its refs go back to height ${h} of chain ${chain}; its parent named ${parent[chain]}`);
    out[chain] = h;
  }
  return out;
}

/** Resolves true once `chain` reached `height` on this node, false after `ms`. */
export function reach(chain: ReferenceChain, height: number, ms: number): Promise<boolean> {
  if (chain.height() >= height) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      off();
      clearInterval(poll);
      clearTimeout(timer);
      resolve(ok);
    };
    const check = (): void => {
      if (chain.height() >= height) done(true);
    };
    const off = chain.onBlock(check);
    // Also polled: the chain may not be open yet when the wait starts.
    const poll = setInterval(check, 50);
    const timer = setTimeout(() => done(chain.height() >= height), ms);
  });
}
