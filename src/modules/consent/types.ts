/**
 * Citizens' consent (个人数据 C2B 授权, PIPL Art. 45 portability): a data subject, under a pairwise
 * DID kept for one relationship, consents that an organisation may use data about them held by
 * another for a DPV purpose until a time. The consent itself is a VC signed by the subject (DPV /
 * ISO/IEC TS 27560 fields, see docs/data.md); the chain keeps only its digest and its state —
 * never personal data. Withdrawal takes effect from the next block.
 */
import { didSchema, digestSchema, z } from '../../codec/schemas.ts';
import { purposeIsA, purposeName } from '../../odrl/index.ts';

export const CONSENT = 'consent';
export const CONSENT_LIMITS = { perSubject: 256, portability: 256 } as const;


export type ConsentState = 'given' | 'withdrawn';

/** One state change of a consent. */
export interface ConsentEvent {
  state: ConsentState;
  height: number;
  time: number;
  tx: string;
}

/** A consent as the chain keeps it at `consent/c/<digest>`. */
export interface ConsentRecord {
  /** SM3 of the consent VC (canonical JSON, with its proof). */
  digest: string;
  /** The subject's pairwise DID for this relationship: the VC's issuer and credentialSubject. */
  subject: string;
  /** The organisation that may use the data (DPV dataController / the 27560 "recipient"). */
  controller: string;
  /** The organisation that holds the data (the source a portability request names), if any. */
  source?: string;
  /** DPV purpose (dpv:…). */
  purpose: string;
  /** Block time after which it no longer holds, ms (27560 "expiry"). */
  expires?: number;
  state: ConsentState;
  /** First height at which a withdrawn consent no longer holds: the block after the withdrawal. */
  withdrawnFrom?: number;
  history: ConsentEvent[];
}

/** A portability request (PIPL Art. 45): the subject asks `source` to deliver their data to `recipient`. */
export interface PortabilityRecord {
  /** SM3 of the request document the subject keeps (what is to be exported, in which format). */
  id: string;
  subject: string;
  source: string;
  recipient: string;
  /** The consent the delivery is made under, if any. */
  consent?: string;
  state: 'requested' | 'fulfilled';
  requested: { height: number; time: number; tx: string };
  /** Filled by the source: the digest of what it delivered (its fulfilment receipt). */
  fulfilled?: { receipt: string; height: number; time: number; tx: string };
}

/** The answer of the consent.activeAt export. */
export type ConsentCheck = { active: true } | { active: false; code: 'CONSENT_NOT_FOUND' | 'CONSENT_WITHDRAWN' | 'CONSENT_EXPIRED' | 'CONSENT_WRONG_CONTROLLER' | 'CONSENT_WRONG_PURPOSE'; message: string };

export const giveArgs = z.strictObject({
  digest: digestSchema,
  controller: didSchema,
  source: didSchema.optional(),
  purpose: z.string().min(1).max(128),
  expires: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});
export const digestArgs = z.strictObject({ digest: digestSchema });
export const portabilityArgs = z.strictObject({ id: digestSchema, source: didSchema, recipient: didSchema, consent: digestSchema.optional() });
export const fulfilArgs = z.strictObject({ id: digestSchema, receipt: digestSchema });
export const activeAtArgs = z.strictObject({
  digest: digestSchema,
  /** The height the use runs at (normally the current block's). */
  height: z.number().int().min(0),
  /** The organisation using the data: must be the consent's controller. */
  controller: didSchema.optional(),
  /** The use's DPV purpose: must be the consent's or narrower. */
  purpose: z.string().min(1).max(128).optional(),
});
export type GiveArgs = z.infer<typeof giveArgs>;
export type ActiveAtArgs = z.infer<typeof activeAtArgs>;

/**
 * Whether a consent holds at `height` (and block time `time`) for a use by `controller` for
 * `purpose`: the one check every consumer makes (dataauth, privacy computing, market calls).
 */
