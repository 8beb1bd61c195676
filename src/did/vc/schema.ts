/**
 * Structural rules of VC Data Model 2.0 (§4) for credentials and presentations, and of the
 * Bitstring Status List entry (Bitstring Status List v1.0 §2.1). Unknown properties are kept:
 * a credential may carry any claims.
 */
import { z } from '../../codec/schemas.ts';
import { isRecord } from '../../codec/index.ts';
import { parseDateTime } from './datetime.ts';
import { problem, type VcErrorCode, type VcProblem } from './problems.ts';

/** A URL as the data model uses them: a scheme, then no whitespace (https:…, did:…, urn:uuid:…). */
export const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/;

const url = z.string().max(2048, 'URLs are at most 2048 characters').regex(URL_RE, 'must be a URL (scheme:rest, e.g. https://…, did:…, urn:uuid:…)');
const dateTimeStamp = z.string().refine((s) => parseDateTime(s, true) !== undefined, 'must be an XML Schema dateTimeStamp with a time zone, e.g. 2024-05-01T08:00:00Z');
const plainObject = z.looseObject({});
const nonEmptyObject = plainObject.refine((o) => Object.keys(o).length > 0, 'must not be an empty object');
const typeValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const typed = z.looseObject({ id: url.optional(), type: typeValue });
const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);
const entity = z.union([url, z.looseObject({ id: url })]);

const hasType = (want: string) => (t: string | string[]): boolean => (Array.isArray(t) ? t.includes(want) : t === want);

// name and description (language value objects) are checked by language.ts, relatedResource by related.ts.
const common = {
  '@context': z.array(z.unknown()),
  id: url.optional(),
  proof: oneOrMany(plainObject).optional(),
};

export const credentialSchema = z.looseObject({
  ...common,
  type: typeValue.refine(hasType('VerifiableCredential'), 'must include "VerifiableCredential"'),
  issuer: entity,
  credentialSubject: oneOrMany(nonEmptyObject.and(z.looseObject({ id: url.optional() }))),
  validFrom: dateTimeStamp.optional(),
  validUntil: dateTimeStamp.optional(),
  credentialStatus: oneOrMany(typed).optional(),
  credentialSchema: oneOrMany(z.looseObject({ id: url, type: typeValue })).optional(),
  evidence: oneOrMany(typed).optional(),
  termsOfUse: oneOrMany(typed).optional(),
  refreshService: oneOrMany(typed).optional(),
  renderMethod: oneOrMany(typed).optional(),
});

export const presentationSchema = z.looseObject({
  ...common,
  type: typeValue.refine(hasType('VerifiablePresentation'), 'must include "VerifiablePresentation"'),
  holder: entity.optional(),
  verifiableCredential: oneOrMany(plainObject).optional(),
});

/**
 * True when `input` certainly passes credentialSchema: the common credential, none of the
 * optional structured members (status, schema, evidence, terms of use, refresh, render) present,
 * checked by hand with the schema's own rules. False means "ask zod" — never "invalid". Zod's
 * object walk is most of a structure check, and verifiers run it for every credential
 * (issue #20); test/fuzz/vc-schema-fast.test.ts holds this to zod's answer.
 */
export function plainlyValidCredential(input: Record<string, unknown>): boolean {
  for (const k of ['credentialStatus', 'credentialSchema', 'evidence', 'termsOfUse', 'refreshService', 'renderMethod']) {
    if (input[k] !== undefined) return false;
  }
  if (!Array.isArray(input['@context'])) return false;
  if (input.id !== undefined && !isUrl(input.id)) return false;
  const type = input.type;
  if (!(Array.isArray(type) ? type.length > 0 && type.every((t) => typeof t === 'string' && t.length > 0) && type.includes('VerifiableCredential') : type === 'VerifiableCredential')) return false;
  const issuer = input.issuer;
  if (!isUrl(issuer) && !(isRecord(issuer) && isUrl(issuer.id))) return false;
  const subject = input.credentialSubject;
  const subjects = Array.isArray(subject) ? subject : [subject];
  if (subjects.length === 0) return false;
  for (const x of subjects) {
    if (!isRecord(x) || Object.keys(x).length === 0 || (x.id !== undefined && !isUrl(x.id))) return false;
  }
  for (const k of ['validFrom', 'validUntil']) {
    const v = input[k];
    if (v !== undefined && parseDateTime(v, true) === undefined) return false;
  }
  const proof = input.proof;
  if (proof !== undefined && !(Array.isArray(proof) ? proof.length > 0 && proof.every(isRecord) : isRecord(proof))) return false;
  return true;
}

const isUrl = (x: unknown): boolean => typeof x === 'string' && x.length <= 2048 && URL_RE.test(x);

/** A BitstringStatusListEntry (credentialStatus item). */
export const statusEntrySchema = z.looseObject({
  id: url.optional(),
  type: z.literal('BitstringStatusListEntry'),
  statusPurpose: z.string().min(1).max(64),
  statusListIndex: z.string().regex(/^(0|[1-9]\d{0,14})$/, 'must be a base-10 integer ≥ 0 written as a string, e.g. "94567"'),
  statusListCredential: url,
  statusSize: z.number().int().min(1).max(8).optional(),
});

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : (out === '' ? '' : '.') + String(p);
  return out;
}

/** Problems from a zod result, at most `max` of them, each naming the path it is about. */
export function zodProblems(error: z.ZodError, code: VcErrorCode, max = 5): VcProblem[] {
  const out: VcProblem[] = [];
  for (const issue of error.issues) {
    if (out.length >= max) break;
    const path = pathOf(issue.path);
    let message = issue.message;
    if (issue.code === 'invalid_union') message = describeUnion(path);
    out.push(problem(code, message, path));
  }
  return out;
}

function describeUnion(path: string): string {
  const leaf = path.replace(/\[\d+\]$/, '').split('.').pop() ?? '';
  switch (leaf) {
    case 'issuer': return 'must be a URL or an object with an "id" URL';
    case 'holder': return 'must be a URL or an object with an "id" URL';
    case 'credentialSubject': return 'must be an object with at least one claim, or a non-empty array of such objects';
    case 'type': return 'must be a string or a non-empty array of strings';
    case 'proof': return 'must be an object or a non-empty array of objects';
    case 'verifiableCredential': return 'must be a credential object or a non-empty array of them';
    default: return 'must be an object (or string) of the expected shape, or a non-empty array of them';
  }
}
