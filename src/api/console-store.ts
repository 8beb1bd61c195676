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
 *
 * Nothing here grows at an outsider's will (issue #13 item 5): only DIDs holding a role get a
 * user row or a stored session (sessions of role-less DIDs live in a bounded map in memory, see
 * routes/auth.ts), filing and commenting need a role and count against that role's quota, and
 * sessions and work orders are found through indexes, never by scanning the table. The one
 * exception is a prospective member's join request: a DID without a role may keep one open,
 * small, within a bound on such requests from one client address and in all (JoinLimits).
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { ShulianError, canonicalBytes, toHex, type JsonValue } from '../codec/index.ts';
import { sm3 } from '../crypto/index.ts';
import type {
  AuditEntry, AuditVerification, ConsoleRole, WorkOrder, WorkOrderComment, WorkOrderKind, WorkOrderStatus, WorkOrderStatusChange,
  WorkOrderSummary,
} from '../sdk/index.ts';

// The console's wire types are the SDK's (src/sdk/console.ts); these names stay for the API's code.
export type {
  AuditEntry, AuditVerification, ConsoleRole, WorkOrder, WorkOrderComment, WorkOrderKind, WorkOrderStatus, WorkOrderStatusChange,
  WorkOrderSummary,
};

/** Roles in the console. Governance gives operator, member and regulator; an operator may grant any. */
export const CONSOLE_ROLES = ['operator', 'member', 'regulator', 'auditor'] as const satisfies readonly ConsoleRole[];
/** The values the API accepts, each one of the SDK's union. */
export const WORK_ORDER_KINDS = ['join', 'chain', 'quota', 'incident', 'alert'] as const satisfies readonly WorkOrderKind[];
export const WORK_ORDER_STATUSES = ['open', 'in-progress', 'resolved', 'rejected'] as const satisfies readonly WorkOrderStatus[];

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
  /** The public key (hex) that signed in: the session ends when it no longer signs for the DID. Absent in sessions from before it was kept. */
  publicKey?: string;
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





export type AuditDraft = Omit<AuditEntry, 'seq' | 'time' | 'prev' | 'hash'>;

export const AUDIT_GENESIS = '0'.repeat(64);

/** Limits that keep one client from filling the node's disk. */
export const STORE_LIMITS = {
  commentsPerOrder: 500,
  sessionsPerDid: 20,
  apiKeys: 1000,
  users: 100_000,
  /** Expired sessions removed per sign-in (the rest on later ones). */
  sweepPerLogin: 1000,
} as const;

/** What a DID may keep in work orders: open orders at a time, and bytes of text it wrote in all (titles, bodies, comments, notes). */
export interface RoleQuota {
  openOrders: number;
  bytes: number;
}

/** Quotas by role; a DID with several roles gets the largest. A DID with no role files nothing. */
export const ROLE_QUOTAS: Readonly<Record<ConsoleRole | 'none', RoleQuota>> = {
  none: { openOrders: 0, bytes: 0 },
  auditor: { openOrders: 10, bytes: 1024 * 1024 },
  regulator: { openOrders: 50, bytes: 4 * 1024 * 1024 },
  member: { openOrders: 50, bytes: 4 * 1024 * 1024 },
  operator: { openOrders: 1000, bytes: 64 * 1024 * 1024 },
};

/**
 * Join requests from DIDs holding no console role (a prospective member asking to join): each
 * such DID may keep one open, of at most `bytes` bytes written in all (title, body, its replies);
 * the node keeps at most `total` of them open at once, at most `perAddress` from one client address.
 */
export interface JoinLimits {
  total: number;
  perAddress: number;
  bytes: number;
}

export const JOIN_LIMITS: Readonly<JoinLimits> = { total: 200, perAddress: 5, bytes: 8 * 1024 };

export function quotaFor(roles: readonly ConsoleRole[], table: Readonly<Record<ConsoleRole | 'none', RoleQuota>> = ROLE_QUOTAS): RoleQuota {
  return roles.reduce<RoleQuota>((q, r) => ({ openOrders: Math.max(q.openOrders, table[r].openOrders), bytes: Math.max(q.bytes, table[r].bytes) }), table.none);
}

