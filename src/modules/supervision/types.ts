/**
 * Types of the supervision module (监管): what it keeps in state on the governance chain — the
 * rules regulators publish, with every version; the lists rules read (sanctioned DIDs…); the lex
 * templates and EVM init codes regulators approved — and what its methods take. Plain data and
 * schemas only, for the SDK, the rule engine and the console (docs/supervision.md).
 */
import { digestSchema, z } from '../../codec/schemas.ts';
import { LIST_NAME_RE, MAX_LIST_ITEMS, ruleIdSchema, type RuleSpec } from '../../rules/index.ts';

/** A rule at one version, at `supervision/rule/<id>` (latest) and `supervision/rule/<id>/v/<version>`. */
export interface RuleRecord {
  id: string;
  /** 1 for the first publication, +1 for each change. */
  version: number;
  /** The regulator that published it; only it may change or retire it. */
  owner: string;
  spec: RuleSpec;
  status: 'active' | 'retired';
  /** Governance-chain height from which this version applies. */
  publishedAt: number;
  publishedTime: number;
  tx: string;
}

/** A list rules read as `lists.<name>`, at `supervision/list/<name>`. */
export interface ListRecord {
  name: string;
  version: number;
  owner: string;
  items: string[];
  updatedAt: number;
  tx: string;
}

export const APPROVAL_KINDS = ['lex-template', 'evm-code'] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

/** A lex template (its source hash) or EVM init code (sha256 of the bytes) a regulator approved. */
export interface ApprovalRecord {
  kind: ApprovalKind;
  hash: string;
  name: string;
  by: string;
  at: number;
  tx: string;
  note?: string;
  /** Set when a regulator withdrew the approval. */
  revokedAt?: number;
  revokedBy?: string;
}

/** Most rules, lists and approvals the module keeps (each index is one state value). */
export const SUPERVISION_LIMITS = { rules: 256, lists: 64, approvals: 1_000 } as const;

const hex64 = digestSchema;

export const publishArgs = z.strictObject({ rule: z.unknown() });
export const retireArgs = z.strictObject({ id: ruleIdSchema });
export const setListArgs = z.strictObject({
  name: z.string().regex(LIST_NAME_RE, 'a list name: a lowercase letter, then up to 31 lowercase letters, digits and underscores'),
  items: z.array(z.string().min(1).max(128)).max(MAX_LIST_ITEMS, `a list holds at most ${MAX_LIST_ITEMS} items`),
});
export const approveArgs = z.strictObject({
  kind: z.enum(APPROVAL_KINDS, `kind must be one of ${APPROVAL_KINDS.join(', ')}`),
  hash: hex64,
  name: z.string().min(1).max(200),
  note: z.string().max(2_000).optional(),
});
export const revokeApprovalArgs = z.strictObject({ kind: z.enum(APPROVAL_KINDS), hash: hex64 });
