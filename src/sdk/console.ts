/**
 * The console's side of a node's API (issue #8), typed: DID sign-in (the challenge is signed
 * locally, the private key never leaves the caller), work orders (工单), administration (users
 * and roles, API keys, the hash-chained audit log) and node figures. Browser-safe: no Node
 * imports here, only fetch and the crypto module's sign. See docs/api.md "Console".
 *
 *   const c = new ConsoleClient({ baseUrl: 'http://127.0.0.1:7070' });
 *   await c.login(key);                 // POST /v1/auth/challenge, sign, POST /v1/auth/login
 *   await c.createWorkOrder({ kind: 'quota', title: '…', body: '…' });
 */
import { foreign, ShulianError, toHex, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import type { ShulianClient } from './client.ts';
import type { FetchLike } from './types.ts';
import { checkSignInChallenge, originOf, signSignIn, type SignInChallenge } from './console-signin.ts';
import type { Alert, AlertQuery, AlertSummary, AlertWithProofs, SupervisionStats } from './supervision.ts';
import type { AlarmEvent, AlarmSettings } from './alarms.ts';

export * from './console-signin.ts';

export type ConsoleRole = 'operator' | 'member' | 'regulator' | 'auditor';
export const CONSOLE_ROLE_NAMES: readonly ConsoleRole[] = ['operator', 'member', 'regulator', 'auditor'];
export type WorkOrderKind = 'join' | 'chain' | 'quota' | 'incident' | 'alert';
export type WorkOrderStatus = 'open' | 'in-progress' | 'resolved' | 'rejected';

export interface LoginResult {
  token: string;
  did: string;
  roles: ConsoleRole[];
  expiresAt: number;
}

export interface Me {
  did: string;
  roles: ConsoleRole[];
  via: 'session' | 'apikey';
  expiresAt: number;
  keyId?: string;
}

export interface WorkOrderComment {
  by: string;
  at: number;
  text: string;
}

export interface WorkOrderStatusChange {
  by: string;
  at: number;
  from: WorkOrderStatus;
  to: WorkOrderStatus;
  note?: string;
}

export interface WorkOrder {
  id: number;
  kind: WorkOrderKind;
  title: string;
  body: string;
  status: WorkOrderStatus;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  comments: WorkOrderComment[];
  history: WorkOrderStatusChange[];
  /** Kind "alert": the supervision alert it tracks (docs/supervision.md#alerts). */
  alert?: string;
  /** Who works on it (a regulator or operator DID); they may see and comment on it too. */
  assignee?: string;
}

/** A work order in a list: without body, comments counted. */
export type WorkOrderSummary = Omit<WorkOrder, 'body' | 'comments' | 'history'> & { comments: number };

export interface WorkOrderQuery {
  status?: WorkOrderStatus;
  kind?: WorkOrderKind;
  limit?: number;
  /** Only orders with a smaller id (paging backwards). */
  before?: number;
}

export interface ConsoleUser {
  did: string;
  firstLogin: number;
  lastLogin: number;
  logins: number;
  grantedRoles: ConsoleRole[];
  governanceRoles: ConsoleRole[];
  roles: ConsoleRole[];
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  roles: ConsoleRole[];
  did: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
}

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

export type AuditVerification =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: number; reason: string };

/** The audit log's head at `seq`, notarised on a chain by an operator: a copy the node cannot rewrite. */
export interface AuditAnchor {
  seq: number;
  head: string;
  /** The notary chain holding the record. */
  chain: string;
  /** The notary.put transaction and its height. */
  tx: string;
  height: number;
  /** The DID that notarised it. */
  owner: string;
}

export type AuditAnchorCheck =
  | { ok: true; seq: number; head: string; owner: string; height: number }
  | { ok: false; reason: string };

export interface StatsSample {
  time: number;
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
  tps: number;
  eventLoopLagMs: number;
}

