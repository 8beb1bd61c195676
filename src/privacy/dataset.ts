/**
 * A party's dataset: a local file keyed by DID, read line by line (never whole into memory).
 * CSV: a header `did,<col>,…` then one record per line; JSONL: one object per line with `did`
 * and the value columns. Values are integers in [0, 2^40). The identifiers are DIDs (pairwise,
 * or mapped through the owner's private table), never ID-card or phone numbers: a hash of an
 * 18-digit ID is enumerable, a DID is not (docs/privacy.md).
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { DID_RE, ShulianError } from '../codec/index.ts';
import { MAX_VALUE } from './paillier.ts';
import { MAX_RECORDS, type Row } from './protocol.ts';

const MAX_LINE = 4096;

const bad = (file: string, line: number, why: string): ShulianError =>
  new ShulianError('PRIVACY_BAD_DATASET', `${file}:${line}: ${why}`);

function value(file: string, line: number, col: string, v: unknown): bigint {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^\d{1,13}$/.test(s) || BigInt(s) > MAX_VALUE) throw bad(file, line, `column ${col}: "${String(v)}" is not an integer in [0, 2^40)`);
  return BigInt(s);
}

/**
 * The records whose DID `keep` accepts (all when it is undefined), with the named value columns.
 * Refuses a malformed line, a missing column, a duplicate DID, or more than MAX_RECORDS.
 */
export async function readDataset(file: string, columns: readonly string[], keep?: (did: string) => boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const seen = new Set<string>();
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const jsonl = file.endsWith('.jsonl') || file.endsWith('.ndjson');
  let header: string[] | undefined;
  let n = 0;
  let total = 0;
  for await (const raw of rl) {
    n++;
    const line = raw.trim();
    if (!line) continue;
    if (line.length > MAX_LINE) throw bad(file, n, `a line is longer than ${MAX_LINE} characters`);
    let did: unknown;
    let get: (c: string) => unknown;
    if (jsonl) {
      let o: unknown;
      try { o = JSON.parse(line); } catch { throw bad(file, n, 'not a JSON object'); }
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad(file, n, 'not a JSON object');
      const rec = o as Record<string, unknown>;
      did = rec.did;
      get = (c) => rec[c];
    } else {
      const cells = line.split(',');
      if (!header) {
        header = cells.map((c) => c.trim());
        if (header[0] !== 'did') throw bad(file, n, `the CSV header starts with "did", not "${header[0]}"`);
        for (const c of columns) if (!header.includes(c)) throw bad(file, n, `the header has no column ${c} (it has ${header.join(', ')})`);
        continue;
      }
      if (cells.length !== header.length) throw bad(file, n, `${cells.length} cells; the header has ${header.length}`);
      did = cells[0]!.trim();
      get = (c) => cells[header!.indexOf(c)];
    }
    if (typeof did !== 'string' || !DID_RE.test(did)) throw bad(file, n, `"${String(did).slice(0, 80)}" is not a did:shulian DID; records are keyed by DIDs, never ID or phone numbers`);
    if (seen.has(did)) throw bad(file, n, `${did} appears twice`);
    seen.add(did);
    if (++total > MAX_RECORDS) throw new ShulianError('PRIVACY_LIMIT', `${file} has more than ${MAX_RECORDS} records`);
    if (keep && !keep(did)) continue;
    rows.push(columns.length ? { id: did, values: columns.map((c) => value(file, n, c, get(c))) } : { id: did });
  }
  return rows;
}

/** SM3 over the salt and the sorted records (DID and values): what a party commits to on chain. */
export function commitment(rows: readonly Row[], salt: Uint8Array): string {
  const h = createHash('sm3').update(salt);
  for (const r of [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) h.update(`${r.id},${(r.values ?? []).join(',')}\n`);
  return h.digest('hex');
}
