/**
 * Integrity of related resources (VC Data Model 2.0 §5.3): `relatedResource` is one or more
 * objects, each with an `id` (a URL, unique among them) and at least one digest — `digestSRI`
 * (a Subresource Integrity hash-expression, SRI §3.5) or `digestMultibase` (a Multibase-encoded
 * Multihash, VC Data Integrity 1.0 §2.6) — and optionally a `mediaType`. Only the form is checked
 * here: a verifier that fetches the resource compares its digest itself.
 */
import { fromBase58, isRecord } from '../../codec/index.ts';
import { iriProblem } from './iri.ts';
import { problem, type VcErrorCode, type VcProblem } from './problems.ts';

/** SRI hash algorithms and their digest lengths (SRI §3.2: sha256, sha384, sha512). */
const SRI_ALGORITHMS: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** Multihash codes (multicodec table) of the digests accepted, and their lengths. */
const MULTIHASH: ReadonlyMap<number, { name: string; length: number }> = new Map([
  [0x12, { name: 'sha2-256', length: 32 }],
  [0x20, { name: 'sha2-384', length: 48 }],
  [0x13, { name: 'sha2-512', length: 64 }],
  [0x16, { name: 'sha3-256', length: 32 }],
  [0x15, { name: 'sha3-384', length: 48 }],
  [0x14, { name: 'sha3-512', length: 64 }],
  [0x534d, { name: 'sm3-256', length: 32 }],
]);

/** At most this many related resources, and digests per resource: bounds the work on hostile input. */
export const MAX_RELATED_RESOURCES = 256;
const MAX_DIGESTS = 8;
const MAX_DIGEST_CHARS = 512;

const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[^"\\]*"))*$/;

/** Bytes of standard or URL-safe base64 (padding optional), or undefined when it is not base64. */
function base64Bytes(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return undefined;
  const body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (/[+/]/.test(body) && /[-_]/.test(body)) return undefined; // one alphabet or the other
  return new Uint8Array(Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

/** Why `value` is not a digestSRI value, or undefined. One or more space-separated `alg-base64` hash-expressions. */
export function digestSriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string such as "sha384-<base64 digest>"';
  if (value.length > MAX_DIGEST_CHARS) return `is longer than ${MAX_DIGEST_CHARS} characters`;
  const parts = value.trim().split(/[ \t]+/);
  if (parts.length === 0 || parts[0] === '') return 'is empty';
  if (parts.length > MAX_DIGESTS) return `has more than ${MAX_DIGESTS} digests`;
  for (const part of parts) {
    const dash = part.indexOf('-');
    const alg = dash < 0 ? part : part.slice(0, dash);
    const want = Object.hasOwn(SRI_ALGORITHMS, alg) ? SRI_ALGORITHMS[alg] : undefined;
    if (want === undefined) return `"${part.slice(0, 24)}" does not start with sha256-, sha384- or sha512- (SRI hash algorithms)`;
    if (part.includes('?')) return `"${part.slice(0, 24)}…" has options, which a digest here cannot have`;
    const bytes = base64Bytes(part.slice(dash + 1));
    if (!bytes) return `the ${alg} digest is not base64`;
    if (bytes.length !== want) return `the ${alg} digest is ${bytes.length} bytes; ${alg} digests are ${want} bytes`;
  }
  return undefined;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const b = bytes[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) return undefined; // not minimally encoded
      return { value, next: at + i + 1 };
    }
  }
  return undefined;
}