export interface ChainStats {
  id: string;
  height: number;
  txsCommitted: number;
  blocksCommitted: number;
  mempool: { txs: number; bytes: number };
  consensus: { type: string; height: number; round: number; step: string; syncing: boolean } | null;
  validators: number;
  validatorsUp: number;
  lastBlockTime: number;
  blockIntervalMs: number | null;
  tps: number;
}

export interface NodeStats {
  node: { did: string; version: string; startedAt: number; uptimeMs: number };
  time: number;
  process: {
    cpuSeconds: number; cpuPercent: number; rssBytes: number; heapUsedBytes: number; heapTotalBytes: number;
    eventLoopLagMs: number; eventLoopLagP99Ms: number;
  };
  disk: { usedBytes: number | null; freeBytes: number | null; totalBytes: number | null };
  peers: number;
  /**
   * The peer network's traffic since the process started, summed over every peer (null without a
   * p2p endpoint): frames and bytes each way, and gossip frames dropped because this node had
   * already seen them (each one crossed a link for nothing: docs/network.md#gossip).
   */
  p2p: { framesIn: number; framesOut: number; bytesIn: number; bytesOut: number; duplicateGossip: number } | null;
  tps: number;
  chains: ChainStats[];
  /**
   * The node's own cross-chain gateway (docs/alarms.md): per route, the packets committed on the
   * source and not yet settled on it (delivered and acknowledged, or timed out), as of the
   * gateway's last round on the route; `backlog` is their sum. Null when the node runs none.
   */
  gateway: { backlog: number; routes: Array<{ from: string; to: string; backlog: number }> } | null;
  history: { intervalMs: number; samples: StatsSample[] };
}

/** GET /v1/node/info: a node about itself, in the compact form any console may read cross-origin (issue #25). */
export interface NodeInfo {
  node: NodeStats['node'];
  time: number;
  disk: NodeStats['disk'];
  peers: number;
  chains: Array<{
    id: string; height: number; lastBlockTime: number; validators: number; validatorsUp: number;
    /** The consensus engine is catching up with its peers (block sync), not yet voting. */
    syncing: boolean;
    consensus: string | null;
  }>;
}

export interface ConsoleClientOptions {
  /** Node API root, e.g. http://127.0.0.1:7070 (a trailing /v1 is dropped). */
  baseUrl: string;
  /** A bearer token already held: a sign-in token or an API key. */
  token?: string;
  fetch?: FetchLike;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  /**
   * The node's DID. When given, a sign-in challenge naming another node is refused; when not,
   * the client takes it from GET /v1/health before signing in.
   */
  node?: string;
  /** The origin the sign-in message names (default: baseUrl's scheme://host:port). */
  origin?: string;
  /** The clock sign-in challenges are checked against (default Date.now). */
  now?: () => number;
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function qs(q: Record<string, string | number | undefined>): string {
  const parts = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Typed client for the console routes. Failures are ShulianErrors with the node's code and message. */
export class ConsoleClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** The bearer token sent with every request; set by `login`, cleared by `logout`. */
  token: string | undefined;
  readonly #fetch: FetchLike;
  readonly #node: string | undefined;
  readonly #origin: string;
  readonly #now: () => number;

  constructor(opts: ConsoleClientOptions) {
    if (!opts || typeof opts.baseUrl !== 'string' || !/^https?:\/\//.test(opts.baseUrl)) {
      throw new ShulianError('BAD_OPTIONS', 'ConsoleClient needs a baseUrl such as http://127.0.0.1:7070');
    }
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.token = opts.token;
    const f = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
    this.#fetch = opts.fetch ? f : (input, init) => f(input, init); // keep `this` of the global fetch
    this.#node = opts.node;
    this.#origin = opts.origin ?? originOf(this.baseUrl);
    this.#now = opts.now ?? Date.now;
  }

  async #call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, raw = false): Promise<T> {
    const url = this.baseUrl + path;
    const headers: Record<string, string> = { accept: raw ? 'text/plain' : 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Awaited<ReturnType<FetchLike>>;
    let text: string;
    try {
      res = await this.#fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ShulianError('NODE_TIMEOUT', `the node at ${this.baseUrl} did not answer ${method} ${path} within ${this.timeoutMs} ms`);
      }
      throw new ShulianError('NODE_UNREACHABLE', `cannot reach the Shulian node at ${this.baseUrl}: ${(err as Error).message}`);
    }
    if (raw && res.ok) return text as T;
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      if (res.ok) throw new ShulianError('BAD_RESPONSE', `the node answered ${method} ${path} with something that is not JSON`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') throw new ShulianError(foreign(e.code), e.message, { status: res.status });
      throw new ShulianError(foreign(`HTTP_${res.status}`), `the node answered ${method} ${path} with HTTP ${res.status}`, { status: res.status });
    }
    return json as T;
  }