/** What a DID holds now: open work orders and bytes written. */
export interface QuotaUse {
  open: number;
  bytes: number;
}

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');
/** Entries in a database, from LMDB's own count (no scan). */
const entries = (db: Pick<Database, 'getStats'>): number => (db.getStats() as { entryCount: number }).entryCount;
/** Fixed-width decimal, so string keys sort as numbers. */
const pad = (n: number, w = 15): string => String(n).padStart(w, '0');
const isOpen = (s: WorkOrderStatus): boolean => s === 'open' || s === 'in-progress';
/** Index schema of the store; older stores are re-indexed when opened. */
const SCHEMA = 2;

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
  /** Orders without their comments (so a comment writes one small record, not the whole order again). */
  private readonly orders: Database<StoredOrder, number>;
  /** `<id>|<seq>` → a comment. */
  private readonly comments: Database<WorkOrderComment, string>;
  /** `<did>|<createdAt>|<hash>` → null: a DID's sessions, oldest first. */
  private readonly sessionsByDid: Database<null, string>;
  /** `<expiresAt>|<hash>` → null: sessions by expiry, for sweeping. */
  private readonly sessionsByExpiry: Database<null, string>;
  /** `<did>|<id>` and `<status>|<id>` → null: work orders by author and by status. */
  private readonly ordersByDid: Database<null, string>;
  private readonly ordersByStatus: Database<null, string>;
  /** DID → its open orders and bytes written. */
  private readonly quota: Database<QuotaUse, string>;
  /** Open join requests filed by DIDs holding no role: id → who and from where; and `<ip>|<id>` → null. */
  private readonly guestJoins: Database<GuestJoin, number>;
  private readonly guestJoinsByIp: Database<null, string>;
  private readonly audit: Database<AuditEntry, number>;
  private readonly meta: Database<JsonValue, string>;
  private closed = false;

  private constructor(path: string) {
    this.path = path;
    this.root = open({ path, maxDbs: 20, mapSize: 4 * 1024 ** 3 });
    this.users = this.root.openDB({ name: 'users' });
    this.sessions = this.root.openDB({ name: 'sessions' });
    this.apikeys = this.root.openDB({ name: 'apikeys' });
    this.apikeyByHash = this.root.openDB({ name: 'apikey-hash', encoding: 'string' });
    this.orders = this.root.openDB({ name: 'workorders', keyEncoding: 'uint32' });
    this.sessionsByDid = this.root.openDB({ name: 'sessions-did' });
    this.sessionsByExpiry = this.root.openDB({ name: 'sessions-exp' });
    this.comments = this.root.openDB({ name: 'workorder-comments' });
    this.ordersByDid = this.root.openDB({ name: 'workorders-did' });
    this.ordersByStatus = this.root.openDB({ name: 'workorders-status' });
    this.quota = this.root.openDB({ name: 'quota' });
    this.guestJoins = this.root.openDB({ name: 'guest-joins', keyEncoding: 'uint32' });
    this.guestJoinsByIp = this.root.openDB({ name: 'guest-joins-ip' });
    this.audit = this.root.openDB({ name: 'audit', keyEncoding: 'uint32' });
    this.meta = this.root.openDB({ name: 'meta' });
  }

  /** Opens (creating) the store at `path`, a file such as `<dataDir>/console.lmdb`. */
  static open(path: string): ConsoleStore {
    let store: ConsoleStore;
    try {
      store = new ConsoleStore(path);
    } catch (err) {
      throw new ShulianError('CONSOLE_STORE_UNAVAILABLE', `cannot open the console store ${path}: ${(err as Error).message}; check the data dir's permissions and free space`);
    }
    store.reindex();
    return store;
  }

  /** Builds the indexes of a store written before they existed (once; sessions without their key are dropped). */
  private reindex(): void {
    if (this.meta.get('schema') === SCHEMA) return;
    this.root.transactionSync(() => {
      for (const { key } of this.sessions.getRange({})) this.sessions.removeSync(key);
      for (const db of [this.sessionsByDid, this.sessionsByExpiry, this.ordersByDid, this.ordersByStatus, this.quota]) {
        for (const { key } of db.getRange({})) db.removeSync(key);
      }
      for (const { value } of this.orders.getRange({})) {
        // Orders written before comments had their own table carry them inline: move them out.
        const legacy = (value as StoredOrder & { comments?: WorkOrderComment[] }).comments;
        const { comments: _c, ...rest } = value as StoredOrder & { comments?: WorkOrderComment[] };
        const o: StoredOrder = { ...rest, commentCount: legacy ? legacy.length : value.commentCount };
        if (legacy) legacy.forEach((c, i) => this.comments.putSync(commentKey(o.id, i), c));
        this.orders.putSync(o.id, o);
        this.indexOrder(o);
        this.addUse(o.createdBy, isOpen(o.status) ? 1 : 0, utf8(o.title) + utf8(o.body));
        for (const { value: c } of this.comments.getRange({ start: commentKey(o.id, 0), end: commentKey(o.id + 1, 0) })) this.addUse(c.by, 0, utf8(c.text));
        for (const h of o.history) if (h.note !== undefined) this.addUse(h.by, 0, utf8(h.note));
      }
      this.meta.putSync('schema', SCHEMA);
    });
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
      if (!u && entries(this.users) >= STORE_LIMITS.users) {
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

  sessionCount(): number {
    return entries(this.sessions);
  }

  private removeSession(hash: string, s: SessionRecord): void {
    this.sessions.removeSync(hash);
    this.sessionsByDid.removeSync(`${s.did}|${pad(s.createdAt)}|${hash}`);
    this.sessionsByExpiry.removeSync(`${pad(s.expiresAt)}|${hash}`);
  }

  /**
   * Stores a new session of a DID holding a role (dropping expired sessions through the expiry
   * index, and the DID's oldest beyond the per-DID limit through its own index) and records the user.
   */
  createSession(tokenHash: string, s: SessionRecord, audit: AuditDraft): void {
    this.write(s.createdAt, audit, () => {
      for (const { key } of this.sessionsByExpiry.getRange({ end: `${pad(s.createdAt + 1)}|`, limit: STORE_LIMITS.sweepPerLogin })) {
        const hash = key.slice(key.indexOf('|') + 1);
        const old = this.sessions.get(hash);
        if (old) this.removeSession(hash, old);
        else this.sessionsByExpiry.removeSync(key);
      }
      const mine = [...this.sessionsByDid.getRange({ start: `${s.did}|`, end: `${s.did}}` }).map(({ key }) => key)];
      while (mine.length >= STORE_LIMITS.sessionsPerDid) {
        const key = mine.shift()!;
        const hash = key.slice(key.lastIndexOf('|') + 1);
        const old = this.sessions.get(hash);
        if (old) this.removeSession(hash, old);
        else this.sessionsByDid.removeSync(key);
      }
      const u = this.users.get(s.did);
      if (!u && entries(this.users) >= STORE_LIMITS.users) {
        throw new ShulianError('STORE_FULL', `the console knows ${STORE_LIMITS.users} users already and takes no new ones; an operator can clear old ones from ${this.path}`);
      }
      this.sessions.putSync(tokenHash, s);
      this.sessionsByDid.putSync(`${s.did}|${pad(s.createdAt)}|${tokenHash}`, null);
      this.sessionsByExpiry.putSync(`${pad(s.expiresAt)}|${tokenHash}`, null);
      this.users.putSync(s.did, u
        ? { ...u, firstLogin: u.firstLogin || s.createdAt, lastLogin: s.createdAt, logins: u.logins + 1 }
        : { did: s.did, firstLogin: s.createdAt, lastLogin: s.createdAt, logins: 1, grantedRoles: [] });
    });
  }

  deleteSession(tokenHash: string, time: number, audit: AuditDraft): boolean {
    return this.write(time, audit, () => {
      const s = this.sessions.get(tokenHash);
      if (s === undefined) return false;
      this.removeSession(tokenHash, s);
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
      if (entries(this.apikeys) >= STORE_LIMITS.apiKeys) {
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
    const o = this.orders.get(id);
    return o ? this.withComments(o) : undefined;
  }

  /** The order without its comments (their count instead): for checks that need no comment. */
  storedOrder(id: number): StoredOrder | undefined {
    return this.orders.get(id);
  }

  private withComments(o: StoredOrder): WorkOrder {
    const { commentCount: _n, ...rest } = o;
    const comments = [...this.comments.getRange({ start: commentKey(o.id, 0), end: commentKey(o.id + 1, 0) })].map(({ value }) => value);
    return { ...rest, comments };
  }

  /** What `did` holds now against its quota. */
  quotaUse(did: string): QuotaUse {
    return this.quota.get(did) ?? { open: 0, bytes: 0 };
  }

  private addUse(did: string, open: number, bytes: number): void {
    const u = this.quotaUse(did);
    this.quota.putSync(did, { open: u.open + open, bytes: u.bytes + bytes });
  }

  private indexOrder(o: StoredOrder): void {
    this.ordersByDid.putSync(`${o.createdBy}|${pad(o.id, 10)}`, null);
    this.ordersByStatus.putSync(`${o.status}|${pad(o.id, 10)}`, null);
  }

  /** Refuses with QUOTA_EXCEEDED (429) when `did` writing `bytes` more (and `open` more open orders) would pass its quota. */
  private charge(did: string, quota: RoleQuota, open: number, bytes: number): void {
    const u = this.quotaUse(did);
    if (open > 0 && u.open + open > quota.openOrders) {
      throw new ShulianError('QUOTA_EXCEEDED', `${did} has ${u.open} open work orders, the most its role allows (${quota.openOrders}); wait until some are resolved before filing more`);
    }
    if (u.bytes + bytes > quota.bytes) {
      throw new ShulianError('QUOTA_EXCEEDED', `${did} has written ${u.bytes} bytes in work orders; ${bytes} more would pass its role's quota of ${quota.bytes} bytes; ask an operator to close old orders or raise the quota`);
    }
    this.addUse(did, open, bytes);
  }

  /**
   * Newest first; only those created by `did` when given (through the author index), else by
   * status when given (through the status index), else all. `kind` filters what those yield.
   */
  listWorkOrders(opts: { did?: string; status?: WorkOrderStatus; kind?: WorkOrderKind; limit: number; before?: number }): WorkOrderSummary[] {
    const out: WorkOrderSummary[] = [];
    const before = opts.before ?? 2 ** 32;
    if (before <= 1) return out;
    const take = (o: StoredOrder | undefined): boolean => {
      if (!o) return true;
      if (opts.did !== undefined && o.createdBy !== opts.did) return true;
      if (opts.status !== undefined && o.status !== opts.status) return true;
      if (opts.kind !== undefined && o.kind !== opts.kind) return true;
      out.push(summary(o));
      return out.length < opts.limit;
    };
    const prefix = opts.did !== undefined ? opts.did : opts.status;
    if (prefix !== undefined) {
      const index = opts.did !== undefined ? this.ordersByDid : this.ordersByStatus;
      for (const { key } of index.getRange({ start: `${prefix}|${pad(before - 1, 10)}`, end: `${prefix}|`, reverse: true })) {
        if (!take(this.orders.get(Number(key.slice(key.lastIndexOf('|') + 1))))) break;
      }
      return out;
    }
    for (const { value } of this.orders.getRange({ reverse: true, start: before - 1 })) if (!take(value)) break;
    return out;
  }

  /** Open join requests from DIDs holding no role: in all, and from `ip`. */
  guestJoinCount(ip?: string): number {
    if (ip === undefined) return entries(this.guestJoins);
    let n = 0;
    for (const _ of this.guestJoinsByIp.getRange({ start: `${ip}|`, end: `${ip}}` })) n++;
    return n;
  }

  /** Refuses a role-less DID's join request past its one open request, the bound per address or the bound in all. */
  private admitGuestJoin(did: string, ip: string, limits: JoinLimits): void {
    if (this.quotaUse(did).open > 0) {
      let open: number | undefined;
      for (const { key } of this.ordersByDid.getRange({ start: `${did}}`, end: `${did}|`, reverse: true, limit: 50 })) {
        const id = Number(key.slice(key.lastIndexOf('|') + 1));
        if (isOpen(this.orders.get(id)?.status ?? 'resolved')) {
          open = id;
          break;
        }
      }
      throw new ShulianError('CONFLICT', `${did} has an open work order already${open !== undefined ? ` (#${open})` : ''}; a DID without a console role may keep one join request open at a time: wait for the operator's answer, or comment on it`);
    }
    const all = entries(this.guestJoins);
    if (all >= limits.total) {
      throw new ShulianError('LIMIT_REACHED', `this node holds ${all} open join requests from DIDs without a console role, the most it keeps (${limits.total}); try again once the operator has answered some, or ask a member organisation to file it for you`);
    }
    let fromIp = 0;
    for (const _ of this.guestJoinsByIp.getRange({ start: `${ip}|`, end: `${ip}}`, limit: limits.perAddress })) fromIp++;
    if (fromIp >= limits.perAddress) {
      throw new ShulianError('LIMIT_REACHED', `${fromIp} open join requests from DIDs without a console role come from this address (${ip}) already, the most one address may hold; wait for the operator's answer to them`);
    }
  }

  /**
   * Files a work order, charged to its author's quota (open orders and bytes). `guest` marks a
   * join request from a DID holding no role: it must be the DID's only open one, and is counted
   * against the bounds on such requests from `guest.ip` and in all until it is closed.
   */
  createWorkOrder(o: Omit<WorkOrder, 'id' | 'comments'>, quota: RoleQuota, audit: Omit<AuditDraft, 'target'>, guest?: { ip: string; limits: JoinLimits }): WorkOrder {
    return this.write(o.createdAt, undefined, () => {
      if (guest) this.admitGuestJoin(o.createdBy, guest.ip, guest.limits);
      this.charge(o.createdBy, quota, isOpen(o.status) ? 1 : 0, utf8(o.title) + utf8(o.body));
      const next = ((this.meta.get('nextWorkOrder') as number | undefined) ?? 1);
      const stored: StoredOrder = { id: next, ...o, commentCount: 0 };
      const order: WorkOrder = { id: next, ...o, comments: [] };
      this.orders.putSync(next, stored);
      this.indexOrder(stored);
      if (guest) {
        this.guestJoins.putSync(next, { did: o.createdBy, ip: guest.ip });
        this.guestJoinsByIp.putSync(`${guest.ip}|${pad(next, 10)}`, null);
      }
      this.meta.putSync('nextWorkOrder', next + 1);
      this.appendAudit({ ...audit, target: `workorder:${next}` }, o.createdAt);
      return order;
    });
  }

  /**
   * Adds a comment to order `id` in one transaction, charged to its author's quota; `check`
   * throws to refuse (it sees the order with its comment count). At most
   * STORE_LIMITS.commentsPerOrder comments per order.
   */
  addComment(id: number, comment: WorkOrderComment, audit: AuditDraft, quota: RoleQuota, check: (o: StoredOrder) => void): WorkOrder {
    return this.write(comment.at, audit, () => {
      const o = this.orders.get(id);
      if (!o) throw new ShulianError('NOT_FOUND', `no work order #${id}`);
      check(o);
      if (o.commentCount >= STORE_LIMITS.commentsPerOrder) {
        throw new ShulianError('LIMIT_REACHED', `work order #${id} has ${o.commentCount} comments, the most it may have; file a new one`);
      }
      this.charge(comment.by, quota, 0, utf8(comment.text));
      this.comments.putSync(commentKey(id, o.commentCount), comment);
      const next: StoredOrder = { ...o, commentCount: o.commentCount + 1, updatedAt: comment.at };
      this.orders.putSync(id, next);
      return this.withComments(next);
    });
  }

  /**
   * Applies `change` to order `id` (its fields other than comments) inside one transaction;
   * `change` throws to refuse. `charge.bytes` of text are charged to `charge.did`; a change of
   * status moves the author's open count.
   */
  updateWorkOrder(id: number, time: number, audit: AuditDraft, charge: { did: string; quota: RoleQuota; bytes: number }, change: (o: StoredOrder) => StoredOrder): WorkOrder {
    return this.write(time, audit, () => {
      const o = this.orders.get(id);
      if (!o) throw new ShulianError('NOT_FOUND', `no work order #${id}`);
      const next = { ...change(o), id, commentCount: o.commentCount };
      if (charge.bytes > 0) this.charge(charge.did, charge.quota, 0, charge.bytes);
      if (next.status !== o.status) {
        this.ordersByStatus.removeSync(`${o.status}|${pad(id, 10)}`);
        this.ordersByStatus.putSync(`${next.status}|${pad(id, 10)}`, null);
        const delta = (isOpen(next.status) ? 1 : 0) - (isOpen(o.status) ? 1 : 0);
        if (delta !== 0) this.addUse(o.createdBy, delta, 0);
        // A role-less DID's join request, once answered, no longer holds a slot.
        const guest = isOpen(next.status) ? undefined : this.guestJoins.get(id);
        if (guest) {
          this.guestJoins.removeSync(id);
          this.guestJoinsByIp.removeSync(`${guest.ip}|${pad(id, 10)}`);
        }
      }
      this.orders.putSync(id, next);
      return this.withComments(next);
    });
  }
}

/** Who filed an open join request without a role, and from which client address. */
interface GuestJoin {
  did: string;
  ip: string;
}

/** A work order as stored: its comments live in their own table. */
export type StoredOrder = Omit<WorkOrder, 'comments'> & { commentCount: number };

const commentKey = (id: number, seq: number): string => `${pad(id, 10)}|${pad(seq, 5)}`;

export function summary(o: StoredOrder): WorkOrderSummary {
  const { body: _b, commentCount, history: _h, ...rest } = o;
  return { ...rest, comments: commentCount };
}