export function consentActiveAt(c: ConsentRecord | undefined, a: ActiveAtArgs, time: number): ConsentCheck {
  if (!c) return { active: false, code: 'CONSENT_NOT_FOUND', message: `no consent ${a.digest} on this chain` };
  if (c.withdrawnFrom !== undefined && a.height >= c.withdrawnFrom) {
    return { active: false, code: 'CONSENT_WITHDRAWN', message: `consent ${c.digest} was withdrawn by its subject; it no longer holds from height ${c.withdrawnFrom} (this use is at height ${a.height})` };
  }
  if (c.expires !== undefined && time >= c.expires) return { active: false, code: 'CONSENT_EXPIRED', message: `consent ${c.digest} expired at ${new Date(c.expires).toISOString()}` };
  if (a.controller !== undefined && a.controller !== c.controller) {
    return { active: false, code: 'CONSENT_WRONG_CONTROLLER', message: `consent ${c.digest} lets ${c.controller} use the data, not ${a.controller}` };
  }
  if (a.purpose !== undefined) {
    const p = purposeName(a.purpose);
    const of = purposeName(c.purpose);
    if (!p || !of || !purposeIsA(p, of)) return { active: false, code: 'CONSENT_WRONG_PURPOSE', message: `consent ${c.digest} is for ${c.purpose}; ${a.purpose} is not that purpose or a narrower one` };
  }
  return { active: true };
}


/** What a subject consents to; the consent credential is built from it (consentCredential). */
export interface ConsentInput {
  /** The subject's pairwise DID for this relationship: issuer and subject of the credential. */
  subject: string;
  /** The organisation that may use the data (dpv:hasDataController). */
  controller: string;
  /** The organisation holding the data, if it comes from elsewhere (PIPL Art. 45 portability). */
  source?: string;
  /** DPV purpose (dpv:hasPurpose). */
  purpose: string;
  /** DPV personal data categories (dpv:hasPersonalData), e.g. dpv-pd:HealthRecord. Kept off chain. */
  personalData: string[];
  /** DPV processing operations (dpv:hasProcessing), e.g. dpv:Use, dpv:Analyse. */
  processing?: string[];
  /** xsd:dateTime the consent is given at (validFrom). */
  given: string;
  /** xsd:dateTime it lapses at (validUntil, dpv:hasExpiryTime). */
  expires?: string;
  /** The record's id (a urn:uuid), chosen by the wallet. */
  id: string;
}

/**
 * The unsigned consent credential (VC Data Model 2.0) with the fields of a DPV consent record and
 * ISO/IEC TS 27560 (record id, subject, controller, purpose, personal data, processing, status,
 * given and expiry times). The subject signs it with the pairwise key; only its digest goes on chain.
 */
export function consentCredential(i: ConsentInput): Record<string, unknown> {
  const subject: Record<string, unknown> = {
    id: i.subject,
    type: 'dpv:ConsentRecord',
    'dpv:hasDataSubject': i.subject,
    'dpv:hasDataController': i.controller,
    'dpv:hasPurpose': i.purpose,
    'dpv:hasPersonalData': i.personalData,
    'dpv:hasProcessing': i.processing ?? ['dpv:Use'],
    'dpv:hasConsentStatus': 'dpv:ConsentGiven',
    'dpv:hasIndicationMethod': 'dpv:ConsentGivenExplicitly',
    'iso27560:schemaVersion': 'ISO/IEC TS 27560:2023',
  };
  if (i.source) subject['dpv:hasDataSource'] = i.source;
  if (i.expires) subject['dpv:hasExpiryTime'] = i.expires;
  const vc: Record<string, unknown> = {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      { dpv: 'https://w3id.org/dpv#', 'dpv-pd': 'https://w3id.org/dpv/pd#', iso27560: 'https://w3id.org/shulian/iso27560#' },
      'https://www.w3.org/ns/credentials/undefined-terms/v2',
    ],
    id: i.id,
    type: ['VerifiableCredential', 'ConsentCredential'],
    issuer: i.subject,
    validFrom: i.given,
  };
  if (i.expires) vc.validUntil = i.expires;
  vc.credentialSubject = subject;
  return vc;
}
