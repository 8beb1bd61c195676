/**
 * What the BaaS console keeps on the node (issue #8): sign-in sessions and API keys (by the SM3
 * hash of their bearer secrets only), users and the roles an operator granted them, work orders
 * (工单) with comments and status history, and an append-only audit log of console actions whose
 * entries are hash-chained with SM3, so an edited, removed or reordered entry is detected by
 * `verifyAudit`. One LMDB file, `<dataDir>/console.lmdb`, apart from the chains' stores: nothing
 * here is consensus state.
 *
 * Every change and its audit entry are written in one LMDB transaction: either both are stored
 * or neither.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { ShulianError, canonicalBytes, toHex, type JsonValue } from '../codec/index.ts';
import { sm3 } from '../crypto/index.ts';
import type { WorkOrder, WorkOrderComment, WorkOrderStatusChange, WorkOrderSummary } from '../sdk/console.ts';

export type { WorkOrder, WorkOrderComment, WorkOrderStatusChange, WorkOrderSummary };

/** Roles in the console. Governance gives operator, member and regulator; an operator may grant any. */
export const CONSOLE_ROLES = ['operator', 'member', 'regulator', 'auditor'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export const WORK_ORDER_KINDS = ['join', 'chain', 'quota', 'incident'] as const;
export type WorkOrderKind = (typeof WORK_ORDER_KINDS)[number];
export const WORK_ORDER_STATUSES = ['open', 'in-progress', 'resolved', 'rejected'] as const;
export type WorkOrderStatus = (typeof WORK_ORDER_STATUSES)[number];

export interface UserRecord {
  did: string;
  /** First and last sign-in (ms); 0 for a DID granted roles before it ever signed in. */
  firstLogin: number;
  lastLogin: number;
  logins: number;
  /** Roles granted by an operator, on top of those the governance chain gives. */
  grantedRoles: ConsoleRole[];
}

export interface SessionRecord {
  did: string;
  createdAt: number;
  expiresAt: number;
  /** How the DID proved itself: the key's suite. */
  suite: 'sm2' | 'ed25519';
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  roles: ConsoleRole[];
  /** The DID the key acts for (the operator who created it). */
  did: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  /** SM3 hex of the secret; never returned by the API. */
  hash: string;
}

export type PublicApiKey = Omit<ApiKeyRecord, 'hash'>;





/** One audit log entry. `hash` = SM3 of the RFC 8785 canonical JSON of every other field. */
export interface AuditEntry {
  seq: number;
  time: number;
  /** The DID that acted (for a failed sign-in, the DID that was claimed). */
  actor: string;
  action: string;
  target?: string;
  details: { [k: string]: JsonValue };
  /** Hash of the previous entry; 64 zeros for the first. */
  prev: string;
  hash: string;
}

export type AuditDraft = Omit<AuditEntry, 'seq' | 'time' | 'prev' | 'hash'>;

export type AuditVerification =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: number; reason: string };

export const AUDIT_GENESIS = '0'.repeat(64);

/** Limits that keep one client from filling the node's disk. */
export const STORE_LIMITS = {
  commentsPerOrder: 500,
  openOrdersPerDid: 50,
  sessionsPerDid: 20,
  apiKeys: 1000,
  users: 100_000,
} as const;

export function auditHash(e: Omit<AuditEntry, 'hash'>): string {
  const body: { [k: string]: JsonValue } = { seq: e.seq, time: e.time, actor: e.actor, action: e.action, details: e.details, prev: e.prev };
  if (e.target !== undefined) body.target = e.target;
  return toHex(sm3(canonicalBytes(body)));
}

interface AuditHead {
  seq: number;
  hash: string;
}

export class ConsoleStore {
  readonly path: string;
  private readonly root: RootDatabase;
  private readonly users: Database<UserRecord, string>;
  private readonly sessions: Database<SessionRecord, string>;
  private readonly apikeys: Database<ApiKeyRecord, string>;
  private readonly apikeyByHash: Database<string, string>;
  private readonly orders: Database<WorkOrder, number>;
  private readonly audit: Database<AuditEntry, number>;
  private readonly meta: Database<JsonValue, string>;
  private closed = false;