  // ---- sign-in ----

  /** Asks the node for a sign-in challenge for `did` at this client's origin (unchecked: `login` checks it). */
  challenge(did: string): Promise<{ challenge: unknown; expiresAt: number }> {
    return this.#call('POST', '/v1/auth/challenge', { did, origin: this.#origin });
  }

  /**
   * Signs in as `did` (default: the key's self-certifying DID; pass the DID when the key is one
   * of its document's rotated-in keys): asks a challenge, checks it has the sign-in shape and
   * names this DID, this origin and this node and is not expired (else SIGNIN_CHALLENGE_REFUSED
   * and nothing is signed), signs the sign-in message built here from its fields, keeps the token.
   */
  async login(key: KeyPair, did: string = didFromPublicKey(key.publicKey)): Promise<LoginResult> {
    const node = this.#node ?? (await this.#call<{ node?: unknown }>('GET', '/v1/health')).node;
    if (typeof node !== 'string') throw new ShulianError('BAD_RESPONSE', `the node at ${this.baseUrl} does not say its DID in GET /v1/health`);
    const { challenge: raw } = await this.challenge(did);
    const challenge: SignInChallenge = checkSignInChallenge(raw, { did, origin: this.#origin, node, now: this.#now() });
    const r = await this.#call<LoginResult>('POST', '/v1/auth/login', {
      did, challenge, signature: signSignIn(key, challenge), publicKey: toHex(key.publicKey),
    });
    this.token = r.token;
    return r;
  }

  me(): Promise<Me> {
    return this.#call('GET', '/v1/auth/me');
  }

  async logout(): Promise<void> {
    await this.#call('POST', '/v1/auth/logout', {});
    this.token = undefined;
  }

  // ---- work orders ----

  async workOrders(q: WorkOrderQuery = {}): Promise<WorkOrderSummary[]> {
    const r = await this.#call<{ workOrders: WorkOrderSummary[] }>('GET', `/v1/workorders${qs({ status: q.status, kind: q.kind, limit: q.limit, before: q.before })}`);
    return r.workOrders;
  }

  workOrder(id: number): Promise<WorkOrder> {
    return this.#call('GET', `/v1/workorders/${enc(String(id))}`);
  }

  createWorkOrder(o: { kind: WorkOrderKind; title: string; body: string }): Promise<WorkOrder> {
    return this.#call('POST', '/v1/workorders', o);
  }

  commentWorkOrder(id: number, text: string): Promise<WorkOrder> {
    return this.#call('POST', `/v1/workorders/${enc(String(id))}/comments`, { text });
  }

  /** Operators only. */
  setWorkOrderStatus(id: number, status: WorkOrderStatus, note?: string): Promise<WorkOrder> {
    return this.#call('POST', `/v1/workorders/${enc(String(id))}/status`, note === undefined ? { status } : { status, note });
  }

  // ---- admin (operators; the audit log also auditors and regulators) ----

