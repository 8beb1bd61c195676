/**
 * The three protocols as state machines over batches; no I/O (src/privacy/party.ts carries the
 * messages between processes). Roles:
 *
 * - A, the receiver: holds identifiers; learns the intersection (psi) or its size (psi-cardinality,
 *   psi-sum).
 * - B, the sender: holds identifiers and, for psi-sum, value columns; learns |A| only.
 * - R, the requester (psi-sum): holds the Paillier key; learns the intersection size and the
 *   column sums, nothing per record.
 *
 * DH-PSI (Meadows 1986; Huberman, Franklin, Hogg 1999): A sends H(x)^a; B answers H(x)^ab (in
 * A's order for psi; shuffled for the size-only variants, so A cannot tell which of its records
 * matched) and sends H(y)^b, shuffled; A computes H(y)^ba and compares. Intersection-sum (Ion et
 * al., "On Deploying Secure Computing: Private Intersection-Sum-with-Cardinality", EuroS&P 2020):
 * B's H(y)^b travel with Enc_R(values); A multiplies the ciphertexts of the matches,
 * rerandomises, and hands the one ciphertext to R. Semi-honest model: docs/privacy.md.
 */
import { randomInt } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import { groupOf, type Group, type GroupName, type Mask } from './group.ts';
import { packColumns, PaillierEncryptor, type PaillierPublic } from './paillier.ts';

export type Protocol = 'psi' | 'psi-cardinality' | 'psi-sum';
export const PROTOCOLS: readonly Protocol[] = ['psi', 'psi-cardinality', 'psi-sum'];
/** The most records one party may bring to a run. */
export const MAX_RECORDS = 10_000_000;

export interface RunParams {
  /** The run's id on chain (`<chain>:<n>`): it is in the hash's tag, so another run's messages mean nothing here. */
  run: string;
  protocol: Protocol;
  group: GroupName;
  /** Value columns of psi-sum (0 otherwise). */
  columns: number;
}

/** RFC 9380 §3.1 domain separation: one tag per protocol version, group and run. */
export const runDst = (p: RunParams): string => `SHULIAN-PSI-V01-${p.group}-${p.protocol}-${p.run}`;

export interface Row {
  id: string;
  values?: bigint[];
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Fisher–Yates with the CSPRNG. */
export function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function checkSize(n: number, who: string): void {
  if (n > MAX_RECORDS) throw new ShulianError('PRIVACY_LIMIT', `${who} has ${n} records; a run takes at most ${MAX_RECORDS}`);
}

function distinct(ids: readonly string[], who: string): string[] {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new ShulianError('PRIVACY_BAD_DATASET', `${who}: identifier ${id} appears twice; each subject is one record`);
    seen.add(id);
  }
  return [...seen];
}

/** The receiver. */
export class PartyA {
  readonly group: Group;
  private readonly mask: Mask;
  private readonly ids: string[];
  private doubled: Array<Uint8Array | undefined>;
  private doubledSet = new Set<string>();
  private received = 0;
  private matches: string[] = [];
  private matchCount = 0;
  private sum: bigint | undefined;
  private enc: PaillierEncryptor | undefined;

  constructor(readonly params: RunParams, ids: readonly string[], paillier?: PaillierPublic) {
    this.group = groupOf(params.group);
    this.mask = this.group.newMask();
    checkSize(ids.length, 'party A');
    this.ids = distinct(ids, 'party A');
    this.doubled = new Array(this.ids.length);
    if (params.protocol === 'psi-sum') {
      if (!paillier) throw new ShulianError('PRIVACY_BAD_KEY', 'psi-sum needs the requester\'s Paillier public key');
      this.enc = new PaillierEncryptor(paillier);
      this.sum = this.enc.encrypt(0n);
    }
  }

  get size(): number { return this.ids.length; }

  /** H(x)^a for records [from, to), in A's order. */
  masked(from: number, to: number): Promise<Uint8Array[]> {
    return this.mask.hashMany(this.ids.slice(from, to), runDst(this.params));
  }

  /** B's answer H(x)^ab: for psi, the batch that started at `from`; otherwise any order. */
  acceptDoubled(batch: Uint8Array[], from: number): void {
    batch.forEach((e, i) => this.group.check(e, `doubled[${from + i}]`));
    if (from !== this.received || from + batch.length > this.ids.length) {
      throw new ShulianError('PRIVACY_WRONG_COUNT', `B answered elements ${from}…${from + batch.length - 1}; A expected from ${this.received} and has ${this.ids.length}`);
    }
    batch.forEach((e, i) => {
      if (this.params.protocol === 'psi') this.doubled[from + i] = e;
      const k = hex(e);
      if (this.doubledSet.has(k)) throw new ShulianError('PRIVACY_BAD_MESSAGE', `doubled[${from + i}] repeats an element: B's answer is not a masking of A's distinct records`);
      this.doubledSet.add(k);
    });
    this.received += batch.length;
  }

  /** B's own H(y)^b (with Enc_R(values) for psi-sum): A masks and matches. */
  async acceptPeer(batch: Uint8Array[], ciphertexts?: bigint[]): Promise<void> {
    if (this.received !== this.ids.length) throw new ShulianError('PRIVACY_BAD_MESSAGE', `B sent its own elements before answering all of A's (${this.received} of ${this.ids.length})`);
    if (this.params.protocol === 'psi-sum' && ciphertexts?.length !== batch.length) {
      throw new ShulianError('PRIVACY_WRONG_COUNT', `psi-sum: ${batch.length} elements but ${ciphertexts?.length ?? 0} ciphertexts`);
    }
    const masked = await this.mask.applyMany(batch, 'peer');
    let product = 1n;
    masked.forEach((m, i) => {
      const k = hex(m);
      if (!this.doubledSet.has(k)) return;
      this.matchCount++;
      if (this.params.protocol === 'psi') this.matches.push(k);
      if (this.enc) {
        const c = ciphertexts![i]!;
        this.enc.checkRange(c, `ciphertexts[${i}]`);
        product = this.enc.add(product, c);
      }
    });
    if (this.enc && product !== 1n) {
      this.enc.checkUnit(product, 'a ciphertext of this page'); // one gcd a page, not one a match
      this.sum = this.enc.add(this.sum!, product);
    }
  }

