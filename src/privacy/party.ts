/**
 * A party process (`shulian privacy serve`): an HTTP server that takes part in the runs the data
 * chain admitted for the datasets it holds, and the requester's side (`runAsRequester`). Every
 * message is signed with the sender's DID key and checked against the DID the run names for that
 * role; every run is read from the chain with its state proof before a record is touched. The
 * receiver (role A) drives: it opens the run at the sender (B), exchanges the masked sets in
 * batches, reports its input commitment on chain and hands the result to the requester, who
 * records its digest. A failure on either side ends the run on chain (`privacy.fail`) and tells
 * the other side; there is never a partial result.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { canonicalBytes, ShulianError, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, sm3, type KeyPair } from '../crypto/index.ts';
import type { ConsentRecord } from '../modules/consent/types.ts';
import { consentStateKey } from '../modules/consent/keys.ts';
import type { RunRecord } from '../modules/privacy/types.ts';
import {
  completePrivacyRun, failPrivacyRun, getDataset, getPrivacyRun, reportPrivacyRun, requestPrivacyRun, type PrivacyRequest, type ShulianClient,
} from '../sdk/index.ts';
import { commitment, readDataset } from './dataset.ts';
import { decrypt, generatePaillier, unpackColumns, type PaillierKey, type PaillierPublic } from './paillier.ts';
import { PartyA, PartyB, type Row, type RunParams } from './protocol.ts';
import {
  abortBody, checkSignature, decodeCiphertexts, decodeElements, encodeCiphertexts, encodeElements, MAX_BATCH, MAX_BODY, MAX_CIPHER_BATCH,
  maskBody, openBody, pageBody, parseBody, resultBody, signHeaders, startBody,
} from './wire.ts';

export interface PartyOptions {
  key: KeyPair;
  client: ShulianClient;
  /** Catalog dataset id → local file (CSV or JSONL keyed by DID). */
  datasets: Record<string, string>;
  chain?: string;
  /** Elements per message (≤ MAX_BATCH). */
  batch?: number;
  /** A peer that sends nothing for this long has stopped: the run fails. */
  idleMs?: number;
  log?: (line: string) => void;
}

