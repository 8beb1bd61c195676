/**
 * Public-data authorisation (公共数据授权链): requests for catalogued datasets, the owner's (or a
 * standing ODRL offer's) decision, grants carrying an ODRL Agreement and a Bitstring status
 * entry, and a usage record for every use. The records the `dataauth` module keeps and the
 * schemas of what parties send.
 */
import { didSchema, digestSchema, z } from '../../codec/schemas.ts';
import type { Policy } from '../../odrl/index.ts';

export const DATAAUTH = 'dataauth';
export const DATAAUTH_LIMITS = { actions: 8, consents: 16, reason: 512, requestsPerDataset: 1_000_000 } as const;

const datasetId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a dataset id');
const dateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/, 'an xsd:dateTime with a time zone, e.g. 2027-01-01T00:00:00Z');

export type RequestStatus = 'pending' | 'granted' | 'refused';
export interface Stamp {
  height: number;
  time: number;
  tx: string;
}

/** A request at `dataauth/req/<id>`. */
export interface RequestRecord {
  id: number;
  dataset: string;
  datasetVersion: number;
  owner: string;
  requester: string;
  /** DPV purpose the data is wanted for. */
  purpose: string;
  /** ODRL actions asked for (read, aggregate, derive, …). */
  actions: string[];
  /** At most this many uses. */
  count?: number;
  /** Uses only before this xsd:dateTime (block time). */
  notAfter?: string;
  /** Who receives the data, when not the requester. */
  recipient?: string;
  /** Consents of data subjects (digests) every use must still have. */
  consents?: string[];
  status: RequestStatus;
  requested: Stamp;
  decided?: Stamp & { by: 'owner' | 'offer'; reason?: string };
  grant?: number;
}

/** A grant at `dataauth/grant/<id>`: the ODRL Agreement and where its revocation bit lives. */
export interface GrantRecord {
  id: number;
  request: number;
  dataset: string;
  /** The dataset's IRI, the Agreement's target. */
  target: string;
  owner: string;
  grantee: string;
  policy: Policy;
  /** DPV purpose uses are made for unless a use names a narrower one. */
  purpose: string;
  consents?: string[];
  /** Its entry in the owner's revocation list (vcstatus on this chain): setting it revokes the grant. */
  status: { listId: string; index: number };
  granted: Stamp & { by: 'owner' | 'offer' };
}

/** A use at `dataauth/use/<grant>/<n>`. */
export interface UsageRecord {
  grant: number;
  /** The n-th use of the grant (the ODRL `count` it was judged with). */
  n: number;
  user: string;
  action: string;
  /** Digest of the request the data was served for (the query, the computation). */
  requestHash: string;
  purpose: string;
  recipient: string;
  consent?: string;
  height: number;
  time: number;
  tx: string;
}

/** A standing ODRL Offer of a dataset's owner, at `dataauth/offer/<dataset>`: it decides requests itself. */
export interface OfferRecord {
  dataset: string;
  owner: string;
  policy: Policy;
  height: number;
}

export const requestArgs = z.strictObject({
  dataset: datasetId,
  purpose: z.string().min(1).max(128),
  actions: z.array(z.string().min(1).max(64)).min(1, 'ask for at least one action').max(DATAAUTH_LIMITS.actions),
  count: z.number().int().min(1).max(1_000_000_000).optional(),
  notAfter: dateTime.optional(),
  recipient: didSchema.optional(),
  consents: z.array(digestSchema).max(DATAAUTH_LIMITS.consents).optional(),
});
export type RequestArgs = z.infer<typeof requestArgs>;
export const decideArgs = z.strictObject({
  request: z.number().int().min(1),
  /** approve only: an Agreement to grant instead of the one the request implies (assigner, assignee and target must match). */
  policy: z.unknown().optional(),
  /** refuse only: why. */
  reason: z.string().min(1).max(DATAAUTH_LIMITS.reason).optional(),
});
export const offerArgs = z.strictObject({ dataset: datasetId, policy: z.unknown().nullable() });
export const useArgs = z.strictObject({
  grant: z.number().int().min(1),
  action: z.string().min(1).max(64),
  requestHash: digestSchema,
  purpose: z.string().min(1).max(128).optional(),
  recipient: didSchema.optional(),
  /** A further consent this use relies on (a data subject's), checked at this height. */
  consent: digestSchema.optional(),
});
export type UseArgs = z.infer<typeof useArgs>;
/** dataauth.useFor (export, privacy module only): a use by `user`, the grantee it acts for. */
export const useForArgs = useArgs.extend({ user: didSchema });
export const revokeArgs = z.strictObject({ grant: z.number().int().min(1), reason: z.string().min(1).max(DATAAUTH_LIMITS.reason).optional() });

/** The owner's revocation list of grants on the data chain. */
export function grantListId(owner: string): string {
  return `dataauth.${owner.slice('did:shulian:'.length)}`;
}

// The decisions clients compute the same way as the chain (the API, the console).
export { agreementFor, offerDecision, decideUse, requestConstraints, grantUid, ODRL_JSONLD_CONTEXT, type UseFacts, type UseAsk, type UseVerdict } from './decide.ts';

/**
 * The grant as a VC 2.0 (unsigned): issued by the dataset's owner to the grantee, carrying the
 * ODRL Agreement, with a BitstringStatusListEntry in the owner's revocation list on the data
 * chain (served at `statusListUrl`). The owner signs it (Data Integrity, assertionMethod).
 */
export function grantCredential(g: GrantRecord, o: { chain: string; statusListUrl: string }): Record<string, unknown> {
  const notAfter = g.policy.permission?.flatMap((p) => p.constraint ?? []).find((c) => 'leftOperand' in c && c.leftOperand === 'dateTime' && c.operator === 'lt');
  const vc: Record<string, unknown> = {
    // The Agreement and the grant's chain record travel as JSON literals (JSON-LD 1.1 §4.2.2
    // `@json`): kept byte for byte, so the ODRL context the Agreement names is never fetched;
    // undefined-terms last, as VC Data Model 2.0 §5.2 asks for the credential's own type.
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      {
        odrl: 'http://www.w3.org/ns/odrl/2/', shulian: 'https://w3id.org/shulian/ns#',
        'odrl:hasPolicy': { '@id': 'odrl:hasPolicy', '@type': '@json' }, 'shulian:grant': { '@id': 'shulian:grant', '@type': '@json' },
      },
      'https://www.w3.org/ns/credentials/undefined-terms/v2',
    ],
    id: `urn:shulian:${o.chain}:grant:${g.id}`,
    type: ['VerifiableCredential', 'DataAccessGrant'],
    issuer: g.owner,
    validFrom: new Date(g.granted.time).toISOString(),
  };
  if (notAfter && 'rightOperand' in notAfter && typeof notAfter.rightOperand === 'string') vc.validUntil = notAfter.rightOperand;
  vc.credentialSubject = {
    id: g.grantee,
    type: 'shulian:DataAccessGrant',
    'shulian:grant': { chain: o.chain, id: g.id, request: g.request, dataset: g.dataset, height: g.granted.height, tx: g.granted.tx },
    'odrl:hasPolicy': g.policy,
  };
  vc.credentialStatus = {
    id: `${o.statusListUrl}#${g.status.index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: String(g.status.index),
    statusListCredential: o.statusListUrl,
  };
  return vc;
}