  /** psi: the identifiers in the intersection (A's order). */
  intersection(): string[] {
    const hit = new Set(this.matches);
    return this.ids.filter((_, i) => this.doubled[i] !== undefined && hit.has(hex(this.doubled[i]!)));
  }
  cardinality(): number { return this.matchCount; }
  /** psi-sum: the rerandomised Enc_R(Σ values) for R. */
  encryptedSum(): bigint {
    if (!this.enc) throw new ShulianError('PRIVACY_BAD_MESSAGE', `a ${this.params.protocol} run has no sum`);
    return this.enc.rerandomize(this.sum!);
  }
}

/** The sender. */
export class PartyB {
  readonly group: Group;
  private readonly mask: Mask;
  private readonly rows: Row[];
  private answered: Uint8Array[] = [];
  private seen = 0;
  private inFlight = 0;
  private served: Uint8Array;
  private ownDone = 0;
  private expected = -1;
  private enc: PaillierEncryptor | undefined;

  constructor(readonly params: RunParams, rows: readonly Row[], paillier?: PaillierPublic) {
    this.group = groupOf(params.group);
    this.mask = this.group.newMask();
    checkSize(rows.length, 'party B');
    distinct(rows.map((r) => r.id), 'party B');
    if (params.protocol === 'psi-sum') {
      if (!paillier) throw new ShulianError('PRIVACY_BAD_KEY', 'psi-sum needs the requester\'s Paillier public key');
      this.enc = new PaillierEncryptor(paillier);
      rows.forEach((r, i) => {
        if (r.values?.length !== params.columns) throw new ShulianError('PRIVACY_BAD_DATASET', `party B record ${i} has ${r.values?.length ?? 0} values; the run sums ${params.columns} columns`);
      });
    }
    this.rows = shuffle([...rows]);
    this.served = new Uint8Array(this.rows.length);
  }

  get size(): number { return this.rows.length; }

  /** A announces how many records it will send (psi-cardinality and psi-sum shuffle them all at once). */
  expect(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_RECORDS) throw new ShulianError('PRIVACY_LIMIT', `A announced ${count} records; a run takes 0 to ${MAX_RECORDS}`);
    this.expected = count;
  }

  /** H(x)^ab for a batch of A's H(x)^a: returned at once for psi, kept for a shuffle otherwise. */
  async answer(batch: Uint8Array[]): Promise<Uint8Array[]> {
    if (this.expected < 0) throw new ShulianError('PRIVACY_BAD_MESSAGE', 'A sent elements before announcing its count');
    if (this.seen + batch.length > this.expected) {
      throw new ShulianError('PRIVACY_WRONG_COUNT', `A announced ${this.expected} records and has sent ${this.seen + batch.length}`);
    }
    const first = this.seen;
    this.seen += batch.length; // counted before the await, so batches in flight together cannot pass the count
    this.inFlight++;
    let out: Uint8Array[];
    try {
      out = await this.mask.applyMany(batch, 'A', first);
    } finally {
      this.inFlight--;
    }
    if (this.params.protocol === 'psi') return out; // in A's order; nothing kept
    for (const e of out) this.answered.push(e);
    return [];
  }

  /** psi-cardinality / psi-sum: all of H(x)^ab, shuffled, once A sent every record. */
  shuffledAnswers(): Uint8Array[] {
    if (this.params.protocol === 'psi') throw new ShulianError('PRIVACY_BAD_MESSAGE', 'psi answers each batch in order; there is nothing to shuffle');
    if (this.seen !== this.expected) throw new ShulianError('PRIVACY_WRONG_COUNT', `A announced ${this.expected} records and sent ${this.seen}`);
    if (this.inFlight) throw new ShulianError('PRIVACY_BAD_MESSAGE', `${this.inFlight} of A's batches are still being masked; ask for the answers after every mask step has been answered`);
    const out = shuffle(this.answered);
    this.answered = [];
    return out;
  }

  /**
   * B's own records [from, to) of its shuffled order: H(y)^b, and Enc_R(packed values) for
   * psi-sum. Pages may come in any order (A keeps several in flight) but each record goes once.
   */
  async own(from: number, to: number): Promise<{ elements: Uint8Array[]; ciphertexts?: bigint[] }> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || to > this.rows.length) {
      throw new ShulianError('PRIVACY_WRONG_COUNT', `own ${from}…${to}: B has records 0…${this.rows.length}`);
    }
    for (let i = from; i < to; i++) if (this.served[i]) throw new ShulianError('PRIVACY_REPLAY', `B's record ${i} of this run was already sent; each page of B's set is sent once`);
    this.served.fill(1, from, to);
    const rows = this.rows.slice(from, to);
    const [elements, ciphertexts] = await Promise.all([
      this.mask.hashMany(rows.map((r) => r.id), runDst(this.params)),
      this.enc?.encryptMany(rows.map((r) => packColumns(r.values!))),
    ]);
    const out = ciphertexts ? { elements, ciphertexts } : { elements };
    this.ownDone += to - from;
    return out;
  }

  /** Every record of B has been computed and handed out. */
  get ownFinished(): boolean { return this.ownDone === this.rows.length; }
}
