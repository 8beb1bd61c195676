/**
 * The material chain (材料链, white paper §5.1): administrative materials — certificates, licences,
 * application files — registered by digest by the agency that issues them, for a holder DID, with
 * versions (a new version supersedes, every version kept) and access grants the holder gives
 * agencies, so a citizen submits a material once and agencies reuse it (docs/gov.md). The files
 * stay off chain; the chain keeps their SM3 digests, who may read them, and every read.
 */
import { didSchema, digestSchema, z } from '../../codec/schemas.ts';

export const MATERIAL = 'material';

/** Kinds of administrative material: 证照 (certificate), 许可 (licence), 申请材料 (application file), other. */
export const MATERIAL_KINDS = ['certificate', 'licence', 'application', 'other'] as const;
export type MaterialKind = (typeof MATERIAL_KINDS)[number];

export const MATERIAL_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/**
 * What an outsider can fill is bounded: titles and purposes by length, the agencies one material
 * may be granted to at a time by `grants`, a grant's life by `maxGrantMs` (one year of block time).
 */
export const MATERIAL_LIMITS = { title: 200, purpose: 200, reason: 200, grants: 64, maxGrantMs: 366 * 86_400_000 } as const;

export type MaterialStatus = 'valid' | 'revoked';

/** One version of a material; the current one is also under `mat/<id>`. */
export interface MaterialRecord {
  id: string;
  kind: MaterialKind;
  title: string;
  /** SM3 of the file, 64 lowercase hex digits. */
  digest: string;
  /** DID of the citizen or company the material belongs to. */
  holder: string;
  /** DID of the issuing agency (a member organisation when it issued). */
  issuer: string;
  version: number;
  status: MaterialStatus;
  /** Why the issuer revoked it. */
  reason?: string;
  /** Block time of version 1. */
  issued: number;
  /** Block time, height and tx of this version. */
  time: number;
  height: number;
  tx: string;
}

export type GrantStatus = 'active' | 'revoked';

/** What a holder lets one agency do with one material: read and reuse it for `purpose` until `expires` (block time). */
export interface GrantRecord {
  material: string;
  grantee: string;
  purpose: string;
  /** Block time (ms) from which the grant no longer applies. */
  expires: number;
  status: GrantStatus;
  granted: number;
  height: number;
  tx: string;
  revokedAt?: number;
  /** Reads recorded under this grant. */
  uses: number;
}

/** A recorded reuse: an agency read a material under its grant (the reuse log). */
export interface UseRecord {
  /** Position in the chain's reuse log, from 1. */
  n: number;
  material: string;
  version: number;
  digest: string;
  holder: string;
  agency: string;
  purpose: string;
  time: number;
  height: number;
  tx: string;
}

const id = z.string().regex(MATERIAL_ID_RE, 'a material id: lowercase letters, digits, . _ -, at most 64');
const title = z.string().min(1, 'give a title').max(MATERIAL_LIMITS.title, `at most ${MATERIAL_LIMITS.title} characters`);
const purpose = z.string().min(1, 'say what for').max(MATERIAL_LIMITS.purpose, `at most ${MATERIAL_LIMITS.purpose} characters`);

export const issueArgs = z.strictObject({ id, kind: z.enum(MATERIAL_KINDS), title, digest: digestSchema, holder: didSchema });
export type IssueArgs = z.infer<typeof issueArgs>;
/** `version` is the current one (optimistic concurrency, as catalog.revise). */
export const supersedeArgs = z.strictObject({ id, digest: digestSchema, title: title.optional(), version: z.number().int().min(1) });
export const revokeArgs = z.strictObject({ id, reason: z.string().min(1, 'give the reason').max(MATERIAL_LIMITS.reason) });
export const grantArgs = z.strictObject({ id, grantee: didSchema, purpose, expires: z.number().int().positive() });
export const revokeGrantArgs = z.strictObject({ id, grantee: didSchema });
export const useArgs = z.strictObject({ id, purpose });
export const idArgs = z.strictObject({ id });

/** Why `agency` may not read `material` at block time `now` under `grant`, or undefined if it may: the chain's rule, for readers too. */
export function grantRefusal(m: Pick<MaterialRecord, 'id' | 'status'>, grant: GrantRecord | undefined, agency: string, now: number): { code: 'MATERIAL_REVOKED' | 'MATERIAL_NO_GRANT' | 'MATERIAL_GRANT_REVOKED' | 'MATERIAL_GRANT_EXPIRED'; message: string } | undefined {
  if (m.status === 'revoked') return { code: 'MATERIAL_REVOKED', message: `material "${m.id}" was revoked by its issuer; it may not be reused` };
  if (!grant) return { code: 'MATERIAL_NO_GRANT', message: `the holder of material "${m.id}" granted ${agency} no access; ask the holder for a grant (material.grant)` };
  if (grant.status === 'revoked') return { code: 'MATERIAL_GRANT_REVOKED', message: `the holder revoked the grant of material "${m.id}" to ${agency}${grant.revokedAt !== undefined ? ` at block time ${grant.revokedAt}` : ''}` };
  if (now >= grant.expires) return { code: 'MATERIAL_GRANT_EXPIRED', message: `the grant of material "${m.id}" to ${agency} expired at block time ${grant.expires} (now ${now}); ask the holder for a new grant` };
  return undefined;
}
