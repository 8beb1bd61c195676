import { accountSchema, CHAIN_ID, chainIdSchema, digestSchema, z } from '../../codec/schemas.ts';

/** A document's id: its origin chain and its id there. */
export const docIdSchema = z.string().regex(new RegExp(`^${CHAIN_ID}:[A-Za-z0-9._-]{1,64}$`), '<origin chain>:<id>');
/** The id an issuer gives a document on its origin chain. */
export const localDocIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64');

/** A document of title (state key `xdoc/doc/<id>`). */
export interface DocRecord {
  id: string;
  kind: string;
  /** SM3 / SHA-256 digest of the document file. */
  hash: string;
  issuer: string;
  holder: string;
  /** 'here': live on this chain; 'away': sent to `at`, waiting for the outcome or held there. */
  state: 'here' | 'away';
  at?: string;
  /** Set while an atomic transaction (module `xlock`) has locked it: no endorsement or send until released. */
  lock?: string;
  /** Endorsements and moves, oldest first. */
  history: DocEvent[];
}
export interface DocEvent {
  event: string;
  by: string;
  to?: string;
  chain: string;
  height: number;
}

/** A document as it travels in a packet (what the destination checks before holding it). */
export const docSchema = z.strictObject({
  id: docIdSchema, kind: z.string().min(1).max(64), hash: digestSchema, issuer: accountSchema, holder: accountSchema,
  state: z.enum(['here', 'away']), at: chainIdSchema.optional(),
  history: z.array(z.strictObject({ event: z.string().max(32), by: accountSchema, to: accountSchema.optional(), chain: chainIdSchema, height: z.number().int().min(0) })).max(1000),
});
/** The payload of a document packet. */
export interface DocPayload {
  doc: DocRecord;
  receiver: string;
}

/**
 * A document locked for an atomic transaction: endorsed from `from` to `to` at commit, unlocked at
 * rollback. The shape of runtime/locks.ts's LockRecord, written out so this face needs nothing of
 * the runtime.
 */
export type DocLockRecord = DocLockBody & { state: 'locked' | 'committed' | 'released'; height: number };
export interface DocLockBody {
  id: string;
  from: string;
  to: string;
}

/** The exports xlock places, commits and releases document locks with, and the name of the lock id in their args. */
export const DOC_LOCK_EXPORTS = { place: 'lockDoc', commit: 'commitLock', release: 'releaseLock', idField: 'lock' } as const;