const API = '/psi/v1';
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A ShulianError's code and message as an HTTP answer. */
function answer(res: ServerResponse, status: number, body: JsonValue): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}
const errorBody = (e: unknown): { code: string; message: string } =>
  e instanceof ShulianError ? { code: e.code, message: e.message } : { code: 'PRIVACY_PEER', message: e instanceof Error ? e.message : String(e) };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new ShulianError('PRIVACY_LIMIT', `a message is larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs a signed message; the peer's refusal comes back as a ShulianError with its code. */
/**
 * Pages [0, total) in `size`-sized steps, `window` of them in flight: each page's `start` (its
 * computation and message) overlaps the peer's work on the one before; `finish` runs in page
 * order. This keeps both parties' cores busy (docs/privacy.md#performance).
 */
export async function inOrder<T>(total: number, size: number, window: number, start: (from: number, to: number) => Promise<T>, finish: (got: T, from: number, to: number) => Promise<void> | void): Promise<void> {
  const pages: Array<{ from: number; to: number; p: Promise<T> }> = [];
  const settle = async (): Promise<void> => {
    const { from, to, p } = pages.shift()!;
    await finish(await p, from, to);
  };
  try {
    for (let i = 0; i === 0 || i < total; i += size) {
      const to = Math.min(i + size, total);
      const p = start(i, to);
      p.catch(() => {}); // awaited in settle; a page that fails while an earlier one settles is not unhandled
      pages.push({ from: i, to, p });
      if (pages.length >= window) await settle();
    }
    while (pages.length) await settle();
  } catch (e) {
    await Promise.allSettled(pages.map((x) => x.p)); // nothing of this run left running
    throw e;
  }
}

/** Pages in flight at once: two keep both processes' cores busy; a third covers the message latency. */
export const WINDOW = 3;

/** The receiver's side of a run, over `send` (the signed POST of one step to the sender). */
export async function driveReceiver(A: PartyA, peerCount: number, batch: number, send: <T>(step: 'mask' | 'answers' | 'own', body: { from: number; to?: number; elements?: string }) => Promise<T>): Promise<void> {
  const psi = A.params.protocol === 'psi';
  if (A.size > 0) {
    await inOrder(A.size, batch, WINDOW, async (from, to) => send<{ elements?: string }>('mask', { from, elements: encodeElements(await A.masked(from, to)) }), (got, from) => {
      if (psi) A.acceptDoubled(decodeElements(got.elements ?? '', A.group, 'answer'), from);
    });
    if (!psi) {
      await inOrder(A.size, batch, WINDOW, (from, to) => send<{ elements: string }>('answers', { from, to }), (got, from) => A.acceptDoubled(decodeElements(got.elements, A.group, 'answers'), from));
    }
  }
  const ownBatch = A.params.protocol === 'psi-sum' ? Math.min(batch, MAX_CIPHER_BATCH) : batch;
  // At least one page, even of nothing: the sender reports once its last page is taken.
  await inOrder(peerCount, ownBatch, WINDOW, (from, to) => send<{ elements: string; ciphertexts?: string }>('own', { from, to }), async (got, from, to) => {
    const es = decodeElements(got.elements, A.group, 'own');
    if (es.length !== to - from) throw new ShulianError('PRIVACY_WRONG_COUNT', `the sender sent ${es.length} of its records ${from}…${to}; it announced ${peerCount}`);
    await A.acceptPeer(es, got.ciphertexts !== undefined ? decodeCiphertexts(got.ciphertexts, 'own') : undefined);
  });
}

export async function post<T>(key: KeyPair, base: string, path: string, body: JsonValue, timeoutMs = 120_000): Promise<T> {
  const url = new URL(path, base.endsWith('/') ? base : base + '/');
  const text = JSON.stringify(body);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signHeaders(key, url.pathname, text) }, body: text, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new ShulianError('PRIVACY_PEER', `${url.origin} did not answer ${url.pathname}: ${(e as Error).message}`);
  }
  const out = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const code = typeof out.code === 'string' && out.code.startsWith('PRIVACY_') ? (out.code as 'PRIVACY_PEER') : 'PRIVACY_PEER';
    throw new ShulianError(code, `the peer at ${url.origin} refused ${url.pathname}: ${String(out.message ?? res.status)}`);
  }
  return out as T;
}

/** Reads what a party needs of the chain, with proofs. */
class ChainView {
  constructor(readonly client: ShulianClient, readonly chain: string) {}
  async run(id: number): Promise<RunRecord> {
    const r = await getPrivacyRun(this.client, id, { chain: this.chain });
    if (!r) throw new ShulianError('PRIVACY_NOT_AUTHORISED', `chain ${this.chain} has no computation run ${id}`);
    if (r.status !== 'admitted') throw new ShulianError('PRIVACY_NOT_AUTHORISED', `run ${id} is ${r.status} on chain ${this.chain}; only admitted runs compute`);
    return r;
  }
  /** The DIDs whose consents the run names: only their records take part. */
  async subjects(r: RunRecord): Promise<Set<string> | undefined> {
    if (!r.consents.length) return undefined;
    const out = new Set<string>();
    for (const d of r.consents) {
      const c = (await this.client.verifiedState(this.chain, consentStateKey.consent(d))).value as ConsentRecord | null;
      if (c) out.add(c.subject);
    }
    return out;
  }
  async endpoint(dataset: string): Promise<string> {
    const { dataset: d } = await getDataset(this.client, dataset, { chain: this.chain });
    const s = d.services.find((x) => x.kind === 'privacy-computing');
    if (!s) throw new ShulianError('PRIVACY_NOT_AUTHORISED', `dataset ${dataset} lists no privacy-computing access service in the catalog`);
    return s.endpointUrl;
  }
}

const paramsOf = (r: RunRecord, chain: string): RunParams => ({ run: `${chain}:${r.id}`, protocol: r.protocol, group: r.group, columns: r.columns.length });
/** A bigint as whole bytes of lowercase hex (the chain takes hex of whole bytes; a random h has an odd number of digits half the time). */
const evenHex = (v: bigint): string => {
  const s = v.toString(16);
  return s.length % 2 ? `0${s}` : s;
};
const paillierOf = (r: RunRecord): PaillierPublic | undefined => (r.paillier ? { n: BigInt('0x' + r.paillier.n), h: BigInt('0x' + r.paillier.h) } : undefined);

interface SenderRun { run: RunRecord; b: PartyB; rows: Row[]; started: number; answers?: Uint8Array[]; ended: boolean; timer?: NodeJS.Timeout; receiver: string }

export class PartyServer {
  readonly did: string;
  private server: Server | undefined;
  private readonly chain: ChainView;
  private readonly sending = new Map<number, SenderRun>();
  private readonly receiving = new Set<number>();
  private readonly log: (line: string) => void;
  /** Runs that ended here, with their outcome (for tests and `status`). */
  readonly outcomes = new Map<number, { ok: boolean; code?: string; message?: string }>();

  constructor(readonly opts: PartyOptions) {
    this.did = didFromPublicKey(opts.key.publicKey);
    this.chain = new ChainView(opts.client, opts.chain ?? 'data');
    this.log = opts.log ?? (() => {});
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // A receiver computes between steps; an idle connection kept longer than its pauses is not closed under it.
    this.server.keepAliveTimeout = 120_000;
    await new Promise<void>((ok) => this.server!.listen(port, host, ok));
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : port;
  }
  async close(): Promise<void> {
    for (const s of this.sending.values()) clearTimeout(s.timer);
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'POST' || !req.url?.startsWith(API + '/')) return answer(res, 404, { code: 'PRIVACY_BAD_MESSAGE', message: `no ${req.method} ${req.url}; parties take POST ${API}/<step>` });
      const text = await readBody(req);
      const path = new URL(req.url, 'http://x').pathname;
      const from = checkSignature(req.headers, path, text);
      let body: unknown;
      try { body = JSON.parse(text); } catch { throw new ShulianError('PRIVACY_BAD_MESSAGE', `${path}: the body is not JSON`); }
      const step = path.slice(API.length + 1);
      const out = await this.step(step, from, body);
      answer(res, 200, out);
    } catch (e) {
      const b = errorBody(e);
      this.log(`refused: ${b.code}: ${b.message}`);
      answer(res, b.code === 'PRIVACY_UNAUTHENTICATED' ? 401 : b.code === 'PRIVACY_NOT_AUTHORISED' ? 403 : 400, b);
    }
  }

  private async step(step: string, from: string, body: unknown): Promise<JsonValue> {
    switch (step) {
      case 'start': return this.onStart(from, parseBody(startBody, body, 'start'));
      case 'open': return this.onOpen(from, parseBody(openBody, body, 'open'));
      case 'mask': return this.onMask(from, parseBody(maskBody, body, 'mask'));
      case 'answers': return this.onAnswers(from, parseBody(pageBody, body, 'answers'));
      case 'own': return this.onOwn(from, parseBody(pageBody, body, 'own'));
      case 'abort': return this.onAbort(from, parseBody(abortBody, body, 'abort'));
      default: throw new ShulianError('PRIVACY_BAD_MESSAGE', `no step ${step}; the steps are start, open, mask, answers, own, abort`);
    }
  }

  private file(dataset: string): string {
    const f = this.opts.datasets[dataset];
    if (!f) throw new ShulianError('PRIVACY_NOT_AUTHORISED', `this party (${this.did}) does not hold dataset ${dataset}`);
    return f;
  }

  /** Reads, filters by consent, and keeps only what the run needs. */
  private async rows(r: RunRecord, dataset: string, columns: string[]): Promise<Row[]> {
    const subjects = await this.chain.subjects(r);
    return readDataset(this.file(dataset), columns, subjects ? (d) => subjects.has(d) : undefined);
  }

  private async fail(r: RunRecord, reason: string, peer?: { url: string }): Promise<void> {
    this.outcomes.set(r.id, { ok: false, code: reason.split(':')[0], message: reason });
    if (peer) await post(this.opts.key, peer.url, `${API}/abort`, { run: r.id, reason: reason.slice(0, 500) }, 10_000).catch(() => {});
    await failPrivacyRun(this.opts.client, this.opts.key, { run: r.id, reason: reason.slice(0, 500) }, { chain: this.chain.chain }).catch((e: unknown) => this.log(`privacy.fail ${r.id}: ${(e as Error).message}`));
  }

  // ---- receiver (A) ----

  private async onStart(from: string, m: { run: number; resultUrl: string }): Promise<JsonValue> {
    const r = await this.chain.run(m.run);
    if (from !== r.requester) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `run ${r.id} was requested by ${r.requester}, not ${from}`);
    const me = r.parties.find((p) => p.role === 'receiver')!;
    if (me.owner !== this.did) throw new ShulianError('PRIVACY_NOT_AUTHORISED', `the receiver of run ${r.id} is ${me.owner}, not this party (${this.did})`);
    this.file(me.dataset);
    if (this.receiving.has(r.id)) throw new ShulianError('PRIVACY_REPLAY', `run ${r.id} was already started here`);
    this.receiving.add(r.id);
    void this.drive(r, m.resultUrl);
    return { run: r.id, started: true };
  }

  private async drive(r: RunRecord, resultUrl: string): Promise<void> {
    const started = Date.now();
    const me = r.parties.find((p) => p.role === 'receiver')!;
    const peer = r.parties.find((p) => p.role === 'sender')!;
    let url = '';
    try {
      url = await this.chain.endpoint(peer.dataset);
      const rows = await this.rows(r, me.dataset, []);
      const A = new PartyA(paramsOf(r, this.chain.chain), rows.map((x) => x.id), paillierOf(r));
      const batch = Math.min(this.opts.batch ?? 4096, MAX_BATCH);
      const k = this.opts.key;
      const opened = await post<{ count: number }>(k, url, `${API}/open`, { run: r.id, count: A.size });
      await driveReceiver(A, opened.count, batch, (path, body) => post(k, url, `${API}/${path}`, { run: r.id, ...body }));
      const result: JsonValue = r.protocol === 'psi' ? { run: r.id, count: A.cardinality(), intersection: A.intersection() }
        : r.protocol === 'psi-cardinality' ? { run: r.id, count: A.cardinality() }
        : { run: r.id, count: A.cardinality(), sum: A.encryptedSum().toString(16) };
      const salt = randomBytes(32);
      await reportPrivacyRun(this.opts.client, k, { run: r.id, inputCommitment: commitment(rows, salt), records: rows.length, durationMs: Date.now() - started }, { chain: this.chain.chain });
      await post(k, resultUrl, `${API}/result`, result);
      this.outcomes.set(r.id, { ok: true });
      this.log(`run ${r.id}: done (${A.size} records, ${A.cardinality()} in the intersection)`);
    } catch (e) {
      const b = errorBody(e);
      this.log(`run ${r.id} failed: ${b.code}: ${b.message}`);
      await this.fail(r, `${b.code}: ${b.message}`, url ? { url } : undefined);
      await post(this.opts.key, resultUrl, `${API}/abort`, { run: r.id, reason: `${b.code}: ${b.message}`.slice(0, 500) }, 10_000).catch(() => {});
    }
  }

  // ---- sender (B) ----

  private sender(from: string, run: number): SenderRun {
    const s = this.sending.get(run);
    if (!s) throw new ShulianError('PRIVACY_BAD_MESSAGE', `run ${run} was not opened here`);
    if (from !== s.receiver) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `run ${run}'s receiver is ${s.receiver}, not ${from}`);
    if (s.ended) throw new ShulianError('PRIVACY_REPLAY', `run ${run} has ended here`);
    this.touch(s);
    return s;
  }
  private touch(s: SenderRun): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      if (s.ended) return;
      s.ended = true;
      this.log(`run ${s.run.id}: the receiver stopped answering`);
      void this.fail(s.run, `PRIVACY_PEER: the receiver ${s.receiver} sent nothing for ${this.opts.idleMs ?? 60_000} ms`);
    }, this.opts.idleMs ?? 60_000);
    s.timer.unref();
  }

  private async onOpen(from: string, m: { run: number; count: number }): Promise<JsonValue> {
    if (this.sending.has(m.run)) throw new ShulianError('PRIVACY_REPLAY', `run ${m.run} was already opened here`);
    const r = await this.chain.run(m.run);
    const me = r.parties.find((p) => p.role === 'sender')!;
    const receiver = r.parties.find((p) => p.role === 'receiver')!.owner;
    if (me.owner !== this.did) throw new ShulianError('PRIVACY_NOT_AUTHORISED', `the sender of run ${r.id} is ${me.owner}, not this party (${this.did})`);
    if (from !== receiver) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `run ${r.id}'s receiver is ${receiver}, not ${from}`);
    const rows = await this.rows(r, me.dataset, r.columns);
    const b = new PartyB(paramsOf(r, this.chain.chain), rows, paillierOf(r));
    b.expect(m.count);
    const s: SenderRun = { run: r, b, rows, started: Date.now(), ended: false, receiver };
    this.sending.set(r.id, s);
    this.touch(s);
    return { run: r.id, count: b.size };
  }

  private async onMask(from: string, m: { run: number; from: number; elements: string }): Promise<JsonValue> {
    const s = this.sender(from, m.run);
    try {
      const out = await s.b.answer(decodeElements(m.elements, s.b.group, 'mask'));
      return s.run.protocol === 'psi' ? { elements: encodeElements(out) } : {};
    } catch (e) {
      return this.senderFails(s, e);
    }
  }

  private async onAnswers(from: string, m: { run: number; from: number; to: number }): Promise<JsonValue> {
    const s = this.sender(from, m.run);
    try {
      s.answers ??= s.b.shuffledAnswers();
      if (m.to < m.from || m.to - m.from > MAX_BATCH || m.to > s.answers.length) throw new ShulianError('PRIVACY_WRONG_COUNT', `answers ${m.from}…${m.to}: there are ${s.answers.length}, at most ${MAX_BATCH} a page`);
      return { elements: encodeElements(s.answers.slice(m.from, m.to)) };
    } catch (e) {
      return this.senderFails(s, e);
    }
  }

  private async onOwn(from: string, m: { run: number; from: number; to: number }): Promise<JsonValue> {
    const s = this.sender(from, m.run);
    try {
      const max = s.run.protocol === 'psi-sum' ? MAX_CIPHER_BATCH : MAX_BATCH;
      if (m.to < m.from || m.to - m.from > max) throw new ShulianError('PRIVACY_WRONG_COUNT', `own ${m.from}…${m.to}: at most ${max} records a page`);
      const o = await s.b.own(m.from, m.to);
      if (s.b.ownFinished && !s.ended) {
        s.ended = true;
        clearTimeout(s.timer);
        void this.senderReport(s);
      }
      return o.ciphertexts ? { elements: encodeElements(o.elements), ciphertexts: encodeCiphertexts(o.ciphertexts) } : { elements: encodeElements(o.elements) };
    } catch (e) {
      return this.senderFails(s, e);
    }
  }

  private async senderReport(s: SenderRun): Promise<void> {
    try {
      await reportPrivacyRun(this.opts.client, this.opts.key, { run: s.run.id, inputCommitment: commitment(s.rows, randomBytes(32)), records: s.rows.length, durationMs: Date.now() - s.started }, { chain: this.chain.chain });
      this.outcomes.set(s.run.id, { ok: true });
    } catch (e) {
      this.log(`privacy.report ${s.run.id}: ${(e as Error).message}`);
    }
  }

  /** A refused step ends the run here and on chain; the receiver gets the error as the answer. */
  private async senderFails(s: SenderRun, e: unknown): Promise<never> {
    s.ended = true;
    clearTimeout(s.timer);
    const b = errorBody(e);
    await this.fail(s.run, `${b.code}: ${b.message}`);
    throw e;
  }

  private async onAbort(from: string, m: { run: number; reason: string }): Promise<JsonValue> {
    const s = this.sending.get(m.run);
    if (!s || from !== s.receiver) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `${from} takes no part in a run open here as ${m.run}`);
    s.ended = true;
    clearTimeout(s.timer);
    this.outcomes.set(m.run, { ok: false, code: 'PRIVACY_PEER', message: m.reason });
    return { run: m.run, aborted: true };
  }
}

