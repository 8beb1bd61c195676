/**
 * Credential status through Bitstring Status List v1.0: a credential's BitstringStatusListEntry
 * names a status list credential by URL and an index into its bitstring. The verifier fetches
 * the list credential through a StatusListSource, verifies that credential's own proof, checks
 * who issued it, decodes the GZIP'd bitstring and reads the entry (§3.2 Validate Algorithm).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { isJsonObject } from '../../codec/index.ts';
import { problem, type VcProblem } from './problems.ts';
import { statusEntrySchema, zodProblems } from './schema.ts';
import type { CredentialVerification, JsonObject, StatusResult } from './types.ts';

/** Where status list credentials come from. */
export interface StatusListSource {
  /** The status list credential at `url`, parsed. Throws when it cannot be obtained. */
  fetch(url: string): Promise<unknown>;
}

/** The minimum number of entries of a list (Bitstring Status List §3.2 step 2). */
export const MIN_STATUS_LIST_ENTRIES = 131_072;
/** Largest bitstring a verifier expands (bits): a bound against GZIP bombs. */
export const MAX_STATUS_LIST_BITS = 64 * 1024 * 1024;

/** `encodedList` of a bitstring: multibase base64url ('u', no padding) of its GZIP. */
export function encodeStatusList(bitstring: Uint8Array): string {
  return 'u' + gzipSync(bitstring).toString('base64url');
}