  private constructor(path: string) {
    this.path = path;
    this.root = open({ path, maxDbs: 12, mapSize: 4 * 1024 ** 3 });
    this.users = this.root.openDB({ name: 'users' });
    this.sessions = this.root.openDB({ name: 'sessions' });
    this.apikeys = this.root.openDB({ name: 'apikeys' });
    this.apikeyByHash = this.root.openDB({ name: 'apikey-hash', encoding: 'string' });
    this.orders = this.root.openDB({ name: 'workorders', keyEncoding: 'uint32' });
    this.audit = this.root.openDB({ name: 'audit', keyEncoding: 'uint32' });
    this.meta = this.root.openDB({ name: 'meta' });
  }

  /** Opens (creating) the store at `path`, a file such as `<dataDir>/console.lmdb`. */
  static open(path: string): ConsoleStore {
    try {
      return new ConsoleStore(path);
    } catch (err) {
      throw new ShulianError('CONSOLE_STORE_UNAVAILABLE', `cannot open the console store ${path}: ${(err as Error).message}; check the data dir's permissions and free space`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  // ---- audit ----

  private auditHead(): AuditHead {
    const h = this.meta.get('auditHead') as AuditHead | undefined;
    return h ?? { seq: 0, hash: AUDIT_GENESIS };
  }

  /** Appends an audit entry. Call inside `write` so it commits with the change it records. */
  private appendAudit(draft: AuditDraft, time: number): AuditEntry {
    const head = this.auditHead();
    const base: Omit<AuditEntry, 'hash'> = { seq: head.seq + 1, time, actor: draft.actor, action: draft.action, details: draft.details, prev: head.hash };
    if (draft.target !== undefined) base.target = draft.target;
    const entry: AuditEntry = { ...base, hash: auditHash(base) };
    this.audit.putSync(entry.seq, entry);
    this.meta.putSync('auditHead', { seq: entry.seq, hash: entry.hash });
    return entry;
  }

  /** Runs `fn` and appends `audit` (when given) in one LMDB transaction. */
  private write<T>(time: number, audit: AuditDraft | undefined, fn: () => T): T {
    return this.root.transactionSync(() => {
      const out = fn();
      if (audit) this.appendAudit(audit, time);
      return out;
    });
  }

  /** Records an action that changes nothing else (a refused sign-in, a logout). */
  record(time: number, audit: AuditDraft): AuditEntry {
    return this.root.transactionSync(() => this.appendAudit(audit, time));
  }

  /** Entries newest first, with seq < before. */
  auditEntries(opts: { limit: number; before?: number }): AuditEntry[] {
    const out: AuditEntry[] = [];
    const start = opts.before === undefined ? undefined : opts.before - 1;
    if (start !== undefined && start < 1) return out;
    for (const { value } of this.audit.getRange({ reverse: true, limit: opts.limit, ...(start !== undefined ? { start } : {}) })) out.push(value);
    return out;
  }

  auditCount(): number {
    return this.auditHead().seq;
  }

  /**
   * Walks the whole log: every entry's hash recomputed, every link to the previous hash, seqs
   * consecutive from 1, and the last entry equal to the recorded head.
   */
  verifyAudit(): AuditVerification {
    const head = this.auditHead();
    let prev = AUDIT_GENESIS;
    let expected = 1;
    for (const { key, value } of this.audit.getRange({})) {
      const e = value;
      const fail = (reason: string): AuditVerification => ({ ok: false, entries: expected - 1, brokenAt: key, reason });
      if (key !== expected || e.seq !== key) return fail(`entry ${key} is out of sequence (expected ${expected}): an entry was removed or inserted`);
      if (e.prev !== prev) return fail(`entry ${key} does not link to the hash of entry ${key - 1}: an earlier entry was changed or removed`);
      const { hash, ...rest } = e;
      if (auditHash(rest) !== hash) return fail(`entry ${key}'s content does not match its hash: the entry was changed`);
      prev = hash;
      expected++;
    }
    const count = expected - 1;
    if (count !== head.seq || prev !== head.hash) {
      return { ok: false, entries: count, brokenAt: count + 1, reason: `the log ends at entry ${count} (${prev}) but its head is entry ${head.seq} (${head.hash}): entries at the end were removed or replaced` };
    }
    return { ok: true, entries: count, head: head.hash };
  }

  // ---- users ----

  user(did: string): UserRecord | undefined {
    return this.users.get(did);
  }

  listUsers(limit: number): UserRecord[] {
    const out: UserRecord[] = [];
    for (const { value } of this.users.getRange({})) out.push(value);
    out.sort((a, b) => b.lastLogin - a.lastLogin || (a.did < b.did ? -1 : 1));
    return out.slice(0, limit);
  }

  setGrantedRoles(did: string, roles: ConsoleRole[], time: number, audit: AuditDraft): UserRecord {
    return this.write(time, audit, () => {
      const u = this.users.get(did);
      if (!u && this.users.getCount() >= STORE_LIMITS.users) {
        throw new ShulianError('STORE_FULL', `the console knows ${STORE_LIMITS.users} users already; no new ones can be added`);
      }
      const rec: UserRecord = u ? { ...u, grantedRoles: roles } : { did, firstLogin: 0, lastLogin: 0, logins: 0, grantedRoles: roles };
      this.users.putSync(did, rec);
      return rec;
    });
  }

  // ---- sessions ----

  session(tokenHash: string): SessionRecord | undefined {
    return this.sessions.get(tokenHash);
  }

  /** Stores a new session for a signed-in DID (dropping its oldest beyond the per-DID limit) and records the user. */
  createSession(tokenHash: string, s: SessionRecord, audit: AuditDraft): void {
    this.write(s.createdAt, audit, () => {
      const mine: Array<{ key: string; value: SessionRecord }> = [];
      for (const { key, value } of this.sessions.getRange({})) {
        if (value.expiresAt <= s.createdAt) this.sessions.removeSync(key);
        else if (value.did === s.did) mine.push({ key, value });
      }
      mine.sort((a, b) => a.value.createdAt - b.value.createdAt);
      while (mine.length >= STORE_LIMITS.sessionsPerDid) this.sessions.removeSync(mine.shift()!.key);
      const u = this.users.get(s.did);
      if (!u && this.users.getCount() >= STORE_LIMITS.users) {
        throw new ShulianError('STORE_FULL', `the console knows ${STORE_LIMITS.users} users already and takes no new ones; an operator can clear old ones from ${this.path}`);
      }
      this.sessions.putSync(tokenHash, s);
      this.users.putSync(s.did, u
        ? { ...u, firstLogin: u.firstLogin || s.createdAt, lastLogin: s.createdAt, logins: u.logins + 1 }
        : { did: s.did, firstLogin: s.createdAt, lastLogin: s.createdAt, logins: 1, grantedRoles: [] });
    });
  }

  deleteSession(tokenHash: string, time: number, audit: AuditDraft): boolean {
    return this.write(time, audit, () => {
      if (this.sessions.get(tokenHash) === undefined) return false;
      this.sessions.removeSync(tokenHash);
      return true;
    });
  }

  // ---- API keys ----

  apiKeyByHash(hash: string): ApiKeyRecord | undefined {
    const id = this.apikeyByHash.get(hash);
    return id === undefined ? undefined : this.apikeys.get(id);
  }

  apiKey(id: string): ApiKeyRecord | undefined {
    return this.apikeys.get(id);
  }

  listApiKeys(): PublicApiKey[] {
    const out: PublicApiKey[] = [];
    for (const { value } of this.apikeys.getRange({})) {
      const { hash: _hash, ...pub } = value;
      out.push(pub);
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  createApiKey(rec: ApiKeyRecord, audit: AuditDraft): void {
    this.write(rec.createdAt, audit, () => {
      if (this.apikeys.getCount() >= STORE_LIMITS.apiKeys) {
        throw new ShulianError('STORE_FULL', `there are ${STORE_LIMITS.apiKeys} API keys already; delete unused ones first`);
      }
      this.apikeys.putSync(rec.id, rec);
      this.apikeyByHash.putSync(rec.hash, rec.id);
    });
  }

  /** Revokes a key: it stays listed (with revokedAt) but no longer authenticates. */
  revokeApiKey(id: string, time: number, audit: AuditDraft): ApiKeyRecord {
    return this.write(time, audit, () => {
      const k = this.apikeys.get(id);
      if (!k) throw new ShulianError('NOT_FOUND', `no API key ${id}; GET /v1/admin/apikeys lists them`);
      if (k.revokedAt !== undefined) throw new ShulianError('CONFLICT', `API key ${id} was revoked already`);
      const rec: ApiKeyRecord = { ...k, revokedAt: time };
      // The hash stays indexed so a revoked key is refused as revoked, not as unknown.
      this.apikeys.putSync(id, rec);
      return rec;
    });
  }

  // ---- work orders ----

  workOrder(id: number): WorkOrder | undefined {
    return this.orders.get(id);
  }

  /** Newest first; only those created by `did` when given. */
  listWorkOrders(opts: { did?: string; status?: WorkOrderStatus; kind?: WorkOrderKind; limit: number; before?: number }): WorkOrderSummary[] {
    const out: WorkOrderSummary[] = [];
    const start = opts.before === undefined ? undefined : opts.before - 1;
    if (start !== undefined && start < 1) return out;
    for (const { value: o } of this.orders.getRange({ reverse: true, ...(start !== undefined ? { start } : {}) })) {
      if (opts.did !== undefined && o.createdBy !== opts.did) continue;
      if (opts.status !== undefined && o.status !== opts.status) continue;
      if (opts.kind !== undefined && o.kind !== opts.kind) continue;
      out.push(summary(o));
      if (out.length >= opts.limit) break;
    }
    return out;
  }

  createWorkOrder(o: Omit<WorkOrder, 'id'>, audit: Omit<AuditDraft, 'target'>): WorkOrder {
    return this.write(o.createdAt, undefined, () => {
      let open = 0;
      for (const { value } of this.orders.getRange({})) {
        if (value.createdBy === o.createdBy && (value.status === 'open' || value.status === 'in-progress')) open++;
      }
      if (open >= STORE_LIMITS.openOrdersPerDid) {
        throw new ShulianError('LIMIT_REACHED', `${o.createdBy} has ${open} open work orders; wait until some are resolved before filing more`);
      }
      const next = ((this.meta.get('nextWorkOrder') as number | undefined) ?? 1);
      const order: WorkOrder = { id: next, ...o };
      this.orders.putSync(next, order);
      this.meta.putSync('nextWorkOrder', next + 1);
      this.appendAudit({ ...audit, target: `workorder:${next}` }, o.createdAt);
      return order;
    });
  }

  /** Applies `change` to order `id` inside one transaction; `change` throws to refuse. */
  updateWorkOrder(id: number, time: number, audit: AuditDraft, change: (o: WorkOrder) => WorkOrder): WorkOrder {
    return this.write(time, audit, () => {
      const o = this.orders.get(id);
      if (!o) throw new ShulianError('NOT_FOUND', `no work order #${id}`);
      const next = change(o);
      this.orders.putSync(id, next);
      return next;
    });
  }
}

export function summary(o: WorkOrder): WorkOrderSummary {
  const { body: _b, comments, history: _h, ...rest } = o;
  return { ...rest, comments: comments.length };
}