// ---- requester (R) ----

export interface RequesterResult {
  run: number;
  protocol: RunRecord['protocol'];
  count: number;
  intersection?: string[];
  sums?: Record<string, string>;
  resultDigest: string;
  durationMs: number;
}

/**
 * Waits until every party of the run has its input report on chain, or `waitMs` has passed
 * (then `complete` is refused with PRIVACY_NOT_READY, naming who has not reported). The sender
 * reports on its own once the receiver has read its last page, so the receiver's result can
 * reach the requester before the sender's report is committed.
 */
async function untilReported(client: ShulianClient, chain: string, runId: number, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = await getPrivacyRun(client, runId, { chain });
    if (!r || r.status !== 'admitted' || r.parties.every((p) => p.report) || Date.now() > deadline) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/**
 * The requester's process: asks the chain for the run (with a fresh Paillier key for psi-sum),
 * listens for the result, starts the receiver, decrypts, and records the result's digest.
 */
export async function runAsRequester(
  client: ShulianClient, key: KeyPair, req: Omit<PrivacyRequest, 'paillier'>,
  o: { chain?: string; host?: string; port?: number; publicUrl?: string; timeoutMs?: number; reportWaitMs?: number; paillier?: PaillierKey; log?: (l: string) => void } = {},
): Promise<RequesterResult> {
  const chain = o.chain ?? 'data';
  const pk = req.protocol === 'psi-sum' ? (o.paillier ?? generatePaillier()) : undefined;
  const started = Date.now();
  const admitted = await requestPrivacyRun(client, key, { ...req, ...(pk ? { paillier: { n: evenHex(pk.n), h: evenHex(pk.h) } } : {}) }, { chain });
  const runId = admitted.result.run;
  o.log?.(`run ${runId} admitted (consent root ${admitted.result.consentRoot})`);
  const r = await new ChainView(client, chain).run(runId);
  const receiver = r.parties.find((p) => p.role === 'receiver')!;
  let settle!: (v: { ok: true; body: unknown } | { ok: false; reason: string }) => void;
  const outcome = new Promise<{ ok: true; body: unknown } | { ok: false; reason: string }>((ok) => { settle = ok; });
  const server = createServer((req2, res) => void (async () => {
    try {
      const text = await readBody(req2);
      const path = new URL(req2.url ?? '/', 'http://x').pathname;
      const from = checkSignature(req2.headers, path, text);
      if (from !== receiver.owner) throw new ShulianError('PRIVACY_UNAUTHENTICATED', `results of run ${runId} come from its receiver ${receiver.owner}, not ${from}`);
      const body = JSON.parse(text) as unknown;
      if (path === `${API}/result`) settle({ ok: true, body: parseBody(resultBody, body, 'result') });
      else if (path === `${API}/abort`) settle({ ok: false, reason: parseBody(abortBody, body, 'abort').reason });
      else throw new ShulianError('PRIVACY_BAD_MESSAGE', `no step ${path}`);
      answer(res, 200, { run: runId });
    } catch (e) {
      answer(res, 400, errorBody(e));
    }
  })());
  await new Promise<void>((ok) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', ok));
  try {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const resultUrl = `${o.publicUrl ?? `http://${o.host ?? '127.0.0.1'}:${port}`}${API}/result`;
    const url = await new ChainView(client, chain).endpoint(receiver.dataset);
    await post(key, url, `${API}/start`, { run: runId, resultUrl });
    const timeoutMs = o.timeoutMs ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    const got = await Promise.race([outcome, new Promise<{ ok: false; reason: string }>((ok) => { timer = setTimeout(() => ok({ ok: false, reason: `PRIVACY_PEER: no result from the receiver within ${timeoutMs} ms` }), timeoutMs); })]);
    clearTimeout(timer);
    if (!got.ok) {
      await failPrivacyRun(client, key, { run: runId, reason: got.reason.slice(0, 500) }, { chain }).catch(() => {});
      throw new ShulianError('PRIVACY_PEER', `run ${runId} failed: ${got.reason}`);
    }
    const b = got.body as { count: number; intersection?: string[]; sum?: string };
    const result: { run: number; protocol: string; count: number; intersection?: string[]; sums?: Record<string, string> } = { run: runId, protocol: r.protocol, count: b.count };
    if (r.protocol === 'psi') result.intersection = b.intersection ?? [];
    if (r.protocol === 'psi-sum') {
      if (!b.sum || !pk) throw new ShulianError('PRIVACY_BAD_MESSAGE', `run ${runId}: a psi-sum result carries the encrypted sums`);
      const cols = unpackColumns(decrypt(pk, BigInt('0x' + b.sum)), r.columns.length);
      result.sums = Object.fromEntries(r.columns.map((c, i) => [c, cols[i]!.toString()]));
    }
    const digest = hexOf(sm3(canonicalBytes(result as JsonValue)));
    const durationMs = Date.now() - started;
    await untilReported(client, chain, runId, o.reportWaitMs ?? 60_000);
    await completePrivacyRun(client, key, { run: runId, resultDigest: digest, durationMs }, { chain });
    return { ...result, protocol: r.protocol, resultDigest: digest, durationMs };
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}