/** The bitstring of an `encodedList`; throws with a reason when it is not valid. */
export function decodeStatusList(encodedList: unknown, maxBits = MAX_STATUS_LIST_BITS): Uint8Array {
  if (typeof encodedList !== 'string' || !encodedList.startsWith('u')) {
    throw new Error('encodedList must be multibase base64url (a string starting with "u")');
  }
  const b64 = encodedList.slice(1);
  if (!/^[A-Za-z0-9_-]*$/.test(b64)) throw new Error('encodedList is not base64url without padding');
  let out: Buffer;
  try {
    out = gunzipSync(Buffer.from(b64, 'base64url'), { maxOutputLength: Math.ceil(maxBits / 8) });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new Error(code === 'ERR_BUFFER_TOO_LARGE' ? `encodedList expands to more than ${maxBits} bits` : 'encodedList is not GZIP data');
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Entry `index` of `size` bits (index 0 is the left-most, most significant bit of byte 0). */
export function readStatusBits(bitstring: Uint8Array, index: number, size = 1): number {
  let v = 0;
  for (let i = 0; i < size; i++) {
    const bit = index * size + i;
    const byte = bitstring[bit >> 3];
    if (byte === undefined) throw new RangeError(`bit ${bit} is outside a ${bitstring.length * 8}-bit list`);
    v = (v << 1) | ((byte >> (7 - (bit & 7))) & 1);
  }
  return v;
}

export interface HttpStatusListSourceOptions {
  timeoutMs?: number;
  /** Largest response accepted, bytes (default 4 MiB). */
  maxBytes?: number;
  fetch?: typeof globalThis.fetch;
}

/** Fetches status list credentials over HTTP(S). */
export function httpStatusListSource(opts: HttpStatusListSourceOptions = {}): StatusListSource {
  const f = opts.fetch ?? globalThis.fetch;
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  return {
    async fetch(url) {
      const u = new URL(url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`status list URL ${url} is not http(s)`);
      const res = await f(u, { headers: { accept: 'application/vc, application/json' }, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000), redirect: 'error' });
      if (!res.ok) throw new Error(`GET ${url} answered HTTP ${res.status}`);
      const text = await res.text();
      if (text.length > maxBytes) throw new Error(`GET ${url} answered more than ${maxBytes} bytes`);
      return JSON.parse(text) as unknown;
    },
  };
}

/** Status list credentials held in memory, by URL. */
export function staticStatusListSource(lists: Record<string, unknown> | ReadonlyMap<string, unknown>): StatusListSource {
  const map = lists instanceof Map ? lists : new Map(Object.entries(lists));
  return {
    async fetch(url) {
      if (!map.has(url)) throw new Error(`no status list credential at ${url}`);
      return structuredClone(map.get(url));
    },
  };
}

export interface StatusCheckOptions {
  source?: StatusListSource;
  /**
   * Status services trusted to publish lists for other issuers (e.g. a Shulian node's DID): their
   * list credentials are accepted when `credentialSubject.listController` is the credential's issuer.
   */
  trustedStatusIssuers?: readonly string[];
  minEntries?: number;
}

function issuerIdOf(vc: JsonObject): string | undefined {
  const i = vc.issuer;
  if (typeof i === 'string') return i;
  if (isJsonObject(i) && typeof i.id === 'string') return i.id;
  return undefined;
}

/**
 * Checks every credentialStatus entry. `verifyList` verifies a list credential (proof and
 * validity, without status). Returns problems and per-entry results.
 */
export async function checkStatus(
  credential: JsonObject,
  issuer: string,
  opts: StatusCheckOptions,
  verifyList: (vc: unknown) => Promise<CredentialVerification>,
): Promise<{ errors: VcProblem[]; warnings: VcProblem[]; results: StatusResult[] }> {
  const errors: VcProblem[] = [];
  const warnings: VcProblem[] = [];
  const results: StatusResult[] = [];
  const raw = credential.credentialStatus;
  const entries = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const lists = new Map<string, Promise<{ vc: JsonObject; bits: Uint8Array } | VcProblem>>();
  for (let i = 0; i < entries.length; i++) {
    const path = Array.isArray(raw) ? `credentialStatus[${i}]` : 'credentialStatus';
    const e = entries[i];
    if (isJsonObject(e) && e.type !== 'BitstringStatusListEntry') {
      errors.push(problem('STATUS_UNCHECKED', `status type ${JSON.stringify(e.type ?? null)} is not supported (only BitstringStatusListEntry), so the credential's status is unknown`, `${path}.type`));
      continue;
    }
    const parsed = statusEntrySchema.safeParse(e);
    if (!parsed.success) {
      errors.push(...zodProblems(parsed.error, 'MALFORMED_CREDENTIAL').map((p) => ({ ...p, path: p.path ? `${path}.${p.path}` : path })));
      continue;
    }
    const entry = parsed.data;
    const index = Number(entry.statusListIndex);
    const size = entry.statusSize ?? 1;
    const result: StatusResult = { statusPurpose: entry.statusPurpose, statusListCredential: entry.statusListCredential, statusListIndex: index };
    results.push(result);
    if (!opts.source) {
      errors.push(problem('STATUS_UNCHECKED', `the credential has a ${entry.statusPurpose} status entry, but no status list source is configured to check it`, path));
      continue;
    }
    const url = entry.statusListCredential;
    let pending = lists.get(url);
    if (!pending) {
      pending = loadList(url, issuer, opts, verifyList);
      lists.set(url, pending);
    }
    const list = await pending;
    if ('code' in list) {
      errors.push({ ...list, path });
      continue;
    }
    const subject = list.vc.credentialSubject as JsonObject;
    const purposes = Array.isArray(subject.statusPurpose) ? subject.statusPurpose : [subject.statusPurpose];
    if (!purposes.includes(entry.statusPurpose)) {
      errors.push(problem('STATUS_VERIFICATION_ERROR', `the status list at ${url} is for ${purposes.map(String).join(', ')}, not ${entry.statusPurpose}`, `${path}.statusPurpose`));
      continue;
    }
    const minEntries = opts.minEntries ?? MIN_STATUS_LIST_ENTRIES;
    const entriesInList = Math.floor((list.bits.length * 8) / size);
    if (entriesInList < minEntries) {
      errors.push(problem('STATUS_LIST_LENGTH_ERROR', `the status list at ${url} has ${entriesInList} entries; at least ${minEntries} are required`, path));
      continue;
    }
    if (index >= entriesInList) {
      errors.push(problem('STATUS_RANGE_ERROR', `statusListIndex ${index} is outside the ${entriesInList}-entry list at ${url}`, `${path}.statusListIndex`));
      continue;
    }
    const value = readStatusBits(list.bits, index, size);
    result.value = value;
    result.blocks = value !== 0 && (entry.statusPurpose === 'revocation' || entry.statusPurpose === 'suspension');
    if (value !== 0 && entry.statusPurpose === 'revocation') {
      errors.push(problem('REVOKED', `the credential was revoked by its issuer (entry ${index} of ${url})`, path));
    } else if (value !== 0 && entry.statusPurpose === 'suspension') {
      errors.push(problem('SUSPENDED', `the credential is suspended by its issuer (entry ${index} of ${url}); it may be reinstated`, path));
    } else if (value !== 0) {
      warnings.push(problem('STATUS_UNCHECKED', `status ${entry.statusPurpose} is set (value ${value}) for entry ${index} of ${url}`, path));
    }
  }
  return { errors, warnings, results };
}

async function loadList(
  url: string, issuer: string, opts: StatusCheckOptions, verifyList: (vc: unknown) => Promise<CredentialVerification>,
): Promise<{ vc: JsonObject; bits: Uint8Array } | VcProblem> {
  let doc: unknown;
  try {
    doc = await opts.source!.fetch(url);
  } catch (err) {
    return problem('STATUS_RETRIEVAL_ERROR', `could not get the status list credential ${url}: ${(err as Error).message}`);
  }
  const fail = (msg: string): VcProblem => problem('STATUS_VERIFICATION_ERROR', `status list credential ${url}: ${msg}`);
  if (!isJsonObject(doc)) return fail('it is not a JSON object');
  const v = await verifyList(doc);
  if (!v.verified) return fail(`it does not verify (${v.errors.map((e) => `${e.code}: ${e.message}`).join('; ')})`);
  const types = Array.isArray(doc.type) ? doc.type : [doc.type];
  if (!types.includes('BitstringStatusListCredential')) return fail('its type does not include BitstringStatusListCredential');
  if (doc.id !== undefined && doc.id !== url) return fail(`its id is ${JSON.stringify(doc.id)}, not the URL it was fetched from`);
  const subject = doc.credentialSubject;
  if (!isJsonObject(subject) || subject.type !== 'BitstringStatusList') return fail('its credentialSubject is not a single BitstringStatusList');
  const listIssuer = issuerIdOf(doc);
  if (listIssuer !== issuer) {
    const trusted = listIssuer !== undefined && (opts.trustedStatusIssuers ?? []).includes(listIssuer);
    if (!trusted) return fail(`it was issued by ${String(listIssuer)}, which is neither the credential's issuer nor a trusted status service`);
    if (subject.listController !== issuer) {
      return fail(`it lists the statuses of ${JSON.stringify(subject.listController ?? null)}, not of the credential's issuer ${issuer}`);
    }
  }
  try {
    return { vc: doc, bits: decodeStatusList(subject.encodedList) };
  } catch (err) {
    return fail((err as Error).message);
  }
}