/** The multihash bytes of a multibase string: base58btc (z), base64url (u), base64 (m) or base16 (f). */
function multibaseBytes(s: string): Uint8Array | undefined {
  const body = s.slice(1);
  try {
    switch (s[0]) {
      case 'z': return body.length > 0 ? fromBase58(body, 'digestMultibase') : undefined;
      case 'u': return /^[A-Za-z0-9_-]+$/.test(body) ? base64Bytes(body) : undefined;
      case 'm': return /^[A-Za-z0-9+/]+$/.test(body) ? base64Bytes(body) : undefined;
      case 'f': return /^(?:[0-9a-f]{2})+$/.test(body) ? new Uint8Array(Buffer.from(body, 'hex')) : undefined;
      default: return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Why `value` is not a Multibase-encoded Multihash, or undefined. */
export function digestMultibaseProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_DIGEST_CHARS) return `is longer than ${MAX_DIGEST_CHARS} characters`;
  if (!/^[zumf]/.test(value)) return 'must be multibase: base58btc ("z…"), base64url ("u…"), base64 ("m…") or base16 ("f…")';
  const bytes = multibaseBytes(value);
  if (!bytes) return `is not valid ${value[0] === 'z' ? 'base58btc' : value[0] === 'f' ? 'lowercase base16' : 'base64'} after its "${value[0]}" prefix`;
  const code = readVarint(bytes, 0);
  const len = code ? readVarint(bytes, code.next) : undefined;
  if (!code || !len) return 'is not a multihash (a varint hash code, a varint length, then the digest)';
  const known = MULTIHASH.get(code.value);
  if (!known) return `names multihash code 0x${code.value.toString(16)}, which is not one of ${[...MULTIHASH.values()].map((h) => h.name).join(', ')}`;
  if (len.value !== known.length) return `says its ${known.name} digest is ${len.value} bytes; ${known.name} digests are ${known.length} bytes`;
  if (bytes.length - len.next !== known.length) return `holds ${bytes.length - len.next} digest bytes, but its header says ${known.length}`;
  return undefined;
}

/** Problems of a credential's `relatedResource` (undefined: none, and nothing to check). */
export function relatedResourceProblems(value: unknown, code: VcErrorCode = 'MALFORMED_CREDENTIAL'): VcProblem[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  const base = (i: number): string => (Array.isArray(value) ? `relatedResource[${i}]` : 'relatedResource');
  if (list.length === 0) return [problem(code, 'must be an object or a non-empty array of objects (VC Data Model 2.0 §5.3)', 'relatedResource')];
  if (list.length > MAX_RELATED_RESOURCES) return [problem(code, `lists ${list.length} resources; at most ${MAX_RELATED_RESOURCES} are accepted`, 'relatedResource')];
  const out: VcProblem[] = [];
  const ids = new Map<string, number>();
  list.forEach((r, i) => {
    const at = base(i);
    if (!isRecord(r)) {
      out.push(problem(code, 'must be an object with an id and a digestSRI or digestMultibase', at));
      return;
    }
    const idWhy = iriProblem(r.id);
    if (r.id === undefined) out.push(problem(code, 'has no id: each related resource names the resource it is about', `${at}.id`));
    else if (idWhy) out.push(problem(code, `must be a URL: it ${idWhy}`, `${at}.id`));
    else if (ids.has(r.id as string)) out.push(problem(code, `${JSON.stringify(r.id)} is also ${base(ids.get(r.id as string)!)}; each related resource id must be unique`, `${at}.id`));
    else ids.set(r.id as string, i);
    if (r.digestSRI === undefined && r.digestMultibase === undefined) {
      out.push(problem(code, 'has neither digestSRI nor digestMultibase: at least one digest is required', at));
    }
    if (r.digestSRI !== undefined) {
      const why = digestSriProblem(r.digestSRI);
      if (why) out.push(problem(code, `digestSRI ${why}`, `${at}.digestSRI`));
    }
    if (r.digestMultibase !== undefined) {
      const values = Array.isArray(r.digestMultibase) ? r.digestMultibase : [r.digestMultibase];
      if (values.length === 0 || values.length > MAX_DIGESTS) out.push(problem(code, `digestMultibase must be a string or 1 to ${MAX_DIGESTS} strings`, `${at}.digestMultibase`));
      else {
        for (const [j, d] of values.entries()) {
          const why = digestMultibaseProblem(d);
          if (why) out.push(problem(code, `digestMultibase ${why}`, Array.isArray(r.digestMultibase) ? `${at}.digestMultibase[${j}]` : `${at}.digestMultibase`));
        }
      }
    }
    if (r.mediaType !== undefined && (typeof r.mediaType !== 'string' || !MEDIA_TYPE_RE.test(r.mediaType))) {
      out.push(problem(code, 'mediaType must be a media type such as "application/pdf"', `${at}.mediaType`));
    }
  });
  return out;
}