  async users(): Promise<ConsoleUser[]> {
    return (await this.#call<{ users: ConsoleUser[] }>('GET', '/v1/admin/users')).users;
  }

  setRoles(did: string, roles: ConsoleRole[]): Promise<{ did: string; grantedRoles: ConsoleRole[]; roles: ConsoleRole[] }> {
    return this.#call('POST', `/v1/admin/users/${enc(did)}/roles`, { roles });
  }

  async apiKeys(): Promise<ApiKeyInfo[]> {
    return (await this.#call<{ apiKeys: ApiKeyInfo[] }>('GET', '/v1/admin/apikeys')).apiKeys;
  }

  /** The answer's `secret` is shown only this once: it is the bearer token of the key. */
  createApiKey(k: { name: string; roles: ConsoleRole[]; expiresAt?: number }): Promise<ApiKeyInfo & { secret: string }> {
    return this.#call('POST', '/v1/admin/apikeys', k);
  }

  revokeApiKey(id: string): Promise<ApiKeyInfo> {
    return this.#call('DELETE', `/v1/admin/apikeys/${enc(id)}`);
  }

  audit(q: { limit?: number; before?: number } = {}): Promise<{ entries: AuditEntry[]; total: number }> {
    return this.#call('GET', `/v1/admin/audit${qs({ limit: q.limit, before: q.before })}`);
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.#call('GET', '/v1/admin/audit/verify');
  }

  /**
   * Notarises the audit log's current head on the notary chain, signed by `key` through `chain`
   * (a ShulianClient of a node hosting the notary chain): whoever can write the node's files can
   * rewrite the log's tail and its head, but not this record. Keep the answer; check it later with
   * `checkAuditAnchor`. Refuses when the log does not verify now.
   */
  async anchorAudit(chain: ShulianClient, key: KeyPair, opts: { notaryChain?: string } = {}): Promise<AuditAnchor> {
    const v = await this.verifyAudit();
    if (!v.ok) throw new ShulianError('AUDIT_BROKEN', `the audit log does not verify (entry ${v.brokenAt}: ${v.reason}); anchoring it would vouch for a broken log`);
    if (v.entries === 0) throw new ShulianError('AUDIT_EMPTY', 'the audit log is empty; there is nothing to anchor yet');
    const notary = opts.notaryChain ?? 'notary';
    const lookup = async (): Promise<AuditAnchor | undefined> => {
      const rec = (await chain.state(notary, `notary/rec/${v.head}`)).value as { tx?: unknown; height?: unknown; owner?: unknown } | null;
      if (!rec || typeof rec.tx !== 'string' || typeof rec.height !== 'number' || typeof rec.owner !== 'string') return undefined;
      return { seq: v.entries, head: v.head, chain: notary, tx: rec.tx, height: rec.height, owner: rec.owner };
    };
    const already = await lookup();
    if (already) return already;
    const tx = await chain.send(notary, key, { module: 'notary', method: 'put', args: { hash: v.head, name: `shulian console audit log, entry ${v.entries}` } });
    const inc = await chain.waitForTx(tx);
    if (inc.receipt.status !== 'ok') {
      const again = await lookup(); // someone anchored the same head meanwhile
      if (again) return again;
      throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', `the notary chain refused the anchor: ${inc.receipt.message ?? 'no reason given'}`);
    }
    return { seq: v.entries, head: v.head, chain: notary, tx, height: inc.height, owner: didFromPublicKey(key.publicKey) };
  }

  /**
   * Checks an anchor: the notary record of its head exists (its state proof checked locally), the
   * log's entry `seq` still has that hash, and the log verifies. A log rewritten up to or past the
   * anchored entry fails here even when its own hash chain was rebuilt.
   */
  async checkAuditAnchor(chain: ShulianClient, anchor: { seq: number; head: string; chain?: string }): Promise<AuditAnchorCheck> {
    const notary = anchor.chain ?? 'notary';
    const st = await chain.verifiedState(notary, `notary/rec/${anchor.head}`);
    const rec = st.value as { owner?: unknown; height?: unknown } | null;
    if (!rec || typeof rec.owner !== 'string' || typeof rec.height !== 'number') {
      return { ok: false, reason: `chain ${notary} holds no record of ${anchor.head} (proof checked at height ${st.height})` };
    }
    const [entry] = (await this.audit({ before: anchor.seq + 1, limit: 1 })).entries;
    if (!entry || entry.seq !== anchor.seq) return { ok: false, reason: `the audit log has no entry ${anchor.seq} any more` };
    if (entry.hash !== anchor.head) return { ok: false, reason: `entry ${anchor.seq} no longer has the anchored hash ${anchor.head}: the log was rewritten` };
    const v = await this.verifyAudit();
    if (!v.ok) return { ok: false, reason: `the log does not verify: entry ${v.brokenAt}: ${v.reason}` };
    return { ok: true, seq: anchor.seq, head: anchor.head, owner: rec.owner, height: rec.height };
  }

  // ---- monitoring (no sign-in needed) ----

  stats(): Promise<NodeStats> {
    return this.#call('GET', '/v1/node/stats');
  }

  /** This node about itself (GET /v1/node/info), the form every node serves cross-origin. */
  info(): Promise<NodeInfo> {
    return this.#call('GET', '/v1/node/info');
  }

  /** The Prometheus text exposition of GET /metrics. */
  metrics(): Promise<string> {
    return this.#call('GET', '/metrics', undefined, true);
  }

  // ---- supervision (regulators and operators; docs/supervision.md) ----

  /** Alerts newest first, without proofs; `next` continues the list (as `before`). */
  alerts(q: AlertQuery = {}): Promise<{ alerts: AlertSummary[]; next?: string }> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    const qs = p.toString();
    return this.#call('GET', `/v1/supervision/alerts${qs ? `?${qs}` : ''}`);
  }

  /** One alert with the inclusion proofs of its txs (check them with verifyTxInclusion). */
  alert(id: string): Promise<AlertWithProofs> {
    return this.#call('GET', `/v1/supervision/alerts/${encodeURIComponent(id)}`);
  }

  /** Acknowledge an alert: files the work order that tracks it. */
  ackAlert(id: string, note?: string): Promise<Alert> {
    return this.#call('POST', `/v1/supervision/alerts/${encodeURIComponent(id)}/ack`, note === undefined ? {} : { note });
  }

  assignAlert(id: string, to: string, note?: string): Promise<Alert> {
    return this.#call('POST', `/v1/supervision/alerts/${encodeURIComponent(id)}/assign`, { to, ...(note === undefined ? {} : { note }) });
  }

  closeAlert(id: string, note: string): Promise<Alert> {
    return this.#call('POST', `/v1/supervision/alerts/${encodeURIComponent(id)}/close`, { note });
  }

  /** Statistics per hour or day of block time, within the caller's scope. */
  supervisionStats(q: { period?: 'hour' | 'day'; from?: number; to?: number } = {}): Promise<SupervisionStats> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    const qs = p.toString();
    return this.#call('GET', `/v1/supervision/stats${qs ? `?${qs}` : ''}`);
  }

  // ---- ops alarms (operators; docs/alarms.md) ----

  /** Thresholds and delivery settings; secrets are never returned (`secretSet`, `passwordSet`). */
  alarmSettings(): Promise<AlarmSettings> {
    return this.#call('GET', '/v1/alarms/settings');
  }

  /** Replaces the alarm settings; a webhook secret or SMTP password left out keeps the stored one. */
  setAlarmSettings(s: AlarmSettings): Promise<AlarmSettings> {
    return this.#call('PUT', '/v1/alarms/settings', s);
  }

  /** Alarms fired and resolved, newest first, with their deliveries. */
  alarmHistory(q: { limit?: number; before?: number } = {}): Promise<{ alarms: AlarmEvent[] }> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    const qs = p.toString();
    return this.#call('GET', `/v1/alarms/history${qs ? `?${qs}` : ''}`);
  }
}
